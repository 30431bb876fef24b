"""What was collected about one web page, and the signals derived from it.

The caller (the fetcher, a test, a crawler) fills in what it has; everything else is derived
lazily from the HTML with a real HTML5 parser (selectolax/lexbor): script URLs, inline scripts,
``<meta>`` values, visible text and the DOM for ``dom`` selectors. Inputs are capped the way the
reference caps them, so one huge page cannot stall a batch (see :data:`HTML_MAX_CHARS`).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, AnyStr
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser, LexborNode

__all__ = [
    "CSS_MAX_CHARS",
    "HTML_MAX_CHARS",
    "SCRIPT_MAX_CHARS",
    "Page",
    "html_image",
    "parse_document",
]

HTML_MAX_CHARS = 3_000_000
"""Characters kept from each end of the HTML (the reference keeps 1,500 rows × 2,000 columns
from each end; we keep the same budget without splitting rows, which would break matches)."""
CSS_MAX_CHARS = 1_000_000
"""Characters kept of the CSS (the reference caps each stylesheet at 1,000,000)."""
SCRIPT_MAX_CHARS = 1_000_000
"""Characters kept of each script body (same cap as CSS, applied to inline and fetched JS)."""

_TEXT_DROP = ["script", "style", "noscript", "template"]

# URLs that urljoin returns unchanged (absolute) or prefixes with the base's origin (rooted):
# no dot segments, no empty query/fragment/params, nothing urlsplit strips or validates.
_NETLOC = r"[A-Za-z0-9._~!$&'()*+,=:@%-]+"
_REST = r"(?:/[^?#;\x00-\x20\x7f]*)?(?:\?[^#;\x00-\x20\x7f]+)?(?:#[^;\x00-\x20\x7f]+)?"
_SIMPLE_ABSOLUTE = re.compile(rf"https?://{_NETLOC}{_REST}")
_SIMPLE_SCHEMELESS = re.compile(rf"//{_NETLOC}{_REST}")
_SIMPLE_ROOTED = re.compile(_REST)  # called only on "/…" not starting with "//"


class _Joiner:
    """``urljoin(base, src)`` with shortcuts for the common simple forms (urljoin costs ~20 µs).

    A test checks the shortcuts against :func:`urllib.parse.urljoin` on generated URLs.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.origin: str | None = None
        self.scheme = ""
        if base.startswith(("http://", "https://")):
            parts = urlsplit(base)
            if parts.netloc and _SIMPLE_ABSOLUTE.fullmatch(f"{parts.scheme}://{parts.netloc}"):
                self.scheme = parts.scheme
                self.origin = f"{parts.scheme}://{parts.netloc}"

    def __call__(self, src: str) -> str:
        if not self.base:
            return src
        if self.origin is not None and "/." not in src:
            if src[:1] == "/":
                if src[1:2] == "/":
                    if _SIMPLE_SCHEMELESS.fullmatch(src):
                        return f"{self.scheme}:{src}"
                elif _SIMPLE_ROOTED.fullmatch(src):
                    return self.origin + src
            elif _SIMPLE_ABSOLUTE.fullmatch(src):
                return src
        return urljoin(self.base, src)


# Every character str.isspace() accepts (what str.split() and re's \\s split on), found among
# the Unicode whitespace candidates; a test checks it against all code points
_WHITESPACE = "".join(
    c
    for c in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    if c.isspace()
)
_TO_SPACE = str.maketrans(dict.fromkeys(_WHITESPACE, " "))
_SPACES = re.compile("  +")


def collapse_whitespace(text: str) -> str:
    """``" ".join(text.split())``, 2-3x faster on long ASCII text (no list of every word);
    on other text ``translate`` goes character by character (6x slower), so split it is."""
    if not text.isascii():
        return " ".join(text.split())
    return _SPACES.sub(" ", text.translate(_TO_SPACE)).strip(" ")


MAX_OPEN_TAGS = 2_000
"""Unclosed start tags the parser is given at most. lexbor's parse time grows with the square
of the nesting depth (``"<div>" * 64000`` took 10 s); real pages stay far below this."""
MAX_TAG_ATTRIBUTES = 64
"""Attributes of one tag (start or end tag, as the tokenizer reads them) the parser is given at
most, for tags of 256 characters or more (shorter ones cannot hold more than ~128). lexbor's
duplicate-attribute check is quadratic in a tag's count of distinct attribute names (100k
took 57 s; 8,000 on an end tag 2.7 ms, 512,000 on one 85 s); real tags carry a few. Nothing
else about one tag is super-linear in lexbor (measured 1x/4x/16x: one long quoted or
unquoted value, long names, many duplicate names, values full of character references,
thousands of long tags), so a tag's length alone is never cut: a 27 KiB svg ``path d``, a
data-URI image or a 13 KiB ``<meta content>`` reach the parser whole."""

_OPEN_OR_CLOSE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# void elements never open, and these close themselves when a sibling opens
_NOT_NESTING = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "option",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
    ]
)
# where a tag that may be long starts: "<" or "</" and a letter, no ">" in the next 257
_LONG_TAG_START = re.compile(r"<(?=/?[A-Za-z])(?=[^>]{257})")


# --- where the parser's tokenizer reads script/style text (HTML tokenizer rules) -------------
_WS = r"\t\n\f\r "
# the rest of a tag after "<name": attribute values quoted only after "=" (as the tokenizer
# reads them), an unterminated quote running to the end; possessive, so linear in the page
_ATTRS = rf"""(?:[^>"'=]++|=[{_WS}]*+"[^"]*+"?|=[{_WS}]*+'[^']*+'?|[="'])*+>?"""
_TAG_REST = re.compile(_ATTRS)
# a tag's name and its attributes as the tokenizer reads them (before-attribute-name state):
# separators (whitespace, "/"), a name (its first character may be "="), an optional value;
# a new attribute starts right after a closing quote, with no separator ("a=''b=''")
_TAG_NAME = re.compile(rf"</?[A-Za-z][^{_WS}/>]*+")
_ATTRIBUTE = re.compile(
    rf"""[{_WS}/]*+[^{_WS}/>][^{_WS}/>=]*+"""
    rf"""(?:[{_WS}]*+=[{_WS}]*+(?:"[^"]*+"?|'[^']*+'?|[^{_WS}>]*+))?"""
)
# a whole start or end tag by that grammar, up to its ">" (or the end of the page)
_TAG_EXTENT = re.compile(rf"{_TAG_NAME.pattern}(?:{_ATTRIBUTE.pattern})*+[{_WS}/]*+")
_TAG_EXTENT_IN_IMAGE = re.compile(_TAG_EXTENT.pattern.encode("ascii"))
_RAW_ELEMENTS = "script|style|textarea|title|xmp|iframe|noembed|noframes|plaintext"
# data-state text and tags the scan need not stop at (C speed): it stops at a comment, at an
# element whose text is not tokenized as tags, at foreign content (svg/math) and at frameset
_DATA_RUN = re.compile(
    rf"""(?:[^<]++|<(?!!--|(?ai:{_RAW_ELEMENTS}|svg|math|frameset)[{_WS}/>])"""
    rf"""(?:/?[A-Za-z]{_ATTRS}|[!?/][^>]*+>?)?)*+"""
)
_STOP_NAME = re.compile(rf"<((?ai:{_RAW_ELEMENTS}|svg|math|frameset))[{_WS}/>]")
_COMMENT_END = re.compile(r"--!?>")
# Inside svg/math the tree builder treats script and style as ordinary elements, but some tags
# leave foreign content: the "breakout" start tags (and </br>, </p>) end it; integration points
# (HTML inside svg/math) other than plain text (<title>Menu</title>), <font> and end tags of
# HTML elements (which may close an ancestor) are followed no further.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BREAKOUT = _words(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img"
    " li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul"
    " var"
)
_INTEGRATION = _words("foreignobject desc title mi mo mn ms mtext annotation-xml")
_FOREIGN_NAMES = _words(
    "svg math g path defs symbol use rect circle ellipse line polyline polygon text tspan"
    " textpath lineargradient radialgradient stop clippath mask pattern filter image marker"
    " metadata switch view style script animate animatemotion animatetransform set mpath"
    " fedropshadow feblend fecolormatrix fecomponenttransfer fecomposite feconvolvematrix"
    " fediffuselighting fedisplacementmap fedistantlight feflood fefunca fefuncb fefuncg"
    " fefuncr fegaussianblur feimage femerge femergenode femorphology feoffset fepointlight"
    " fespecularlighting fespotlight fetile feturbulence semantics annotation mrow mi mo mn"
    " ms mtext mfrac msqrt mroot msub msup msubsup munder mover munderover mtable mtr mtd"
    " mspace mpadded mphantom menclose mstyle merror mmultiscripts mprescripts none"
    " maligngroup malignmark mlabeledtr mglyph"
)
_FOREIGN_TOKEN = re.compile(rf"<(?:!--|!\[CDATA\[|(/?)([A-Za-z][^{_WS}/>]*))")
_INTEGRATION_CLOSE = re.compile(rf"</([A-Za-z-]+)[{_WS}]*>")
_SCRIPT_TOKEN = re.compile(rf"<!--|-->|<(/?)(?ai:script)[{_WS}/>]")
_SCRIPT_CLOSE = re.compile(rf"</(?ai:script)[{_WS}/>]")


