"""The pre-pass's cheaper readings give what the readings they replace give.

A tag's kept length is read from the page's one-byte image in place (one match of
MAX_TAG_ATTRIBUTES attributes) instead of from a slice of the str, and the far-``>`` tags
are found from the gaps between ``>`` instead of from every ``<``: each is checked against
the reading it replaces on generated tags and pages with hostile shapes (attributes glued
after quotes, names holding ``=`` or ``<``, unterminated quotes, the characters ``re.I`` folds
to ASCII, non-ASCII values), including the tags the cheap tests must send to the exact one.
"""

from __future__ import annotations

from functools import partial

from hypothesis import example, given, settings
from hypothesis import strategies as st

from icpkit.technographics.page import (
    _TAG_EXTENT,
    _TAG_EXTENT_IN_IMAGE,
    MAX_TAG_ATTRIBUTES,
    _extent_and_keep,
    _kept_in_image,
    _tag_keep,
    _tag_shapes,
    html_image,
    parse_input,
)

_ATTRIBUTE_PARTS = [
    " a",
    " b=c",
    " d='e f'",
    ' g="h>i"',
    "j=''",
    "=k",
    " l<1",
    "/",
    " \u0130=\u017f",
    " \u212a",
    " é=日",
    ' m="',
    " n = 'o'",
    "\t\n",
    "x" * 40,
]


def _tag(name: str, parts: list[str]) -> str:
    html = f"<{name}" + "".join(parts) + ">"
    extent = _TAG_EXTENT.match(html)
    assert extent is not None
    return html[: extent.end()]


@given(
    name=st.sampled_from(["div", "/div", "a", "x\u0130"]),
    parts=st.lists(st.sampled_from(_ATTRIBUTE_PARTS), max_size=3 * MAX_TAG_ATTRIBUTES),
)
@example(name="div", parts=[" a"] * MAX_TAG_ATTRIBUTES)  # exactly as many: kept whole
@example(name="div", parts=[" a"] * (MAX_TAG_ATTRIBUTES + 1))  # one more: cut
@example(name="div", parts=["j=''"] * (MAX_TAG_ATTRIBUTES + 1))  # glued after quotes
@example(name="/div", parts=[" l<1"] * (MAX_TAG_ATTRIBUTES + 1))
@example(name="div", parts=[" a"] * MAX_TAG_ATTRIBUTES + [" /"])  # trailing separators
@settings(max_examples=500, deadline=None)
def test_kept_length_read_in_the_image_is_the_strs(name: str, parts: list[str]) -> None:
    tag = _tag(name, parts)
    page = "<p>x</p>" + tag + ">tail"
    start = len("<p>x</p>")
    image = html_image(page)
    assert _kept_in_image(image, start, start + len(tag)) == _tag_keep(tag)


@given(
    name=st.sampled_from(["div", "/div", "a", "x\u0130"]),
    parts=st.lists(st.sampled_from(_ATTRIBUTE_PARTS), max_size=3 * MAX_TAG_ATTRIBUTES),
    tail=st.sampled_from([">tail", "", " ", "=", "'", ' a="b']),
)
@example(name="div", parts=[" a"] * MAX_TAG_ATTRIBUTES, tail=">")  # exactly as many: whole
@example(name="div", parts=[" a"] * (MAX_TAG_ATTRIBUTES + 1), tail=">")  # one more: cut
@example(name="div", parts=["j=''"] * (MAX_TAG_ATTRIBUTES + 1), tail="")  # to the page's end
@example(name="div", parts=[" a"] * MAX_TAG_ATTRIBUTES + [" /", "\t\n"], tail=">")
@example(name="/div", parts=[" l<1"] * (MAX_TAG_ATTRIBUTES + 1), tail=' a="b')
@settings(max_examples=500, deadline=None)
def test_extent_and_kept_length_in_one_reading(name: str, parts: list[str], tail: str) -> None:
    """The fused reading gives the extent of _TAG_EXTENT and the kept length of
    _kept_in_image (itself the str's _tag_keep), wherever the tag ends."""
    page = "<p>x</p>" + f"<{name}" + "".join(parts) + tail
    start = len("<p>x</p>")
    image = html_image(page)
    extent = _TAG_EXTENT_IN_IMAGE.match(image, start)
    assert extent is not None
    end = extent.end()
    assert _extent_and_keep(image, start) == (end, _kept_in_image(image, start, end))
    str_extent = _TAG_EXTENT.match(page, start)
    assert str_extent is not None and str_extent.end() == end


_PAGE_PARTS = [
    "<div>",
    "</div>",
    ">",
    "<",
    "<a",
    "</b",
    "<\u0130",
    "<1",
    " c",
    "=\"'",
    "x" * 130,
    "é" * 130,
    " " * 70,
    "<script>",
    "</script>",
    "a<b.length;i++){",
]


