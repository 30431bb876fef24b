"""fetch_many against real local HTTP servers: headers, cookies, encodings, redirects, limits."""

from __future__ import annotations

import asyncio
import codecs
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.errors import NetworkRefused
from icpkit.technographics.cache import FetchCache
from icpkit.technographics.fetch import FetchConfig, FetchResult, fetch_many, make_client
from icpkit.technographics.netguard import Resolver

sys.path.insert(0, str(Path(__file__).parent))
from sites import SiteServer, fixture_handler


class PublicResolver(Resolver):
    """Treats the fixture names as if they resolved to public addresses (they go to 127.0.0.1).

    Stands in for real DNS so the guard's *redirect* checks can be exercised without
    ``allow_private``: the fixture host itself passes, its redirect targets are vetted for real.
    """

    def __init__(self, names: set[str]) -> None:
        super().__init__(allow_private=False)
        self.names = names
        self.lookups: list[str] = []

    async def _vetted(self, host: str, port: int) -> list[str] | tuple[str, str]:
        self.lookups.append(host)
        if host in self.names or host.endswith(".test"):
            return ["127.0.0.1"]
        return await super()._vetted(host, port)


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    with SiteServer(fixture_handler()) as srv:
        yield srv


def run(
    server: SiteServer,
    hosts: list[str],
    *,
    resolver: Resolver | None = None,
    cache: FetchCache | None = None,
    **cfg: object,
) -> dict[str, FetchResult]:
    config = FetchConfig(**{"timeout": 3.0, "backoff": 0.05, **cfg})  # type: ignore[arg-type]
    resolver = resolver or PublicResolver(set())
    targets = [f"http://{h}:{server.port}/" if "://" not in h else h for h in hosts]

    async def go() -> list[FetchResult]:
        return [r async for r in fetch_many(targets, config, cache=cache, resolver=resolver)]

    return {r.domain.split(":")[0]: r for r in asyncio.run(go())}


def test_headers_cookies_and_page(server: SiteServer) -> None:
    res = run(server, ["plain.test"])["plain.test"]
    assert res.ok and res.status == 200 and not res.from_cache
    assert res.domain == f"plain.test:{server.port}"
    page = res.page
    assert page.headers["server"] == "nginx/1.25.3"
    assert page.headers["x-powered-by"] == "PHP/8.2.1"
    assert page.cookies == {"PHPSESSID": "abc123", "_shopify_y": "xyz"}
    assert "WordPress 6.4.2" in page.html
    assert res.elapsed_ms > 0


@pytest.mark.parametrize("host", ["gzip.test", "br.test"])
def test_compressed_bodies_are_decoded(server: SiteServer, host: str) -> None:
    res = run(server, [host])[host]
    assert res.ok
    assert f"Welcome to {host}" in res.page.html


def test_charset_from_header(server: SiteServer) -> None:
    res = run(server, ["latin1.test"])["latin1.test"]
    assert "Café crème" in res.page.html
    # not UTF-8 on the wire: the page encodes its text itself
    assert res.page.html_utf8 is None
    assert res.page.html_bytes == res.page.html.encode("utf-8")


def test_a_utf8_body_is_handed_to_the_page_as_received(server: SiteServer) -> None:
    """The decoded body's bytes reach the page (no second encoding), and they are its text's."""
    res = run(server, ["gzip.test"])["gzip.test"]
    assert res.page.html_utf8 is not None
    assert res.page.html_utf8 == res.page.html.encode("utf-8")


_CHARSETS = st.sampled_from([None, "utf-8", "us-ascii", "latin-1", "cp1252", "koi8-r", "bogus"])
_PIECES = st.sampled_from(
    [b"<html>", b"<meta charset=", b"koi8-r", b"utf-8", b"x", b"caf\xc3\xa9", b"\xe9",
     b"\xed\xa0\x80", b"\xe2\x82", "\u0645\u0631".encode(), b"\x00"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=10).map(b"".join), _CHARSETS)
