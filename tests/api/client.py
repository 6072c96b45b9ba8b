"""An HTTP client of the test server: bearer-token or cookie (with CSRF) authentication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from hooksmith.service.cookies import CSRF_COOKIE, CSRF_HEADER


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    headers: Any = None  # the response's headers, looked up case-insensitively


class Api:
    """Calls the API as one caller: with `token`, or with the cookies of `login`."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str | None = None):
        self.http = http
        self.base_url = base_url
        self.token = token
        self.csrf = True

    async def call(
        self, method: str, path: str, json: Any = None, *, csrf: bool | None = None, **options: Any
    ) -> Reply:
        headers: dict[str, str] = dict(options.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.csrf if csrf is None else csrf:
            for cookie in self.http.cookie_jar:
                if cookie.key == CSRF_COOKIE:
                    headers[CSRF_HEADER] = cookie.value
        if json is not None:
            options["json"] = json
        async with self.http.request(
            method, self.base_url + path, headers=headers, **options
        ) as response:
            text = await response.text()
            body: Any = None
            if response.content_type == "application/json" and text:
                body = await response.json()
            return Reply(response.status, body, text, response.headers.copy())

    async def get(self, path: str, **options: Any) -> Reply:
        return await self.call("GET", path, **options)

    async def post(self, path: str, json: Any = None, **options: Any) -> Reply:
        return await self.call("POST", path, json, **options)

    async def put(self, path: str, json: Any = None, **options: Any) -> Reply:
        return await self.call("PUT", path, json, **options)

    async def delete(self, path: str, **options: Any) -> Reply:
        return await self.call("DELETE", path, **options)

    @staticmethod
    def http() -> aiohttp.ClientSession:
        """A client session whose cookie jar accepts cookies from 127.0.0.1."""
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def login(self, email: str, password: str) -> Reply:
        """Sign in with the session cookie; later calls send it and the CSRF token."""
        return await self.call(
            "POST", "/api/v1/session", {"email": email, "password": password}, csrf=False
        )
