"""The one IO step of the engine: send a rendered request through the egress guard.

See docs/design.md#sending.

`Transport` owns a pooled aiohttp client whose resolver is the egress guard, follows
redirects itself (each hop checked again, no https→http downgrade, configured headers dropped
when the origin changes), runs the whole exchange under one deadline that names the phase that
ran out, and reads the body through a bounded decoder so the decoded size never exceeds the cap.

Each hop first takes its connection slots (per company, per origin, for the process; see
`capacity`), so one slow upstream queues only its own callers; the wait is a phase of its own.
The phase is learnt without aiohttp trace hooks (they cost every request a dozen awaited
signals): the transport marks the steps it runs itself, the connector notes when a request has
its connection, and only when the deadline runs out is the rest worked out (a lookup of the host
still in flight, request bytes still unsent).

Errors: EgressBlocked (refused address, https→http downgrade), ConnectError (DNS, refused, TLS,
broken response, too many redirects), Timeout (NoFreeConnection when the deadline ran out
waiting for a slot), and from `decoding`: TooLarge, InvalidResponse
(a Content-Encoding other than gzip or deflate, or a corrupt compressed body).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections import Counter
from collections.abc import Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from multidict import CIMultiDict
from yarl import URL

from hooksmith.engine.capacity import Capacity, Lease, Origin
from hooksmith.engine.company import check_secret_hosts
from hooksmith.engine.decoding import ACCEPT_ENCODING, CHUNK, BoundedDecoder
from hooksmith.engine.egress import (
    EgressPolicy,
    GuardedResolver,
    check_host,
    check_path,
    parse_ip_literal,
)
from hooksmith.engine.errors import ConnectError, EgressBlocked, NoFreeConnection, Timeout

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")
_CHECKED_HOSTS_MAX: Final = 1024


@dataclass(frozen=True)
class OutgoingRequest:
    """A rendered request, ready to send: method, absolute URL, ordered headers and body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None
    sensitive_headers: frozenset[str] = frozenset()
    # (company secret, hosts it may go to): every hop's host must be allowed by each of them
    secret_hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()


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
    """Where one send stands: the hop's URL, its slots, the step begun, its socket."""

    url: URL
    phase: str = "connecting"
    lease: Lease = field(default_factory=Lease)
    # Kept rather than the aiohttp connection: after a cancelled exchange closes it, a closed
    # socket still holds what it had not sent, so the timeout can tell sending from waiting.
    socket: asyncio.Transport | None = None
    expired: bool = False


# The send running in this task, for the connector to note when the connection is there.
_SENDING: ContextVar[_Progress | None] = ContextVar("hooksmith_sending", default=None)


class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, noting on the running send when it has its connection."""

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        if (progress := _SENDING.get()) is not None:
            progress.socket = connection.transport
            progress.phase = "sending the request"
        return connection


class _Lookups(AbstractResolver):
    """The egress guard's resolver, counting the lookups in flight per host name."""

    def __init__(self, guard: GuardedResolver) -> None:
        self.guard = guard
        self.pending: Counter[str] = Counter()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.pending[host] += 1
        try:
            return await self.guard.resolve(host, port, family)
        finally:
            self.pending[host] -= 1
            if not self.pending[host]:
                del self.pending[host]

    async def close(self) -> None:
        await self.guard.close()


def _all_sent(stream: asyncio.Transport | None) -> bool:
    """Whether the kernel has taken every byte of the request (none left in the buffer)."""
    return stream is not None and stream.get_write_buffer_size() == 0


def _join(base: URL, location: str) -> str:
    try:
        return str(base.join(URL(location)))
    except ValueError:
        return location  # _parse_url then names what is wrong with it


