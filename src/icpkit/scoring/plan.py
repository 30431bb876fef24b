"""The scoring plan: an ICP reduced to the arithmetic every engine renders.

Both the polars engine and the SQL compiler walk the same :class:`Plan`, so the order of every
floating-point sum and the spelling of every threshold is defined once; that is what makes the
engines agree to the last bit instead of "approximately".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from icpkit.criteria import Criterion, Operator
from icpkit.icp import ICP

#: The type a criterion's column is read as (categorical text is "category", as columns.Kind has
#: a separate TEXT for free text that is never a trait).
ValueType = Literal["category", "number", "bool", "list", "date"]
#: The warehouses `compile_sql` writes for (here, not in the SQL module, so the CLI can list
#: them without importing sqlglot).
Dialect = Literal["duckdb", "postgres", "snowflake", "bigquery", "spark"]

#: Raw logits are clipped to this range before the logistic: PostgreSQL raises on ``exp``
#: overflow/underflow, and beyond ±40 the score rounds to 0.0 or 100.0 anyway.
RAW_CLIP = 40.0

#: The lowest fit_score a qualified account gets: 0 is kept for disqualified accounts, so a
#: qualified account whose modelled share rounds to 0.0 still ranks above every disqualified one.
MIN_QUALIFIED_FIT = 0.1

#: Reason codes pack two bits per criterion into a signed 64-bit integer: up to 31 criteria.
MAX_CODE_CRITERIA = 31

#: The fit/timing quadrants, in display order: the tier's fit word, and whether in market.
QUADRANTS = (
    "fit + in-market",
    "fit + dormant",
    "average + in-market",
    "average",
    "poor fit + in-market",
    "poor fit",
)

#: The columns every engine appends, in output order.
OUTPUT_COLUMNS = (
    "fit_score",
    "tier",
    "disqualified",
    "disqualified_by",
    "segment",
    "reasons",
    "data_completeness",
    "timing_score",
    "in_market",
    "quadrant",
    "priority",
    "rank",
)

_KIND = {
    Operator.IN: "category",
    Operator.BETWEEN: "number",
    Operator.IS: "bool",
    Operator.HAS_ANY: "list",
    Operator.HAS_NONE: "list",
    Operator.WITHIN_DAYS: "date",
}


def kind_of(criterion: Criterion) -> ValueType:
    """The prepared type a criterion's column must have."""
    return _KIND[criterion.operator]  # type: ignore[return-value]


def weight_of(criterion: Criterion) -> float:
    """A criterion without a weight counts one point (hand-written ICPs)."""
    return 1.0 if criterion.weight is None else float(criterion.weight)


@dataclass(frozen=True)
class SegmentPlan:
    id: str
    name: str
    bonus: float
    must: tuple[int, ...]
    items: tuple[tuple[int, float], ...]  # (test index, weight) for musts then nice-to-haves


@dataclass(frozen=True)
class Plan:
    """The ICP as distinct tests plus the index arithmetic over them."""

    tests: tuple[Criterion, ...]
    roles: tuple[Literal["fit", "disqualifier", "timing"], ...]
    segments: tuple[SegmentPlan, ...]
    points: tuple[tuple[int, float], ...]  # (test index, weight) of scoring.points
    intercept: float
    disqualifiers: tuple[int, ...]
    timing: tuple[tuple[int, float], ...]
    timing_total: float
    tiers: tuple[float, float, float]
    in_market_at: float

    @property
    def packed_codes(self) -> bool:
        """Reason codes are an Int64 when the ICP is small enough, else a string of + - ?."""
        return len(self.tests) <= MAX_CODE_CRITERIA

    def columns(self) -> dict[str, ValueType]:
        """Every column the plan reads with the kind it needs (``before`` columns are dates)."""
        out: dict[str, ValueType] = {}
        for t in self.tests:
            out.setdefault(t.column, kind_of(t))
            if t.before:
                out.setdefault(t.before, "date")
        return out

    def kinds(self) -> dict[tuple[str, ValueType], None]:
        """(column, kind) pairs in first-use order; a column used two ways is prepared twice."""
        out: dict[tuple[str, ValueType], None] = {}
        for t in self.tests:
            out[(t.column, kind_of(t))] = None
            if t.before:
                out[(t.before, "date")] = None
        return out


def bind_reference_dates(icp: ICP, available: Iterable[str]) -> ICP:
    """The ICP with every ``before`` the data lacks dropped, so the scoring date is used.

    Discovery measures "funding within 180 days before the purchase date"; prospects have no
    purchase date yet, and the contract (:mod:`icpkit.icp`) then measures the window back from
    the scoring date. Headers are compared in canonical form ("Close Date" is ``close_date``).
    """
    from icpkit.columns.names import canonical_name

    have = set()
    for name in available:
        have.add(name)
        have.add(canonical_name(name))
    missing = {c.before for c in icp.criteria() if c.before and c.before not in have}
    if not missing:
        return icp

    def unbind(c: Criterion) -> Criterion:
        return c.model_copy(update={"before": None}) if c.before in missing else c

    segments = [
        s.model_copy(
            update={"must": [unbind(c) for c in s.must], "nice": [unbind(c) for c in s.nice]}
        )
        for s in icp.segments
    ]
    scoring = icp.scoring.model_copy(
        update={
            "timing": [unbind(c) for c in icp.scoring.timing],
            "points": [unbind(c) for c in icp.scoring.points],
        }
    )
    return icp.model_copy(
        update={
            "segments": segments,
            "disqualifiers": [unbind(c) for c in icp.disqualifiers],
            "scoring": scoring,
        }
    )


def build_plan(icp: ICP) -> Plan:
    """Distinct tests in first-use order (segments, points, disqualifiers, then timing)."""
    tests: list[Criterion] = []
    roles: list[Literal["fit", "disqualifier", "timing"]] = []
    index: dict[tuple[object, ...], int] = {}

    def idx(c: Criterion, role: Literal["fit", "disqualifier", "timing"]) -> int:
        k = c.key()
        if k not in index:
            index[k] = len(tests)
            tests.append(c)
            roles.append(role)
        return index[k]

    segments = []
    for s in icp.segments:
        must = tuple(idx(c, "fit") for c in s.must)
        items = tuple((idx(c, "fit"), weight_of(c)) for c in [*s.must, *s.nice])
        segments.append(SegmentPlan(s.id, s.name, float(s.bonus), must, items))
    points = tuple((idx(c, "fit"), weight_of(c)) for c in icp.scoring.points)
    disq = tuple(dict.fromkeys(idx(c, "disqualifier") for c in icp.disqualifiers))
    timing = tuple((idx(c, "timing"), weight_of(c)) for c in icp.scoring.timing)
    total = 0.0
    for _, w in timing:
        total += w
    t = icp.scoring.tiers
    return Plan(
        tests=tuple(tests),
        roles=tuple(roles),
        segments=tuple(segments),
        points=points,
        intercept=float(icp.scoring.intercept),
        disqualifiers=disq,
        timing=timing,
        timing_total=total,
        tiers=(float(t["A"]), float(t["B"]), float(t["C"])),
        in_market_at=float(icp.scoring.in_market_at),
    )


def describe(criterion: Criterion) -> str:
    """The text a reason shows for a criterion."""
    return criterion.describe()


__all__ = [
    "MAX_CODE_CRITERIA",
    "MIN_QUALIFIED_FIT",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "RAW_CLIP",
    "Plan",
    "SegmentPlan",
    "ValueType",
    "build_plan",
    "describe",
    "kind_of",
    "weight_of",
]
