"""detect_domains / detect_stack / enrich over a local fixture server and a self-made database."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.errors import InputError, MissingColumnsError
from icpkit.technographics import Detector, load_fingerprints
from icpkit.technographics.cache import FetchCache
from icpkit.technographics.detector import Detection
from icpkit.technographics.enrich import (
    _Found,
    _stack,
    category_slug,
    detect_domains,
    detect_stack,
    enrich,
)
from icpkit.technographics.fetch import FetchConfig, FetchResult
from icpkit.technographics.netguard import Resolver

sys.path.insert(0, str(Path(__file__).parent))
from sites import SiteServer, fixture_handler, write_fingerprints

HOSTS = ["plain.test", "chat.test", "down.test", "slow.test"]


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    with SiteServer(fixture_handler()) as srv:
        yield srv


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    return Detector(load_fingerprints(write_fingerprints(tmp_path_factory.mktemp("fp"))))


def _kw(server: SiteServer) -> dict[str, object]:
    # slow.test never answers, so the timeout bounds each test; 3 s leaves a loaded machine room
    # for the pages that do answer (0.5 s failed once at load 14).
    return {
        "config": FetchConfig(allow_private=True, retries=0, timeout=3.0, respect_robots=False),
        "resolver": Resolver(allow_private=True, overrides=dict.fromkeys(HOSTS, "127.0.0.1")),
    }


def test_detect_domains_long_form(server: SiteServer, detector: Detector) -> None:
    urls = [server.url(h) for h in HOSTS]
    df = detect_domains(urls, detector=detector, **_kw(server))  # type: ignore[arg-type]
    port = server.port
    plain = df.filter(pl.col("domain") == f"plain.test:{port}")
    assert plain["technology"].to_list() == ["Nginx", "PHP", "WordPress", "jQuery"]
    wp = plain.filter(pl.col("technology") == "WordPress").row(0, named=True)
    assert wp["version"] == "6.4.2" and wp["confidence"] == 100 and wp["categories"] == ["CMS"]
    assert "meta[generator]" in wp["evidence"]
    php = plain.filter(pl.col("technology") == "PHP").row(0, named=True)
    assert "headers[x-powered-by]" in php["evidence"]
    failed = df.filter(pl.col("error").is_not_null())
    assert sorted(failed["error_kind"].to_list()) == ["http_status", "timeout"]
    assert failed["technology"].null_count() == 2
    assert df["domain"].n_unique() == 4


def test_detect_stack_wide_form(server: SiteServer, detector: Detector) -> None:
    urls = [server.url(h) for h in HOSTS]
    stack = detect_stack(
        urls,
        detector=detector,
        categories=["Live chat", "CMS"],
        **_kw(server),  # type: ignore[arg-type]
    )
    assert stack.height == 4
    assert stack.schema["tech"] == pl.List(pl.String)
    rows = {r["domain"].split(":")[0]: r for r in stack.iter_rows(named=True)}
    assert rows["plain.test"]["tech"] == ["jquery", "nginx", "php", "wordpress"]
    assert rows["plain.test"]["tech_cms"] == ["wordpress"]
    assert rows["plain.test"]["has_cms"] is True
    assert rows["plain.test"]["tech_live_chat"] == []  # fetched: known to have none
    assert rows["plain.test"]["has_live_chat"] is False
    assert rows["plain.test"]["tech_facts"] == [
        "none of the 2 fingerprinted live chat tools detected; 1 of them observable from the signals collected"
    ]
    assert rows["chat.test"]["tech_live_chat"] == ["chatterbox"]
    assert rows["chat.test"]["has_cms"] is False
    for failed in ("down.test", "slow.test"):  # unknown is null, never empty
        row = rows[failed]
        assert row["tech"] is None and row["tech_cms"] is None and row["has_live_chat"] is None
        assert row["fetch_error"] is not None


# every category of the fixture database, by column slug (written out by hand from sites.py)
FIXTURE_SLUGS = ["cms", "javascript_libraries", "live_chat", "programming_languages", "web_servers"]


def test_detect_stack_default_categories_are_all_of_the_database(
    server: SiteServer, detector: Detector
) -> None:
    stack = detect_stack(
        [server.url("chat.test"), server.url("down.test")],
        detector=detector,
        **_kw(server),  # type: ignore[arg-type]
    )
    assert [c for c in stack.columns if c.startswith("has_")] == [f"has_{s}" for s in FIXTURE_SLUGS]
    assert [c for c in stack.columns if c.startswith("tech_")] == [
        f"tech_{s}" for s in FIXTURE_SLUGS
    ]
    assert "tech_facts" not in stack.columns
    chat = stack.filter(pl.col("domain").str.starts_with("chat.test")).row(0, named=True)
    assert chat["has_cms"] is False and chat["tech_cms"] == []  # read: known to have none
    assert chat["has_live_chat"] is True
    down = stack.filter(pl.col("domain").str.starts_with("down.test")).row(0, named=True)
    assert all(down[f"has_{s}"] is None for s in FIXTURE_SLUGS)  # unread: unknown, not none


def test_two_runs_over_different_sites_have_identical_schemas(
    server: SiteServer, detector: Detector
) -> None:
    runs = [[server.url("chat.test")], [server.url("plain.test"), server.url("down.test")]]
    for categories in (None, ["Live chat", "CMS", "live chat"]):
        first, second = (
            detect_stack(urls, detector=detector, categories=categories, **_kw(server))  # type: ignore[arg-type]
            for urls in runs
        )
        assert first.schema == second.schema
    assert [c for c in second.columns if c.startswith("has_")] == ["has_live_chat", "has_cms"]


def test_unknown_category_is_input_error(server: SiteServer, detector: Detector) -> None:
    with pytest.raises(InputError, match="unknown"):
        detect_stack(
            [server.url("chat.test")], detector=detector, categories=["Nope"], **_kw(server)
        )  # type: ignore[arg-type]


def test_enrich_joins_back_on_normalised_domain(
    server: SiteServer, detector: Detector, tmp_path: Path
) -> None:
    port = server.port
    accounts = pl.DataFrame(
        {
            "account": ["A", "B", "C", "D", "E", "F"],
            "website": [
                f"http://plain.test:{port}",
                f"PLAIN.test:{port}/",  # same page, another spelling
                f"chat.test:{port}",
                None,
                "not a website!",
                f"down.test:{port}",
            ],
            "arr": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    kw = _kw(server)
    kw["config"] = FetchConfig(
        allow_private=True, retries=0, timeout=3.0, respect_robots=False, http_fallback=True
    )
    with FetchCache(tmp_path / "c.sqlite") as cache:
        out = enrich(accounts, "website", detector=detector, cache=cache, **kw)  # type: ignore[arg-type]
        assert len(cache) == 3  # plain, chat, down: each distinct site fetched once
    assert out.columns[:3] == ["account", "website", "arr"]
    assert out["account"].to_list() == ["A", "B", "C", "D", "E", "F"]  # order and rows kept
    tech = out["tech"].to_list()
    assert tech[0] == tech[1] == ["jquery", "nginx", "php", "wordpress"]
    assert tech[2] == ["chatterbox", "nginx"]
    assert tech[3] is None and tech[4] is None and tech[5] is None
    assert out["fetch_error_kind"].to_list()[3:] == [None, "invalid", "http_status"]
    # one fetch per page: both spellings report the same request; without a scheme https is
    # asked for first and the page is read over the http fallback
    fetch_url, final_url = out["fetch_url"].to_list(), out["final_url"].to_list()
    assert fetch_url[0] == fetch_url[1] == f"https://plain.test:{port}/"
    assert final_url[0] == final_url[1] == f"http://plain.test:{port}/"
    assert final_url[2] == f"http://chat.test:{port}/"
    # re-enrichment replaces the stack columns instead of duplicating them
    again = enrich(out, "website", detector=detector, **kw)  # type: ignore[arg-type]
    assert again.columns == out.columns


def test_enrich_missing_column(detector: Detector) -> None:
    with pytest.raises(MissingColumnsError):
        enrich(pl.DataFrame({"x": [1]}), "website", detector=detector)


@pytest.mark.parametrize(
    ("name", "slug"), [("Live chat", "live_chat"), ("A/B Testing", "a_b_testing"), ("CMS", "cms")]
)
def test_category_slug(name: str, slug: str) -> None:
    assert category_slug(name) == slug


def test_enrich_reads_the_path_a_website_names(
    server: SiteServer, detector: Detector, tmp_path: Path
) -> None:
    """A shop under /shop/ is read there: the home page alone is a bare landing page."""
    port = server.port
    accounts = pl.DataFrame(
        {
            "account": ["Shop", "Home", "Shop again"],
            "website": [
                f"http://shop.test:{port}/shop/",
                f"http://shop.test:{port}",
                f"http://WWW.Shop.test:{port}/shop/",
            ],
        }
    )
    kw = _kw(server)
    kw["resolver"] = Resolver(
        allow_private=True, overrides={"shop.test": "127.0.0.1", "www.shop.test": "127.0.0.1"}
    )
    with FetchCache(tmp_path / "c.sqlite") as cache:
        out = enrich(accounts, "website", detector=detector, cache=cache, **kw)  # type: ignore[arg-type]
        assert len(cache) == 2  # /shop/ (two spellings) and the home page
    rows = out.to_dicts()
    assert rows[0]["tech"] == ["chatterbox", "jquery", "php", "wordpress"]
    assert rows[0]["tech_cms"] == ["wordpress"] and rows[0]["has_live_chat"] is True
    # one fetch for both spellings (the first in sort order, www. here): the path is kept
    assert rows[0]["final_url"] == rows[2]["final_url"] == f"http://www.shop.test:{port}/shop/"
    assert rows[1]["tech"] == [] and rows[1]["has_cms"] is False  # read: nothing on it
    assert rows[1]["final_url"] == f"http://shop.test:{port}/"
    assert rows[2]["tech"] == rows[0]["tech"]


def _result(domain: str, *, ok: bool) -> FetchResult:
    return FetchResult(
        domain=domain,
        url=f"https://{domain}/",
        final_url=f"https://{domain}/" if ok else None,
        status=200 if ok else None,
        page=None,
        error=None if ok else "connect: refused",
        error_kind=None if ok else "connect",
        elapsed_ms=1.0,
        from_cache=False,
        robots_disallowed=False,
    )


_TECH_CATEGORIES = {
    "WordPress": ("CMS",),
    "Nginx": ("Web servers",),
    "PHP": ("Programming languages",),
    "Chatterbox": ("Live chat",),
    "Whisper Chat": ("Live chat",),
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sets(st.sampled_from(sorted(_TECH_CATEGORIES)))),
        min_size=0,
        max_size=8,
    )
)
def test_stack_columns_never_depend_on_what_was_detected(sites: list[set[str] | None]) -> None:
    """Whatever each site runs (None: unread), the columns are the database's categories, unread
    sites are null in all of them and ``has_<c>`` is true exactly when a tool of c was found."""
    found = [
        _Found(
            _result(f"s{i}.example", ok=techs is not None),
            [
                Detection(name, _TECH_CATEGORIES[name], 100, None, ())
                for name in sorted(techs or ())
            ],
            None,
        )
        for i, techs in enumerate(sites)
    ]
    stack = _stack(found, FIXTURE_SLUGS, False)
    assert stack.columns == [
        "domain",
        "fetch_url",
        "final_url",
        "tech",
        *(f"tech_{s}" for s in FIXTURE_SLUGS),
        *(f"has_{s}" for s in FIXTURE_SLUGS),
        "page_truncated",
        "fetch_error",
        "fetch_error_kind",
    ]
    rows = {r["domain"]: r for r in stack.iter_rows(named=True)}
    for i, techs in enumerate(sites):
        row = rows[f"s{i}.example"]
        for slug in FIXTURE_SLUGS:
            if techs is None:
                assert row[f"tech_{slug}"] is None and row[f"has_{slug}"] is None
            else:
                expected = sorted(
                    n.lower() for n in techs if category_slug(_TECH_CATEGORIES[n][0]) == slug
                )
                assert row[f"tech_{slug}"] == expected
                assert row[f"has_{slug}"] is bool(expected)


def test_detector_pickles_as_its_configuration(server: SiteServer, detector: Detector) -> None:
    """Worker processes get the detector pickled: rebuilt, it detects exactly the same."""
    import pickle

    from icpkit.technographics import Page

    copy = pickle.loads(pickle.dumps(detector))
    assert copy.min_confidence == detector.min_confidence
    assert copy.matcher.native == detector.matcher.native
    html = (
        '<html><head><meta name="generator" content="WordPress 6.4.2">'
        '<script src="/js/jquery-3.7.1.min.js"></script></head><body></body></html>'
    )
    page = Page(url="https://a.example/", html=html, headers={"Server": "nginx/1.25.3"})
    want = [(d.name, d.version, d.confidence) for d in detector.detect(page)]
    assert want and [(d.name, d.version, d.confidence) for d in copy.detect(page)] == want


def test_worker_processes_give_the_same_frame_and_resume_without_loss(
    server: SiteServer, detector: Detector, tmp_path: Path
) -> None:
    """Detection in 2 worker processes: the same rows as in-process; a run resumed from the
    cache after a partial one has every site exactly once, with the same detections."""
    urls = [server.url(h) for h in HOSTS]
    single = detect_domains(urls, detector=detector, **_kw(server))  # type: ignore[arg-type]
    multi = detect_domains(urls, detector=detector, workers=2, **_kw(server))  # type: ignore[arg-type]
    assert multi.equals(single)
    with FetchCache(tmp_path / "c.sqlite") as cache:
        detect_domains(urls[:2], detector=detector, workers=2, cache=cache, **_kw(server))  # type: ignore[arg-type]
        resumed = detect_domains(urls, detector=detector, workers=2, cache=cache, **_kw(server))  # type: ignore[arg-type]
    per_site = resumed.group_by("domain").agg(pl.col("technology").drop_nulls())
    assert sorted(per_site["domain"].to_list()) == sorted(single["domain"].unique().to_list())
    assert resumed.filter(pl.col("from_cache"))["domain"].n_unique() >= 2
    keep = ["domain", "technology", "version", "confidence", "error_kind"]
    assert resumed.select(keep).equals(single.select(keep))


def test_workers_must_be_positive(detector: Detector) -> None:
    with pytest.raises(InputError, match="workers"):
        detect_domains(["a.example"], detector=detector, workers=0)


def test_workers_with_an_in_memory_cache_detect_in_a_pool(
    server: SiteServer, detector: Detector
) -> None:
    """An in-memory cache cannot be shared by processes: one fetcher feeds detection worker
    processes instead; same rows, and progress hears of every site once."""
    urls = [server.url(h) for h in HOSTS]
    single = detect_domains(urls, detector=detector, **_kw(server))  # type: ignore[arg-type]
    seen: list[str] = []
    with FetchCache(":memory:") as cache:
        pooled = detect_domains(
            urls,
            detector=detector,
            workers=2,
            cache=cache,
            progress=lambda r: seen.append(r.domain),
            **_kw(server),  # type: ignore[arg-type]
        )
    assert pooled.equals(single)
    assert sorted(seen) == sorted(single["domain"].unique().to_list())


def test_sharded_progress_hears_of_every_site_once(server: SiteServer, detector: Detector) -> None:
    urls = [server.url(h) for h in HOSTS] * 2  # each site twice: fetched once all the same
    seen: list[str] = []
    df = detect_domains(
        urls, detector=detector, workers=2, progress=lambda r: seen.append(r.domain), **_kw(server)
    )  # type: ignore[arg-type]
    assert sorted(seen) == sorted(df["domain"].unique().to_list()) and len(seen) == len(HOSTS)


def test_a_cut_page_leaves_what_it_did_not_read_unknown(
    server: SiteServer, detector: Detector
) -> None:
    """A page cut at the size limit: a category not detected in the part read may follow the
    cut (givewell.org cut at 20,000 bytes read has_live_chat false; its page carries Intercom).
    chat.test's chat script starts 37 bytes in; cut at 30 it is not read."""
    kw = _kw(server)
    cut_cfg = dataclasses.replace(kw["config"], max_bytes=30)  # type: ignore[type-var]
    urls = [server.url("chat.test")]
    cut = detect_stack(urls, detector=detector, config=cut_cfg, resolver=kw["resolver"])  # type: ignore[arg-type]
    row = cut.row(0, named=True)
    assert row["page_truncated"] is True and row["fetch_error"] is None
    assert row["has_live_chat"] is None and row["tech_live_chat"] is None
    assert row["has_cms"] is None
    assert row["has_web_servers"] is True  # nginx, from the headers: read before any cut
    whole = detect_stack(urls, detector=detector, **kw).row(0, named=True)  # type: ignore[arg-type]
    assert whole["page_truncated"] is False
    assert whole["has_live_chat"] is True and whole["has_cms"] is False
