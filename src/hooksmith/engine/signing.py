"""HMAC-SHA256 signing of an outgoing request, so its receiver can tell it came from hooksmith.

The recipe (docs/design.md#hmac-signing): the timestamp is the Unix time in whole seconds as
decimal text; the signature is `sha256=` and the lowercase hex of HMAC-SHA256 keyed with the
secret over `timestamp + "." + body`, the body being the exact bytes sent (empty without one).

>>> signature("s3cret", "1700000000", b'{"a":1}')[:15]
'sha256=1698a50b'
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for this timestamp and body."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes, *, signature_header: str, timestamp_header: str
) -> tuple[tuple[str, str], tuple[str, str]]:
    """The timestamp and signature headers of a request with `body`, signed now."""
    timestamp = str(int(time.time()))
    return (
        (timestamp_header, timestamp),
        (signature_header, signature(secret, timestamp, body)),
    )
