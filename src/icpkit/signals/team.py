"""Leadership changes from companies' own team and leadership pages.

Many company sites list their leaders on a page such as ``/team`` or ``/about/leadership``.
During collection the home page's links name that page; it is read for name and title pairs,
from schema.org ``Person`` JSON-LD where the page has it, else from simple blocks of a heading
(the name) followed by a short line (the title). The store keeps what the leadership signal
needs and nothing more: for each director-or-above person, a keyed hash of the name (the
store's own salt, as for contacts snapshots), the title, department and seniority. Comparing a
look with the previous looks of the same page (``source = 'team_page'``) shows who arrived.

A page that yields no person is not a look (the visit is marked unknown): an empty page
compared with a later full one would make everyone "new".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from icpkit.signals.hiring import jsonld_objects, page_links, read_jsonld
from icpkit.signals.leadership import LEADER_SENIORITIES

SOURCE = "team_page"

_TEAM_PATH = re.compile(
    r"^/(?:(?:about(?:-us)?|company|who-we-are)/)?"
    r"(?:team|our-team|the-team|leadership|leadership-team|management|management-team|people)/?$",
    re.I,
)
_HEADINGS = {"h2", "h3", "h4", "h5", "strong", "b"}
_TITLE_TAGS = {"p", "span", "div", "small", "em", "h4", "h5", "h6"}
_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "ul", "section", "article"}
# (checked on at most _NAME_CHARS characters: the match backtracks over a long word, 14 ms
# per heading of 1 MB of text, and no name of up to five words is longer)
_NAME_CHARS = 120
_NAME = re.compile(r"^[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){1,4}$")


def find_team_page(html: str, base: str) -> str | None:
    """The home page's link to its own team or leadership page (same site), or None."""
    host = (urlsplit(base).hostname or "").removeprefix("www.")
    for url, _text in page_links(html, base):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        if (parts.hostname or "").removeprefix("www.") != host:
            continue
        if _TEAM_PATH.match(parts.path):
            return url.split("#", 1)[0]
    return None


_PEOPLE_KEYS = ("@graph", "employee", "employees", "member", "members", "founder", "founders",
                "itemListElement", "item", "mainEntity")  # fmt: skip


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def team_people(html: str) -> list[tuple[str, str]]:
    """(name, title) pairs on a team page: JSON-LD ``Person`` objects with a ``jobTitle``,
    else heading-and-line blocks ("<h3>Ada Lovelace</h3><p>Chief Marketing Officer</p>").
    Malformed JSON-LD blocks are skipped (the blocks below still count)."""
    from icpkit.technographics.page import parse_document  # (lexbor: imported when used)

    tree = parse_document(html)
    out: dict[str, str] = {}
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = read_jsonld(node.text(deep=True) or "")
        except ValueError:  # (json.JSONDecodeError is one: malformed, or nested too deep)
            continue
        for person in jsonld_objects(data, "Person", _PEOPLE_KEYS):
            name, title = _clean(person.get("name")), _clean(person.get("jobTitle"))
            if name and title:
                out.setdefault(name, title)
    if out:
        return list(out.items())
    heads = ",".join(sorted(_HEADINGS))
    # headings holding another (<b> in <b> nests up to MAX_OPEN_TAGS deep): each one's text
    # would copy all the text below it (1,990 nested <b> over 3 MB of text: 145 s of CPU),
    # so theirs is read only when few nodes lie under them; the others' subtrees are disjoint
    holders = {n.mem_id for n in tree.css(",".join(f"{h}:has({heads})" for h in sorted(_HEADINGS)))}
    for head in tree.css(heads):
        if holders and head.mem_id in holders and _look(head) == "large":
            continue
        name = _clean(head.text(deep=True))
        if not name or len(name) > _NAME_CHARS or not _NAME.match(name):
            continue
        nxt = head.next
        while nxt is not None and nxt.tag == "-text" and not (nxt.text() or "").strip():
            nxt = nxt.next
        if nxt is None or nxt.tag not in _TITLE_TAGS or _look(nxt) != "small":
            continue  # a section heading followed by the section, not a person's title
        title = _clean(nxt.text(deep=True))
        if title and len(title) <= 80 and title != name:
            out.setdefault(name, title)
    return list(out.items())


NODE_BUDGET = 64
"""Nodes a person's name or title line may hold: past it, it is neither (and its text is not
copied: titles nest too, and each copy holds all the text below)."""


def _look(node: Any, budget: int = NODE_BUDGET) -> str:
    """``block`` when a block element lies under ``node``, ``large`` when more than ``budget``
    nodes do, else ``small``. Iterative and stopped at the budget: a page may nest up to
    MAX_OPEN_TAGS (2,000) elements, twice Python's default stack (a recursive walk raised
    RecursionError on a team page of 1,500 nested ``<i>``), and nested title lines each
    walked all below them (995 over 3 MB of text: 3 s)."""
    stack = [node.child]
    seen = 0
    while stack:
        child = stack.pop()
        while child is not None:
            if child.tag in _BLOCKS:
                return "block"
            seen += 1
            if seen > budget:
                return "large"
            if child.tag != "-text" and child.child is not None:
                stack.append(child.child)
            child = child.next
    return "small"


def person_key(salt: str, name: str) -> str:
    """A person's keyed hash (the store's salt and the case-folded name): comparable between
    looks of one store, useless anywhere else, and not the name."""
    folded = " ".join(name.split()).casefold()
    return hashlib.sha256((salt + folded).encode()).hexdigest()[:24]


def team_frames(
    people: Mapping[str, list[tuple[str, str]]], observed_on: date, salt: str
) -> dict[str, pl.DataFrame]:
    """Store rows for team-page looks: ``leaders`` (director and above: hash, title,
    department, seniority; no names) and a ``visits`` mark per account read."""
    from icpkit.people.titles import classify_titles

    rows = [
        {"account": acc, "person": person_key(salt, name), "title": title}
        for acc, pairs in people.items()
        for name, title in pairs
    ]
    frame = pl.DataFrame(
        rows, schema={"account": pl.String, "person": pl.String, "title": pl.String}
    )
    classes = classify_titles(frame["title"])
    leaders = (
        frame.with_columns(
            classes["department"].alias("department"),
            classes["seniority"].alias("seniority"),
            classes["title_clean"].alias("title"),
            pl.lit(observed_on).alias("observed_on"),
            pl.lit(SOURCE).alias("source"),
        )
        .filter(pl.col("seniority").is_in(LEADER_SENIORITIES))
        .unique(["account", "person"], keep="first", maintain_order=True)
    )
    visits = pl.DataFrame({"account": list(people)}, schema={"account": pl.String}).with_columns(
        pl.lit(observed_on).alias("observed_on"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(True).alias("ok"),
        pl.lit(None, dtype=pl.String).alias("detail"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("unseen"),
    )
    return {"leaders": leaders, "visits": visits}


__all__ = ["SOURCE", "find_team_page", "person_key", "team_frames", "team_people"]
