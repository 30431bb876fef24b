"""The page's tree is parsed without lexbor's mutation events: the same tree for what the
stages read (serialisation, selectors, text, attributes), without the work nobody reads."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.technographics import Page
from icpkit.technographics.page import parse_input, parse_tree

_PARTS = [
    "<div style='color: red; width: 10px'>",
    '<p style="font: bold 12px/1.2 Arial, sans-serif !important">',
    "<span style=''>",
    "<a id=x class='a b' href='/p?q=1'>",
    "</a>",
    "</div>",
    "</p>",
    "<select><option selected>one</option><option>two</option></select>",
    "<template><b style='x:y'>t</b></template>",
    "<noscript><img src=p.gif style='display:none'></noscript>",
    "<script>var s = '<b>';</script>",
    "<style>.a { color: red }</style>",
    "<svg style='fill:red'><path d='M0 0'/></svg>",
    "<table><tr><td style='x'>",
    "<input value=v style=margin:0>",
    "<meta name=generator content=WordPress>",
    "<form><button>b</button></form>",
    "text ",
    "&amp; &nbsp;",
    "<!-- c -->",
    "<html><head><title>t</title></head><body>",
]
_SELECTORS = [
    "*",
    "[style]",
    "[style*='red']",
    "div",
    "#x",
    ".a",
    "a[href*='p']",
    "option",
    "select option[selected]",
    "template",
    "meta[name='generator']",
    "td",
    "svg path",
]


def _view(tree: LexborHTMLParser) -> list[object]:
    """What the detection stages read of a tree."""
    root = tree.body or tree.root
    out: list[object] = [tree.html, root.text(separator=" ") if root is not None else None]
    for sel in _SELECTORS:
        out.append([(n.html, n.attributes, n.text()) for n in tree.css(sel)])
    out.append([n.attributes for n in tree.tags("meta")])
    out.append([n.text() for n in tree.tags("script")])
    return out


@given(st.lists(st.sampled_from(_PARTS), max_size=25))
@settings(max_examples=300, deadline=None)
def test_the_tree_without_events_is_the_tree_with_them(parts: list[str]) -> None:
    html = "".join(parts)
    page = Page(url="https://a.example/", html=html)
    expected = LexborHTMLParser(parse_input(html) or "<html></html>")
    assert _view(page.tree) == _view(expected)
    assert _view(parse_tree(html.encode("utf-8"))) == _view(LexborHTMLParser(html.encode()))


def test_a_selectedcontent_keeps_what_the_source_holds() -> None:
    """The one visible effect of the events: a ``<selectedcontent>`` is not given a copy of
    the selected option (no fingerprint reads it; the source is what the page sent)."""
    html = "<select><selectedcontent></selectedcontent><option>picked</option></select>"
    with_events = LexborHTMLParser(html).css_first("selectedcontent")
    assert with_events is not None and with_events.text() == "picked"
    node = Page(url="https://a.example/", html=html).tree.css_first("selectedcontent")
    assert node is not None and node.text() == ""
