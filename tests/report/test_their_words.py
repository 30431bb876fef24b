"""'In their words' on the page: excerpts that keep the customer's phrase, no theme said twice,
and every theme in full in the appendix."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from icpkit.icp import ICP
from icpkit.interviews import analyze_interviews, generate_interviews, with_insights
from icpkit.interviews.words import excerpt, in_their_words, interview_themes
from icpkit.report import render_html, render_markdown
from icpkit.report.onepage import build_onepage
from tests.interviews.conftest import two_segment_icp

WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=9)


@given(
    st.lists(WORDS, min_size=1, max_size=60),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=20, max_value=120),
)
def test_excerpt_is_a_cut_of_the_quote_around_the_term(
    words: list[str], at: int, width: int
) -> None:
    at = min(at, len(words) - 1)
    term = words[at]
    text = " ".join(words)
    out = excerpt(text, [term], width)
    body = out.removeprefix("…").removesuffix("…")
    assert body in text  # a contiguous piece of what the customer said, never rewritten
    assert len(body) <= width
    assert (out == body) == (body == text)  # an ellipsis exactly when something was cut
    if not out.startswith("…"):
        assert text.startswith(body)
    if not out.endswith("…"):
        assert text.endswith(body)
    if len(text) > width and len(term) <= width // 2:
        assert term in body  # the theme's words are in the window


def test_phrase_survives_the_cut() -> None:
    quote = " ".join(["filler"] * 30 + ["closed the books in three days"] + ["tail"] * 30)
    out = excerpt(quote, ["closed", "books", "days"], 80)
    assert "closed the books in three days" in out and out.startswith("…")


def test_term_after_a_long_word_stays_in_the_window() -> None:
    """Backing up to a word boundary must not push the term out of the window: here the start
    snaps back over a nine-letter word, and the window used to end before the term (hypothesis
    found it)."""
    text = "a a aaaaaaaba a aaaaaaaa a"
    out = excerpt(text, ["aaaaaaaa"], 20)
    assert out == "…aaaaaaaba a aaaaaaaa…"


def _analysed() -> ICP:
    corpus = generate_interviews(40, 40, seed=4)
    icp = two_segment_icp()
    return with_insights(icp, analyze_interviews(corpus.interviews, icp, corpus.accounts).insights)


def test_no_theme_is_said_twice_and_the_appendix_has_them_all() -> None:
    icp = _analysed()
    assert icp.insights is not None
    page = build_onepage(icp)
    for card in page.segments:
        seg = icp.insights.for_segment(card.id)
        assert seg is not None and seg.themes
        first = seg.themes[0]
        pointer = card.pointers[0]
        assert pointer.source == "from interviews"
        assert f"({first.interviews} of {first.of_interviews} interviews)" in pointer.text
        words = page.insights[card.id]
        # the next theme, or the only one when there is no other
        shown = seg.themes[1] if len(seg.themes) > 1 else first
        assert words[0].endswith(f"({shown.interviews} of {shown.of_interviews} interviews)")
        assert len(words) == min(2, max(1, len(seg.themes) - 1))
    html = render_html(icp)
    md = render_markdown(icp)
    appendix = html.split('id="appendix"')[1]
    for seg in icp.insights.segments:
        for t in seg.themes:
            assert t.label in appendix and t.label in md
            for q in t.quotes:  # whole scrubbed quotes, HTML-escaped in the page
                assert q.text in md
                assert re.sub("'", "&#39;", q.text) in appendix


def test_library_defaults_without_the_page() -> None:
    icp = _analysed()
    assert all(len(v) == 1 for v in interview_themes(icp).values())
    assert all(len(v) <= 2 for v in in_their_words(icp).values())
