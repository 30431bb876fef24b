"""Timing signals: dated events whose recency raises the share of best customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from icpkit.criteria import Criterion
from icpkit.discovery.disqualifiers import strongest_per_column
from icpkit.discovery.traits import TraitSet
from icpkit.evidence import TraitStats

if TYPE_CHECKING:
    from icpkit.discovery.config import SearchConfig


#: The longest window a timing signal may have. Timing says when to call: "raised funding in the
#: last 14 years" (a window discovery tries when it measures ages from the scoring date, and which
#: passed on the 2013 Crunchbase export scored today) describes the company, not the moment; such
#: windows stay candidates for points, as firmographic-like age traits.
TIMING_MAX_DAYS = 365


def find_timing(
    ts: TraitSet,
    st: TraitStats,
    best: np.ndarray,
    worst: np.ndarray,
    disq: Sequence[Criterion],
    cfg: SearchConfig,
    rng: np.random.Generator,
) -> list[Criterion]:
    """Recent dated events that raise the share of best customers: in-market signals.

    "Raise" twice over: the odds of best against worst (the interval above 1) and the share of
    best against every account (lift above 1; unlabelled accounts count, as prospects would).

    Only recency windows of at most a year (:data:`TIMING_MAX_DAYS`) on behavioural date columns
    qualify ("funded within 180 days"), never thresholds on money or size; a window most
    accounts fall into says nothing about *when* to call, and a column that already
    disqualifies cannot also be a trigger. Significance is a max-T permutation test over every
    candidate window.
    """
    from icpkit.discovery.significance import TraitZ, trait_max_t

    disq_cols = {c.column for c in disq}
    cand = np.array(
        [
            c.layer == "behavioural"
            and k == "recent"
            and (c.within_days or 0) <= TIMING_MAX_DAYS
            and c.column not in disq_cols
            for c, k in zip(ts.criteria, ts.kinds, strict=True)
        ],
        dtype=bool,
    ) & (np.nan_to_num(st.all_share, nan=1.0) <= cfg.timing_max_share)
    idx = np.flatnonzero(cand)
    if len(idx) == 0:
        return []

    def statistic(tz: TraitZ) -> np.ndarray:
        # Best against worst, and best against every account: on the 2013 Crunchbase export
        # "last funding in the last 180 days" held 6% of best and 1% of worst (closed
        # companies had rarely raised lately) but 17% of all accounts, most still operating:
        # recently funded companies were a third as likely as the average one to be best.
        best_share = np.nan_to_num(tz.best_share, nan=1.0)
        ok = (
            (tz.ci_low > 1.0)
            & (best_share < cfg.timing_max_best_share)
            & (np.nan_to_num(tz.best_share, nan=0.0) > np.nan_to_num(tz.all_share, nan=1.0))
        )
        return np.where(ok, tz.z, -np.inf)

    obs, adj = trait_max_t(
        ts.has[:, idx],
        ts.known[:, idx],
        best,
        worst,
        statistic,
        permutations=cfg.trait_permutations,
        rng=rng,
        stop_after=cfg.stop_after,
    )
    # Decide on the value that is printed, which is never below the raw Fisher p.
    adj = np.maximum(adj, np.nan_to_num(st.p_value[idx], nan=1.0))
    adjusted = np.ones(len(ts))
    adjusted[idx] = adj
    ok = np.zeros(len(ts), dtype=bool)
    ok[idx] = np.isfinite(obs) & (adj <= cfg.alpha * cfg.timing_share)
    how = (
        f"permutation max-T over every candidate recency window ({cfg.trait_permutations} "
        "shuffles of the outcomes)"
    )
    return strongest_per_column(
        ts, st, ok, cfg.max_timing, weighted=True, adjusted=adjusted, adjustment=how
    )


__all__ = []
