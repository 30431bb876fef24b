"""Real pages' long attribute values reach the parser whole; only many attributes are cut.

lexbor's cost per tag is quadratic in its count of distinct attribute names and linear in
everything else (one long value, long names, character references): a 20 KiB svg path, a
data-URI image or a 6 KiB ``<meta content>`` is no reason to cut a tag, a tag of thousands of
attributes is, however they are written (separated, after closing quotes, with an unquoted
``<`` in names, on an end tag).
"""

from __future__ import annotations

import base64
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.technographics import Page
from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, parse_input


def _real_shaped_page() -> tuple[str, dict[str, str]]:
    """A page of the shapes the 4 KiB cap cut on real pages, and the values it holds."""
    rnd = random.Random(17)
    keywords = ", ".join(f"keyword {rnd.randrange(10**6)}" for _ in range(400))  # ~6 KiB
    path = " ".join(
        f"M{rnd.randrange(1000)}.{rnd.randrange(100)} {rnd.randrange(1000)}.5L"
        f"{rnd.randrange(1000)} {rnd.randrange(1000)}z"
        for _ in range(950)
    )  # ~21 KiB
    png = base64.b64encode(bytes(rnd.randrange(256) for _ in range(6_000))).decode("ascii")
    data_uri = f"data:image/png;base64,{png}"
    values = {"keywords": keywords, "d": path, "src": data_uri}
    html = (
        "<!doctype html><html><head>"
        f'<meta name="keywords" content="{keywords}">'
        '<meta name="generator" content="WordPress 6.4">'
        "</head><body>"
        f'<svg viewBox="0 0 100 100"><path fill="#000" d="{path}"/></svg>'
        f'<img alt="logo" src="{data_uri}" width="10">'
        '<p id="end">the end</p><script src="/wp-includes/js/jquery.js"></script>'
        "</body></html>"
    )
    return html, values


def test_long_values_of_a_real_shaped_page_reach_the_parser_whole() -> None:
    html, values = _real_shaped_page()
    assert len(values["keywords"]) > 6_000 and len(values["d"]) > 20_000
    assert parse_input(html) is html
    page = Page(url="https://blog.example/", html=html)
    assert page.meta_values["keywords"] == (values["keywords"],)
    assert page.meta_values["generator"] == ("WordPress 6.4",)
    assert page.tree.css_first("path").attributes["d"] == values["d"]
    assert page.tree.css_first("img").attributes["src"] == values["src"]
    assert page.tree.css_first("#end") is not None
    assert page.script_srcs == ("https://blog.example/wp-includes/js/jquery.js",)


def test_a_long_value_is_kept_on_a_tag_that_is_cut_for_its_attributes() -> None:
    long_value = "x" * 50_000
    tag = f'<div title="{long_value}" ' + " ".join(f"c{i}" for i in range(5_000)) + ">"
    cut = parse_input(f"<body>{tag}<p id=end>e</p></body>")
    div = LexborHTMLParser(cut).css_first("div")
    assert div.attributes["title"] == long_value
    assert len(div.attributes) == MAX_TAG_ATTRIBUTES
    assert len(cut) < len(long_value) + 1_000


_MANY = 20_000
_WIDE_SHAPES = {
    "separated": "<div " + " ".join(f"a{i}" for i in range(_MANY)) + ">",
    "after closing quotes": "<div " + "".join(f'a{i}=""' for i in range(_MANY)) + ">",
    "unquoted < in names": "<div " + " ".join(f"a{i}<1" for i in range(_MANY)) + ">",
    "unquoted < and a letter": "<div " + " ".join(f"a{i}<br" for i in range(_MANY)) + ">",
    "after a < and a quoted >": '<div x<1 y=">" ' + " ".join(f"a{i}" for i in range(_MANY)) + ">",
    "slashes": "<div " + "/".join(f"a{i}" for i in range(_MANY)) + ">",
}


def test_tags_of_many_attributes_are_still_cut_however_written() -> None:
    for name, tag in _WIDE_SHAPES.items():
        cut = parse_input(f"<html><body>{tag}x</div><p id=end>e</p></body></html>")
        tree = LexborHTMLParser(cut)
        div = tree.css_first("div")
        assert div is not None and len(div.attributes) == MAX_TAG_ATTRIBUTES, name
        assert tree.css_first("#end") is not None and len(cut) < 2_000, name


def test_an_end_tag_of_many_attributes_is_cut() -> None:
    """The tokenizer reads attributes on end tags too, and lexbor pays for them the same way
    (512,000 took 85 s), though the tree shows none of them."""
    html = "<div>x</div " + " ".join(f"a{i}" for i in range(_MANY)) + "><p id=end>e</p>"
    cut = parse_input(html)
    kept = " ".join(f"a{i}" for i in range(MAX_TAG_ATTRIBUTES))
    assert cut == f"<div>x</div {kept}><p id=end>e</p>"


