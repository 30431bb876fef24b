"""Hiring signals read from local servers speaking each ATS feed format, JSON-LD and careers
pages; planted surges recovered exactly; bad sources recorded as one-line unknowns."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.signals.collect import CollectConfig, collect
from icpkit.signals.export import signal_columns
from icpkit.signals.hiring import ATS_NAMES, FeedError, jsonld_postings, parse_feed
from icpkit.signals.store import SignalsStore
from icpkit.technographics.fetch import FetchConfig
from tests.signals.ats import ATS, Company, Job, World

D1, D2, D3 = date(2026, 6, 1), date(2026, 9, 1), date(2026, 11, 20)
AS_OF = date(2026, 12, 1)

JOBS = [
    Job("11", "Senior Account Executive", date(2026, 10, 1), "Sales"),
    Job("12", "SEO Manager", date(2026, 11, 2), "Marketing"),
    Job("13", "VP Sales", date(2026, 9, 15), "Sales"),
]


def _collect(world: World, names: list[str], store: SignalsStore, on: date, **kw) -> object:
    config = CollectConfig(
        observed_on=on,
        fetch=FetchConfig(allow_private=True, concurrency=4, retries=0),
        feeds=world.feeds(),
        stack=kw.pop("stack", False),
        **kw,
    )
    return collect([world.website(n) for n in names], store, config)


def test_fixture_formats_cover_every_ats_icpkit_reads() -> None:
    assert set(ATS) == set(ATS_NAMES)


@pytest.mark.parametrize("ats", ATS)
def test_each_ats_feed_is_read_with_titles_dates_and_departments(tmp_path: Path, ats: str) -> None:
    name = f"acme-{ats}.localhost"
    world = World([Company(name, ats=ats, jobs=list(JOBS))])
    with world, SignalsStore(tmp_path / "s.duckdb") as store:
        report = _collect(world, [name], store, D3)
        rows = store.frame(
            "SELECT source, title, department, seniority, posted_on FROM postings "
            "ORDER BY posted_on"
        )
    assert report.read == 1 and report.unknown == 0
    assert rows["source"].unique().to_list() == [ats]
    assert rows["title"].to_list() == ["VP Sales", "Senior Account Executive", "SEO Manager"]
    assert rows["posted_on"].to_list() == [date(2026, 9, 15), date(2026, 10, 1), date(2026, 11, 2)]
    assert rows["department"].to_list() == ["sales", "sales", "marketing"]
    assert rows["seniority"].to_list()[0] == "vp"


@pytest.mark.parametrize("ctype", ["application/rss+xml", "application/atom+xml; charset=utf-8"])
def test_feed_served_as_rss_or_atom_xml_is_read_not_empty(tmp_path: Path, ctype: str) -> None:
    """The fetcher once kept no body for RSS/Atom types: the feed read as a board with no roles."""
    from tests.signals.ats import feed_body

    company = Company("tt.localhost", ats="teamtailor", jobs=list(JOBS))
    company.feed_override = (feed_body("teamtailor", company)[0], ctype)
    with World([company]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        _collect(world, ["tt.localhost"], store, D3)
        titles = store.frame("SELECT title FROM postings ORDER BY title")["title"].to_list()
    assert titles == ["SEO Manager", "Senior Account Executive", "VP Sales"]


@pytest.mark.parametrize(
    ("mode", "source"),
    [("jsonld", "jsonld"), ("links", "careers_page"), ("careers_board", "ashby")],
)
def test_careers_pages_jsonld_links_and_boards_named_there(
    tmp_path: Path, mode: str, source: str
) -> None:
    company = Company("beta.localhost", mode=mode, ats="ashby", jobs=list(JOBS[:2]))
    with World([company]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        _collect(world, ["beta.localhost"], store, D3)
        rows = store.frame("SELECT source, title, posted_on FROM postings ORDER BY title")
    assert rows["source"].unique().to_list() == [source]
    assert rows["title"].to_list() == ["SEO Manager", "Senior Account Executive"]
    if mode == "links":  # a plain careers page gives no posting date
        assert rows["posted_on"].null_count() == 2
    else:
        assert rows["posted_on"].to_list() == [date(2026, 11, 2), date(2026, 10, 1)]


def test_bad_sources_are_one_line_unknowns_and_the_batch_goes_on(tmp_path: Path) -> None:
    companies = [
        Company("good.localhost", jobs=list(JOBS)),
        Company("html.localhost", feed_override=("<!doctype html><html>login</html>", "text/html")),
        Company(
            "badld.localhost",
            mode="jsonld",
            careers_override='<html><script type="application/ld+json">{"@type": "JobPosting",'
            "</script></html>",
        ),
        Company("garbled.localhost", ats="lever", feed_override=("[{", "application/json")),
    ]
    with World(companies) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        names = [c.name for c in companies]
        report = _collect(world, names, store, D3)
        bad = store.frame("SELECT account, detail FROM visits WHERE NOT ok ORDER BY account")
    assert report.read == 1 and report.unknown == 3
    why = dict(bad.iter_rows())
    assert "returned an HTML page, not JSON" in why["html.localhost"]
    assert "malformed JSON-LD in block 1" in why["badld.localhost"]
    assert "malformed JSON (line 1" in why["garbled.localhost"]
    assert all("\n" not in v for v in why.values())


def test_unknown_domains_and_non_domains_are_recorded_not_fatal(tmp_path: Path) -> None:
    with World([Company("ok.localhost", jobs=list(JOBS))]) as world:
        config = CollectConfig(
            observed_on=D3,
            fetch=FetchConfig(allow_private=True, retries=0, timeout=10),
            feeds=world.feeds(),
            stack=False,
        )
        with SignalsStore(tmp_path / "s.duckdb") as store:
            report = collect(
                [world.website("ok.localhost"), "no-such-host.invalid", "not a website"],
                store,
                config,
            )
            bad = dict(store.frame("SELECT account, detail FROM visits WHERE NOT ok").iter_rows())
    assert report.read == 1 and report.unknown == 2
    assert bad["no-such-host.invalid"].startswith(("dns:", "refused:"))
    assert "not a valid domain" in bad["not a website"]


def test_planted_hiring_surge_is_recovered_exactly(tmp_path: Path) -> None:
    steady = Company("steady.localhost", jobs=[Job("1", "Account Executive", D1, "Sales")])
    surge = Company("surge.localhost", ats="lever", jobs=[Job("1", "Account Executive", D1)])
    flaky = Company("flaky.localhost", ats="workable", jobs=[Job("1", "Data Engineer", D1)])
    with World([steady, surge, flaky]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        names = ["steady.localhost", "surge.localhost", "flaky.localhost"]
        _collect(world, names, store, D1)
        surge.jobs.append(Job("2", "Sales Development Representative", D2))
        _collect(world, names, store, D2)
        # the surge: four more sales roles and a CMO search, seen at the third look
        surge.jobs += [Job(str(i), "Account Executive, Mid-Market", D3) for i in range(3, 7)]
        surge.jobs.append(Job("9", "Chief Marketing Officer", D3))
        flaky.home_status = 503  # the site is down at the last look: unknown, not "no roles"
        _collect(world, names, store, D3)
        out = {r["domain"]: r for r in signal_columns(store, AS_OF, roles="sales dev").to_dicts()}
    s = out["surge.localhost"]
    assert s["hiring_open_roles"] == 7
    # looks in (2026-09-02, 2026-12-01]: only D3's; base = latest look on or before 2026-09-02 (D2)
    assert s["hiring_sales_roles_90d"] == 6
    assert s["hiring_growth_90d"] == 7 - 2
    assert s["hiring_leader_roles_180d"] == 1
    assert s["hiring_roles_90d"] == 1 and s["hiring_roles_last_date"] == D2
    assert out["steady.localhost"]["hiring_growth_90d"] == 0
    assert out["steady.localhost"]["hiring_sales_roles_90d"] == 1
    f = out["flaky.localhost"]
    assert f["hiring_sales_roles_90d"] is None and f["hiring_growth_90d"] is None
    assert f["hiring_open_roles"] == 1  # its latest successful look (D2) had one role


def test_rerun_on_the_same_date_adds_nothing(tmp_path: Path) -> None:
    world = World([Company("a.localhost", jobs=list(JOBS))])
    with world, SignalsStore(tmp_path / "s.duckdb") as store:
        first = _collect(world, ["a.localhost"], store, D3)
        again = _collect(world, ["a.localhost"], store, D3)
        counts = store.counts()
    assert first.postings == 3 and again.already_done == 1 and again.postings == 0
    assert counts["postings"] == 3 and counts["visits"] == 1


def test_postings_keep_the_role_only(tmp_path: Path) -> None:
    page = (
        '<script type="application/ld+json">'
        + json.dumps(
            {
                "@type": "JobPosting",
                "title": "Head of Demand Generation",
                "datePosted": "2026-10-10",
                "description": "Report to Jane Doe (jane.doe@example.com)",
                "applicantLocationRequirements": {"name": "Berlin"},
            }
        )
        + "</script>"
    )
    [posting] = jsonld_postings(page, "https://example.com/careers")
    assert posting.title == "Head of Demand Generation"
    assert "jane" not in repr(posting).lower()


@settings(max_examples=150, deadline=None)
@given(ats=st.sampled_from(ATS), body=st.text(max_size=300))
def test_any_feed_body_gives_postings_or_a_one_line_feed_error(ats: str, body: str) -> None:
    try:
        postings = parse_feed(ats, "https://feed.example/x", body)
    except FeedError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("https://feed.example/x: ")
    else:
        assert all(p.title and "\n" not in p.title for p in postings)
