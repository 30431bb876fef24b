"""Run every fingerprint of a database over a page: a naive and a fast engine, same answers.

The *naive* engine is the design of python-Wappalyzer and the reference: every pattern of every
technology on every input. The *fast* engine returns exactly the same hits, cheaper:

* key-value fields (headers, cookies, meta, dns, js) are indexed by key, so only patterns of
  keys the page has are run;
* a literal prefilter: from each regex we take a set of lower-case literals one of which any
  match must contain (:func:`.patterns.required_literal_sets`); one Aho-Corasick automaton per field
  scans the case-folded input once, and ``re`` runs only on the candidates plus the few
  patterns with no usable literal ("always run");
* optionally (``native=True`` or auto when :mod:`hyperscan` imports), a Hyperscan database in
  prefilter mode (a superset matcher that accepts lookarounds) selects candidates instead;
* ``dom`` selectors are prefiltered the same way on literals a selector needs in the source
  (quoted attribute values, ``#id``, ``.class``, attribute names).

Every candidate is confirmed with the same compiled ``re`` pattern as the naive engine, which
also yields the version, so the two engines differ only in speed. ReDoS guard: inputs are capped
per field (:mod:`.page`) and quantifiers are bounded (``{1,250}``) at load time.

``js`` is matched against caller-supplied values (``Page.js``, e.g. from a browser) or, when
absent, a *static approximation*: a chain ``a.b.c`` counts as present when a script body
assigns it (``a.b.c = …``, optionally prefixed by ``window.``/``self.``/``globalThis.``) or,
for a single identifier, declares it (``var|let|const|function|class a``). Its value is the
assigned string or number literal, else ``""``. Globals created any other way (bundlers,
``Object.assign``, computed keys) are missed, and assignments in dead code are counted.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.entities import html5 as html5_entities
from typing import Literal, NamedTuple

import ahocorasick
import numpy as np

from icpkit.technographics.fingerprints import DomRule, FingerprintDB, Pattern, Technology
from icpkit.technographics.page import HTML_MAX_CHARS, Page
from icpkit.technographics.patterns import (
    CASE_FOLD_TO_ASCII,
    fold_for_prefilter,
    match_extent,
    prefilter_image,
    required_literal_sets,
    translate,
)

__all__ = [
    "DOM_MAX_NODES",
    "FIELD_ORDER",
    "Hit",
    "Matcher",
    "hyperscan_available",
    "static_js_values",
]

try:  # optional native prefilter
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None

DOM_MAX_NODES = 50
"""Nodes per selector whose text/attributes are matched (confidence is capped at 100 anyway)."""

# The reference evaluates fields in this order; it decides which of two equally long versions
# wins, so both engines sort hits by it.
FIELD_ORDER = (
    "cookies",
    "css",
    "dns",
    "headers",
    "html",
    "meta",
    "robots",
    "scriptSrc",
    "scripts",
    "text",
    "url",
    "dom",
    "js",
)
_RANK = {f: i for i, f in enumerate(FIELD_ORDER)}
_LIST_FIELDS = {
    "html": "html",
    "text": "text",
    "css": "css",
    "url": "url",
    "scriptSrc": "script_src",
    "scripts": "scripts",
    "robots": "robots",
}
_KEYED_FIELDS = {
    "headers": "headers",
    "cookies": "cookies",
    "meta": "meta",
    "dns": "dns",
    "js": "js",
}
_FOLD_ONLY = str.maketrans(CASE_FOLD_TO_ASCII)

WINDOW_MIN_CHARS = 4096
"""Values at least this long are confirmed near the literals only (see ``_Bucket.confirm``)."""
_WINDOW_MAX_OCCURRENCES = 64
_FEW_LITERALS = 12
_RARE_CHARS = 8  # characters outside boilerplate that make a literal rare on pages
_SIMPLE_CHARS = 5  # ... that make the literal scan select a markup-led html regex
_TRACK_CHARS = 4  # ... that make it rare enough to report its every occurrence


def hyperscan_available() -> bool:
    """Whether the optional native prefilter (``pip install icpkit[native]``) is importable."""
    return _hs is not None


class Hit(NamedTuple):
    """One (pattern, value) match: the unit the reference sums confidence over.

    (A named tuple: dozens are made per page, at a third of a frozen dataclass's cost.)
    """

    tech: str
    field: str
    key: str | None
    pattern: Pattern
    value: str
    match: re.Match[str] | None
    order: tuple[int, int, int, int, int]


@dataclass(frozen=True)
class _Entry:
    tech_idx: int
    field: str
    key: str | None
    pattern: Pattern
    pos: int  # position of the pattern within the technology's field (reference order)


def _inputs(page: Page, fld: str) -> Sequence[str]:
    if fld == "html":
        return (page.html_capped,) if page.html else ()
    if fld == "text":
        return (page.text,) if page.html else ()
    if fld == "css":
        return (page.css_capped,) if page.css else ()
    if fld == "url":
        return (page.url,) if page.url else ()
    if fld == "scriptSrc":
        return page.script_srcs
    if fld == "scripts":
        return page.script_contents
    if fld == "robots":
        return (page.robots,) if page.robots else ()
    raise KeyError(fld)


def _keyed_inputs(page: Page, fld: str) -> Mapping[str, Sequence[str]]:
    if fld == "headers":
        return page.header_values
    if fld == "cookies":
        return page.cookie_values
    if fld == "meta":
        return page.meta_values
    if fld == "dns":
        return page.dns_values
    raise KeyError(fld)


# --- static js approximation ------------------------------------------------------------

_JS_LITERAL = r"""(?:(?P<q>["'`])(?P<s>[^"'`\\\n]{0,200})(?P=q)|(?P<n>-?\d[\d.]*))?"""
_js_cache: dict[str, re.Pattern[str]] = {}


def _js_regex(chain: str) -> re.Pattern[str]:
    rx = _js_cache.get(chain)
    if rx is None:
        esc = re.escape(chain)
        alts = [rf"(?:(?:window|self|globalThis)\.)?{esc}\s*=(?![=>])\s*{_JS_LITERAL}"]
        if _JS_IDENTIFIER.fullmatch(chain):
            alts.append(rf"(?:var|let|const|function|class)\s+{esc}(?![\w$])")
        rx = re.compile(r"(?<![\w$.])(?:" + "|".join(alts) + ")")
        _js_cache[chain] = rx
    return rx


def static_js_values(script_text: str, chain: str) -> tuple[str, ...]:
    """Values a global ``chain`` is statically given in ``script_text`` (empty: not found).

    Case-sensitive like JavaScript. A string or number literal assigned gives its text; any
    other assignment or a declaration gives ``""`` (present, value unknown).
    """
    i = script_text.find(chain)
    if i == -1:
        return ()
    rx = _js_regex(chain)
    declarable = _JS_IDENTIFIER.fullmatch(chain) is not None
    # Every match contains the chain, right after an optional ``window.``-like prefix or a
    # keyword and whitespace; so its possible starts follow from the chain's occurrences,
    # and anchored matches tried there in order give what ``finditer`` gives (it scans every
    # position, with a lookbehind the engine cannot skip ahead on: 10x slower)
    starts: set[int] = set()
    while i != -1:
        for prefix in _JS_PREFIXES:
            if script_text.startswith(prefix, i - len(prefix)) and i >= len(prefix):
                starts.add(i - len(prefix))
        if declarable:
            j = i
            while j > 0 and script_text[j - 1].isspace():
                j -= 1
            if j < i:
                for kw in _JS_KEYWORDS:
                    if j >= len(kw) and script_text.startswith(kw, j - len(kw)):
                        starts.add(j - len(kw))
        i = script_text.find(chain, i + 1)
    out = []
    end = 0
    for start in sorted(starts):
        if start < end:
            continue
        m = rx.match(script_text, start)
        if m is not None:
            out.append(m.group("s") if m.group("s") is not None else (m.group("n") or ""))
            end = m.end()
    return tuple(out)


_JS_PREFIXES = ("", "self.", "window.", "globalThis.")
_JS_KEYWORDS = ("var", "let", "const", "function", "class")
_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


# --- dom selector literals ----------------------------------------------------------------

_SEL_PAREN = re.compile(r":[\w-]+\((?:[^()]|\([^()]*\))*\)")
_IDENT = r"(?:[\w-]|\\[0-9a-fA-F]{1,6}\s?|\\[^\n0-9a-fA-F])+"
_SEL_ATTR_VALUE = re.compile(
    rf"""\[\s*({_IDENT})\s*(?:[~|^$*]?=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|({_IDENT})))?"""
    r"""\s*(?:[iIsS]\s*)?\]"""
)
_SEL_ID_CLASS = re.compile(rf"[#.]({_IDENT})")
_SEL_PSEUDO = re.compile(rf"::?{_IDENT}")
_SEL_TYPE = re.compile(rf"(?:^|[\s>+~])({_IDENT})")
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.S)
_UNSAFE = re.compile(r"[&<>\"'\\\s]|[^\x00-\x7f]")
# Elements the HTML parser can create without their start tag in the source: html/head/body/
# tbody/tr/colgroup are implied, </p> and </br> make p and br, <image> makes img.
_IMPLIED_TAGS = frozenset({"html", "head", "body", "tbody", "tr", "colgroup", "p", "br", "img"})
_COMMON_TAGS = frozenset(
    [
        "a",
        "div",
        "span",
        "script",
        "link",
        "meta",
        "li",
        "ul",
        "ol",
        "section",
        "header",
        "footer",
        "nav",
        "form",
        "input",
        "button",
        "style",
        "title",
        "iframe",
        "noscript",
        "main",
        "article",
        "aside",
        "label",
        "svg",
        "path",
        "i",
        "b",
        "strong",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "table",
        "td",
        "th",
        "option",
        "select",
        "textarea",
        "source",
        "picture",
        "video",
        "small",
    ]
)
_COMMON_ATTRS = frozenset(
    ["class", "id", "href", "src", "content", "name", "rel", "type", "style", "title", "alt"]
)


def _css_unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return "" if m.group(2) == "\n" else m.group(2)

    return _CSS_ESCAPE.sub(one, text) if "\\" in text else text


def _selector_literals(selector: str) -> frozenset[str] | None:
    """Literals (folded) one of which the raw HTML must contain for ``selector`` to select.

    From each selector of a list, the most selective necessary literal: an attribute value
    (or its longest whitespace-free piece), an id or class, an attribute name, or ``<tag``
    for an element the parser never creates on its own. ``None``: no literal is necessary.
    """
    alts: list[str] = []
    for part in _split_selector_list(selector):
        part = _SEL_PAREN.sub(" ", part)  # :not(...), :has(...) etc. prove nothing
        cands: list[tuple[int, str]] = []  # (rank, literal)
        for m in _SEL_ATTR_VALUE.finditer(part):
            name = _css_unescape(m.group(1)).lower()
            cands.append((1 if name in _COMMON_ATTRS else 2, name))
            value = m.group(2) or m.group(3) or m.group(4)
            if value:
                cands += [(3, piece) for piece in _css_unescape(value).split()]
        rest = _SEL_ATTR_VALUE.sub(" ", part)
        cands += [(3, _css_unescape(m.group(1))) for m in _SEL_ID_CLASS.finditer(rest)]
        rest = _SEL_PSEUDO.sub("", _SEL_ID_CLASS.sub("", rest))
        for m in _SEL_TYPE.finditer(rest):
            tag = _css_unescape(m.group(1)).lower()
            if tag not in _IMPLIED_TAGS and tag.isascii() and tag.replace("-", "").isalnum():
                cands.append((1 if tag in _COMMON_TAGS else 2, "<" + tag))
        ok = [
            (rank, lit.lower())
            for rank, lit in cands
            if len(lit) >= 3 and not _UNSAFE.search(lit.lstrip("<") if rank < 3 else lit)
        ]
        if not ok:
            return None
        alts.append(max(ok, key=lambda c: (c[0], len(c[1])))[1])
    return frozenset(alts) if alts else None


class _NgramFilter:
    """Which literals *may* occur in a long text, from the text's byte n-grams, with numpy.

    Every 3- and 4-byte window of the text's UTF-8 is hashed into one bit table; a literal
    may occur when up to four of its own windows (4-byte ones, or its whole self when it has
    3 bytes) are all in the table; shorter ones always may (a table of 2-byte windows would
    cost a third of the time for two or three literals). A literal that occurs always passes,
    so the answer is
    a superset of the literals present: callers treat it as candidates and confirm. It costs
    a few array passes over the text, where Aho-Corasick in Python pays for every
    occurrence of every literal (boilerplate ones occur thousands of times on a page).
    """

    _BITS = 18
    _MULT = 0x9E3779B1

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = list(literals)
        rows, always = [], []
        for i, lit in enumerate(self.literals):
            data = lit.encode("utf-8", "surrogatepass")
            if len(data) < 3:
                always.append(i)
                continue
            grams = self._grams(np.frombuffer(data, dtype=np.uint8))
            grams = grams[min(4, len(data))]  # a short literal: its one whole window
            picks = np.linspace(0, len(grams) - 1, 4).round().astype(np.intp)
            rows.append((i, grams[picks]))
        self._always = [self.literals[i] for i in always]
        self._index = np.array([i for i, _ in rows], dtype=np.intp)
        self._keys = np.stack([g for _, g in rows]) if rows else np.zeros((0, 4), dtype=np.intp)

    @classmethod
    def _grams(cls, data: np.ndarray) -> dict[int, np.ndarray]:
        """A literal's hashed 3- and 4-byte windows, by window length (build time)."""
        d = data.astype(np.int64)
        out: dict[int, np.ndarray] = {}
        x = d.copy()
        for k in (2, 3, 4):
            m = len(d) - k + 1
            if m <= 0:
                break
            x = (x[:m] << 8) | d[k - 1 : k - 1 + m]
            if k >= 3:
                out[k] = cls._hash(x.copy(), k)
        return out

    @classmethod
    def _hash(cls, x: np.ndarray, k: int) -> np.ndarray:
        """Table slots of ``k``-byte windows ``x`` (int64, hashed in place: no allocation)."""
        np.add(x, k << 32, out=x)  # each window length its own domain
        np.multiply(x, cls._MULT, out=x)
        np.right_shift(x, 24, out=x)
        np.bitwise_and(x, (1 << cls._BITS) - 1, out=x)
        return x

    @classmethod
    def _mark(cls, data: np.ndarray, table: np.ndarray) -> None:
        """Set the table slots of every 3- and 4-byte window of ``data``.

        Work arrays are reused per thread: fresh ones of a page's size cost more in page
        faults than the arithmetic itself.
        """
        n = len(data)
        work = getattr(_WORK, "arrays", None)
        if work is None or len(work[0]) < n:
            work = _WORK.arrays = tuple(np.empty(max(n, 1 << 17), np.int64) for _ in range(3))
        d, x, h = (w[:n] for w in work)
        np.copyto(d, data, casting="unsafe")
        x[:] = d
        for k in (2, 3, 4):
            m = n - k + 1
            if m <= 0:
                return
            xs = x[:m]
            np.left_shift(xs, 8, out=xs)
            np.bitwise_or(xs, d[k - 1 : k - 1 + m], out=xs)
            if k < 3:
                continue
            hs = h[:m]
            hs[:] = xs
            table[cls._hash(hs, k)] = True

    def candidates(self, text: str) -> set[str]:
        """Literals that may occur in ``text`` (every literal that does is included)."""
        data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        found = set(self._always)
        if len(data) < 4:
            return found | set(self.literals)  # too short to bother: everything may occur
        table = getattr(_WORK, "table", None)
        if table is None:
            table = _WORK.table = np.zeros(1 << self._BITS, dtype=np.bool_)
        else:
            table.fill(False)  # reused, like the work arrays: no page faults per call
        self._mark(data, table)
        ok = table[self._keys].all(axis=1)
        literals = self.literals
        found.update(literals[i] for i in self._index[ok].tolist())
        return found


_WORK = threading.local()


_NGRAM_MIN_CHARS = 8192
"""Texts at least this long go through :class:`_NgramFilter` rather than Aho-Corasick."""


class _LiteralScan:
    """Which of many literals occur in a folded text: Hyperscan if asked, else Aho-Corasick
    (or, on long texts, the n-gram filter, whose answer may include absent literals).

    ``assumed`` literals are reported present without being looked for: markup that nearly
    every page repeats hundreds of times costs the scan more than it can save (Hyperscan's
    literal matcher confirms each occurrence), and every caller treats the answer as
    "may occur" anyway, confirming with the regex.
    """

    def __init__(
        self,
        literals: Iterable[str],
        native: bool,
        tracked: Iterable[str] = (),
        assumed: Iterable[str] = (),
        caseless: bool = True,
    ) -> None:
        literals = set(literals)
        self.assumed = frozenset(assumed) & literals
        self.literals = sorted(literals - self.assumed)
        self.hs_db = None
        # literals whose every occurrence Hyperscan reports (:meth:`positions`)
        self.tracked: frozenset[str] = frozenset()
        self.automaton = None
        self.ngrams: _NgramFilter | None = None
        if not self.literals:
            return
        if native and _hs is not None and all(lit.isascii() for lit in self.literals):
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            exprs = [_hs_literal(lit).encode() for lit in self.literals]
            self.tracked = frozenset(tracked) & set(self.literals)
            case = _hs.HS_FLAG_CASELESS if caseless else 0
            flag = case | _hs.HS_FLAG_SINGLEMATCH
            db.compile(
                expressions=exprs,
                ids=list(range(len(exprs))),
                elements=len(exprs),
                flags=[case if lit in self.tracked else flag for lit in self.literals],
            )
            self.hs_db = db
        else:
            self.automaton = _automaton({lit: lit for lit in self.literals})
            self.ngrams = _NgramFilter(self.literals)

    def positions(self, image: bytes) -> tuple[set[str], dict[str, list[int]]]:
        """Literals occurring in a text (Hyperscan only, given the text's :func:`.patterns.prefilter_image`),
        and where each tracked one starts.

        The image has one byte per character, so an occurrence ending at byte ``to`` starts at
        character ``to - len(literal)`` of the text.
        """
        assert self.hs_db is not None
        events: list[tuple[int, int]] = []
        self.hs_db.scan(image, match_event_handler=_hs_collect_at, context=events)
        literals, tracked = self.literals, self.tracked
        found: set[str] = set(self.assumed)
        at: dict[str, list[int]] = {}
        for id_, to in events:
            lit = literals[id_]
            found.add(lit)
            if lit in tracked:
                at.setdefault(lit, []).append(to - len(lit))
        for starts in at.values():
            starts.sort()
        return found, at

    def present_folded(self, folded: str, image: bytes) -> set[str]:
        """:meth:`present` of one case-folded text whose image the caller already has."""
        if self.hs_db is None:
            return self.present((folded,))
        ids: list[int] = []
        self.hs_db.scan(image, match_event_handler=_hs_collect, context=ids)
        return set(self.assumed).union(self.literals[i] for i in ids)

    def present(self, texts: Iterable[str]) -> set[str]:
        """Literals occurring in any of ``texts`` (each case-folded by the caller, which
        Hyperscan does not need: it scans caselessly an image with the specials folded).

        Exact with Hyperscan and on short texts, :attr:`assumed` aside; on long texts without
        Hyperscan, a superset (see :class:`_NgramFilter`): every caller uses the answer to
        choose what to confirm.
        """
        found: set[str] = set(self.assumed)
        for text in texts:
            if self.hs_db is not None:
                ids: list[int] = []
                self.hs_db.scan(_presence_bytes(text), match_event_handler=_hs_collect, context=ids)
                found.update(self.literals[i] for i in ids)
            elif self.ngrams is not None and len(text) >= _NGRAM_MIN_CHARS:
                found |= self.ngrams.candidates(text)
            elif self.automaton is not None:
                found.update(lit for _end, lit in self.automaton.iter(text))
        return found


_SPECIALS = tuple(CASE_FOLD_TO_ASCII)


def _presence_bytes(text: str) -> bytes:
    """Bytes in which an ASCII literal occurs (caselessly) wherever ``re.I`` could match it
    in ``text``, for scans that need no positions: the UTF-8 encoding (one C call; a
    non-ASCII character's bytes are all >= 0x80, so they neither hide nor fake an ASCII
    literal), unless ``text`` holds one of the characters ``re.I`` equates with an ASCII
    letter: then the prefilter image, which folds them (~5x slower on non-ASCII text)."""
    if text.isascii():
        return text.encode("ascii")
    if any(c in text for c in _SPECIALS):
        return prefilter_image(text)
    return text.encode("utf-8", "surrogatepass")


def _split_selector_list(selector: str) -> list[str]:
    parts, depth, cur, quote = [], 0, [], ""
    for ch in selector:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


# --- the prefilter bucket -------------------------------------------------------------------


# Boilerplate that occurs on most pages: a literal made of it selects nothing, so the
# automaton prefers a pattern's requirement with the most characters outside it.
_COMMON = re.compile(
    r"powered by|<a href=|<script|<link|<meta|<div|<img|<input|class=|href=|src=|content=|"
    r"name=|type=|https?://|www\.|\.min|\.js|\.css|\.com|text/javascript|[\s<>=\"'/.:-]"
)


# Markup repeated all over a page (lower-case): a literal occurring in it may occur hundreds of
# times, too often to be reported occurrence by occurrence (see ``tracked`` in ``Matcher``).
_REPEATED_MARKUP = (
    '<script type="text/javascript" src="https://www.example.com/assets/js/app.min.js"></script>'
    '<link rel="preload" href="/static/css/main.css"><meta name="description" content="text">'
    '<li class="nav-item menu-item"><a class="nav-link" href="/products/page.html">link</a></li>'
    '<div class="container wrapper content row col-md-6"><span class="icon">text</span></div>'
    '<img src="/images/logo.png" alt="image" width="100" height="100" loading="lazy">'
    '<input type="hidden" name="q" value="1"><option value="1">option</option>'
    '<button type="button" class="btn btn-primary">button</button><p>text</p><br>'
    '<header id="top" role="banner"><nav aria-label="main"><ul><li><a href="/">home</a></li>'
    '</ul></nav></header><section id="main"><h1>title</h1><h2>heading</h2><h3>sub</h3><h4>'
    '<form action="/search" method="get"><label for="q">search</label></form></section><footer>'
    '<svg viewbox="0 0 24 24"><path d="m0"></path></svg><table><tr><td>cell</td></tr></table>'
)
assert _REPEATED_MARKUP.lower() == _REPEATED_MARKUP  # literals are compared with it folded


def _distinctive(literal: str) -> int:
    return len(_COMMON.sub("", literal))


class _Bucket:
    """Entries run over the same values, with a literal (and optional Hyperscan) prefilter.

    Each pattern carries every literal requirement it has (a conjunction of "one of these
    occurs" sets). Its most selective requirement goes in the automaton; when that fires, the
    others are confirmed with substring tests, and only then does the regex run.
    """

    def __init__(
        self, entries: list[_Entry], native: bool, rare_literals_first: bool = False
    ) -> None:
        self.entries = entries
        self.always: list[int] = []
        self.automaton: ahocorasick.Automaton | None = None
        self.hs_db = None
        self.reqs: dict[int, list[frozenset[str]]] = {}
        self._by_literal: dict[str, list[int]] = {}
        # idx -> (max match width, read-ahead, literals one of which every match contains)
        self.windows: dict[int, tuple[int, int | None, tuple[str, ...]]] = {}
        hs_ids: list[int] = []
        hs_exprs: list[bytes] = []
        for idx, entry in enumerate(entries):
            pat = entry.pattern
            if pat.regex is None:
                self.always.append(idx)
                continue
            self._window(idx)
            if native and rare_literals_first and self._rare(idx):
                self._index(idx)  # found by the literal scan, confirmed in windows: cheaper
                continue
            _python, pcre = translate(pat.source, bounded=False)  # superset of either reading
            if native and rare_literals_first and idx in self.windows:
                # literals that are no markup but not rare either (``pure-u-``): a regex led by
                # markup (``<div[^>]+class="[^"]*pure-u-``) costs Hyperscan an NFA start per
                # ``<div``, while the page scan finds the literals for nearly nothing
                lits = self.windows[idx][2]
                if all(
                    _distinctive(x) >= _SIMPLE_CHARS and x not in _REPEATED_MARKUP for x in lits
                ):
                    self._index(idx)
                    continue
            if native and _hs is not None and pcre.isascii() and "(?P=" not in pcre:
                hs_ids.append(idx)
                hs_exprs.append(pcre.encode())
                continue
            self._index(idx)
        if hs_exprs:
            ok, rejected = _compile_hyperscan(hs_exprs, hs_ids)
            self.hs_db = ok
            for idx in rejected:
                self._index(idx)
        self.scan: _LiteralScan | None = None
        self.tracked: frozenset[str] = frozenset()  # literals ``confirm`` may be told starts of
        self._scan_all = False  # the scan reports every requirement's literals, not just one
        self.every_literal: set[str] = set(self._by_literal)
        for reqs in self.reqs.values():
            for r in reqs:
                self.every_literal |= r
        if self._by_literal:
            if native and _hs is not None:
                # Hyperscan finds all literals of all requirements in one pass, so checking
                # a pattern's other requirements is set arithmetic, not substring searches
                self.scan = _LiteralScan(self.every_literal, True)
                self._scan_all = self.scan.hs_db is not None
            else:
                self.scan = _LiteralScan(self._by_literal, False)
            self.automaton = self.scan.automaton
        self.always.sort()

    def _rare(self, idx: int) -> bool:
        """Whether the pattern needs a literal unlikely to be on a page (not boilerplate)."""
        regex = self.entries[idx].pattern.regex
        reqs = required_literal_sets(regex.pattern) if regex is not None else None
        return bool(reqs) and max(min(_distinctive(x) for x in r) for r in reqs) >= _RARE_CHARS

    def _window(self, idx: int) -> None:
        regex = self.entries[idx].pattern.regex
        assert regex is not None
        extent = match_extent(regex.pattern)
        reqs = required_literal_sets(regex.pattern)
        if extent is None or not reqs:
            return
        select = max(reqs, key=lambda r: (min(_distinctive(x) for x in r), -len(r)))
        self.windows[idx] = (extent[0], extent[1], tuple(sorted(select)))

    def confirm(
        self,
        idx: int,
        value: str,
        folded: str | None,
        present: set[str] | None = None,
        at: Mapping[str, list[int]] | None = None,
        image: bytes | None = None,
    ) -> re.Match[str] | None:
        """``regex.search(value)``, searching only near the pattern's literals in long values.

        Every match contains one of the pattern's required literals and spans at most
        ``width`` characters, so it starts at most ``width`` before an occurrence; the engine
        reads at most ``read-ahead`` characters past its end. Occurrences are visited in order
        of the earliest start they allow (found lazily, so a true hit usually costs one
        ``find``), and each is searched with ``pos``/``endpos`` accepting only matches that
        start no later than the occurrence: the first such match is the leftmost match of
        the whole value, with the same groups. ``present`` (literals known to occur) spares
        ``find`` calls for absent ones; ``at`` (every start of the :attr:`tracked` literals)
        spares them all for those. ``image`` (the folded value's, one byte per character) is
        searched instead of ``folded`` when given: a str with a non-ASCII character is
        searched several times slower.
        """
        regex = self.entries[idx].pattern.regex
        assert regex is not None
        info = self.windows.get(idx)
        if info is None or len(value) < WINDOW_MIN_CHARS:
            return regex.search(value)
        if folded is None:
            folded = fold_for_prefilter(value)
        width, reach, lits = info
        hay = image if image is not None and not folded.isascii() else None

        def find(lit: str, start: int = 0) -> int:
            if hay is None:
                return folded.find(lit, start)
            return hay.find(lit.encode("ascii"), start)  # (literals are ASCII)

        heads: list[tuple[int, int, str]] = []  # (earliest match start, occurrence, literal)
        known = at is not None and self.tracked
        for lit in lits:
            if present is not None and lit in self.every_literal and lit not in present:
                continue  # scanned for, absent
            if known and lit in self.tracked:
                starts = at.get(lit)  # type: ignore[union-attr]
                i = starts[0] if starts else -1
            else:
                i = find(lit)
            if i != -1:
                heads.append((i + len(lit) - width, i, lit))
        if not heads:
            return None  # no match can exist: every match contains one of the literals
        heads.sort()
        if reach is None:  # an end anchor: only the start can be bounded
            return regex.search(value, max(0, heads[0][0]))
        n, ahead = len(value), width + reach
        for _ in range(_WINDOW_MAX_OCCURRENCES):
            lo, occ, lit = heads[0]
            m = regex.search(value, max(0, lo), min(n, occ + ahead))
            if m is not None and m.start() <= occ:
                return m
            if known and lit in self.tracked:
                starts = at[lit]  # type: ignore[index]
                k = bisect_right(starts, occ)
                nxt = starts[k] if k < len(starts) else -1
            else:
                nxt = find(lit, occ + 1)
            if nxt == -1:
                heads.pop(0)
                if not heads:
                    return None
            else:
                heads[0] = (nxt + len(lit) - width, nxt, lit)
            heads.sort()
        # many occurrences: every match starting earlier has been ruled out
        return regex.search(value, max(0, heads[0][0]))

    def _index(self, idx: int) -> None:
        regex = self.entries[idx].pattern.regex
        reqs = required_literal_sets(regex.pattern) if regex is not None else None
        if reqs is None:
            self.always.append(idx)
            return
        select = max(reqs, key=lambda r: (min(_distinctive(x) for x in r), -len(r)))
        self.reqs[idx] = [r for r in reqs if r is not select]
        for lit in select:  # the most selective requirement goes in the automaton
            self._by_literal.setdefault(lit, []).append(idx)

    def candidates(
        self,
        value: str,
        folded: str | None = None,
        present: set[str] | None = None,
        image: bytes | None = None,
    ) -> tuple[set[int], str | None]:
        """Entries that may match ``value``, and the folded value if it was computed.

        ``present``: the literals of :attr:`every_literal` that occur in ``value``, when the
        caller has scanned for them already (one pass over the HTML serves several fields);
        ``image``: the value's (or folded value's: the database is caseless) image.
        """
        found: set[int] = set(self.always)
        if self.scan is not None:
            if folded is None:
                folded = fold_for_prefilter(value)
            complete = self._scan_all or present is not None
            if present is not None:
                pass
            elif self.scan.hs_db is None and len(self._by_literal) <= _FEW_LITERALS:
                present = {lit for lit in self._by_literal if lit in folded}  # beats AC
            else:
                present = self.scan.present((folded,))
            by_literal, reqs = self._by_literal, self.reqs
            if complete:
                for lit in present:
                    for idx in by_literal.get(lit, ()):
                        if idx not in found and all(not r.isdisjoint(present) for r in reqs[idx]):
                            found.add(idx)
            else:
                for lit in present:
                    for idx in by_literal[lit]:
                        # the other requirements are confirmed by plain substring tests
                        if idx not in found and all(any(x in folded for x in r) for r in reqs[idx]):
                            found.add(idx)
        if self.hs_db is not None:
            data = image if image is not None else prefilter_image(value)
            hits: list[int] = []
            self.hs_db.scan(data, match_event_handler=_hs_collect, context=hits)
            found.update(hits)
        return found, folded

    def run(
        self,
        matcher: Matcher,
        value: str,
        vi: int,
        allowed: set[int] | None,
        out: list[Hit],
        folded: str | None = None,
        present: set[str] | None = None,
        at: Mapping[str, list[int]] | None = None,
        image: bytes | None = None,
    ) -> None:
        """Append the hits of this bucket's entries on ``value`` (the ``vi``-th input).

        ``at``: where literals of ``tracked`` start in ``value`` (all their occurrences).
        """
        found, folded = self.candidates(value, folded, present, image)
        entries = self.entries
        for idx in found:
            entry = entries[idx]
            if allowed is not None and entry.tech_idx not in allowed:
                continue
            m = None
            if entry.pattern.regex is not None:
                m = self.confirm(idx, value, folded, present, at, image)
                if m is None:
                    continue
            matcher._add(entry, value, m, vi, out)


def _hs_literal(text: str) -> str:
    """``text`` as a Hyperscan expression matching it literally (every character escaped)."""
    return "".join(f"\\x{ord(c):02x}" for c in text)


def _hs_collect(id_: int, _from: int, _to: int, _flags: int, context: list[int]) -> None:
    context.append(id_)


def _hs_collect_at(
    id_: int, _from: int, to: int, _flags: int, context: list[tuple[int, int]]
) -> None:
    context.append((id_, to))


_HS_FLAGS = 0
if _hs is not None:
    _HS_FLAGS = (
        _hs.HS_FLAG_CASELESS
        | _hs.HS_FLAG_SINGLEMATCH
        | _hs.HS_FLAG_PREFILTER
        | _hs.HS_FLAG_ALLOWEMPTY
        | _hs.HS_FLAG_MULTILINE
        | _hs.HS_FLAG_DOTALL
    )


def _compile_hyperscan(exprs: list[bytes], ids: list[int]) -> tuple[object | None, list[int]]:
    """Compile what Hyperscan accepts into one database; bisect to find the rejects."""
    assert _hs is not None

    def attempt(sel: list[int]) -> object | None:
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        try:
            db.compile(
                expressions=[exprs[i] for i in sel],
                ids=[ids[i] for i in sel],
                elements=len(sel),
                flags=[_HS_FLAGS] * len(sel),
            )
        except _hs.error:
            return None
        return db

    def bad(sel: list[int]) -> list[int]:
        if attempt(sel) is not None:
            return []
        if len(sel) == 1:
            return sel
        mid = len(sel) // 2
        return bad(sel[:mid]) + bad(sel[mid:])

    every = list(range(len(exprs)))
    db = attempt(every)
    if db is not None:
        return db, []
    rejected = set(bad(every))
    good = [i for i in every if i not in rejected]
    return (attempt(good) if good else None), [ids[i] for i in sorted(rejected)]


# --- the matcher ------------------------------------------------------------------------------


class Matcher:
    """All patterns of a database compiled for one engine; :meth:`hits` runs them over a page."""

    def __init__(
        self,
        db: FingerprintDB,
        *,
        engine: Literal["fast", "naive"] = "fast",
        native: bool | None = None,
    ) -> None:
        if native and _hs is None:
            from icpkit.errors import FingerprintError

            raise FingerprintError(
                "native=True needs the optional 'hyperscan' package (icpkit[native])"
            )
        self.engine = engine
        self.native = bool(_hs is not None if native is None else native) and engine == "fast"
        self.techs: list[Technology] = list(db.technologies.values())
        self.tech_index = {t.name: i for i, t in enumerate(self.techs)}
        self.list_entries: dict[str, list[_Entry]] = {f: [] for f in _LIST_FIELDS}
        self.keyed_entries: dict[str, dict[str, list[_Entry]]] = {f: {} for f in _KEYED_FIELDS}
        self.dom_rules: list[tuple[int, DomRule, int]] = []
        for ti, tech in enumerate(self.techs):
            for fld, attr in _LIST_FIELDS.items():
                for pos, pat in enumerate(getattr(tech, attr)):
                    self.list_entries[fld].append(_Entry(ti, fld, None, pat, pos))
            for fld, attr in _KEYED_FIELDS.items():
                pos = 0
                for key, pats in getattr(tech, attr).items():
                    for pat in pats:
                        self.keyed_entries[fld].setdefault(key, []).append(
                            _Entry(ti, fld, key, pat, pos)
                        )
                        pos += 1
            for pos, rule in enumerate(tech.dom):
                self.dom_rules.append((ti, rule, pos))
        self._valid_selectors = _valid_selectors({r.selector for _, r, _ in self.dom_rules})
        if engine == "fast":
            # html: its literals come from the page scan for free, so only the patterns that
            # need boilerplate-only literals go through Hyperscan's (slower) regex prefilter
            self._list_buckets = {
                f: _Bucket(e, self.native, rare_literals_first=f == "html")
                for f, e in self.list_entries.items()
                if e
            }
            self._keyed_buckets = {
                f: {k: _Bucket(e, self.native and len(e) > 8) for k, e in keys.items()}
                for f, keys in self.keyed_entries.items()
                if f != "js"
            }
            self._text_reqs = _text_requirements(
                self.list_entries["text"], self.native and _hs is not None
            )
            self._text_single = [
                reqs[0][0] if len(reqs) == 1 and len(reqs[0]) == 1 else None
                for reqs in self._text_reqs or ()
            ]
            # ``\bPost AG\b``: each piece must occur as a whole word, which Hyperscan checks
            # in one scan when pieces alone (``ag``, ``ups``) occur on most pages
            self._text_words: list[bool] = []
            self._text_word_scan: object | None = None
            if self._text_reqs is not None and self.native:
                words = [_word_bounded_pieces(e.pattern) for e in self.list_entries["text"]]
                self._text_words = [w is not None for w in words]
                pieces = sorted({x for w in words for x in w or ()})
                if pieces:
                    self._text_word_scan = _word_scan(pieces)
            chains = list(self.keyed_entries["js"])
            for chain in chains:
                _js_regex(chain)  # compile once, at build time
            # which chains occur in the scripts: Hyperscan scans the image of the text
            # case-sensitively (ASCII kept as is, so every occurrence of a chain is found)
            # at ~1/15 the cost of Aho-Corasick over a str (~30 ns a character)
            self._js_scan = (
                _LiteralScan(chains, True, caseless=False)
                if chains and self.native and all(c.isascii() for c in chains)
                else None
            )
            self._js_auto = (
                _automaton({c: c for c in chains}) if chains and self._js_scan is None else None
            )
            selector_lits: dict[str, list[int]] = {}
            self._dom_always: list[int] = []
            for i, (_ti, rule, _pos) in enumerate(self.dom_rules):
                lits = _selector_literals(rule.selector)
                if lits is None:
                    self._dom_always.append(i)
                else:
                    for lit in lits:
                        selector_lits.setdefault(lit, []).append(i)
            # which of a rule's text/attribute patterns can match at all, from literals: an
            # attribute value is in the source (entities aside); a node's text is a contiguous
            # piece of the document's text nodes joined without separator
            self._dom_text_reqs: list[list[list[frozenset[str]] | None]] = []
            # a dom text pattern's literal requirements, by id: long node texts (whole inline
            # scripts under ``style, script``) are searched only when they meet them
            self._text_req_of: dict[int, list[frozenset[str]]] = {}
            self._dom_attr_reqs: list[list[tuple[str | None, list[list[frozenset[str]] | None]]]]
            self._dom_attr_reqs = []
            html_lits = set(selector_lits)
            text_lits: set[str] = set()
            for _ti, rule, _pos in self.dom_rules:
                text_reqs = [_pattern_reqs(p) for p in rule.text]
                self._dom_text_reqs.append(text_reqs)
                for pat, reqs in zip(rule.text, text_reqs, strict=True):
                    if reqs:
                        self._text_req_of[id(pat)] = reqs
                text_lits.update(x for reqs in text_reqs for r in reqs or () for x in r)
                attr_reqs = []
                for attr, pats in rule.attributes.items():
                    name = attr.lower()
                    name_lit = (
                        name
                        if len(name) >= 3 and name not in _COMMON_ATTRS and name.isascii()
                        else None
                    )
                    reqs_list = [_pattern_reqs(p) for p in pats]
                    attr_reqs.append((name_lit, reqs_list))
                    if name_lit:
                        html_lits.add(name_lit)
                    html_lits.update(x for reqs in reqs_list for r in reqs or () for x in r)
                self._dom_attr_reqs.append(attr_reqs)
            self._dom_lits = selector_lits
            self._dom_text_scan = _LiteralScan(text_lits, self.native)
            gate_lits = html_lits | {
                x for reqs in self._text_reqs or () for req in reqs for alt in req for x in alt
            }
            # the dom and text gates also look in the HTML with references decoded; the html
            # patterns do not, so that second scan looks for the gates' literals only
            self._decoded_scan = _LiteralScan(
                gate_lits, self.native, (), {x for x in gate_lits if x in _REPEATED_MARKUP}
            )
            # which gate literals (and word pieces) contain each ASCII character: only those
            # can appear once references that decode to that character are decoded
            self._gate_by_char: dict[str, list[str]] = {}
            words_scanned = self._text_word_scan[1] if self._text_word_scan else []
            for lit in gate_lits | set(words_scanned):
                for ch in set(lit):
                    self._gate_by_char.setdefault(ch, []).append(lit)
            self._word_pieces = frozenset(words_scanned)
            # a gate literal with one character the usual references spell (``&tag=``) is
            # also looked for spelled with them (``&amp;tag=``): see :meth:`_decoded_extra`
            self._spelled = {
                lit[:i] + ref + lit[i + 1 :]
                for lit in gate_lits
                if lit.isascii() and sum(lit.count(c) for c in _USUAL_REFS) == 1
                for i, c in enumerate(lit)
                if c in _USUAL_REFS
                for ref in _USUAL_REFS[c]
            }
            page_lits = set(gate_lits) | self._spelled
            html_bucket = self._list_buckets.get("html")
            if html_bucket is not None:
                page_lits |= html_bucket.every_literal
            # (the html regex prefilter stays a database of its own: merged with these
            # literals, Hyperscan scanned 2.5x slower than the two apart)
            # the html windows' literals that are not boilerplate: the page scan reports where
            # each occurs, so confirming a candidate never searches the page for the next one
            tracked: set[str] = set()
            if html_bucket is not None and self.native:
                for _w, _r, window_lits in html_bucket.windows.values():
                    tracked.update(
                        x
                        for x in window_lits
                        if _distinctive(x) >= _TRACK_CHARS and x not in _REPEATED_MARKUP
                    )
            self._page_scan = _LiteralScan(
                page_lits, self.native, tracked, {x for x in page_lits if x in _REPEATED_MARKUP}
            )
            if html_bucket is not None:
                html_bucket.tracked = self._page_scan.tracked

    # -- public --------------------------------------------------------------------------

    def hits(self, page: Page, only: Iterable[str] | None = None) -> list[Hit]:
        """Every (pattern, value) match on ``page``, in reference order.

        ``only`` restricts matching to the named technologies (the ``requires`` second pass).
        """
        allowed = (
            None if only is None else {self.tech_index[n] for n in only if n in self.tech_index}
        )
        out: list[Hit] = []
        if self.engine == "naive":
            self._naive(page, allowed, out)
        else:
            self._fast(page, allowed, out)
        out.sort(key=lambda h: h.order)
        return out

    # -- naive ---------------------------------------------------------------------------

    def _naive(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        list_values = {f: _inputs(page, f) for f in _LIST_FIELDS}
        keyed_values = {f: _keyed_inputs(page, f) for f in _KEYED_FIELDS if f != "js"}
        for ti, tech in enumerate(self.techs):
            if allowed is not None and ti not in allowed:
                continue
            for fld, attr in _LIST_FIELDS.items():
                for pos, pat in enumerate(getattr(tech, attr)):
                    for vi, value in enumerate(list_values[fld]):
                        self._try(_Entry(ti, fld, None, pat, pos), value, vi, out)
            for fld, attr in _KEYED_FIELDS.items():
                pos = 0
                for key, pats in getattr(tech, attr).items():
                    values = (
                        self._js_values(page, key)
                        if fld == "js"
                        else keyed_values[fld].get(key, ())
                    )
                    for pat in pats:
                        for vi, value in enumerate(values):
                            self._try(_Entry(ti, fld, key, pat, pos), value, vi, out)
                        pos += 1
            for pos, rule in enumerate(tech.dom):
                self._dom(page, ti, rule, pos, out)

    # -- fast ----------------------------------------------------------------------------

    def _fast(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        for fld, bucket in self._list_buckets.items():
            if fld == "text" and not self._text_may_match(page):
                continue  # spares extracting the visible text (a second parse)
            for vi, value in enumerate(_inputs(page, fld)):
                if fld == "html" and value is page.html:
                    raw, _decoded = self._page_literals(page)
                    at = page.__dict__.get("_icpkit_page_positions", {}).get(id(self))
                    folded, image = _folded_html(page), _folded_image(page)
                    bucket.run(self, value, vi, allowed, out, folded, raw, at, image)
                else:
                    bucket.run(self, value, vi, allowed, out)
        for fld, buckets in self._keyed_buckets.items():
            for key, values in _keyed_inputs(page, fld).items():
                keyed = buckets.get(key)
                if keyed is None:
                    continue
                for vi, value in enumerate(values):
                    keyed.run(self, value, vi, allowed, out)
        self._fast_js(page, allowed, out)
        self._fast_dom(page, allowed, out)

    def _page_literals(self, page: Page) -> tuple[set[str], set[str]]:
        """Literals of the html, dom and text prefilters found in the HTML, and additionally
        (those of the dom and text gates) in the HTML with character references decoded; one
        scan per page serves all three."""
        cached = self._page_scans(page).get(id(self))
        if cached is None:
            folded, image = _folded_html(page), _folded_image(page)
            if self._page_scan.tracked:
                raw, at = self._page_scan.positions(image)
                page.__dict__.setdefault("_icpkit_page_positions", {})[id(self)] = at
            else:
                raw = self._page_scan.present_folded(folded, image)
            decoded = set(raw)
            if "&" in folded:  # entities: literals may occur only once decoded
                decoded |= self._decoded_extra(page, image, raw)
            cached = self._page_scans(page)[id(self)] = (raw, decoded)
        return cached

    def _decoded_extra(self, page: Page, image: bytes, raw: set[str]) -> set[str]:
        """Gate literals found in the HTML with its character references decoded.

        A literal occurrence there that overlaps no decoded reference is in the HTML as it
        is, and the literals are ASCII: so only those containing an ASCII character that one
        of the page's references decodes to can be new. Usually there are none (``&nbsp;``,
        ``&rsquo;``, ``&quot;``) or one (``&tag=`` for ``&amp;``), checked with the reference
        spelled out; only otherwise is the whole page decoded (html.unescape: ~1 µs per
        reference) and scanned. Sets ``_icpkit_words_decoded`` when word pieces may be new.
        """
        produced = _reference_chars(image)
        if produced is not None:
            affected: set[str] = set()
            for ch in produced:
                affected.update(self._gate_by_char.get(ch, ()))
            if not affected:
                return set()
            if len(affected) <= _SPELLED_OUT_MAX and not (affected & self._word_pieces):
                found = set()
                for lit in affected:
                    spots = [i for i, ch in enumerate(lit) if ch in produced]
                    if len(spots) != 1 or not lit.isascii():
                        break
                    i = spots[0]
                    # (searched in the image: bytes search the same characters, and a str
                    # with any non-ASCII character is searched ~5x slower)
                    spellings = [lit, *(lit[:i] + ref + lit[i + 1 :] for ref in produced[lit[i]])]
                    if any(
                        x in raw if x in self._spelled or x == lit else x.encode("ascii") in image
                        for x in spellings
                    ):
                        found.add(lit)
                else:
                    return found
        page.__dict__["_icpkit_words_decoded"] = True
        unescaped, decoded_image = _decoded_html(page)
        return self._decoded_scan.present_folded(unescaped, decoded_image)

    @staticmethod
    def _page_scans(page: Page) -> dict[int, tuple[set[str], set[str]]]:
        """Per-matcher scan results cached on the page (matchers differ in what they scan)."""
        return page.__dict__.setdefault("_icpkit_page_scans", {})

    def _text_may_match(self, page: Page) -> bool:
        """Whether any ``text`` pattern can match, judged on the HTML before extracting text.

        The visible text is text nodes (character references decoded) joined by spaces, with
        whitespace collapsed; so every whitespace-free piece of it occurs in the HTML or in
        the HTML with references decoded. A pattern whose required literals' pieces occur in
        neither cannot match the visible text.
        """
        if self._text_reqs is None or not page.html or len(page.html) > 2 * HTML_MAX_CHARS:
            return True
        _raw, present = self._page_literals(page)
        passing = self._text_passing(present, range(len(self._text_reqs)))
        # (a passing pattern that is not word-bounded opens the gate anyway)
        if (
            passing
            and self._text_word_scan is not None
            and all(self._text_words[i] for i in passing)
        ):
            passing = self._text_passing(self._words_on_page(page), passing)
        may = (self._text_reqs[i] for i in passing)
        if self._page_scan.ngrams is None:
            return next(may, None) is not None  # exact but for assumed markup: rare enough
        # the n-gram filter over-reports; opening the gate costs a text extraction, so the
        # pieces of a pattern that passes are checked for real before it opens
        folded = _folded_html(page)
        unescaped = _decoded_html(page)[0] if "&" in folded else None
        seen: dict[str, bool] = {}

        def occurs(piece: str) -> bool:
            hit = seen.get(piece)
            if hit is None:
                hit = seen[piece] = piece in folded or (
                    unescaped is not None and piece in unescaped
                )
            return hit

        return any(
            all(any(all(occurs(x) for x in alt) for alt in req) for req in reqs) for reqs in may
        )

    def _text_passing(self, found: set[str], among: Iterable[int]) -> list[int]:
        """The ``text`` patterns (of ``among``) whose requirements ``found`` meets."""
        reqs_of, single = self._text_reqs, self._text_single
        assert reqs_of is not None
        out = []
        for i in among:
            pieces = single[i]
            if pieces is not None:  # the usual shape: one literal, a set subset test
                if pieces <= found:
                    out.append(i)
            elif all(any(alt <= found for alt in req) for req in reqs_of[i]):
                out.append(i)
        return out

    def _words_on_page(self, page: Page) -> set[str]:
        """Text pieces occurring as whole words in the HTML or in it with references decoded.

        A piece of the visible text lies in one text node, whose neighbours in the source are
        its own characters or the ``<``/``>`` of tags, so a piece the text has as a word is a
        word in the source too. Hyperscan's ``\\b`` counts only ASCII letters, digits and
        ``_`` as word characters, and the image turns other characters into a non-word byte:
        its answer includes every word Python's ``\\b`` would see (and a few more).
        """
        scan = self._text_word_scan
        assert scan is not None
        images = [_folded_image(page)]
        self._page_literals(page)  # decides whether word pieces may appear once decoded
        if page.__dict__.get("_icpkit_words_decoded"):
            images.append(_decoded_html(page)[1])
        found: set[str] = set()
        pieces = scan[1]  # type: ignore[index]
        for image in images:
            ids: list[int] = []
            scan[0].scan(image, match_event_handler=_hs_collect, context=ids)  # type: ignore[index]
            found.update(pieces[i] for i in ids)
        return found

    def _fast_js(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        js_entries = self.keyed_entries["js"]
        if page.js is not None:
            chains: Iterable[str] = [c for c in page.js if c in js_entries]
        else:
            text = page.all_script_text
            if not text:
                return
            if self._js_scan is not None:
                chains = self._js_scan.present((text,))
            elif self._js_auto is not None:
                chains = {c for _end, c in self._js_auto.iter(text)}
            else:
                return
        for chain in chains:
            values = self._js_values(page, chain)
            for entry in js_entries[chain]:
                if allowed is None or entry.tech_idx in allowed:
                    for vi, value in enumerate(values):
                        self._try(entry, value, vi, out)

    def _fast_dom(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        if not page.html or not self.dom_rules:
            return
        cands = set(self._dom_always)
        _raw, present = self._page_literals(page)
        dom_lits = self._dom_lits
        for lit in dom_lits.keys() & present:
            cands.update(dom_lits[lit])
        in_text: set[str] | None = None

        def may(reqs: list[frozenset[str]] | None, found: set[str]) -> bool:
            return reqs is None or all(not r.isdisjoint(found) for r in reqs)

        for i in sorted(cands):
            ti, rule, pos = self.dom_rules[i]
            if allowed is not None and ti not in allowed:
                continue
            text_pats: Sequence[Pattern] = rule.text
            if rule.text:
                if in_text is None:
                    root = page.tree.root
                    doc = root.text(deep=True, separator="") if root is not None else ""
                    if self._dom_text_scan.hs_db is None:  # (Hyperscan folds case itself)
                        doc = fold_for_prefilter(doc)
                    in_text = self._dom_text_scan.present((doc,))
                text_pats = [
                    p
                    for p, reqs in zip(rule.text, self._dom_text_reqs[i], strict=True)
                    if may(reqs, in_text)
                ]
            attr_pats = {
                attr: (
                    [p for p, reqs in zip(pats, reqs_list, strict=True) if may(reqs, present)]
                    if name_lit is None or name_lit in present
                    else []
                )
                for (attr, pats), (name_lit, reqs_list) in zip(
                    rule.attributes.items(), self._dom_attr_reqs[i], strict=True
                )
            }
            if rule.exists or text_pats or any(attr_pats.values()):
                self._dom(page, ti, rule, pos, out, text_pats, attr_pats)

    # -- shared --------------------------------------------------------------------------

    def _js_values(self, page: Page, chain: str) -> Sequence[str]:
        if page.js is not None:
            given = page.js.get(chain, ())
            return (given,) if isinstance(given, str) else tuple(str(v) for v in given)
        cache = page.__dict__.setdefault("_icpkit_js_cache", {})
        if chain not in cache:
            cache[chain] = static_js_values(page.all_script_text, chain)
        return cache[chain]

    def _add(
        self, entry: _Entry, value: str, m: re.Match[str] | None, vi: int, out: list[Hit]
    ) -> None:
        order = (entry.tech_idx, _RANK[entry.field], entry.pos, 0, vi)
        out.append(
            Hit(
                self.techs[entry.tech_idx].name,
                entry.field,
                entry.key,
                entry.pattern,
                value,
                m,
                order,
            )
        )

    def _try(self, entry: _Entry, value: str, vi: int, out: list[Hit], sub: int = 0) -> None:
        pat = entry.pattern
        m = None
        if pat.regex is not None:
            m = pat.regex.search(value)
            if m is None:
                return
        order = (entry.tech_idx, _RANK[entry.field], entry.pos, sub, vi)
        out.append(
            Hit(self.techs[entry.tech_idx].name, entry.field, entry.key, pat, value, m, order)
        )

    def _dom(
        self,
        page: Page,
        ti: int,
        rule: DomRule,
        pos: int,
        out: list[Hit],
        text: Sequence[Pattern] | None = None,
        attributes: Mapping[str, Sequence[Pattern]] | None = None,
    ) -> None:
        """Run a dom rule; ``text``/``attributes`` narrow it to the patterns that can match."""
        if rule.selector not in self._valid_selectors:
            return
        narrowed = text is not None
        text = rule.text if text is None else text
        attributes = rule.attributes if attributes is None else attributes
        if not text and not any(attributes.values()):  # existence only: stop at the first node
            if page.tree.css_first(rule.selector) is None:
                return
            nodes = []
        else:
            nodes = page.tree.css(rule.selector)
            if not nodes:
                return
            nodes = nodes[:DOM_MAX_NODES]
        for pat in rule.exists:
            self._try(_Entry(ti, "dom", rule.selector, pat, pos), "", 0, out, sub=0)
        if text:
            texts = [n.text(deep=True, separator="").strip() for n in nodes]
            # (fast engine only: the naive one passes no narrowed ``text``)
            reqs_of = self._text_req_of if narrowed else {}
            folded: dict[int, str] = {}
            for pat in text:
                reqs = reqs_of.get(id(pat))
                for vi, value in enumerate(texts):
                    if reqs is not None and len(value) >= WINDOW_MIN_CHARS:
                        low = folded.get(vi)
                        if low is None:
                            low = folded[vi] = fold_for_prefilter(value)
                        if not all(any(x in low for x in req) for req in reqs):
                            continue  # a required literal is missing: the regex cannot match
                    self._try(_Entry(ti, "dom", rule.selector, pat, pos), value, vi, out, sub=1)
        for ai, (attr, pats) in enumerate(attributes.items()):
            if not pats:
                continue
            values = [v for n in nodes if (v := n.attributes.get(attr)) is not None]
            for pat in pats:
                for vi, value in enumerate(values):
                    self._try(
                        _Entry(ti, "dom", rule.selector, pat, pos), value, vi, out, sub=2 + ai
                    )


def _pattern_reqs(pattern: Pattern) -> list[frozenset[str]] | None:
    """A pattern's literal requirements (``None``: it may match anything)."""
    if pattern.regex is None:
        return None
    return required_literal_sets(pattern.regex.pattern)


def _text_requirements(
    entries: list[_Entry], short_pieces: bool
) -> list[list[list[frozenset[str]]]] | None:
    """Literal requirements of the ``text`` patterns, cut into whitespace-free pieces.

    Per pattern, a list of requirements; each is a list of alternatives (one literal each), and
    an alternative is the set of its pieces, all of which must occur. Pieces shorter than 3
    characters are left out unless ``short_pieces`` (Hyperscan: a scan costs the same with
    them; Aho-Corasick would report them everywhere), but a literal's only piece may have 2.
    ``None`` when some pattern has no usable requirement (the text must always be extracted).
    """
    per_pattern: list[list[list[frozenset[str]]]] = []
    for entry in entries:
        reqs = _pattern_reqs(entry.pattern)
        usable = []
        for r in reqs or ():
            alts = []
            for lit in r:
                pieces = lit.split()
                keep = [x for x in pieces if len(x) >= (2 if short_pieces else 3)]
                keep = keep or [x for x in pieces if len(x) >= 2]
                alts.append(frozenset(keep))
            if all(alts):
                usable.append(alts)
        if not usable:
            return None
        per_pattern.append(usable)
    return per_pattern


# a lookbehind after the first boundary only narrows the matches (``\\b(?<!-)UPS\\b``)
_WORD_TEXT = re.compile(r"\\b(?:\(\?<[!=][^()]*\))?((?:[A-Za-z0-9_\-]|\\[.\-]| )+)\\b")


def _word_bounded_pieces(pattern: Pattern) -> frozenset[str] | None:
    """The lower-case whitespace-free pieces of a ``\\bwords\\b`` text pattern, or ``None``.

    Only a pattern that is a literal run between two word boundaries, starting and ending
    with ASCII word characters, qualifies: then every piece of a match is bounded by a word
    boundary or by whitespace in the text (see :meth:`Matcher._words_on_page`).
    """
    regex = pattern.regex
    if regex is None:
        return None
    m = _WORD_TEXT.fullmatch(regex.pattern)
    if m is None:
        return None
    text = m.group(1).replace("\\", "")
    if not (text[:1].isalnum() and text[-1:].isalnum() and text.isascii()):
        return None
    return frozenset(text.lower().split())


def _word_scan(pieces: list[str]) -> tuple[object, list[str]]:
    """A Hyperscan database finding which ``pieces`` occur as whole ASCII words."""
    assert _hs is not None
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    exprs = [f"\\b{_hs_literal(x)}\\b".encode() for x in pieces]
    db.compile(
        expressions=exprs,
        ids=list(range(len(exprs))),
        elements=len(exprs),
        flags=[_hs.HS_FLAG_CASELESS | _hs.HS_FLAG_SINGLEMATCH] * len(exprs),
    )
    return db, pieces


_SPELLED_OUT_MAX = 8  # affected literals checked with their reference spelled out
# the references most pages use for the characters HTML escapes, case-folded
_USUAL_REFS = {
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


def _reference_chars(image: bytes) -> dict[str, list[str]] | None:
    """ASCII characters the page's character references decode to, each with the references
    (case-folded, as they appear in the folded HTML) that give it; ``None`` when a reference
    cannot be judged that way (a name, or a prefix of it, that is an entity name in some
    letter case but not a known reference as read; or non-ASCII characters).

    The references are read lower-cased: no entity that decodes to ASCII has a lower-case
    spelling that is a different entity (a test checks the HTML5 table), and the upper-case
    ones that differ (``&Tab;``) are unknown in lower case, which gives up.
    """
    out: dict[str, list[str]] = {}
    for token in set(_CHARREF.findall(image)):
        decoded = _ascii_reference(token)
        if decoded is None:
            return None
        for ch in decoded:
            ch = CASE_FOLD_TO_ASCII.get(ch, ch)  # (folded, as the literals are: İ is i)
            if ch.isascii():
                out.setdefault(ch.lower(), []).append("&" + token.decode("ascii"))
    return out


def _fold_with_image(text: str) -> tuple[str, bytes]:
    """``fold_for_prefilter(text)`` and its Hyperscan image, from one conversion.

    Every database that scans whole pages is caseless, so the lower-cased image serves them
    all; converting a 100 KiB text with non-ASCII characters costs ~0.1 ms, once.
    """
    image = prefilter_image(text).lower()
    return image.decode("latin-1"), image


def _folded_html(page: Page) -> str:
    """The case-folded HTML, computed once per page (shared by html and dom prefilters)."""
    cached = page.__dict__.get("_icpkit_folded_html")
    if cached is None:
        cached, image = _fold_with_image(page.html)
        page.__dict__["_icpkit_folded_html"] = cached
        page.__dict__["_icpkit_folded_image"] = image
    return cached


def _folded_image(page: Page) -> bytes:
    """The image of :func:`_folded_html`."""
    _folded_html(page)
    return page.__dict__["_icpkit_folded_image"]


def _decoded_html(page: Page) -> tuple[str, bytes]:
    """The HTML with character references decoded, case-folded, and its image; once."""
    cached = page.__dict__.get("_icpkit_decoded_html")
    if cached is None:
        cached = page.__dict__["_icpkit_decoded_html"] = _fold_with_image(unescape(page.html))
    return cached


def _automaton(words: Mapping[str, object]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for word, value in words.items():
        auto.add_word(word, value)
    auto.make_automaton()
    return auto


def _valid_selectors(selectors: Iterable[str]) -> set[str]:
    """Selectors lexbor accepts (the others are skipped; the loader keeps them for linting)."""
    from selectolax.lexbor import LexborHTMLParser

    probe = LexborHTMLParser("<html><body><p></p></body></html>")
    ok = set()
    for sel in selectors:
        try:
            probe.css(sel)
        except Exception:  # lexbor raises several types for bad selectors
            continue
        ok.add(sel)
    return ok


def iter_hits_by_tech(hits: Iterable[Hit]) -> Iterator[tuple[str, list[Hit]]]:
    """Group hits (already in reference order) by technology, keeping order."""
    groups: dict[str, list[Hit]] = {}
    for h in hits:
        groups.setdefault(h.tech, []).append(h)
    yield from groups.items()
