"""The egress guard: the policy setting, which addresses are refused, IP literals, the resolver."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from hooksmith.engine.egress import (
    EgressPolicy,
    GuardedResolver,
    blocked,
    check_host,
    check_path,
    parse_ip_literal,
    refusal,
)
from hooksmith.engine.errors import EgressBlocked

DEFAULT = EgressPolicy()

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("169.254.169.254", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("192.0.0.8", "IETF"),
    ("192.0.2.10", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("100::1", "discard"),
    ("2001::1", "IETF"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:10::1", "IETF"),
    ("2001:db8::1", "documentation"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
]

UNWRAPPED = [
    ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "169.254.169.254", "link-local"),
    ("::ffff:10.1.2.3", "10.1.2.3", "private"),
    ("::127.0.0.1", "127.0.0.1", "loopback"),
    ("::ffff:0:192.168.0.1", "192.168.0.1", "private"),
    ("64:ff9b::127.0.0.1", "127.0.0.1", "loopback"),
    ("64:ff9b::a9fe:a9fe", "169.254.169.254", "link-local"),
    ("64:ff9b:1::10.0.0.1", "10.0.0.1", "private"),
    ("2002:7f00:1::1", "127.0.0.1", "loopback"),
    ("2002:a9fe:a9fe::", "169.254.169.254", "link-local"),
    ("2002:c0a8:101::1", "192.168.1.1", "private"),
]

ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:93.184.216.34",
    "64:ff9b::8.8.8.8",
    "2002:5db8:d822::1",
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_refusal_names_the_kind_and_the_address(address: str, kind: str) -> None:
    reason = refusal(ipaddress.ip_address(address), DEFAULT)
    assert reason is not None
    assert kind in reason
    assert str(ipaddress.ip_address(address)) in reason


@pytest.mark.parametrize(("address", "embedded", "kind"), UNWRAPPED)
def test_ipv6_forms_are_judged_by_their_embedded_ipv4(
    address: str, embedded: str, kind: str
) -> None:
    reason = refusal(ipaddress.ip_address(address), DEFAULT)
    assert reason is not None
    assert f"{kind}" in reason
    assert embedded in reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), DEFAULT) is None


def test_refusal_message_example() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), DEFAULT) == "loopback address 127.0.0.1"


def test_allowed_networks_exempt_addresses_and_their_mapped_forms() -> None:
    policy = EgressPolicy.from_setting("127.0.0.0/8,fd00::/8")
    assert refusal(ipaddress.ip_address("127.0.0.2"), policy) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), policy) is None
    assert refusal(ipaddress.ip_address("fd00::5"), policy) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), policy) is not None
    assert refusal(ipaddress.ip_address("::1"), policy) is not None


def test_policy_parses_cidrs_addresses_and_host_names() -> None:
    policy = EgressPolicy.from_setting(" 10.0.0.0/8, 127.0.0.1 ,[::1], Internal.Example.,,fd00::/8")
    assert policy.allow_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert policy.allow_hosts == frozenset({"internal.example"})
    assert policy.is_allowed_host("INTERNAL.example")
    assert policy.is_allowed_host("internal.example.")
    assert not policy.is_allowed_host("other.example")


@pytest.mark.parametrize("value", [None, "", " , "])
def test_empty_setting_allows_nothing(value: str | None) -> None:
    assert EgressPolicy.from_setting(value) == EgressPolicy()


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("10.0.0.0/8,10.0.0.1/8", "'10.0.0.1/8'"),
        ("300.1.2.3/8", "'300.1.2.3/8'"),
        ("fd00::/200", "'fd00::/200'"),
        ("ok.example,bad_host!", "'bad_host!'"),
        ("0x7f.1", "'0x7f.1'"),
        ("-leading.example", "'-leading.example'"),
    ],
)
def test_bad_setting_entries_are_named(value: str, bad: str) -> None:
    with pytest.raises(ValueError, match="HOOKSMITH_EGRESS_ALLOW") as caught:
        EgressPolicy.from_setting(value)
    assert bad in str(caught.value)


def test_host_bits_error_suggests_the_network() -> None:
    with pytest.raises(ValueError, match=r"did you mean 10\.0\.0\.0/8"):
        EgressPolicy.from_setting("10.0.0.1/8")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[fe80::1%25eth0]", "fe80::1%eth0"),
    ],
)
def test_parse_ip_literal_reads_every_notation(host: str, expected: str) -> None:
    assert parse_ip_literal(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "localhost",
        "1.2.3.4.5",
        "256.1.1.1",
        "4294967296",
        "08.1.1.1",
        "1_0.0.0.1",
        "\uff11\uff12\uff17.\uff10.\uff10.\uff11",
        "[not-ipv6]",
        "",
        "0x7g.1",
    ],
)
def test_parse_ip_literal_returns_none_for_names(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "0xa9.0xfe.0xa9.0xfe",
    ],
)
def test_check_host_refuses_literals_in_any_notation(host: str) -> None:
    with pytest.raises(EgressBlocked, match=r"egress_blocked: .*operator can exempt"):
        check_host(host, DEFAULT)


def test_check_host_message() -> None:
    with pytest.raises(EgressBlocked) as caught:
        check_host("127.0.0.1", DEFAULT)
    assert caught.value.message == (
        "egress_blocked: 127.0.0.1 is a loopback address; hooksmith does not send to private "
        "or reserved networks (the server's operator can exempt trusted ones)"
    )
    assert caught.value.kind == "egress_blocked"
    with pytest.raises(EgressBlocked, match=r"2130706433 is 127.0.0.1, a loopback address"):
        check_host("2130706433", DEFAULT)


def test_check_host_lets_names_and_allowed_hosts_pass() -> None:
    check_host("example.com", DEFAULT)
    check_host("93.184.216.34", DEFAULT)
    check_host("127.0.0.1", EgressPolicy.from_setting("127.0.0.1"))


class FixedResolver(AbstractResolver):
    """A resolver that answers every name with fixed addresses (a stand-in for DNS)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


