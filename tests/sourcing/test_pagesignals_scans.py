"""The page-signal scans that run only at candidates give the answers of the plain
whole-document scans they replace (written out here from their documented definition)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.sourcing import pagesignals as ps

# The definitions: slugs as path segments inside an <a href>, a link whose whole text is a
# label, a "+" calling code not after a word, a UK postcode at a word boundary.
_SLUG = re.compile(
    "/(?:" + "|".join(f"(?P<{k}>{v})" for k, v in ps._SLUGS.items()) + r""")(?=[/.?#"'\s>]|$)""",
    re.I,
)
_IN_HREF = re.compile(r"""<a\s[^>]*href\s*=\s*["']?[^"'\s>]*$""", re.I)
_WORDS = re.compile(
    r">\s*(?:" + "|".join(f"(?P<{k}>{v})" for k, v in ps._LABELS.items()) + r")\s*</a>", re.I
)
_PHONE = re.compile(r"(?<![\w+])\+\s?(\d{1,3})[\s.\-/]?\(?\d")
_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")


def _reference_kinds(html: str) -> dict[str, bool]:
    kinds = dict.fromkeys(ps.PAGE_KINDS, False)
    for m in _SLUG.finditer(html):
        start = html.rfind("<", 0, m.start())
        if m.lastgroup and start >= 0 and _IN_HREF.match(html, start, m.start()):
            kinds[m.lastgroup] = True
    for m in _WORDS.finditer(html):
        if m.lastgroup:
            kinds[m.lastgroup] = True
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


@settings(max_examples=400, deadline=None)
@given(_MARKUP)
def test_key_page_links_equal_the_whole_document_scans(html: str) -> None:
    kinds = dict.fromkeys(ps.PAGE_KINDS, False)
    ps._linked_kinds(html, kinds)
    assert kinds == _reference_kinds(html)


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
        assert ps._UK_POSTCODE_TAIL.search(text)


def test_the_scans_find_what_they_look_for() -> None:
    """Not vacuous: each kind is found by path and by label, and nothing on a bare page."""
    by_path = '<a class="nav" href="https://x.example/pricing/">Our plans</a>'
    by_label = "<a href='#'>\n  We're hiring </a>"
    not_a_link = '<link href="/login"><p>/careers</p><a href="#">Log in now</a>'
    for html, want in [
        (by_path, {"pricing"}),
        (by_label, {"careers"}),
        (not_a_link, set()),
        (by_path + by_label + '<a href="/signin">x</a>', {"pricing", "careers", "login"}),
    ]:
        kinds = dict.fromkeys(ps.PAGE_KINDS, False)
        ps._linked_kinds(html, kinds)
        assert {k for k, v in kinds.items() if v} == want, html
