"""Leadership changes from companies' team pages: found from the home page, read for names and
titles (JSON-LD Person, or heading-and-title blocks), kept as hashes and roles only, and
compared with the previous look — served by a local server in two versions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from icpkit.signals.collect import CollectConfig, collect
from icpkit.signals.export import signal_columns
from icpkit.signals.leadership import new_leaders
from icpkit.signals.store import SignalsStore
from icpkit.signals.team import find_team_page, team_people
from icpkit.technographics.fetch import FetchConfig
from tests.signals.ats import Company, World

D1, D2 = date(2026, 8, 1), date(2026, 11, 1)
AS_OF = date(2026, 12, 1)


def _blocks(people: list[tuple[str, str]]) -> str:
    cards = "".join(f'<div class="card"><h3>{n}</h3>\n  <p>{t}</p></div>' for n, t in people)
    return f"<html><body><h2>Our leadership team</h2><section>{cards}</section></body></html>"


def _jsonld(people: list[tuple[str, str]]) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Acme",
        "employee": [{"@type": "Person", "name": n, "jobTitle": t} for n, t in people],
    }
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head></html>'
    )


BEFORE = [("Grace Hopper", "Chief Executive Officer"), ("Alan Turing", "VP Marketing"),
          ("Joan Clarke", "Software Engineer")]  # fmt: skip
AFTER = [("Grace Hopper", "Chief Executive Officer"), ("Katherine Johnson", "Chief Marketing Officer"),
         ("Joan Clarke", "Software Engineer"), ("Dorothy Vaughan", "Head of Sales")]  # fmt: skip


@pytest.mark.parametrize("render", [_blocks, _jsonld])
def test_team_page_read_for_names_and_titles(render) -> None:  # type: ignore[no-untyped-def]
    assert team_people(render(BEFORE)) == BEFORE


def test_team_page_found_from_home_page_links_on_the_same_site() -> None:
    html = ('<a href="https://other.example/team">x</a><a href="/blog/team-news">y</a>'
            '<a href="/company/leadership/">Leadership</a>')  # fmt: skip
    assert (
        find_team_page(html, "https://acme.example/") == "https://acme.example/company/leadership/"
    )
    assert find_team_page('<a href="/about">About</a>', "https://acme.example/") is None


@pytest.mark.parametrize("render", [_blocks, _jsonld])
def test_new_leader_on_the_team_page_is_dated_and_no_name_is_stored(tmp_path: Path, render) -> None:  # type: ignore[no-untyped-def]
    acme = Company("acme.localhost", mode="none", team_html=render(BEFORE))
    quiet = Company("quiet.localhost", mode="none", team_html=render(BEFORE))
    with World([acme, quiet]) as world, SignalsStore(tmp_path / "s.duckdb") as store:

        def look(on: date) -> None:
            config = CollectConfig(
                observed_on=on, fetch=FetchConfig(allow_private=True, retries=0),
                feeds=world.feeds(), stack=False, hiring=False,
            )  # fmt: skip
            report = collect([world.website("acme.localhost"), world.website("quiet.localhost")],
                             store, config)  # fmt: skip
            assert report.leaders > 0

        look(D1)
        acme.team_html = render(AFTER)  # the site changes between the looks
        look(D2)
        arrived = new_leaders(store, AS_OF)
        stored = store.frame("SELECT * FROM leaders")
        out = signal_columns(store, AS_OF).sort("domain")
    cols = ("account", "arrived_on", "title", "department", "source")
    assert arrived.select(cols).sort("title").rows() == [
        ("acme.localhost", D2, "chief marketing officer", "marketing", "team_page"),
        ("acme.localhost", D2, "head of sales", "sales", "team_page"),
    ]
    # only director-or-above roles, as hashes: no names, no engineer
    text = " ".join(str(v) for row in stored.rows() for v in row).lower()
    assert not any(n.split()[0].lower() in text for n, _ in BEFORE + AFTER)
    assert "software engineer" not in text
    assert out["new_marketing_leader_180d"].to_list() == [True, False]
    assert out["leadership_change_date"].to_list() == [D2, None]


def test_a_team_page_with_no_people_is_unknown_not_empty(tmp_path: Path) -> None:
    acme = Company("acme.localhost", mode="none", team_html="<html><p>Coming soon</p></html>")
    with World([acme]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        config = CollectConfig(observed_on=D1, fetch=FetchConfig(allow_private=True, retries=0),
                               feeds=world.feeds(), stack=False, hiring=False)  # fmt: skip
        collect([world.website("acme.localhost")], store, config)
        looks = store.frame("SELECT ok, detail FROM visits WHERE source = 'team_page'").rows()
    assert looks == [(False, looks[0][1])] and "no names with titles" in looks[0][1]
