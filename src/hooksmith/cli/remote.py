"""A client of a running hooksmith server's management API, with a bearer API token (aiohttp)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp

PAGE = 200  # the API's largest page


class RemoteError(Exception):
    """The server refused a call or could not be reached; the message says which and why."""


class Remote:
    """`async with Remote(server, token) as remote:` lists, creates, updates and deletes
    webhooks through `/api/v1`."""

    def __init__(self, server: str, token: str, *, timeout: float = 30) -> None:
        self.base = server.rstrip("/") + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Remote:
        self.http = aiohttp.ClientSession(headers=self.headers, timeout=self.timeout)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.http is not None:
            await self.http.close()

    async def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """The JSON answer of one call, or `RemoteError` with the server's own message."""
        assert self.http is not None, "use `async with Remote(...)`"
        params = {key: str(value) for key, value in query.items() if value is not None}
        try:
            async with self.http.request(
                method, self.base + path, json=body, params=params
            ) as response:
                text = await response.text()
                answer: Any = None
                if response.content_type == "application/json" and text:
                    answer = await response.json()
                if response.status >= 400:
                    raise RemoteError(_message(method, path, response.status, answer, text))
                return answer
        except aiohttp.ClientError as error:
            raise RemoteError(f"{method} {self.base}{path}: {error}") from None
        except TimeoutError:
            raise RemoteError(f"{method} {self.base}{path}: no answer in time") from None

    async def companies(self) -> list[str]:
        return [company["slug"] for company in await self.call("GET", "/companies")]

    async def webhooks(self, company: str | None = None) -> list[dict[str, Any]]:
        """Every webhook the token may see (of one company when given), oldest first."""
        found: list[dict[str, Any]] = []
        while True:
            page = await self.call(
                "GET", "/webhooks", company=company, offset=len(found), limit=PAGE
            )
            found.extend(page["items"])
            if not page["items"] or len(found) >= page["total"]:
                break
        return sorted(found, key=lambda view: view["id"])

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.call("POST", "/webhooks", data)
        return answer

    async def update(self, webhook_id: int, data: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.call("PUT", f"/webhooks/{webhook_id}", data)
        return answer

    async def delete(self, webhook_id: int) -> None:
        await self.call("DELETE", f"/webhooks/{webhook_id}")


def _message(method: str, path: str, status: int, answer: Any, text: str) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return f"{method} {path}: HTTP {status}: {error['message']}"
    return f"{method} {path}: HTTP {status}: {text[:200]}"
