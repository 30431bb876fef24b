"""The far-``>`` gaps of the pre-pass, read from a packed ``>`` bitmap, are the definition's.

``_far_gaps`` looks only at runs of three 64-character words free of ``>``; these tests
place gaps of every length near the threshold at every offset within a word (and at the
page's two ends, which count as ``>``) and compare with the gaps listed from every ``>``.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from icpkit.technographics.page import _LONG_TAG_MIN, _far_gaps, _tag_shapes, html_image


def _gaps_by_definition(image: bytes) -> list[tuple[int, int]]:
    """Each pair of consecutive ``>`` (the page's ends at -1 and ``len(image)``) more than
    _LONG_TAG_MIN apart, as (first character after the first, last whose next ``>`` is
    _LONG_TAG_MIN or more on)."""
    ends = [-1, *(i for i, b in enumerate(image) if b == ord(">")), len(image)]
    return [
        (prev + 1, nxt - _LONG_TAG_MIN)
        for prev, nxt in pairwise(ends)
        if nxt - prev > _LONG_TAG_MIN
    ]


def _far(image: bytes) -> list[tuple[int, int]]:
    return _far_gaps(image, np.frombuffer(image, dtype=np.uint8) == ord(">"))


@given(st.lists(st.integers(min_value=0, max_value=330), max_size=12))
@example([])
@example([257, 258, 259])  # at the threshold, one after the other
@example([0, 258])  # a gap at the start of the page
@example([3, 0, 0, 300])  # ">" side by side, then a gap to the end
@settings(max_examples=500, deadline=None)
def test_far_gaps_are_those_between_every_gt(lengths: list[int]) -> None:
    """Gaps of the given lengths between ">" (the last one running to the page's end)."""
    image = b">".join(b"x" * k for k in lengths)
    assert _far(image) == _gaps_by_definition(image)


@given(
    offset=st.integers(min_value=0, max_value=127),
    gap=st.integers(min_value=250, max_value=270),
    tail=st.integers(min_value=0, max_value=300),
)
@settings(max_examples=500, deadline=None)
def test_a_gap_near_the_threshold_is_found_at_any_offset_in_a_word(
    offset: int, gap: int, tail: int
) -> None:
    """One gap between two ">" at every position relative to the 64-character words."""
    image = b"<a>" * (offset // 3) + b"x" * (offset % 3) + b">" + b"y" * gap + b">" + b"z" * tail
    assert _far(image) == _gaps_by_definition(image)


def test_no_gt_at_all_is_one_gap_from_end_to_end() -> None:
    for n in (258, 259, 300, 640, 1_000):
        image = b"a" * n
        assert _far(image) == _gaps_by_definition(image) == [(0, n - _LONG_TAG_MIN)]
    assert _far(b"a" * 257) == [] == _gaps_by_definition(b"a" * 257)


def test_a_real_shaped_page_has_its_far_tag_found() -> None:
    """A tag of many attributes after a long script between two ">" (the gap's first tag)."""
    wide = "<div " + " ".join(f"a{i}" for i in range(80)) + ">"
    html = "<p>x</p><script>" + "var a = 1; " * 40 + "</script>" + wide + "<p>y</p>"
    _, _, starts = _tag_shapes(html, html_image(html))
    assert starts == [html.index("<div ")]