def _close_tag(name: str) -> re.Pattern[str]:
    # (ASCII letter case only, as the tokenizer reads names; past the literal "</", which re
    # looks for a byte at a time: re.I alone would take "</ſcript>" for "</script>")
    return re.compile(rf"</(?ai:{name})[{_WS}/>]")


_CLOSE = {name: _close_tag(name) for name in _RAW_ELEMENTS.split("|")}


def _comment_end(html: str, at: int) -> int:
    """End of the comment opened by ``<!--`` at ``at`` (``<!-->`` and ``<!--->`` included)."""
    if html.startswith(">", at + 4):
        return at + 5
    if html.startswith("->", at + 4):
        return at + 6
    m = _COMMENT_END.search(html, at + 4)
    return m.end() if m else len(html)


def _script_end(html: str, at: int, image: bytes | None = None) -> int:
    """Where the script text starting at ``at`` ends: the first ``</script`` outside the
    tokenizer's double-escaped state (``<!-- … <script> … </script> … -->`` inside a script
    does not end it). Only a ``<!--`` leaves the plain state, so a script without one
    before its first ``</script`` ends there (one search from a literal ``</``); the others
    are read by :func:`_escaped_script_end`. With the page's :func:`html_image`, both are
    looked for in its bytes (``</script`` then checked in the str, as the image folds ``ſ``
    to ``s``): a search of a long script's str of wide characters costs ~1 ns a character."""
    if image is None:
        close = _SCRIPT_CLOSE.search(html, at)
        stop = len(html) if close is None else close.start()
        if html.find("<!--", at, stop) < 0:
            return stop
        return _escaped_script_end(html, at)
    stop = image.find(b"</script", at)
    while stop >= 0 and _SCRIPT_CLOSE.match(html, stop) is None:
        stop = image.find(b"</script", stop + 1)
    stop = len(html) if stop < 0 else stop
    if image.find(b"<!--", at, stop) < 0:
        return stop
    return _escaped_script_end(html, at)


def _escaped_script_end(html: str, at: int) -> int:
    """:func:`_script_end` by the tokenizer's script states, token by token."""
    state = 0  # 0 script data, 1 escaped (after <!--), 2 double escaped (then <script)
    pos = at
    while (m := _SCRIPT_TOKEN.search(html, pos)) is not None:
        tok = m.group()
        if tok == "<!--":
            state = 1 if state == 0 else state
            pos = m.start() + 2  # its dashes may be those of a following "-->"
            continue
        pos = m.end()
        if tok == "-->":
            state = 0
        elif m.group(1):  # </script
            if state < 2:
                return m.start()
            state = 1
        elif state == 1:  # <script inside an escaped script
            state = 2
            pos = m.end() - 1
    return len(html)


def _foreign_end(html: str, at: int, name: str) -> int:
    """Where the svg or math element (``name``) whose opening tag ends at ``at`` ends, as the
    tree builder reads it: at its balancing closing tag or at a breakout tag; ``-1`` at a shape
    it does not follow (see :data:`_BREAKOUT`). Comments and CDATA are skipped; counting a
    self-closed inner svg/math as open errs towards a longer region, where no text is taken
    for script text (the safe side)."""
    depth = 1
    pos = at
    while (m := _FOREIGN_TOKEN.search(html, pos)) is not None:
        tok = m.group()
        if tok == "<!--":
            pos = _comment_end(html, m.start())
            continue
        if tok.startswith("<!["):
            end = html.find("]]>", m.end())
            pos = len(html) if end < 0 else end + 3
            continue
        closing, tag = m.group(1), m.group(2).lower()
        if closing:
            if tag in ("br", "p"):
                return m.start()
            if tag not in _FOREIGN_NAMES or tag == "a":
                return -1
        elif tag in _BREAKOUT:
            return m.start()
        elif tag == "font":
            return -1
        rest = _TAG_REST.match(html, m.end())
        assert rest is not None
        pos = rest.end()
        if not closing and tag in _INTEGRATION:  # HTML inside: followed only if plain text
            close = html.find("<", pos)
            closer = _INTEGRATION_CLOSE.match(html, close) if close >= 0 else None
            if closer is None or closer.group(1).lower() != tag:
                return -1
            pos = closer.end()
            continue
        if tag == name:
            self_closed = html.endswith("/>", rest.start(), rest.end())  # (no copy of it)
            depth += -1 if closing else 0 if self_closed else 1
            if depth == 0:
                return pos
    return len(html)


# where a data run may stop, in the image (lower-cased: the names' letter case is the str's
# to check, as are the characters the image folds to ASCII letters)
_STOP_IN_IMAGE = re.compile(
    rb"<(?:!--|(?:" + _RAW_ELEMENTS.encode("ascii") + rb"|svg|math|frameset)[\t\n\f\r />])"
)
_MARKUP_OPEN = re.compile(r"<[A-Za-z!?/]")  # a "<" the tokenizer reads on from, to a ">"
_QuotedSearch = Callable[[int], "re.Match[bytes] | None"]


