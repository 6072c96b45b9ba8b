"""The real hooksmith server for tests: `create_app(settings)` under uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from hooksmith.api import create_app
from hooksmith.settings import Settings


@dataclass(frozen=True)
class Server:
    """A running server: its app (for the route table), settings and base URL."""

    app: FastAPI
    settings: Settings
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def serve_app(
    settings: Settings, build: Callable[..., FastAPI] = create_app, **options: Any
) -> Iterator[Server]:
    """Serve `build(settings, **options)` (the API app by default) in a thread until the block
    ends; `build=hooksmith.server.create_server` adds the web UI."""
    app = build(settings, **options)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, ws="none", lifespan="on", timeout_notify=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the hooksmith test server did not start")
        time.sleep(0.01)
    try:
        yield Server(app=app, settings=settings, base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
