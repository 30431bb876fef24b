"""The shortcuts of the fast matcher are exact: windowed confirmation, the text and dom gates,
selector literals, the URL-join shortcut, the prefilter encodings.

Each shortcut is checked against the slow operation it replaces, over generated inputs built to
hit its edge cases (character references, tags splitting words, implied elements, anchors).
"""

from __future__ import annotations

import json
import re
import sys
from html import unescape
from html.entities import html5 as _html5
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.technographics import FingerprintDB, Page, load_fingerprints
from icpkit.technographics import charrefs as charrefs_mod
from icpkit.technographics import hits as hits_mod
from icpkit.technographics import prefilter as prefilter_mod
from icpkit.technographics import selectors as selectors_mod
from icpkit.technographics.hits import MatchEntry, hyperscan_available
from icpkit.technographics.matcher import Matcher
from icpkit.technographics.page import _WHITESPACE, _Joiner, collapse_whitespace
from icpkit.technographics.patterns import (
    fold_for_prefilter,
    match_extent,
    prefilter_image,
    translate,
)
from icpkit.technographics.prefilter import Bucket
from icpkit.technographics.selectors import (
    _NgramFilter,
    selector_literals,
    selector_requirements,
)
from icpkit.technographics.statics import js_regex, static_js_values

sys.path.insert(0, str(Path(__file__).parent))
from engines import all_engines, hit_key, write_db

TECHS = {
    "WinA": {
        "cats": [1],
        "html": [
            '<link[^>]+href="[^"]*wp-(?:content|includes)/(\\w+)\\;version:\\1',
            "foo(?=bar)\\b",
            "kelvin\\s?\\d+$",
        ],
    },
    "WinB": {"cats": [1], "html": 'data-x="([a-z]{1,5})"[^>]{0,20}>\\;version:\\1'},
    "TextA": {"cats": [1], "text": ["powered by acme", "jquery", "\\bDX\\b"]},
    "TextW": {"cats": [1], "text": ["\\bPost AG\\b", "\\b(?<!-)UPS\\b", "\\bpost\\.at\\b"]},
    "DomA": {
        "cats": [1],
        "dom": {
            "div.widget-x": {"text": "hello (\\d)\\;version:\\1"},
            "*": {"attributes": {"data-acme": "v(\\d)\\;version:\\1"}},
            "p": {"exists": ""},
            "tbody": {"exists": ""},
            "img": {"exists": ""},
            "span[title='a b']": {"exists": ""},
            "#id\\.x": {"exists": ""},
            "script": {"text": "jquery"},
            "a[href*='&tag=']": {"exists": ""},
            "i[title*='x<y']": {"exists": ""},
        },
    },
}
CATS = {"1": {"name": "CMS", "groups": [], "priority": 1}}

PIECES = [
    "<p>", "</p>", "<image src=x>", "<table><td>cell</td></table>", "&amp;", "&#106;query",
    "jq<b>uery</b>", "<script>var jquery=1</script>", "<style>.dx{}</style>", "powered  by\n acme",
    "Powered by <b>Acme</b>", "Powered by &#65;cme", "DX", "dx.", "<div class='widget-x'>hello 5</div>",
    "<div class=widget-x>hello <i>7</i></div>", "<span data-acme='v7'>s</span>",
    "<span data-acme='&#118;8'>s</span>", "<span title='a b'>t</span>", "<i id='id.x'>i</i>",
    '<link rel="x" href="/wp-content/themes/">', '<link href="/wp-includes/js">', "foobar",
    "foo bar", "kelvin 9", "<a href='/?r=1&amp;tag=x'>", "<i title='x&lt;y'>", "\u212aelvin 3", "data-x=\"abc\">", "<em data-x=\"zz\" >e</em>",
    "<template><p>in template</p></template>", "<noscript>jquery</noscript>", "\u0130", "é",
    " ", "\n", "x" * 40, "xdx", "DXy", "_dx", "éDX", "DXé", "&nbsp;DX&nbsp;", "D<b>X</b>",
    "Post AG", "post&nbsp;ag", "Post<b>AG</b>", "PostAG", "Post  AG", "groups", "-UPS", "UPS",
    "pops", "ups_", "post.at", "post-at", "éups",
]  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> FingerprintDB:
    return write_db(tmp_path_factory.mktemp("paths"), TECHS, CATS)


