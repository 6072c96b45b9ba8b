"""The egress guard: which addresses a webhook may reach, checked before and after DNS.

See docs/design.md#sending.

A request may not reach loopback, private, link-local (cloud metadata), unique-local,
multicast, unspecified, reserved or documentation networks, whatever notation names them.
IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged
by that embedded address. `GuardedResolver` checks every address a DNS name resolves to and
hands aiohttp only those checked addresses, so the address checked is the address connected
to. `HOOKSMITH_EGRESS_ALLOW` (see `EgressPolicy.from_setting`) exempts what the operator trusts;
an `address:port/path` entry (how `hooksmith serve` lets the demo reach its own echo endpoint)
exempts that path only, by literal address, and `check_path` refuses every other path there.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Final

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hooksmith.engine.errors import EgressBlocked

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Explicit deny lists: Python's `is_private`/`is_global` flags differ between versions and
# miss ranges (CGNAT is not "private", 192.0.0.0/24 and 198.18.0.0/15 vary), so the ranges
# are named here and the flags are only a second net. Immutable constants.
_DENIED: Final[tuple[tuple[IPNetwork, str], ...]] = tuple(
    (ipaddress.ip_network(cidr), kind)
    for cidr, kind in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol-assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol-assignment (incl. Teredo)"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "segment-routing"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_AN: Final = frozenset({"unspecified", "unspecified ('this network')", "IETF protocol-assignment"})
_IPV4_MAPPED: Final = ipaddress.IPv6Network("::ffff:0:0/96")
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED: Final = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN: Final = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR: Final = ipaddress.IPv6Network("2002::/16")
_LAST_32_BITS: Final = (_IPV4_MAPPED, _IPV4_COMPATIBLE, _IPV4_TRANSLATED, _NAT64_WELL_KNOWN)
_V4_PART: Final = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*", re.ASCII)
_HOST_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)
_SETTING: Final = "HOOKSMITH_EGRESS_ALLOW"
_ENDPOINT: Final = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<v4>[0-9.]+)):(?P<port>[0-9]{1,5})(?P<path>/[^\s]*)?"
)


def _normal_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


@dataclass(frozen=True)
class EgressPolicy:
    """Networks and host names the operator exempts from the egress guard (default: none).

    >>> EgressPolicy.from_setting("127.0.0.0/8, api.internal").is_allowed_host("API.internal")
    True
    """

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_hosts: frozenset[str] = frozenset()
    allow_endpoints: frozenset[tuple[IPAddress, int]] = frozenset()  # one address and port
    # The server's own address and port, reachable on one path (and below it) only.
    own_endpoints: frozenset[tuple[IPAddress, int, str]] = frozenset()

    @classmethod
    def from_setting(cls, value: str | None) -> EgressPolicy:
        """Parse `HOOKSMITH_EGRESS_ALLOW`: comma-separated CIDRs, IP addresses and host names.

        >>> EgressPolicy.from_setting("10.1.0.0/16,::1").allow_networks[1]
        IPv6Network('::1/128')
        """
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        endpoints: set[tuple[IPAddress, int]] = set()
        own: set[tuple[IPAddress, int, str]] = set()
        for raw in (value or "").split(","):
            entry = raw.strip()
            if not entry:
                continue
            if (endpoint := _endpoint(entry)) is not None:
                address, port, path = endpoint
                if path is None:
                    endpoints.add((address, port))
                else:
                    own.add((address, port, path))
                continue
            address_text = entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry
            try:
                networks.append(ipaddress.ip_network(address_text))
                continue
            except ValueError as exc:
                if "/" in entry or ":" in entry:
                    loose = _loose_network(address_text)
                    hint = f"; did you mean {loose}?" if loose else ""
                    raise ValueError(
                        f"{_SETTING}: {entry!r} is not a valid CIDR or IP address ({exc}){hint}"
                    ) from None
            name = _normal_host(entry)
            if parse_ip_literal(name) is not None:
                raise ValueError(
                    f"{_SETTING}: {entry!r} looks like an IP address in a legacy notation; "
                    "write it in dotted-decimal or CIDR form"
                )
            if not all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
                raise ValueError(
                    f"{_SETTING}: {entry!r} is not a CIDR, an IP address or a host name"
                )
            hosts.add(name)
        return cls(
            allow_networks=tuple(networks),
            allow_hosts=frozenset(hosts),
            allow_endpoints=frozenset(endpoints),
            own_endpoints=frozenset(own),
        )

    def is_allowed_host(self, host: str) -> bool:
        """Whether the host name is exempted by name (case and a trailing dot ignored).

        >>> EgressPolicy(allow_hosts=frozenset({"db.local"})).is_allowed_host("DB.local.")
        True
        """
        return bool(self.allow_hosts) and _normal_host(host) in self.allow_hosts

    def allows_network_of(self, address: IPAddress) -> bool:
        """Whether the address lies inside one of the exempted networks."""
        return any(address.version == net.version and address in net for net in self.allow_networks)

    def own_path(self, address: IPAddress, port: int | None) -> str | None:
        """The one path webhooks may reach at this address and port when it is the server's
        own (an IPv6 form embedding the address counts), else None."""
        if not self.own_endpoints or port is None:
            return None
        candidates: tuple[IPAddress, ...] = (address,)
        if isinstance(address, ipaddress.IPv6Address):
            plain = ipaddress.IPv6Address(int(address))
            candidates = (plain, *_embedded_ipv4(plain))
        for own_address, own_port, path in self.own_endpoints:
            if own_port == port and own_address in candidates:
                return path
        return None


def _endpoint(entry: str) -> tuple[IPAddress, int, str | None] | None:
    """`127.0.0.1:8000`, `[::1]:8000` or `127.0.0.1:8000/echo` as (address, port, path); None
    for any other entry."""
    match = _ENDPOINT.fullmatch(entry)
    if match is None:
        return None
    try:
        address = ipaddress.ip_address(match["v6"] or match["v4"])
    except ValueError:
        return None
    port = int(match["port"])
    if not 0 < port < 65536:
        raise ValueError(f"{_SETTING}: {entry!r} has no valid port")
    path = match["path"]
    if path is not None:
        path = path.rstrip("/")
        if not path or ".." in path.split("/"):
            raise ValueError(f"{_SETTING}: {entry!r} needs a path such as /echo after the port")
    return address, port, path


def _loose_network(text: str) -> str | None:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4...)."""
    n = int(address)
    if any(address in net for net in _LAST_32_BITS):
        return (ipaddress.IPv4Address(n & 0xFFFFFFFF),)
    if address in _SIX_TO_FOUR:
        return (ipaddress.IPv4Address((n >> 80) & 0xFFFFFFFF),)
    if address in _NAT64_LOCAL:
        # RFC 6052 lets a local NAT64 prefix be /48, /56, /64 or /96, each placing the IPv4
        # bits differently (skipping bits 64-71); every reading must be acceptable.
        return (
            ipaddress.IPv4Address(n & 0xFFFFFFFF),
            ipaddress.IPv4Address((n >> 24) & 0xFFFFFFFF),
            ipaddress.IPv4Address(((n >> 64) & 0xFF) << 24 | (n >> 32) & 0xFFFFFF),
            ipaddress.IPv4Address(((n >> 64) & 0xFFFF) << 16 | (n >> 40) & 0xFFFF),
        )
    return ()


