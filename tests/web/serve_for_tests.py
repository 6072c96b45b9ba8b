"""Runs the real hooksmith server (API + web UI) for the browser tests, in its own process.

    python -m tests.web.serve_for_tests FD

FD is a listening loopback socket inherited from the test process (so the port is known and
free before the server starts); settings come from `HOOKSMITH_*` environment variables.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from hooksmith.server import create_server
from hooksmith.settings import Settings


def main(fd: int) -> None:
    listener = socket.socket(fileno=fd)
    app = create_server(Settings())
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main(int(sys.argv[1]))
