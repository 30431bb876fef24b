"""Evidence for traits: shares, lift, odds ratios with intervals, exact tests, FDR control.

Everything is computed for many traits at once from a trait matrix (accounts × traits) with a
separate "known" mask, so a missing value is never counted as not having the trait.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below these counts a statement about a trait gets a caveat instead of a confident claim.
SMALL_GROUP = 30
SMALL_CELL = 10


@dataclass(frozen=True)
class TraitStats:
    """Column-wise statistics for k traits (every array has length k)."""

    n: np.ndarray  # accounts with the trait (known values only)
    n_best: np.ndarray
    n_worst: np.ndarray
    best_known: np.ndarray  # best accounts whose value is known
    worst_known: np.ndarray
    all_known: np.ndarray
    best_share: np.ndarray
    worst_share: np.ndarray
    all_share: np.ndarray
    lift: np.ndarray  # best_share / all_share
    worst_lift: np.ndarray  # worst_share / all_share
    odds_ratio: np.ndarray  # best vs worst, Haldane-corrected
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray  # Fisher's exact test, two-sided
    q_value: np.ndarray  # Benjamini-Hochberg over the k traits

    def caveat(self, i: int) -> str | None:
        """A plain-words warning when trait i rests on too few accounts."""
        if self.best_known[i] < SMALL_GROUP or self.worst_known[i] < SMALL_GROUP:
            return "small sample: fewer than 30 best or worst accounts with known values"
        held = int(self.n_best[i] + self.n_worst[i])
        if held < 2 * SMALL_CELL:
            return f"small sample: only {held} best or worst accounts have this trait"
        return None


# Rows per block when counting: a block's float32 copy stays a few tens of MB at any width, so a
# million accounts never need an n × k float matrix (4 bytes a cell) beside the bool ones.
_BLOCK_ROWS = 32_768


def trait_stats(
    has: np.ndarray,
    known: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    rows: np.ndarray | None = None,
    known_columns: tuple[np.ndarray, np.ndarray] | None = None,
) -> TraitStats:
    """Statistics for every column of ``has`` (n × k, bool) given ``known`` (n × k, bool).

    ``rows`` (a bool mask or indices over the n accounts) restricts the statistics to those
    accounts without the caller copying ``has[rows]`` and ``known[rows]`` first.
    ``known_columns`` is ``known`` factored as (n × c bool, k column indices) with
    ``known == kc[:, index]``: the known counts are then made on the c columns and gathered.
    """
    if rows is not None:
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        best, worst = best[idx], worst[idx]
    else:
        idx = None
    b = best.astype(np.float32)
    w = worst.astype(np.float32)
    lab = (best | worst).astype(np.float32)
    # One matrix of group indicators; two products per block give every count the tests need.
    groups = np.column_stack([b, w, lab, np.ones_like(b)])
    counts, knowns = _group_counts(has, known, groups, idx, known_columns)
    n_best, n_worst, _, n_all = (counts[:, i] for i in range(4))
    best_known, worst_known, _, all_known = (knowns[:, i] for i in range(4))

    with np.errstate(divide="ignore", invalid="ignore"):
        best_share = np.where(best_known > 0, n_best / best_known, np.nan)
        worst_share = np.where(worst_known > 0, n_worst / worst_known, np.nan)
        all_share = np.where(all_known > 0, n_all / all_known, np.nan)
        lift = best_share / all_share
        worst_lift = worst_share / all_share
        a = n_best + 0.5
        bb = (best_known - n_best) + 0.5
        c = n_worst + 0.5
        d = (worst_known - n_worst) + 0.5
        log_or = np.log(a * d / (bb * c))
        se = np.sqrt(1 / a + 1 / bb + 1 / c + 1 / d)
    odds_ratio = np.exp(log_or)
    ci_low = np.exp(log_or - 1.96 * se)
    ci_high = np.exp(log_or + 1.96 * se)
    p = fisher_two_sided(n_best, best_known - n_best, n_worst, worst_known - n_worst)
    q = benjamini_hochberg(p)
    return TraitStats(
        n=n_all,
        n_best=n_best,
        n_worst=n_worst,
        best_known=best_known,
        worst_known=worst_known,
        all_known=all_known,
        best_share=best_share,
        worst_share=worst_share,
        all_share=all_share,
        lift=lift,
        worst_lift=worst_lift,
        odds_ratio=odds_ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p,
        q_value=q,
    )


def _group_counts(
    has: np.ndarray,
    known: np.ndarray,
    groups: np.ndarray,
    idx: np.ndarray | None,
    known_columns: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per trait, how many accounts of each group have it (and have it known): k × g each.

    Works through blocks of rows so the float32 copies BLAS needs stay small; each block's
    counts are exact in float32 (a block is far below 2**24 rows) and add up in int64.
    """
    n = groups.shape[0]
    k, g = has.shape[1], groups.shape[1]
    kc, kc_index = known_columns if known_columns is not None else (known, None)
    counts = np.zeros((k, g), dtype=np.int64)
    knowns = np.zeros((kc.shape[1], g), dtype=np.int64)
    hf = np.empty((min(n, _BLOCK_ROWS), k), dtype=np.float32)
    kf = np.empty((min(n, _BLOCK_ROWS), kc.shape[1]), dtype=np.float32)
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        sel = slice(start, stop) if idx is None else idx[start:stop]
        m = stop - start
        kn = known[sel]
        np.logical_and(has[sel], kn, out=hf[:m], casting="unsafe")
        kf[:m] = kn if kc_index is None else kc[sel]
        gb = groups[start:stop]
        counts += np.rint(hf[:m].T @ gb).astype(np.int64)
        knowns += np.rint(kf[:m].T @ gb).astype(np.int64)
    return counts, knowns if kc_index is None else knowns[kc_index]


