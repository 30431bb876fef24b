"""Text from the open web read by signals: shapes that cost super-linear time or crashed.

Each test runs the adversarial input and asserts what comes back: before the fixes these
raised RecursionError (JSON-LD nested ~1,000+ deep, a team page nesting 1,500 inline
elements) or ran for minutes (a Greenhouse embed regex backtracking over a long href: 20 s
of CPU at 0.9 MB, quadratic), so a regression fails here or hangs, without a clock.
"""

from __future__ import annotations

import json

import pytest

from icpkit.signals.hiring import (
    MAX_LINK_ELEMENTS,
    Board,
    FeedError,
    find_board,
    jsonld_objects,
    jsonld_postings,
    page_links,
    parse_feed,
)
from icpkit.signals.team import NODE_BUDGET, team_people

BASE = "https://acme.example/"
POSTING = {"@type": "JobPosting", "title": "Data Engineer", "datePosted": "2026-11-02"}
PERSON = {"@type": "Person", "name": "Ada Lovelace", "jobTitle": "Chief Marketing Officer"}


def _ld(value: object | str) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return f'<script type="application/ld+json">{raw}</script>'


def test_a_json_ld_walk_follows_any_nesting_without_the_stack() -> None:
    # built in Python, past what json.loads reads: the walk itself must not recurse
    deep: object = {"@type": "ItemList", "itemListElement": [POSTING]}
    for _ in range(100_000):
        deep = {"@graph": [deep]}
    found = list(jsonld_objects(deep, "JobPosting", ("@graph", "itemListElement")))
    assert found == [POSTING]


def test_json_ld_walk_keeps_document_order() -> None:
    data = {
        "@graph": [
            {"@type": "JobPosting", "title": "a", "item": {"@type": "JobPosting", "title": "b"}},
            [{"@type": ["Thing", "JobPosting"], "title": "c"}],
        ],
        "mainEntity": {"@type": "JobPosting", "title": "d"},
    }
    keys = ("@graph", "itemListElement", "item", "mainEntity")
    assert [o["title"] for o in jsonld_objects(data, "JobPosting", keys)] == ["a", "b", "c", "d"]


def test_a_json_ld_block_json_loads_reads_but_deep_still_yields_its_posting() -> None:
    block = "[" * 900 + json.dumps(POSTING) + "]" * 900
    postings = jsonld_postings(_ld(block), BASE + "careers")
    assert [p.title for p in postings] == ["Data Engineer"]


@pytest.mark.parametrize("depth", [5_000, 500_000])
def test_a_json_ld_block_too_deep_to_read_is_a_feed_error(depth: int) -> None:
    block = "[" * depth + json.dumps(POSTING) + "]" * depth
    with pytest.raises(FeedError, match=r"careers: JSON-LD block 2 nested too deep to read"):
        jsonld_postings(_ld(POSTING) + _ld(block), BASE + "careers")


def test_team_page_skips_a_too_deep_json_ld_block_and_reads_the_next() -> None:
    deep = '{"@graph":' * 50_000 + json.dumps(PERSON) + "}" * 50_000
    assert team_people(_ld(deep) + _ld(PERSON)) == [("Ada Lovelace", "Chief Marketing Officer")]


@pytest.mark.parametrize("depth", [1_500, 1_990])
def test_team_heading_before_deeply_nested_inline_markup(depth: int) -> None:
    # pages may nest up to MAX_OPEN_TAGS (2,000) elements, twice Python's default stack: a
    # line of that many nodes is no person's title (past NODE_BUDGET), read or not
    inline = "<span>" + "<i>" * depth + "Chief Marketing Officer" + "</i>" * depth + "</span>"
    assert team_people("<body><h3>Ada Lovelace</h3>" + inline + "</body>") == []
    shallow = "<span>" + "<i>" * 40 + "Chief Marketing Officer" + "</i>" * 40 + "</span>"
    html = "<body><h3>Ada Lovelace</h3>" + shallow + "</body>"
    assert team_people(html) == [("Ada Lovelace", "Chief Marketing Officer")]
    # a block element at the bottom makes it a section, not a person's title
    block = "<span>" + "<i>" * 40 + "<div>Our people</div>" + "</i>" * 40 + "</span>"
    assert team_people("<body><h3>Ada Lovelace</h3>" + block + "</body>") == []


@pytest.mark.parametrize("tag", ["b", "strong"])
def test_team_page_of_nested_headings_over_long_text(tag: str) -> None:
    # <b> in <b> nests (1,990 deep here): each one's text was a copy of all below it, and
    # the name pattern backtracked over each (145 s of CPU at 3 MB); a real person after
    # them is still read
    nested = f"<{tag}>" * 1_990 + "y" * 1_000_000 + f"</{tag}>" * 1_990
    person = "<h3>Ada Lovelace</h3><p>Chief Marketing Officer</p>"
    assert team_people("<body>" + nested + person + "</body>") == [
        ("Ada Lovelace", "Chief Marketing Officer")
    ]


