"""`hooksmith serve` and `hooksmith worker` as real processes on one PostgreSQL database, and
the tenant with a token and an async webhook that the queue tests execute."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from hooksmith.store import TenantRepository, create_pool, db_opener
from tests.service.jobs.conftest import CALLBACK_SECRET


@dataclass(frozen=True)
class Tenant:
    company_id: int
    token: str


async def seed_tenant(database_url: str) -> Tenant:
    """One company and its API token, straight into the database."""
    database = create_pool(database_url)
    try:
        async with db_opener(database)() as db:
            repository = TenantRepository(db)
            company = await repository.create_company("queue", "Queue Co")
            _, token = await repository.create_token("queue tests", company_id=company.id)
            await db.commit()
            return Tenant(company.id, token)
    finally:
        await database.dispose()


def environment(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKSMITH_")}
    env.update(
        HOOKSMITH_DATABASE_URL=database_url,
        HOOKSMITH_VAR_DIR=str(var_dir),
        HOOKSMITH_SECRET_KEY=Fernet.generate_key().decode(),
        HOOKSMITH_CALLBACK_SECRET=CALLBACK_SECRET,
        HOOKSMITH_EGRESS_ALLOW="127.0.0.1",
        HOOKSMITH_SERVER_WORKER_CONCURRENCY="0",  # only `hooksmith worker` executes runs
        HOOKSMITH_WORKER_HEARTBEAT_SECONDS="0.5",
        HOOKSMITH_WORKER_STALLED_SECONDS="2",
        HOOKSMITH_COMPANY_RATE_PER_SECOND="100000",
        HOOKSMITH_COMPANY_RATE_BURST="100000",
        HOOKSMITH_COMPANY_CONCURRENCY="1000",
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """One server and its workers; `log_dir` holds what each printed."""

    env: dict[str, str]
    log_dir: Path
    base_url: str = ""
    workers: dict[str, subprocess.Popen[bytes]] | None = None

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hooksmith", "worker", "--name", name],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        assert self.workers is not None
        self.workers[name] = process
        _wait_for(self.log_dir / f"{name}.log", "Starting worker on", process)
        return process

    def kill(self, name: str) -> None:
        assert self.workers is not None
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(10)

    def log_of(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.log_dir.iterdir())


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


@contextmanager
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """`hooksmith serve` on a free port; start workers with `start_worker`; all stop at the end."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(parents=True)
    running = Cluster(environment(database_url, tmp_path / "var"), log_dir, workers={})
    port = free_port()
    with (log_dir / "server.log").open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "hooksmith", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=running.env,
        )
    running.base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(log_dir / "server.log", "Application startup complete", server)
        yield running
    finally:
        for process in [server, *(running.workers or {}).values()]:
            if process.poll() is None:
                process.terminate()
        for process in [server, *(running.workers or {}).values()]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