async def test_resolver_returns_exactly_the_checked_addresses() -> None:
    resolver = GuardedResolver(DEFAULT, inner=FixedResolver("93.184.216.34", "2606:4700::1111"))
    results = await resolver.resolve("example.com", 443)
    assert [result["host"] for result in results] == ["93.184.216.34", "2606:4700::1111"]
    assert all(result["port"] == 443 for result in results)


async def test_resolver_refuses_when_any_address_is_refused() -> None:
    resolver = GuardedResolver(DEFAULT, inner=FixedResolver("93.184.216.34", "10.0.0.7"))
    with pytest.raises(EgressBlocked, match=r"rebind.example resolves to 10.0.0.7, a private"):
        await resolver.resolve("rebind.example", 80)


async def test_resolver_exempts_allowed_hosts_and_networks() -> None:
    by_name = GuardedResolver(
        EgressPolicy.from_setting("db.internal"), inner=FixedResolver("10.0.0.7")
    )
    assert [r["host"] for r in await by_name.resolve("DB.internal", 5432)] == ["10.0.0.7"]
    by_network = GuardedResolver(
        EgressPolicy.from_setting("10.0.0.0/24"), inner=FixedResolver("10.0.0.7")
    )
    assert [r["host"] for r in await by_network.resolve("anything.example")] == ["10.0.0.7"]


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "localhost.",
        "LOCALHOST",
        "x.localhost",
        "printer.local",
        "db.internal",
        "nas.home.arpa",
        "a.b.invalid",
    ],
)
async def test_special_use_names_are_refused_by_name_before_any_lookup(name: str) -> None:
    # The resolver would answer a public address: the name alone is refused.
    resolver = GuardedResolver(DEFAULT, inner=FixedResolver("93.184.216.34"))
    with pytest.raises(EgressBlocked, match=r"special-use name"):
        await resolver.resolve(name, 80, socket.AF_UNSPEC)
    with pytest.raises(EgressBlocked, match=r"special-use name"):
        check_host(name, DEFAULT)
    await resolver.close()


