"""Significance that survives selection: permutation calibration of the whole search.

Discovery looks at thousands of conjunctions, refines band edges and value sets on the outcome,
and prunes; a p-value computed for the winner as if it had been fixed in advance is far too
small. The reference answer (Westfall & Young's max-statistic method) is used here: shuffle the
outcome labels, re-run the *complete* selection on the shuffled labels, keep the statistic of
whatever it selects (the maximum over everything it looked at), and compare the observed
statistic with that null distribution::

    adjusted p = (1 + #{null statistics >= observed}) / (1 + B)

Two forms are provided:

* :func:`sequential_test` for an expensive selection (the segment search: beam, refinement and
  pruning, one search per permutation). The number of permutations is adaptive in the manner of
  Besag & Clifford (1991): sampling stops as soon as ``stop_after`` null statistics reach the
  observed one (the result is then plainly not significant and ``p = stop_after / drawn``), and
  otherwise ends at ``max_permutations``. The p-value is valid (exact) either way; with the
  defaults an early stop can never reject at ``alpha = 0.05``, so every reported discovery had
  the full set of permutations.
* :func:`trait_max_t` for a cheap selection over a fixed list of traits (disqualifiers, timing
  signals): z statistics of every trait under ``B`` shuffles are computed at once with two
  matrix products, and each trait is judged against the maximum over all eligible traits
  (single-step max-T, which controls the family-wise error in the strong sense).

Labels are always shuffled jointly (best and worst flags move together) and only within the
accounts still in play, so later steps of sequential covering are tested conditionally on the
earlier ones. When the effect is overwhelming a closed-form bound is cheaper and just as
convincing: :func:`log_bonferroni` bounds the number of outputs the search could have produced
(every conjunction of up to ``depth`` criteria drawn from a universe that counts every band and
every value subset refinement could reach), and discovery skips the permutations when
``p × count`` is far below ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np

# Guards the logarithms of counts that are empty in a shuffle.
_HALF = 0.5
_BLAS: list[object] = []


def one_blas_thread() -> AbstractContextManager[object]:
    """Limit BLAS to one thread (the search's products are too small to gain from more).

    Finding the BLAS libraries reads the process's memory map (~5 ms), too slow to repeat for
    every search on shuffled outcomes, so the controller is made once per process.
    """
    from threadpoolctl import ThreadpoolController  # comes with scikit-learn

    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PermutationConfig:
    """How hard to calibrate; defaults keep ``icp discover`` within its time budget.

    ``max_permutations`` bounds the full-search shuffles per sequential-covering step; the
    smallest p-value it can show is ``1 / (1 + max_permutations)``. ``stop_after`` is the number
    of null statistics at least as large as the observed one after which sampling stops (the
    step is not significant). ``trait_permutations`` shuffles calibrate disqualifiers and timing
    signals (cheap: two matrix products per batch). ``shortcut`` is the fraction of ``alpha``
    under which a Bonferroni bound over everything the search could output replaces the
    permutations; it adds at most ``shortcut × alpha`` to the error rate.
    """

    max_permutations: int = 39
    stop_after: int = 3
    trait_permutations: int = 199
    shortcut: float = 1e-3
    seed: int = 20240611


@dataclass(frozen=True)
class SequentialResult:
    """Outcome of :func:`sequential_test`.

    ``p_value`` is the adjusted p of the observed statistic; ``null`` holds every drawn null
    vector (one row per permutation, column 0 is the statistic the test is on, later columns
    are side statistics calibrated with :func:`exceedance_p`); ``drawn`` is their number.
    """

    p_value: float
    null: np.ndarray
    drawn: int


def shuffle_within(labels: np.ndarray, within: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows of ``labels`` (n × m) permuted among the accounts in ``within``; others unchanged."""
    out = labels.copy()
    idx = np.flatnonzero(within)
    out[idx] = labels[rng.permutation(idx)]
    return out


def exceedance_p(observed: float, null: np.ndarray) -> float:
    """``(1 + #{null >= observed}) / (1 + B)``: the permutation p-value of one statistic."""
    null = np.asarray(null, dtype=float)
    return float((1 + int(np.sum(null >= observed - 1e-12))) / (1 + len(null)))


def sequential_test(
    observed: float,
    draw: Callable[[int], Sequence[float] | np.ndarray],
    *,
    max_permutations: int,
    stop_after: int,
    alpha: float | None = None,
) -> SequentialResult:
    """Besag-Clifford sequential permutation p-value of ``observed``.

    ``draw(i)`` runs the complete selection on the i-th shuffle and returns its statistics
    (first the tested one). Stops when ``stop_after`` null statistics reach ``observed``
    (``p = stop_after / drawn``) or after ``max_permutations`` (``p = (1 + hits) / (1 + B)``).

    With ``alpha``, sampling also stops as soon as the verdict at that level is settled: once
    ``(1 + hits) / (1 + B)`` exceeds ``alpha`` no later shuffle can make the step significant
    (at ``alpha = 0.025`` and ``B = 39``, the first null statistic that reaches ``observed``).
    That is Besag-Clifford with the smaller number of hits, so ``hits / drawn`` stays a valid
    p-value; the larger of it and ``(1 + hits) / (1 + B)`` is returned, which is valid too and
    always above ``alpha``. A step that is significant draws every permutation either way, so
    its p-value does not change.
    """
    limit = stop_after
    if alpha is not None:
        # The fewest hits at which (1 + hits) / (1 + B) > alpha.
        settled = max(0, math.floor(alpha * (1 + max_permutations)) - 1)
        while (1 + settled) / (1 + max_permutations) <= alpha:
            settled += 1
        limit = max(1, min(stop_after, settled))
    rows: list[np.ndarray] = []
    hits = 0
    for i in range(max_permutations):
        row = np.atleast_1d(np.asarray(draw(i), dtype=float))
        rows.append(row)
        if row[0] >= observed - 1e-12:
            hits += 1
            if hits >= limit:
                null = np.vstack(rows)
                p = hits / len(rows)
                if limit < stop_after:
                    p = max(p, (1 + hits) / (1 + max_permutations))
                return SequentialResult(p, null, len(rows))
    null = np.vstack(rows) if rows else np.zeros((0, 1))
    return SequentialResult((1 + hits) / (1 + max_permutations), null, len(rows))


def hypergeom_stat(k: int, n: int, big_k: int, big_n: int) -> float:
    """``-log P(X >= k)`` for ``X ~ Hypergeometric(big_n, big_k, n)`` (one-sided, enrichment).

    The exact conditional test of a fixed cover under shuffled labels; on the log scale so that
    huge data do not underflow to ``p = 0`` (ties at zero would blunt the calibration). The
    upper tail is summed on the log scale from log-factorials (SciPy's ``special``, not its
    ``stats``, which costs half a second to import; equal to ``hypergeom.logsf`` to about
    1e-12, a test holds it to it).
    """
    if n <= 0 or big_k <= 0 or k <= 0:
        return 0.0
    lo, hi = max(0, n + big_k - big_n), min(n, big_k)
    if k <= lo:
        return 0.0  # every outcome has at least k: P = 1
    if k > hi:
        return math.inf
    from scipy.special import gammaln

    x = np.arange(k, hi + 1, dtype=np.float64)
    log_pmf = (
        _log_choose(big_k, x, gammaln)
        + _log_choose(big_n - big_k, n - x, gammaln)
        - _log_choose(big_n, np.array([float(n)]), gammaln)
    )
    top = float(log_pmf.max())
    log_sf = top + math.log(float(np.exp(log_pmf - top).sum()))
    return max(0.0, -log_sf)


def _log_choose(n: float, k: np.ndarray, gammaln: Callable[..., np.ndarray]) -> np.ndarray:
    return gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)