@given(st.lists(st.sampled_from(_PAGE_PARTS), max_size=30))
@example(["<a", " " * 70, "x" * 130, "x" * 130])  # no ">" at all: one gap, the whole page
@example([">", "x" * 130, "x" * 130, "<a", " " * 70])  # a far tag too near the end: none
@example([">", "<a", " " * 70, "x" * 130, "x" * 56])  # 258 characters on: the last far tag
@example(["x" * 130, "x" * 127, "<a", " " * 70, "x" * 130, "x" * 56, ">"])  # and before a ">"
@example(["x" * 130, "x" * 130, "<a", " " * 70, "x" * 130, "x" * 130, ">"])
@settings(max_examples=400, deadline=None)
def test_far_tags_from_the_gaps_are_those_of_every_lt(parts: list[str]) -> None:
    """Each "<" tag start whose next ">" is 258 or more on (the page's end counts), among
    those of a gap with more separators and quotes than MAX_TAG_ATTRIBUTES from its first
    such start: the definition, written with one look per "<"."""
    html = "".join(parts)
    image = html_image(html)
    _, _, starts = _tag_shapes(html, image)
    expected, leaders = [], {}
    for at in range(len(image)):
        if image[at] != ord("<"):
            continue
        letter = at + 2 if image[at + 1 : at + 2] == b"/" else at + 1
        if not image[letter : letter + 1].isalpha() or not image[letter : letter + 1].isascii():
            continue
        gt = image.find(b">", at)
        gt = len(image) if gt < 0 else gt
        if gt - at < 258:
            continue
        lead = leaders.setdefault(gt, at)
        seps = sum(image[lead:gt].count(c) for c in (b"\t", b"\n", b"\f", b"\r", b" ", b"/"))
        seps += image[lead:gt].count(b'"') + image[lead:gt].count(b"'")
        if seps > MAX_TAG_ATTRIBUTES:
            expected.append(at)
    assert starts == expected


def test_a_wide_tag_after_script_text_of_many_separators_is_still_cut() -> None:
    """Script text that reads as a tag of many attributes is left whole, and a real wide tag
    after it (the cheap tests send both to the exact reading) is cut after
    MAX_TAG_ATTRIBUTES attributes."""
    script = "<script>for(i=0;i<n.length;i++){" + " x" * 300 + "}</script>"
    wide = "<div " + " ".join(f"a{i}" for i in range(MAX_TAG_ATTRIBUTES + 50)) + ">"
    html = script + "<p>between</p>" + wide + "after"
    out = parse_input(html)
    assert out.startswith(script + "<p>between</p>")
    kept = out[len(script + "<p>between</p>") :]
    assert kept.startswith("<div a0 ") and f" a{MAX_TAG_ATTRIBUTES - 1}>" in kept
    assert f"a{MAX_TAG_ATTRIBUTES}" not in kept and kept.endswith(">after")


_RAW_PARTS = [
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<!--",
    "-->",
    "<!-->",
    '<div title="',
    '">',
    "'>'",
    "=",
    '="<"',
    "='>",
    '= "a<b" ',
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "x",
    ">",
    "<",
    "<b>",
    "<b ",
    "</b",
    "</",
    "<!x",
    "<?",
    "'",
    '"',
    "<script type=a>",
    "</SCRIPT >",
    "<\u017fcript>",  # ſ: "s" in the image, no script to the tokenizer
    "</\u017fcript>",  # nor an end of one
    "<svg>",
    "</svg>",
    "<math>",
    "<x a='<script>'>",
    "<a href=<script>",
    "<Style media=x>",
    "a<b.length;",
    "<frameset>",
]


@given(st.lists(st.sampled_from(_RAW_PARTS), max_size=30))
@example(['<div title="', "<script>", '">', "<script>", "x"])  # a stop inside a quoted value
@example(["<b ", "=", "<script>", ">", "<script>", "y"])  # "=" then a stop: unquoted, in a tag
@example(["x", '="<"', "<script>", "z"])  # a quoted angle's "=" in text changes nothing
@example(["<a href=<script>", "<style>", "s"])  # a stop in an unquoted value
@example(["<\u017fcript>", "<b>", "</script>", "<style>", "t"])
@example(["<script>", "a", "</\u017fcript>", "b", "</script>", "<style>", "c"])
@settings(max_examples=1500, deadline=None)
def test_raw_text_spans_from_the_image_are_those_read_tag_by_tag(parts: list[str]) -> None:
    """The pre-pass reads script and style text from the page's image, its stops and its
    quoted angles (one tag read in full per quoted angle in a tag): the same spans as the
    scan that reads every tag, and the same answers position by position."""
    from icpkit.technographics.page import (
        _QUOTED_ANGLE_IN_IMAGE,
        _FirstFrom,
        _image_search,
        _iter_raw_text_spans,
        _RawText,
        raw_text_spans,
    )

    html = "".join(parts)
    image = html_image(html)
    spans = raw_text_spans(html)
    # (quoted angles from Hyperscan where installed, and from re as without it; remembered
    # as parse_input asks them, and not)
    for search in (
        _FirstFrom(_image_search(image)),
        _image_search(image),
        _FirstFrom(partial(_QUOTED_ANGLE_IN_IMAGE.search, image)),
    ):
        assert list(_iter_raw_text_spans(html, image, search)) == spans
        inside = _RawText(html, image, search)
        for at in range(len(html) + 1):
            assert inside(at) == any(a <= at < b for a, b in spans), (html, at)


