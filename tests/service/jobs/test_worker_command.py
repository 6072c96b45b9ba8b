"""`hooksmith worker` without a job queue says what to configure instead of waiting forever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_worker_refuses_to_start_without_a_job_queue(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKSMITH_")}
    env["HOOKSMITH_VAR_DIR"] = str(tmp_path / "var")
    done = subprocess.run(
        [sys.executable, "-m", "hooksmith", "worker"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "HOOKSMITH_DATABASE_URL" in done.stderr