@pytest.fixture(scope="module")
def engines(db: FingerprintDB) -> dict[str, Matcher]:
    return all_engines(db)


key = hit_key


bodies = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, tail=st.sampled_from(["", "kelvin 4", "foo", "\n"]))
def test_fast_equals_naive_with_windows_everywhere(
    engines: dict[str, Matcher], monkeypatch: pytest.MonkeyPatch, body: str, tail: str
) -> None:
    """Every value is confirmed through windows here (threshold 0), text and dom gated, and
    every pure-Python literal scan goes through the n-gram filter."""
    monkeypatch.setattr(prefilter_mod, "WINDOW_MIN_CHARS", 0)
    monkeypatch.setattr(selectors_mod, "_NGRAM_MIN_CHARS", 0)
    html = f"<html><head><title>t</title></head><body>{body}</body></html>{tail}"

    def page() -> Page:
        return Page(url="https://a.example/", html=html)

    expected = key(engines["naive"].hits(page()))
    for name in ("fast", "native"):
        if name in engines:
            assert key(engines[name].hits(page())) == expected, name


# --- references: decoding the page only when a literal may depend on it ----------------------

REF_PIECES = [
    "&amp;", "&AMP;", "&amp;tag=", "&Tab;", "&lt;title", "&ampfoo;", "&#x26;tag=", "&quot;",
    "&nbsp;", "&#65;cme", "&eacute;", "&#106;query", "&#304;", "&#x130;", "&amp", "& ",
    "<title>t</title>", "powered by ", "ups", " UPS ", "tag=", "&rsquo;", "’", "Post&nbsp;AG",
    "&#x55;PS", "<div class='widget-x'>", "&#8203;", "<i class='w&#304;dget-x'>",
    "<a href='/?r=1&amp;tag=x'>", "<a href='/?r=1&#38;tag=x'>", "<a href='/?r=1&#x26;tag=x'>",
    "<i title='x&lt;y'>", "<i title='x&#60;y'>", "<i title='x<y'>", "<i title='x&LT;y'>",
]  # fmt: skip


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
@settings(max_examples=300, deadline=None)
@given(body=st.lists(st.sampled_from(REF_PIECES), max_size=12).map("".join))
def test_decoded_literals_equal_a_scan_of_the_decoded_page(
    engines: dict[str, Matcher], body: str
) -> None:
    """What the gates learn about the page with references decoded equals scanning the
    decoded page, whether or not the shortcut decoded it; the same for whole words."""
    native = engines["native"]
    html = f"<html><body>{body}</body></html>"
    page = Page(url="https://a.example/", html=html)
    raw, decoded = native._page_literals(page)
    full = fold_for_prefilter(unescape(html))
    expected = raw | native._decoded_scan.present((full,))
    assert decoded == expected
    if native._word_dbs:
        want: set[str] = set()
        for piece, db in native._word_dbs.items():
            for text in (fold_for_prefilter(html), full):
                ids: list[int] = []
                db.scan(prefilter_image(text), match_event_handler=hits_mod.hs_collect, context=ids)
                if ids:
                    want.add(piece)
        pieces = set(native._word_dbs)
        is_word = native._word_test(page, pieces)  # (many pieces: one scan of them all)
        assert {x for x in pieces if is_word(x)} == want
        one_each = {x for x in pieces if native._word_test(page, {x})(x)}  # (one scan each)
        assert one_each == want


# --- the n-gram filter never drops a literal that occurs -------------------------------------

NGRAM_ALPHABET = [*"abcdxyz<>/=\"' .-", "\u0130", "\u00e9", "\u4e2d", "\U0001f600", "\ud800"]


