"""The criteria table (Layer | Criterion | Ideal fit | Best | Worst | Lift | Evidence) as data.

One source for every rendering: the terminal (rich, in the CLI), Markdown and HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from icpkit.criteria import Criterion, Evidence
from icpkit.icp import ICP, Segment

LAYER_TITLE = {
    "firmographic": "Firmographic",
    "technographic": "Technographic",
    "behavioural": "Behavioural",
}


@dataclass(frozen=True)
class CriteriaRow:
    layer: str
    criterion: str
    ideal_fit: str
    best: str
    worst: str
    lift: str
    evidence: str
    role: str  # must, nice, disqualifier, timing
    caveat: str | None = None


def format_p(p: float) -> str:
    if p < 0.001:
        return "p<0.001"
    if p < 0.01:
        return f"p={p:.3f}"
    return f"p={p:.2f}"


def format_ratio(x: float) -> str:
    """An odds ratio to two significant digits, never in exponent notation: "110", "1,200",
    "0.000014" (``f"{x:.2g}"`` printed "OR 83 [64–1.1e+02]" on the Telco export)."""
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = format(Decimal(f"{x:.2g}"), "f")
    return f"{float(text):,.0f}" if abs(x) >= 1000 else text


def format_evidence(ev: Evidence | None) -> str:
    """One line of evidence. A selection-adjusted p (a refined value set, a band edge, a member
    of a segment: see :class:`~icpkit.criteria.Evidence`) is marked as such beside the raw one:
    "adj. p=1.00 (raw p<0.001), OR 1.7 [1.4–2.1]" reads as what it is, where a bare "p=1.00"
    next to an odds-ratio interval that excludes 1 looked like a contradiction."""
    if ev is None:
        return "no evidence recorded (hand-written)"
    if ev.raw_p_value is not None:
        # q equals the adjusted p here (the adjustment already covers the family); the raw p
        # is shown only where it reads differently.
        adj, raw = format_p(ev.p_value), format_p(ev.raw_p_value)
        parts = [f"adj. {adj}" if adj == raw else f"adj. {adj} (raw {raw})"]
    else:
        parts = [format_p(ev.p_value)]
        if ev.q_value is not None:
            parts.append(f"q={ev.q_value:.2g}" if ev.q_value >= 0.001 else "q<0.001")
    lo, hi = format_ratio(ev.ci_low), format_ratio(ev.ci_high)
    parts.append(f"OR {format_ratio(ev.odds_ratio)} [{lo}–{hi}]")
    parts.append(f"n={ev.n:,}")
    return ", ".join(parts)


def format_given_others(ev: Evidence) -> str | None:
    """What a segment must-have adds to the others (:class:`~icpkit.criteria.GivenOthers`), the
    figure that says why it is in the segment; None for a criterion without it."""
    g = ev.given_others
    if g is None:
        return None
    if g.accounts_without == 0:
        return (
            f"given the other must-haves: all {g.accounts_with:,} accounts meeting them meet "
            "this one too"
        )
    with_ = f"{g.rate_with:.0%}" if g.accounts_with else "–"
    return (
        f"given the other must-haves: {with_} best with it ({g.accounts_with:,} accounts) vs "
        f"{g.rate_without:.0%} without ({g.accounts_without:,})"
    )


def _criterion_name(c: Criterion) -> str:
    return c.column.replace("_", " ").capitalize()


def _row(c: Criterion, role: str, layer: str | None = None) -> CriteriaRow:
    ev = c.evidence
    lay = layer or LAYER_TITLE.get(c.layer or "firmographic", "Firmographic")
    name = _criterion_name(c)
    if role == "nice":
        name += (
            f" (nice-to-have, weight {c.weight:+.2f})"
            if c.weight is not None
            else " (nice-to-have)"
        )
    if role == "timing":
        name = f"Trigger: {name.lower()}"
    if role == "disqualifier":
        name = f"Disqualifier: {name.lower()}"
    lift = "–"
    if ev is not None:
        lift = f"{ev.lift:.2f}x"
    return CriteriaRow(
        layer=lay,
        criterion=name,
        ideal_fit=c.ideal_fit(),
        best=f"{ev.best_share:.0%}" if ev else "–",
        worst=f"{ev.worst_share:.0%}" if ev else "–",
        lift=lift,
        evidence=_evidence_text(ev, role),
        role=role,
        caveat=ev.caveat if ev else None,
    )


def _evidence_text(ev: Evidence | None, role: str) -> str:
    """A must-have leads with what it adds to the others; its own figures follow as such (the
    Best / Worst / Lift columns are its own too)."""
    given = format_given_others(ev) if ev is not None and role == "must" else None
    if given is None:
        return format_evidence(ev)
    return f"{given}; on its own: {format_evidence(ev)}"


def segment_rows(seg: Segment) -> list[CriteriaRow]:
    return [_row(c, "must") for c in seg.must] + [_row(c, "nice") for c in seg.nice]


def criteria_rows(icp: ICP, segment: Segment | None = None) -> list[CriteriaRow]:
    """Rows for one segment (or all), followed by timing triggers and anti-signals."""
    rows: list[CriteriaRow] = []
    for seg in [segment] if segment else icp.segments:
        rows.extend(segment_rows(seg))
    rows.extend(_row(c, "timing", "Behavioural") for c in icp.scoring.timing)
    rows.extend(_row(c, "disqualifier", "Anti-signal") for c in icp.disqualifiers)
    return rows


@dataclass(frozen=True)
class PointsRow:
    """One line of the scorecard: a criterion and the points it adds when met."""

    layer: str
    criterion: str
    ideal_fit: str
    points: str
    best: str
    worst: str


def points_rows(icp: ICP) -> list[PointsRow]:
    """The scorecard (``scoring.points`` and segment bonuses) as text, strongest column first.

    Lines on one column stay together, in the order of their thresholds or windows: the rungs
    of a ladder add up (a company funded a year ago meets "in the last 2 years", "2.5 years"
    and "3 years" alike), which reads at a glance only when they stand side by side. Sorted by
    weight alone, the Crunchbase table put them 1st, 3rd and 6th.
    """
    groups: dict[str, list[Criterion]] = {}
    for c in icp.scoring.points:
        groups.setdefault(c.column, []).append(c)
    blocks: list[tuple[float, list[PointsRow]]] = []
    for seg in icp.segments:
        if seg.bonus:
            row = PointsRow(
                layer="Segment",
                criterion=f"{seg.id}: {seg.name}",
                ideal_fit="every must-have met",
                points=f"{seg.bonus:+.2f}",
                best="–",
                worst="–",
            )
            blocks.append((abs(seg.bonus), [row]))
    for crits in groups.values():
        strongest = max(abs(c.weight or 0.0) for c in crits)
        blocks.append((strongest, [_points_row(c) for c in sorted(crits, key=_rung)]))
    # Strongest block first; ties keep the file's order (segments first).
    blocks.sort(key=lambda t: -t[0])
    return [r for _, rows in blocks for r in rows]


def _rung(c: Criterion) -> tuple[float, float, float]:
    """Where a line stands on its column's ladder: windows by length, bands by their edges,
    other lines (categories, tools) strongest first."""
    if c.within_days is not None:
        return (float(c.within_days), 0.0, 0.0)
    if c.between is not None:
        lo, hi = c.between
        return (
            -math.inf if lo is None else float(lo),
            math.inf if hi is None else float(hi),
            0.0,
        )
    return (0.0, 0.0, -abs(c.weight or 0.0))


def _points_row(c: Criterion) -> PointsRow:
    ev = c.evidence
    return PointsRow(
        layer=LAYER_TITLE.get(c.layer or "firmographic", "Firmographic"),
        criterion=_criterion_name(c),
        ideal_fit=c.ideal_fit(),
        points=f"{(c.weight if c.weight is not None else 1.0):+.2f}",
        best=f"{ev.best_share:.0%}" if ev else "–",
        worst=f"{ev.worst_share:.0%}" if ev else "–",
    )


__all__ = [
    "CriteriaRow",
    "PointsRow",
    "criteria_rows",
    "format_evidence",
    "format_given_others",
    "format_p",
    "points_rows",
    "segment_rows",
]
