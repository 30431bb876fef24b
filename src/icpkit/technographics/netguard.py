"""SSRF guard for everything icpkit fetches: domain normalisation, address rules, pinned connections.

Technographic enrichment fetches URLs that come from user data (a CRM export's ``website`` column),
and redirects chosen by remote servers. Either can point at an internal address, so every hop is
checked, and checked *after* DNS resolution:

* :func:`check_url` refuses non-http(s) schemes, cloud-metadata host names, and any URL whose host
  resolves to a refused address (all addresses are checked, not just the first).
* :func:`address_rule` names the rule an address breaks: ``metadata``, ``unspecified``,
  ``loopback``, ``link-local``, ``multicast``, ``cgnat`` (100.64.0.0/10), ``private`` (RFC 1918,
  unique-local, site-local) or ``reserved`` (everything else that is not globally routable).
  IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by
  the embedded address; Teredo is refused outright because its client address is obfuscated.
* ``allow_private=True`` lifts only ``private``, ``loopback`` and ``cgnat`` (tests and intranet
  scans need that). Metadata endpoints, link-local, multicast and reserved addresses stay refused
  always: nothing legitimate about a company website lives there, and the metadata endpoints hand
  out cloud credentials.

DNS rebinding (a name that resolves to a public address when checked and a private one when
connected) is defeated by *pinning*: :class:`Resolver` resolves a host once per job, vets every
address, and caches the vetted list; :class:`GuardedBackend` is the httpcore network backend of the
transport built by :func:`guarded_transport`, and it connects only to those vetted IP addresses.
The name is never resolved a second time by anyone else, while TLS still verifies the certificate
against the host name (httpcore passes the URL host as ``server_hostname``). Environment proxies
are ignored by that transport, because a proxy would resolve names itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from icpkit.errors import InputError, NetworkRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Rules that ``allow_private=True`` lifts; every other rule always applies.
PRIVATE_RULES: frozenset[str] = frozenset({"private", "loopback", "cgnat"})

#: Cloud metadata / instance-credential endpoints (AWS, GCP, Azure, ECS, Alibaba).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
METADATA_HOSTS: frozenset[str] = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_ALLOWED_SCHEMES = ("http", "https")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries, if any (mapped, compatible, NAT64, 6to4)."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    value = int(addr)
    if value >> 32 == 0 and value > 1:  # ::a.b.c.d (deprecated IPv4-compatible); not :: or ::1
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if any(addr in net for net in _NAT64):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    return None


def address_rule(address: str | IPAddress) -> str | None:
    """The name of the rule ``address`` breaks, or None when it is a public unicast address."""
    addr = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            addr = ipaddress.IPv6Address(str(addr).split("%", 1)[0])
        if addr in METADATA_ADDRESSES:
            return "metadata"
        if addr.teredo is not None:
            return "reserved"
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            return address_rule(embedded)
    if addr in METADATA_ADDRESSES:
        return "metadata"
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr in _CGNAT:
        return "cgnat"
    if any(addr.version == net.version and addr in net for net in _PRIVATE_NETS):
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return None


def is_refused(rule: str | None, *, allow_private: bool) -> bool:
    """Whether a rule (from :func:`address_rule`) refuses the address under ``allow_private``."""
    return rule is not None and not (allow_private and rule in PRIVATE_RULES)


def _idna(host: str) -> str:
    try:
        import idna

        return idna.encode(host, uts46=True).decode("ascii")
    except ImportError:  # pragma: no cover - idna ships with httpx
        return host.encode("idna").decode("ascii")
    except Exception as exc:  # idna.IDNAError and UnicodeError
        raise InputError(f"not a valid domain: {host!r} ({exc})") from None


def _split(target: str) -> tuple[str | None, str, int | None, str]:
    """Split a domain or URL into (scheme, host, port, path+query); scheme is None if absent."""
    text = target.strip()
    if not text:
        raise InputError("empty domain")
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else "//" + text)
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"not a valid domain or URL: {target!r} (bad port)") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError(f"not a valid domain or URL: {target!r}")
    scheme = parts.scheme.lower() if has_scheme else None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path


def _clean_host(host: str) -> str:
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not host.isascii():
        host = _idna(host)
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if len(host) > 253 or any(
        not label or len(label) > 63 or not all(c.isalnum() or c in "-_" for c in label)
        for label in labels
    ):
        raise InputError(f"not a valid domain: {host!r}")
    return host


def _hostport(host: str, port: int | None, scheme: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme or "")
    if port is None or port == default or (scheme is None and port in (80, 443)):
        return shown
    return f"{shown}:{port}"


def normalize_domain(target: str) -> str:
    """The canonical domain key of a domain or URL: ``"https://WWW.Bücher.de/x?y"`` → ``"xn--bcher-kva.de"``.

    Scheme, ``www.``, path, query, case and a trailing dot are dropped and Unicode is IDNA-encoded,
    so that CRM spellings of one website join to one fetch. An explicit non-default port is kept
    (``127.0.0.1:8080``), because it names a different site. Raises InputError when it is no domain.
    """
    scheme, host, port, _ = _split(target)
    return _hostport(_clean_host(host), port, scheme)


def target_url(target: str) -> str:
    """The URL to fetch first for a domain or URL: the URL itself, or ``https://<domain>/``."""
    scheme, host, port, path = _split(target)
    if scheme is not None and scheme not in _ALLOWED_SCHEMES:
        raise NetworkRefused(target, "scheme", f"only http and https are fetched, not {scheme}")
    host = host.lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        host = _idna(host) if not host.isascii() else host
    return f"{scheme or 'https'}://{_hostport(host, port, scheme or 'https')}{path or '/'}"


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _check_static(url: str, *, allow_private: bool) -> str:
    """Scheme and host-name rules that need no DNS; returns the lower-cased host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise NetworkRefused(url, "scheme", f"only http and https are fetched, not {scheme or '-'}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise NetworkRefused(url, "host", "no host in URL")
    if host in METADATA_HOSTS:
        raise NetworkRefused(url, "metadata", host)
    return host


def _vet(url: str, host: str, addresses: list[str], *, allow_private: bool) -> list[str]:
    vetted = []
    for address in addresses:
        rule = address_rule(address)
        if is_refused(rule, allow_private=allow_private):
            raise NetworkRefused(url, str(rule), f"{host} resolves to {address}")
        vetted.append(address)
    if not vetted:
        raise NetworkRefused(url, "resolve", f"{host} has no address")
    return vetted


def _resolve_sync(host: str, port: int) -> list[str]:
    literal = _literal(host)
    if literal is not None:
        return [str(literal)]
    if _is_localhost(host):  # RFC 6761: *.localhost is loopback, never sent to DNS
        return ["127.0.0.1"]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Unresolvable(f"{host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


class _Unresolvable(Exception):
    """A host name did not resolve (mapped to NetworkRefused rule ``resolve`` at the boundary)."""


def check_url(url: str, *, allow_private: bool = False) -> list[str]:
    """Vet ``url`` (scheme, host name, every resolved address); returns the vetted addresses.

    Raises :class:`~icpkit.errors.NetworkRefused` naming the rule that refused it. This is the
    blocking form for one-off downloads; fetch jobs use :class:`Resolver`, which also pins.
    """
    host = _check_static(url, allow_private=allow_private)
    port = urlsplit(url).port or (443 if url.lower().startswith("https") else 80)
    try:
        addresses = _resolve_sync(host, port)
    except _Unresolvable as exc:
        raise NetworkRefused(url, "resolve", str(exc)) from None
    return _vet(url, host, addresses, allow_private=allow_private)


class Resolver:
    """Resolves each host once per job, vets all its addresses, and remembers the verdict.

    ``overrides`` maps host names to fixed addresses (tests map fixture names to 127.0.0.1);
    ``*.localhost`` always resolves to loopback without DNS. The cached vetted addresses are the
    only ones :class:`GuardedBackend` connects to, which is what pins connections.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        overrides: Mapping[str, str | Iterable[str]] | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._overrides = {
            k.lower(): [v] if isinstance(v, str) else list(v) for k, v in (overrides or {}).items()
        }
        self._cache: dict[str, list[str] | tuple[str, str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _lookup(self, host: str, port: int) -> list[str]:
        if host in self._overrides:
            return self._overrides[host]
        if _literal(host) is not None or _is_localhost(host):
            return _resolve_sync(host, port)
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise _Unresolvable(f"{host}: {exc}") from None
        return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))

    async def resolve(self, host: str, port: int = 443) -> list[str]:
        """Vetted addresses of ``host``; raises NetworkRefused (rule and detail) when refused."""
        host = host.strip("[]").rstrip(".").lower()
        cached = self._cache.get(host)
        if cached is None:
            lock = self._locks.setdefault(host, asyncio.Lock())
            async with lock:
                cached = self._cache.get(host)
                if cached is None:
                    cached = await self._vetted(host, port)
                    self._cache[host] = cached
        if isinstance(cached, tuple):
            raise NetworkRefused(host, cached[0], cached[1])
        return cached

    async def _vetted(self, host: str, port: int) -> list[str] | tuple[str, str]:
        """Vetted addresses, or the (rule, detail) that refused the host."""
        if host in METADATA_HOSTS:
            return ("metadata", host)
        try:
            found = await self._lookup(host, port)
        except _Unresolvable as exc:
            return ("resolve", str(exc))
        for address in found:
            rule = address_rule(address)
            if is_refused(rule, allow_private=self.allow_private):
                return (str(rule), f"{host} resolves to {address}")
        return found if found else ("resolve", f"{host} has no address")

    async def check(self, url: str) -> list[str]:
        """Vet one URL (scheme, host name, resolved addresses), as every fetch hop must."""
        host = _check_static(url, allow_private=self.allow_private)
        port = urlsplit(url).port or (443 if url.lower().startswith("https") else 80)
        cached = self._cache.get(host)
        if isinstance(cached, list):
            return cached
        try:
            return await self.resolve(host, port)
        except NetworkRefused as exc:
            rule, detail = self._cache.get(host, (exc.rule, ""))
            raise NetworkRefused(url, rule, detail) from None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses vetted by a :class:`Resolver`."""

    def __init__(self, resolver: Resolver, inner: httpcore.AsyncNetworkBackend | None = None):
        self.resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolver.resolve(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise NetworkRefused("unix socket", "scheme", "unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose connections go only to resolver-vetted, pinned addresses."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | bool = True,
        http2: bool = False,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        """``network_backend`` connects to the vetted addresses (default: httpcore's anyio one)."""
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=50)
        super().__init__(trust_env=False, limits=limits, verify=verify, http2=http2)
        ssl_context = verify if isinstance(verify, ssl.SSLContext) else None
        if ssl_context is None:
            ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(resolver, network_backend),
        )


