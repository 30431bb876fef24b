"""Page's fast paths give what their plain definitions give.

The visible text is read from the shared tree without copying it, the pre-pass counts tags
and finds long ones in the page's one-byte image, and that image is built from the page's
UTF-8 bytes: each is checked here against the definition it replaces, on generated HTML
with hostile shapes mixed in (deep nesting, tags of many attributes, quoted angle brackets,
script text that looks like tags, the characters ``re.I`` folds to ASCII).
"""

from __future__ import annotations

import re
from html import unescape

from hypothesis import example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.technographics import Page, charrefs
from icpkit.technographics.charrefs import unescape_page
from icpkit.technographics.page import (
    _LONG_TAG_START,
    MAX_OPEN_TAGS,
    MAX_TAG_ATTRIBUTES,
    _starts_tag,
    _tag_shapes,
    collapse_whitespace,
    html_image,
    parse_input,
    visible_text,
)
from icpkit.technographics.patterns import prefilter_image

_LONG_TAG_START_IN_IMAGE = re.compile(rb"<(?=/?[a-z])(?=[^>]{257})")

SPECIALS = "\u0130\u0131\u017f\u212a"  # İ ı ſ K: what re.I equates with an ASCII letter

_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*SPECIALS, "\ud800", "\udfff", "\U0001f600", "<", ">", "é", "日"]),
    ),
    max_size=60,
)


@given(_ANY_TEXT)
@settings(max_examples=400, deadline=None)
def test_html_image_is_the_lowered_prefilter_image(text: str) -> None:
    expected = prefilter_image(text).lower()
    utf8 = text.encode("utf-8", "surrogatepass")
    assert html_image(text) == expected
    assert html_image(text, utf8) == expected
    # bytes that are not the page's own are not trusted blindly
    assert html_image(text, utf8 + "é".encode()) == expected
    assert len(expected) == len(text)


def test_page_html_bytes_are_the_given_bytes_or_the_encoding() -> None:
    html = "<p>Caf\u00e9 \u0130stanbul \U0001f600</p>"
    utf8 = html.encode("utf-8")
    plain = Page(url="https://a.example/", html=html)
    given_bytes = Page(url="https://a.example/", html=html, html_utf8=utf8)
    assert plain.html_bytes == utf8 and given_bytes.html_bytes is utf8
    assert plain == given_bytes and "html_utf8" not in repr(given_bytes)
    assert plain.html_image == given_bytes.html_image == prefilter_image(html).lower()
    # bytes holding another number of characters are not the page's: encoded again
    wrong = Page(url="https://a.example/", html=html, html_utf8=utf8 + b"<script>")
    assert wrong.html_bytes == utf8 and wrong.tree.css_first("script") is None
    ascii_wrong = Page(url="https://a.example/", html="<p>a</p>", html_utf8=b"<p>ab</p>")
    assert ascii_wrong.html_bytes == b"<p>a</p>"
    lone = Page(url="https://a.example/", html="a\ud800b")  # a str Python cannot encode strictly
    assert lone.html_bytes == b"a\xed\xa0\x80b" and lone.html_image == b"a\xffb"


_TAG_PARTS = [
    "<",
    "</",
    ">",
    "<a",
    "<Div ",
    "<\u0130",
    "<\u017f",
    "<1",
    "<é",
    "x" * 130,
    "é" * 130,
    "日" * 90,
    " c",
    "/",
    '="<"',
    "'>'",
    "\u212a",
    "<i></i>" * 90,  # (enough of these make the "</" count matter)
    "</b",
    "</\u212a",
    "<" * 150,
]


@given(st.lists(st.sampled_from(_TAG_PARTS), max_size=25))
@settings(max_examples=400, deadline=None)
def test_tag_shapes_are_the_string_counts_and_the_long_tag_scan(parts: list[str]) -> None:
    html = "".join(parts)
    opening, closing, starts = _tag_shapes(html, html_image(html))
    assert opening == html.count("<")
    assert closing == (html.count("</") if opening > MAX_OPEN_TAGS else None)
    # the string definition: a "<" or "</" and a letter, no ">" in the next 257 characters,
    # and more separators and quotes than MAX_TAG_ATTRIBUTES from the first such "<" before
    # the same ">" up to it (the image folds "<\u0130" to "<i": parse_input asks the str)
    image = html_image(html)
    far = [m.start() for m in _LONG_TAG_START_IN_IMAGE.finditer(image)]
    next_gt = {s: len(html) if html.find(">", s) < 0 else html.find(">", s) for s in far}
    leader: dict[int, int] = {}
    for s in far:
        leader.setdefault(next_gt[s], s)
    starts_chars = re.compile(r"[\t\n\f\r /\"']")
    expected = [
        s
        for s in far
        if len(starts_chars.findall(html, leader[next_gt[s]], next_gt[s])) > MAX_TAG_ATTRIBUTES
    ]
    assert starts == expected
    assert {m.start() for m in _LONG_TAG_START.finditer(html)} == {
        s for s in far if _starts_tag(html, s)
    }


