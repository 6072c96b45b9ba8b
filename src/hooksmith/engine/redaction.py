"""Redaction of secrets: credential headers and every occurrence of a stored secret's value."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
    }
)
SENSITIVE_WORDS = ("token", "secret", "password", "api-key", "apikey", "api_key", "session")


@lru_cache(maxsize=1024)  # header names repeat; every result asks for each of its headers
def is_sensitive_header(name: str) -> bool:
    """Whether a header carries credentials by its name (`Authorization`, `X-Api-Key`, …)."""
    lowered = name.lower()
    return lowered in SENSITIVE_HEADERS or any(word in lowered for word in SENSITIVE_WORDS)


class Redactor:
    """Replaces secret values, in the forms they travel in, by `[redacted]`.

    >>> Redactor(["s3cret"]).text("token=s3cret")
    'token=[redacted]'
    """

    def __init__(self, secrets: Iterable[str], *, basic_credentials: str | None = None) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) < 3:  # too short to find safely; headers still hide it
                continue
            forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        if basic_credentials:
            forms.add(base64.b64encode(basic_credentials.encode()).decode())
        self._forms = sorted(forms, key=len, reverse=True)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def header(self, name: str, value: str) -> str:
        return REDACTED if is_sensitive_header(name) else self.text(value)

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data (keys included)."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value
