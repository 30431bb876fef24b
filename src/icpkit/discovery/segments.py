"""Segments after the search: merging near-duplicates, nice-to-haves, what a segment is worth and
the messaging it suggests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from icpkit.columns.schema import Kind, Schema
from icpkit.criteria import Criterion, Operator
from icpkit.discovery.disqualifiers import strongest_per_column
from icpkit.discovery.masks import adjusted_p, criteria_mask, with_evidence
from icpkit.discovery.traits import TraitSet
from icpkit.evidence import TraitStats
from icpkit.icp import (
    OutcomeComparison,
)
from icpkit.outcomes import Outcomes, higher_is_better

if TYPE_CHECKING:
    from icpkit.discovery.config import SearchConfig
    from icpkit.discovery.search import FoundSegment


def merge_segments(
    frame: pl.DataFrame,
    found: list[FoundSegment],
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    cfg: SearchConfig,
) -> list[FoundSegment]:
    """Merge segments that cover mostly the same accounts or would get the same messaging.

    A merged value set was never tested as such: its evidence is recomputed and its adjusted p
    is the larger of the two it came from, and so is the merged segment's.
    """
    merged: list[FoundSegment] = []
    for fs in found:
        target = None
        for m in merged:
            inter = int((m.cover & fs.cover).sum())
            union = int((m.cover | fs.cover).sum())
            if union and inter / union > cfg.merge_overlap:
                target = m
                break
            if _same_shape(m.criteria, fs.criteria):
                target = m
                break
        if target is None:
            merged.append(fs)
            continue
        if _same_shape(target.criteria, fs.criteria):
            crits = []
            for a in target.criteria:
                b = next(c for c in fs.criteria if c.column == a.column)
                if a.operator is Operator.IN and a.in_ != b.in_:
                    joined = a.model_copy(
                        update={"in_": tuple(sorted({*a.in_, *b.in_})), "evidence": None}  # type: ignore[misc]
                    )
                    adj = max(adjusted_p(a), adjusted_p(b))
                    how = (a.evidence.adjustment if a.evidence else None) or "merged value sets"
                    crits.append(
                        with_evidence(frame, joined, best, worst, st, adjusted=adj, adjustment=how)
                    )
                else:
                    crits.append(a)
            target.criteria = crits
            target.cover = criteria_mask(frame, crits)
            target.p_value = max(target.p_value, fs.p_value)
        # else: overlapping segment adds nothing distinct; keep the first (stronger) one.
    return merged


def _same_shape(a: list[Criterion], b: list[Criterion]) -> bool:
    """Same columns, same non-categorical tests; at most one categorical value set differs."""
    if sorted(c.column for c in a) != sorted(c.column for c in b):
        return False
    differ = 0
    for ca in a:
        cb = next(c for c in b if c.column == ca.column)
        if ca.same_test(cb):
            continue
        if ca.operator is Operator.IN and cb.operator is Operator.IN:
            differ += 1
        else:
            return False
    return differ <= 1


def nice_to_haves(
    ts: TraitSet,
    inside: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    musts: list[Criterion],
    cfg: SearchConfig,
) -> list[Criterion]:
    """Traits that raise the share of best customers within the segment itself."""
    if inside.sum() < 2 * cfg.min_best:
        return []
    must_cols = {c.column for c in musts}
    s = ts.stats(best, worst, rows=inside)  # no copy of the trait matrices
    ok = (
        (s.q_value < 0.05)
        & (s.ci_low > 1.0)
        & (s.lift > 1.05)
        & np.array([c not in must_cols for c in ts.columns], dtype=bool)
    )
    return strongest_per_column(ts, s, ok, cfg.max_nice, weighted=False)


def segment_value(
    frame: pl.DataFrame, schema: Schema, inside: np.ndarray, outcomes: Outcomes
) -> list[OutcomeComparison]:
    out: list[OutcomeComparison] = []
    for c in schema.outcomes:
        if c.name not in frame.columns:
            continue
        s = frame.get_column(c.name)
        if s.dtype.is_numeric() and c.kind is Kind.NUMERIC:
            x = s.cast(pl.Float64).to_numpy()
            a, b = x[inside], x[~inside]
            if np.isnan(a).all() or np.isnan(b).all():
                continue
            out.append(
                OutcomeComparison(
                    metric=c.name,
                    segment=round(float(np.nanmedian(a)), 2),
                    others=round(float(np.nanmedian(b)), 2),
                    unit="median",
                    higher_is_better=higher_is_better(c),
                    kind=str(c.outcome.value) if c.outcome is not None else None,
                )
            )
    for metric, flags, good in (
        ("worst customers", outcomes.worst, False),
        ("best customers", outcomes.best, True),
    ):
        out.append(
            OutcomeComparison(
                metric=metric,
                segment=round(float(flags[inside].mean()), 4),
                others=round(float(flags[~inside].mean()), 4),
                unit="share",
                higher_is_better=good,
                outcome=outcomes.best_rule if good else outcomes.worst_rule,
            )
        )
    return out


def segment_name(musts: list[Criterion]) -> str:
    return "; ".join(c.describe() for c in musts)


def segment_messaging(
    musts: list[Criterion], nice: list[Criterion], value: list[OutcomeComparison]
) -> list[str]:
    """Data-drawn pointers: the outcomes and traits that set the segment apart.

    Outcomes where the segment does better are ordered by relative difference, biggest first.
    """
    scored: list[tuple[float, str]] = []
    for v in value:
        if v.metric == "best customers":
            continue  # true by construction of a segment; says nothing to a buyer
        better = (v.segment > v.others) == v.higher_is_better
        if not better or abs(v.segment - v.others) < 1e-9:
            continue
        rel = abs(v.segment - v.others) / max(abs(v.others), abs(v.segment), 1e-9)
        scored.append((rel, v.phrase()))
    out = [p for _, p in sorted(scored, key=lambda t: -t[0])[:4]]
    for c in nice[:2]:
        out.append(f"best customers here more often have {c.describe()}")
    return out


__all__ = []
