"""Shortcuts of the fast matcher added for real pages, each checked against what it replaces.

* ``js`` chain sites: a scan reporting only the places where a chain can get a value gives the
  static values every occurrence gives. The site expressions run in Hyperscan over the
  prefilter image (one byte per character, 0xFF for non-ASCII) and the pure engine's site regex
  over the text; both are checked against ``js_regex(chain).finditer`` (the reference reading)
  on generated scripts holding the chain after prefixes and keywords, with Unicode whitespace,
  name characters and the case-fold specials around it.
* the n-gram filter's uint32 windows, read from a text or from its image, keep every literal;
* the pure engine's whole-word test of text pieces sees what Hyperscan's word scan sees.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.technographics import Page, load_fingerprints
from icpkit.technographics import selectors as selectors_mod
from icpkit.technographics.hits import hs_collect_at, hs_compile, hyperscan_available
from icpkit.technographics.matcher import Matcher
from icpkit.technographics.patterns import fold_for_prefilter, prefilter_image
from icpkit.technographics.selectors import _NgramFilter
from icpkit.technographics.statics import (
    SITE_NEXT,
    SITE_SENTINEL,
    chain_site_expressions,
    chain_site_regex,
    js_declarable,
    js_regex,
    may_be_declared,
    static_js_values,
)

PIECES = [
    "{c}", "{c}", "{c}", "window.{c}", "self.{c}", "var {c}", "let\t{c}", "const\u00a0{c}",
    "function\n{c}", "class\u2028{c}", "\x1c{c}", "{c}\x1f=1", "{c}\u3000= 'v'", "x{c}", "{c}x",
    "{c}é", "é{c}", "{c}$", "_{c}", "{c}.x", "{c}(", "\u212a", "\u017f", " ", "\n", "=", "==",
    "=>", " = ", "='q'", ' ="2.0"', "3.14", ";", "(", ")", "\t",
]  # fmt: skip

CHAINS = ["va", "a", "a.b", "$", "x.a", "var", "Ks", "a b", "é"]


def expected_values(text: str, chain: str) -> tuple[str, ...]:
    return tuple(
        m.group("s") if m.group("s") is not None else (m.group("n") or "")
        for m in js_regex(chain).finditer(text)
    )


def site_starts(text: str, chain: str) -> list[int]:
    """What the matcher's site scan reports for one chain: Hyperscan over the image."""
    exprs = [e.encode() for e in chain_site_expressions(chain)]
    db = hs_compile(exprs, [0] * len(exprs), [0] * len(exprs))
    events: list[tuple[int, int]] = []
    db.scan(
        prefilter_image(text) + SITE_SENTINEL, match_event_handler=hs_collect_at, context=events
    )
    return sorted(to - len(chain) - 1 for _id, to in events)


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
@settings(max_examples=1500, deadline=None)
@given(
    parts=st.lists(st.sampled_from(PIECES), max_size=20),
    chain=st.sampled_from([c for c in CHAINS if c.isascii()]),
)
def test_site_scan_gives_the_values_of_every_occurrence(parts: list[str], chain: str) -> None:
    text = "".join(parts).format(c=chain)
    assert static_js_values(text, chain, site_starts(text, chain)) == expected_values(text, chain)


def filtered_occurrences(text: str, chain: str) -> list[int]:
    """What the matcher keeps of a long chain's occurrences (each reported by Hyperscan as a
    literal): those its byte tests on the image take for possible sites."""
    image = prefilter_image(text) + SITE_SENTINEL
    lit = chain.encode("ascii")
    starts = [m.start() for m in re.finditer(b"(?=" + re.escape(lit) + b")", image)]
    return [
        i
        for i in starts
        if image[i + len(lit)] in SITE_NEXT
        or (js_declarable(chain) and may_be_declared(image, i, i + len(lit)))
    ]


@settings(max_examples=1500, deadline=None)
@given(
    parts=st.lists(st.sampled_from(PIECES), max_size=20),
    chain=st.sampled_from([c for c in CHAINS if c.isascii()]),
)
def test_occurrences_kept_by_the_byte_tests_give_every_value(parts: list[str], chain: str) -> None:
    """Long chains are reported at every occurrence and filtered in Python, not by site
    expressions (which compile slowly): the kept ones still give the reference values, and
    reads (``x.a``), calls and longer names are dropped."""
    text = "".join(parts).format(c=chain)
    kept = filtered_occurrences(text, chain)
    assert static_js_values(text, chain, kept) == expected_values(text, chain)
    if hyperscan_available():  # (no more than the site expressions would report)
        assert set(kept) <= set(site_starts(text, chain))


