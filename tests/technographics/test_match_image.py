"""The prefilter image: one byte per character, by definition.

``prefilter_image`` keeps ASCII, folds the four characters ``re.I`` equates with an ASCII
letter, and turns every other character into 0xFF; its positions are the text's, which the
fast matcher relies on. Checked character by character against that definition on text
mixing every UTF-8 length, lone surrogates and the specials. (Building it from the UTF-8
lead bytes instead of UTF-16 and numpy was tried: no faster on the real pages' texts.)
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.technographics.patterns import CASE_FOLD_TO_ASCII, prefilter_image

ALPHABET = [
    "a", "Z", "<", " ", "\x7f", "\u00e9", "\u00ff", "\u0100", "\u0130", "\u0131", "\u0145",
    "\u017f", "\u0180", "\u07ff", "\u0800", "\u2019", "\u2129", "\u212a", "\u4e2d", "\ud800",
    "\udfff", "\U0001f600",
]  # fmt: skip


def reference_image(text: str) -> bytes:
    return bytes(
        ord(c) if c.isascii() else ord(CASE_FOLD_TO_ASCII[c]) if c in CASE_FOLD_TO_ASCII else 0xFF
        for c in text
    )


@settings(max_examples=3000, deadline=None)
@given(text=st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_image_is_one_byte_per_character_by_definition(text: str) -> None:
    assert prefilter_image(text) == reference_image(text)


@given(text=st.text(max_size=60))
def test_image_of_any_text(text: str) -> None:
    assert prefilter_image(text) == reference_image(text)


def test_image_of_long_text_with_a_special_at_the_end() -> None:
    text = "\u4e2d" * 5000 + "\u017f"
    assert prefilter_image(text) == b"\xff" * 5000 + b"s"