async def test_a_special_use_name_the_operator_allows_by_name_passes() -> None:
    policy = EgressPolicy.from_setting("printer.local")
    resolver = GuardedResolver(policy, inner=FixedResolver("93.184.216.34"))
    check_host("printer.local", policy)
    assert [r["host"] for r in await resolver.resolve("printer.local", 80)] == ["93.184.216.34"]
    await resolver.close()


def test_names_that_merely_contain_a_special_word_pass() -> None:
    for name in ("localhost.example.com", "local.example", "internal-api.example.com"):
        check_host(name, DEFAULT)


async def test_resolver_closes_its_inner_resolver() -> None:
    inner = FixedResolver("93.184.216.34")
    await GuardedResolver(DEFAULT, inner=inner).close()
    assert inner.closed


def test_local_nat64_prefix_is_read_in_every_rfc6052_layout() -> None:
    # Read with a /96, /64 or /56 prefix this is 8.8.8.8; with a /48 prefix it is 127.8.8.8.
    reason = refusal(ipaddress.ip_address("64:ff9b:1:7f08:8:808:808:808"), DEFAULT)
    assert reason is not None
    assert "loopback address 127.8.8.8" in reason


def test_an_endpoint_entry_exempts_one_port_only() -> None:
    policy = EgressPolicy.from_setting("127.0.0.1:8000, [::1]:9000")
    loopback = ipaddress.ip_address("127.0.0.1")
    assert blocked("127.0.0.1", loopback, policy, 8000) is None
    assert blocked("127.0.0.1", loopback, policy, 6379) is not None
    assert blocked("127.0.0.1", loopback, policy) is not None
    assert blocked("::1", ipaddress.ip_address("::1"), policy, 9000) is None


def test_an_endpoint_entry_needs_a_valid_port() -> None:
    with pytest.raises(ValueError, match="no valid port"):
        EgressPolicy.from_setting("127.0.0.1:70000")


def test_an_endpoint_with_a_path_exempts_that_path_only() -> None:
    policy = EgressPolicy.from_setting("127.0.0.1:8000/echo")
    assert policy.allow_endpoints == frozenset()
    check_host("127.0.0.1", policy, 8000)
    for path in ("/echo", "/echo/", "/echo/orders/1"):
        check_path("127.0.0.1", policy, 8000, path)
    for path in ("/api/v1/me", "/", "/login", "/echoes", "/echo/../api/v1/me"):
        with pytest.raises(EgressBlocked, match=r"this server's own API; .* only its /echo"):
            check_path("127.0.0.1", policy, 8000, path)
    for host in ("2130706433", "0x7f.1", "::ffff:127.0.0.1"):
        with pytest.raises(EgressBlocked, match="own API"):
            check_path(host, policy, 8000, "/api/v1/me")
    check_path("127.0.0.1", policy, 8001, "/api/v1/me")  # another port: check_host refuses it
    with pytest.raises(EgressBlocked, match="loopback"):
        check_host("127.0.0.1", policy, 8001)


def test_an_endpoint_path_must_name_a_path() -> None:
    for entry in ("127.0.0.1:8000/", "127.0.0.1:8000/echo/../api"):
        with pytest.raises(ValueError, match="needs a path such as /echo"):
            EgressPolicy.from_setting(entry)


async def test_a_name_never_reaches_the_servers_own_endpoint() -> None:
    class Loopback(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            return [
                ResolveResult(
                    hostname=host, host="127.0.0.1", port=port, family=family, proto=0, flags=0
                )
            ]

        async def close(self) -> None:
            return None

    # Even when the operator trusts loopback, the server's own port is not reached by name.
    policy = EgressPolicy.from_setting("127.0.0.0/8, 127.0.0.1:8000/echo")
    resolver = GuardedResolver(policy, inner=Loopback())
    with pytest.raises(EgressBlocked, match="this server's own address"):
        await resolver.resolve("self.example", 8000)
    assert await resolver.resolve("self.example", 8001)
