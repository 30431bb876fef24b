"""The optional DNS layer against a real DNS server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

dns_message = pytest.importorskip("dns.message", reason="the [dns] extra (dnspython) is absent")
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

from icpkit.technographics import Detector, Page  # noqa: E402
from icpkit.technographics.dnsrecords import DnsLookup, merge_records  # noqa: E402
from icpkit.technographics.enrich import detect_stack  # noqa: E402
from icpkit.technographics.fetch import FetchConfig  # noqa: E402
from icpkit.technographics.netguard import Resolver  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from sites import Reply, SiteServer, fixture_handler  # noqa: E402

ZONE = {
    ("mail.test", "MX"): ["10 aspmx.l.google.com."],
    ("mail.test", "TXT"): ['"v=spf1 include:sendgrid.net ~all"'],
    ("plain.test", "TXT"): ['"v=spf1 -all"'],
}


class DnsServer:
    """A tiny authoritative UDP server answering from ZONE, NXDOMAIN for unknown names."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            q = dns_message.from_wire(data)
            resp = dns_message.make_response(q)
            question = q.question[0]
            name = question.name.to_text().rstrip(".")
            rtype = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, rtype))
            answers = ZONE.get((name, rtype))
            if answers:
                resp.answer.append(
                    dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, rtype, answers)
                )
            elif not any(n == name for n, _ in ZONE):
                resp.set_rcode(3)  # NXDOMAIN
            self.sock.sendto(resp.to_wire(), addr)

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as srv:
        yield srv


def lookup(srv: DnsServer) -> DnsLookup:
    # The local server answers at once; the timeout only bounds a failure, so it is generous: a
    # busy machine must not turn a slow answer into a failed test.
    return DnsLookup(nameservers=["127.0.0.1"], port=srv.port, timeout=30.0)


def test_records_are_read_as_text(dns_server: DnsServer) -> None:
    recs = asyncio.run(lookup(dns_server).records("mail.test"))
    assert recs["MX"] == ("aspmx.l.google.com",)
    assert recs["TXT"] == ("v=spf1 include:sendgrid.net ~all",)
    assert "NS" not in recs
    assert ("mail.test", "SOA") in dns_server.queries


def test_unknown_domain_gives_no_records_not_an_error(dns_server: DnsServer) -> None:
    assert asyncio.run(lookup(dns_server).records("nowhere.test")) == {}


def test_many_deduplicates(dns_server: DnsServer) -> None:
    before = len(dns_server.queries)
    out = asyncio.run(lookup(dns_server).many(["mail.test", "mail.test", "plain.test"]))
    assert set(out) == {"mail.test", "plain.test"}
    assert len(dns_server.queries) - before == 2 * len(lookup(dns_server).types)


def test_bundled_dns_fingerprints_detect_from_looked_up_records(dns_server: DnsServer) -> None:
    recs = asyncio.run(lookup(dns_server).records("mail.test"))
    names = {d.name for d in Detector().detect(Page(url="https://mail.test/", dns=recs))}
    assert {"Google Workspace", "SendGrid"} <= names
    plain = asyncio.run(lookup(dns_server).records("plain.test"))
    assert not Detector().detect(Page(url="https://plain.test/", dns=plain))


def test_merge_records_unions_without_duplicates() -> None:
    merged = merge_records({"TXT": ["a", "b"]}, {"TXT": ["b", "c"], "MX": ["m"]})
    assert merged == {"TXT": ("a", "b", "c"), "MX": ("m",)}


def test_detect_stack_with_dns_adds_dns_only_tools(dns_server: DnsServer) -> None:
    hosts = ["mail.test", "plain.test"]
    with SiteServer(fixture_handler()) as web:
        kw = {
            "config": FetchConfig(allow_private=True, retries=0, timeout=30, respect_robots=False),
            "resolver": Resolver(allow_private=True, overrides=dict.fromkeys(hosts, "127.0.0.1")),
        }
        urls = [web.url("plain.test").replace("plain.test", h) for h in hosts]
        without = detect_stack(urls, detector=Detector(), **kw)  # type: ignore[arg-type]
        with_dns = detect_stack(urls, detector=Detector(), dns=lookup(dns_server), **kw)  # type: ignore[arg-type]

    def tech(df: pl.DataFrame, host: str) -> list[str]:
        return df.filter(pl.col("domain").str.starts_with(host))["tech"].to_list()[0] or []

    assert "google workspace" not in tech(without, "mail.test")
    assert {"google workspace", "sendgrid"} <= set(tech(with_dns, "mail.test"))
    assert "google workspace" not in tech(with_dns, "plain.test")


def test_cli_detect_with_dns(dns_server: DnsServer, tmp_path: Path) -> None:
    """`icp detect --dns --dns-server 127.0.0.1:PORT` reports DNS-only tools."""
    import subprocess

    def any_host(req: object) -> Reply:
        return Reply(body="<html><head><title>x</title></head><body>hello</body></html>")

    with SiteServer(any_host) as web:
        url = web.url("127.0.0.1")
        out = tmp_path / "d.csv"
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                "from icpkit.cli import main; main()",
                "detect",
                url,
                "--allow-private",
                "--no-robots",
                "--no-cache",
                "--dns",
                "--dns-server",
                f"127.0.0.1:{dns_server.port}",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == 0, r.stderr
    assert ("127.0.0.1", "MX") in dns_server.queries  # the port is not part of the DNS name
    assert pl.read_csv(out).height >= 1
