"""A sample answer: what a webhook's API would answer, given instead of sending the request.

Bot builders keep one per webhook to design mappers, and to run a staging bot, before the real
API is ready; see docs/design.md#mock-answers. The engine treats it exactly as a real answer
(`Engine.answer`), so its custom variables come out as they would from the API.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SampleAnswer:
    """An answer as the API would send it: status, headers in order and the raw body.

    >>> SampleAnswer(200, (("Content-Type", "application/json"),), b'{"id": 7}').status
    200
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
