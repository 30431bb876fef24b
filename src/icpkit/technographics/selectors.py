"""Literals a CSS selector needs in the page source (quoted attribute values, #id, .class,
attribute names), and the n-gram and literal scans that use them to skip dom rules.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

import numpy as np

from icpkit.technographics.hits import (
    build_automaton,
    hs_collect,
    hs_collect_at,
    hs_compile,
    hs_literal,
    hyperscan_module,
)
from icpkit.technographics.patterns import (
    CASE_FOLD_TO_ASCII,
    prefilter_image,
)

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

COMMON_ATTRS = frozenset(
    ["class", "id", "href", "src", "content", "name", "rel", "type", "style", "title", "alt"]
)


def _css_unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return "" if m.group(2) == "\n" else m.group(2)

    return _CSS_ESCAPE.sub(one, text) if "\\" in text else text


def selector_literals(selector: str) -> frozenset[str] | None:
    """Literals (folded) one of which the raw HTML must contain for ``selector`` to select.

    From each selector of a list, the most selective necessary literal: an attribute value
    (or its longest whitespace-free piece), an id or class, an attribute name, or ``<tag``
    for an element the parser never creates on its own. ``None``: no literal is necessary.
    """
    reqs = selector_requirements(selector)
    if reqs is None:
        return None
    return frozenset(lead for lead, _needed, _markup in reqs)


def selector_requirements(selector: str) -> list[tuple[str, frozenset[str], frozenset[str]]] | None:
    """Per selector of a list, its most selective necessary literal, *all* its necessary
    literals (folded), and those of them that are markup (``<tag`` and attribute names):
    the selector can select only if the raw HTML (or the HTML with references decoded)
    contains every literal, markup ones in the raw HTML itself (the tokenizer decodes no
    reference in a tag or attribute name). ``None``: some selector of the list needs no
    literal.

    One literal per selector let ``[data-amazon-payments='true']`` through on every page (it
    needs ``true``, and ``data-amazon-payments``); all of them together rule it out.
    """
    out: list[tuple[str, frozenset[str], frozenset[str]]] = []
    for part in _split_selector_list(selector):
        ok = _part_literals(part)
        if not ok:
            return None
        lead = max(ok, key=lambda c: (c[0], len(c[1])))[1]
        markup = frozenset(lit for rank, lit in ok if rank < 3)
        out.append((lead, frozenset(lit for _rank, lit in ok), markup))
    return out or None


def _part_literals(part: str) -> list[tuple[int, str]]:
    """(rank, folded literal) of every literal one compound selector needs in the source;
    rank 3 for values, ids and classes, 2 for rare attribute names and tags, 1 for common."""
    part = _SEL_PAREN.sub(" ", part)  # :not(...), :has(...) etc. prove nothing
    cands: list[tuple[int, str]] = []  # (rank, literal)
    for m in _SEL_ATTR_VALUE.finditer(part):
        name = _css_unescape(m.group(1)).lower()
        cands.append((1 if name in COMMON_ATTRS else 2, name))
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
    return [
        (rank, lit.lower())
        for rank, lit in cands
        if len(lit) >= 3 and not _UNSAFE.search(lit.lstrip("<") if rank < 3 else lit)
    ]


class _NgramFilter:
    """Which literals *may* occur in a long text, from the text's byte n-grams, with numpy.

    Every 3- and 4-byte window of the text's UTF-8 is hashed into one bit table; a literal
    may occur when its own windows (every 4-byte one, up to :attr:`_PICKS` spread over it, or
    its whole self when it has 3 bytes) are all in the table; shorter ones always may. A
    literal that occurs always passes, so the answer is a superset of the literals present:
    callers treat it as candidates and confirm. It costs a few array passes over the text,
    where Aho-Corasick in Python pays for every character and every occurrence of every
    literal (boilerplate ones occur thousands of times on a page).

    On the 181 real pages (4,000-technology DB, ~2,400 literals), four windows a literal in
    a 2^18 table let through a median 157 absent literals a page beside 120 present; every
    window (up to 16) in a 2^20 table, 27, for the same cost: an absent literal whose
    pieces each occur somewhere no longer passes, and fewer windows collide. A 4-byte window
    is read as one little-endian ``uint32`` straight from the bytes (a strided view, no
    shifting of bytes into place), a 3-byte one as its low 24 bits, each hashed
    multiplicatively in ``uint32``: ~2x less work than building the windows in ``int64``.
    """

    _BITS = 20
    _PICKS = 16
    _MULT = (np.uint32(0x85EBCA6B), np.uint32(0x9E3779B1))  # 3-, 4-byte windows

    def __init__(self, literals: Sequence[str], threes: bool = True) -> None:
        self.literals = list(literals)
        # without 3-byte windows (half the marking), 3-byte literals always may occur
        self._threes = threes
        rows, always = [], []
        threes_of: set[str] = set()
        for i, lit in enumerate(self.literals):
            data = lit.encode("utf-8", "surrogatepass")
            if len(data) < (3 if threes else 4):
                always.append(i)
                continue
            if len(data) == 3:
                threes_of.add(lit)
            slots = self._slots(data + b"\0", np.empty((2, len(data) - 2), np.uint32))
            grams = slots[1][:-1] if len(data) >= 4 else slots[0]  # (the pad's window: no)
            picks = np.linspace(0, len(grams) - 1, self._PICKS).round().astype(np.intp)
            rows.append((i, grams[picks]))
        self._always = {self.literals[i] for i in always}
        self._three_byte = threes_of  # (candidates on texts of _THREES_MAX_BYTES or more)
        # what an image (one byte per character) cannot show: a literal with a non-ASCII
        # character, always a candidate there
        self._beyond_image = {lit for lit in self.literals if not lit.isascii()}
        self._index = np.array([i for i, _ in rows], dtype=np.intp)
        self._keys = (
            np.stack([g for _, g in rows]) if rows else np.zeros((0, self._PICKS), dtype=np.intp)
        )

    @classmethod
    def _slots(cls, padded: bytes, out: np.ndarray) -> np.ndarray:
        """Table slots of the 3-byte (``out[0]``) and 4-byte (``out[1]``) windows starting at
        each of the first ``len(padded) - 3`` bytes of ``padded`` (a text and one pad byte:
        so the last 3-byte window is read; its 4-byte one holds the pad, a slot more, which
        a superset allows). ``out``: ``uint32``, shape ``(2, len(padded) - 3)``. The same
        function at build time and on texts."""
        windows = np.ndarray((len(padded) - 3,), dtype="<u4", buffer=padded, strides=(1,))
        three, four = out
        np.bitwise_and(windows, np.uint32(0xFFFFFF), out=three)
        np.multiply(three, cls._MULT[0], out=three)
        np.multiply(windows, cls._MULT[1], out=four)
        np.right_shift(out, 32 - cls._BITS, out=out)
        return out

    def _mark(self, data: bytes, table: np.ndarray, threes: bool) -> None:
        """Set the table slots of every 3- and 4-byte window of ``data`` (4 bytes or more),
        or of every 4-byte one only (``threes`` off: setting slots is most of the cost).

        The work array is reused per thread: a fresh one of a page's size costs more in page
        faults than the arithmetic itself.
        """
        n = len(data) - 2
        work = getattr(_WORK, "slots", None)
        if work is None or work.shape[1] < n:
            work = _WORK.slots = np.empty((2, max(n, 1 << 17)), np.uint32)
        if threes:
            table[self._slots(data + b"\0", work[:, :n])] = True
            return
        four = work[1, : n - 1]  # (as ``_slots`` computes them, without the pad's window)
        windows = np.ndarray((n - 1,), dtype="<u4", buffer=data, strides=(1,))
        np.multiply(windows, self._MULT[1], out=four)
        np.right_shift(four, 32 - self._BITS, out=four)
        table[four] = True

    def candidates(self, text: str | bytes) -> set[str]:
        """Literals that may occur in ``text`` (every literal that does is included).

        ``text`` may be given as its image (:func:`.patterns.prefilter_image`, one byte per
        character, ASCII kept): its ASCII windows are the text's, so no ASCII literal that
        occurs is missed, and the text is not encoded (twice the bytes where it is not ASCII).
        """
        if isinstance(text, bytes):
            data = text
            found = self._always | self._beyond_image
        else:
            data = text.encode("utf-8", "surrogatepass")
            found = set(self._always)
        if len(data) < 4:
            return found | set(self.literals)  # too short to bother: everything may occur
        table = getattr(_WORK, "table", None)
        if table is None:
            table = _WORK.table = np.zeros(1 << self._BITS, dtype=np.bool_)
        else:
            table.fill(False)  # reused, like the work array: no page faults per call
        threes = self._threes and len(data) < _THREES_MAX_BYTES
        if not threes:
            found |= self._three_byte
        self._mark(data, table, threes)
        # one window per literal first, all of them for the few that pass (a tenth or less:
        # a page sets ~1% of the slots): gathering every window of ~3,000 literals cost
        # more than marking a 25 KiB script
        keys = self._keys
        maybe = np.flatnonzero(table[keys[:, 0]])
        ok = maybe[table[keys[maybe]].all(axis=1)]
        literals = self.literals
        found.update(literals[i] for i in self._index[ok].tolist())
        return found


_WORK = threading.local()

_THREES_MAX_BYTES = 1 << 18
"""Texts this long or longer are marked without their 3-byte windows (half the marking of a
1.5 MiB page: ~9 ms): the few 3-byte literals (``all``, ``end``, ``cdn``) are nearly always on
so long a page, and are then candidates without looking."""

_NGRAM_MIN_CHARS = 8192

"""Texts at least this long go through :class:`_NgramFilter` rather than Aho-Corasick."""


class LiteralScan:
    """Which of many literals occur in a folded text: Hyperscan if asked, else Aho-Corasick
    (or, on long texts, the n-gram filter, whose answer may include absent literals).

    ``assumed`` literals are reported present without being looked for: markup that nearly
    every page repeats hundreds of times costs the scan more than it can save (Hyperscan's
    literal matcher confirms each occurrence), and every caller treats the answer as
    "may occur" anyway, confirming with the regex. ``threes=False``: the n-gram filter
    marks no 3-byte windows and reports 3-byte literals as candidates always.
    """

    def __init__(
        self,
        literals: Iterable[str],
        native: bool,
        tracked: Iterable[str] = (),
        assumed: Iterable[str] = (),
        caseless: bool = True,
        threes: bool = True,
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
        if native and hyperscan_module is not None and all(lit.isascii() for lit in self.literals):
            exprs = [hs_literal(lit).encode() for lit in self.literals]
            self.tracked = frozenset(tracked) & set(self.literals)
            case = hyperscan_module.HS_FLAG_CASELESS if caseless else 0
            flag = case | hyperscan_module.HS_FLAG_SINGLEMATCH
            self.hs_db = hs_compile(
                exprs,
                range(len(exprs)),
                [case if lit in self.tracked else flag for lit in self.literals],
            )
        else:
            self.automaton = build_automaton({lit: lit for lit in self.literals})
            self.ngrams = _NgramFilter(self.literals, threes)

    def positions(self, image: bytes) -> tuple[set[str], dict[str, list[int]]]:
        """Literals occurring in a text (Hyperscan only, given the text's :func:`.patterns.prefilter_image`),
        and where each tracked one starts.

        The image has one byte per character, so an occurrence ending at byte ``to`` starts at
        character ``to - len(literal)`` of the text.
        """
        assert self.hs_db is not None
        events: list[tuple[int, int]] = []
        self.hs_db.scan(image, match_event_handler=hs_collect_at, context=events)
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

    def present_folded(self, folded: str | None, image: bytes) -> set[str]:
        """:meth:`present` of one case-folded text given by its image (lower-cased) and, when
        the caller has it, the text itself (``image.decode("latin-1")``, made here if needed).
        The n-gram filter reads the image: no text to encode."""
        if self.hs_db is None:
            if self.ngrams is not None and len(image) >= _NGRAM_MIN_CHARS:
                return self.ngrams.candidates(image) | self.assumed
            return self.present((image.decode("latin-1") if folded is None else folded,))
        ids: list[int] = []
        self.hs_db.scan(image, match_event_handler=hs_collect, context=ids)
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
                self.hs_db.scan(_presence_bytes(text), match_event_handler=hs_collect, context=ids)
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


__all__ = []