def test_a_heading_holding_a_heading_is_still_read() -> None:
    html = "<body><h3><b>Ada Lovelace</b></h3><p>Chief Marketing Officer</p></body>"
    assert team_people(html) == [("Ada Lovelace", "Chief Marketing Officer")]


def test_a_title_line_of_more_nodes_than_the_budget_is_none() -> None:
    line = "<p>" + "<i></i>" * (NODE_BUDGET + 1) + "Chief Marketing Officer</p>"
    assert team_people("<body><h3>Ada Lovelace</h3>" + line + "</body>") == []
    line = "<p>" + "<i></i>" * (NODE_BUDGET - 1) + "Chief Marketing Officer</p>"
    assert team_people("<body><h3>Ada Lovelace</h3>" + line + "</body>") == [
        ("Ada Lovelace", "Chief Marketing Officer")
    ]


def _embed(query: str) -> str:
    return f'<a href="https://boards.example/{query}">jobs</a>'


@pytest.mark.parametrize(
    ("href", "board"),
    [
        ("https://boards.greenhouse.io/embed/job_board?for=acme", "acme"),
        ("https://boards.greenhouse.io/embed/job_board/js?b=1&for=acme-eu#top", "acme-eu"),
        ("https://boards.greenhouse.io/embed/job_board?b=1#&for=acme", None),
        ("https://boards.greenhouse.io/embed/job_board?xfor=acme", None),
        ("https://boards.greenhouse.io/embed/job_board?for=embed", None),
        ("https://x.example/#greenhouse.io/embed/job_board?for=acme", "acme"),
    ],
)
def test_greenhouse_embed_board(href: str, board: str | None) -> None:
    found = find_board(f'<a href="{href}">Jobs</a>', BASE)
    assert found == (Board("greenhouse", board) if board else None)


def test_greenhouse_embed_paths_repeated_over_a_long_href() -> None:
    # 30,000 embed paths (0.9 MB): the old pattern backtracked from each to the end of the URL
    many = "greenhouse.io/embed/job_board?&" * 30_000
    assert find_board(_embed(many), BASE) is None
    assert find_board(_embed(many + "for=acme"), BASE) == Board("greenhouse", "acme")


def test_xml_entity_declarations_are_refused_past_a_long_comment() -> None:
    dtd = '<!DOCTYPE workzag-jobs [<!ENTITY a "' + "A" * 50_000 + '">]>'
    body = "<workzag-jobs><position><id>1</id><name>" + "&a;" * 2_000 + "</name></position>"
    text = '<?xml version="1.0"?><!--' + "x" * 5_000 + "-->" + dtd + body + "</workzag-jobs>"
    with pytest.raises(FeedError, match="XML entity declarations are refused"):
        parse_feed("personio", "https://acme.jobs.personio.de/xml", text)


def test_a_deeply_nested_xml_feed_is_read() -> None:
    depth = 200_000
    text = "<rss>" + "<x>" * depth + "</x>" * depth + "<item><title>Eng</title></item></rss>"
    postings = parse_feed("teamtailor", "https://acme.teamtailor.com/jobs.rss", text)
    assert [p.title for p in postings] == ["Eng"]


@pytest.mark.parametrize("foreign", ["svg", "math"])
def test_anchors_nested_in_foreign_content_are_read_without_copying_their_text(
    foreign: str,
) -> None:
    # HTML closes an open <a>; inside SVG/MathML they nest: 1,990 deep over 1 MB of text
    depth = 1_990
    html = (
        '<body><a href="/careers">Careers</a>'
        + f"<{foreign}>"
        + "".join(f'<a href="/n{i}">' for i in range(depth))
        + "Open roles "
        + "y" * 1_000_000
    )
    links = page_links(html, BASE)
    assert links[0] == ("https://acme.example/careers", "Careers")
    nested = links[1:]
    assert [url for url, _ in nested] == [f"https://acme.example/n{i}" for i in range(depth)]
    # the innermost holds no other anchor: its text is read; the ones around it are not
    assert nested[-1][1].startswith("Open roles yyy")
    assert all(text == "" for _, text in nested[:-1])


@pytest.mark.parametrize(
    ("before", "found"), [(MAX_LINK_ELEMENTS - 1, True), (MAX_LINK_ELEMENTS, False)]
)
def test_links_are_read_from_the_first_max_link_elements(before: int, found: bool) -> None:
    # a 5 MiB page of 280,000 links cost the home page's readers 6.4 s; the first 20,000 count
    html = (
        "<body>"
        + '<a href="/p">p</a>' * before
        + '<a href="https://boards.greenhouse.io/acme">Jobs</a></body>'
    )
    assert find_board(html, BASE) == (Board("greenhouse", "acme") if found else None)
    links = page_links(html, BASE)
    assert len(links) == min(before + 1, MAX_LINK_ELEMENTS)
    links.clear()  # each caller gets its own list; the page is read once
    assert len(page_links(html, BASE)) == min(before + 1, MAX_LINK_ELEMENTS)