@settings(max_examples=400, deadline=None)
@given(
    literals=st.lists(
        st.text(alphabet=NGRAM_ALPHABET, min_size=1, max_size=9), min_size=1, max_size=30
    ),
    text=st.text(alphabet=NGRAM_ALPHABET, max_size=400),
)
def test_ngram_filter_keeps_every_literal_that_occurs(literals: list[str], text: str) -> None:
    """A superset of the literals present (lone surrogates and 4-byte characters included);
    some of them are planted so that presence is common, not only absence."""
    text = text + "".join(literals[::3])
    got = _NgramFilter(sorted(set(literals))).candidates(text)
    assert {lit for lit in literals if lit in text} <= got
    assert got <= set(literals)


def test_text_gate_stays_shut_when_the_ngram_filter_over_reports(
    engines: dict[str, Matcher],
) -> None:
    """On a long page the pure engine's literals come from the n-gram filter, which admits
    every 2-byte piece (``dx`` of ``\\bDX\\b``): the gate checks pieces for real before
    opening, so no text is extracted here; with the piece on the page it opens."""
    fast = engines["fast"]
    body = "<p>jq uery powered by</p>" * 400  # no pattern has all its pieces here
    shut = Page(url="https://a.example/", html=f"<html><body>{body}</body></html>")
    assert len(shut.html) >= selectors_mod._NGRAM_MIN_CHARS
    assert "dx" in fast._page_literals(shut)[1]  # the filter's superset
    assert not fast._text_may_match(shut)
    opened = Page(url="https://a.example/", html=f"<html><body>{body} DX</body></html>")
    assert fast._text_may_match(opened)


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_text_gate_needs_whole_words_for_word_bounded_patterns(
    engines: dict[str, Matcher],
) -> None:
    """``\\bPost AG\\b`` and ``\\bUPS\\b``: their pieces inside other words (groups, stage)
    keep the gate shut; as words, in one tag or split by tags and entities, they open it."""
    native = engines["native"]
    filler = "<p>groups of popups post the stage tag</p>" * 50

    def gate(extra: str) -> bool:
        html = f"<html><body>{filler}{extra}</body></html>"
        return native._text_may_match(Page(url="https://a.example/", html=html))

    assert not gate("")
    assert not gate("<p>-UPS-</p>".replace("-UPS-", "xUPSx"))
    assert gate("<p>ships with UPS.</p>")
    assert gate("<p>Post<b>AG</b></p>")
    assert gate("<p>Post&nbsp;AG</p>")
    # and what the gate lets through is what the naive engine finds
    for extra in ("<p>ships with UPS.</p>", "<p>Post<b>AG</b></p>", "<p>grUPS</p>"):
        page = f"<html><body>{filler}{extra}</body></html>"
        got = key(native.hits(Page(url="https://a.example/", html=page)))
        assert got == key(engines["naive"].hits(Page(url="https://a.example/", html=page)))


def test_ngram_filter_rules_out_absent_literals() -> None:
    """It filters: on a long page, literals that are not there are mostly not reported."""
    text = '<div class="row"><a href="/x">read more about the product</a></div>\n' * 2000
    present = ["class=", "div", "<a href", "product", "row", "ab", "/x"]
    absent = ["shopify", "wp-content", "gtag(", "hubspot", "zq", "cdn.", "klaviyo", "xyz"]
    got = _NgramFilter(present + absent).candidates(text)
    assert set(present) <= got
    assert len(got & set(absent)) <= 1  # hash collisions may admit one; a superset is allowed


def test_ngram_filter_needs_every_window_of_a_literal() -> None:
    """Each 4-byte window of ``abcdefghijkl`` but ``efgh`` is on the page: the literal is
    not (four windows a literal, the old sampling, all occur and let it through)."""
    text = ("abcdefg fghijkl " + "<p>lorem ipsum</p>") * 600
    got = _NgramFilter(["abcdefghijkl", "fghijkl"]).candidates(text)
    assert got == {"fghijkl"}


# --- static js values: anchored matches at the chain's occurrences == finditer --------------

