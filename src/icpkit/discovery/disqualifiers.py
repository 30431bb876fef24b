"""Disqualifiers: near deal-breakers concentrated in the worst customers, tested by permutation."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from icpkit.criteria import Criterion, Operator
from icpkit.discovery.masks import adjusted_p, criteria_mask, evidence_of, with_evidence
from icpkit.discovery.traits import TraitSet, evaluate
from icpkit.evidence import TraitStats, trait_stats

if TYPE_CHECKING:
    from collections.abc import Callable

    from icpkit.discovery.config import SearchConfig
    from icpkit.discovery.search import FoundSegment
    from icpkit.discovery.significance import TraitZ


def find_disqualifiers(
    frame: pl.DataFrame,
    ts: TraitSet,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    cfg: SearchConfig,
    rng: np.random.Generator,
) -> list[Criterion]:
    """Traits concentrated in the worst customers, chosen one at a time (covering).

    After each disqualifier its accounts are set aside and the rest re-tested, so a trait that
    only looked bad because it travels with an earlier disqualifier (healthcare companies that
    deploy on-prem) is not listed as a disqualifier of its own. Each step is a max-T permutation
    test over every candidate anti-signal (labels shuffled among the accounts still in play, the
    eligibility rules re-applied under every shuffle); covering stops at the first step where
    nothing is significant. Disqualifiers on one column that overlap are merged.
    """
    out: list[Criterion] = []
    remaining = np.ones(len(best), dtype=bool)
    if len(ts) == 0:
        return out
    alpha = cfg.alpha * cfg.disqualifier_share
    for _ in range(cfg.max_disqualifiers):
        if remaining.all():  # no copy of the trait matrices on the first step
            has, known, b_r, w_r = ts.has, ts.known, best, worst
        else:
            has, known = ts.has[remaining], ts.known[remaining]
            b_r, w_r = best[remaining], worst[remaining]
        step = _covering_step(ts, has, known, b_r, w_r, cfg, rng)
        if step is None:
            break
        obs, adj, step_how = step
        # Decide on the value that is printed, which is never below the raw Fisher p.
        adj = np.maximum(adj, np.nan_to_num(st.p_value, nan=1.0))
        ok = np.isfinite(obs) & (adj <= alpha)
        if not ok.any():
            break
        cand = np.flatnonzero(ok)
        i = int(cand[np.argmax(obs[cand])])
        out.append(
            ts.criteria[i].model_copy(
                update={"evidence": evidence_of(st, i, adjusted=adj[i], adjustment=step_how)}
            )
        )
        remaining &= ~ts.has[:, i]
    return _merge_disqualifiers(frame, out, best, worst, st, ts.as_of)


def _anti_signal(ts: TraitSet, cfg: SearchConfig) -> Callable[[TraitZ], np.ndarray]:
    """The statistic of the max-T test: ``-z`` of every eligible anti-signal, ``-inf`` else.

    Eligible: clearly more common among the worst than overall and among the best, confidence
    interval of the odds ratio below 0.5, held by enough accounts, not a "lacks" trait.
    """
    not_lacks = (np.asarray(ts.kinds) != "lacks")[:, None]

    def statistic(tz: TraitZ) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (
                (tz.worst_share >= 1.5 * tz.all_share)
                & (tz.ci_high < 0.5)
                & (tz.best_share <= 0.5 * tz.worst_share)
                & (tz.best_share <= cfg.disqualifier_max_lift * tz.all_share)
                & not_lacks
                & (tz.n >= cfg.min_best)
            )
        return np.where(ok, -tz.z, -np.inf)

    return statistic


def _covering_step(
    ts: TraitSet,
    has: np.ndarray,
    known: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    cfg: SearchConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """One step on the accounts still in play: every trait's statistic, its adjusted p and
    how it was adjusted; None when no trait is eligible."""
    from icpkit.discovery.significance import trait_max_t

    statistic = _anti_signal(ts, cfg)
    obs, _ = trait_max_t(has, known, best, worst, statistic, permutations=0, rng=rng)
    if not np.isfinite(obs).any():
        return None
    top = int(np.argmax(np.where(np.isfinite(obs), obs, -np.inf)))
    # Overwhelming evidence needs no shuffles: Fisher's exact p of the strongest candidate
    # times the number of traits that could have been candidates (Bonferroni).
    sr = trait_stats(has[:, [top]], known[:, [top]], best, worst)
    not_lacks = np.asarray(ts.kinds) != "lacks"
    family = int((not_lacks & ((has & known).sum(axis=0) >= cfg.min_best)).sum())
    bonferroni = float(sr.p_value[0]) * max(family, 1)
    if bonferroni <= cfg.alpha * cfg.disqualifier_share * cfg.shortcut:
        adj = np.ones(len(obs))
        adj[top] = bonferroni
        return obs, adj, f"Bonferroni over {family} candidate anti-signals"
    obs, adj = trait_max_t(
        has,
        known,
        best,
        worst,
        statistic,
        permutations=cfg.trait_permutations,
        rng=rng,
        stop_after=cfg.stop_after,
    )
    how = (
        f"permutation max-T over every candidate anti-signal ({cfg.trait_permutations} shuffles "
        "of the outcomes, eligibility rules re-applied on each)"
    )
    return obs, adj, how


def _merge_disqualifiers(
    frame: pl.DataFrame,
    disq: list[Criterion],
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    as_of: date | None = None,
) -> list[Criterion]:
    """One disqualifier per overlapping family on a column (``< 150K`` and ``< 500K`` → one).

    Bands that overlap or touch become their union, value sets on one column their union; the
    merged criterion gets fresh evidence with the larger of the adjusted p-values.
    """
    out: list[Criterion] = []
    for c in disq:
        j = next(
            (k for k, o in enumerate(out) if o.column == c.column and _overlap(o, c)),
            None,
        )
        if j is None:
            out.append(c)
            continue
        o = out[j]
        if c.operator is Operator.BETWEEN:
            (alo, ahi), (blo, bhi) = o.between or (None, None), c.between or (None, None)
            lo = None if alo is None or blo is None else min(alo, blo)
            hi = None if ahi is None or bhi is None else max(ahi, bhi)
            if lo is None and hi is None:
                continue  # the two sides cover everything: keep the first on its own
            merged = o.model_copy(update={"between": (lo, hi), "evidence": None})
        else:
            merged = o.model_copy(
                update={"in_": tuple(sorted({*(o.in_ or ()), *(c.in_ or ())})), "evidence": None}
            )
        how = o.evidence.adjustment if o.evidence else None
        adj = max(adjusted_p(o), adjusted_p(c))
        out[j] = with_evidence(
            frame, merged, best, worst, st, adjusted=adj, adjustment=how, as_of=as_of
        )
    return out


def _overlap(a: Criterion, b: Criterion) -> bool:
    """Whether two criteria on one column are one idea (bands that meet, two value sets)."""
    if a.operator is not b.operator:
        return False
    if a.operator is Operator.IN:
        return True
    if a.operator is not Operator.BETWEEN:
        return False
    alo, ahi = a.between or (None, None)
    blo, bhi = b.between or (None, None)
    lo_a = -math.inf if alo is None else alo
    hi_a = math.inf if ahi is None else ahi
    lo_b = -math.inf if blo is None else blo
    hi_b = math.inf if bhi is None else bhi
    return lo_a <= hi_b and lo_b <= hi_a


def confirm_disqualifiers(
    frame: pl.DataFrame,
    disq: list[Criterion],
    found: list[FoundSegment],
    best: np.ndarray,
    worst: np.ndarray,
    *,
    as_of: date | None = None,
) -> list[Criterion]:
    """Keep a disqualifier only if it is bad among comparable accounts too.

    Outside every segment, a disqualifier must still mark accounts that do worse than the other
    non-fitting accounts. An industry that merely has no segment of its own looks bad against a
    base full of segment winners, but not against its peers: that is no reason to refuse a deal.
    """
    if not disq or not found:
        return disq
    outside = np.ones(len(best), dtype=bool)
    for fs in found:
        outside &= ~fs.cover
    kept: list[Criterion] = []
    remaining = outside.copy()
    for c in disq:
        one = evaluate(frame.filter(pl.Series(remaining)), [c], as_of=as_of)
        if not one.criteria:
            continue
        s = trait_stats(one.has, one.known, best[remaining], worst[remaining])
        if s.p_value[0] * len(disq) < 0.01 and s.ci_high[0] < 0.5:
            kept.append(c)
            remaining &= ~criteria_mask(frame, [c], as_of=as_of)
    return kept


def strongest_per_column(
    ts: TraitSet,
    s: TraitStats,
    ok: np.ndarray,
    limit: int,
    *,
    weighted: bool,
    adjusted: np.ndarray | None = None,
    adjustment: str | None = None,
) -> list[Criterion]:
    """The strongest passing trait of each column (by log-odds × √n), at most ``limit``."""
    cand = np.flatnonzero(ok)
    cand = cand[np.argsort(-np.log(s.odds_ratio[cand]) * np.sqrt(s.n[cand]))]
    out: list[Criterion] = []
    used: set[str] = set()
    for i in cand:
        if ts.columns[i] in used:
            continue
        used.add(ts.columns[i])
        ev = (
            evidence_of(s, int(i), adjusted=float(adjusted[i]), adjustment=adjustment)
            if adjusted is not None
            else evidence_of(s, int(i))
        )
        update: dict[str, object] = {"evidence": ev}
        if weighted:
            update["weight"] = round(float(np.log(s.odds_ratio[i])), 3)
        out.append(ts.criteria[i].model_copy(update=update))
        if len(out) >= limit:
            break
    return out


__all__ = []
