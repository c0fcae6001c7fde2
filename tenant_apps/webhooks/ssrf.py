"""The SSRF guard of webhook deliveries: where a tenant's URL may make the platform connect.

Every attempt resolves the host name, refuses it unless *every* address it resolves to is public
(no loopback, RFC 1918 / unique-local, link-local with the cloud metadata address
169.254.169.254, multicast, reserved or unspecified; IPv4-mapped and NAT64-style IPv6 are judged
by the IPv4 address inside), and then connects to the address it vetted (``Target.ip``) while
sending the name as Host header and TLS SNI (transport.py). A DNS answer that changes between
the check and the connection (DNS rebinding) therefore cannot move the connection elsewhere.

``WEBHOOK_ALLOWED_HOSTS`` lists host names and networks (CIDR) that may be private anyway: a
test receiver on loopback, an on-premises receiver. ``WEBHOOK_REQUIRE_HTTPS`` (on in
production) refuses plain http.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(Exception):
    """The URL may not be delivered to; the message says why (shown in the delivery log)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name, for Host and SNI
    port: int
    ip: str  # the vetted address the connection goes to
    path: str  # path and query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", ()):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 well-known prefix
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return is_public(inner)
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified):
        return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return False  # carrier-grade NAT: not reachable from the internet
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return ip.is_global


def url_check(url: str) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and path; raises UnsafeTarget for what can be refused
    without resolving (scheme, credentials, a literal private address)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"Not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("The URL must start with https:// (or http:// where allowed).")
    if scheme == "http" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise UnsafeTarget("The URL must use https.")
    if parts.username or parts.password:
        raise UnsafeTarget("The URL must not contain credentials.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeTarget("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    names, networks = _allow_list()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not _allowed(literal, host, names, networks):
        raise UnsafeTarget(f"{host} is not a public address.")
    if literal is None and host in ("localhost",) and host not in names:
        raise UnsafeTarget("localhost is not a public address.")
    return scheme, host, port, path


def _allowed(ip: IPAddress, host: str, names: set[str], networks: list) -> bool:
    if host in names:
        return True
    if any(ip in network for network in networks):
        return True
    inner = _embedded_ipv4(ip)
    if inner is not None and any(inner in network for network in networks):
        return True
    return is_public(ip)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a seam for tests: a name that resolves to a private
    address)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def target_vet(url: str) -> Target:
    """Resolve and vet ``url`` for one attempt; the returned Target pins the address."""
    scheme, host, port, path = url_check(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} does not resolve: {exc}.") from None
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve.")
    names, networks = _allow_list()
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not _allowed(ip, host, names, networks):
            # One private answer is enough to refuse: a resolver returning a mix is exactly how
            # a rebinding attack would try its luck.
            raise UnsafeTarget(f"{host} resolves to {ip}, which is not a public address.")
    return Target(scheme=scheme, host=host, port=port, ip=addresses[0], path=path)
