"""The calibration machinery: permutation p-values are valid, bounds count what they claim."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.discovery.significance import (
    exceedance_p,
    hypergeom_stat,
    log_bonferroni,
    log_subsets,
    sequential_test,
    shuffle_within,
    trait_max_t,
)


def test_exceedance_p_counts_ties_as_exceeding():
    # 2 of 4 null values are >= 3.0 (one tie): (1 + 2) / (1 + 4).
    assert exceedance_p(3.0, np.array([1.0, 3.0, 5.0, 2.0])) == 3 / 5
    assert exceedance_p(9.0, np.array([1.0, 3.0, 5.0, 2.0])) == 1 / 5


def test_sequential_test_stops_after_enough_exceedances():
    values = [5.0, 0.0, 6.0, 7.0, 0.0, 8.0, 9.0, 10.0]
    res = sequential_test(4.0, lambda i: [values[i]], max_permutations=8, stop_after=3)
    # Hits at draws 1, 3, 4: stop after the 4th draw with p = 3 / 4.
    assert res.drawn == 4
    assert res.p_value == 3 / 4


def test_sequential_test_runs_all_permutations_when_observed_is_extreme():
    res = sequential_test(100.0, lambda i: [float(i)], max_permutations=19, stop_after=5)
    assert res.drawn == 19
    assert res.p_value == 1 / 20


def test_sequential_p_is_valid_under_the_null():
    """An observed statistic exchangeable with the draws is rejected at most alpha of the time."""
    rng = np.random.default_rng(0)
    reps, rejected = 2000, 0
    for _ in range(reps):
        obs = float(rng.normal())
        res = sequential_test(
            obs, lambda i: [float(rng.normal())], max_permutations=39, stop_after=5
        )
        rejected += res.p_value <= 0.05
    # p <= 0.05 needs at most one exceedance in 39 draws ((1 + 1) / 40 = 0.05): probability
    # 2/40 exactly, since the observed rank is uniform. Allow three binomial standard errors.
    assert rejected / reps <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_hypergeom_stat_matches_a_brute_force_tail():
    big_n, big_k, n, k = 40, 12, 10, 6
    total = math.comb(big_n, n)
    tail = sum(math.comb(big_k, x) * math.comb(big_n - big_k, n - x) for x in range(k, n + 1))
    assert math.isclose(hypergeom_stat(k, n, big_k, big_n), -math.log(tail / total), rel_tol=1e-9)
    assert hypergeom_stat(0, n, big_k, big_n) == 0.0


def test_hypergeom_stat_does_not_underflow_on_huge_data():
    s = hypergeom_stat(90_000, 100_000, 200_000, 1_000_000)
    assert math.isfinite(s) and s > 10_000


@given(st.integers(1, 12), st.integers(1, 7))
def test_log_subsets_counts_every_small_subset(values, max_size):
    brute = sum(1 for j in range(1, max_size + 1) for _ in itertools.combinations(range(values), j))
    assert math.isclose(math.exp(log_subsets(values, max_size)), brute, rel_tol=1e-9)


def test_log_bonferroni_is_the_sum_of_powers():
    assert math.isclose(math.exp(log_bonferroni([3.0, 7.0], 3)), 10 + 100 + 1000, rel_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 60), st.integers(0, 2**31 - 1))
def test_shuffle_within_moves_only_the_accounts_in_play(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.random((n, 2)) < 0.4
    within = rng.random(n) < 0.5
    out = shuffle_within(labels, within, rng)
    assert (out[~within] == labels[~within]).all()

    # Pairs move together: the multiset of (best, worst) rows in play is unchanged.
    def key(a: np.ndarray) -> list[tuple[bool, bool]]:
        return sorted(map(tuple, a.tolist()))

    assert key(out[within]) == key(labels[within])


def _upper(tz):
    return np.where(tz.n >= 5, tz.z, -np.inf)


def test_trait_max_t_controls_the_familywise_error():
    """Twenty independent null traits: some trait passes at 5% in at most ~5% of data sets."""
    rng = np.random.default_rng(1)
    reps, any_hit = 150, 0
    for _ in range(reps):
        n, k = 200, 20
        has = rng.random((n, k)) < 0.3
        known = np.ones_like(has)
        best = rng.random(n) < 0.3
        worst = ~best
        _, adj = trait_max_t(has, known, best, worst, _upper, permutations=99, rng=rng)
        any_hit += bool((adj <= 0.05).any())
    assert any_hit / reps <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_trait_max_t_finds_a_planted_trait_and_orders_by_statistic():
    rng = np.random.default_rng(2)
    n, k = 400, 15
    has = rng.random((n, k)) < 0.3
    best = rng.random(n) < np.where(has[:, 4], 0.55, 0.25)
    obs, adj = trait_max_t(has, np.ones_like(has), best, ~best, _upper, permutations=199, rng=rng)
    assert adj[4] <= 0.01
    assert int(np.argmax(obs)) == 4
    order = np.argsort(-obs)
    assert (np.diff(adj[order]) >= 0).all()  # a larger statistic never gets a larger p


@given(
    n=st.integers(1, 400),
    k=st.integers(1, 12),
    m=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_blockwise_products_equal_the_whole_matrix(monkeypatch_budget, n, k, m, seed):
    """Large trait matrices are multiplied block by block: the statistics must not change."""
    from icpkit.discovery import significance as sig

    rng = np.random.default_rng(seed)
    has, known = rng.random((n, k)) < 0.3, rng.random((n, k)) < 0.9
    best = rng.random((n, m)) < 0.3
    whole = sig.trait_z(has, known, best, ~best)
    with monkeypatch_budget():
        blocks = sig.trait_z(has, known, best, ~best)
    for field in ("z", "best_share", "worst_share", "all_share", "n"):
        np.testing.assert_allclose(
            getattr(blocks, field), getattr(whole, field), rtol=1e-6, equal_nan=True
        )


@pytest.fixture
def monkeypatch_budget():
    """A context in which trait_z must take its block-by-block path (tiny blocks)."""
    from contextlib import contextmanager

    from icpkit.discovery import significance as sig

    @contextmanager
    def tiny():
        old = sig._FLOAT_BUDGET, sig._BLOCK_CELLS
        sig._FLOAT_BUDGET, sig._BLOCK_CELLS = 0, 7
        try:
            yield
        finally:
            sig._FLOAT_BUDGET, sig._BLOCK_CELLS = old

    return tiny


@settings(max_examples=300, deadline=None)
@given(
    big_n=st.integers(2, 3000),
    k_share=st.floats(0, 1),
    n_share=st.floats(0, 1),
    hit_share=st.floats(0, 1),
)
def test_hypergeom_stat_equals_scipys_log_survival(big_n, k_share, n_share, hit_share):
    """The tail summed from log-factorials is SciPy's -hypergeom.logsf, without scipy.stats."""
    from scipy import stats

    big_k = max(1, round(k_share * big_n))
    n = max(1, round(n_share * big_n))
    lo, hi = max(0, n + big_k - big_n), min(n, big_k)
    k = max(1, lo + round(hit_share * (hi - lo)))
    want = float(-stats.hypergeom.logsf(k - 1, big_n, big_k, n))
    got = hypergeom_stat(k, n, big_k, big_n)
    assert got >= 0.0
    assert got == pytest.approx(max(want, 0.0), rel=1e-9, abs=1e-9)


