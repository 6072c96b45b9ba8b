"""Callbacks: the result of an asynchronous run POSTed to the caller's `callback_url`.

The body is the result object as JSON. It is signed like Stripe's and Svix's webhooks:
`Hooksmith-Timestamp: <unix seconds>` and `Hooksmith-Signature: v1=<hex>`, where the hex is
HMAC-SHA256 over `"<timestamp>.<raw body>"` with the company's callback secret (one `v1=` per
secret during a rotation's overlap, comma-separated). The receiver
recomputes it, compares in constant time and refuses old timestamps (replays). Delivery goes
through the engine's transport, so the egress guard applies; a non-2xx answer or a network
error is retried with exponential backoff and full jitter until a 2xx or the expiry.

>>> header = signature(b"k", 1700000000, b"{}")
>>> verify(b"k", "1700000000", b"{}", header, now=1700000010)
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hooksmith.engine import IDEMPOTENCY_HEADER, EngineError, OutgoingRequest, Transport

TIMESTAMP_HEADER = "Hooksmith-Timestamp"
SIGNATURE_HEADER = "Hooksmith-Signature"
RUN_HEADER = "Hooksmith-Run-Id"
TOLERANCE_SECONDS = 300


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `Hooksmith-Signature` header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the timestamp is recent and one `v1=` signature matches."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    expected = signature(secret, sent, body)
    return any(
        hmac.compare_digest(expected, part.strip()) for part in header.split(",") if part.strip()
    )


@dataclass(frozen=True)
class Delivery:
    """How one delivery attempt went: `ok` on a 2xx; `final` when retrying cannot help."""

    ok: bool
    final: bool
    detail: str


def callback_body(result: dict[str, Any], run_id: str) -> bytes:
    """The raw body that is signed and sent: the result object with the run id."""
    return json.dumps({"run_id": run_id, **result}, separators=(",", ":")).encode()


async def deliver(
    transport: Transport,
    url: str,
    body: bytes,
    *,
    secrets: Sequence[bytes],
    run_id: str,
    timeout: float,
) -> Delivery:
    """POST one signed attempt; the Idempotency-Key (the run id) lets a receiver drop repeats."""
    timestamp = int(time.time())
    headers = (
        ("Content-Type", "application/json"),
        (TIMESTAMP_HEADER, str(timestamp)),
        (SIGNATURE_HEADER, ",".join(signature(secret, timestamp, body) for secret in secrets)),
        (RUN_HEADER, run_id),
        (IDEMPOTENCY_HEADER, f"callback-{run_id}"),
    )
    request = OutgoingRequest("POST", url, headers, body)
    try:
        reply = await transport.send(request, deadline=time.monotonic() + timeout)
    except EngineError as error:
        # A blocked address stays blocked; anything else (refused, timeout…) may pass later.
        return Delivery(ok=False, final=error.kind == "egress_blocked", detail=error.message)
    if 200 <= reply.status < 300:
        return Delivery(ok=True, final=True, detail=f"HTTP {reply.status}")
    return Delivery(ok=False, final=False, detail=f"HTTP {reply.status}")
