"""`hooksmith worker` without a job queue says what to configure instead of waiting forever."""

from __future__ import annotations

from pathlib import Path

from tests.commands import clean_environment, run_hooksmith


def test_the_worker_refuses_to_start_without_a_job_queue(tmp_path: Path) -> None:
    env = clean_environment(HOOKSMITH_VAR_DIR=str(tmp_path / "var"))
    done = run_hooksmith("worker", env=env)
    assert done.returncode == 2, done.stderr
    assert "HOOKSMITH_DATABASE_URL" in done.stderr