JS_PIECES = [
    "{c}", "{c}", "window.{c}", "globalThis.{c}", "self.{c}", "windows.{c}", "var {c}",
    "let\t{c}", "const  {c}", "function\n{c}", "class\u00a0{c}", "var", "x.", "$", "_", " ",
    "\n", "\u2028", "\x1c", "=", "==", "=>", " = ", "='q'", " =\t\"2.0\"", "`x`", "3.14", "-7",
    ";", "{{", "}}", "(",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    parts=st.lists(st.sampled_from(JS_PIECES), max_size=20),
    chain=st.sampled_from(["a", "a.b", "aa", "$", "x.a", "a.a", "var", "a.let", "a b"]),
)
def test_static_js_values_equal_finditer(parts: list[str], chain: str) -> None:
    """Pieces place the chain after each prefix and keyword, then assignments and values."""
    text = "".join(parts).format(c=chain)
    expected = tuple(
        m.group("s") if m.group("s") is not None else (m.group("n") or "")
        for m in js_regex(chain).finditer(text)
    )
    assert static_js_values(text, chain) == expected
    # given the places a scan of all chains reports: every occurrence, plus places that are
    # none (what the folded specials of the scanned image fake), in ascending order
    every = [i for i in range(len(text)) if text.startswith(chain, i)]
    assert static_js_values(text, chain, sorted({*every, 0, len(text) // 2})) == expected


def test_whitespace_table_is_every_isspace_character() -> None:
    assert set(_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from([*_WHITESPACE, "a", "b", "\u200b", "\ufeff", "é"])))
def test_collapse_whitespace_equals_split_join(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(body=bodies)
def test_visible_text_from_the_parsed_tree_equals_a_fresh_parse(body: str) -> None:
    """``Page.text`` copies the already parsed DOM when there is one: same text as parsing."""
    html = f"<html><head><title>t</title><script>x</script></head><body>{body}</body></html>"
    fresh = Page(url="https://a.example/", html=html)
    parsed = Page(url="https://a.example/", html=html)
    assert parsed.tree.root is not None  # parse first: text then copies this tree
    assert parsed.text == fresh.text
    assert parsed.tree.html == fresh.tree.html  # the page's own tree is left untouched


# --- windowed confirmation against a plain search ---------------------------------------------

WINDOW_PATTERNS = [
    r"wp-(?:content|includes)/(\w{1,250})",
    r"foo(?=bar)\b",
    r"kelvin\s?\d{1,250}\Z",
    r"(?<=x)abc[^<]{0,5}",
    r"(?:alpha|beta)-\d{1,3}",
    r"<link[^>]{1,250}rel=[\"']stylesheet",
]


WINDOW_PARTS = st.lists(
    st.sampled_from(
        [
            "wp-content/",
            "wp-includes/abc",
            "foobar",
            "foo bar",
            "kelvin 12",
            "KELVIN3",
            "xabc",
            "abc",
            "alpha-12",
            "beta-",
            "<link rel='stylesheet'>",
            "<link x",
            "x" * 300,
            "y" * 5000,
            " ",
            "\n",
            "\u212a",
            "alpha " * 70,
            "beta-7",
        ]
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(parts=WINDOW_PARTS, pattern=st.sampled_from(WINDOW_PATTERNS))
def test_window_confirm_equals_search(parts: list[str], pattern: str) -> None:
    from icpkit.technographics.fingerprints import Pattern

    regex = re.compile(pattern, re.IGNORECASE)
    pat = Pattern(source=pattern, regex=regex, confidence=100, version=None)
    bucket = Bucket([MatchEntry(0, "html", None, pat, 0)], native=False)
    value = "".join(parts)
    value = value + ("z" * max(0, hits_mod.WINDOW_MIN_CHARS - len(value)))
    got = bucket.confirm(0, value, fold_for_prefilter(value))
    want = regex.search(value)
    assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
@settings(max_examples=300, deadline=None)
@given(parts=WINDOW_PARTS, pattern=st.sampled_from(WINDOW_PATTERNS))
def test_window_confirm_from_reported_positions_equals_search(
    parts: list[str], pattern: str
) -> None:
    """Occurrences reported by the Hyperscan page scan stand in for ``find``: same answer."""
    from icpkit.technographics.fingerprints import Pattern

    regex = re.compile(pattern, re.IGNORECASE)
    pat = Pattern(source=pattern, regex=regex, confidence=100, version=None)
    bucket = Bucket([MatchEntry(0, "html", None, pat, 0)], native=False)
    lits = bucket.windows[0][2]
    scan = selectors_mod.LiteralScan([*lits, "zzzz", "never-there"], True, tracked=lits)
    bucket.tracked = scan.tracked
    value = "".join(parts)
    value = value + ("z" * max(0, hits_mod.WINDOW_MIN_CHARS - len(value)))
    folded = fold_for_prefilter(value)
    found, at = scan.positions(prefilter_image(folded))
    assert found == {x for x in [*lits, "zzzz", "never-there"] if x in folded}
    for lit in lits:  # every occurrence, overlapping ones included, in order
        want_starts = [i for i in range(len(folded)) if folded.startswith(lit, i)]
        assert at.get(lit, []) == want_starts
    assert "zzzz" not in at  # untracked literals are only reported present
    got = bucket.confirm(0, value, folded, found, at)
    want = regex.search(value)
    assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


def test_match_extent_bounds_width_and_read_ahead() -> None:
    assert match_extent(r"foo(?=bar)\b") == (3, 4)
    assert match_extent(r"a{1,250}b") == (251, 0)
    assert match_extent(r"abc\Z")[1] is None  # type: ignore[index]
    assert match_extent(r"a+") is None
    assert match_extent(r"(?<=x)ab") == (2, 0)


# --- prefilter encodings ------------------------------------------------------------------------


# latin-1, 2-byte and 4-byte characters: each takes a different encoding path
FOLD_ALPHABET = list("aZ?-\u0130\u0131\u017f\u212a\u00e9\u00c9\u00a0\u00ff\u4e2d\u03a3\u2019 ")
FOLD_ALPHABET += ["\U0001f600", "\ud800"]  # an astral character, a lone surrogate


@given(st.text(alphabet=st.sampled_from(FOLD_ALPHABET)))
def test_fold_keeps_positions_and_hs_image_is_one_byte_per_char(text: str) -> None:
    folded = fold_for_prefilter(text)
    assert len(folded) == len(text)
    image = prefilter_image(text)
    assert len(image) == len(text)
    for ch, byte, low in zip(text, image, folded, strict=True):
        expected = ch.lower() if ch.isascii() else {"\u0130": "i", "\u0131": "i"}.get(ch)
        expected = {"\u017f": "s", "\u212a": "k"}.get(ch, expected)
        if expected is None:  # any other character: never taken for an ASCII one
            assert byte == 0xFF
            assert not low.isascii()
        else:
            assert chr(byte).lower() == expected
            assert low == expected


# --- selector literals are necessary -------------------------------------------------------------

SELECTORS = [
    "p", "tbody", "img", "tr", "div.widget-x", "span[title='a b']", "#id\\.x", "a[href*='cdn\\.x']",
    "footer > div > form", "[data-acme]", "*", "body > div", "link[rel='stylesheet' i]",
    "iframe[src*='player.example']", "svg clippath", "button:not(.x)", ".a\\:b", "[class~=big]",
]  # fmt: skip
ELEMENTS = [
    "<p>", "</p>", "<image src=a>", "<table><td>c</td></table>", "<div class='widget-x'>",
    "<div class=WIDGET-X>", "<span title='a b'>", "<span title='a&#32;b'>", "<i id='id.x'>",
    "<a href='//cdn.x/y'>", "<a href='//cdn&#46;x/y'>", "<footer><div><form></form></div></footer>",
    "<b data-acme>", "<link rel=STYLESHEET>", "<iframe src='https://player.example/v'>",
    "<svg><clipPath id=c></clipPath></svg>", "<button>", "<em class='a:b'>", "<u class='x big y'>",
    "text", "&amp;",
]  # fmt: skip


REQUIRED_SELECTORS = [
    "[data-venmo-supported='true']", "meta[name='author'][content*='Dealer Spike']",
    "amp-ad[type='adsense']", "footer > div#nav.main", "[aria-labelledby='pi-amazon' i]",
]  # fmt: skip
REQUIRED_ELEMENTS = [
    "<b data-venmo-supported=true>", "<i data-venmo-supported='TRUE'>", "<u x='true'>",
    "<meta name=author content='Dealer&#32;Spike'>", "<meta name=AUTHOR content='dealer spike'>",
    "<amp-ad type=adsense>", "<amp-ad type=other>", "<footer><div id=nav class=main>",
    "<a aria-labelledby='PI-AMAZON'>", "<a aria-labelledby='pi-amazon'>",
    "&lt;amp-ad type=adsense&gt;", "<b data-venmo-supported=&#116;rue>",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ELEMENTS), max_size=8).map("".join))
def test_selector_literals_occur_whenever_the_selector_matches(body: str) -> None:
    html = f"<html><body>{body}</body></html>"
    tree = LexborHTMLParser(html)
    hay = fold_for_prefilter(html) + "\n" + fold_for_prefilter(unescape(html))
    for selector in SELECTORS:
        lits = selector_literals(selector)
        if lits is not None and tree.css_first(selector) is not None:
            assert any(lit in hay for lit in lits), (selector, lits)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ELEMENTS + REQUIRED_ELEMENTS), max_size=8).map("".join))
