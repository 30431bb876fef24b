"""How sure we are, in one word: the strong / moderate / weak marker on the one-page report.

The page replaces statistics (p-values, odds ratios, intervals) with one plain marker; the
statistics stay in the appendix. The rule, also stated in ``docs/report.md``:

* **strong** — the adjusted p-value (``q_value`` when recorded, else ``p_value``; for criteria
  discovery selected these are already selection-adjusted) is below 0.001, at least
  :data:`MIN_BEST` best customers meet it, and the evidence carries no caveat;
* **moderate** — adjusted p below 0.05 (a strong result with a caveat is moderate);
* **weak** — anything else, including hand-written criteria without recorded evidence.

A segment is judged the same way on its own selection-adjusted p-value and its count of best
customers (a segment has no caveat field).
"""

from __future__ import annotations

from typing import Literal

from icpkit.criteria import Evidence
from icpkit.icp import SegmentEvidence

Confidence = Literal["strong", "moderate", "weak"]

#: Best customers that must meet a criterion before it can be called strong.
MIN_BEST = 30
STRONG_P = 0.001
MODERATE_P = 0.05

#: Sort order, strongest first.
RANK: dict[str, int] = {"strong": 0, "moderate": 1, "weak": 2}


def _level(p: float, n_best: int, caveat: bool) -> Confidence:
    if p < STRONG_P and n_best >= MIN_BEST:
        return "moderate" if caveat else "strong"
    if p < MODERATE_P:
        return "moderate"
    return "weak"


def criterion_confidence(ev: Evidence | None) -> Confidence:
    """The marker for one criterion (see the module docstring for the rule)."""
    if ev is None:
        return "weak"
    p = ev.q_value if ev.q_value is not None else ev.p_value
    return _level(p, ev.n_best, bool(ev.caveat))


def segment_confidence(ev: SegmentEvidence | None) -> Confidence:
    """The marker for a whole segment: its selection-adjusted p and its best customers."""
    if ev is None:
        return "weak"
    return _level(ev.p_value, ev.best, False)


__all__ = [
    "MIN_BEST",
    "MODERATE_P",
    "RANK",
    "STRONG_P",
    "Confidence",
    "criterion_confidence",
    "segment_confidence",
]
