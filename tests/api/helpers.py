"""Small helpers of the API tests: definitions, and polling with a deadline instead of sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def definition(upstream_url: str = "http://127.0.0.1:9/echo", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Order status",
        "method": "POST",
        "url": upstream_url,
        "body": '{"order": "{{ orderNumber }}", "who": "{{ userName }}"}',
        "custom_variables": [
            {"name": "order", "mapper": "response.body"},
            {"name": "method", "mapper": "response.method"},
        ],
    }
    data.update(overrides)
    return data


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0, step: float = 0.02
) -> T:
    """The first truthy value `check` returns, polling until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} seconds")
        await asyncio.sleep(step)