def _data_run_end(html: str, image: bytes, pos: int, search: _QuotedSearch) -> int:
    """``_DATA_RUN.match(html, pos).end()`` for ``pos`` in the tokenizer's data state, read
    from the page's :func:`html_image` and its quoted-angle ``search`` (:func:`_image_search`)
    without reading each tag: the ~70 stops of a real page are looked at, not its ~2,000 tags.

    Up to the next quoted ``<`` or ``>`` (a value quoted after ``=``), every tag runs to its
    first ``>``: a stop found in the image (``<!--``, ``<script`` …) is where the data run
    stops when no ``<`` that the tokenizer reads on from (a tag, an end tag, ``<!``, ``<?``)
    lies between the last ``>`` before it and it (else it is inside that tag), and the str
    holds the stop there (the image folds ``ſ`` to ``s``). A quoted angle's ``=`` is in text
    when no such ``<`` precedes it since the last ``>`` (then it changes nothing), else in
    the tag that first such ``<`` opens: that tag alone is read as :data:`_DATA_RUN` reads it,
    and the run goes on from its end. The positions asked about only grow, so the last ``>``
    and the first such ``<`` after it are found once (:class:`_OpenTag`): linear however many
    stops or quoted angles lie in one tag or one stretch of text. Past _QUOTED_BEFORE_EXACT
    of them in one run (a Python step each), the rest of the run is read tag by tag."""
    n = len(html)
    at = base = pos  # stops are looked for from at; base: the last data-state position
    opens = _OpenTag(html, image, pos)
    quoted = search(pos)
    stop, s = None, -1
    for _ in range(_QUOTED_BEFORE_EXACT):
        if s < at:  # (the next stop is looked for again only once at has passed it)
            stop = _STOP_IN_IMAGE.search(image, at)
            s = n if stop is None else stop.start()
        if quoted is not None and quoted.start() < s:
            q = quoted.start()
            f = opens.before(q)
            if f < 0:  # the "=" is in text
                quoted = search(q + 1)
                continue
            if html.startswith("<!--", f) or _STOP_NAME.match(html, f) is not None:
                return f  # (cannot happen: a stop before q was looked at already)
            at = base = _markup_end(html, f)
            opens = _OpenTag(html, image, at)
            quoted = search(at)
            continue
        if stop is None:
            return n
        if opens.before(s) < 0 and (
            html.startswith("<!--", s) or _STOP_NAME.match(html, s) is not None
        ):
            return s
        at = s + 1
    # quoted angles (or stops inside tags) this dense: read tag by tag from base, at C speed
    m = _DATA_RUN.match(html, base)
    return base if m is None else m.end()


_QUOTED_BEFORE_EXACT = 256  # quoted angles and stops looked at before reading tag by tag


class _OpenTag:
    """For growing positions ``x`` after a data-state ``base``: the first ``<`` the tokenizer
    reads on from (:data:`_MARKUP_OPEN`) between the last ``>`` before ``x`` and ``x``, or
    ``-1``; each byte is read once in all (the last ``>`` is looked for only past the last
    position asked, the ``<`` only until found)."""

    def __init__(self, html: str, image: bytes, base: int) -> None:
        self.html, self.image = html, image
        self.asked = base  # the last position asked (the ">" before it are known)
        self.open_from = base  # where a "<" is looked for next (past the last ">")
        self.first_open = -1

    def before(self, x: int) -> int:
        gt = self.image.rfind(b">", self.asked, x)
        if gt >= 0:  # a new last ">": what came before it is closed
            self.open_from, self.first_open = gt + 1, -1
        self.asked = max(self.asked, x)
        if self.first_open < 0 and self.open_from < x:
            m = _MARKUP_OPEN.search(self.html, self.open_from, x)
            if m is None:
                self.open_from = max(self.open_from, x - 1)  # ("<" at x - 1: its next one unseen)
            else:
                self.first_open = m.start()
        return self.first_open


def _markup_end(html: str, at: int) -> int:
    """Where the tag, end tag, ``<!…>`` or ``<?…>`` opened by the ``<`` at ``at`` ends, as
    :data:`_DATA_RUN` reads it (attribute values quoted after ``=`` in tags; to the first
    ``>`` in the others)."""
    letter = at + 2 if html.startswith("/", at + 1) else at + 1
    if html[letter : letter + 1].isascii() and html[letter : letter + 1].isalpha():
        rest = _TAG_REST.match(html, letter + 1)
        assert rest is not None
        return rest.end()
    gt = html.find(">", at + 2)
    return len(html) if gt < 0 else gt + 1