def test_selector_requirements_all_occur_whenever_the_selector_matches(body: str) -> None:
    """Every literal of some selector of the list is in the source (or in it decoded)."""
    html = f"<html><body>{body}</body></html>"
    tree = LexborHTMLParser(html)
    hay = fold_for_prefilter(html) + "\n" + fold_for_prefilter(unescape(html))
    for selector in SELECTORS + REQUIRED_SELECTORS:
        reqs = selector_requirements(selector)
        if reqs is not None and tree.css_first(selector) is not None:
            raw = fold_for_prefilter(html)
            assert any(
                all(x in hay for x in needed) and all(x in raw for x in markup)
                for _lead, needed, markup in reqs
            ), (selector, reqs)


def test_selector_requirements_need_every_literal() -> None:
    """``[data-amazon-payments='true']`` needs ``true`` and the attribute name: a page with
    only ``true`` (every page) no longer makes the rule a candidate."""
    reqs = selector_requirements("img[src*='amazonpay'], [data-amazon-payments='true']")
    assert reqs == [
        ("amazonpay", frozenset({"amazonpay", "src"}), frozenset({"src"})),  # (<image>: img)
        ("true", frozenset({"true", "data-amazon-payments"}), frozenset({"data-amazon-payments"})),
    ]
    assert selector_requirements("meta[name='author'][content*='Dealer Spike']") == [
        (
            "author",
            frozenset({"author", "dealer", "spike", "name", "content", "<meta"}),
            frozenset({"name", "content", "<meta"}),
        )
    ]
    assert selector_requirements("a, tbody") is None


