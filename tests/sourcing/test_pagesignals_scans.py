"""Page signals: the key-page links read from the parsed tree equal their definition applied to
the links the page was written with; the text scans equal their plain definitions."""

from __future__ import annotations

import re
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.sourcing import pagesignals as ps
from icpkit.technographics.page import Page

# The definitions: a slug as a path segment of an <a href> (ASCII letters in any case), a link
# whose whole text, whitespace collapsed, is a label; a "+" calling code not after a word, a UK
# postcode at a word boundary.
_SLUG = re.compile(
    "/(?:" + "|".join(f"(?P<{k}>{v})" for k, v in ps._SLUGS.items()) + r""")(?=[/.?#"'\s>]|$)""",
    re.I | re.A,
)
_PHONE = re.compile(r"(?<![\w+])\+\s?(\d{1,3})[\s.\-/]?\(?\d")
_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")


def _reference_kinds(links: list[tuple[str, str]]) -> dict[str, bool]:
    kinds = dict.fromkeys(ps.PAGE_KINDS, False)
    for href, text in links:
        for m in _SLUG.finditer(href):
            if m.lastgroup:
                kinds[m.lastgroup] = True
        words = " ".join(text.split())
        if words.isascii():
            for kind, labels in ps._LABELS.items():
                kinds[kind] |= words.lower() in labels
    return kinds


def _kinds(html: str) -> dict[str, bool]:
    kinds = dict.fromkeys(ps.PAGE_KINDS, False)
    ps._read_links(Page(url="https://x.example/", html=html).tree, kinds)
    return kinds


# Markup made of the pieces that matter: tags with and without href, slugs, labels, the
# characters the scans pivot on, odd whitespace and case, non-ASCII letters.
_PIECES = st.sampled_from(
    [
        "<a ", "<A\thref=", "<a class=x href=", "<link href=", "<a data-href='", 'href="',
        "href = ", "/pricing", "/Preise", "/careers/", "/jobs?x", "/log-in", "/SignIn.",
        "/account/login", "/plans#", "/karriere ", "/tarif", "/emplois", "/vacancies",
        ">", "<", "</a>", "</A>", "</b>", " ", "\n", "\u00a0", "\u2003", '"', "'", "x", "é",
        "Pricing", "plans &amp; pricing", "Plans & Pricing", "We're hiring", "JOIN US",
        "log in", "Sign in", "connexion", "anmelden", "Jobs", "Preise", "K", "ſ",
        "tel:", "+", "+44", "+1 ", "+49 30", "a+33 1", "(0)", "9", "12", "SW1A 1AA",
        "EC1A", " 1BB", "M1 1AE", "xB2 3DE", "-",
    ]
)  # fmt: skip
_MARKUP = st.lists(_PIECES, max_size=40).map("".join)


# Markup that is no link: what it says must never count.
_NOT_LINKS = (
    "<script>var a = '<a href=\"/pricing\">Pricing</a>';</script>"
    "<!-- <a href='/login'>Log in</a> --><link href='/careers/'><p>/jobs Sign in</p>"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_MARKUP, _MARKUP), max_size=6), _MARKUP)
def test_key_page_links_equal_the_definition_on_the_links_written(
    links: list[tuple[str, str]], between: str
) -> None:
    """Links written with any href and text (escaped as a page would), among other markup: what
    the walk over the parsed tree finds is the definition applied to those hrefs and texts."""
    body = "".join(
        f'<a class="n" href="{escape(href)}">{escape(text)}</a>{escape(between)}'
        for href, text in links
    )
    assert _kinds(f"<html><body>{_NOT_LINKS}{body}</body></html>") == _reference_kinds(links)


@settings(max_examples=400, deadline=None)
@given(_MARKUP)
def test_phone_and_postcode_patterns_equal_their_definitions(text: str) -> None:
    assert [m.group(0) for m in ps._PHONE.finditer(text)] == [
        m.group(0) for m in _PHONE.finditer(text)
    ]
    assert [m.span() for m in ps._UK_POSTCODE.finditer(text)] == [
        m.span() for m in _UK.finditer(text)
    ]
    if _UK.search(text):  # the gate never hides a postcode
        assert ps._UK_POSTCODE_GATE.search(text)


def test_the_scans_find_what_they_look_for() -> None:
    """Not vacuous: each kind is found by path and by label (nested markup and entities
    included), and nothing on a page whose only mentions are no links."""
    by_path = '<a class="nav" href="https://x.example/pricing/">Our plans</a>'
    by_label = "<a href='#'>\n  We&#39;re <b>hiring</b> </a>"
    for html, want in [
        (by_path, {"pricing"}),
        (by_label, {"careers"}),
        (_NOT_LINKS + '<a href="#">Log in now</a><a href="/loginx">x</a>', set()),
        (by_path + by_label + '<a href="/signin">x</a>', {"pricing", "careers", "login"}),
        ('<a href="/x"><span>Plans &amp; Pricing</span></a>', {"pricing"}),
    ]:
        kinds = _kinds(f"<html><body>{html}</body></html>")
        assert {k for k, v in kinds.items() if v} == want, html


def test_hreflang_regions_and_tel_links_come_from_the_same_walk() -> None:
    html = (
        '<html><head><link rel="alternate" hreflang="en-GB" href="/uk">'
        '<link rel="alternate" hreflang="de" href="/de"><link hreflang="en-gb" href="/x">'
        '</head><body><a href="tel:+49 30 123">call</a><a href="TEL:+1">no</a></body></html>'
    )
    regions, phones = ps._read_links(Page(url="https://x.example/", html=html).tree, {})
    assert regions == ["gb"] and phones == ["+49 30 123"]


def test_a_label_is_read_from_the_text_as_collapsed_however_it_was_written() -> None:
    """A label among whitespace that is not ASCII (a no-break space) or among long runs of it
    (indented templates put 60 characters around a word) is still the label; letters that
    are not ASCII but fold to ASCII ones (Kelvin sign, long s) are not."""
    indent = "\n" + " " * 40
    for text, want in [
        ("\u00a0Pricing", {"pricing"}),
        (f"{indent}Sign{indent}in{indent}", {"login"}),
        (f"{indent}<span>We&#39;re</span>{indent}hiring{indent}", {"careers"}),
        ("\u212aarriere", set()),
        ("\u017fign in", set()),
        ("Pricing\u00e9", set()),
    ]:
        kinds = _kinds(f'<html><body><a href="#">{text}</a></body></html>')
        assert {k for k, v in kinds.items() if v} == want, text


def test_an_href_slug_matches_in_any_ascii_case_and_only_in_ascii() -> None:
    for href, want in [
        ("https://x.example/PRICING", {"pricing"}),
        ("/en/Karriere/", {"careers"}),
        ("/Account/LogIn?next=/", {"login"}),
        ("/\u212aarriere/", set()),  # the Kelvin sign folds to "k" under Unicode rules
        ("/\u017fignin", set()),  # and the long s to "s"
        ("/assets/pricingx", set()),  # not a whole segment
        ("/a/b/c/d/e/f/g", set()),  # slashes that lead nowhere
    ]:
        kinds = _kinds(f'<html><body><a href="{escape(href)}">x</a></body></html>')
        assert {k for k, v in kinds.items() if v} == want, href