def _kind(address: IPAddress) -> str | None:
    """The kind of refused network the address belongs to, or None for a public address."""
    for network, kind in _DENIED:
        if address.version == network.version and address in network:
            return kind
    flags = (
        ("loopback", address.is_loopback),
        ("private", address.is_private),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("non-global", not address.is_global),
    )
    return next((kind for kind, flagged in flags if flagged), None)


def _judge(
    address: IPAddress, policy: EgressPolicy, port: int | None = None
) -> tuple[str, IPAddress] | None:
    """The (kind, offending address) that makes an address refused, or None."""
    if policy.allows_network_of(address) or (address, port) in policy.allow_endpoints:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        plain = address if address.scope_id is None else ipaddress.IPv6Address(int(address))
        if plain in (ipaddress.IPv6Address(0), ipaddress.IPv6Address(1)):
            return _kind(plain) or "reserved", address
        embedded = _embedded_ipv4(plain)
        if embedded:
            for inner in embedded:
                if not policy.allows_network_of(inner) and (kind := _kind(inner)):
                    return kind, inner
            return None
    kind = _kind(address)
    return None if kind is None else (kind, address)


def refusal(address: IPAddress, policy: EgressPolicy) -> str | None:
    """Why this address is refused (e.g. 'loopback address 127.0.0.1'), or None when allowed.

    >>> refusal(ipaddress.ip_address("::ffff:169.254.169.254"), EgressPolicy())
    'link-local (cloud metadata) address 169.254.169.254 (embedded in ::ffff:a9fe:a9fe)'
    >>> refusal(ipaddress.ip_address("93.184.216.34"), EgressPolicy()) is None
    True
    """
    verdict = _judge(address, policy)
    if verdict is None:
        return None
    kind, offender = verdict
    embedded = f" (embedded in {address})" if offender != address else ""
    return f"{kind} address {offender}{embedded}"