class SyncGuardedBackend(httpcore.NetworkBackend):
    """Blocking twin of :class:`GuardedBackend` for one-off downloads (``fingerprints update``).

    Each host is resolved once, every address vetted, and the verdict kept: :meth:`check` and
    every later connection use that one answer, so a DNS server that answers a public address
    for the check and ``127.0.0.1`` for the download (rebinding) never reaches the second one.
    """

    def __init__(
        self, *, allow_private: bool = False, inner: httpcore.NetworkBackend | None = None
    ) -> None:
        self.allow_private = allow_private
        self._inner = inner or httpcore.SyncBackend()
        self._pinned: dict[str, list[str]] = {}

    def resolve(self, host: str, port: int, url: str | None = None) -> list[str]:
        """Vetted (and from now on pinned) addresses of ``host``; raises NetworkRefused."""
        host = host.strip("[]").rstrip(".").lower()
        pinned = self._pinned.get(host)
        if pinned is not None:
            return pinned
        where = url or host
        if host in METADATA_HOSTS:
            raise NetworkRefused(where, "metadata", host)
        try:
            found = _resolve_sync(host, port)
        except _Unresolvable as exc:
            raise NetworkRefused(where, "resolve", str(exc)) from None
        vetted = _vet(where, host, found, allow_private=self.allow_private)
        self._pinned[host] = vetted
        return vetted

    def check(self, url: str) -> list[str]:
        """Vet one URL (scheme, host name, pinned addresses), as every download hop must."""
        host = _check_static(url, allow_private=self.allow_private)
        port = urlsplit(url).port or (443 if url.lower().startswith("https") else 80)
        return self.resolve(host, port, url)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.resolve(host, port):
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise NetworkRefused("unix socket", "scheme", "unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class SyncGuardedTransport(httpx.HTTPTransport):
    """A blocking httpx transport that connects only to :class:`SyncGuardedBackend`-pinned
    addresses (environment proxies ignored: a proxy would resolve names itself)."""

    def __init__(self, *, allow_private: bool = False, verify: bool = True) -> None:
        super().__init__(trust_env=False, verify=verify)
        self.backend = SyncGuardedBackend(allow_private=allow_private)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=4,
            max_keepalive_connections=2,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )

    def check(self, url: str) -> list[str]:
        """Vet ``url`` with the same pinned answer the connection will use."""
        return self.backend.check(url)


def guarded_transport(
    resolver: Resolver | None = None,
    *,
    allow_private: bool = False,
    max_connections: int = 100,
    http2: bool = False,
) -> GuardedTransport:
    """Transport for :class:`httpx.AsyncClient` that enforces the SSRF rules at connect time."""
    resolver = resolver or Resolver(allow_private=allow_private)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return GuardedTransport(resolver, limits=limits, http2=http2)


__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "PRIVATE_RULES",
    "GuardedBackend",
    "GuardedTransport",
    "Resolver",
    "SyncGuardedBackend",
    "SyncGuardedTransport",
    "address_rule",
    "check_url",
    "guarded_transport",
    "is_refused",
    "normalize_domain",
    "target_url",
]
