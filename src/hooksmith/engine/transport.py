"""The one IO step of the engine: send a rendered request through the egress guard (§2.4).

`Transport` owns a pooled aiohttp session whose resolver is the egress guard, follows
redirects itself (each hop checked again, no https→http downgrade, configured headers dropped
when the origin changes), runs the whole exchange under one deadline that names the phase that
ran out, and reads the body through a bounded decoder so the decoded size never exceeds the cap.

Errors: EgressBlocked (refused address, https→http downgrade), ConnectError (DNS, refused, TLS,
broken response, too many redirects), Timeout, and from `decoding`: TooLarge, InvalidResponse
(a Content-Encoding other than gzip or deflate, or a corrupt compressed body).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Final

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from hooksmith.engine.decoding import ACCEPT_ENCODING, CHUNK, BoundedDecoder
from hooksmith.engine.egress import EgressPolicy, GuardedResolver, check_host, parse_ip_literal
from hooksmith.engine.errors import ConnectError, EgressBlocked, Timeout

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")
_CHECKED_HOSTS_MAX: Final = 1024
_Hook = Callable[[aiohttp.ClientSession, SimpleNamespace, object], Awaitable[None]]


@dataclass(frozen=True)
class OutgoingRequest:
    """A rendered request, ready to send: method, absolute URL, ordered headers and body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None
    sensitive_headers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reply:
    """What the upstream answered: status, headers in order, the decoded body, the final URL."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str
    redirects: int


@dataclass
class _Progress:
    """The phase the exchange is in, updated by trace hooks and by `Transport` itself."""

    phase: str = "connecting"
    body_size: int = 0
    body_sent: int = 0


def _mark(phase: str) -> _Hook:
    async def hook(_session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: object) -> None:
        if isinstance(progress := ctx.trace_request_ctx, _Progress):
            progress.phase = phase

    return hook


async def _on_sent(_session: aiohttp.ClientSession, ctx: SimpleNamespace, params: object) -> None:
    """After the headers and after each body chunk: once all is sent, the wait begins."""
    if isinstance(progress := ctx.trace_request_ctx, _Progress):
        if isinstance(params, aiohttp.TraceRequestChunkSentParams):
            progress.body_sent += len(params.chunk)
        if progress.body_sent >= progress.body_size:
            progress.phase = "waiting for the response"


def _trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    # Only the signals that change the phase: each one costs every request a call. Waiting
    # for a pooled connection and starting a new one are "connecting", the phase `_request`
    # sets before it sends.
    for signal, phase in (
        (trace.on_dns_resolvehost_start, "resolving the host"),
        (trace.on_dns_resolvehost_end, "connecting"),
        (trace.on_connection_create_end, "sending the request"),
        (trace.on_connection_reuseconn, "sending the request"),
    ):
        signal.append(_mark(phase))
    trace.on_request_headers_sent.append(_on_sent)
    trace.on_request_chunk_sent.append(_on_sent)
    trace.freeze()
    return trace


def _join(base: URL, location: str) -> str:
    try:
        return str(base.join(URL(location)))
    except ValueError:
        return location  # _parse_url then names what is wrong with it


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme, (url.raw_host or "").lower(), url.port)


def _parse_url(text: str, *, redirect: bool) -> URL:
    where = "the upstream redirected to" if redirect else "the request URL is"
    try:
        if _CONTROL.search(text):
            # An encoded URL has none; sent raw they would split the request line.
            raise ValueError("it holds whitespace or control characters")
        url = URL(text, encoded=True)
        if url.raw_host and not url.raw_host.isascii():
            url = url.with_host(url.raw_host)
    except (ValueError, UnicodeError) as exc:
        raise ConnectError(f"connect_error: {where} an invalid URL ({exc})", field="url") from None
    if url.scheme not in ("http", "https"):
        why = f"a {url.scheme or 'relative'} URL; only http and https URLs are sent"
        raise ConnectError(f"connect_error: {where} {why}", field="url")
    if not url.raw_host:
        raise ConnectError(f"connect_error: {where} a URL without a host", field="url")
    return url.with_fragment(None) if "#" in text else url


def _connect_error(exc: aiohttp.ClientError, url: URL) -> ConnectError:
    host = url.raw_host or ""
    target = f"{host}:{url.port}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        why = exc.os_error.strerror or str(exc.os_error)
        message = f"could not resolve the host {host} ({why})"
    elif isinstance(exc, aiohttp.ClientConnectorCertificateError):
        message = f"the TLS certificate of {target} is not valid ({exc.certificate_error})"
    elif isinstance(exc, aiohttp.ClientSSLError):
        message = f"the TLS handshake with {target} failed ({exc})"
    elif isinstance(exc, aiohttp.ClientProxyConnectionError):
        message = f"could not connect to the configured proxy ({exc.os_error.strerror or exc})"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        message = f"could not connect to {target} ({exc.os_error.strerror or exc.os_error})"
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        message = f"{target} closed the connection without a complete response"
    elif isinstance(exc, aiohttp.ClientPayloadError):
        message = f"the response body from {target} was cut off or malformed ({exc})"
    elif isinstance(exc, aiohttp.ClientResponseError):
        message = f"{target} sent an invalid HTTP response ({exc.message})"
    elif isinstance(exc, aiohttp.InvalidURL):
        message = f"the URL {exc.url} is not valid"
    else:
        message = f"the request to {target} failed ({type(exc).__name__}: {exc})"
    return ConnectError(f"connect_error: {message}", field="url")


class Transport:
    """Sends requests through the egress guard with a pooled aiohttp session; one per process.

    >>> async with Transport(EgressPolicy()) as transport:  # doctest: +SKIP
    ...     request = OutgoingRequest("GET", "https://api.example.com/", ())
    ...     reply = await transport.send(request, deadline=time.monotonic() + 5)
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        max_response_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = "hooksmith/0.1",
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self.ssl_context = ssl_context
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.proxy = proxy
        proxy_host = URL(proxy).raw_host if proxy else None
        self._resolver = GuardedResolver(
            policy, trusted_hosts=frozenset({proxy_host}) if proxy_host else frozenset()
        )
        # With a proxy, target names are resolved by the proxy; this one checks them first.
        self._name_checker = GuardedResolver(policy) if proxy else None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # (host, port) -> is an IP literal; the pair passed check_host
        self._checked_hosts: dict[tuple[str, int | None], bool] = {}
        self._checked_policy = policy

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _session_in(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._session is not None and not self._session.closed:
            if self._loop is not loop:
                raise RuntimeError("a Transport serves one event loop; create one per loop")
            return self._session
        connector = aiohttp.TCPConnector(
            resolver=self._resolver, limit=100, ttl_dns_cache=10, ssl=self.ssl_context or True
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None),
            trace_configs=[_trace_config()],
        )
        self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the pooled session and its connections; the transport may be used again."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._resolver.close()
        if self._name_checker is not None:
            await self._name_checker.close()

    async def send(self, request: OutgoingRequest, *, deadline: float) -> Reply:
        """Send the request, following redirects, and return the reply by `deadline` (monotonic).

        >>> await transport.send(request, deadline=time.monotonic() + 5.0)  # doctest: +SKIP
        Reply(status=200, ...)
        """
        loop = asyncio.get_running_loop()
        budget = max(deadline - loop.time(), 0.0)
        progress = _Progress()
        session = self._session_in(loop)
        try:
            if budget <= 0:
                raise TimeoutError  # spent before it began: touch no network at all
            async with asyncio.timeout_at(deadline):
                return await self._exchange(session, request, progress)
        except TimeoutError:
            shown = f"{budget:.1f}" if budget >= 0.1 else f"{budget:.3f}"
            reading = progress.phase == "reading the response body"
            what = "the response did not complete" if reading else "no response"
            raise Timeout(
                f"timeout: {what} within {shown} s (while {progress.phase})", field="timeout"
            ) from None

    async def _guard(self, url: URL) -> None:
        host = url.raw_host or ""
        if self._checked_policy is not self.policy:
            self._checked_hosts.clear()
            self._checked_policy = self.policy
        key = (host, url.port)
        if key not in self._checked_hosts:
            check_host(host, self.policy, url.port)
            # The verdict depends on the host text and the (fixed) policy only; names are
            # still checked at every DNS lookup by the guarded resolver.
            if len(self._checked_hosts) >= _CHECKED_HOSTS_MAX:
                self._checked_hosts.clear()
            self._checked_hosts[key] = parse_ip_literal(host) is not None
        if self._name_checker is not None and not self._checked_hosts[key]:
            try:
                await self._name_checker.resolve(host, url.port or 0, socket.AF_UNSPEC)
            except OSError as exc:
                raise ConnectError(
                    f"connect_error: could not resolve the host {host} ({exc})", field="url"
                ) from None

    async def _exchange(
        self, session: aiohttp.ClientSession, request: OutgoingRequest, progress: _Progress
    ) -> Reply:
        url = _parse_url(request.url, redirect=False)
        method = request.method.upper()
        body = request.body
        headers = [(k, v) for k, v in request.headers if k.lower() != "accept-encoding"]
        redirects = 0
        while True:
            await self._guard(url)
            response = await self._request(session, method, url, headers, body, progress)
            try:
                location = response.headers.get("Location")
                if response.status not in _REDIRECTS or location is None:
                    progress.phase = "reading the response body"
                    content = b"" if method == "HEAD" else await self._read(response, url)
                    return Reply(
                        status=response.status,
                        headers=tuple(response.headers.items()),
                        body=content,
                        url=str(url),
                        redirects=redirects,
                    )
            except BaseException:
                response.close()
                raise
            response.release()
            redirects += 1
            if redirects > self.max_redirects:
                raise ConnectError(
                    f"connect_error: too many redirects (more than {self.max_redirects}); "
                    f"the last one pointed to {location}",
                    field="url",
                )
            target = _parse_url(_join(url, location), redirect=True)
            if url.scheme == "https" and target.scheme == "http":
                raise EgressBlocked(
                    f"egress_blocked: the upstream redirected from https to http ({target}); "
                    "hooksmith does not downgrade to an unencrypted connection",
                    field="url",
                )
            status = response.status
            if (status == 303 and method != "HEAD") or (
                status in (301, 302) and method not in ("GET", "HEAD")
            ):
                method, body = "GET", None
                headers = [(k, v) for k, v in headers if not k.lower().startswith("content-")]
            if _origin(target) != _origin(url):
                # Leaving the origin: no credentials or configured header follows the request.
                headers = [
                    (k, v)
                    for k, v in headers
                    if body is not None
                    and k.lower() == "content-type"
                    and k.lower() not in request.sensitive_headers
                ]
            url = target

    async def _request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        body: bytes | None,
        progress: _Progress,
    ) -> aiohttp.ClientResponse:
        sent = CIMultiDict(headers)
        sent["Accept-Encoding"] = ACCEPT_ENCODING
        if "User-Agent" not in sent:
            sent["User-Agent"] = self.user_agent
        progress.phase = "connecting"
        progress.body_size = len(body) if body else 0
        progress.body_sent = 0
        try:
            return await session.request(
                method,
                url,
                headers=sent,
                data=body,
                allow_redirects=False,
                proxy=self.proxy,
                trace_request_ctx=progress,
            )
        except aiohttp.ClientError as exc:
            raise _connect_error(exc, url) from None

    async def _read(self, response: aiohttp.ClientResponse, url: URL) -> bytes:
        encodings = ",".join(response.headers.getall("Content-Encoding", ()))
        reader = BoundedDecoder(encodings.strip().lower(), self.max_response_bytes)
        length = response.content_length
        if reader.encoding in ("", "identity") and length is not None and length > reader.cap:
            raise reader.too_large()
        try:
            async for chunk in response.content.iter_chunked(CHUNK):
                reader.feed(chunk)
        except aiohttp.ClientError as exc:
            raise _connect_error(exc, url) from None
        return reader.finish()