def _origin(url: URL) -> Origin:
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
    """Sends requests through the egress guard with a pooled aiohttp client; one per process.

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
        capacity: Capacity | None = None,
        dns: AbstractResolver | None = None,
    ) -> None:
        """`dns` is the resolver behind the egress guard (aiohttp's threaded one by default);
        the guard checks whatever it answers."""
        self.policy = policy
        self.capacity = capacity or Capacity()
        self.ssl_context = ssl_context
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.proxy = proxy
        proxy_host = URL(proxy).raw_host if proxy else None
        self._resolver = _Lookups(
            GuardedResolver(
                policy,
                inner=dns,
                trusted_hosts=frozenset({proxy_host}) if proxy_host else frozenset(),
            )
        )
        # With a proxy, target names are resolved by the proxy; this one checks them first.
        self._name_checker = GuardedResolver(policy) if proxy else None
        self._client: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # (host, port) -> is an IP literal; the pair passed check_host
        self._checked_hosts: dict[tuple[str, int | None], bool] = {}
        self._checked_policy = policy

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _client_in(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._client is not None and not self._client.closed:
            if self._loop is not loop:
                raise RuntimeError("a Transport serves one event loop; create one per loop")
            return self._client
        # No pool-wide limit: `capacity` bounds connections per company, origin and process
        # before a request reaches the pool, so no one origin can fill it for all.
        connector = _Connector(
            resolver=self._resolver, limit=0, ttl_dns_cache=10, ssl=self.ssl_context or True
        )
        self._client = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None),
        )
        self._loop = loop
        return self._client

    async def close(self) -> None:
        """Close the pooled client and its connections; the transport may be used again."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        await self._resolver.close()
        if self._name_checker is not None:
            await self._name_checker.close()

    async def send(
        self, request: OutgoingRequest, *, deadline: float, company: Hashable = None
    ) -> Reply:
        """Send the request, following redirects, and return the reply by `deadline` (monotonic).

        `company` (the tenant's id) is whose connection slots each hop takes; None takes none.

        >>> await transport.send(request, deadline=time.monotonic() + 5.0)  # doctest: +SKIP
        Reply(status=200, ...)
        """
        loop = asyncio.get_running_loop()
        budget = max(deadline - loop.time(), 0.0)
        url = _parse_url(request.url, redirect=False)
        progress = _Progress(url)
        if budget <= 0:
            raise self._timeout(progress, budget)  # spent before it began: no network at all
        client = self._client_in(loop)
        task = asyncio.current_task()
        assert task is not None
        # One timer, as `asyncio.timeout_at` would set, that first pins down the phase: it runs
        # before the cancelled exchange unwinds and closes its connection.
        cancelling = task.cancelling()
        timer = loop.call_at(deadline, self._expire, progress, task)
        sending = _SENDING.set(progress)
        try:
            reply = await self._exchange(client, request, url, progress, company)
        except BaseException as error:
            # As `asyncio.timeout`: the timer's cancel request is taken back; the cancellation
            # is the deadline's unless someone else asked to cancel meanwhile.
            if progress.expired:
                ours = task.uncancel() <= cancelling
                if ours and isinstance(error, asyncio.CancelledError):
                    raise self._timeout(progress, budget) from None
            raise
        finally:
            timer.cancel()
            _SENDING.reset(sending)
        if progress.expired:  # answered in the very moment of the deadline
            task.uncancel()
        return reply

    def _expire(self, progress: _Progress, task: asyncio.Task[object]) -> None:
        """At the deadline: pin down the phase (a lookup in flight, request bytes unsent),
        then cancel the send."""
        phase = progress.phase
        if phase == "connecting" and progress.url.raw_host in self._resolver.pending:
            progress.phase = "resolving the host"
        elif phase == "sending the request" and _all_sent(progress.socket):
            progress.phase = "waiting for the response"
        progress.expired = True
        task.cancel()

    def _timeout(self, progress: _Progress, budget: float) -> Timeout:
        """The timeout error naming the phase that ran out."""
        shown = f"{budget:.1f}" if budget >= 0.1 else f"{budget:.3f}"
        gate = progress.lease.waiting_at
        if gate is not None:
            return NoFreeConnection(
                f"timeout: timed out after {shown} s waiting for a free connection to "
                f"{progress.url.host_port_subcomponent} ({gate.describe()})",
                field="timeout",
            )
        phase = progress.phase
        what = "the response did not complete" if phase.startswith("reading") else "no response"
        return Timeout(f"timeout: {what} within {shown} s (while {phase})", field="timeout")

    async def _guard(self, url: URL, progress: _Progress) -> None:
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
        if self.policy.own_endpoints:
            check_path(host, self.policy, url.port, url.path)
        if self._name_checker is not None and not self._checked_hosts[key]:
            progress.phase = "resolving the host"
            try:
                await self._name_checker.resolve(host, url.port or 0, socket.AF_UNSPEC)
            except OSError as exc:
                raise ConnectError(
                    f"connect_error: could not resolve the host {host} ({exc})", field="url"
                ) from None

    async def _exchange(
        self,
        client: aiohttp.ClientSession,
        request: OutgoingRequest,
        url: URL,
        progress: _Progress,
        company: Hashable,
    ) -> Reply:
        method = request.method.upper()
        body = request.body
        headers = [(k, v) for k, v in request.headers if k.lower() != "accept-encoding"]
        redirects = 0
        lease = progress.lease
        while True:
            progress.url = url
            if request.secret_hosts:
                check_secret_hosts(url.raw_host or "", request.secret_hosts)
            await self._guard(url, progress)
            await self.capacity.take(lease, _origin(url), company)
            try:
                response = await self._request(client, method, url, headers, body, progress)
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
            finally:
                self.capacity.give_back(lease)
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
        client: aiohttp.ClientSession,
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
        progress.socket = None
        try:
            return await client.request(
                method, url, headers=sent, data=body, allow_redirects=False, proxy=self.proxy
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