_WIDE_TAG = "<div " + " ".join(f"c{i}" for i in range(MAX_TAG_ATTRIBUTES + 20)) + ">"
_HOSTILE_PARTS = [
    _WIDE_TAG,
    '<div a=">" ' + " ".join(f"d{i}" for i in range(90)) + ">",
    "<p title='<b>' " + "é " * 200 + ">",
    '<meta content="' + "word " * 900 + '">',  # long, one attribute: kept whole
    "<div " + " ".join(f"e{i}<1" for i in range(90)) + ">",  # "<" does not end a tag
    "<div " + "".join(f"f{i}=''" for i in range(90)) + ">",  # no separators
    "<p id=x>x</p " + " ".join(f"g{i}" for i in range(90)) + ">",  # an end tag's
    "<div>" * 900,
    "</div>" * 200,
    "<script>",
    "</script>",
    "<script>if(a<b " + "c " * 300 + "){}",
    '<script>if(x<b c="',  # script text read as a tag whose quote would hide what follows
    '">',
    "<style>",
    "</style>",
    "<!--",
    "-->",
    "<svg>",
    "</svg>",
    "<textarea>",
    "</textarea>",
    "<p>x</p>",
    "<\u0130 " + "i " * 200 + ">",
    "é日",
    " ",
]


