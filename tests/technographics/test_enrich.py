"""detect_domains / detect_stack / enrich over a local fixture server and a self-made database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from icpkit.errors import InputError, MissingColumnsError
from icpkit.technographics import Detector, load_fingerprints
from icpkit.technographics.cache import FetchCache
from icpkit.technographics.enrich import category_slug, detect_domains, detect_stack, enrich
from icpkit.technographics.fetch import FetchConfig
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
    return {
        "config": FetchConfig(allow_private=True, retries=0, timeout=0.5, respect_robots=False),
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


def test_detect_stack_default_categories_are_those_seen(
    server: SiteServer, detector: Detector
) -> None:
    stack = detect_stack([server.url("chat.test")], detector=detector, **_kw(server))  # type: ignore[arg-type]
    assert {c for c in stack.columns if c.startswith("has_")} == {
        "has_live_chat",
        "has_web_servers",
    }
    assert "tech_facts" not in stack.columns


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
                f"PLAIN.test:{port}/about",  # same site, another spelling
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
        allow_private=True, retries=0, timeout=0.5, respect_robots=False, http_fallback=True
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
    assert out["fetch_error"][5] is not None
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