def test_decoding_with_bytes_gives_the_text_and_only_its_own_utf8(
    body: bytes, charset: str | None
) -> None:
    from icpkit.technographics.fetch import _decode_with_bytes

    text, utf8 = _decode_with_bytes(body, charset)
    names = [charset] if charset else []
    meta = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", body[:2048], re.I)
    names += [meta.group(1).decode()] if meta else []
    known = [n for n in names if _known(n)]
    assert text == body.decode(known[0] if known else "utf-8", errors="replace")
    assert utf8 is None or utf8 == text.encode("utf-8")


def _known(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def test_redirect_followed_and_cookies_kept(server: SiteServer) -> None:
    res = run(server, ["redirect.test"])["redirect.test"]
    assert res.ok
    assert res.final_url == f"http://redirect.test:{server.port}/home"
    assert res.page.cookies["first"] == "1"


def test_redirect_loop_and_too_many(server: SiteServer) -> None:
    out = run(server, ["loop.test", "chain.test"], max_redirects=3)
    assert out["loop.test"].error_kind == "redirect_loop"
    assert out["chain.test"].error_kind == "too_many_redirects"
    assert server.hits[("chain.test", "/4")] == 0  # stopped after 3 redirects
    assert out["loop.test"].page is None


def test_redirect_to_private_address_refused(server: SiteServer) -> None:
    out = run(server, ["toprivate.test", "tometadata.test"])
    assert out["toprivate.test"].error_kind == "refused"
    assert "private" in out["toprivate.test"].error
    assert out["tometadata.test"].error_kind == "refused"
    assert "metadata" in out["tometadata.test"].error


def test_metadata_redirect_refused_even_with_allow_private(server: SiteServer) -> None:
    resolver = Resolver(allow_private=True, overrides={"tometadata.test": "127.0.0.1"})
    out = run(server, ["tometadata.test"], resolver=resolver, allow_private=True)
    assert out["tometadata.test"].error_kind == "refused"
    assert "metadata" in out["tometadata.test"].error


def test_loopback_refused_without_allow_private(server: SiteServer) -> None:
    out = run(server, [server.url()], resolver=Resolver())
    assert out["127.0.0.1"].error_kind == "refused"
    assert "loopback" in out["127.0.0.1"].error
    ok = run(server, [server.url()], resolver=Resolver(allow_private=True))
    assert ok["127.0.0.1"].status == 404  # reached the server: unknown vhost


def test_transport_refuses_even_when_fetcher_check_is_bypassed(server: SiteServer) -> None:
    """The pinned transport itself refuses, whatever the caller checked before."""

    async def go() -> None:
        async with make_client(FetchConfig(), Resolver()) as client:
            await client.get(server.url())

    with pytest.raises(NetworkRefused) as info:
        asyncio.run(go())
    assert info.value.rule == "loopback"


def test_resolution_is_pinned_once_per_host(server: SiteServer) -> None:
    resolver = PublicResolver({"plain.test"})
    run(server, ["plain.test", "redirect.test"], resolver=resolver)
    # robots.txt + page (+ redirect hop) and every connection reuse one vetted resolution
    assert sorted(resolver.lookups) == ["plain.test", "redirect.test"]


def test_timeout_is_recorded_not_raised(server: SiteServer) -> None:
    out = run(server, ["slow.test", "plain.test"], timeout=0.5)
    assert out["slow.test"].error_kind == "timeout"
    assert out["slow.test"].page is None
    assert out["plain.test"].ok  # one failure never aborts the job
    # slow.test never answers: the job ended, so the deadline gave up on it (on any machine)
    assert server.hits[("slow.test", "/")] >= 1 and server.sent[("slow.test", "/")] == 0


def test_size_cap_truncates(server: SiteServer) -> None:
    res = run(server, ["huge.test"], max_bytes=100_000)["huge.test"]
    assert res.truncated and res.ok
    assert len(res.page.html) == 100_000


def test_5xx_retried_then_success(server: SiteServer) -> None:
    res = run(server, ["flaky.test"], retries=2)["flaky.test"]
    assert res.ok and res.attempts == 3
    assert server.hits[("flaky.test", "/")] == 3


def test_5xx_exhausted_is_http_status_error(server: SiteServer) -> None:
    res = run(server, ["down.test"], retries=1)["down.test"]
    assert res.error_kind == "http_status" and res.status == 503
    assert server.hits[("down.test", "/")] == 2


def test_429_honours_retry_after(server: SiteServer) -> None:
    started = time.perf_counter()
    res = run(server, ["limited.test"], retries=2)["limited.test"]
    assert res.ok and res.attempts == 2
    assert time.perf_counter() - started >= 0.9  # waited the 1 s the server asked for


def test_429_retry_after_beyond_cap_gives_up(server: SiteServer) -> None:
    started = time.perf_counter()
    res = run(server, ["patient.test"], retries=2, max_retry_after=5)["patient.test"]
    assert res.status == 429 and res.error_kind == "http_status" and res.attempts == 1
    assert time.perf_counter() - started < 60  # waiting as asked would take an hour


def test_robots_disallow_and_opt_out(server: SiteServer) -> None:
    res = run(server, ["disallow.test"])["disallow.test"]
    assert res.robots_disallowed and res.error_kind == "robots" and res.page is None
    assert server.hits[("disallow.test", "/")] == 0
    res2 = run(server, ["disallow.test"], respect_robots=False)["disallow.test"]
    assert res2.ok and not res2.robots_disallowed


def test_robots_5xx_means_disallow(server: SiteServer) -> None:
    res = run(server, ["robots500.test"], retries=0)["robots500.test"]
    assert res.robots_disallowed


def test_https_falls_back_to_http(server: SiteServer) -> None:
    """A bare domain is tried over https first; a plain-http server still gets fetched."""
    resolver = PublicResolver({"plain.test"})
    config = FetchConfig(timeout=3.0, backoff=0.01, retries=0)

    async def go() -> list[FetchResult]:
        return [
            r async for r in fetch_many([f"plain.test:{server.port}"], config, resolver=resolver)
        ]

    (res,) = asyncio.run(go())
    assert res.url.startswith("https://")
    assert res.final_url == f"http://plain.test:{server.port}/"
    assert res.ok


def test_invalid_and_duplicate_targets(server: SiteServer) -> None:
    targets = [f"http://plain.test:{server.port}/", f"PLAIN.test:{server.port}", "not a domain!"]

    async def go() -> list[FetchResult]:
        return [
            r
            async for r in fetch_many(
                targets, FetchConfig(retries=0), resolver=PublicResolver(set())
            )
        ]

    results = asyncio.run(go())
    assert len(results) == 2  # the two spellings of plain.test are fetched once
    bad = next(r for r in results if r.error_kind == "invalid")
    assert bad.domain == "not a domain!"


def test_unresolvable_host_is_dns_error() -> None:
    async def go() -> list[FetchResult]:
        return [r async for r in fetch_many(["no-such-host.invalid"], FetchConfig(retries=0))]

    (res,) = asyncio.run(go())
    assert res.error_kind == "dns"


def test_injected_client_is_used(server: SiteServer) -> None:
    calls: list[str] = []

    async def hook(request: httpx.Request) -> None:
        calls.append(str(request.url))

    async def go() -> list[FetchResult]:
        async with httpx.AsyncClient(event_hooks={"request": [hook]}) as client:
            return [
                r
                async for r in fetch_many(
                    [server.url("plain.test")],
                    FetchConfig(respect_robots=False, allow_private=True, retries=0),
                    client=client,
                    resolver=Resolver(allow_private=True, overrides={"plain.test": "127.0.0.1"}),
                )
            ]

    # the injected client resolves plain.test itself: it fails (no DNS) but it was used
    (res,) = asyncio.run(go())
    assert calls == [server.url("plain.test")]
    assert res.error_kind in {"connect", "dns"}


def test_per_host_politeness(server: SiteServer) -> None:
    """With per_host=1, two URLs on one slow host are fetched one after the other."""
    targets = [f"http://slow.test:{server.port}/a", f"http://slow.test:{server.port}/b"]
    config = FetchConfig(timeout=0.3, per_host=1, retries=0, respect_robots=False)

    async def go() -> list[FetchResult]:
        return [r async for r in fetch_many(targets, config, resolver=PublicResolver(set()))]

    started = time.perf_counter()
    results = asyncio.run(go())
    assert [r.error_kind for r in results] == ["timeout", "timeout"]
    assert time.perf_counter() - started >= 0.55
