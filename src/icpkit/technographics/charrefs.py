"""HTML character references in the page source: which literals a reference could hide, and the
case-folded image the prefilter scans.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape
from html.entities import html5 as html5_entities

from icpkit.technographics.page import Page
from icpkit.technographics.patterns import (
    CASE_FOLD_TO_ASCII,
    prefilter_image,
)

SPELLED_OUT_MAX = 8  # affected literals checked with their reference spelled out

# the references most pages use for the characters HTML escapes, case-folded
USUAL_REFS = {
    "&": ("&amp;", "&#38;"),
    "<": ("&lt;", "&#60;"),
    ">": ("&gt;", "&#62;"),
    '"': ("&quot;", "&#34;"),
    "'": ("&#39;", "&#039;", "&apos;"),
}

# html.unescape's reference syntax, on the case-folded image
_CHARREF = re.compile(rb"&(#[0-9]+;?|#x[0-9a-f]+;?|[^\t\n\f <&#;]{1,32};?)")

# every entity name html.unescape knows, lower-cased (with and without the ``;``)
_ENTITY_NAMES_FOLDED = frozenset(name.lower() for name in html5_entities)


@lru_cache(maxsize=4096)
def _ascii_reference(token: bytes) -> str | None:
    """What ``&token`` decodes to, or ``None`` when it cannot be judged lower-cased (see
    :func:`_reference_chars`).

    ``html.unescape`` changes a named token only when the token, or a prefix of it of two
    characters or more, is an entity name; a token none of whose prefixes is a name in any
    letter case stays as it is (``&&(l=`` in inline scripts, on most real pages) and gives
    nothing. Numeric references decode the same in either case.
    """
    if not token.isascii():
        return None
    ref = "&" + token.decode("ascii")
    value = unescape(ref)
    if token.startswith(b"#") or (token.endswith(b";") and value != ref):
        return value
    name = ref[1:]
    if not any(name[:x] in _ENTITY_NAMES_FOLDED for x in range(2, len(name) + 1)):
        return ""
    return None


_FIND_LIMIT = 256  # "&" looked at one by one; past this many, one findall reads the rest
_DENSE_AT = 16  # at this "&", one findall reads the rest if they came this densely:
_DENSE_PAST = 256  # more often than one in this many bytes


def _reference_tokens(image: bytes) -> set[bytes]:
    """``set(_CHARREF.findall(image))``: a match holds no ``&`` but its first, so each one
    starts at an ``&`` and the matches are those at each ``&`` in turn. Found by
    ``bytes.find`` (memchr) and one anchored match per ``&``: a median 100 KiB page has ~80
    of them, and a regex search walks the whole page a byte at a time (~2x the time). Where
    they come more often than one in _DENSE_PAST bytes so far (at the _DENSE_AT-th: a
    median 8 KiB page of the 2008 WARC has 165, ``&nbsp;`` and query strings) or past
    _FIND_LIMIT of them (``&&`` in scripts), one findall reads the rest (counting them first
    costs a pass: ``bytes.count`` reads ~3 bytes a ns)."""
    tokens: set[bytes] = set()
    match = _CHARREF.match
    at = image.find(b"&")
    for i in range(_FIND_LIMIT):
        if at < 0:
            return tokens
        if i == _DENSE_AT and at < _DENSE_AT * _DENSE_PAST:
            break
        m = match(image, at)
        if m is not None:
            tokens.add(m.group(1))
        at = image.find(b"&", at + 1)
    if at >= 0:
        tokens.update(_CHARREF.findall(image, at))
    return tokens


def reference_chars(image: bytes) -> dict[str, list[str]] | None:
    """ASCII characters the page's character references decode to, each with the references
    (case-folded, as they appear in the folded HTML) that give it; ``None`` when a reference
    cannot be judged that way (a name, or a prefix of it, that is an entity name in some
    letter case but not a known reference as read; or non-ASCII characters).

    The references are read lower-cased: no entity that decodes to ASCII has a lower-case
    spelling that is a different entity (a test checks the HTML5 table), and the upper-case
    ones that differ (``&Tab;``) are unknown in lower case, which gives up.
    """
    out: dict[str, list[str]] = {}
    for token in _reference_tokens(image):
        decoded = _ascii_reference(token)
        if decoded is None:
            return None
        for ch in decoded:
            ch = CASE_FOLD_TO_ASCII.get(ch, ch)  # (folded, as the literals are: İ is i)
            if ch.isascii():
                out.setdefault(ch.lower(), []).append("&" + token.decode("ascii"))
    return out


def folded_html(page: Page) -> str:
    """The case-folded HTML, computed once per page (shared by html and dom prefilters):
    :attr:`Page.html_image` read as Latin-1, one character per byte."""
    cached = page.__dict__.get("_icpkit_folded_html")
    if cached is None:
        cached = page.__dict__["_icpkit_folded_html"] = page.html_image.decode("latin-1")
    return cached


def folded_image(page: Page) -> bytes:
    """The image of :func:`folded_html` (:attr:`Page.html_image`, built from the page's
    UTF-8 bytes)."""
    return page.html_image


# a character reference as html.unescape reads it (group 1: what follows the "&")
_UNESCAPE_REF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@lru_cache(maxsize=8192)
def _decoded_reference(token: str) -> str:
    return unescape("&" + token)


def unescape_page(text: str) -> str:
    """``html.unescape(text)``, 2-2.5x faster on real pages: what a reference decodes to
    depends on the reference alone, so each distinct one is decoded once (pages repeat a
    few, ``&amp;`` above all) and the pieces are joined, instead of a Python call per
    reference in ``re.sub``. A test compares the two on generated text."""
    if "&" not in text:
        return text
    pieces = _UNESCAPE_REF.split(text)
    pieces[1::2] = [_decoded_reference(token) for token in pieces[1::2]]
    return "".join(pieces)


# :data:`_UNESCAPE_REF` on the image: the same extent at each "&" (the characters it stops at
# are ASCII and not letters; the image keeps them, lower-cases letters, folds the specials to
# i, s, k and every other character to 0xff, which its class takes as the str's class does)
_UNESCAPE_REF_IN_IMAGE = re.compile(rb"&(#[0-9]+;?|#x[0-9a-f]+;?|[^\t\n\f <&#;]{1,32};?)")


@lru_cache(maxsize=8192)
def _decoded_reference_image(token: str) -> bytes:
    """The image (``prefilter_image(…).lower()``) of what ``&token`` decodes to."""
    return prefilter_image(_decoded_reference(token)).lower()


def decoded_image(html: str, image: bytes) -> bytes:
    """``prefilter_image(unescape_page(html)).lower()``, from ``html``'s own image: the
    image of a text is its characters' images in turn, so the page's image is kept between
    references and each reference (read in ``html``, letter case and all) gives the image
    of what it decodes to. Neither the decoded text nor its image is built from scratch:
    ~0.1 ms against ~5 ms on a 1.4 MiB page of a hundred references. A test compares."""
    pieces: list[bytes] = []
    last = 0
    match = _UNESCAPE_REF_IN_IMAGE.match
    at = image.find(b"&")
    while at >= 0:
        # (~1.2 µs a reference here, ~3.9 µs a KiB decoded whole: where the references so
        # far come more often than one in _WHOLE_PAST bytes, the page is decoded whole)
        if len(pieces) % 128 == 126 and len(pieces) * _WHOLE_PAST > 2 * at:
            return _decoded_image_whole(html)
        m = match(image, at)
        if m is None:
            at = image.find(b"&", at + 1)
            continue
        end = m.end()
        pieces.append(image[last:at])
        pieces.append(_decoded_reference_image(html[at + 1 : end]))
        last = end
        at = image.find(b"&", end)
    if not pieces:
        return image
    pieces.append(image[last:])
    return b"".join(pieces)


_WHOLE_PAST = 320  # bytes per reference below which decoding the page whole costs less


def _decoded_image_whole(html: str) -> bytes:
    """:func:`decoded_image` for a page of many references (an entity flood): the page
    decoded whole (:func:`unescape_page`, one split at C speed) and folded once, which
    costs less there than a Python step per reference."""
    return prefilter_image(unescape_page(html)).lower()


def decoded_html(page: Page) -> tuple[str, bytes]:
    """The HTML with character references decoded, case-folded, and its image; once."""
    cached = page.__dict__.get("_icpkit_decoded_html")
    if cached is None:
        image = decoded_image(page.html, page.html_image)
        cached = page.__dict__["_icpkit_decoded_html"] = (image.decode("latin-1"), image)
    return cached


__all__ = []