def test_selector_literals_pick_distinctive_values() -> None:
    assert selector_literals("div[class*='coh-component coh-component-instance']") == {
        "coh-component-instance"
    }
    assert selector_literals("iframe[src*='.cloudflarestream\\.com']") == {".cloudflarestream.com"}
    assert selector_literals("button") == {"<button"}
    assert selector_literals("tbody") is None  # the parser creates it on its own
    assert selector_literals("*") is None


# --- URL joining shortcut ---------------------------------------------------------------------

URL_PARTS = st.lists(
    st.sampled_from([*"aZ09./?#;:@%&=-_~ \t\né[]!", "//", "/.", "..", "x.com", "?", "#"]),
    max_size=10,
).map("".join)
BASES = [
    "https://a.example",
    "https://a.example/",
    "http://b.example/x/y.php?q=1#f",
    "https://u:p@h.example:8080/a/b",
    "",
    "ftp://x/y",
    "HTTPS://A.example/",
]


@settings(max_examples=2000, deadline=None)
@given(
    base=st.sampled_from(BASES),
    prefix=st.sampled_from(["", "/", "//", "https://", "http://", "https://cdn.x/", "./", "../"]),
    rest=URL_PARTS,
)
def test_joiner_equals_urljoin(base: str, prefix: str, rest: str) -> None:
    src = (prefix + rest).strip()
    if not src:
        return
    try:
        want = urljoin(base, src)
    except ValueError:
        with pytest.raises(ValueError):
            _Joiner(base)(src)
        return
    assert _Joiner(base)(src) == want


