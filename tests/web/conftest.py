"""Browser-test fixtures: the real server as a subprocess on a loopback port, seeded tenants,
a loopback upstream, and headless Chromium driven by Playwright's sync API.

The browser is the one in `HOOKSMITH_BROWSER`, else Debian's `/usr/bin/chromium` (which
`make test` installs when missing), else Playwright's own.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hooksmith.service import tenants
from hooksmith.settings import Settings
from hooksmith.store import create_pool, db_opener, upgrade
from tests.upstream import Upstream, serve
from tests.web.shop import shop_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Site:
    """The running server: its base URL and the seeded people (all with `PASSWORD`)."""

    base_url: str
    database_url: str = ""  # the server's database, for tests that seed runs in volume
    agency_admin: str = "admin@north.test"  # agency north: companies acme and bolt
    acme_user: str = "ana@acme.test"
    bolt_user: str = "bo@bolt.test"

    def url(self, path: str) -> str:
        return self.base_url + path


async def _seed(database_url: str) -> None:
    await upgrade(database_url)
    database = create_pool(database_url)
    try:
        async with db_opener(database)() as db:
            await tenants.create_agency(db, "north", "North Agency")
            for slug, name in (("acme", "Acme Shop"), ("bolt", "Bolt Bikes")):
                await tenants.create_company(db, None, slug, name, agency="north")
            await tenants.create_user(
                db, None, Site.agency_admin, PASSWORD, agency="north", is_admin=True
            )
            await tenants.create_user(db, None, Site.acme_user, PASSWORD, company="acme")
            await tenants.create_user(db, None, Site.bolt_user, PASSWORD, company="bolt")
    finally:
        await database.dispose()


def _seed_apart(database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _seed(database_url)).result()


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server process: politely, then for sure."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


def _wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/login", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within 30 s:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def shop() -> Iterator[Upstream]:
    """The loopback upstream webhooks call (tests/upstream.py routes plus /shop/...)."""
    with serve(shop_app) as running:
        yield running


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real server (`hooksmith.server.create_server`) in a subprocess, on a fresh database."""
    var_dir = tmp_path_factory.mktemp("web-var")
    database_url = Settings(var_dir=var_dir).resolved_database_url()
    _seed_apart(database_url)
    env = os.environ | {
        "HOOKSMITH_VAR_DIR": str(var_dir),
        "HOOKSMITH_DATABASE_URL": database_url,
        "HOOKSMITH_SECRET_KEY": Fernet.generate_key().decode(),
        "HOOKSMITH_EGRESS_ALLOW": "127.0.0.1",
    }
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    log = var_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.web.serve_for_tests", str(listener.fileno())],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )
    listener.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base_url, process, log)
        yield Site(base_url=base_url, database_url=database_url)
    finally:
        stop(process)


def browser_path() -> str | None:
    configured = os.environ.get("HOOKSMITH_BROWSER")
    if configured:
        return configured
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=browser_path(), args=BROWSER_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page, 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
