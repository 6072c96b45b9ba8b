"""Sending through the egress guard against a real loopback upstream (never a mocked client)."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import shutil
import socket
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from hooksmith.engine.egress import EgressPolicy
from hooksmith.engine.errors import ConnectError, EgressBlocked, InvalidResponse, Timeout, TooLarge
from hooksmith.engine.transport import OutgoingRequest, Reply, Transport
from tests.upstream import Upstream, serve

LOOPBACK_ONLY = EgressPolicy.from_setting("127.0.0.1/32")
LOOPBACK_NET = EgressPolicy.from_setting("127.0.0.0/8,::1")


@pytest.fixture
async def guarded() -> AsyncIterator[Transport]:
    """A transport with the default policy: every loopback address is refused."""
    async with Transport(EgressPolicy()) as transport:
        yield transport


@pytest.fixture
async def trusting() -> AsyncIterator[Transport]:
    """A transport whose policy trusts 127.0.0.0/8 and ::1, as an operator would for tests."""
    async with Transport(LOOPBACK_NET) as transport:
        yield transport


def request(url: str, method: str = "GET", **overrides: Any) -> OutgoingRequest:
    overrides.setdefault("headers", ())
    return OutgoingRequest(method=method, url=url, **overrides)


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def echoed(reply: Reply) -> dict[str, Any]:
    seen: dict[str, Any] = json.loads(reply.body)
    return seen


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in seen["headers"] if key.lower() == name.lower()]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/echo",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]:{port}/echo",
        "http://[::ffff:127.0.0.1]:{port}/echo",
        "http://2130706433:{port}/echo",
        "http://0x7f.1:{port}/echo",
        "http://0177.0.0.1:{port}/echo",
        "http://127.1:{port}/echo",
        "http://localhost:{port}/echo",
        "https://localhost:{port}/echo",
    ],
)
async def test_refused_targets_receive_nothing(
    guarded: Transport, upstream: Upstream, template: str
) -> None:
    with pytest.raises(EgressBlocked, match=r"^egress_blocked: .*operator can exempt"):
        await guarded.send(request(template.format(port=upstream.port)), deadline=soon())
    assert upstream.received == []


async def test_loopback_message_names_the_address(guarded: Transport, upstream: Upstream) -> None:
    with pytest.raises(EgressBlocked) as caught:
        await guarded.send(request(upstream.url("/echo")), deadline=soon())
    assert caught.value.message.startswith("egress_blocked: 127.0.0.1 is a loopback address;")


async def test_allowed_upstream_answers(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(
        request(
            upstream.url("/echo?x=1"),
            "POST",
            headers=(("X-A", "1"), ("X-A", "2")),
            body=b'{"a": 1}',
        ),
        deadline=soon(),
    )
    assert reply.status == 200
    assert reply.redirects == 0
    assert reply.url == upstream.url("/echo?x=1")
    seen = echoed(reply)
    assert seen["method"] == "POST"
    assert seen["body"] == '{"a": 1}'
    assert header(seen, "X-A") == ["1", "2"]
    assert header(seen, "Accept-Encoding") == ["gzip, deflate"]
    assert header(seen, "User-Agent") == ["hooksmith/0.1"]


async def test_configured_accept_encoding_is_replaced(
    trusting: Transport, upstream: Upstream
) -> None:
    reply = await trusting.send(
        request(upstream.url("/echo"), headers=(("Accept-Encoding", "br"),)), deadline=soon()
    )
    assert header(echoed(reply), "Accept-Encoding") == ["gzip, deflate"]


async def test_non_http_scheme_is_refused(trusting: Transport) -> None:
    with pytest.raises(ConnectError, match="only http and https"):
        await trusting.send(request("ftp://127.0.0.1/file"), deadline=soon())


@pytest.mark.parametrize("bad", ["/echo HTTP/1.1\r\nX-Injected: 1", "/echo?a=b c", "/\x00"])
async def test_unencoded_whitespace_and_controls_are_refused(
    trusting: Transport, upstream: Upstream, bad: str
) -> None:
    with pytest.raises(ConnectError, match="invalid URL"):
        await trusting.send(request(upstream.url(bad)), deadline=soon())
    assert upstream.received == []


async def test_redirect_to_a_refused_address_is_blocked(upstream: Upstream) -> None:
    async with Transport(LOOPBACK_ONLY) as transport:
        for target in (
            f"http://127.0.0.2:{upstream.port}/echo",
            "http://169.254.169.254/latest/meta-data/",
            f"http://[::ffff:127.0.0.2]:{upstream.port}/echo",
        ):
            url = upstream.url(f"/redirect?to={target}")
            with pytest.raises(EgressBlocked, match="egress_blocked: "):
                await transport.send(request(url), deadline=soon())
    assert [seen["path"] for seen in upstream.received] == ["/redirect"] * 3


async def test_same_origin_redirect_keeps_headers(trusting: Transport, upstream: Upstream) -> None:
    configured = (("Authorization", "Bearer s3cret"), ("X-Tenant", "acme"))
    reply = await trusting.send(
        request(
            upstream.url("/redirect?to=/echo"),
            headers=configured,
            sensitive_headers=frozenset({"authorization"}),
        ),
        deadline=soon(),
    )
    seen = echoed(reply)
    assert reply.redirects == 1
    assert reply.url == upstream.url("/echo")
    assert header(seen, "Authorization") == ["Bearer s3cret"]
    assert header(seen, "X-Tenant") == ["acme"]


async def test_cross_origin_redirect_drops_auth_and_configured_headers(
    trusting: Transport, upstream: Upstream
) -> None:
    configured = (
        ("Authorization", "Bearer s3cret"),
        ("X-Api-Key", "k"),
        ("X-Tenant", "acme"),
        ("Content-Type", "application/json"),
    )
    with serve() as other:
        reply = await trusting.send(
            request(
                upstream.url(f"/redirect?code=307&to={other.url('/echo')}"),
                "POST",
                headers=configured,
                body=b'{"kept": true}',
                sensitive_headers=frozenset({"authorization", "x-api-key"}),
            ),
            deadline=soon(),
        )
    seen = echoed(reply)
    assert reply.url == other.url("/echo")
    assert seen["method"] == "POST"
    assert seen["body"] == '{"kept": true}'
    assert header(seen, "Content-Type") == ["application/json"]
    for name in ("Authorization", "X-Api-Key", "X-Tenant"):
        assert header(seen, name) == []
    assert header(seen, "User-Agent") == ["hooksmith/0.1"]
    assert header(upstream.received[0], "Authorization") == ["Bearer s3cret"]


async def test_redirect_to_another_host_name_is_cross_origin(upstream: Upstream) -> None:
    url = upstream.url(f"/redirect?to=http://localhost:{upstream.port}/echo")
    # `localhost` is refused by name unless the operator exempts it by name, as here.
    policy = EgressPolicy.from_setting("127.0.0.0/8,localhost")
    async with Transport(policy) as transport:
        reply = await transport.send(
            request(url, headers=(("Authorization", "Basic dTpw"),)), deadline=soon()
        )
    assert reply.url == f"http://localhost:{upstream.port}/echo"
    assert header(echoed(reply), "Authorization") == []


async def test_303_turns_post_into_get_without_body(
    trusting: Transport, upstream: Upstream
) -> None:
    reply = await trusting.send(
        request(
            upstream.url("/redirect?code=303&to=/echo"),
            "POST",
            body=b'{"a": 1}',
            headers=(("Content-Type", "application/json"), ("X-Keep", "yes")),
        ),
        deadline=soon(),
    )
    seen = echoed(reply)
    assert seen["method"] == "GET"
    assert seen["body"] == ""
    assert header(seen, "Content-Type") == []
    assert header(seen, "X-Keep") == ["yes"]


@pytest.mark.parametrize("code", [301, 302])
async def test_301_and_302_turn_put_into_get(
    trusting: Transport, upstream: Upstream, code: int
) -> None:
    reply = await trusting.send(
        request(upstream.url(f"/redirect?code={code}&to=/echo"), "PUT", body=b"{}"),
        deadline=soon(),
    )
    assert echoed(reply)["method"] == "GET"


async def test_head_stays_head_after_303(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(
        request(upstream.url("/redirect?code=303&to=/echo"), "HEAD"), deadline=soon()
    )
    assert reply.status == 200
    assert reply.body == b""
    assert [seen["method"] for seen in upstream.received] == ["HEAD", "HEAD"]


@pytest.mark.parametrize("code", [307, 308])
async def test_307_and_308_keep_method_and_body(
    trusting: Transport, upstream: Upstream, code: int
) -> None:
    reply = await trusting.send(
        request(upstream.url(f"/redirect?code={code}&to=/echo"), "PATCH", body=b'{"b": 2}'),
        deadline=soon(),
    )
    seen = echoed(reply)
    assert (seen["method"], seen["body"]) == ("PATCH", '{"b": 2}')


async def test_five_redirects_are_followed(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(request(upstream.url("/hops?n=5")), deadline=soon())
    assert (reply.status, reply.redirects) == (200, 5)
    assert json.loads(reply.body) == {"arrived": True}


async def test_more_than_five_redirects_is_an_error(
    trusting: Transport, upstream: Upstream
) -> None:
    with pytest.raises(ConnectError, match="too many redirects"):
        await trusting.send(request(upstream.url("/hops?n=6")), deadline=soon())
    assert len(upstream.received) == 6


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def https_redirector(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """An https server on 127.0.0.1 whose /redirect answers like the plain upstream's."""

    async def redirect(incoming: web.Request) -> web.Response:
        code = int(incoming.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": incoming.query["to"]})

    app = web.Application()
    app.router.add_get("/redirect", redirect)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_https_to_http_downgrade_is_refused(
    upstream: Upstream, https_redirector: str, certificate: tuple[Path, Path]
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    async with Transport(LOOPBACK_NET, ssl_context=trust) as transport:
        with pytest.raises(EgressBlocked, match="redirected from https to http"):
            await transport.send(
                request(f"{https_redirector}/redirect?to={upstream.url('/echo')}"),
                deadline=soon(),
            )
    assert upstream.received == []


async def test_untrusted_certificate_is_a_connect_error(
    trusting: Transport, https_redirector: str
) -> None:
    with pytest.raises(ConnectError, match=r"TLS certificate of 127.0.0.1:.* is not valid"):
        await trusting.send(request(f"{https_redirector}/redirect?to=/"), deadline=soon())


async def test_slow_upstream_times_out_on_the_deadline(
    trusting: Transport, upstream: Upstream
) -> None:
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        await trusting.send(request(upstream.url("/slow?seconds=3")), deadline=started + 1.0)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed <= 1.1
    assert caught.value.message == (
        "timeout: no response within 1.0 s (while waiting for the response)"
    )


async def test_timeout_while_sending_a_body_says_waiting_once_sent(
    trusting: Transport, upstream: Upstream
) -> None:
    with pytest.raises(Timeout, match=r"\(while waiting for the response\)"):
        await trusting.send(
            request(upstream.url("/slow?seconds=1.5"), "POST", body=b"x" * 200_000),
            deadline=soon(0.5),
        )


async def test_timeout_while_reading_the_body(trusting: Transport, upstream: Upstream) -> None:
    with pytest.raises(Timeout) as caught:
        await trusting.send(request(upstream.url("/drip?seconds=1.5")), deadline=soon(0.5))
    assert caught.value.message == (
        "timeout: the response did not complete within 0.5 s (while reading the response body)"
    )


async def test_an_expired_deadline_sends_nothing(trusting: Transport, upstream: Upstream) -> None:
    with pytest.raises(Timeout):
        await trusting.send(request(upstream.url("/echo")), deadline=time.monotonic() - 1)
    assert upstream.received == []


async def test_response_over_the_cap_is_too_large(trusting: Transport, upstream: Upstream) -> None:
    with pytest.raises(TooLarge) as caught:
        await trusting.send(request(upstream.url("/big")), deadline=soon())
    assert caught.value.message == "too_large: the response is larger than 10 MiB"


async def test_streamed_response_over_a_small_cap(upstream: Upstream) -> None:
    async with Transport(LOOPBACK_NET, max_response_bytes=100_000) as transport:
        reply = await transport.send(request(upstream.url("/big?bytes=100000")), deadline=soon())
        assert len(reply.body) == 100_000
        with pytest.raises(TooLarge, match="larger than 100000 bytes"):
            await transport.send(request(upstream.url("/big?bytes=100001")), deadline=soon())


async def test_gzip_bomb_is_too_large(trusting: Transport, upstream: Upstream) -> None:
    with pytest.raises(TooLarge):
        await trusting.send(request(upstream.url("/gzip-bomb")), deadline=soon(20))


async def test_gzip_bomb_is_refused_without_a_memory_spike(
    trusting: Transport, upstream: Upstream
) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            await trusting.send(
                request(upstream.url("/gzip-bomb-streamed?bytes=268435456")), deadline=soon(20)
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024


async def test_gzip_body_is_decoded(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(request(upstream.url("/gzip")), deadline=soon())
    assert json.loads(reply.body) == {"zipped": True}
    assert ("Content-Encoding", "gzip") in reply.headers


@pytest.mark.parametrize("raw", ["0", "1"])
async def test_deflate_body_is_decoded(trusting: Transport, upstream: Upstream, raw: str) -> None:
    reply = await trusting.send(request(upstream.url(f"/deflate?raw={raw}")), deadline=soon())
    assert json.loads(reply.body) == {"deflated": True}


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip,%20gzip", "gzip,deflate"])
async def test_other_encodings_are_invalid_responses(
    trusting: Transport, upstream: Upstream, encoding: str
) -> None:
    with pytest.raises(InvalidResponse, match="decodes only gzip and deflate"):
        await trusting.send(request(upstream.url(f"/encoded?as={encoding}")), deadline=soon())


async def test_corrupt_gzip_is_an_invalid_response(trusting: Transport, upstream: Upstream) -> None:
    with pytest.raises(InvalidResponse, match="corrupt"):
        await trusting.send(request(upstream.url("/encoded?as=gzip")), deadline=soon())


async def test_decoded_size_counts_against_the_cap(upstream: Upstream) -> None:
    assert len(gzip.compress(b'{"zipped": true}')) < 40
    async with Transport(LOOPBACK_NET, max_response_bytes=10) as transport:
        with pytest.raises(TooLarge):
            await transport.send(request(upstream.url("/gzip")), deadline=soon())


async def test_head_has_no_body(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(request(upstream.url("/text"), "HEAD"), deadline=soon())
    assert (reply.status, reply.body) == (200, b"")
    assert upstream.received[0]["method"] == "HEAD"


async def test_non_2xx_is_a_reply_not_an_error(trusting: Transport, upstream: Upstream) -> None:
    reply = await trusting.send(request(upstream.url("/status/503")), deadline=soon())
    assert reply.status == 503
    assert json.loads(reply.body)["error"]["code"] == 503


async def test_connection_refused_is_a_connect_error(trusting: Transport) -> None:
    port = closed_port()
    with pytest.raises(ConnectError, match=f"connect_error: could not connect to 127.0.0.1:{port}"):
        await trusting.send(request(f"http://127.0.0.1:{port}/"), deadline=soon())


async def test_unknown_host_is_a_connect_error(trusting: Transport) -> None:
    with pytest.raises(ConnectError, match=r"could not resolve the host nowhere.example"):
        await trusting.send(request("http://nowhere.example/"), deadline=soon())


async def test_connections_are_pooled(trusting: Transport, upstream: Upstream) -> None:
    for _ in range(3):
        reply = await trusting.send(request(upstream.url("/text")), deadline=soon())
        assert reply.body == b"plain words"
    assert len(upstream.received) == 3


async def test_transport_is_built_lazily_and_closes_cleanly(upstream: Upstream) -> None:
    transport = Transport(LOOPBACK_NET)
    await transport.close()
    reply = await transport.send(request(upstream.url("/text")), deadline=soon())
    assert reply.body == b"plain words"
    await transport.close()
    await transport.close()


async def test_an_allowed_endpoint_reaches_only_its_port(upstream: Upstream) -> None:
    policy = EgressPolicy.from_setting(f"127.0.0.1:{upstream.port}")
    async with Transport(policy) as transport:
        reply = await transport.send(
            OutgoingRequest(method="GET", url=upstream.url("/echo"), headers=()),
            deadline=time.monotonic() + 5,
        )
        assert reply.status == 200
        with pytest.raises(EgressBlocked):
            await transport.send(
                OutgoingRequest(method="GET", url="http://127.0.0.1:6379/", headers=()),
                deadline=time.monotonic() + 5,
            )


# aiohttp's advice for bodies over 1 MiB; this one must outgrow the kernel's socket buffers.
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_timeout_while_the_upstream_takes_no_body_says_sending(trusting: Transport) -> None:
    # A listener that never accepts: the kernel completes the handshake, nobody reads.
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        body = b"x" * (16 * 1024 * 1024)  # more than the kernel buffers (send: up to 4 MiB)
        with pytest.raises(Timeout) as caught:
            await trusting.send(
                request(f"http://127.0.0.1:{port}/", "POST", body=body), deadline=soon(0.5)
            )
    assert caught.value.message == "timeout: no response within 0.5 s (while sending the request)"


async def test_after_a_timeout_the_task_carries_no_cancel_request(
    trusting: Transport, upstream: Upstream
) -> None:
    with pytest.raises(Timeout):
        await trusting.send(request(upstream.url("/slow?seconds=2")), deadline=soon(0.2))
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0.01)  # a later await is not cancelled


async def test_a_cancellation_from_outside_is_not_a_timeout(
    trusting: Transport, upstream: Upstream
) -> None:
    with pytest.raises(TimeoutError) as caught:
        async with asyncio.timeout(0.2):
            await trusting.send(request(upstream.url("/slow?seconds=2")), deadline=soon(5))
    assert not isinstance(caught.value, Timeout)
    sending = asyncio.create_task(
        trusting.send(request(upstream.url("/slow?seconds=2")), deadline=soon(5))
    )
    await asyncio.sleep(0.2)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending


class SlowNameServer(AbstractResolver):
    """Answers every name with 127.0.0.1 after `seconds`, as a slow DNS server would."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        await asyncio.sleep(self.seconds)
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_timeout_while_resolving_the_host(upstream: Upstream) -> None:
    policy = EgressPolicy.from_setting("api.example.com,127.0.0.0/8")
    async with Transport(policy, dns=SlowNameServer(2.0)) as transport:
        with pytest.raises(Timeout) as caught:
            await transport.send(
                request(f"http://api.example.com:{upstream.port}/echo"), deadline=soon(0.3)
            )
    assert caught.value.message == "timeout: no response within 0.3 s (while resolving the host)"


async def test_a_name_resolved_in_time_is_sent_to_the_checked_address(upstream: Upstream) -> None:
    policy = EgressPolicy.from_setting("api.example.com,127.0.0.0/8")
    async with Transport(policy, dns=SlowNameServer(0.05)) as transport:
        reply = await transport.send(
            request(f"http://api.example.com:{upstream.port}/echo"), deadline=soon()
        )
    assert reply.status == 200
    assert header(echoed(reply), "Host") == [f"api.example.com:{upstream.port}"]
