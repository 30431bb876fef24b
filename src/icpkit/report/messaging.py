"""What to say to a segment: messaging pointers that tell a seller something, labelled by source.

Discovery stores the figures that set a segment apart (``segment.value``); repeating them ("stay
71 months vs 25") is the worth section's job, not the pitch. A pointer here turns each kind of
difference into advice: the gain to lead with (in outcome terms), what the accounts run, what
they lack, and when they buy. Each pointer says where it comes from: ``"from the data"`` (the
fitted ICP) or ``"from interviews"`` (customers' own words, issue 14's ``insights``).

Interview themes, once they exist, come first: they carry the customers' "why", which the data
cannot. :func:`messaging_pointers` takes them as ``interview_themes`` (plain theme sentences per
segment id); the interviews module supplies them from the ICP file's ``insights`` section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from icpkit.criteria import Criterion, Operator
from icpkit.icp import ICP, OutcomeComparison, Segment
from icpkit.report.plain import proper

Source = Literal["from the data", "from interviews"]
FROM_DATA: Source = "from the data"
FROM_INTERVIEWS: Source = "from interviews"


@dataclass(frozen=True)
class Pointer:
    """One messaging pointer: a sentence for a seller, and where its substance comes from."""

    text: str
    source: Source


#: Advice per outcome kind, used when the segment does better than everyone else on it. The
#: figures themselves are on the page under "why they are worth it"; these say what to do.
_GAIN_ADVICE = {
    "retention": "Sell the long run: customers like these stay far longer than others, so pitch "
    "multi-year value and the cost of switching later, not a trial discount.",
    "value": "Lead with outcomes worth paying for: they spend well above other customers, so "
    "open with the full package, not the entry price.",
    "expansion": "Plan the second sale on the first call: they grow their use faster than other "
    "customers, so show how the product scales with them.",
    "sales_cycle": "Come with a concrete proposal early: they decide faster than other buyers.",
    "onboarding": "Promise a fast start and show the first-week plan: they get going sooner than "
    "other customers.",
    "support": "Stress that it runs without hand-holding: they need less support than others.",
    "worst customers": "Reassure on fit: accounts like these rarely end up among our problem "
    "customers, so a confident, standard offer works.",
}


def _better(v: OutcomeComparison) -> bool:
    return (v.segment > v.others) == v.higher_is_better and abs(v.segment - v.others) > 1e-9


def relative_difference(v: OutcomeComparison) -> float:
    """How far apart the segment and everyone else are, as a share of the larger figure."""
    return abs(v.segment - v.others) / max(abs(v.others), abs(v.segment), 1e-9)


_relative = relative_difference

#: A difference must be at least this large, relative to the larger side, to be pitched (a
#: pointer) or listed under "why they are worth it": "3% vs 3%" is not a reason.
MIN_RELATIVE_GAIN = 0.25


def real_difference(v: OutcomeComparison) -> bool:
    """Whether a comparison is worth saying: at least :data:`MIN_RELATIVE_GAIN` apart."""
    return relative_difference(v) >= MIN_RELATIVE_GAIN


def _gain_pointers(seg: Segment) -> list[Pointer]:
    """Advice for each outcome the segment clearly does better on, biggest gain first.

    Fewer worst customers is the weakest pitch (it is a filter, not a gain), so it comes last.
    """
    out: list[tuple[float, str]] = []
    for v in seg.value:
        key = v.kind or v.metric
        if key not in _GAIN_ADVICE or not _better(v) or _relative(v) < MIN_RELATIVE_GAIN:
            continue
        out.append((_relative(v), _GAIN_ADVICE[key]))
    out.sort(key=lambda t: (t[1] == _GAIN_ADVICE["worst customers"], -t[0]))
    return [Pointer(text, FROM_DATA) for _, text in out]


def _col(c: Criterion) -> str:
    return c.column.replace("_", " ")


def _trait_pointer(c: Criterion) -> Pointer | None:
    """What the segment runs or lacks, or who it is, as advice."""
    op = c.operator
    if op is Operator.HAS_ANY:
        tools = " or ".join(proper(t, technology=True) for t in c.has_any or ())
        return Pointer(
            f"They run {tools}: open with how we work alongside it and show a customer who "
            "uses both.",
            FROM_DATA,
        )
    if op is Operator.HAS_NONE:
        gap = (
            f"{c.category} tool"
            if c.category
            else " or ".join(proper(t, technology=True) for t in c.has_none or ())
        )
        return Pointer(
            f"They have no {gap}: name the gap and show what filling it changes for them.",
            FROM_DATA,
        )
    if op is Operator.IS and not c.is_:
        return Pointer(
            f"They have no {_col(c)}: speak to what goes missing without it.",
            FROM_DATA,
        )
    return None


def _who_pointer(seg: Segment) -> Pointer | None:
    firmo = [c for c in seg.must if c.operator in (Operator.IN, Operator.BETWEEN, Operator.IS)]
    if not firmo:
        return None
    return Pointer(
        "Bring references from peers just like them: results from similar accounts convince "
        "faster than general claims.",
        FROM_DATA,
    )


def _timing_pointer(icp: ICP) -> Pointer | None:
    if not icp.scoring.timing:
        return None
    best = max(icp.scoring.timing, key=lambda c: c.evidence.lift if c.evidence is not None else 0.0)
    return Pointer(
        f"Time the first call by the strongest buying signal ({best.describe()}): that is "
        "when buying is on the agenda.",
        FROM_DATA,
    )


def messaging_pointers(
    icp: ICP,
    segment: Segment,
    *,
    interview_themes: Mapping[str, Sequence[str]] | None = None,
    limit: int = 3,
) -> list[Pointer]:
    """Up to ``limit`` pointers for one segment, interview themes first, then data-drawn.

    Data-drawn pointers, in order: the segment's biggest outcome gain, what it runs or lacks
    (its technographic must-haves and nice-to-haves), its trigger (the strongest timing
    signal), its next gain, who they are (proof from peers), then any other gain. Duplicates
    are dropped.
    """
    out: list[Pointer] = []
    for theme in (interview_themes or {}).get(segment.id, ()):
        out.append(Pointer(theme, FROM_INTERVIEWS))
    gains = _gain_pointers(segment)
    out += gains[:1]
    for c in [*segment.must, *segment.nice]:
        p = _trait_pointer(c)
        if p is not None:
            out.append(p)
    timing = _timing_pointer(icp)
    if timing is not None:
        out.append(timing)
    out += gains[1:2]
    who = _who_pointer(segment)
    if who is not None:
        out.append(who)
    out += gains[2:]
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.text not in seen:
            seen.add(p.text)
            unique.append(p)
    return unique[:limit]


__all__ = [
    "FROM_DATA",
    "FROM_INTERVIEWS",
    "MIN_RELATIVE_GAIN",
    "Pointer",
    "Source",
    "messaging_pointers",
    "real_difference",
    "relative_difference",
]
