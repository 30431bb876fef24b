"""trait_stats counts in row blocks and on a subset of rows: the counts stay exact.

The expected counts are plain numpy sums over the bool matrices, independent of the block
products trait_stats uses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit import evidence


@st.composite
def _tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    has = rng.random((n, k)) < draw(st.floats(0.0, 1.0))
    known = rng.random((n, k)) < draw(st.floats(0.0, 1.0))
    best = rng.random(n) < 0.3
    worst = ~best & (rng.random(n) < 0.4)
    return has, known, best, worst


@settings(max_examples=60, deadline=None)
@given(_tables(), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_block_counts_equal_plain_sums(
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], block: int, seed: int
) -> None:
    has, known, best, worst = tables
    rows = np.random.default_rng(seed).random(len(best)) < 0.5
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evidence, "_BLOCK_ROWS", block)  # many blocks, and a short last one
        s = evidence.trait_stats(has, known, best, worst)
        sub = evidence.trait_stats(has, known, best, worst, rows=rows)
        by_index = evidence.trait_stats(has, known, best, worst, rows=np.flatnonzero(rows))
    met = has & known
    assert np.array_equal(s.n, met.sum(0))
    assert np.array_equal(s.n_best, (met & best[:, None]).sum(0))
    assert np.array_equal(s.n_worst, (met & worst[:, None]).sum(0))
    assert np.array_equal(s.best_known, (known & best[:, None]).sum(0))
    assert np.array_equal(s.worst_known, (known & worst[:, None]).sum(0))
    assert np.array_equal(s.all_known, known.sum(0))
    r = rows[:, None]
    assert np.array_equal(sub.n, (met & r).sum(0))
    assert np.array_equal(sub.n_best, (met & r & best[:, None]).sum(0))
    assert np.array_equal(sub.worst_known, (known & r & worst[:, None]).sum(0))
    assert np.array_equal(sub.p_value, by_index.p_value, equal_nan=True)


def test_subset_rows_match_a_copied_subset() -> None:
    """Passing rows= gives the statistics of the copied rows (what callers did before)."""
    rng = np.random.default_rng(5)
    n, k = 5_000, 30
    has = rng.random((n, k)) < 0.2
    known = rng.random((n, k)) < 0.9
    best = rng.random(n) < 0.2
    worst = ~best & (rng.random(n) < 0.25)
    rows = rng.random(n) < 0.6
    a = evidence.trait_stats(has, known, best, worst, rows=rows)
    b = evidence.trait_stats(has[rows], known[rows], best[rows], worst[rows])
    for name in ("n", "n_best", "n_worst", "best_known", "worst_known", "all_known"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("odds_ratio", "ci_low", "ci_high", "p_value", "q_value"):
        assert np.allclose(getattr(a, name), getattr(b, name), equal_nan=True), name
