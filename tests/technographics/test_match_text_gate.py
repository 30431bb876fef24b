"""The text gate where markup cuts a phrase: ``\\bPost AG\\b`` after ``new york post</a>``.

The gate (``Matcher._text_may_match``) decides, from the HTML alone, whether the visible text
must be extracted; it must open wherever a text pattern matches that text. A phrase cut by
markup now needs its next word right after the tags (plain tags only, no table, script,
comment or reference in between: :func:`icpkit.technographics.matcher._phrase_in_source`).
Checked against the visible text itself on generated pages built from the shapes that matter
(tags with quoted ``>``, tables, dropped elements, references, NUL, comments, raw-text
elements), and on the real saved pages.
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import shared_dir
from tests.technographics.engines import all_engines, write_db

from icpkit.technographics import Page
from icpkit.technographics.matcher import Matcher

TEXT_DB = {
    "Phrases": {"cats": [1], "text": ["\\bPost AG\\b", "\\bMy Flying Box\\b", "\\bUK Mail\\b"]},
    "WordEnd": {"cats": [1], "text": ["\\APC\\b"]},  # (JavaScript's \\A is a plain "A")
}
CATS = {"1": {"name": "Shipping", "groups": [], "priority": 1}}

PIECES = [
    "Post", "AG", "ag", "My", "Flying", "Box", "UK", "Mail", " ", "\n", "\u00a0", "\x00", "zz",
    "</a>", "<a href=\"/x\">", "<a title='a>AG'>", '<a title="x>y">', "<b>", "</b>", "<br/>",
    "<p>", "<div class=a=b>", "<table>", "<td>", "</td>", "<tr>", "</table>", "<script>",
    "</script>", "<style>", "</style>", "<noscript>", "</noscript>", "<template>", "</template>",
    "<!-- c -->", "<textarea>", "</textarea>", "<select>", "<option>", "&nbsp;", "&#65;G",
    "&amp;", "<", ">", "'", '"', "=", "<iframe>", "</iframe>", "<svg>", "</svg>", "<xmp>",
    "<plaintext>", "<a b\"c>", "é", "APC", "xapc", "apcé", "APC_", "&#65;PC", "ap", "c",
]  # fmt: skip


@pytest.fixture(scope="module")
def gate_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Matcher]:
    return all_engines(write_db(tmp_path_factory.mktemp("gate"), TEXT_DB, CATS))


def matches_text(m: Matcher, page: Page) -> bool:
    return any(e.pattern.regex.search(page.text) for e in m.list_entries["text"])  # type: ignore[union-attr]


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_gate_opens_wherever_a_phrase_is_in_the_visible_text(
    gate_engines: dict[str, Matcher], body: str
) -> None:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    for name in ("fast", "native"):
        if name not in gate_engines:
            continue
        m = gate_engines[name]
        page = Page(url="https://a.example/", html=html)
        if matches_text(m, Page(url="https://a.example/", html=html)):
            assert m._text_may_match(page), (name, body)


MARKUP = [
    "</a>", "<a href=\"/x\">", "<b>", "</b>", "<br/>", " ", "\n", "<p>", "</li><li>",
    "<script>zz</script>", "<style>zz</style>", "<noscript>zz</noscript>", "<!--zz-->",
    "<template>zz</template>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>",
    "<table><tr><td>zz</td></tr>", "<select>", "<option>", "</select>", "<textarea>",
    "</textarea>", "<title>", "</title>", "<iframe>", "</iframe>", "<svg>", "</svg>",
    "<![CDATA[zz]]>", "<i title='a>b'>", "\x00", "&nbsp;", "zz",
]  # fmt: skip


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.lists(st.sampled_from(MARKUP), max_size=4).map("".join),
    between=st.lists(st.sampled_from(MARKUP), max_size=8).map("".join),
    after=st.lists(st.sampled_from([*MARKUP, "AG", " AG"]), max_size=6).map("".join),
)
def test_gate_opens_for_a_phrase_across_any_markup(
    gate_engines: dict[str, Matcher], before: str, between: str, after: str
) -> None:
    """``Post``, any run of markup (dropped elements, tables, comments, raw text …), then
    text: wherever the visible text has the phrase, the gate is open."""
    html = f"<html><body>{before}Post{between}{after}</body></html>"
    for name in ("fast", "native"):
        if name in gate_engines:
            page = Page(url="https://a.example/", html=html)
            if matches_text(gate_engines[name], Page(url="https://a.example/", html=html)):
                assert gate_engines[name]._text_may_match(page), (name, html)


@pytest.mark.parametrize(
    ("body", "opens"),
    [
        ('new york post</a></li><li><a href="https://x.example/">makaan', False),
        ('new york post</a></li><li><a href="https://x.example/">AG', True),
        ("Post</b>\n <i> AG</i>", True),
        ("Post</td><td>zz", True),  # a table may move text
        ("Post<script>x</script>zz", True),  # dropped text: what follows is unknown
        ("Post<!-- c -->zz", True),
        ("Post<a title='a>b' class=x>zz", True),  # (a quoted ">": not read past)
        ("Post<a title='a b' class=x>zz", False),
        ('Post<a b"c>zz', True),  # (a quote in a name: not read past)
        ("Post</a>&#65;G", True),
        ("My <b>Flying</b> zz", False),
        ("My <b>Flying</b> Box", True),
        ("Post</p>", False),
        ("<p>xAPCz capc_</p>", False),  # (no word ends with "apc")
        ("<p>apcé</p>", True),  # (é is 0xFF in the image: taken for a word end, a superset)
        ("<p>sapc</p>", True),
    ],
)
def test_gate_reads_past_plain_tags_only(
    gate_engines: dict[str, Matcher], body: str, opens: bool
) -> None:
    # (every word of the phrases is on the page, apart: only where they meet counts)
    html = f"<html><body>{body}<p>x AG Box Mail</p></body></html>"
    for name in ("fast", "native"):
        if name in gate_engines:
            page = Page(url="https://a.example/", html=html)
            assert gate_engines[name]._text_may_match(page) is opens, (name, body)
            assert matches_text(gate_engines[name], page) <= opens


REAL_PAGES = shared_dir() / "data" / "real-pages-aeb"
REAL_DB = shared_dir() / "fingerprints" / "httparchive-wappalyzer"


@pytest.mark.skipif(
    not (REAL_PAGES.is_dir() and REAL_DB.is_dir()), reason="../shared real pages or DB missing"
)
def test_gate_on_real_pages_opens_wherever_a_text_pattern_matches() -> None:
    """Every third saved page, with the 4,000-technology DB: wherever a text pattern matches
    the visible text, the gate is open; and it shuts on some page where it opened before
    (``new york post</a>``)."""
    from icpkit.technographics import load_fingerprints

    m = Matcher(load_fingerprints(REAL_DB), native=False)
    shut = 0
    for path in sorted((REAL_PAGES / "html").glob("*.html.gz"))[::3]:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        page = Page(url="https://a.example/", html=html)
        opens = m._text_may_match(page)
        if matches_text(m, page):
            assert opens, path.name
        shut += not opens
    assert shut > 0
