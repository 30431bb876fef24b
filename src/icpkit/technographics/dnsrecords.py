"""DNS records for the fingerprints' ``dns`` field (optional extra: ``pip install 'icpkit[dns]'``).

Some tools show only in DNS: the mail provider in MX records (Google Workspace, Microsoft 365),
sending services in SPF ``include:`` terms of TXT records (SendGrid, Mailgun, Amazon SES),
verification tokens, hosting in NS/CNAME. :class:`DnsLookup` fetches the record types the
fingerprint format knows and hands them to :class:`~icpkit.technographics.page.Page` as ``dns``.

Queries go to the configured recursive resolvers (the system's by default), never to the target
itself, so the SSRF rules of the HTTP fetcher do not apply here. A failed or empty lookup gives
no records; it is not an error of the domain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from icpkit.errors import IcpkitError

RECORD_TYPES = ("TXT", "MX", "NS", "SOA", "CNAME")


def _require_dnspython() -> None:
    try:
        import dns.asyncresolver  # noqa: F401
    except ImportError:
        raise IcpkitError(
            "DNS lookups need the optional extra: pip install 'icpkit[dns]' (dnspython)"
        ) from None


@dataclass
class DnsLookup:
    """Look up a domain's records of ``types``; ``nameservers`` default to the system's."""

    nameservers: Sequence[str] | None = None
    port: int = 53
    timeout: float = 3.0
    types: Sequence[str] = RECORD_TYPES
    concurrency: int = 20
    _resolver: object = field(default=None, init=False, repr=False)

    def _get_resolver(self):
        _require_dnspython()
        import dns.asyncresolver

        if self._resolver is None:
            if self.nameservers:
                r = dns.asyncresolver.Resolver(configure=False)
                r.nameservers = list(self.nameservers)
            else:
                r = dns.asyncresolver.Resolver()
            r.port = self.port
            r.lifetime = self.timeout
            r.timeout = self.timeout
            self._resolver = r
        return self._resolver

    async def records(self, domain: str) -> dict[str, tuple[str, ...]]:
        """Records by type, as text (TXT strings joined, MX/NS/CNAME/SOA host names)."""
        import dns.exception
        import dns.resolver

        resolver = self._get_resolver()
        host = domain.split(":", 1)[0].rstrip(".")  # a port is not part of a DNS name
        out: dict[str, tuple[str, ...]] = {}
        for rtype in self.types:
            try:
                answer = await resolver.resolve(host, rtype, raise_on_no_answer=False)
            except (dns.exception.DNSException, OSError):
                continue
            values = [_text(rtype, rdata) for rdata in answer]
            if values:
                out[rtype] = tuple(values)
        return out

    async def many(self, domains: Iterable[str]) -> dict[str, dict[str, tuple[str, ...]]]:
        """Records for many domains, ``concurrency`` lookups at a time."""
        sem = asyncio.Semaphore(self.concurrency)

        async def one(d: str) -> tuple[str, dict[str, tuple[str, ...]]]:
            async with sem:
                return d, await self.records(d)

        pairs = await asyncio.gather(*(one(d) for d in dict.fromkeys(domains)))
        return dict(pairs)


def _text(rtype: str, rdata: object) -> str:
    if rtype == "TXT":
        strings: Iterable[bytes] = getattr(rdata, "strings", ())
        return "".join(s.decode("utf-8", "replace") for s in strings)
    if rtype == "MX":
        return str(getattr(rdata, "exchange", rdata)).rstrip(".").lower()
    return str(rdata).rstrip(".").lower()


def merge_records(
    a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """Union of two record maps (the page's own and the looked-up ones)."""
    out: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = tuple(dict.fromkeys([*out.get(k, ()), *v]))
    return out


__all__ = ["RECORD_TYPES", "DnsLookup", "merge_records"]
