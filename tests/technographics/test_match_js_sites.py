"""The ``js`` chain sites: a scan reporting only the places where a chain can get a value gives
the static values every occurrence gives; the n-gram filter's uint32 windows keep every literal.

The site expressions run in Hyperscan over the prefilter image (one byte per character, 0xFF
for non-ASCII) and the pure engine's site regex over the text; both are checked against
``js_regex(chain).finditer`` (the reference reading) on generated scripts holding the chain
after prefixes and keywords, with Unicode whitespace, name characters and the case-fold
specials around it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.technographics.hits import hs_collect_at, hs_compile, hyperscan_available
from icpkit.technographics.patterns import prefilter_image
from icpkit.technographics.selectors import _NgramFilter
from icpkit.technographics.statics import (
    SITE_SENTINEL,
    chain_site_expressions,
    chain_site_regex,
    js_regex,
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
