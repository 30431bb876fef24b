"""What was collected about one web page, and the signals derived from it.

The caller (the fetcher, a test, a crawler) fills in what it has; everything else is derived
lazily from the HTML with a real HTML5 parser (selectolax/lexbor): script URLs, inline scripts,
``<meta>`` values, visible text and the DOM for ``dom`` selectors. Inputs are capped the way the
reference caps them, so one huge page cannot stall a batch (see :data:`HTML_MAX_CHARS`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["CSS_MAX_CHARS", "HTML_MAX_CHARS", "SCRIPT_MAX_CHARS", "Page"]

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
MAX_TAG_CHARS = 4_096
"""Characters of one tag's attributes the parser is given at most: lexbor's duplicate-attribute
check is quadratic in a tag's attribute count (100k attributes took 57 s)."""
MAX_TAG_ATTRIBUTES = 64
"""Attributes of one tag the parser is given at most, for tags of 256 characters or more
(shorter ones cannot hold more than ~85). The character cap alone left a page of 4 KiB tags of
1,000 distinct attributes each at 1.1 s of parsing per 5 MiB; real tags carry a few."""

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
_LONGISH_TAG = re.compile(r"<[A-Za-z][^<>]{256}[^<>]*")
_TAG_NAME = re.compile(r"<[A-Za-z][^\s/<>]*")
_ATTRIBUTE = re.compile(r"""[\s/]+[^\s/<>=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>]*))?""")


_RAW_TEXT_TAG = re.compile(r"<(/?)(?:script|style)\b", re.I)


def _tag_keep(tag: str, in_raw_text: Callable[[], bool]) -> int:
    """Characters of a long ``tag`` (no ``<``/``>`` after its first) the parser gets: up to
    MAX_TAG_CHARS of attributes and, outside script and style text (where a ``<`` opens no
    tag: ``in_raw_text`` says, asked only when it matters), MAX_TAG_ATTRIBUTES attributes."""
    keep = min(len(tag), 2 + MAX_TAG_CHARS)
    name = _TAG_NAME.match(tag)
    assert name is not None
    for i, attr in enumerate(_ATTRIBUTE.finditer(tag, name.end())):
        if attr.start() >= keep:
            break
        if i == MAX_TAG_ATTRIBUTES:
            return keep if in_raw_text() else attr.start()
    return keep


class _RawText:
    """Whether a position lies inside ``<script>``/``<style>`` text, judged by the last such
    opening or closing tag before it; the tags are listed once, on first question."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.starts: list[int] | None = None
        self.opening: list[bool] = []

    def __call__(self, at: int) -> bool:
        if self.starts is None:
            found = list(_RAW_TEXT_TAG.finditer(self.html))
            self.starts = [m.start() for m in found]
            self.opening = [not m.group(1) for m in found]
        i = bisect_right(self.starts, at - 1) - 1
        return i >= 0 and self.opening[i]


def parse_input(html: str) -> str:
    """``html`` as the DOM parser gets it: unchanged for ordinary pages; for hostile shapes,
    over-long tags are cut to MAX_TAG_CHARS characters or MAX_TAG_ATTRIBUTES attributes, and
    the document ends where more than
    MAX_OPEN_TAGS tags would be open. Regex fields still see the whole HTML.

    The checks are linear: a count of ``<`` vs ``</`` (C speed) decides whether the depth walk
    runs at all, and the long-tag scan stops at the next ``<`` or ``>``.
    """
    pieces, last = [], 0
    raw_text = _RawText(html)
    for m in _LONGISH_TAG.finditer(html):
        keep = _tag_keep(m.group(), partial(raw_text, m.start()))
        if m.start() + keep < m.end():
            pieces.append(html[last : m.start() + keep])
            last = m.end()
    if pieces:
        html = "".join(pieces) + html[last:]
    if html.count("<") - 2 * html.count("</") <= MAX_OPEN_TAGS:
        return html  # cannot be nested that deep (void tags only make the count larger)
    depth = 0
    for m in _OPEN_OR_CLOSE.finditer(html):
        if m.group(2).lower() in _NOT_NESTING:
            continue
        depth += -1 if m.group(1) else 1
        if depth > MAX_OPEN_TAGS:
            return html[: m.start()]
    return html


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

    # --- derived signals (computed once per page) -------------------------------------

    @cached_property
    def tree(self) -> LexborHTMLParser:
        """The parsed DOM (lexbor), for selectors and extraction (hostile shapes cut first:
        see :func:`parse_input`)."""
        return LexborHTMLParser(parse_input(self.html) or "<html></html>")

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
        """``<script>`` elements with their attributes: one query serves URLs and bodies."""
        return [(node, node.attributes) for node in self.tree.css("script")]

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
        for node in self.tree.css("meta"):
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
        """Visible text of the body (scripts and styles removed, whitespace collapsed)."""
        if not self.html:
            return ""
        if "tree" in self.__dict__ and self.html_capped is self.html:
            tree = self.tree.clone()  # a copy of the parsed DOM costs a fraction of a parse
        else:
            tree = LexborHTMLParser(self.html_capped)
        tree.strip_tags(_TEXT_DROP)
        root = tree.body or tree.root
        if root is None:
            return ""
        return collapse_whitespace(root.text(deep=True, separator=" "))

    @cached_property
    def css_capped(self) -> str:
        """The CSS within the reference's budget."""
        return _cap(self.css, CSS_MAX_CHARS)

    @cached_property
    def all_script_text(self) -> str:
        """Inline and fetched script bodies joined: the haystack of the static ``js`` approximation."""
        return "\n".join((*self.inline_scripts, *self.script_contents))