def test_byte_tests_drop_reads_and_keep_declarations() -> None:
    text = "googletag.cmd.push(f);\n  googletag.cmd=[];var  googletag;googletag = g;x googletag.y"
    kept = filtered_occurrences(text, "googletag")
    assert [text[i - 5 : i + 11] for i in kept] == ["var  googletag;g", "etag;googletag ="]
    assert static_js_values(text, "googletag", kept) == ("", "")
    assert expected_values(text, "googletag") == ("", "")


@settings(max_examples=1500, deadline=None)
@given(parts=st.lists(st.sampled_from(PIECES), max_size=20), chain=st.sampled_from(CHAINS))
def test_site_regex_finds_a_site_wherever_there_is_a_value(parts: list[str], chain: str) -> None:
    """The pure engine skips a short chain without a site: it has no value there either."""
    text = "".join(parts).format(c=chain)
    if chain_site_regex(chain).search(text) is None:
        assert expected_values(text, chain) == ()


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_site_scan_skips_reads_calls_and_longer_names() -> None:
    """``va`` of ``var``, ``va.x``, ``va(`` (no whitespace before them: that could be a
    declaration's): no site; the assignment and the declaration are."""
    text = "var x=va.x;va(1);vars = 2;va = 'one';let va;"
    starts = site_starts(text, "va")
    assert [text[i : i + 6] for i in starts] == ["va = '", "va;"]
    assert len(starts) < text.count("va")
    assert static_js_values(text, "va", starts) == ("one", "")


def test_site_regex_sees_declarations_and_assignments_only() -> None:
    assert chain_site_regex("va").search("var x=va.x;va(1);vars;") is None
    assert chain_site_regex("va").search("x; let va") is not None  # (end of the text)
    assert chain_site_regex("va").search("x;va\u00a0= 1") is not None
    assert chain_site_regex("a.b").search("var a.b") is None  # no declaration of a chain


def test_ngram_filter_reads_the_last_windows() -> None:
    """The last 3-byte window comes from the pad byte's 4-byte window; the pad's own window
    is never a literal's."""
    text = "x" * 9000 + "abc"
    got = _NgramFilter(["abc", "xabc", "bcd", "abc\x00"]).candidates(text)
    assert {"abc", "xabc"} <= got
    assert "bcd" not in got


@settings(max_examples=400, deadline=None)
@given(
    literals=st.lists(st.text(alphabet="abcé<>Kk\u212a", min_size=1, max_size=7), max_size=20),
    text=st.text(alphabet="abcé<>Kk\u212a\U0001f600 ", max_size=300),
)
def test_ngram_filter_on_an_image_keeps_every_literal_of_the_folded_text(
    literals: list[str], text: str
) -> None:
    """Given the image instead of the text (no encoding), every literal the folded text holds
    is still a candidate; those an image cannot show (non-ASCII) always are."""
    text = text + "".join(literals[::2])
    folded = fold_for_prefilter(text)
    got = _NgramFilter(sorted(set(literals))).candidates(prefilter_image(text).lower())
    assert {lit for lit in literals if lit in folded} <= got
    assert {lit for lit in literals if not lit.isascii()} <= got


# --- the pure engine's whole-word check of text pieces ----------------------------------------

WORD_DB = {
    "TextW": {"cats": [1], "text": ["\\bPost AG\\b", "\\b(?<!-)UPS\\b", "\\bpost\\.at\\b"]},
    "TextB": {"cats": [1], "text": ["\\bDX\\b", "\\bB2C Europe\\b"]},
}
WORD_PIECES = [
    "Post", "AG", "post.at", "ups", "-UPS-", "grUPS", "dx", "b2c", "Europe", " ", "<b>", "</b>",
    "&nbsp;", "&#x55;PS", "&#65;G", "&amp;", "\u00e9", "_", ".", "<p>", "Post&nbsp;AG", "ag\u00e9",
]  # fmt: skip