@given(st.lists(st.sampled_from(_HOSTILE_PARTS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_parse_input_bounds_every_element_the_parser_builds(parts: list[str]) -> None:
    """Whatever the mix, no element the parser builds from the cut page carries more than
    MAX_TAG_ATTRIBUTES attributes (every part's wide tag is 256 characters or more), and the
    image given or made here (or a wrong one) gives the same input."""
    html = "".join(parts)
    cut = parse_input(html, html_image(html))
    assert parse_input(html) == cut == parse_input(html, html_image(html + "x"))
    tree = LexborHTMLParser(cut)
    assert all(len(node.attributes) <= MAX_TAG_ATTRIBUTES for node in tree.css("*"))


def test_page_tree_still_cuts_hostile_shapes() -> None:
    """Page.tree goes through the image path: deep nesting and wide tags stay bounded."""
    deep = Page(url="https://a.example/", html="<p>é</p>" + "<div>" * 64_000)
    assert len(deep.tree.css("div")) == MAX_OPEN_TAGS
    wide = Page(url="https://a.example/", html=f"<body>é{_WIDE_TAG * 30}<p id=end>x</p></body>")
    divs = wide.tree.css("div")
    assert len(divs) == 30 and all(len(d.attributes) == MAX_TAG_ATTRIBUTES for d in divs)
    assert wide.tree.css_first("#end") is not None


# --- visible text --------------------------------------------------------------------------

_TEXT_DROP = ["script", "style", "noscript", "template"]


def _text_by_stripping_a_copy(html: str) -> str:
    """The former definition of Page.text: a copy of the tree with those elements stripped."""
    tree = LexborHTMLParser(parse_input(html) or "<html></html>").clone()
    tree.strip_tags(_TEXT_DROP)
    root = tree.body or tree.root
    return "" if root is None else collapse_whitespace(root.text(deep=True, separator=" "))


_TEXT_PARTS = [
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<noscript>",
    "</noscript>",
    "<template>",
    "</template>",
    "<!-- note -->",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<span>",
    "</span>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<svg><text>",
    "</svg>",
    "<title>",
    "</title>",
    "<head>",
    "<body>",
    "<frameset>",
    "<textarea>",
    "</textarea>",
    "word",
    "Café",
    "&amp;",
    "&nbsp;",
    " ",
    "\n",
    "\t\r\n\x0c",  # HTML whitespace alone: a text node lexbor skips (skip_empty)
    "\x0b",  # whitespace to str.split, not to HTML: a text node kept
    "\x1c\xa0",
    "\u3000",
    "<br>",
    "<img alt=x>",
    "<select><option>",
]


@given(st.lists(st.sampled_from(_TEXT_PARTS), max_size=30))
@settings(max_examples=500, deadline=None)
def test_visible_text_is_the_text_of_a_stripped_copy(parts: list[str]) -> None:
    html = "".join(parts)
    page = Page(url="https://a.example/", html=html)
    assert page.text == (_text_by_stripping_a_copy(html) if html else "")
    page.tree.css("script")  # the shared tree is left as it was
    assert page.tree.html == LexborHTMLParser(parse_input(html) or "<html></html>").html


def test_visible_text_walks_deep_pages_without_recursion() -> None:
    html = "<body>" + "<div>a " * 1_900 + "<script>var x;</script><noscript>n</noscript>b"
    page = Page(url="https://a.example/", html=html)
    assert page.text == _text_by_stripping_a_copy(html) == ("a " * 1_900 + "b")
    root = page.tree.body
    assert root is not None
    assert re.fullmatch(r"[a b]*", visible_text(root)) is not None


@given(
    st.lists(
        st.sampled_from(
            [
                "&",
                "amp",
                ";",
                "#",
                "x",
                "X",
                "41",
                "1F600",
                "110000",
                "d800",
                "0",
                "nbsp",
                "notin",
                "NotNestedLessLess",
                "lt",
                "&&",
                "é",
                "a",
                " ",
                "\n",
                "<",
                "=",
                "AMP",
            ]
        ),
        max_size=30,
    )
)
@settings(max_examples=500, deadline=None)
def test_unescape_page_is_html_unescape(parts: list[str]) -> None:
    text = "".join(parts)
    assert unescape_page(text) == unescape(text)


_REF_PARTS = [b"&", b"&&", b"amp", b";", b"#", b"x", b"41", b"1f", b"nbsp", b"lt", b" ", b"\xff"]


@given(st.lists(st.sampled_from([*_REF_PARTS, b"&&" * 200, b"&a" * 128]), max_size=30))
@example([b"&a" * 128, b"&a" * 128, b"&", b"lt"])  # the first "&" findall reads is a new one
@example([b"&", b"lt", b";"] * 16 + [b"&", b"gt", b"&", b"nbsp"])  # dense: findall from the 16th
@example([b"&", b"lt", b" " * 300] * 17 + [b"&", b"nbsp"])  # sparse: one at a time
@settings(max_examples=500, deadline=None)
def test_reference_tokens_are_those_findall_reads(parts: list[bytes]) -> None:
    """Reading the references at each "&" (then findall past the first 256) finds what one
    findall over the whole image finds."""
    image = b"".join(parts)
    assert charrefs._reference_tokens(image) == set(charrefs._CHARREF.findall(image))


_DECODE_PARTS = [
    *(p.decode("latin-1") for p in _REF_PARTS if p != b"\xff"),
    "AMP",
    "Amp",
    "Tab",
    "#X41",
    "#x130",  # İ: a special once decoded
    "#305",
    "#383",
    "#8490",
    "#x110000",
    "\u0130",
    "é",
    "日",
    "<",
    "nbsp;",
    "notin",
]


@given(st.lists(st.sampled_from([*_DECODE_PARTS, "&AMP;" * 300]), max_size=30))
@settings(max_examples=500, deadline=None)
def test_decoded_image_is_the_image_of_the_unescaped_page(parts: list[str]) -> None:
    html = "".join(parts)
    expected = prefilter_image(unescape(html)).lower()
    assert charrefs.decoded_image(html, html_image(html)) == expected
    assert charrefs._decoded_image_whole(html) == expected
    page = Page(url="https://a.example/", html=html)
    assert charrefs.decoded_html(page) == (expected.decode("latin-1"), expected)


def test_tree_from_bytes_is_the_tree_of_the_str() -> None:
    """Page.tree gives lexbor the page's UTF-8 bytes when the pre-pass left the page as it
    was: the same bytes selectolax encodes a str to (a lone surrogate is dropped there, so
    such a page is parsed from the str)."""
    for html in ("<p>Café \u0130 日本</p><script>x</script>", "<p>a\ud800b</p>", "<p>ascii</p>"):
        page = Page(url="https://a.example/", html=html)
        assert page.tree.html == LexborHTMLParser(parse_input(html)).html
        assert page.text == _text_by_stripping_a_copy(html)


_ELEMENT_PARTS = [
    "<script>a</script>",
    "<script src=/x.js></script>",
    "<SCRIPT>b</SCRIPT>",
    '<meta name="generator" content="X">',
    "<META property=og:type content=y>",
    "<svg>",
    "</svg>",
    "<math>",
    "</math>",
    "<template>",
    "</template>",
    "<noscript>",
    "</noscript>",
    "<head>",
    "<body>",
    "<table>",
    "<p>",
    "<frameset>",
    "<iframe>",
    "</iframe>",
    "<!--",
    "-->",
]


@given(st.lists(st.sampled_from(_ELEMENT_PARTS), max_size=20))
@settings(max_examples=300, deadline=None)
def test_elements_by_name_are_the_css_type_selectors(parts: list[str]) -> None:
    """Scripts and metas are read from lexbor's by-name lists: the elements, in the order,
    that the ``script`` and ``meta`` type selectors give (foreign content and templates
    included)."""
    tree = LexborHTMLParser("".join(parts) or "<html></html>")
    for name in ("script", "meta"):
        assert [n.html for n in tree.tags(name)] == [n.html for n in tree.css(name)]
