"""Shortcuts of the fourth matcher session are exact: a window literal's occurrence is skipped
only when no match can contain it (another requirement has no occurrence within the match
width), alternations keep literals continued through small classes, and the dom text gate
reads the same joined text lexbor gives.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.technographics import hits as hits_mod
from icpkit.technographics import selectors as selectors_mod
from icpkit.technographics.fingerprints import Pattern
from icpkit.technographics.hits import MatchEntry, hyperscan_available
from icpkit.technographics.patterns import (
    fold_for_prefilter,
    prefilter_image,
    required_literal_sets,
)
from icpkit.technographics.prefilter import Bucket, _near

# patterns of two or more requirements whose occurrences may lie far apart
NEAR_PATTERNS = [
    r"<link [^>]{1,40}rel=[\"']stylesheet[\"'] [^>]{1,40}/wp-(?:content|includes)/",
    r"rel=[\"']stylesheet[\"'][^>]{0,30}bootstrap(\d)",
    r"gravatar\.com/avatar/.{0,20}?(?:\?s=|secure)",
    r"<html[^>]{0,60}amp-version=\"([\d.]{1,9})\"",
]

NEAR_PARTS = st.lists(
    st.sampled_from(
        [
            "<link rel='stylesheet' ",
            '<link rel="stylesheet" href="/wp-content/a.css">',
            "/wp-content/",
            "/wp-includes/x",
            "bootstrap3",
            "BOOTSTRAP",
            "gravatar.com/avatar/abc",
            "?s=80",
            "secure",
            '<html lang="en" ',
            'amp-version="1.2"',
            "x" * 45,
            "y" * 4100,
            " ",
            "\u212a",
        ]
    ),
    max_size=14,
)


def _bucket_and_scan(
    pattern: str, spy: object = None
) -> tuple[Bucket, re.Pattern[str], selectors_mod.LiteralScan, list[str]]:
    regex = re.compile(pattern, re.IGNORECASE)
    pat = Pattern(source=pattern, regex=spy or regex, confidence=100, version=None)  # type: ignore[arg-type]
    bucket = Bucket([MatchEntry(0, "html", None, pat, 0)], native=False)
    reqs = required_literal_sets(regex.pattern) or []
    lits = sorted({x for r in reqs for x in r})
    # half the literals tracked (every start known), the others only reported present
    tracked = lits[::2] + list(bucket.windows[0][2])
    scan = selectors_mod.LiteralScan([*lits, "never-there"], True, tracked=tracked)
    bucket.tracked = scan.tracked
    bucket.scanned = frozenset([*lits, "never-there"])  # absent ones: no occurrence
    return bucket, regex, scan, lits


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
@settings(max_examples=400, deadline=None)
@given(parts=NEAR_PARTS, pattern=st.sampled_from(NEAR_PATTERNS))
def test_confirm_skipping_occurrences_by_position_equals_search(
    parts: list[str], pattern: str
) -> None:
    bucket, regex, scan, _lits = _bucket_and_scan(pattern)
    value = "".join(parts)
    value = value + ("z" * max(0, hits_mod.WINDOW_MIN_CHARS - len(value)))
    folded = fold_for_prefilter(value)
    found, at = scan.positions(prefilter_image(folded))
    got = bucket.confirm(0, value, folded, found, at)
    want = regex.search(value)
    assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_far_apart_requirements_skip_the_search() -> None:
    """Hundreds of stylesheet links and one ``/wp-content/`` far from all of them: no
    window is searched, the answer is still "no match"."""
    pattern = NEAR_PATTERNS[0]
    real = re.compile(pattern, re.IGNORECASE)
    searched: list[int] = []

    class Spy:
        """The compiled pattern, counting searches."""

        pattern = real.pattern

        def search(self, text: str, pos: int = 0, endpos: int = 2**62) -> object:
            searched.append(pos)
            return real.search(text, pos, endpos)

    bucket, _regex, scan, _lits = _bucket_and_scan(pattern, Spy())
    link = "<link id='a' rel='stylesheet' href='/a.css'>\n"
    value = link * 300 + "x" * 500 + " /wp-content/ "
    folded = fold_for_prefilter(value)
    found, at = scan.positions(prefilter_image(folded))
    assert real.search(value) is None
    assert bucket.confirm(0, value, folded, found, at) is None
    assert searched == []
    # with the far literal moved next to one link, that window is searched and matches
    near = value.replace(link, "<link id='a' rel='stylesheet' href='/wp-content/a.css'>\n", 1)
    folded = fold_for_prefilter(near)
    found, at = scan.positions(prefilter_image(folded))
    got = bucket.confirm(0, near, folded, found, at)
    want = real.search(near)
    assert want is not None and got is not None and got.span() == want.span()
    assert len(searched) == 1


def test_near_needs_every_requirement_inside_the_span() -> None:
    at = {"aaa": [10, 200], "bbb": [50], "ccc": []}
    assert _near([("aaa",), ("bbb",)], at, 0, 60)
    assert not _near([("aaa",), ("bbb",)], at, 0, 52)  # bbb ends at 53
    assert _near([("ccc", "bbb")], at, 40, 60)  # one literal of a requirement suffices
    assert not _near([("ccc",)], at, 0, 10_000)  # absent: no starts
    assert not _near([("aaa",)], at, 11, 199)


def test_alternation_literals_continue_through_small_classes() -> None:
    """Each alternative's literal runs on through ``[_-]``: ``id="block`` alone (on most
    Drupal pages) no longer stands for the first alternative."""
    reqs = required_literal_sets(
        r'<[^>]{1,250}(?:id="block[_-]commerce[_-]cart[_-]cart|class="commerce[_-]product)'
    )
    assert reqs is not None
    assert any('id="block-commerce-cart-cart' in r and 'class="commerce_product' in r for r in reqs)
    # and the sets stay sound: every string the regex matches contains one of each set
    rx = re.compile(
        r'<[^>]{1,250}(?:id="block[_-]commerce[_-]cart[_-]cart|class="commerce[_-]product)'
    )
    for text in ['<div id="block_commerce-cart_cart">', '<p class="commerce-product">']:
        m = rx.search(text)
        assert m is not None
        assert all(any(x in m.group(0).lower() for x in r) for r in reqs)


DOC_PARTS = st.lists(
    st.sampled_from(
        [
            "<p>a",
            "b</p>",
            "<table>x<tr><td>y</td>z</tr></table>",
            "<template>t<b>u</b></template>",
            "<svg><title>s<!--c-->v</title><style>w&amp;q</style></svg>",
            "<script>s<!--x-->t</script>",
            "<noscript><i>n</i>o</noscript>",
            "<textarea>a&lt;b</textarea>",
            "&#x41;&nbsp;",
            "\r\n",
            "<!-- comment -->",
            "<title>T&amp;</title>",
            "caf\u00e9",
            "</div>",
        ]
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(parts=DOC_PARTS)
def test_lexbor_text_content_equals_joined_text_nodes(parts: list[str]) -> None:
    """The dom text gate reads ``text_lexbor()``: it must be the text nodes joined without a
    separator, what each node's ``text(deep=True, separator="")`` is a contiguous piece of."""
    root = LexborHTMLParser("".join(parts)).root
    assert root is not None
    assert root.text_lexbor() == root.text(deep=True, separator="")


