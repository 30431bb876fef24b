"""Tier thresholds and the points model fitted over every candidate trait (the penalty choice is
icpkit.discovery.scorecard's).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from icpkit.criteria import Criterion
from icpkit.discovery.masks import criteria_mask, disqualified_mask, evidence_of
from icpkit.discovery.traits import TraitSet
from icpkit.evidence import TraitStats
from icpkit.icp import (
    ICP,
)
from icpkit.scoring.engine import calibration_rows

#: Tier thresholds as odds relative to the base odds: A twice, B 1.3 times, C 1/1.3 of them, so
#: an account at the base rate is tier C, "average" (see ``icpkit.icp.TIER_WORDS``).
TIER_ODDS = {"A": 2.0, "B": 1.3, "C": 1 / 1.3}

#: Segment bonuses are fitted only from this many qualifying accounts (see fit_weights).
BONUS_MIN_ACCOUNTS = 2000


def tier_thresholds(base_rate: float) -> dict[str, float]:
    """fit_score thresholds of tiers A, B, C for a customer base with this share of best."""
    p = min(max(base_rate, 1e-4), 1 - 1e-4)
    odds = p / (1 - p)
    out: dict[str, float] = {}
    for tier, factor in TIER_ODDS.items():
        o = odds * factor
        out[tier] = round(100.0 * o / (1.0 + o), 1)
    # Rounding must not merge tiers on extreme base rates.
    out["B"] = min(out["B"], out["A"] - 0.1)
    out["C"] = max(min(out["C"], out["B"] - 0.1), 0.0)
    return out


def fit_weights(
    icp: ICP,
    frame: pl.DataFrame,
    best: np.ndarray,
    worst: np.ndarray,
    *,
    traits: TraitSet | None = None,
    stats: TraitStats | None = None,
    random_state: int = 0,
    segment_bonus: bool | None = None,
) -> ICP:
    """Fit the points model behind ``fit_score``; set tiers and the calibration table.

    Every candidate trait (``traits``, all three layers) and each segment's "all musts met" are
    the columns of an L1-regularised logistic regression whose penalty is chosen out of sample
    (:func:`icpkit.discovery.scorecard.fit_points`). Traits with a non-zero weight become
    ``scoring.points``, with their evidence; a segment's fitted interaction is its ``bonus`` and
    its own criteria carry weight 0 (they name the group; the points live in the scorecard).
    Disqualified accounts are decided by rule (fit_score 0); the scorecard is fitted on the
    accounts still in play.

    ``segment_bonus`` also fits each segment's "all musts met" as a column: the interaction
    an additive scorecard cannot express (saas *and* 200–1,000 employees). By default only from
    ``BONUS_MIN_ACCOUNTS`` qualifying accounts: a segment was found on these very accounts, the
    cross-validation inside :func:`~icpkit.discovery.scorecard.fit_points` cannot see that selection, and
    on small bases a spurious segment's bonus out-ranked the honest points (300 accounts: AUC
    0.47 with it, 0.52 without).
    """
    from icpkit.discovery.scorecard import fit_points

    as_of = traits.as_of if traits is not None else None
    qualifying = ~disqualified_mask(frame, icp.disqualifiers, as_of=as_of)
    if segment_bonus is None:
        segment_bonus = int(qualifying.sum()) >= BONUS_MIN_ACCOUNTS
    cand: list[int] = []
    if traits is not None:
        cand = [i for i, k in enumerate(traits.kinds) if k != "group"]
    seg_cols = [
        criteria_mask(frame, list(seg.must), as_of=as_of)
        if seg.must
        else np.zeros(frame.height, bool)
        for seg in icp.segments
    ]
    q_idx, fit_idx, X_fit = _design(
        traits, cand, seg_cols, qualifying, best, segment_bonus, random_state
    )
    # A run whose calibrated search already claimed signal spends none of the gate's share of
    # the 5% on points (see fit_points): the 336-row sample base kept a significant segment
    # (p 0.028) but lost its 13 points to the gate before this.
    claimed = bool(icp.segments or icp.disqualifiers or icp.scoring.timing)
    model = fit_points(
        X_fit,
        best[fit_idx],
        random_state=random_state,
        signal_established=claimed,
        signs=_signs(traits, cand, stats, len(seg_cols) if segment_bonus else 0),
    )
    coef = np.round(model.coef, 3)

    points: list[Criterion] = []
    order = sorted(range(len(cand)), key=lambda j: -abs(coef[j]))
    for j in order:
        if coef[j] == 0 or traits is None:
            continue
        i = cand[j]
        update: dict[str, object] = {"weight": float(coef[j])}
        if stats is not None:
            update["evidence"] = evidence_of(stats, i)
        points.append(traits.criteria[i].model_copy(update=update))
    segs = []
    for k, seg in enumerate(icp.segments):
        segs.append(
            seg.model_copy(
                update={
                    "bonus": float(coef[len(cand) + k]) if segment_bonus else 0.0,
                    "must": [c.model_copy(update={"weight": 0.0}) for c in seg.must],
                    "nice": [c.model_copy(update={"weight": 0.0}) for c in seg.nice],
                }
            )
        )
    y = best[qualifying]
    base = float(y.mean()) if len(y) else float(best.mean())
    intercept, score = _calibrate(traits, cand, seg_cols, coef, q_idx, y)
    scoring = icp.scoring.model_copy(
        update={
            "intercept": intercept,
            "points": points,
            "tiers": tier_thresholds(base),
            "calibration": calibration_rows(score, y, bands=10),
        }
    )
    return icp.model_copy(update={"segments": segs, "scoring": scoring})


def _signs(
    traits: TraitSet | None, cand: list[int], stats: TraitStats | None, n_bonus: int
) -> np.ndarray | None:
    """The sign each scorecard column's weight may take: that of the trait's best share minus
    its worst share, the two figures the points table prints beside the weight (a trait of
    74% of best and 76% of worst must not earn points). Free (NaN) where the two are equal or
    unknown (an "on record" trait holds for every account whose date is known: 100% and
    100%) and for segment bonuses."""
    if stats is None or traits is None:
        return None
    diff = (
        np.asarray(stats.best_share, dtype=np.float64)[cand]
        - np.asarray(stats.worst_share, dtype=np.float64)[cand]
    )
    signs = np.where(np.isfinite(diff) & (diff != 0), np.sign(diff), np.nan)
    return np.concatenate([signs, np.full(n_bonus, np.nan)])


def _design(
    traits: TraitSet | None,
    cand: list[int],
    seg_cols: list[np.ndarray],
    qualifying: np.ndarray,
    best: np.ndarray,
    segment_bonus: bool,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scorecard's inputs: qualifying rows, the rows it is fitted on, and their matrix.

    At most FINAL_ROWS qualifying accounts (a stratified sample): more changes the weights in
    the third decimal and costs minutes and gigabytes. Only the sampled rows of the trait
    matrix are copied.
    """
    from icpkit.discovery.scorecard import FINAL_ROWS, stratified_sample

    q_idx = np.flatnonzero(qualifying)
    fit_idx = q_idx
    if len(q_idx) > FINAL_ROWS:
        fit_idx = q_idx[stratified_sample(best[q_idx], FINAL_ROWS, random_state)]
    parts = [traits.has[fit_idx][:, cand]] if traits is not None and cand else []
    if segment_bonus:
        parts += [m[fit_idx, None] for m in seg_cols]
    X_fit = np.hstack(parts) if parts else np.zeros((len(fit_idx), 0), dtype=bool)
    return q_idx, fit_idx, X_fit


def _calibrate(
    traits: TraitSet | None,
    cand: list[int],
    seg_cols: list[np.ndarray],
    coef: np.ndarray,
    q_idx: np.ndarray,
    y: np.ndarray,
) -> tuple[float, np.ndarray]:
    """The intercept that makes the mean fit score the share of best, and every qualifying
    account's fit score (0-100, one decimal)."""
    from icpkit.discovery.scorecard import solve_intercept

    # Raw points of every qualifying account, column by column over the few non-zero weights
    # (no n × k float copy).
    raw = np.zeros(len(q_idx))
    for j in map(int, np.flatnonzero(coef)):
        col = traits.has[q_idx, cand[j]] if j < len(cand) else seg_cols[j - len(cand)][q_idx]  # type: ignore[union-attr]
        raw += coef[j] * col
    intercept = round(solve_intercept(raw, y.astype(np.float64)), 3) if len(y) else 0.0
    score = np.floor(1000.0 / (1.0 + np.exp(-np.clip(intercept + raw, -40, 40))) + 0.5) / 10.0
    return intercept, score


__all__ = ["BONUS_MIN_ACCOUNTS", "TIER_ODDS", "fit_weights", "tier_thresholds"]