def blocked(
    host: str, address: IPAddress, policy: EgressPolicy, port: int | None = None
) -> EgressBlocked | None:
    """The EgressBlocked error for reaching `host` at `address`, or None when it is allowed.

    >>> blocked("localhost", ipaddress.ip_address("127.0.0.1"), EgressPolicy()) is not None
    True
    """
    verdict = _judge(address, policy, port)
    if verdict is None:
        return None
    kind, offender = verdict
    article = "an" if kind in _AN else "a"
    shown = _normal_host(host)
    if shown == str(address) and offender == address:
        what = f"{address} is {article} {kind} address"
    elif offender != address:
        verb = "is" if parse_ip_literal(host) is not None else "resolves to"
        what = f"{host} {verb} {address}, which embeds {article} {kind} address {offender}"
    elif parse_ip_literal(host) is not None:
        what = f"{host} is {address}, {article} {kind} address"
    else:
        what = f"{host} resolves to {address}, {article} {kind} address"
    return EgressBlocked(
        f"egress_blocked: {what}; hooksmith does not send to private or reserved networks "
        "(the server's operator can exempt trusted ones)",
        field="url",
    )


def check_host(host: str, policy: EgressPolicy, port: int | None = None) -> None:
    """Refuse (EgressBlocked) a URL host that is a refused IP literal in any notation.

    A DNS name passes here; `GuardedResolver` checks what it resolves to.

    >>> check_host("example.com", EgressPolicy())
    """
    if policy.is_allowed_host(host):
        return
    refuse_special_use(host)
    address = parse_ip_literal(host)
    if address is not None and policy.own_path(address, port) is not None:
        return  # the server's own endpoint: `check_path` decides, on every request
    if address is not None and (error := blocked(host, address, policy, port)) is not None:
        raise error


def check_path(host: str, policy: EgressPolicy, port: int | None, path: str) -> None:
    """Refuse (EgressBlocked) a request to the server's own address and port outside the one
    path exempted there, e.g. its API beside the demo's `/echo`.

    >>> own = EgressPolicy.from_setting("127.0.0.1:8000/echo")
    >>> check_path("127.0.0.1", own, 8000, "/echo/orders/1")
    """
    address = parse_ip_literal(host)
    if address is None:
        return
    allowed = policy.own_path(address, port)
    if allowed is None:
        return
    inside = path == allowed or path.startswith(allowed + "/")
    if inside and ".." not in path.split("/"):
        return
    raise EgressBlocked(
        f"egress_blocked: {host}:{port}{path} is this server's own API; webhooks may reach "
        f"only its {allowed} endpoint",
        field="url",
    )


