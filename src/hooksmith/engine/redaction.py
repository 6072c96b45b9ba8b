"""Redaction of secrets: credential headers and every occurrence of a stored secret's value.

A credential header of the request as sent is shown masked (`Bearer ab…yz`) so its author can
check what was sent; everything else that holds a secret shows `[redacted]`.
"""

from __future__ import annotations

import base64
import binascii
import re
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
MASK_SHORTEST = 8
"""A credential shorter than this is hidden entirely: four of its characters would be too many."""
_SCHEMED = re.compile(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(\S.*)", re.DOTALL)
_SCHEMED_HEADERS = frozenset({"authorization", "proxy-authorization"})


# The one stand-in for a secret that is stored but withheld (from a view, a draft or a preview)
# or was cleared; it never leaves hooksmith, and a request carrying it shows WITHHELD_SHOWN.
WITHHELD_SECRET = "stored-secret-withheld"
WITHHELD_SHOWN = "(the saved secret)"


def masked(credential: str) -> str:
    """The first and last two characters of a credential, or `[redacted]` when it is short.

    >>> masked("abcdefghyz"), masked("s3cret"), masked(WITHHELD_SECRET)
    ('ab…yz', '[redacted]', '(the saved secret)')
    """
    if credential == WITHHELD_SECRET:
        return WITHHELD_SHOWN
    if len(credential) < MASK_SHORTEST:
        return REDACTED
    return f"{credential[:2]}…{credential[-2:]}"


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

    def adding(self, secret: str) -> Redactor:
        """This redactor with one more secret (a token obtained while sending)."""
        more = Redactor([secret])
        both = Redactor([])
        both._forms = sorted({*self._forms, *more._forms}, key=len, reverse=True)
        return both

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def header(self, name: str, value: str) -> str:
        return REDACTED if is_sensitive_header(name) else self.text(value)

    def sent_header(self, name: str, value: str) -> str:
        """A header of the request as sent: a credential masked, its scheme kept.

        >>> Redactor([]).sent_header("Authorization", "Bearer abcdefghyz")
        'Bearer ab…yz'
        >>> Redactor([]).sent_header("Authorization", "Basic Ym90OnMzY3JldC1wdw==")
        'Basic bot:s3…pw'
        """
        if not is_sensitive_header(name):
            return self.text(value)
        scheme, credential = "", value
        found = _SCHEMED.fullmatch(value) if name.lower() in _SCHEMED_HEADERS else None
        if found is not None:
            scheme, credential = found.group(1) + " ", found.group(2).strip()
        if scheme.lower() == "basic ":
            return scheme + self._basic(credential)
        return scheme + masked(credential)

    def _basic(self, credential: str) -> str:
        """`user:pa…rd` from Basic credentials; a user name with no password is the secret
        itself (an API key sent as the user name), so it is masked instead."""
        try:
            pair = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return masked(credential)
        user, colon, password = pair.partition(":")
        if not colon or not password:
            return masked(user)
        return f"{self.text(user)}:{masked(password)}"

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