@pytest.fixture(scope="module")
def word_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Matcher]:
    root = tmp_path_factory.mktemp("words")
    (root / "technologies").mkdir()
    (root / "technologies" / "a.json").write_text(json.dumps(WORD_DB), encoding="utf-8")
    (root / "categories.json").write_text(
        json.dumps({"1": {"name": "CMS", "groups": [], "priority": 1}}), encoding="utf-8"
    )
    db = load_fingerprints(root)
    out = {"naive": Matcher(db, engine="naive"), "fast": Matcher(db, engine="fast", native=False)}
    if hyperscan_available():
        out["native"] = Matcher(db, engine="fast", native=True)
    return out


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.lists(st.sampled_from(WORD_PIECES), max_size=14).map("".join))
def test_pure_word_test_sees_every_word_and_the_gate_stays_exact(
    word_engines: dict[str, Matcher], body: str
) -> None:
    """Each piece is a word by ``re`` on the images exactly where it is one by ``\\b`` on the
    (decoded) folded HTML read as ASCII, and as Hyperscan's word scan says; hits equal the
    naive engine's."""
    pure = word_engines["fast"]
    html = f"<html><body><p>{body}</p></body></html>"
    is_word = pure._word_test(Page(url="https://a.example/", html=html), set())
    images = [prefilter_image(fold_for_prefilter(t)) for t in (html, unescape(html))]
    for piece in pure._word_pieces_all:
        rx = re.compile(rb"\b" + re.escape(piece.encode()) + rb"\b")
        # (the decoded image is read only when a reference could make the piece)
        assert is_word(piece) <= any(rx.search(im) for im in images), piece
        assert is_word(piece) >= bool(rx.search(images[0])), piece
    if "native" in word_engines:
        native = word_engines["native"]
        native_is_word = native._word_test(
            Page(url="https://a.example/", html=html), set(native._word_pieces_all)
        )
        assert [is_word(x) for x in pure._word_pieces_all] == [
            native_is_word(x) for x in pure._word_pieces_all
        ]
    expected = [(h.tech, h.value) for h in word_engines["naive"].hits(Page(url="u", html=html))]
    got = [(h.tech, h.value) for h in pure.hits(Page(url="u", html=html))]
    assert got == expected


def test_pure_text_gate_stays_shut_on_pieces_inside_other_words(
    word_engines: dict[str, Matcher],
) -> None:
    """``post`` in ``method="post"`` and ``ag`` in ``stage``: not the words of
    ``\\bPost AG\\b``, so the pure engine extracts no text; as words, it does."""
    pure = word_engines["fast"]
    filler = '<form method="post"><p>the stage of groups, dxa b2cx</p></form>' * 300
    shut = Page(url="https://a.example/", html=f"<html><body>{filler}</body></html>")
    assert not pure._text_may_match(shut)
    opened = Page(url="https://a.example/", html=f"<html><body>{filler}Post<b>AG</b></body></html>")
    assert pure._text_may_match(opened)


@settings(max_examples=300, deadline=None)
@given(
    literals=st.lists(st.text(alphabet="abcé<>", min_size=1, max_size=6), max_size=20),
    text=st.text(alphabet="abcé<> ", max_size=300),
    threes=st.booleans(),
)
def test_ngram_filter_without_3_byte_windows_keeps_every_literal(
    literals: list[str], text: str, threes: bool
) -> None:
    text = text + "".join(literals[::2])
    got = _NgramFilter(sorted(set(literals)), threes=threes).candidates(text)
    assert {lit for lit in literals if lit in text} <= got
    if not threes:  # 3-byte literals are candidates without looking
        assert {lit for lit in literals if len(lit.encode()) == 3} <= got


def test_ngram_filter_marks_no_3_byte_windows_on_very_long_texts() -> None:
    """A text past ``_THREES_MAX_BYTES`` reports its 3-byte literals without looking; the
    longer ones are still filtered (and kept where they occur, up to the last window)."""
    filler = "<p>lorem ipsum dolor</p>" * (selectors_mod._THREES_MAX_BYTES // 24 + 1)
    ngrams = _NgramFilter(["xyz", "lorem", "zzzzq", "tail"])
    assert ngrams.candidates(filler + "tail") == {"xyz", "lorem", "tail"}
    assert ngrams.candidates("<p>lorem ipsum</p>" * 600) == {"lorem"}