def test_sequential_test_with_alpha_stops_once_the_verdict_is_settled():
    # alpha 0.025 with 39 shuffles: significant only if no shuffle reaches the observed value,
    # so the first one that does settles it (p reported above alpha).
    values = [0.0, 0.0, 5.0, 0.0] + [0.0] * 35
    res = sequential_test(
        4.0, lambda i: [values[i]], max_permutations=39, stop_after=3, alpha=0.025
    )
    assert res.drawn == 3
    assert res.p_value > 0.025
    plain = sequential_test(4.0, lambda i: [values[i]], max_permutations=39, stop_after=3)
    assert plain.drawn == 39 and plain.p_value == 2 / 40


@settings(max_examples=200, deadline=None)
@given(
    hits_at=st.sets(st.integers(0, 38), max_size=6),
    alpha=st.sampled_from([0.01, 0.025, 0.0259, 0.05, 0.1]),
    stop_after=st.integers(1, 5),
)
def test_sequential_test_alpha_never_changes_the_verdict(hits_at, alpha, stop_after):
    """Stopping at a settled verdict gives the same decision at alpha, and the same p-value and
    draws whenever the step is significant."""
    values = [5.0 if i in hits_at else 0.0 for i in range(39)]

    def draw(i):
        return [values[i]]

    plain = sequential_test(4.0, draw, max_permutations=39, stop_after=stop_after)
    early = sequential_test(4.0, draw, max_permutations=39, stop_after=stop_after, alpha=alpha)
    assert (early.p_value <= alpha) == (plain.p_value <= alpha)
    assert early.drawn <= plain.drawn
    if plain.p_value <= alpha:
        assert (early.p_value, early.drawn) == (plain.p_value, plain.drawn)