def raw_text_spans(html: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each ``<script>``/``<style>`` text as an HTML5 tokenizer reads it:
    after the opening tag (attribute quoting respected) up to the matching closing tag, never
    inside a comment, another raw-text element (textarea, title …) or svg/math content (where
    script and style are ordinary elements). A ``<`` in such text opens no tag.

    Errs only one way: text the tokenizer reads as tags is never reported (after a
    ``<frameset>``, where the tree builder ignores scripts, nothing is), so hostile-tag limits
    that skip these spans still bound what the parser tokenizes.
    """
    return list(_iter_raw_text_spans(html))


def _iter_raw_text_spans(
    html: str, image: bytes | None = None, search: _QuotedSearch | None = None
) -> Iterator[tuple[int, int]]:
    """:func:`raw_text_spans` in page order, found as they are asked for; from the page's
    :func:`html_image` and its quoted-angle ``search`` when given (:func:`_data_run_end`)."""
    pos, n = 0, len(html)
    while pos < n:
        if image is not None and search is not None:
            pos = _data_run_end(html, image, pos, search)
        else:
            m = _DATA_RUN.match(html, pos)
            pos = m.end() if m is not None else pos
        if pos >= n:
            break
        if html.startswith("<!--", pos):
            pos = _comment_end(html, pos)
            continue
        stop = _STOP_NAME.match(html, pos)
        if stop is None:  # cannot happen (the run stops only at these); step on regardless
            pos += 1
            continue
        name = stop.group(1).lower()
        if name == "frameset":
            break
        tag = _TAG_REST.match(html, stop.end(1))
        assert tag is not None
        pos = tag.end()
        if not html.endswith(">", tag.start(), tag.end()):  # (a long tag is not copied)
            break  # the tag runs to the end of the page
        if name in ("svg", "math"):
            if html.endswith("/>", tag.start(), tag.end()):
                continue
            pos = _foreign_end(html, tag.end(), name)
            if pos < 0:
                break  # a shape the scan does not follow: no script text reported after it
            continue
        if name == "plaintext":
            break
        if name == "script":
            end = _script_end(html, pos, image)
        else:
            close = _CLOSE[name].search(html, pos)
            end = close.start() if close else n
        if name in ("script", "style"):
            yield pos, end
        pos = end


# each attribute of a tag starts after one of these (a separator, or a value's closing quote)
_MAY_START_ATTRIBUTE = b"\t\n\f\r /\"'"
_NOT_STARTING = bytes(sorted(set(range(256)) - set(_MAY_START_ATTRIBUTE)))


def _tag_keep(tag: str) -> int:
    """Characters of a long ``tag`` outside script/style text (from its ``<`` to before its
    ``>``, as :data:`_TAG_EXTENT` reads it) the parser gets: all of them unless it holds more than
    MAX_TAG_ATTRIBUTES attributes, else up to the end of the last one kept (a cut between
    attributes leaves no quote open). Its length alone never counts."""
    if tag.isascii():  # at most one attribute per separator or quote: surely few enough
        starts = len(tag.encode("ascii").translate(None, _NOT_STARTING))
        if starts <= MAX_TAG_ATTRIBUTES:
            return len(tag)
    name = _TAG_NAME.match(tag)
    assert name is not None
    for i, attr in enumerate(_ATTRIBUTE.finditer(tag, name.end())):
        if i == MAX_TAG_ATTRIBUTES:
            return attr.start()
    return len(tag)


_TAG_NAME_IN_IMAGE = re.compile(_TAG_NAME.pattern.encode("ascii"))
_ATTRIBUTE_IN_IMAGE = re.compile(_ATTRIBUTE.pattern.encode("ascii"))
# MAX_TAG_ATTRIBUTES attributes in a row, each read once (atomic: a tag of fewer fails in
# one pass instead of trying each attribute without its value)
_KEPT_ATTRIBUTES_IN_IMAGE = re.compile(
    b"(?>" + _ATTRIBUTE.pattern.encode("ascii") + b"){%d}" % MAX_TAG_ATTRIBUTES
)


def _kept_in_image(image: bytes, start: int, end: int) -> int:
    """:func:`_tag_keep` of the long tag at ``image[start:end]`` (the page's
    :func:`html_image`), read in place: the image has the str's separators, quotes, ``=``
    and ``>`` where the str has them and no other character is one of these, so the
    tokenizer's attribute grammar reads the same attributes (no slice of the str, no count
    of its separators first: one match of MAX_TAG_ATTRIBUTES attributes, where a tag of
    fewer stops early)."""
    name = _TAG_NAME_IN_IMAGE.match(image, start, end)
    assert name is not None
    kept = _KEPT_ATTRIBUTES_IN_IMAGE.match(image, name.end(), end)
    if kept is None or _ATTRIBUTE_IN_IMAGE.match(image, kept.end(), end) is None:
        return end - start
    return kept.end() - start


# a tag's name and its first MAX_TAG_ATTRIBUTES attributes (possessive: each read once), and
# the rest of a tag's extent (its other attributes and trailing separators)
_NAME_AND_KEPT_IN_IMAGE = re.compile(
    _TAG_NAME.pattern.encode("ascii")
    + b"(?:"
    + _ATTRIBUTE.pattern.encode("ascii")
    + b"){0,%d}+" % MAX_TAG_ATTRIBUTES
)
_EXTENT_REST_IN_IMAGE = re.compile(
    b"(?:" + _ATTRIBUTE.pattern.encode("ascii") + b")*+[" + _WS.encode("ascii") + b"/]*+"
)


def _extent_and_keep(image: bytes, start: int) -> tuple[int, int]:
    """``(end, keep)`` of the tag at ``image[start]`` (a tag start in the page's
    :func:`html_image`): where :data:`_TAG_EXTENT` ends it and what :func:`_kept_in_image`
    keeps of it, in one reading of its attributes (the extent's attributes are the same
    tokens, read greedily one after another, as the first MAX_TAG_ATTRIBUTES of them: the
    extent first and the kept ones again read a long tag of script text twice)."""
    kept = _NAME_AND_KEPT_IN_IMAGE.match(image, start)
    assert kept is not None
    at = kept.end()
    rest = _EXTENT_REST_IN_IMAGE.match(image, at)
    assert rest is not None
    if _ATTRIBUTE_IN_IMAGE.match(image, at) is None:  # MAX_TAG_ATTRIBUTES or fewer
        return rest.end(), rest.end() - start
    return rest.end(), at - start


class _RawText:
    """Whether a position lies inside script/style text (:func:`raw_text_spans`, found as far
    into the page as the questions go: the pre-pass asks about a few long tags, in page order,
    and a scan of a whole 100 KiB page costs ~0.4 ms)."""

    def __init__(
        self, html: str, image: bytes | None = None, search: _QuotedSearch | None = None
    ) -> None:
        self.spans = _iter_raw_text_spans(html, image, search)
        self.done = False
        self.starts: list[int] = []
        self.ends: list[int] = []

    def __call__(self, at: int) -> bool:
        return self.end_at(at) >= 0

    def end_at(self, at: int) -> int:
        """End of the script/style text holding position ``at``, ``-1`` if none does."""
        while not self.done and (not self.starts or self.starts[-1] <= at):
            span = next(self.spans, None)
            if span is None:
                self.done = True
            else:
                self.starts.append(span[0])
                self.ends.append(span[1])
        i = bisect_right(self.starts, at) - 1
        return self.ends[i] if i >= 0 and at < self.ends[i] else -1


_QUOTED_ANGLE = re.compile(rf"""=[{_WS}]*+(?:"[^"<>]*+[<>]|'[^'<>]*+[<>])""")
_QUOTED_ANGLE_IN_IMAGE = re.compile(_QUOTED_ANGLE.pattern.encode("ascii"))
_TAG_REST_IN_IMAGE = re.compile(_TAG_REST.pattern.encode("ascii"))

NATIVE_PREPASS = True
"""Whether the pre-pass finds quoted angle brackets with Hyperscan where it is installed
(~0.05 ms per 100 KiB page against ~0.12 ms for ``re``; the same matches)."""
_QUOTED_ANGLE_HS = rb"""=[\t\n\f\r ]*(?:"[^"<>]*|'[^'<>]*)[<>]"""  # (the same, for Hyperscan)
_HS_MAX_ENDS = 4_096  # past this many, the page's quoted angles are searched by re after all
_hs_state = threading.local()  # the compiled database and a scratch space, per thread
_SCAN_TERMINATED: type[BaseException] = Exception  # (Hyperscan's, once it is imported)


def _hyperscan_ends(image: bytes) -> list[int] | None:
    """Where each quoted-angle match ends (the angle's offset), in order, from one
    Hyperscan scan of the image; ``None`` without Hyperscan or past _HS_MAX_ENDS."""
    if not hasattr(_hs_state, "db"):
        _hs_state.db = _compile_quoted_angle_db()
    state: tuple[Any, Any] | None = _hs_state.db
    if state is None:
        return None
    db, scratch = state
    ends: list[int] = []

    def on_match(_id: int, _from: int, to: int, _flags: int, _context: object) -> bool:
        ends.append(to - 1)
        return len(ends) > _HS_MAX_ENDS  # (true stops the scan)

    try:
        db.scan(image, match_event_handler=on_match, scratch=scratch)
    except _SCAN_TERMINATED:
        return None
    return ends


def _compile_quoted_angle_db() -> tuple[Any, Any] | None:
    global _SCAN_TERMINATED
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    _SCAN_TERMINATED = hyperscan.ScanTerminated
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[_QUOTED_ANGLE_HS], ids=[0], elements=1, flags=[0])
    return db, hyperscan.Scratch(db)


class _QuotedAngles:
    """``_QUOTED_ANGLE_IN_IMAGE.search(image, pos)``, answered from where the matches end.

    A match ending at the angle at ``e`` starts after the angle before ``e`` (its ``=``,
    spaces, quote and value hold none), so the first match at or after ``pos`` is the first
    one ``re`` finds in the window before the first end at or after ``pos`` whose window
    holds one: ``re`` reads a few bytes per match instead of the page.
    """

    def __init__(self, image: bytes, ends: list[int]) -> None:
        self.image = image
        self.ends = ends

    def search(self, pos: int) -> re.Match[bytes] | None:
        image, ends = self.image, self.ends
        for i in range(bisect_left(ends, pos), len(ends)):  # (no copy of the list's rest)
            end = ends[i]
            after = max(pos, image.rfind(b"<", 0, end) + 1, image.rfind(b">", 0, end) + 1)
            m = _QUOTED_ANGLE_IN_IMAGE.search(image, after, end + 1)
            if m is not None:
                return m
        return None


def _image_search(image: bytes) -> Callable[[int], re.Match[bytes] | None]:
    """``search(pos)``: the first :data:`_QUOTED_ANGLE` match at or after ``pos`` in the
    page's image (the same ``=``, quotes and angles at the same places as in the str),
    answered from one Hyperscan scan where it is installed (:data:`NATIVE_PREPASS`)."""
    ends = _hyperscan_ends(image) if NATIVE_PREPASS else None
    if ends is None:
        return partial(_QUOTED_ANGLE_IN_IMAGE.search, image)
    return _QuotedAngles(image, ends).search


class _FirstFrom:
    """A first-match ``search(pos)`` (:func:`_image_search`) that remembers its last answer: it holds for every
    ``pos`` from the last one asked up to that match's start (no match starts between), so
    the script/style scan, which asks from each stop on, reads a long quoted value (10 KiB
    on a real page) or a page without one (``re``: the rest of the page) once, not per stop."""

    def __init__(self, search: Callable[[int], re.Match[bytes] | None]) -> None:
        self._search = search
        self._asked = -1
        self._found: re.Match[bytes] | None = None

    def __call__(self, pos: int) -> re.Match[bytes] | None:
        found = self._found
        if 0 <= self._asked <= pos and (found is None or pos <= found.start()):
            return found
        self._asked, self._found = pos, self._search(pos)
        return self._found


_TAG_START = re.compile(r"<(?=/?[A-Za-z])")
_TAG_START_IN_IMAGE = re.compile(rb"<(?=/?[a-z])")  # (the image is lower-cased)


def _starts_tag(html: str, at: int) -> bool:
    """Whether the ``<`` at ``at`` opens a start or end tag (``<`` or ``</`` and an ASCII letter)."""
    letter = at + 2 if html.startswith("/", at + 1) else at + 1
    return html[letter : letter + 1].isascii() and html[letter : letter + 1].isalpha()


_Cut = tuple[int, int, str]  # text from the first to the second offset replaced by the third


def _apply_cuts(text: AnyStr, cuts: list[_Cut]) -> AnyStr:
    """``text`` with each cut made (in page order; a str, or its image: the same cuts)."""
    pieces, last = [], 0
    for keep_end, end, quote in cuts:
        pieces.append(text[last:keep_end])
        pieces.append(quote if isinstance(text, str) else quote.encode("ascii"))
        last = end
    pieces.append(text[last:])
    return text[:0].join(pieces)


def _cut_tags_with_quoted_angles(
    html: str,
    raw_text: _RawText,
    pos: int = 0,
    image: bytes | None = None,
    search: Callable[[int], re.Match[bytes] | None] | None = None,
) -> list[_Cut]:
    """The cuts of long tags holding a quoted ``<`` or ``>`` (``<div a=">" c0 c1 …>``),
    which the ``[^<>]`` scan sees end at that character while the tokenizer reads on: their
    extent is read with quoting, then cut like any long tag. ``pos``: where the first such
    value is (none before it). ``image``: the page's :func:`html_image`, read instead of the
    str; ``search``: its :func:`_image_search`, when the caller has it."""
    if image is None:
        str_search = partial(_QUOTED_ANGLE.search, html)
        return _quoted_cuts(html, html, raw_text, pos, str_search, _TAG_START, _TAG_EXTENT, ">")
    search = search or _image_search(image)
    return _quoted_cuts(
        image, html, raw_text, pos, search, _TAG_START_IN_IMAGE, _TAG_EXTENT_IN_IMAGE, b">"
    )


def _quoted_cuts(
    text: AnyStr,
    html: str,
    raw_text: _RawText,
    pos: int,
    search: Callable[[int], re.Match[AnyStr] | None],
    tag_start: re.Pattern[AnyStr],
    tag_extent: re.Pattern[AnyStr],
    gt: AnyStr,
) -> list[_Cut]:
    """:func:`_cut_tags_with_quoted_angles`, reading ``text`` (``html`` or its image) with
    the patterns and the ``>`` of its type."""
    cuts: list[_Cut] = []
    last = no_tag_before = 0
    while (q := search(pos)) is not None:
        pos = q.end()
        # the tag holding the quoted angle, if any, starts at the first tag start after the
        # last ">" before it (a "<" of "a<1" or "x<b" unquoted in a tag does not end it)
        lo = max(last, text.rfind(gt, last, q.start()) + 1, no_tag_before)
        start = -1
        while (t := tag_start.search(text, lo, q.start())) is not None:
            if _starts_tag(html, t.start()):  # (not a folded special: "<\u0130" is no tag)
                start = t.start()
                break
            lo = t.start() + 1
        if start < 0:
            no_tag_before = q.start()
            # so are the quoted angles before the next tag start: looked past at once
            after = tag_start.search(text, q.start())
            if after is None:
                break
            pos = max(pos, after.start())
            continue
        extent = tag_extent.match(text, start)
        assert extent is not None
        end = extent.end()
        if _crosses_raw_end(text, start, end) and (raw_end := raw_text.end_at(start)) >= 0:
            pos = max(pos, raw_end)  # script text read as a tag: what follows it is looked at
            continue
        pos = max(pos, end)
        if end - start < 2 + 256:
            continue
        if isinstance(text, bytes) and _surely_kept(text, start, end):
            continue
        tag = html[start:end]
        keep = _tag_keep(tag)
        if keep < len(tag) and not raw_text(start):
            cuts.append((start + keep, end, ""))
            last = end
    return cuts


def _closes_at_least(html: str, need: int) -> bool:
    """Whether ``html`` has at least ``need`` ``</``: counted a quarter, a quarter and a half
    at a time (at most one pass in all), stopping once there are enough; an ordinary page
    has them in its first quarter (a two-character count over a page of wide characters
    costs ~0.1 ms per 100 KiB)."""
    n = len(html)
    found, start = 0, 0
    for end in (n // 4, n // 2, n):
        found += html.count("</", start, end)
        if 0 < end < n and html.startswith("</", end - 1):
            found += 1  # one across the cut, which neither piece counts
        if found >= need:
            return True
        start = end
    return False


_LT, _GT, _SLASH, _LONG_TAG_MIN = ord("<"), ord(">"), ord("/"), 2 + 256
_SMALL_PAGE = 4_096  # (characters: up to here, split on ">" costs less than numpy's calls)


_WORD = 64  # characters a word of the packed ">" bitmap covers (one uint64)


def _far_gaps(image: bytes, is_gt: Any) -> list[tuple[int, int]]:
    """``(first, last)`` of each gap of _LONG_TAG_MIN or more characters between two ``>``
    (the page's ends count as ``>``, at -1 and ``len(image)``): from the gap's first
    character to the last one whose next ``>`` is _LONG_TAG_MIN or more on; ``is_gt``: the
    image's ``>`` as a numpy bool array.

    Such a gap holds at least three whole 64-character words of the image free of ``>``
    (258 characters cover three from any offset), so the ``>`` bitmap is packed into
    uint64 words (8 bytes per 64 characters, no index per ``>``: a real 100 KiB page has
    ~3,000, whose positions cost 25 us to list) and only runs of three zero words are
    looked at: their gap's bounds found by ``rfind``/``find`` of ``>`` in the image (exact),
    kept if wide enough. A test checks this against the definition at every offset."""
    import numpy as np

    n = len(image)
    packed = np.packbits(is_gt)  # (the last byte's bits past the end are 0: no ">")
    if len(packed) % 8:
        packed = np.concatenate((packed, np.zeros(8 - len(packed) % 8, np.uint8)))
    free = packed.view(np.uint64) == 0
    runs = free[:-2] & free[1:-1] & free[2:]  # words i, i + 1 and i + 2 free of ">"
    heads = np.flatnonzero(runs[1:] & ~runs[:-1]) + 1  # where such a run starts
    candidates = heads.tolist()
    if len(runs) and runs[0]:
        candidates.insert(0, 0)
    spans = []
    for word in candidates:
        at = word * _WORD
        prev = image.rfind(b">", 0, at)  # (-1 when none: the page's start)
        nxt = image.find(b">", at)
        nxt = n if nxt < 0 else nxt
        if nxt - prev > _LONG_TAG_MIN:
            spans.append((prev + 1, nxt - _LONG_TAG_MIN))
    return spans


def _tag_shapes(html: str, image: bytes) -> tuple[int, int | None, list[int]]:
    """From the page's :func:`html_image`: how many ``<`` and ``</`` it has (``</`` counted
    only where more than MAX_OPEN_TAGS ``<`` make the count matter, else ``None``), and where
    each tag that may be long starts (:data:`_LONG_TAG_START`: a ``<`` or ``</`` and an ASCII
    letter, the next ``>`` 258 or more characters on, or none and as many characters left),
    in page order, if more than MAX_TAG_ATTRIBUTES separators and quotes come before that
    ``>``. A tag runs to its first ``>`` outside quotes: a ``<`` does not end it
    (``<div a0<1 a1<1 …>`` is one tag of many attributes), so the distance to the next ``>``
    is what may make it long (a quoted ``>`` is the quoted-angle pass's).

    Vectorised over the one-byte image (positions are the string's), from the ``>`` alone: a
    far tag lies in a gap of 259 or more characters between two ``>`` (the page's ends
    count as ``>``; :func:`_far_gaps`), and a real page has a few dozen such gaps (text,
    scripts), so only those are looked at in Python, never each ``<`` (finding every ``<``
    and its next ``>`` cost twice as much). Few numpy calls: each costs a microsecond or
    more whatever the page's size; a test checks this against the string definition.
    """
    n = len(image)
    if n <= _SMALL_PAGE and max(map(len, image.split(b">"))) < _LONG_TAG_MIN:
        # a small page without a gap of 259 characters between two ">" (the usual one):
        # no far tag, and no numpy (~10 us of calls whatever the page's size)
        opening = image.count(b"<")
        return opening, image.count(b"</") if opening > MAX_OPEN_TAGS else None, []

    import numpy as np  # (here: a fetcher process builds Pages without reading them)

    chars = np.frombuffer(image, dtype=np.uint8)
    is_lt = chars == _LT
    opening = int(np.count_nonzero(is_lt))
    if not opening:
        return 0, None, []
    closing = None
    if opening > MAX_OPEN_TAGS:  # (a "<" with a "/" after it)
        closing = int(np.count_nonzero(is_lt[:-1] & (chars[1:] == _SLASH)))
    if n < _LONG_TAG_MIN:
        return opening, closing, []
    spans = _far_gaps(image, chars == _GT)
    # Each "<" of such a gap shares its next ">" (at last + 258): the first tag start's span
    # holds the others', so its count of separators and quotes (each attribute starts after
    # one) bounds theirs; a span of MAX_TAG_ATTRIBUTES or fewer holds no tag to cut (one
    # ending at a quoted ">" is the quoted-angle pass's). Minified script text rarely has
    # that many before a ">".
    starts: list[int] = []
    for first, last in spans:
        lt = image.find(b"<", first, last + 1)
        if lt < 0:  # (text between tags: about half the gaps)
            continue
        lead = _TAG_START_IN_IMAGE.search(image, lt, last + 3)  # (reads two characters on)
        if lead is None or lead.start() > last:
            continue
        span = image[lead.start() : last + _LONG_TAG_MIN]
        if len(span.translate(None, _NOT_STARTING)) > MAX_TAG_ATTRIBUTES:
            for m in _TAG_START_IN_IMAGE.finditer(image, lead.start(), last + 3):
                if m.start() <= last:
                    starts.append(m.start())
    return opening, closing, starts


def _surely_kept(image: bytes, start: int, end: int) -> bool:
    """Whether the long tag at ``image[start:end]`` is surely kept whole by :func:`_tag_keep`
    (no more separators and quotes than MAX_TAG_ATTRIBUTES: each attribute starts after one),
    read from the image without slicing the str (its ASCII bytes are the str's characters)."""
    tag = image[start:end]
    return len(tag.translate(None, _NOT_STARTING)) <= MAX_TAG_ATTRIBUTES


def _crosses_raw_end(text: AnyStr, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (``html`` or its image) may hold the end of script or
    style text: a ``</script`` or ``</style`` in any letter case (a superset)."""
    if isinstance(text, bytes):
        return text.find(b"</script", start, end) >= 0 or text.find(b"</style", start, end) >= 0
    low = text[start:end].lower()
    return "</script" in low or "</style" in low


def _no_tag_after_raw_text(image: bytes, start: int, end: int) -> bool:
    """Whether no tag to cut can hide in ``image[start:end]`` (a tag's extent read from
    ``start``, kept whole) were ``start`` in script or style text: such text ends at a
    ``</script`` or ``</style`` (lower-cased in the image), and from the first one on there
    are no more separators and quotes than one tag may start attributes after."""
    first = min(
        (
            at
            for at in (image.find(b"</script", start, end), image.find(b"</style", start, end))
            if at >= 0
        ),
        default=-1,
    )
    return first < 0 or _surely_kept(image, first, end)


def parse_input(html: str, image: bytes | None = None) -> str:
    """``html`` as the DOM parser gets it: unchanged for ordinary pages; for hostile shapes,
    tags of more than MAX_TAG_ATTRIBUTES attributes are cut after that many (however long a
    tag's values are: only the count is costly), and
    the document ends where more than MAX_OPEN_TAGS tags would be open. Script and style text
    is never taken for tags (:func:`raw_text_spans`): a ``<e.length;…`` of minified JavaScript
    reaches the parser whole. Regex fields still see the whole HTML.

    The checks are linear: a count of ``<`` vs ``</`` (C speed) decides whether the depth walk
    runs at all; a tag is looked at only where its next ``>`` is far or quoted, its extent
    read once as the tokenizer reads it (a tag inside it or inside script text is skipped by
    bisection); the script/style spans are found only when such a tag or a deep page asks.
    Everything is read from the page's :func:`html_image` (``image``, when the caller has
    it: :attr:`Page.html_image`; else made here): quoted angle brackets from one Hyperscan
    scan where it is installed (:data:`NATIVE_PREPASS`), the counts and the far-``>`` scan
    in one vectorised pass, each long tag's separators and quotes counted in its bytes
    before its str is sliced.
    """
    if image is None or len(image) != len(html):
        image = html_image(html)  # (none given, or not this page's)
    # (the image has the same "=", quotes and angles where html has them: the same answer)
    search = _image_search(image)
    raw_text = _RawText(html, image, _FirstFrom(search))  # (its questions repeat: remembered)
    first = search(0)
    if first is not None:  # a quoted "<" or ">": the long-tag scan stops there
        cuts = _cut_tags_with_quoted_angles(html, raw_text, first.start(), image, search)
        if cuts:  # (the image of the cut page is the page's image cut the same way)
            html = _apply_cuts(html, cuts)
            raw_text = _RawText(html)
            image = _apply_cuts(image, cuts)
    opening, closing, starts = _tag_shapes(html, image)
    counts: tuple[int, int | None] | None = opening, closing
    cuts, i = [], 0
    while i < len(starts):
        start = starts[i]
        if not _starts_tag(html, start):
            i += 1
            continue
        end, keep = _extent_and_keep(image, start)
        if keep == end - start and _no_tag_after_raw_text(image, start, end):
            # kept whole, and if this is script text read as a tag, no real tag is hidden in
            # it (the script's scan, ~0.4 ms per 100 KiB, is left for tags to cut)
            i = bisect_left(starts, end, i + 1)
            continue
        raw_end = raw_text.end_at(start)
        if raw_end >= 0:
            i = bisect_left(starts, raw_end, i + 1)
            continue
        i = bisect_left(starts, end, i + 1)  # (a "<" inside the tag starts none)
        if keep < end - start:  # ("--" before the ">" kept: it may close a comment)
            dashes = 2 * html.startswith("--", max(start + keep, end - 2), end)
            cuts.append((start + keep, end - dashes, ""))
    if cuts:  # (what is cut may hold "<": counted again)
        html = _apply_cuts(html, cuts)
        raw_text = _RawText(html)
        counts = None
    opening = html.count("<") if counts is None else counts[0]
    need = (opening - MAX_OPEN_TAGS + 1) // 2
    if opening <= MAX_OPEN_TAGS or (
        counts[1] >= need
        if counts is not None and counts[1] is not None
        else _closes_at_least(html, need)
    ):
        return html  # cannot be nested that deep (void tags only make the count larger)
    depth = 0
    for m in _OPEN_OR_CLOSE.finditer(html):
        if m.group(2).lower() in _NOT_NESTING or raw_text(m.start()):
            continue
        depth += -1 if m.group(1) else 1
        if depth > MAX_OPEN_TAGS:
            return html[: m.start()]
    return html


# --- the one-byte-per-character image of a page, from its UTF-8 -----------------------------


_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes (10xxxxxx)
_MAY_FOLD = 0xFE  # the lead bytes of \u0130, \u0131 and \u017f (0xc4, 0xc5), marked for a look
_UTF8_TO_IMAGE = bytes(
    (ord(chr(b).lower()) if b < 0x80 else _MAY_FOLD if b in (0xC4, 0xC5) else 0xFF)
    for b in range(256)
)


def _characters_in(utf8: bytes) -> int:
    """Characters in UTF-8 ``utf8``: its bytes that are not continuation bytes (10xxxxxx)."""
    return len(utf8.translate(None, _CONTINUATION))


def _image_of_utf8(html: str, utf8: bytes) -> bytes | None:
    """:func:`html_image` of non-ASCII ``html`` from its UTF-8 ``utf8`` in one C pass (each
    character's lead byte, ASCII lower-cased, the others 0xFF); ``None`` when ``utf8`` does
    not hold ``len(html)`` characters or ``html`` holds a character ``re.I`` folds to ASCII
    (those take the UTF-16 route)."""
    image = utf8.translate(_UTF8_TO_IMAGE, _CONTINUATION)
    if len(image) != len(html) or "\u212a" in html:  # (E2 84 AA: other E2 leads are common)
        return None
    if _MAY_FOLD not in image:
        return image
    if any(special in html for special in "\u0130\u0131\u017f"):
        return None
    return image.replace(b"\xfe", b"\xff")


def html_image(html: str, utf8: bytes | None = None) -> bytes:
    """One byte per character of ``html``: ASCII lower-cased, the four characters ``re.I``
    equates with an ASCII letter (``patterns.CASE_FOLD_TO_ASCII``) folded to it, every other
    character 0xFF: the image the prefilter's Hyperscan databases scan, whose positions are
    positions in ``html`` (``prefilter_image(html).lower()``, which a test checks).

    ``utf8`` is ``html`` in UTF-8 when the caller has it (see :attr:`Page.html_utf8`): the
    image is then the lead byte of each character, one ``bytes.translate`` (~0.05 ms per
    100 KiB page of non-ASCII text, against ~0.13 ms through numpy and ~0.22 ms through
    UTF-16 and back). Bytes that do not hold ``len(html)`` characters are ignored.
    """
    if html.isascii():
        return html.encode("ascii").lower()
    if utf8 is not None:
        image = _image_of_utf8(html, utf8)
        if image is not None:
            return image
    from icpkit.technographics.patterns import prefilter_image

    return prefilter_image(html).lower()


_TEXT_DROP_SELECTOR = ",".join(_TEXT_DROP)


def visible_text(root: LexborNode) -> str:
    """The text nodes under ``root`` outside script, style, noscript and template elements,
    joined by spaces (whitespace not collapsed): what ``root.text(deep=True, separator=" ")``
    gives once those elements are stripped, up to whitespace (a test compares the two).

    Subtrees without such an element are read by lexbor in one call; only the ancestors of
    the dropped elements are walked (a handful of nodes: scripts sit near the top), where
    stripping a copy of the tree cost a copy of every node (~0.15 ms on a real page). Text
    nodes of HTML whitespace alone (indentation between tags: a third of a real page's text
    characters) are left out: the text is decoded and its whitespace collapsed without them.
    """
    if root.tag in _TEXT_DROP:
        return ""
    drops = root.css(_TEXT_DROP_SELECTOR)
    if not drops:
        return root.text(deep=True, separator=" ", skip_empty=True)
    walk: set[int] = {root.mem_id}  # the ancestors of dropped elements, up to root
    for node in drops:
        parent = node.parent
        while parent is not None and (mid := parent.mem_id) not in walk:
            walk.add(mid)
            parent = parent.parent
    pieces: list[str] = []
    stack = [root.iter(include_text=True, skip_empty=True)]
    while stack:  # depth first, children in page order; no recursion (deep pages)
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.is_text_node:
            pieces.append(child.text(deep=True, separator=" "))
        elif not child.is_element_node or child.tag in _TEXT_DROP:
            continue  # (a dropped element may hold another: <noscript><script>)
        elif child.mem_id in walk:
            stack.append(child.iter(include_text=True, skip_empty=True))
        else:
            pieces.append(child.text(deep=True, separator=" ", skip_empty=True))
    return " ".join(pieces)


_WITHOUT_EVENTS = LexborDocumentOptions.WO_EVENTS


def parse_tree(html: str | bytes) -> LexborHTMLParser:
    """lexbor's DOM of ``html`` (a :func:`parse_input` result, or its UTF-8 bytes), built
    without the document's mutation events: nothing here edits the tree, and what the events
    do while it is built (reading every ``style`` attribute as CSS declarations, mirroring a
    ``<select>``'s option into ``<selectedcontent>``) no stage reads. 10 us of a 60 us parse
    on a small page with ~20 ``style`` attributes, ~12 us of 300 on a 100 KiB one; the same
    serialised tree and the same nodes for every ``dom`` selector of the 4,000-technology
    database on the 316 real pages (a test compares trees on generated pages)."""
    return LexborHTMLParser(html, options=_WITHOUT_EVENTS)


def parse_document(html: str) -> LexborHTMLParser:
    """The DOM of an untrusted page as every reader of fetched HTML must build it: hostile
    shapes cut first (:func:`parse_input`: lexbor's attribute check is quadratic per tag, so
    one tag of 50,000 attributes costs it ~9 s, and 600,000 in a 5 MiB body ~20 minutes),
    then parsed without mutation events (:func:`parse_tree`). :attr:`Page.tree` is the same
    parse, sharing the page's image and UTF-8 bytes."""
    return parse_tree(parse_input(html) or "<html></html>")


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


@dataclass(frozen=True)
class Page:
    """One fetched page. ``None`` for ``script_src``/``meta``/``js`` means "derive from html".

    ``js`` maps a global property chain (``jQuery.fn.jquery``) to its values as a browser would
    report them; when it is ``None`` the detector uses a static approximation over the inline
    and fetched scripts (see :mod:`icpkit.technographics.matcher`).
    """

    url: str
    html: str = ""
    headers: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    script_src: tuple[str, ...] | None = None
    scripts: tuple[str, ...] = ()
    css: str = ""
    meta: Mapping[str, Sequence[str]] | None = None
    dns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    robots: str = ""
    js: Mapping[str, Sequence[str]] | None = None
    html_utf8: bytes | None = field(default=None, repr=False, compare=False)
    """``html.encode("utf-8")``, when the caller already holds those bytes (a fetcher or a
    WARC reader that decoded a UTF-8 body strictly: then they are the body itself); ``None``:
    encoded once, on demand (see :attr:`html_bytes`). Bytes holding another number of
    characters than ``html`` are ignored. Not compared, not shown in repr."""

    # --- derived signals (computed once per page) -------------------------------------

    @cached_property
    def tree(self) -> LexborHTMLParser:
        """The parsed DOM (lexbor), for selectors and extraction (hostile shapes cut first:
        see :func:`parse_input`; parsed without mutation events: :func:`parse_tree`)."""
        parsed = parse_input(self.html, self.html_image)
        if parsed is self.html and not parsed.isascii():
            data = self.html_bytes  # what selectolax would encode the str to, made once
            if "_lone_surrogates" not in self.__dict__:
                return parse_tree(data)
        return parse_tree(parsed or "<html></html>")

    @cached_property
    def html_bytes(self) -> bytes:
        """``html`` as UTF-8: :attr:`html_utf8` when given, else encoded once here (lone
        surrogates, which no decoder produces, as ``surrogatepass`` writes them). The tree's
        parser and the image read these bytes, so a page is encoded once at most."""
        given = self.html_utf8
        if given is not None and (
            len(given) == len(self.html)
            if self.html.isascii()
            else self.__dict__.get("_utf8_checked") or _characters_in(given) == len(self.html)
        ):
            return given  # (bytes of another length are not trusted: the parser reads them)
        try:
            return self.html.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (a str no decoder produces): these
            self.__dict__["_lone_surrogates"] = True  # bytes are not what a parser may read
            return self.html.encode("utf-8", "surrogatepass")

    @cached_property
    def html_image(self) -> bytes:
        """:func:`html_image` of ``html``: one byte per character, shared by the pre-pass of
        :attr:`tree` and the prefilter scans. Read from the UTF-8 bytes when the caller
        gave them (:attr:`html_utf8`), in the pass that also shows they hold ``html``'s
        characters (so :attr:`html_bytes` need not count them again)."""
        given = self.html_utf8
        if given is None or self.html.isascii():
            return html_image(self.html)
        image = _image_of_utf8(self.html, given)
        if image is None:
            return html_image(self.html)
        self.__dict__["_utf8_checked"] = True  # (the image has one byte per character)
        return image

    @cached_property
    def html_capped(self) -> str:
        """The HTML within the reference's size budget (both ends kept)."""
        if len(self.html) <= 2 * HTML_MAX_CHARS:
            return self.html
        return self.html[:HTML_MAX_CHARS] + "\n" + self.html[-HTML_MAX_CHARS:]

    @cached_property
    def header_values(self) -> dict[str, tuple[str, ...]]:
        """Header name (lower-cased) → values."""
        out: dict[str, tuple[str, ...]] = {}
        for name, value in self.headers.items():
            values = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
            key = name.lower()
            out[key] = out.get(key, ()) + values
        return out

    @cached_property
    def cookie_values(self) -> dict[str, tuple[str, ...]]:
        """Cookie name (lower-cased) → values."""
        out: dict[str, tuple[str, ...]] = {}
        for name, value in self.cookies.items():
            key = name.lower()
            out[key] = (*out.get(key, ()), str(value))
        return out

    @cached_property
    def dns_values(self) -> dict[str, tuple[str, ...]]:
        """Record type (lower-cased: ``txt``, ``mx`` …) → records."""
        out: dict[str, tuple[str, ...]] = {}
        for rtype, values in self.dns.items():
            vals = (values,) if isinstance(values, str) else tuple(str(v) for v in values)
            key = rtype.lower()
            out[key] = out.get(key, ()) + vals
        return out

    @cached_property
    def script_srcs(self) -> tuple[str, ...]:
        """``<script src>`` URLs, made absolute against the page URL as a browser reports them."""
        if self.script_src is not None:
            return tuple(self.script_src)
        out = []
        join = _Joiner(self.url)
        for _node, attrs in self._script_nodes:
            src = (attrs.get("src") or "").strip()
            if src:
                out.append(join(src))
        return tuple(out)

    @cached_property
    def _script_nodes(self) -> list[tuple[LexborNode, dict[str, str | None]]]:
        """``<script>`` elements with their attributes: one query serves URLs and bodies
        (lexbor's by-name list: what ``css("script")`` gives, for less; a test compares)."""
        return [(node, node.attributes) for node in self.tree.tags("script")]

    @cached_property
    def inline_scripts(self) -> tuple[str, ...]:
        """Bodies of ``<script>`` elements without ``src`` (capped)."""
        out = []
        for node, attrs in self._script_nodes:
            if "src" in attrs:
                continue
            body = node.text(deep=True, separator="")
            if body.strip():
                out.append(_cap(body, SCRIPT_MAX_CHARS))
        return tuple(out)

    @cached_property
    def script_contents(self) -> tuple[str, ...]:
        """Fetched script bodies (``scripts``), capped: what the ``scripts`` field matches."""
        return tuple(_cap(s, SCRIPT_MAX_CHARS) for s in self.scripts if s)

    @cached_property
    def meta_values(self) -> dict[str, tuple[str, ...]]:
        """``<meta name|property>`` (lower-cased) → ``content`` values."""
        if self.meta is not None:
            given: dict[str, tuple[str, ...]] = {}
            for name, values in self.meta.items():
                vals = (values,) if isinstance(values, str) else tuple(str(v) for v in values)
                given[name.lower()] = given.get(name.lower(), ()) + vals
            return given
        out: dict[str, tuple[str, ...]] = {}
        for node in self.tree.tags("meta"):
            attrs = node.attributes
            key = attrs.get("name") or attrs.get("property")
            if not key:
                continue
            content = attrs.get("content")
            name = key.strip().lower()
            out[name] = (*out.get(name, ()), content if content is not None else "")
        return out

    @cached_property
    def text(self) -> str:
        """Visible text of the body (scripts, styles, noscript and templates left out,
        whitespace collapsed).

        Read from :attr:`tree` itself, which the DOM stages share (see :func:`visible_text`:
        no copy of the tree); a page over the size budget is parsed again within it."""
        if not self.html:
            return ""
        if self.html_capped is self.html:
            tree = self.tree
        else:
            tree = parse_tree(parse_input(self.html_capped))
        root = tree.body or tree.root
        if root is None:
            return ""
        return collapse_whitespace(visible_text(root))

    @cached_property
    def css_capped(self) -> str:
        """The CSS within the reference's budget."""
        return _cap(self.css, CSS_MAX_CHARS)

    @cached_property
    def all_script_text(self) -> str:
        """Inline and fetched script bodies joined: the haystack of the static ``js`` approximation."""
        return "\n".join((*self.inline_scripts, *self.script_contents))