# Names that must never leave the machine or the local network (RFC 6761 localhost, RFC 6762
# mDNS .local, RFC 8375 .home.arpa, ICANN's .internal, RFC 6761 .invalid), refused by name
# before any lookup, whatever a resolver would answer.
SPECIAL_USE_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "invalid")


def refuse_special_use(host: str) -> None:
    """Refuse (EgressBlocked) a special-use name such as `localhost.` or `printer.local`.

    >>> refuse_special_use("api.example.com")
    """
    name = _normal_host(host)
    for suffix in SPECIAL_USE_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            raise EgressBlocked(
                f"egress_blocked: {host} is a special-use name (.{suffix}) that never leaves "
                f"this machine or network (the server's operator can exempt it by name)",
                field="url",
            )


def _parse_ipv4_part(text: str) -> int | None:
    if not _V4_PART.fullmatch(text):
        return None
    if text[:2] in ("0x", "0X"):
        return int(text[2:] or "0", 16)
    if text.startswith("0"):
        return int(text, 8)
    return int(text)


def _parse_legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_parse_ipv4_part(part) for part in parts]
    numbers = [value for value in values if value is not None]
    if len(numbers) != len(values):
        return None
    *leading, last = numbers
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (5 - len(numbers))):
        return None
    total = last
    for index, value in enumerate(leading):
        total |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(total)


def parse_ip_literal(host: str) -> IPAddress | None:
    """Parse a URL host the way browsers and resolvers do, or return None for a DNS name.

    Accepts dotted decimal, one number (2130706433), hex and octal parts (0x7f.1,
    0177.0.0.1), short forms (127.1) and IPv6 with or without brackets and a zone.

    >>> parse_ip_literal("0x7f.1"), parse_ip_literal("example.com")
    (IPv4Address('127.0.0.1'), None)
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.replace("%25", "%", 1))
        except ValueError:
            return None
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return _parse_legacy_ipv4(text) if text else None


class GuardedResolver(AbstractResolver):
    """Resolves names, refuses the lookup if any address is refused, and returns only those.

    aiohttp connects to exactly the addresses returned here (numeric, no second lookup),
    so a DNS answer that changes between check and connect cannot slip through.

    >>> connector = aiohttp.TCPConnector(resolver=GuardedResolver(EgressPolicy()))  # doctest: +SKIP
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        inner: AbstractResolver | None = None,
        trusted_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._policy = policy
        self._inner = inner
        self._trusted_hosts = frozenset(_normal_host(name) for name in trusted_hosts)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve `host` and return its addresses, raising EgressBlocked if any is refused."""
        trusted = self._policy.is_allowed_host(host) or _normal_host(host) in self._trusted_hosts
        if not trusted:
            refuse_special_use(host)
        if self._inner is None:
            self._inner = ThreadedResolver()
        results = await self._inner.resolve(host, port, family)
        if trusted:
            return results
        checked: list[ResolveResult] = []
        for result in results:
            try:
                address = ipaddress.ip_address(result["host"])
            except ValueError:
                raise EgressBlocked(
                    f"egress_blocked: {host} resolved to {result['host']!r}, "
                    "which is not an IP address",
                    field="url",
                ) from None
            error = blocked(host, address, self._policy, port or None)
            if error is None and self._policy.own_path(address, port or None) is not None:
                error = EgressBlocked(
                    f"egress_blocked: {host} resolves to this server's own address "
                    f"{address}; webhooks may reach only its echo endpoint, by address",
                    field="url",
                )
            if error is not None:
                raise error
            checked.append(result)
        return checked

    async def close(self) -> None:
        """Release the wrapped resolver."""
        if self._inner is not None:
            await self._inner.close()
