"""Criteria evaluated over a prepared frame (met, possible, known) and the evidence a criterion
carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from icpkit.criteria import Criterion, Evidence, Operator
from icpkit.discovery.traits import evaluate
from icpkit.evidence import TraitStats, benjamini_hochberg, trait_stats


def combine_bands(crits: list[Criterion]) -> list[Criterion]:
    """Merge ``≥ a`` and ``< b`` on one column into ``between [a, b)``."""
    out: list[Criterion] = []
    bands: dict[str, list[float | None]] = {}
    layers: dict[str, str | None] = {}
    units: dict[str, str | None] = {}
    for c in crits:
        if c.operator is Operator.BETWEEN:
            lo, hi = c.between or (None, None)
            cur = bands.setdefault(c.column, [None, None])
            if lo is not None:
                cur[0] = lo if cur[0] is None else max(cur[0], lo)
            if hi is not None:
                cur[1] = hi if cur[1] is None else min(cur[1], hi)
            layers[c.column] = c.layer
            units[c.column] = c.unit
        else:
            out.append(c)
    for col, (lo, hi) in bands.items():
        out.append(Criterion(column=col, between=(lo, hi), layer=layers[col], unit=units[col]))
    return out


def possible_mask(
    frame: pl.DataFrame, crits: Sequence[Criterion], *, as_of: date | None = None
) -> np.ndarray:
    """Accounts meeting every criterion or unknown on it (not known to fail any).

    ``as_of`` here and below: the date windows without a reference column run back from, the
    date discovery measured its traits from (default today)."""
    res = frame.select(
        [c.expr(as_of=as_of).fill_null(True).alias(f"c{i}") for i, c in enumerate(crits)]
    )
    return res.select(pl.all_horizontal(pl.all())).to_series().to_numpy().astype(bool)


def criteria_mask(
    frame: pl.DataFrame, crits: Sequence[Criterion], *, as_of: date | None = None
) -> np.ndarray:
    """Accounts meeting every criterion (unknown counts as not met)."""
    if not crits:
        return np.ones(frame.height, dtype=bool)
    res = frame.select(
        [c.expr(as_of=as_of).fill_null(False).alias(f"c{i}") for i, c in enumerate(crits)]
    )
    return res.select(pl.all_horizontal(pl.all())).to_series().to_numpy().astype(bool)


def known_mask(
    frame: pl.DataFrame, crits: Sequence[Criterion], *, as_of: date | None = None
) -> np.ndarray:
    """n × c: whether each criterion can be decided (its inputs are not missing)."""
    res = frame.select(
        [c.expr(as_of=as_of).is_not_null().alias(f"k{i}") for i, c in enumerate(crits)]
    )
    return res.to_numpy().astype(bool)


def adjusted_p(c: Criterion) -> float:
    """A criterion's selection-adjusted p (1 when it has none)."""
    ev = c.evidence
    return float(ev.p_value) if ev is not None and ev.adjustment else 1.0


def with_evidence(
    frame: pl.DataFrame,
    crit: Criterion,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    *,
    adjusted: float | None = None,
    adjustment: str | None = None,
    as_of: date | None = None,
) -> Criterion:
    """Attach evidence for a (possibly refined) criterion.

    With ``adjusted`` (a selection-adjusted p from :mod:`icpkit.discovery.significance`) that value is
    printed as p and q; without it, q is FDR-adjusted with every trait tried. Evidence that
    already carries an adjustment is kept: it was attached where the selection was calibrated.
    """
    if adjusted is None and crit.evidence is not None and crit.evidence.adjustment:
        return crit
    one = evaluate(frame, [crit], as_of=as_of)
    if not one.criteria:
        return crit
    s = trait_stats(one.has, one.known, best, worst)
    if adjusted is not None:
        return crit.model_copy(
            update={"evidence": evidence_of(s, 0, adjusted=adjusted, adjustment=adjustment)}
        )
    q = benjamini_hochberg(np.concatenate([st.p_value, s.p_value]))[-1]
    return crit.model_copy(update={"evidence": evidence_of(s, 0, q)})


def evidence_of(
    s: TraitStats,
    i: int,
    q: float | None = None,
    *,
    adjusted: float | None = None,
    adjustment: str | None = None,
) -> Evidence:
    """Evidence of trait ``i``; with ``adjusted``, p and q are the selection-adjusted p.

    The adjusted value is never below the raw one: a selected criterion cannot be more
    significant than the same test fixed in advance.
    """

    def f(x: float) -> float:
        return float(x) if np.isfinite(x) else 0.0

    raw = float(s.p_value[i])
    if adjusted is not None:
        p = q_value = min(1.0, max(float(adjusted), raw))
        selection: dict[str, object] = {"raw_p_value": raw, "adjustment": adjustment}
    else:
        p, q_value = raw, float(q if q is not None else s.q_value[i])
        selection = {}
    return Evidence(
        best_share=f(s.best_share[i]),
        worst_share=f(s.worst_share[i]),
        all_share=f(s.all_share[i]),
        lift=f(s.lift[i]),
        odds_ratio=f(s.odds_ratio[i]),
        ci_low=f(s.ci_low[i]),
        ci_high=f(s.ci_high[i]),
        p_value=p,
        q_value=q_value,
        n=int(s.n[i]),
        n_best=int(s.n_best[i]),
        n_worst=int(s.n_worst[i]),
        caveat=s.caveat(i),
        **selection,
    )


def disqualified_mask(
    frame: pl.DataFrame, disq: Sequence[Criterion], *, as_of: date | None = None
) -> np.ndarray:
    out = np.zeros(frame.height, dtype=bool)
    for c in disq:
        out |= criteria_mask(frame, [c], as_of=as_of)
    return out


__all__ = []
