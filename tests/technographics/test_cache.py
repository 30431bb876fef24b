"""FetchCache: round trip, TTL, and an interrupted job that resumes without refetching or loss."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from icpkit.technographics.cache import CachedFetch, FetchCache, default_cache_path
from icpkit.technographics.fetch import FetchConfig, FetchResult, fetch_many
from icpkit.technographics.netguard import Resolver

sys.path.insert(0, str(Path(__file__).parent))
from sites import SiteServer, fixture_handler


def _entry(key: str, **kw: object) -> CachedFetch:
    base: dict[str, object] = {
        "key": key,
        "url": f"https://{key}/",
        "final_url": f"https://{key}/",
        "status": 200,
        "headers": (("server", "nginx"), ("set-cookie", "a=1"), ("set-cookie", "b=2")),
        "cookies": {"a": "1", "b": "2"},
        "body": "<html>héllo</html>" * 100,
        "robots": "User-agent: *\nDisallow:",
        "elapsed_ms": 12.5,
        "fetched_at": time.time(),
    }
    base.update(kw)
    return CachedFetch(**base)  # type: ignore[arg-type]


def test_round_trip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with FetchCache(path) as cache:
        cache.put(_entry("a.com"))
        cache.put(
            _entry(
                "b.com", status=None, final_url=None, body="", error="boom", error_kind="connect"
            )
        )
    with FetchCache(path) as cache:
        assert len(cache) == 2
        a = cache.get("a.com")
        assert a == _entry("a.com", fetched_at=a.fetched_at)  # type: ignore[union-attr]
        b = cache.get("b.com")
        assert b is not None and b.error_kind == "connect" and b.body == ""
        assert cache.get("missing.com") is None


def test_ttl_and_error_ttl(tmp_path: Path) -> None:
    with FetchCache(
        tmp_path / "c.sqlite", ttl=timedelta(hours=1), error_ttl=timedelta(minutes=1)
    ) as cache:
        old = time.time() - 600
        cache.put(_entry("page.com", fetched_at=old))
        cache.put(_entry("err.com", fetched_at=old, error="x", error_kind="timeout"))
        assert cache.fresh_keys(["page.com", "err.com"]) == {"page.com"}
        assert cache.get("err.com", fresh_only=False) is not None
        assert cache.purge() == 1
        assert len(cache) == 1


def test_default_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "icpkit" / "fetch.sqlite"


def test_interrupted_job_resumes_without_refetch_or_loss(tmp_path: Path) -> None:
    hosts = [f"site{i}.test" for i in range(60)]
    resolver_names = set(hosts)

    class Public(Resolver):
        async def _vetted(self, host: str, port: int) -> list[str] | tuple[str, str]:
            return ["127.0.0.1"] if host in resolver_names else ("resolve", host)

    config = FetchConfig(concurrency=4, retries=0, timeout=3, respect_robots=False)
    path = tmp_path / "fetch.sqlite"
    with SiteServer(fixture_handler()) as server:
        targets = [server.url(h) for h in hosts]
        first: list[FetchResult] = []

        async def interrupted() -> None:
            with FetchCache(path) as cache:
                async for result in fetch_many(targets, config, cache=cache, resolver=Public()):
                    first.append(result)
                    if len(first) == 25:
                        raise KeyboardInterrupt  # the user hits ^C mid-job

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(interrupted())
        hits_after_first = sum(server.hits.values())
        with FetchCache(path) as cache:
            stored = len(cache)
        assert stored >= 25  # everything yielded (and anything completed since) is on disk

        async def resume() -> list[FetchResult]:
            with FetchCache(path) as cache:
                return [
                    r async for r in fetch_many(targets, config, cache=cache, resolver=Public())
                ]

        second = asyncio.run(resume())
        refetched = sum(server.hits.values()) - hits_after_first

    assert len(second) == len(hosts)
    assert {r.domain.split(":")[0] for r in second} == set(hosts)
    assert sum(r.from_cache for r in second) == stored
    assert refetched == len(hosts) - stored  # nothing fetched twice
    assert all(r.ok and "Welcome to" in r.page.html for r in second)  # nothing lost
    firsts = {r.domain for r in first}
    assert all(r.from_cache for r in second if r.domain in firsts)


def test_refresh_ignores_cache(tmp_path: Path) -> None:
    with SiteServer(fixture_handler()) as server:
        resolver = Resolver(allow_private=True, overrides={"plain.test": "127.0.0.1"})
        url = server.url("plain.test")

        async def go(refresh: bool) -> FetchResult:
            with FetchCache(tmp_path / "c.sqlite") as cache:
                cfg = FetchConfig(refresh=refresh, allow_private=True, respect_robots=False)
                (only,) = [r async for r in fetch_many([url], cfg, cache=cache, resolver=resolver)]
                return only

        assert not asyncio.run(go(False)).from_cache
        cached = asyncio.run(go(False))
        assert cached.from_cache and cached.page.cookies["PHPSESSID"] == "abc123"
        assert cached.page.headers["set-cookie"] == [
            "PHPSESSID=abc123; Path=/; HttpOnly",
            "_shopify_y=xyz; Path=/",
        ]
        assert not asyncio.run(go(True)).from_cache
        assert server.hits[("plain.test", "/")] == 2


def test_a_robots_refusal_reads_the_same_from_the_cache(tmp_path: Path) -> None:
    """A resumed job gives the same rows: a site robots.txt disallows had final_url set on the
    first run and null when it came from the cache (audit17)."""
    with SiteServer(fixture_handler()) as server:
        resolver = Resolver(allow_private=True, overrides={"disallow.test": "127.0.0.1"})
        url = server.url("disallow.test")

        async def go() -> FetchResult:
            with FetchCache(tmp_path / "c.sqlite") as cache:
                cfg = FetchConfig(allow_private=True, retries=0)
                (only,) = [r async for r in fetch_many([url], cfg, cache=cache, resolver=resolver)]
                return only

        first, again = asyncio.run(go()), asyncio.run(go())
        assert again.from_cache and not first.from_cache
        assert first.robots_disallowed and again.robots_disallowed
        assert first.final_url is not None and again.final_url == first.final_url
        assert (again.error, again.error_kind, again.page) == (first.error, first.error_kind, None)
        assert server.hits[("disallow.test", "/")] == 0