def log_bonferroni(universe: Iterable[float], depth: int) -> float:
    """Log of ``sum_{j<=depth} U^j``, ``U = sum(universe)``: outputs a search can produce.

    ``universe`` holds, per source of criteria, how many distinct criteria refinement could
    turn it into (1 for a fixed trait, every band for a numeric column, every value subset for a
    categorical one). Any segment is a set of at most ``depth`` of them, so a Bonferroni bound
    over this count is valid whatever path the search took.
    """
    u = max(float(sum(universe)), 1.0)
    logu = math.log(u)
    return float(np.logaddexp.reduce([j * logu for j in range(1, depth + 1)]))


def log_subsets(values: int, max_size: int) -> float:
    """Log of the number of non-empty subsets of at most ``max_size`` of ``values`` items."""
    if values <= 0:
        return 0.0
    terms = [
        math.lgamma(values + 1) - math.lgamma(j + 1) - math.lgamma(values - j + 1)
        for j in range(1, min(values, max_size) + 1)
    ]
    return float(np.logaddexp.reduce(terms))


@dataclass(frozen=True)
class TraitZ:
    """Per-trait statistics (k × m: one column per label vector) for max-T calibration."""

    z: np.ndarray  # log odds ratio best vs worst over its standard error (Haldane-corrected)
    ci_low: np.ndarray
    ci_high: np.ndarray
    best_share: np.ndarray
    worst_share: np.ndarray
    all_share: np.ndarray  # k × 1: does not depend on the labels
    n: np.ndarray  # k × 1