def fisher_two_sided(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact p-values for many 2×2 tables [[a, b], [c, d]] at once.

    Vectorised over tables: sums the hypergeometric probabilities of every table with the same
    margins that is no more likely than the observed one (the usual two-sided definition, with
    the customary relative tolerance).
    """
    a, b, c, d = (np.asarray(x, dtype=np.int64) for x in (a, b, c, d))
    out = np.ones(a.shape, dtype=float)
    row1 = a + b  # the group being tested (e.g. best accounts)
    col1 = a + c  # accounts with the trait
    total = a + b + c + d
    valid = (row1 > 0) & (total - row1 > 0) & (col1 > 0) & (total - col1 > 0)
    if not valid.any():
        return out
    # Tables sharing margins share one hypergeometric distribution.
    keys = np.stack([total[valid], row1[valid], col1[valid]], axis=1)
    if len(keys) == 1:  # the search's usual call: np.unique(axis=0) would cost more than the test
        uniq, inverse = keys, np.zeros(1, dtype=np.intp)
    else:
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    obs = a[valid]
    res = np.empty(len(obs))
    from scipy.special import gammaln  # SciPy costs ~0.3 s to import: loaded when first used

    # One log-factorial table serves every table: each log-choose is three lookups.
    lf = gammaln(np.arange(int(total[valid].max()) + 2, dtype=float) + 1)
    for u, (tot, r1, c1) in enumerate(uniq):
        lo, hi = max(0, r1 + c1 - tot), min(r1, c1)
        x = np.arange(lo, hi + 1)
        log_pmf = (
            (lf[c1] - lf[x] - lf[c1 - x])
            + (lf[tot - c1] - lf[r1 - x] - lf[tot - c1 - r1 + x])
            - (lf[tot] - lf[r1] - lf[tot - r1])
        )
        pmf = np.exp(log_pmf)
        members = np.flatnonzero(inverse == u)
        # Sum pmf over tables at most as likely as the observed one (relative tolerance 1e-7).
        thresh = pmf[obs[members] - lo] * (1 + 1e-7)
        if len(members) == 1:
            res[members] = pmf[pmf <= thresh[0]].sum()
        else:
            sorted_pmf = np.sort(pmf)
            csum = np.cumsum(sorted_pmf)
            pos = np.searchsorted(sorted_pmf, thresh, side="right")
            res[members] = np.where(pos > 0, csum[np.maximum(pos - 1, 0)], 0.0)
    out[valid] = np.clip(res, 0.0, 1.0)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN p-values stay NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.clip(ranked, 0, 1)
    q[ok] = adj
    return q


def binomial_p(k: int, n: int, p0: float) -> float:
    """One-sided p-value that k or more successes in n trials arise at rate p0."""
    if n == 0:
        return 1.0
    from scipy import stats

    return float(stats.binom.sf(k - 1, n, p0))


def wilson(
    k: np.ndarray | int, n: np.ndarray | int, z: float = 1.96
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (vectorised; NaN where n is 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z**2 / n
        mid = (p + z**2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    lo = np.where(n > 0, np.clip(mid - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(mid + half, 0, 1), np.nan)
    return lo, hi


__all__ = [
    "SMALL_CELL",
    "SMALL_GROUP",
    "TraitStats",
    "benjamini_hochberg",
    "binomial_p",
    "fisher_two_sided",
    "trait_stats",
    "wilson",
]