# --- the text gate's phrase check ------------------------------------------------------------

PHRASE_TECHS = {
    "Post": {"cats": [1], "text": ["\\bPost AG\\b"]},
    "Mail": {"cats": [1], "text": ["\\bRoyal Mail Group\\b"]},
}
PHRASE_PARTS = [
    "Post AG", "Post\tAG", "Post\x1cAG", "Post\u3000AG", "Post\u00a0AG", "Post\r\nAG",
    "Post<!-- c -->AG", "Post<script>x</script>AG", "Post&#32;AG", "P&#111;st AG", "Post &#65;G",
    "Post <table>AG", "<title>Post</title>AG", "Post\x00AG", "Post-AG", "Post.AG", "PostAG",
    "Post</p>\n<p>AG", "<p>Post", "AG</p>", " AG", "Post ", "xPost AG", "Post AGx", "Post AGé",
    "Royal Mail Group", "Royal <b>Mail</b> Group", "Royal Mail&nbsp;Group", "Royal Mail Gr",
    "Royal", "Mail", "Group", "<i>", "</i>", " ", "\n", "é", "post", "ag", "&amp;", "<br>",
]  # fmt: skip


@pytest.fixture(scope="module")
def phrase_engines(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    import json

    from icpkit.technographics import load_fingerprints
    from icpkit.technographics.matcher import Matcher

    root = tmp_path_factory.mktemp("phrases")
    (root / "technologies").mkdir()
    (root / "technologies" / "a.json").write_text(json.dumps(PHRASE_TECHS), encoding="utf-8")
    cats = {"1": {"name": "CMS", "groups": [], "priority": 1}}
    (root / "categories.json").write_text(json.dumps(cats), encoding="utf-8")
    db = load_fingerprints(root)
    out: list[object] = [Matcher(db, engine="fast", native=False)]
    if hyperscan_available():
        out.append(Matcher(db, engine="fast", native=True))
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=st.lists(st.sampled_from(PHRASE_PARTS), max_size=10))
def test_text_gate_opens_whenever_a_phrase_is_in_the_visible_text(
    phrase_engines: list[object], parts: list[str]
) -> None:
    from icpkit.technographics import Page

    html = "<html><body>" + "".join(parts) + "</body></html>"
    text = Page(url="https://a.example/", html=html).text
    wanted = any(re.search(p, text, re.I) for p in (r"\bPost AG\b", r"\bRoyal Mail Group\b"))
    for m in phrase_engines:
        page = Page(url="https://a.example/", html=html)
        if wanted:
            assert m._text_may_match(page), (html, text)  # type: ignore[attr-defined]


def test_text_gate_stays_shut_when_the_words_are_apart(phrase_engines: list[object]) -> None:
    """Both words of ``Post AG`` on the page as words, never one after the other: shut
    (before, each word alone opened it); next to each other, split by markup: open."""
    from icpkit.technographics import Page

    filler = "<p>post the letter</p><p>ag stands for</p>" * 20
    for m in phrase_engines:
        shut = Page(url="https://a.example/", html=f"<html><body>{filler}</body></html>")
        assert not m._text_may_match(shut)  # type: ignore[attr-defined]
        for extra in ("<p>Post <b>AG</b></p>", "<p>Post&#160;AG</p>", "<p>Post\n\tAG</p>"):
            page = Page(url="https://a.example/", html=f"<html><body>{filler}{extra}</body></html>")
            assert m._text_may_match(page), extra  # type: ignore[attr-defined]