@given(st.lists(st.sampled_from(["<", "</", "<i>", ">", "x" * 100, "<a" + " b" * 70]), max_size=80))
@example(["<", "</"] * 1100)  # a small page of more "<" than MAX_OPEN_TAGS: "</" counted
@example(["<a" + " b" * 70, "x" * 100, "x" * 100])  # a small page with a far tag: numpy's path
@settings(max_examples=300, deadline=None)
def test_small_pages_count_as_large_ones(parts: list[str]) -> None:
    """Pages of up to _SMALL_PAGE characters without a gap of 259 between two ">" are read
    without numpy: the same counts, and no far tag."""
    from icpkit.technographics.page import MAX_OPEN_TAGS

    html = "".join(parts)
    opening, closing, starts = _tag_shapes(html, html_image(html))
    assert opening == html.count("<")
    assert closing == (html.count("</") if opening > MAX_OPEN_TAGS else None)
    if max((len(piece) for piece in html.split(">")), default=0) < 258:
        assert starts == []


@given(
    parts=st.lists(
        st.sampled_from(["=", '"', "'", "<", ">", " ", "a", '="x<', "='>"]), max_size=40
    ),
    data=st.data(),
)
@settings(max_examples=300, deadline=None)
def test_a_remembered_quoted_angle_is_the_first_from_any_position(
    parts: list[str], data: st.DataObject
) -> None:
    """The quoted-angle search remembers its last answer: asked in any order (the scan asks
    from each stop on, the pre-pass from each match on), it answers as ``re`` from there."""
    from icpkit.technographics.page import _QUOTED_ANGLE_IN_IMAGE, _FirstFrom, _image_search

    image = html_image("".join(parts))
    search = _FirstFrom(_image_search(image))
    positions = data.draw(st.lists(st.integers(0, len(image)), max_size=30))
    for pos in positions:
        want = _QUOTED_ANGLE_IN_IMAGE.search(image, pos)
        got = search(pos)
        assert (got and got.span()) == (want and want.span()), (image, pos)


def test_dense_quoted_angles_and_stops_inside_tags_give_the_same_spans_in_linear_time() -> None:
    """Shapes where the image's stops and quoted angles are many: stops inside one tag, quoted
    angles in text and in tags (past _QUOTED_BEFORE_EXACT of them a run is read tag by tag),
    each followed by a real script: the same spans as the tag-by-tag scan."""
    from icpkit.technographics.page import (
        _QUOTED_BEFORE_EXACT,
        _FirstFrom,
        _image_search,
        _iter_raw_text_spans,
        raw_text_spans,
    )

    many = 4 * _QUOTED_BEFORE_EXACT
    tail = "<script>s</script><style>t</style>"
    for html in (
        ">" + "x" * 3000 + "<a " + "<script " * many + ">" + tail,
        '="<' * many + tail,
        '<a b="<">' * many + tail,
        '<a b="<" <script ' * many + ">" + tail,
        '<a b=">">' * (_QUOTED_BEFORE_EXACT - 1) + tail,
    ):
        image = html_image(html)
        spans = raw_text_spans(html)
        assert [html[a:b] for a, b in spans] == ["s", "t"]
        search = _FirstFrom(_image_search(image))
        assert list(_iter_raw_text_spans(html, image, search)) == spans


def test_quoted_angles_in_text_are_passed_to_the_next_tag_not_beyond() -> None:
    """Quoted angles whose "=" is in text are looked past up to the next tag start at once;
    a wide tag there, holding a quoted ">" itself, is still cut after MAX_TAG_ATTRIBUTES."""
    wide = '<div a=">" ' + " ".join(f"d{i}" for i in range(MAX_TAG_ATTRIBUTES + 40)) + ">"
    for text in ('="<' * 50, '="<="<<b>' * 50, "x"):
        html = text + wide + "after"
        out = parse_input(html)
        kept = out[len(text) :]
        assert out.startswith(text) and kept.startswith('<div a=">" d0 ')
        assert f"d{MAX_TAG_ATTRIBUTES - 2}" in kept and f"d{MAX_TAG_ATTRIBUTES}" not in kept
        assert kept.endswith(">after")
