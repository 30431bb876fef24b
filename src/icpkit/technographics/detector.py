"""Turn pattern hits into detections with the reference's semantics, plus category facts.

The rules follow Wappalyzer's reference (``wappalyzer.js`` ``resolve``), so results compare with
other tools:

* every (pattern, value) match counts: a technology's confidence is the sum of its matches'
  confidences, capped at 100;
* its version is the longest candidate of at most 15 characters whose leading integer is below
  10000 (the first wins a tie, in reference field order);
* ``excludes`` removes technologies, then ``implies`` adds technologies to a fixpoint, each with
  confidence ``min(parent, tag)`` and the tag's version;
* technologies with ``requires`` / ``requiresCategory`` are held back from the first pass and
  unlocked by what it found (any confidence, like the extension), repeatedly;
* only detections with confidence ≥ ``min_confidence`` (50, like the extension's popup) are
  reported, sorted by category priority (lower first), then name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from icpkit.errors import FingerprintError
from icpkit.technographics.fingerprints import FingerprintDB, Technology, load_fingerprints
from icpkit.technographics.hits import Hit
from icpkit.technographics.matcher import Matcher
from icpkit.technographics.page import Page
from icpkit.technographics.patterns import js_parse_int, resolve_version

__all__ = ["CategoryFact", "Detection", "Detector", "Sighting"]

EXCERPT_CHARS = 120


@dataclass(frozen=True)
class Sighting:
    """Why a technology was detected: the field, key, pattern and an excerpt of the match."""

    field: str
    key: str | None
    pattern: str
    matched: str


@dataclass(frozen=True)
class Detection:
    """A technology found on a page. ``implied_by`` is set when only ``implies`` added it."""

    name: str
    categories: tuple[str, ...]
    confidence: int
    version: str | None
    evidence: tuple[Sighting, ...]
    implied_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryFact:
    """What can be said about one category on one page, with its observability.

    ``fingerprinted`` counts the database's technologies in the category; ``observable`` those
    with at least one pattern in a field whose signal was collected for this page.
    """

    category: str
    detected: tuple[str, ...]
    fingerprinted: int
    observable: int

    def describe(self) -> str:
        """One honest sentence, e.g. "none of the 54 fingerprinted live chat tools detected; …"."""
        cat = self.category.lower()
        tail = f"{self.observable} of them observable from the signals collected"
        if not self.detected:
            return f"none of the {self.fingerprinted} fingerprinted {cat} tools detected; {tail}"
        names = ", ".join(self.detected)
        return f"{names} detected ({len(self.detected)} of the {self.fingerprinted} fingerprinted {cat} tools; {tail})"


@dataclass(slots=True)
class _Resolved:
    tech: Technology
    confidence: int
    version: str
    hits: list[Hit]
    implied_by: tuple[str, ...] = ()


def _better_version(candidate: str, current: str) -> bool:
    if not (len(current) < len(candidate) <= 15):
        return False
    lead = js_parse_int(candidate)
    return (lead or 0) < 10000


class Detector:
    """Detect technologies on pages; patterns are compiled once, at construction.

    ``engine="auto"`` is the fast engine (``"naive"`` runs every pattern, for comparison);
    ``native=None`` uses Hyperscan when it is importable.
    """

    def __init__(
        self,
        db: FingerprintDB | None = None,
        *,
        min_confidence: int = 50,
        engine: Literal["auto", "fast", "naive"] = "auto",
        native: bool | None = None,
    ) -> None:
        if engine not in ("auto", "fast", "naive"):
            raise FingerprintError(f"unknown engine {engine!r}; expected auto, fast or naive")
        self.db = db if db is not None else load_fingerprints()
        self.min_confidence = min_confidence
        self.matcher = Matcher(
            self.db, engine="naive" if engine == "naive" else "fast", native=native
        )
        self._gated = {
            t.name for t in self.db.technologies.values() if t.requires or t.requires_category
        }
        self._by_required: dict[str, list[str]] = {}
        self._by_category: dict[int, list[str]] = {}
        self._names_cache: dict[str, tuple[str, ...]] = {}  # per technology, filled lazily
        self._priority_cache: dict[str, int] = {}
        self._unlocks_cache: dict[str, frozenset[str]] = {}
        for tech in self.db.technologies.values():
            for req in tech.requires:
                self._by_required.setdefault(req, []).append(tech.name)
            for cid in tech.requires_category:
                self._by_category.setdefault(cid, []).append(tech.name)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Picklable as its configuration (bulk jobs detect in worker processes): the
        compiled matcher (Hyperscan databases) is rebuilt on the other side."""
        engine = "naive" if self.matcher.engine == "naive" else "fast"
        return _rebuild_detector, (self.db, self.min_confidence, engine, self.matcher.native)

    # -- detection -------------------------------------------------------------------------

    def detect(self, page: Page) -> list[Detection]:
        """Technologies on ``page`` at confidence ≥ ``min_confidence``."""
        hits = self.matcher.hits(page)  # matching is per technology, so one scan serves all passes
        # a technology's confidence and version depend on its own hits only: summed once,
        # whichever pass lets it in
        sums = self._sums(hits)
        gated = self._gated
        with_hits = sums.keys() & gated
        unlocked_gated: set[str] = set()  # gated technologies unlocked so far (that have hits)
        while True:
            resolved = self._resolve(
                [s for n, s in sums.items() if n not in gated or n in unlocked_gated]
            )
            unlocked: set[str] = set()
            for r in resolved:
                unlocks = self._unlocks(r.tech)
                if unlocks:
                    unlocked |= unlocks
            # unlocking a technology without hits changes nothing: no second pass for it
            new = (unlocked & with_hits) - unlocked_gated
            if not new:
                break
            unlocked_gated |= new
        out = [self._detection(r) for r in resolved if r.confidence >= self.min_confidence]
        return sorted(out, key=lambda d: (self._priority(d.name), d.name))

    def _unlocks(self, tech: Technology) -> frozenset[str]:
        """Gated technologies that ``tech`` unlocks (by name or category), cached."""
        out = self._unlocks_cache.get(tech.name)
        if out is None:
            names = set(self._by_required.get(tech.name, ()))
            for cid in tech.categories:
                names.update(self._by_category.get(cid, ()))
            out = self._unlocks_cache[tech.name] = frozenset(names)
        return out

    def _sums(self, hits: list[Hit]) -> dict[str, _Resolved]:
        """Per technology with hits (in hit order): confidence, best version and its hits."""
        techs = self.db.technologies
        by_name: dict[str, _Resolved] = {}
        for hit in hits:  # already in reference order: technology, field, pattern, value
            r = by_name.get(hit.tech)
            if r is None:
                r = by_name[hit.tech] = _Resolved(techs[hit.tech], 0, "", [])
            r.confidence = min(100, r.confidence + hit.pattern.confidence)
            version = (
                resolve_version(hit.pattern.version, hit.match)
                if hit.match is not None
                else (hit.pattern.version or "")
            )
            if _better_version(version, r.version):
                r.version = version
            r.hits.append(hit)
        return by_name

    def _resolve(self, sums: list[_Resolved]) -> list[_Resolved]:
        """Excludes and implies applied to the technologies with hits (``sums``, not changed:
        the list is copied, its items are only read)."""
        techs = self.db.technologies
        resolved = list(sums)
        # excludes, iterating the live list the way Array.forEach does
        n0 = len(resolved)
        for i in range(n0):
            if i >= len(resolved):
                break
            for name in resolved[i].tech.excludes:
                resolved[:] = [r for r in resolved if r.tech.name != name]
        # implies, to a fixpoint
        present = {r.tech.name for r in resolved}
        done = False
        while resolved and not done:
            done = True
            for r in resolved[: len(resolved)]:
                for imp in r.tech.implies:
                    if imp.name in present or imp.name not in techs:
                        continue
                    resolved.append(
                        _Resolved(
                            techs[imp.name],
                            min(r.confidence, imp.confidence),
                            imp.version or "",
                            [],
                            (r.tech.name,),
                        )
                    )
                    present.add(imp.name)
                    done = False
        return resolved

    def _detection(self, r: _Resolved) -> Detection:
        evidence = []
        for h in r.hits:
            matched = h.match.group(0) if h.match is not None else h.value
            evidence.append(Sighting(h.field, h.key, h.pattern.source, matched[:EXCERPT_CHARS]))
        return Detection(
            name=r.tech.name,
            categories=self._category_names(r.tech),
            confidence=r.confidence,
            version=r.version or None,
            evidence=tuple(evidence),
            implied_by=r.implied_by,
        )

    def _category_names(self, tech: Technology) -> tuple[str, ...]:
        names = self._names_cache.get(tech.name)
        if names is None:
            cats = self.db.categories
            names = tuple(cats[c].name for c in tech.categories if c in cats)
            self._names_cache[tech.name] = names
        return names

    def _priority(self, name: str) -> int:
        prio = self._priority_cache.get(name)
        if prio is None:
            cats = self.db.categories
            prio = self._priority_cache[name] = max(
                (cats[c].priority for c in self.db.technologies[name].categories if c in cats),
                default=0,
            )
        return prio

    # -- category facts ----------------------------------------------------------------------

    def category_facts(
        self, page: Page, detections: list[Detection], categories: Iterable[str] | None = None
    ) -> list[CategoryFact]:
        """For each category (default: all), what was detected and how observable it was."""
        ids = (
            list(self.db.categories)
            if categories is None
            else [self.db.category_id(c) for c in categories]
        )
        signals = _collected_signals(page)
        found = {d.name for d in detections}
        facts = []
        for cid in ids:
            members = [t for t in self.db.technologies.values() if cid in t.categories]
            facts.append(
                CategoryFact(
                    category=self.db.categories[cid].name,
                    detected=tuple(sorted(t.name for t in members if t.name in found)),
                    fingerprinted=len(members),
                    observable=sum(1 for t in members if _observable(t, signals)),
                )
            )
        return facts


def _rebuild_detector(
    db: FingerprintDB, min_confidence: int, engine: Literal["fast", "naive"], native: bool
) -> Detector:
    return Detector(db, min_confidence=min_confidence, engine=engine, native=native)


def _collected_signals(page: Page) -> set[str]:
    """Fields whose signal the page carries (``js`` only when the caller supplied values)."""
    have: set[str] = set()
    if page.url:
        have.add("url")
    if page.html:
        have.update({"html", "text", "script_src", "meta", "dom"})
    if page.script_src is not None:
        have.add("script_src")
    if page.meta is not None:
        have.add("meta")
    for attr, fld in (
        ("scripts", "scripts"),
        ("css", "css"),
        ("headers", "headers"),
        ("cookies", "cookies"),
        ("dns", "dns"),
        ("robots", "robots"),
        ("js", "js"),
    ):
        if getattr(page, attr):
            have.add(fld)
    return have


def _observable(tech: Technology, signals: set[str]) -> bool:
    return any(getattr(tech, fld) for fld in signals)