def test_script_text_read_as_a_tag_hides_no_tag_after_the_script() -> None:
    """A ``<`` in script text looks like a tag whose quoted value would run past the script's
    end: the wide tag after the script is still cut, the script reaches the parser whole."""
    script = '<script>if(x<b c="' + "y " * 200 + "</script>"
    wide = "<div " + " ".join(f"a{i}" for i in range(_MANY)) + ' q="">'
    cut = parse_input(f"<html><body>{script}{wide}x</div></body></html>")
    tree = LexborHTMLParser(cut)
    assert len(tree.css_first("div").attributes) == MAX_TAG_ATTRIBUTES
    assert script in cut and len(cut) < 2_000


def test_script_text_read_as_a_tag_hides_no_quoted_angle_tag_after_the_script() -> None:
    script = '<script>if(x<b c="</script>'
    wide = '<div a=">" ' + " ".join(f"d{i}" for i in range(_MANY)) + ">"
    for html in (f"<body>{script}{wide}x</div></body>", f"<body>{script}é{wide}x</div></body>"):
        tree = LexborHTMLParser(parse_input(html))
        assert len(tree.css_first("div").attributes) == MAX_TAG_ATTRIBUTES


def test_a_tag_of_many_words_in_a_comment_keeps_the_comment_closed() -> None:
    html = "<!-- <b " + " ".join(f"w{i}" for i in range(500)) + " --><p id=end>e</p>"
    cut = parse_input(html)
    assert len(cut) < 1_000 and LexborHTMLParser(cut).css_first("#end") is not None


# --- tags under the bound reach the parser unchanged, as lexbor counts them -------------------

_WS = st.sampled_from([" ", "\n", "\t", "  ", "/", " / "])
_NAME_CHAR = st.sampled_from(list("abcdxyz-_:0123456789é<\"'=日"))


@st.composite
def _tag(draw: st.DrawFn) -> tuple[str, int]:
    """A start tag of up to MAX_TAG_ATTRIBUTES distinct attributes written in any of the
    tokenizer's ways (values quoted holding ``<`` and ``>``, unquoted, none; names holding
    ``<``, quotes and a leading ``=``; attributes right after a closing quote), long values
    included; and its attribute count."""
    count = draw(st.integers(0, MAX_TAG_ATTRIBUTES))
    out = ["<" + draw(st.sampled_from(["div", "meta", "path", "IMG", "x-y"]))]
    closed_quote = valueless = unquoted = False
    for i in range(count):
        sep = ""
        if not closed_quote or draw(st.booleans()):
            sep = draw(_WS) if i else " "
            if unquoted:
                sep = sep.replace("/", "") or " "  # ("a=u/b" is one value)
        out.append(sep)
        first = draw(st.sampled_from(["a", "b", "=", "é", "x"]))
        if first == "=" and valueless and "/" not in sep:
            first = "x"  # ("a =b" is a's value, not a name "=b")
        rest = draw(st.text(_NAME_CHAR, max_size=4)).replace("=", "")
        out.append(f"{first}{rest}.{i}.")  # (the number keeps names distinct)
        kind = draw(st.sampled_from(["none", "double", "single", "unquoted"]))
        eq = draw(st.sampled_from(["=", " = ", "=\n"]))
        text = draw(st.text(st.sampled_from(list("ab <>/=&;é日 ")), max_size=30))
        size = draw(st.sampled_from([0, 0, 300, 9_000]))
        closed_quote, valueless = kind in ("double", "single"), kind == "none"
        unquoted = kind == "unquoted"
        if kind == "double":
            out.append(f'{eq}"{text.replace(chr(34), "")}{"v" * size}"')
        elif kind == "single":
            out.append(f"{eq}'{text.replace(chr(39), '')}{'w' * size}'")
        elif kind == "unquoted":
            value = "".join(c for c in text if c not in " \t\n\f\r>") + "u" * size
            out.append(f"{eq}{value or 'u'}")
    out.append(draw(st.sampled_from([">", "/>", " >"])))
    return "".join(out), count


@given(st.lists(_tag(), min_size=1, max_size=4), st.sampled_from(["", "text ", "<p>x</p>"]))
@settings(max_examples=150, deadline=None)
def test_tags_under_the_attribute_bound_reach_the_parser_unchanged(
    tags: list[tuple[str, int]], between: str
) -> None:
    html = "<body>" + between.join(tag for tag, _ in tags) + "</body>"
    assert parse_input(html) == html
    # and the count the generator made is the parser's (the tags are read as written)
    parsed = LexborHTMLParser(html).body
    assert parsed is not None
    built = [n for n in parsed.traverse(include_text=False) if n.tag not in ("body", "p")]
    assert [len(node.attributes) for node in built] == [count for _, count in tags]


@given(_tag(), st.integers(1, 300))
@settings(max_examples=100, deadline=None)
def test_a_tag_over_the_bound_is_cut_to_it(tag: tuple[str, int], extra: int) -> None:
    text, count = tag
    wide = text.rstrip("/> ") + " " + " ".join(f"z{i}" for i in range(extra)) + ">"
    total = count + extra
    cut = parse_input(f"<body>{wide}</body>")
    node = LexborHTMLParser(cut).body.child
    assert node is not None and len(node.attributes) == min(total, MAX_TAG_ATTRIBUTES)
