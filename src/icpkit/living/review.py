"""Reviewing an ICP against a cohort: per criterion, tier and segment, what converted (the cohort
review behind icp calibrate).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats as _st

from icpkit.columns.schema import Schema
from icpkit.criteria import Criterion, Evidence
from icpkit.discovery.traits import TraitConfig, build_traits
from icpkit.discovery.validation import SELECTED_TIERS
from icpkit.errors import OutcomeError
from icpkit.evidence import SMALL_GROUP, TraitStats, trait_stats, wilson
from icpkit.icp import ICP, CalibrationRow
from icpkit.living.cohort import (
    CHURN_COLUMNS,
    CYCLE_COLUMNS,
    SCORE_BANDS,
    SCORE_COLUMNS,
    VALUE_COLUMNS,
    Cohort,
    load_cohort,
)
from icpkit.scoring.engine import calibration_rows

Role_ = Literal["must", "nice", "disqualifier", "timing", "points"]


@dataclass(frozen=True)
class CriterionResult:
    """How one criterion of the ICP did in the cohort, next to its fit-time evidence."""

    where: str  # segment id, "disqualifiers", "timing" or "points"
    role: Role_
    index: int
    criterion: Criterion
    accounts: int  # cohort accounts meeting it (known values)
    won: int
    lost: int
    known: int
    win_rate: float  # among accounts meeting it
    win_rate_low: float
    win_rate_high: float
    win_rate_without: float  # among accounts known not to meet it
    lift: float  # win rate when met / overall win rate
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    fit_lift: float | None
    fit_odds_ratio: float | None
    change_p: float | None  # test that the odds ratio changed since the fit
    discriminates: bool
    caveat: str | None

    @property
    def label(self) -> str:
        return self.criterion.describe()

    @property
    def judged(self) -> bool:
        """Whether the cohort can say anything about this criterion: at least ``SMALL_GROUP``
        known accounts meet it and as many are known not to. With fewer (none at all, on the
        Crunchbase export's later years for "founded before 2000"), a test that finds no
        difference is no evidence that the criterion stopped working."""
        return self.accounts >= SMALL_GROUP and self.known - self.accounts >= SMALL_GROUP

    @property
    def verdict(self) -> str | None:
        """The word a reader gets: None when it discriminates as it should."""
        if not self.judged:
            return "too few accounts to judge"
        return None if self.discriminates else "did not discriminate"


@dataclass(frozen=True)
class GroupResult:
    """Win rate of a group of accounts (a tier or a segment)."""

    name: str
    accounts: int
    won: int
    win_rate: float
    low: float
    high: float
    lift: float
    caveat: str | None = None


@dataclass(frozen=True)
class IgnoredTrait:
    """A trait outside the ICP that the winners the ICP missed share."""

    criterion: Criterion
    evidence: Evidence
    win_rate: float
    share_of_missed_wins: float


@dataclass
class CohortReview:
    """Everything :func:`review_cohort` measured; :func:`propose` reads it."""

    icp_version: int
    cohort: str
    accounts: int
    won: int
    lost: int
    win_rate: float
    score_source: str
    criteria: list[CriterionResult]
    tiers: list[GroupResult]
    segments: list[GroupResult]
    calibration: list[CalibrationRow]
    calibration_gap: float | None  # mean |predicted - observed| weighted by accounts
    tiers_ordered: bool  # no tier converts significantly better than the one above it
    ignored: list[IgnoredTrait]
    outcome_values: dict[str, dict[str, float]]
    selected_recall: float  # share of wins the ICP selected (tiers A/B, not disqualified)
    notes: list[str] = field(default_factory=list)
    # per account, for charts: fit_score and won
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def tier_inversions(self) -> list[tuple[GroupResult, GroupResult]]:
        """(tier, the tier above it) wherever the lower tier converted better: what "not in
        order" means here (see :func:`tier_inversions`)."""
        return tier_inversions(self.tiers)

    @property
    def not_discriminating(self) -> list[CriterionResult]:
        """Criteria the cohort could judge and that did not set winners apart."""
        return [r for r in self.criteria if r.judged and not r.discriminates]

    @property
    def unjudged(self) -> list[CriterionResult]:
        """Criteria too few cohort accounts meet (or fail) for any verdict."""
        return [r for r in self.criteria if not r.judged]


#: A lower tier converting better than the one above it is called an inversion only at this
#: one-sided Fisher p-value: on the Telco export "C 92% above B 92%" (68 of 74 against 33 of
#: 36) was reported as tiers out of order.
INVERSION_ALPHA = 0.05


def tier_inversions(tiers: Sequence[GroupResult]) -> list[tuple[GroupResult, GroupResult]]:
    """(tier, the tier above it) wherever the lower tier converted significantly better
    (one-sided Fisher exact test at ``INVERSION_ALPHA``), among tiers of 10 accounts or more."""
    big = [t for t in tiers if t.accounts >= 10]
    out = []
    for hi, lo in itertools.pairwise(big):
        if lo.win_rate <= hi.win_rate:
            continue
        table = [[lo.won, lo.accounts - lo.won], [hi.won, hi.accounts - hi.won]]
        if _st.fisher_exact(table, alternative="greater").pvalue < INVERSION_ALPHA:
            out.append((lo, hi))
    return out


def _criteria_of(icp: ICP) -> list[tuple[str, Role_, int, Criterion]]:
    out: list[tuple[str, Role_, int, Criterion]] = []
    for s in icp.segments:
        out += [(s.id, "must", i, c) for i, c in enumerate(s.must)]
        out += [(s.id, "nice", i, c) for i, c in enumerate(s.nice)]
    out += [("disqualifiers", "disqualifier", i, c) for i, c in enumerate(icp.disqualifiers)]
    out += [("timing", "timing", i, c) for i, c in enumerate(icp.scoring.timing)]
    # The points table is what fit_score adds up: a review without it would judge the segments
    # and leave unseen most of what ranks the accounts.
    out += [("points", "points", i, c) for i, c in enumerate(icp.scoring.points) if c.weight]
    return out


def _log_se(ev: Evidence) -> float | None:
    if ev.ci_low <= 0 or ev.ci_high <= 0 or ev.ci_high >= 1e6:
        return None
    return (math.log(ev.ci_high) - math.log(ev.ci_low)) / (2 * 1.96)


def _masks(frame: pl.DataFrame, crits: Sequence[Criterion], as_of: date | None) -> np.ndarray:
    """n × k three-valued evaluation as two bool matrices stacked: (met, known)."""
    if not crits:
        z = np.zeros((frame.height, 0), dtype=bool)
        return np.stack([z, z])
    # The scoring rule (icpkit.scoring.plan.bind_reference_dates): a window measured back from
    # a reference date the data lacks is measured back from the scoring date instead.
    crits = [
        c.model_copy(update={"before": None}) if c.before and c.before not in frame.columns else c
        for c in crits
    ]
    res = frame.select(c.expr(as_of=as_of).alias(f"c{i}") for i, c in enumerate(crits))
    met = res.select(pl.all().fill_null(False)).to_numpy().astype(bool)
    known = res.select(pl.all().is_not_null()).to_numpy().astype(bool)
    return np.stack([met, known])


def _fmt_caveat(st: TraitStats, i: int, won_label: str = "won") -> str | None:
    c = st.caveat(i)
    if c is None:
        return None
    return c.replace("best or worst", f"{won_label} or lost").replace("best", "won")


def review_cohort(
    icp: ICP,
    outcomes: pl.DataFrame | Cohort,
    *,
    accounts: pl.DataFrame | None = None,
    outcome_column: str | None = None,
    cohort: str | None = None,
    file: str | None = None,
    accounts_file: str | None = None,
    as_of: date | None = None,
    alpha: float = 0.01,
) -> CohortReview:
    """Evaluate the ICP on a cohort of won/lost deals (see the module docstring)."""
    co = (
        outcomes
        if isinstance(outcomes, Cohort)
        else load_cohort(
            icp,
            outcomes,
            accounts=accounts,
            outcome_column=outcome_column,
            file=file,
            accounts_file=accounts_file,
            as_of=as_of,
        )
    )
    won = co.won
    n = co.n
    n_won = int(won.sum())
    if n_won == 0 or n_won == n:
        raise OutcomeError(
            f"the cohort has {n_won} won and {n - n_won} lost deals; calibration needs both",
            file=file,
        )
    base = n_won / n
    tiers = [_group(t, co.tier == t, won, base) for t in ("A", "B", "C", "D")]
    seg_masks = _segment_masks(icp, co.frame, as_of)
    segments = [_group(s.id, m, won, base) for s, m in zip(icp.segments, seg_masks, strict=True)]
    if seg_masks:
        outside = ~np.logical_or.reduce(seg_masks)
        segments.append(_group("no segment", outside, won, base))
    bands = calibration_rows(co.fit_score, won, edges=SCORE_BANDS)
    tot = sum(b.accounts for b in bands)
    selected = np.isin(co.tier, SELECTED_TIERS) & ~co.disqualified
    return CohortReview(
        icp_version=icp.version,
        cohort=cohort or (file or "cohort"),
        accounts=n,
        won=n_won,
        lost=n - n_won,
        win_rate=base,
        score_source=co.score_source,
        criteria=_criterion_results(icp, co, as_of),
        tiers=tiers,
        segments=segments,
        calibration=bands,
        calibration_gap=(
            sum(abs(b.predicted - b.observed) * b.accounts for b in bands) / tot if tot else None
        ),
        tiers_ordered=not tier_inversions(tiers),
        ignored=_ignored_traits(icp, co, seg_masks, alpha=alpha),
        outcome_values=_outcome_values(co),
        selected_recall=float((selected & won).sum() / max(n_won, 1)),
        notes=_review_notes(co, n_won),
        scores=co.fit_score,
        outcomes=won,
    )


def _review_notes(co: Cohort, n_won: int) -> list[str]:
    """The cohort's own notes, plus where the scores came from and a small-cohort warning."""
    notes = list(co.notes)
    if co.score_source == "re-scored":
        notes.append("scores recomputed with the current ICP (the file had no fit_score/tier)")
    if n_won < SMALL_GROUP or co.n - n_won < SMALL_GROUP:
        notes.append(
            f"small cohort ({n_won} won, {co.n - n_won} lost): intervals are wide and no change "
            "should be made on this cohort alone"
        )
    return notes


def _criterion_results(icp: ICP, co: Cohort, as_of: date | None) -> list[CriterionResult]:
    """Every criterion of the ICP evaluated on the cohort, one vectorised pass for all."""
    items = _criteria_of(icp)
    mk = _masks(co.frame, [c for *_, c in items], as_of)
    st = trait_stats(mk[0], mk[1], co.won, ~co.won)
    return [
        _criterion_result(st, i, where, role, idx, c)
        for i, (where, role, idx, c) in enumerate(items)
    ]


def _change_p(st: TraitStats, i: int, fit_ev: Evidence | None) -> float | None:
    """Two-sided p-value that the cohort's odds ratio differs from the one the ICP was fitted
    with (a z-test on the log odds ratios), or None when either lacks a standard error."""
    if fit_ev is None:
        return None
    se_f = _log_se(fit_ev)
    se_c = _cohort_log_se(st, i)
    if se_f is None or se_c is None or fit_ev.odds_ratio <= 0:
        return None
    z = (math.log(st.odds_ratio[i]) - math.log(fit_ev.odds_ratio)) / math.hypot(se_f, se_c)
    return float(2 * _st.norm.sf(abs(z)))


def _criterion_result(
    st: TraitStats, i: int, where: str, role: Role_, idx: int, c: Criterion
) -> CriterionResult:
    """Criterion ``i`` on the cohort: win rate with and without it, odds and drift."""
    k_known = int(st.all_known[i])
    n_met = int(st.n[i])
    lo, hi = wilson(st.n_best[i], n_met)
    without_n = k_known - n_met
    without_won = int(st.best_known[i] - st.n_best[i])
    fit_ev = c.evidence
    if role == "disqualifier" or (role == "points" and (c.weight or 0.0) < 0):
        # A disqualifier, or points taken off, should mark accounts that win less.
        disc = bool(st.ci_high[i] < 1.0 and st.p_value[i] < 0.05)
    else:
        disc = bool(st.ci_low[i] > 1.0 and st.p_value[i] < 0.05)
    return CriterionResult(
        where=where,
        role=role,
        index=idx,
        criterion=c,
        accounts=n_met,
        won=int(st.n_best[i]),
        lost=int(st.n_worst[i]),
        known=k_known,
        win_rate=_f(st.n_best[i] / n_met) if n_met else float("nan"),
        win_rate_low=_f(lo),
        win_rate_high=_f(hi),
        win_rate_without=without_won / without_n if without_n else float("nan"),
        lift=_f(st.lift[i]),
        odds_ratio=_f(st.odds_ratio[i]),
        ci_low=_f(st.ci_low[i]),
        ci_high=_f(st.ci_high[i]),
        p_value=float(st.p_value[i]),
        fit_lift=fit_ev.lift if fit_ev else None,
        fit_odds_ratio=fit_ev.odds_ratio if fit_ev else None,
        change_p=_change_p(st, i, fit_ev),
        discriminates=disc,
        caveat=_fmt_caveat(st, i),
    )


def _f(x: Any) -> float:
    v = float(x)
    return v if math.isfinite(v) else float("nan")


def _cohort_log_se(st: TraitStats, i: int) -> float | None:
    a = st.n_best[i] + 0.5
    b = st.best_known[i] - st.n_best[i] + 0.5
    c = st.n_worst[i] + 0.5
    d = st.worst_known[i] - st.n_worst[i] + 0.5
    if min(st.best_known[i], st.worst_known[i]) == 0:
        return None
    return float(math.sqrt(1 / a + 1 / b + 1 / c + 1 / d))


def _group(name: str, mask: np.ndarray, won: np.ndarray, base: float) -> GroupResult:
    n = int(mask.sum())
    k = int((mask & won).sum())
    lo, hi = wilson(k, n)
    rate = k / n if n else float("nan")
    caveat = f"small sample: {n} accounts" if n < SMALL_GROUP else None
    return GroupResult(
        name=name,
        accounts=n,
        won=k,
        win_rate=rate,
        low=_f(lo),
        high=_f(hi),
        lift=rate / base if n and base else float("nan"),
        caveat=caveat,
    )


def _segment_masks(icp: ICP, frame: pl.DataFrame, as_of: date | None) -> list[np.ndarray]:
    out = []
    for s in icp.segments:
        mk = _masks(frame, s.must, as_of)
        out.append(np.logical_and.reduce(mk[0], axis=1))
    return out


def _segment_possible(icp: ICP, frame: pl.DataFrame, as_of: date | None) -> np.ndarray:
    """Accounts that meet or might meet (unknown) every must of some segment."""
    poss = np.zeros(frame.height, dtype=bool)
    for s in icp.segments:
        mk = _masks(frame, s.must, as_of)
        poss |= np.logical_and.reduce(mk[0] | ~mk[1], axis=1)
    return poss


def _outcome_values(co: Cohort) -> dict[str, dict[str, float]]:
    """Median deal value / cycle length and churn share among won deals, per tier."""
    out: dict[str, dict[str, float]] = {}
    cols = {
        "value": co.value_column,
        "cycle_days": co.cycle_column,
        "churned": co.churn_column,
    }
    f = co.frame.with_columns(pl.Series("__tier", co.tier), pl.Series("__won", co.won))
    for label, col in cols.items():
        if col is None or col not in f.columns:
            continue
        s = f.get_column(col)
        if s.dtype == pl.Boolean:
            expr = pl.col(col).cast(pl.Float64).mean()
        elif s.dtype.is_numeric():
            expr = pl.col(col).median()
        else:
            continue
        g = f.filter(pl.col("__won")).group_by("__tier").agg(expr.alias("v")).sort("__tier")
        out[label] = {t: float(v) for t, v in g.iter_rows() if v is not None}
    return out


def _ignored_traits(
    icp: ICP, co: Cohort, seg_masks: list[np.ndarray], *, alpha: float, top: int = 5
) -> list[IgnoredTrait]:
    """Traits on columns no segment, disqualifier or timing signal reads that the winners it
    missed share, unless the scorecard already gives that very trait points.

    Looked for among accounts no segment could hold (unknown values count as "could"), so a
    proxy for a segment criterion with missing data does not pose as a new trait. The scorecard
    (``scoring.points``) reads most columns with small weights; a trait it rewards is not
    ignored, but one it gives no or negative points while the new winners share it is.
    """
    used = _read_columns(icp)
    rewarded = {c.key() for c in icp.scoring.points if (c.weight or 0) > 0}
    cols = [
        c
        for c in co.schema.columns
        if c.name not in used and c.name in co.frame.columns and c.name not in SCORE_COLUMNS
    ]
    if not cols:
        return []
    schema = Schema(tuple(cols), co.schema.reference_date, ())
    population = ~_segment_possible(icp, co.frame, None) & ~co.disqualified
    if population.sum() < 2 * SMALL_GROUP:
        return []
    frame = co.frame.filter(pl.Series(population))
    won = co.won[population]
    ts = build_traits(frame, schema, best=None, config=TraitConfig(min_count=20))
    ts_cols = list(ts.columns)
    keep = [
        i for i, c in enumerate(ts_cols) if c not in used and ts.criteria[i].key() not in rewarded
    ]
    if not keep:
        return []
    crits = [ts.criteria[i] for i in keep]
    st = trait_stats(ts.has[:, keep], ts.known[:, keep], won, ~won)
    ok = (
        (st.q_value < alpha)
        & (st.ci_low > 1.5)
        & (st.lift >= 1.3)
        & (st.n_best >= 2 * 10)
        & (st.best_known >= SMALL_GROUP)
    )
    cand = np.flatnonzero(ok)
    order = cand[np.argsort(-np.log(st.odds_ratio[cand]) * np.sqrt(st.n_best[cand]))]
    out: list[IgnoredTrait] = []
    seen: set[str] = set()
    n_won = max(int(won.sum()), 1)
    for i in order:
        c = crits[i]
        if c.column in seen:
            continue
        seen.add(c.column)
        out.append(
            IgnoredTrait(
                criterion=c,
                evidence=_evidence(st, int(i)),
                win_rate=float(st.n_best[i] / max(st.n[i], 1)),
                share_of_missed_wins=float(st.n_best[i] / n_won),
            )
        )
        if len(out) >= top:
            break
    return out


def _read_columns(icp: ICP) -> set[str]:
    """Columns some segment, disqualifier or timing signal reads, and the outcome columns."""
    named = [
        *(c for s in icp.segments for c in (*s.must, *s.nice)),
        *icp.disqualifiers,
        *icp.scoring.timing,
    ]
    used = {c.column for c in named} | {c.before for c in named if c.before}
    return used | set(VALUE_COLUMNS + CYCLE_COLUMNS + CHURN_COLUMNS)


def _evidence(st: TraitStats, i: int) -> Evidence:
    """Trait ``i``'s statistics as evidence (non-finite figures read 0)."""
    return Evidence(
        best_share=_z(st.best_share[i]),
        worst_share=_z(st.worst_share[i]),
        all_share=_z(st.all_share[i]),
        lift=_z(st.lift[i]),
        odds_ratio=_z(st.odds_ratio[i]),
        ci_low=_z(st.ci_low[i]),
        ci_high=_z(st.ci_high[i]),
        p_value=float(st.p_value[i]),
        q_value=float(st.q_value[i]),
        n=int(st.n[i]),
        n_best=int(st.n_best[i]),
        n_worst=int(st.n_worst[i]),
        caveat=_fmt_caveat(st, i),
    )


def _z(x: Any) -> float:
    v = float(x)
    return v if math.isfinite(v) else 0.0


__all__ = [
    "INVERSION_ALPHA",
    "CohortReview",
    "CriterionResult",
    "GroupResult",
    "IgnoredTrait",
    "Role_",
    "review_cohort",
    "tier_inversions",
]
