"""Bounded decoding of a response body: identity, or one gzip/deflate layer.

See docs/design.md#sending.

The decoded size never passes the cap: each chunk is decompressed with an output limit, and
compressed input that yields nothing (empty deflate blocks) is bounded too.

Errors: TooLarge (the decoded body would pass the cap), InvalidResponse (another
Content-Encoding, or a corrupt or truncated compressed body).

    >>> import gzip
    >>> decoder = BoundedDecoder("gzip", cap=1024)
    >>> decoder.feed(gzip.compress(b"hello"))
    >>> decoder.finish()
    b'hello'
"""

from __future__ import annotations

import zlib
from typing import Final

from hooksmith.engine.errors import InvalidResponse, TooLarge

CHUNK: Final = 64 * 1024
ACCEPT_ENCODING: Final = "gzip, deflate"


def _size(limit: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= factor and limit % factor == 0:
            return f"{limit // factor} {unit}"
    return f"{limit} bytes"


class BoundedDecoder:
    """Decodes identity, gzip or deflate into at most `cap` bytes, refusing anything larger."""

    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.out = bytearray()
        self.raw = 0
        self.encoding = content_encoding
        self._decoder: zlib._Decompress | None = None
        self._pending = b""
        if content_encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(wbits=31)
        elif content_encoding not in ("", "identity", "deflate"):
            raise InvalidResponse(
                f"invalid_response: the response uses Content-Encoding {content_encoding!r}; "
                "hooksmith decodes only gzip and deflate (one layer)"
            )

    def too_large(self) -> TooLarge:
        return TooLarge(f"too_large: the response is larger than {_size(self.cap)}")

    def feed(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        # Compressed input that never yields output (empty deflate blocks) is bounded too.
        if self.raw > 2 * self.cap + CHUNK:
            raise self.too_large()
        if self.encoding == "deflate" and self._decoder is None:
            self._pending += chunk
            if len(self._pending) < 2:
                return
            chunk, self._pending = self._pending, b""
            # "deflate" should be zlib-wrapped (RFC 9110) but some servers send raw deflate.
            zlib_header = chunk[0] & 0x0F == 8 and ((chunk[0] << 8) | chunk[1]) % 31 == 0
            self._decoder = zlib.decompressobj(wbits=15 if zlib_header else -15)
        if self._decoder is None:
            self.out += chunk
            if len(self.out) > self.cap:
                raise self.too_large()
            return
        data = chunk
        while data and not self._decoder.eof:
            try:
                self.out += self._decoder.decompress(data, self.cap - len(self.out) + 1)
            except zlib.error as exc:
                raise self._corrupt(exc) from None
            if len(self.out) > self.cap:
                raise self.too_large()
            data = self._decoder.unconsumed_tail

    def _corrupt(self, exc: zlib.error) -> InvalidResponse:
        return InvalidResponse(
            f"invalid_response: the {self.encoding}-encoded response body is corrupt ({exc})"
        )

    def finish(self) -> bytes:
        if self._pending:
            raise self._corrupt(zlib.error("body too short"))
        if self._decoder is not None:
            try:
                self.out += self._decoder.flush(self.cap - len(self.out) + 1)
            except zlib.error as exc:
                raise self._corrupt(exc) from None
            if len(self.out) > self.cap:
                raise self.too_large()
            if not self._decoder.eof:
                raise self._corrupt(zlib.error("the compressed stream is truncated"))
        return bytes(self.out)