def test_translate_widening_keeps_hyperscan_superset() -> None:
    """The hyperscan image maps non-ASCII to 0xFF; widened classes must still accept it."""
    _py, pcre = translate(r"caf\w\s\d")
    assert r"\x80-\xff" in pcre


def test_markup_sample_is_case_folded() -> None:
    """Literals are folded, so the markup they are compared with must be too."""
    assert prefilter_mod.REPEATED_MARKUP.lower() == prefilter_mod.REPEATED_MARKUP


def test_no_entity_decoding_to_ascii_has_a_lower_case_twin() -> None:
    """``_reference_chars`` reads references lower-cased: that is sound only if no entity
    that gives an ASCII character has a lower-case spelling that is another entity."""
    from html.entities import html5

    for name, value in html5.items():
        low = name.lower()
        if low != name and low in html5 and any(c.isascii() for c in value):
            assert {c for c in html5[low] if c.isascii()} == {c for c in value if c.isascii()}


_ENTITY_PIECES = sorted({n.rstrip(";")[:k] for n in list(_html5)[::7] for k in (2, 3, 4, 6)})


@settings(max_examples=1500, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from([*_ENTITY_PIECES, "(", "=", "'", "+", "l:", "x", "1", "#", "#x4", ";"]),
        min_size=1,
        max_size=4,
    ),
    upper=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_reference_judged_unchanged_is_unchanged_in_every_case(
    pieces: list[str], upper: list[bool]
) -> None:
    """``_ascii_reference`` reads tokens lower-cased; when it says a token decodes to nothing
    (``&&(l=`` in scripts), ``html.unescape`` leaves the token as written, whatever its case,
    and when it gives a value, that is what the lower-cased token decodes to."""
    token = "".join(pieces)
    m = charrefs_mod._CHARREF.match(("&" + token).lower().encode("ascii"))
    if m is None:
        return
    low = m.group(1)
    written = "".join(
        c.upper() if up else c for c, up in zip(low.decode("ascii"), upper, strict=False)
    )
    got = charrefs_mod._ascii_reference(low)
    if low.startswith(b"#"):
        # numeric: decoded as html.unescape does, in either case (``&#x4`` gives "": the
        # parser keeps U+0004, so the decoded copy only has more literal occurrences)
        assert got == unescape("&" + written)
    elif got == "":
        assert unescape("&" + written) == "&" + written
    elif got is not None:
        assert got == unescape("&" + low.decode("ascii"))


def test_script_scan_finds_the_chains_aho_corasick_finds() -> None:
    """The native engine finds js chains with a case-sensitive Hyperscan scan of the script
    image; it must report every chain Aho-Corasick finds in the text (non-ASCII around)."""
    pytest.importorskip("hyperscan")
    chains = ["jQuery", "jQuery.fn.jquery", "ga", "Shopify.theme", "__NEXT_DATA__", "K"]
    scan = selectors_mod.LiteralScan(chains, True, caseless=False)
    auto = hits_mod.build_automaton({c: c for c in chains})
    texts = [
        "var jQuery = 1; window.Shopify.theme = {}; ga('x')",
        "é jquery ÉJQUERY jQuery\u212a K \u0130ga __next_data__ __NEXT_DATA__",
        "Shopify.Theme shopify.theme",
    ]
    for text in texts:
        assert scan.present((text,)) >= {c for _end, c in auto.iter(text)}
        assert scan.present((text,)) - {c for _end, c in auto.iter(text)} <= {"K"}


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            ["jquery", "JQuery", "wp-", "é", "日本", "\u212a", "\u0130", "ſ", "x", " "]
        ),
        max_size=30,
    )
)
def test_native_presence_scan_equals_aho_corasick(parts: list[str]) -> None:
    """Hyperscan scans UTF-8 (or the folded image when a character ``re.I`` equates with an
    ASCII letter is present): the literals it reports are exactly Aho-Corasick's on the
    case-folded text."""
    pytest.importorskip("hyperscan")
    literals = ["jquery", "wp-", "k", "is", "ks", "x j"]
    text = "".join(parts)
    native = selectors_mod.LiteralScan(literals, True)
    pure = selectors_mod.LiteralScan(literals, False)
    assert native.present((text,)) == pure.present((fold_for_prefilter(text),))


