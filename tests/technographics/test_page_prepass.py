"""The hostile-shape pre-pass finds quoted angle brackets from one Hyperscan scan where it is
installed: the same matches, in the same order, as ``re`` over the whole image, and so the
same parser input (checked on generated HTML with hostile shapes and on every position).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from icpkit.technographics import Page
from icpkit.technographics import page as page_mod
from icpkit.technographics.page import (
    _QUOTED_ANGLE_IN_IMAGE,
    MAX_TAG_ATTRIBUTES,
    _hyperscan_ends,
    _image_search,
    _QuotedAngles,
    html_image,
    parse_input,
)

pytest.importorskip("hyperscan")

_QUOTE_PARTS = ["=", '"', "'", "<", ">", " ", "\n", "a", "é", '="', "='", "= '", "<a ", "b=c"]


def _all_matches(search, size: int) -> list[tuple[int, int] | None]:  # type: ignore[no-untyped-def]
    out = []
    for pos in range(size + 1):
        m = search(pos)
        out.append(None if m is None else m.span())
    return out


@given(st.lists(st.sampled_from(_QUOTE_PARTS), max_size=40))
@example(['="', "a", "='", "<"])  # two matches end at one angle: the later start is asked for
@settings(max_examples=500, deadline=None)
def test_hyperscan_answers_every_search_as_re_does(parts: list[str]) -> None:
    image = html_image("".join(parts))
    ends = _hyperscan_ends(image)
    assert ends is not None
    native = _QuotedAngles(image, ends).search
    plain = lambda pos: _QUOTED_ANGLE_IN_IMAGE.search(image, pos)  # noqa: E731
    assert _all_matches(native, len(image)) == _all_matches(plain, len(image))


_WIDE_ATTRIBUTES = " ".join(f"d{i}" for i in range(MAX_TAG_ATTRIBUTES + 30))
_HOSTILE_PARTS = [
    f'<div a=">" {_WIDE_ATTRIBUTES}>',
    f"<p title='<b>' {_WIDE_ATTRIBUTES} é>",
    f'<img alt="x" data-a="<" {_WIDE_ATTRIBUTES}>',
    '<meta content="' + "word " * 900 + '">',
    '<a href="/x?a=b" title="1 > 0">',
    "<script>var s = '<div class=\"x\">' + a;</script>",
    "<style>a[title='>']{}</style>",
    "<!-- <b title='<'> -->",
    "<p>",
    "é",
    " ",
]


@given(st.lists(st.sampled_from(_HOSTILE_PARTS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_parse_input_is_the_same_with_and_without_hyperscan(parts: list[str]) -> None:
    html = "".join(parts)
    image = html_image(html)
    expected = parse_input(html)
    assert parse_input(html, image) == expected
    page_mod.NATIVE_PREPASS = False
    try:
        assert parse_input(html, image) == expected
    finally:
        page_mod.NATIVE_PREPASS = True


def test_a_page_of_many_quoted_angles_is_searched_by_re(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap on reported matches the scan stops and re searches the page instead
    (each report is a Python call): the answer is the same."""
    html = "<p>" + '<b title="<">x</b>' * 50 + f'<div a=">" {_WIDE_ATTRIBUTES}>'
    image = html_image(html)
    monkeypatch.setattr(page_mod, "_HS_MAX_ENDS", 10)
    assert _hyperscan_ends(image) is None
    search = _image_search(image)
    assert _all_matches(search, len(image)) == _all_matches(
        lambda pos: _QUOTED_ANGLE_IN_IMAGE.search(image, pos), len(image)
    )
    assert parse_input(html, image) == parse_input(html) != html
    page = Page(url="https://a.example/", html=html)
    assert len(page.tree.css("div")[0].attributes) == MAX_TAG_ATTRIBUTES


# --- the script/style scan's searches --------------------------------------------------------

_SCRIPT_PARTS = ["<!--", "-->", "<script>", "</script>", "</SCRIPT ", "</script", "<\u017fcript>"]
_SCRIPT_PARTS += ["</\u017fcript>", "<script/", "a", "<", "-", "!", "\n", "</style>", "é"]


@given(st.lists(st.sampled_from(_SCRIPT_PARTS), max_size=25))
@settings(max_examples=500, deadline=None)
def test_script_end_is_the_tokenizer_states_read_token_by_token(parts: list[str]) -> None:
    text = "".join(parts)
    for at in range(len(text) + 1):
        assert page_mod._script_end(text, at) == page_mod._escaped_script_end(text, at)


_WS = "\t\n\f\r "


_SEARCHED_PARTS = [*_SCRIPT_PARTS, "</Style>", "</STYLE\t", "</title>", "<![CDATA[", "<svg "]
_SEARCHED_PARTS += ["</b>", "<P", "<\u0130", "</\u017ftyle>"]


@given(st.lists(st.sampled_from(_SEARCHED_PARTS), max_size=20))
@settings(max_examples=300, deadline=None)
def test_searches_read_as_before(parts: list[str]) -> None:
    """The closing-tag and foreign-content searches were reshaped to start with a literal
    (which ``re`` looks for quickly): they find what the former patterns found."""
    text = "".join(parts)
    for name, pattern in page_mod._CLOSE.items():
        former = re.compile(rf"</{name}[{_WS}/>]", re.I | re.A)  # (ASCII letter case only)
        assert [m.span() for m in pattern.finditer(text)] == [
            m.span() for m in former.finditer(text)
        ]
    former_foreign = re.compile(rf"<!--|<!\[CDATA\[|<(/?)([A-Za-z][^{_WS}/>]*)")
    assert [m.groups() + m.span() for m in page_mod._FOREIGN_TOKEN.finditer(text)] == [
        m.groups() + m.span() for m in former_foreign.finditer(text)
    ]


# --- script and style names --------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u017fcript", "scr\u0130pt", "scr\u0131pt", "\u017ftyle"])
def test_only_ascii_letter_case_makes_a_script_or_style(name: str) -> None:
    """The tokenizer lower-cases ASCII letters only: ``<ſcript>`` is an unknown element, not
    script text, so a hostile tag after it is cut like any other (the scan read it as a
    script, which ended in a KeyError or let the tag through)."""
    wide = f"<div {_WIDE_ATTRIBUTES}>"
    html = f"<p><{name}>{wide}<p id=end>x"
    assert page_mod.raw_text_spans(html) == []
    page = Page(url="https://a.example/", html=f'<div a="{"x" * 300}">' + html)
    divs = page.tree.css("div")
    assert len(divs[-1].attributes) == MAX_TAG_ATTRIBUTES
    assert page.tree.css("script, style") == []
