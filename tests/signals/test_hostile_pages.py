"""Careers and team pages are fetched from the open web like home pages, so they are parsed the
way detection parses a page: hostile shapes cut first (``technographics.page.parse_input``).

lexbor's attribute check is quadratic per tag: one tag of 50,000 attributes cost the signals'
parse ~9 s before, 600,000 in a 5 MiB body ~20 minutes. The cut is observable without a clock:
a long tag keeps only its first MAX_TAG_ATTRIBUTES attributes, so an ``href`` placed after
them is gone, while the page's ordinary links and JSON-LD blocks are read as before.
"""

from __future__ import annotations

import json

from icpkit.signals.hiring import jsonld_postings, page_links
from icpkit.signals.team import team_people
from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, Page

BASE = "https://acme.example/"


def _wide_link(n: int) -> str:
    """An ``<a>`` whose ``href`` comes after ``n`` filler attributes (a tag of 256+ characters)."""
    filler = " ".join(f"data-x{i}=1" for i in range(n))
    return f'<a {filler} href="/wide">Wide</a>'


def test_links_after_a_wide_tag_are_read_and_its_late_href_is_cut() -> None:
    html = (
        "<html><body>"
        + _wide_link(MAX_TAG_ATTRIBUTES + 20)
        + '<a href="/careers">Careers</a></body></html>'
    )
    links = page_links(html, BASE)
    assert ("https://acme.example/careers", "Careers") in links
    assert all(url != "https://acme.example/wide" for url, _ in links)
    # the same reading as detection's own parse of that page
    tree_links = [n.attributes.get("href") for n in Page(url=BASE, html=html).tree.css("a[href]")]
    assert tree_links == ["/careers"]


def test_a_wide_tag_under_the_limit_keeps_its_href() -> None:
    links = page_links("<body>" + _wide_link(MAX_TAG_ATTRIBUTES - 2) + "</body>", BASE)
    assert links == [("https://acme.example/wide", "Wide")]


def test_json_ld_after_a_hostile_tag_is_still_read() -> None:
    hostile = "<div " + " ".join(f"a{i}=1" for i in range(20_000)) + ">x</div>"
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": "Data Engineer",
        "datePosted": "2026-11-02",
    }
    person = {"@context": "https://schema.org", "@type": "Person", "name": "Ada Lovelace"}
    person["jobTitle"] = "Chief Marketing Officer"
    html = (
        "<html><body>"
        + hostile
        + f'<script type="application/ld+json">{json.dumps(posting)}</script>'
        + f'<script type="application/ld+json">{json.dumps(person)}</script>'
        + "</body></html>"
    )
    postings = jsonld_postings(html, BASE + "careers")
    assert [p.title for p in postings] == ["Data Engineer"]
    assert team_people(html) == [("Ada Lovelace", "Chief Marketing Officer")]
