"""The prefilter bucket: per field, the literals (Aho-Corasick) or Hyperscan database that select
which patterns can match, and the always-run rest.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ahocorasick

from icpkit.technographics.hits import (
    FEW_LITERALS,
    RARE_CHARS,
    SIMPLE_CHARS,
    WINDOW_MAX_OCCURRENCES,
    WINDOW_MIN_CHARS,
    compile_hyperscan,
    hs_collect,
    hyperscan_module,
)
from icpkit.technographics.patterns import (
    fold_for_prefilter,
    match_extent,
    prefilter_image,
    required_literal_sets,
    translate,
)
from icpkit.technographics.selectors import LiteralScan

if TYPE_CHECKING:
    from icpkit.technographics.hits import Hit, MatchEntry
    from icpkit.technographics.matcher import Matcher


# Boilerplate that occurs on most pages: a literal made of it selects nothing, so the
# automaton prefers a pattern's requirement with the most characters outside it.
_COMMON = re.compile(
    r"powered by|<a href=|<script|<link|<meta|<div|<img|<input|class=|href=|src=|content=|"
    r"name=|type=|https?://|www\.|\.min|\.js|\.css|\.com|text/javascript|[\s<>=\"'/.:-]"
)

# Markup repeated all over a page (lower-case): a literal occurring in it may occur hundreds of
# times, too often to be reported occurrence by occurrence (see ``tracked`` in ``Matcher``).
REPEATED_MARKUP = (
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

assert REPEATED_MARKUP.lower() == REPEATED_MARKUP  # literals are compared with it folded


CONJUNCTION_CHARS = 2  # ... that all of a pattern's requirements together must have


def distinctive_chars(literal: str) -> int:
    return len(_COMMON.sub("", literal))


class Bucket:
    """Entries run over the same values, with a literal (and optional Hyperscan) prefilter.

    Each pattern carries every literal requirement it has (a conjunction of "one of these
    occurs" sets). Its most selective requirement goes in the automaton; when that fires, the
    others are confirmed with substring tests, and only then does the regex run.
    """

    def __init__(
        self, entries: list[MatchEntry], native: bool, rare_literals_first: bool = False
    ) -> None:
        self.entries = entries
        self.always: list[int] = []
        self.automaton: ahocorasick.Automaton | None = None
        self.hs_db: Any = None
        self.reqs: dict[int, list[frozenset[str]]] = {}
        self._by_literal: dict[str, list[int]] = {}
        # idx -> (max match width, read-ahead, literals one of which every match contains)
        self.windows: dict[int, tuple[int, int | None, tuple[str, ...]]] = {}
        # idx -> the requirements of a windowed pattern other than its window literals'
        self._others: dict[int, list[tuple[str, ...]]] = {}
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
                    distinctive_chars(x) >= SIMPLE_CHARS and x not in REPEATED_MARKUP for x in lits
                ):
                    self._index(idx)
                    continue
                if self._selective(idx):
                    self._index(idx)
                    continue
            if native and hyperscan_module is not None and pcre.isascii() and "(?P=" not in pcre:
                hs_ids.append(idx)
                hs_exprs.append(pcre.encode())
                continue
            self._index(idx)
        if hs_exprs:
            ok, rejected = compile_hyperscan(hs_exprs, hs_ids)
            self.hs_db = ok
            for idx in rejected:
                self._index(idx)
        self.scan: LiteralScan | None = None
        self.tracked: frozenset[str] = frozenset()  # literals ``confirm`` may be told starts of
        # literals the scan that gives ``confirm`` its ``present`` looked for (absent: none)
        self.scanned: frozenset[str] = frozenset()
        self._scan_all = False  # the scan reports every requirement's literals, not just one
        self.every_literal: set[str] = set(self._by_literal)
        for reqs in self.reqs.values():
            for r in reqs:
                self.every_literal |= r
        if self._by_literal:
            if native and hyperscan_module is not None:
                # Hyperscan finds all literals of all requirements in one pass, so checking
                # a pattern's other requirements is set arithmetic, not substring searches
                self.scan = LiteralScan(self.every_literal, True)
                self._scan_all = self.scan.hs_db is not None
            else:
                self.scan = LiteralScan(self._by_literal, False)
            self.automaton = self.scan.automaton
        self.always.sort()
        # (the page's literals meet the selecting ones at C speed: ~250 a page, a dict look-up
        # each in Python, where a few select)
        self._selecting = frozenset(self._by_literal)

    def _rare(self, idx: int) -> bool:
        """Whether the pattern needs a literal unlikely to be on a page (not boilerplate)."""
        regex = self.entries[idx].pattern.regex
        reqs = required_literal_sets(regex.pattern) if regex is not None else None
        return (
            bool(reqs)
            and max(min(distinctive_chars(x) for x in r) for r in reqs or ()) >= RARE_CHARS
        )

    def _selective(self, idx: int) -> bool:
        """Whether the pattern's requirements *together* rule it out on most pages: their
        characters outside boilerplate (each requirement's weakest string; markup every page
        repeats counts none) add up to :data:`CONJUNCTION_CHARS`. ``<!--`` and ``powered by
        gx`` are weak alone and, on 181 real pages, never both there; ``href=`` and ``://``
        are on every page. Such a pattern is selected by the page scan (all requirements'
        literals found in one pass), not by the html regex prefilter: that database cost a
        whole Hyperscan pass over each page (~0.14 ms of 100 KiB) and, on real pages,
        selected nothing the literals do not."""
        regex = self.entries[idx].pattern.regex
        reqs = required_literal_sets(regex.pattern) if regex is not None else None
        if not reqs:
            return False
        total = sum(
            min(0 if x in REPEATED_MARKUP else distinctive_chars(x) for x in r) for r in reqs
        )
        return total >= CONJUNCTION_CHARS

    def _window(self, idx: int) -> None:
        regex = self.entries[idx].pattern.regex
        assert regex is not None
        extent = match_extent(regex.pattern)
        reqs = required_literal_sets(regex.pattern)
        if extent is None or not reqs:
            return
        select = max(reqs, key=lambda r: (min(distinctive_chars(x) for x in r), -len(r)))
        self.windows[idx] = (extent[0], extent[1], tuple(sorted(select)))
        others = [tuple(sorted(r)) for r in reqs if r is not select]
        if others:
            self._others[idx] = others

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
        judged = self._judged(idx, present, at) if known else []
        searches = skips = 0
        while searches < WINDOW_MAX_OCCURRENCES:
            lo, occ, lit = heads[0]
            if judged and skips < NEAR_MAX_SKIPS and not _near(judged, at, lo, occ + width):  # type: ignore[arg-type]
                skips += 1  # no match can contain this occurrence: as if searched in vain
            else:
                searches += 1
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

    def _judged(
        self, idx: int, present: set[str] | None, at: Mapping[str, list[int]] | None
    ) -> list[tuple[str, ...]]:
        """The pattern's other requirements whose every literal's occurrences are all known:
        tracked (``at`` lists each start) or scanned for and absent (none)."""
        out = []
        tracked, scanned = self.tracked, self.scanned
        for req in self._others.get(idx, ()):
            if all(
                x in tracked or (present is not None and x in scanned and x not in present)
                for x in req
            ):
                out.append(req)
        return out

    def _index(self, idx: int) -> None:
        regex = self.entries[idx].pattern.regex
        reqs = required_literal_sets(regex.pattern) if regex is not None else None
        if reqs is None:
            self.always.append(idx)
            return
        select = max(reqs, key=lambda r: (min(distinctive_chars(x) for x in r), -len(r)))
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
            elif self.scan.hs_db is None and len(self._by_literal) <= FEW_LITERALS:
                present = {lit for lit in self._by_literal if lit in folded}  # beats AC
            else:
                present = self.scan.present((folded,))
            by_literal, reqs = self._by_literal, self.reqs
            if complete:
                for lit in present & self._selecting:
                    for idx in by_literal[lit]:
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
            self.hs_db.scan(data, match_event_handler=hs_collect, context=hits)
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


NEAR_MAX_SKIPS = 1024
"""Occurrences of a window literal ruled out by position (:func:`_near`) per confirmation,
before every further one is searched as if none could be ruled out."""


def _near(judged: list[tuple[str, ...]], at: Mapping[str, list[int]], lo: int, hi: int) -> bool:
    """Whether each requirement of ``judged`` has an occurrence inside ``[lo, hi)``: the
    span of any match containing a window literal's occurrence (it starts no earlier than
    ``lo`` and ends no later than ``hi``), which must hold one literal of every requirement.
    Absent literals have no starts in ``at``."""
    for req in judged:
        for x in req:
            starts = at.get(x)
            if starts:
                k = bisect_left(starts, lo)
                if k < len(starts) and starts[k] + len(x) <= hi:
                    break
        else:
            return False
    return True


__all__ = []