def trait_z(
    has: np.ndarray,
    known: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    *,
    _as_float: tuple[np.ndarray, np.ndarray] | None = None,
) -> TraitZ:
    """z statistics of k traits for m label vectors at once (``best``/``worst``: n × m).

    Two matrix products give every count; a missing value is neither has nor lacks.
    """
    floats = _as_float if _as_float is not None else _floats(has, known)
    labels = np.hstack([best, worst]).astype(np.float32)
    m = best.shape[1]
    if floats is not None:
        hk, kf = floats
        c = hk.T @ labels
        kn = kf.T @ labels
        n_all = hk.sum(axis=0, dtype=np.float64)[:, None]
        all_known = kf.sum(axis=0, dtype=np.float64)[:, None]
    else:
        # Too large to hold as float32 beside the booleans: the same products, block by block.
        k = has.shape[1]
        c = np.zeros((k, 2 * m), dtype=np.float32)
        kn = np.zeros((k, 2 * m), dtype=np.float32)
        n_all = np.zeros((k, 1))
        all_known = np.zeros((k, 1))
        step = max(1, _BLOCK_CELLS // max(k, 1))
        for i in range(0, has.shape[0], step):
            hb = np.logical_and(has[i : i + step], known[i : i + step]).astype(np.float32)
            kb = known[i : i + step].astype(np.float32)
            c += hb.T @ labels[i : i + step]
            kn += kb.T @ labels[i : i + step]
            n_all[:, 0] += hb.sum(axis=0, dtype=np.float64)
            all_known[:, 0] += kb.sum(axis=0, dtype=np.float64)
    n_best, n_worst = c[:, :m].astype(np.float64), c[:, m:].astype(np.float64)
    bk, wk = kn[:, :m].astype(np.float64), kn[:, m:].astype(np.float64)
    a, b = n_best + _HALF, bk - n_best + _HALF
    cc, d = n_worst + _HALF, wk - n_worst + _HALF
    log_or = np.log(a * d / (b * cc))
    se = np.sqrt(1 / a + 1 / b + 1 / cc + 1 / d)
    with np.errstate(divide="ignore", invalid="ignore"):
        best_share = np.where(bk > 0, n_best / bk, np.nan)
        worst_share = np.where(wk > 0, n_worst / wk, np.nan)
        all_share = np.where(all_known > 0, n_all / all_known, np.nan)
    return TraitZ(
        z=log_or / se,
        ci_low=np.exp(log_or - 1.96 * se),
        ci_high=np.exp(log_or + 1.96 * se),
        best_share=best_share,
        worst_share=worst_share,
        all_share=all_share,
        n=n_all,
    )


#: Float32 copies of the trait matrices are kept only up to this many bytes (both together);
#: larger ones are multiplied block by block instead (a million accounts × 400 traits).
_FLOAT_BUDGET = 1 << 30
#: Cells per block in the block-by-block products.
_BLOCK_CELLS = 8_000_000


def _floats(has: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``has & known`` and ``known`` as float32, the form the products take (made once).

    None when they would exceed ``_FLOAT_BUDGET``: :func:`trait_z` then works block by block.
    """
    if has.size * 8 > _FLOAT_BUDGET:
        return None
    # Written straight into float32: no n × k boolean temporary beside the result.
    hk = np.empty(has.shape, dtype=np.float32)
    np.logical_and(has, known, out=hk, casting="unsafe")
    return hk, known.astype(np.float32)


def trait_max_t(
    has: np.ndarray,
    known: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    statistic: Callable[[TraitZ], np.ndarray],
    *,
    permutations: int,
    rng: np.random.Generator,
    stop_after: int | None = None,
    batch: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """Observed statistics of k traits and their max-T adjusted p-values.

    ``statistic`` maps :class:`TraitZ` to a k × m array, ``-inf`` where a trait is not eligible
    under those labels (eligibility filters are part of the selection and re-run under every
    shuffle). Each trait's adjusted p is ``(1 + #{shuffles whose maximum >= it}) / (1 + B)``.
    With ``stop_after``, shuffling stops once that many maxima reach the largest observed
    statistic (Besag-Clifford): then no trait can be significant, and the p-values computed
    from the shuffles drawn are at least the sequential ones, so they stay valid.
    """
    floats = _floats(has, known)
    obs = statistic(trait_z(has, known, best[:, None], worst[:, None], _as_float=floats))[:, 0]
    if not np.isfinite(obs).any() or permutations <= 0:
        return obs, np.ones(len(obs))
    top = float(np.max(obs[np.isfinite(obs)]))
    pairs = np.column_stack([best, worst])
    n = len(best)
    # Bound the shuffled index and label matrices to a few hundred MB on a million accounts.
    batch = max(1, min(batch, 20_000_000 // max(n, 1)))
    maxima: list[np.ndarray] = []
    done = hits = 0
    with one_blas_thread():
        while done < permutations:
            # A small first batch: under the null a few shuffles settle it (early stop).
            first = batch if stop_after is None or done else min(batch, 4 * stop_after)
            m = min(first, permutations - done)
            idx = rng.permuted(np.tile(np.arange(n, dtype=np.int32), (m, 1)), axis=1)
            shuffled = pairs[idx]  # m × n × 2
            tz = trait_z(has, known, shuffled[:, :, 0].T, shuffled[:, :, 1].T, _as_float=floats)
            s = statistic(tz)
            mx = np.max(np.where(np.isfinite(s), s, -np.inf), axis=0)
            maxima.append(mx)
            done += m
            hits += int(np.sum(mx >= top - 1e-12))
            if stop_after is not None and hits >= stop_after:
                break
    null = np.concatenate(maxima)
    srt = np.sort(np.where(np.isfinite(null), null, -np.inf))
    ge = len(srt) - np.searchsorted(srt, obs - 1e-12, side="left")
    adj = (1 + ge) / (1 + len(srt))
    return obs, np.where(np.isfinite(obs), adj, 1.0)


__all__ = [
    "PermutationConfig",
    "SequentialResult",
    "TraitZ",
    "exceedance_p",
    "hypergeom_stat",
    "log_bonferroni",
    "log_subsets",
    "one_blas_thread",
    "sequential_test",
    "shuffle_within",
    "trait_max_t",
    "trait_z",
]