# --- dom rules gated by what their attribute patterns need -----------------------------------

RENDITION = (
    "/(?:original_images/[\\\\w-]+|images/[\\\\w.-]+\\\\.(?:(?:fill|max|min)-\\\\d+x\\\\d+|"
    "(?:width|height)-\\\\d+|original))\\\\."
)


@pytest.mark.parametrize("native", [False, True])
def test_dom_rule_skipped_when_its_attribute_pattern_cannot_match(
    tmp_path: Path, native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``img[src*='images/']`` selects on most pages; its src pattern needs ``.fill-``,
    ``.max-``… (or ``original_images/``): without them no selector query runs, with them
    the rule finds what the naive engine finds."""
    if native and not hyperscan_available():
        pytest.skip("needs hyperscan")
    techs = {"Rend": {"cats": [1], "dom": {"img[src*='images/']": {"attributes": {"src": ""}}}}}
    techs["Rend"]["dom"]["img[src*='images/']"]["attributes"]["src"] = json.loads(f'"{RENDITION}"')
    (tmp_path / "technologies").mkdir()
    (tmp_path / "technologies" / "r.json").write_text(json.dumps(techs), encoding="utf-8")
    (tmp_path / "categories.json").write_text(json.dumps(CATS), encoding="utf-8")
    db = load_fingerprints(tmp_path)
    fast, naive = Matcher(db, native=native), Matcher(db, engine="naive")
    queried: list[str] = []
    real_dom = Matcher._dom

    def spy(self: Matcher, page: Page, ti: int, rule, *args, **kw):  # type: ignore[no-untyped-def]
        queried.append(rule.selector)
        return real_dom(self, page, ti, rule, *args, **kw)

    monkeypatch.setattr(Matcher, "_dom", spy)
    filler = '<p><img src="/static/images/logo.png"> about our images/ and shop</p>' * 200
    plain = Page(url="https://a.example/", html=f"<html><body>{filler}</body></html>")
    assert fast.hits(plain) == [] and queried == []
    for src in ("/media/images/a.fill-300x200.jpg", "/media/original_images/b.png"):
        html = f'<html><body><img src="{src}">{filler}</body></html>'  # (nodes are capped)
        got = fast.hits(Page(url="https://a.example/", html=html))
        assert len(got) == 1 and queried
        assert key(got) == key(naive.hits(Page(url="https://a.example/", html=html)))


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_weak_literals_together_select_html_patterns_without_the_regex_prefilter(
    tmp_path: Path,
) -> None:
    """``<!--\\s+Powered by GX`` and ``href=["']wss?://`` (each literal weak alone) are
    selected by their literals together: the html bucket needs no Hyperscan regex pass,
    and finds what the naive engine finds with the literals apart or together."""
    techs = {
        "Gx": {"cats": [1], "html": "<!--\\s+Powered by GX"},
        "Ws": {"cats": [1], "html": "<(?:link|a)[^>]+href=[\"']wss?://"},
    }
    (tmp_path / "technologies").mkdir()
    (tmp_path / "technologies" / "g.json").write_text(json.dumps(techs), encoding="utf-8")
    (tmp_path / "categories.json").write_text(json.dumps(CATS), encoding="utf-8")
    db = load_fingerprints(tmp_path)
    fast, naive = Matcher(db, native=True), Matcher(db, engine="naive")
    assert fast._list_buckets["html"].hs_db is None
    filler = '<!-- nav --><a href="https://x.example/">powered by wordpress</a>' * 300
    for extra in (
        "",
        "<!-- Powered by GX -->",
        "<!--\n  powered by gx",
        "<a class=x href='wss://h.example/s'>",
        '<link rel=x href="ws://h">',
        "<a href='ws:/x'>",
    ):
        html = f"<html><body>{filler}{extra}</body></html>"
        got = key(fast.hits(Page(url="https://a.example/", html=html)))
        assert got == key(naive.hits(Page(url="https://a.example/", html=html)))
        assert bool(got) == (extra not in ("", "<a href='ws:/x'>")), extra
