from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from icpkit.evidence import benjamini_hochberg, fisher_two_sided, trait_stats

tables = st.tuples(*(st.integers(0, 60) for _ in range(4)))


@settings(max_examples=200, deadline=None)
@given(st.lists(tables, min_size=1, max_size=20))
def test_fisher_matches_scipy(rows):
    a, b, c, d = (np.array(x) for x in zip(*rows, strict=True))
    got = fisher_two_sided(a, b, c, d)
    want = np.array([fisher_exact([[w, x], [y, z]])[1] for w, x, y, z in rows])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_fisher_of_one_table_matches_scipy(row):
    """The one-table shortcut (the search's usual call) gives scipy's p too."""
    got = fisher_two_sided(*(np.array([x]) for x in row))
    np.testing.assert_allclose(got, [fisher_exact([row[:2], row[2:]])[1]], rtol=1e-6, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_benjamini_hochberg_definition(ps):
    p = np.array(ps)
    q = benjamini_hochberg(p)
    m = len(p)
    order = np.argsort(p)
    for rank, i in enumerate(order, start=1):
        expect = min(1.0, min(p[order[j]] * m / (j + 1) for j in range(rank - 1, m)))
        assert abs(q[i] - expect) < 1e-9
    assert np.all(q >= p - 1e-12)


def test_trait_stats_counts_and_unknowns():
    best = np.array([1, 1, 1, 0, 0, 0, 0, 0], bool)
    worst = np.array([0, 0, 0, 1, 1, 1, 0, 0], bool)
    has = np.array([[1], [1], [0], [1], [0], [0], [1], [0]], bool)
    known = np.array([[1], [1], [1], [1], [1], [0], [1], [1]], bool)
    s = trait_stats(has, known, best, worst)
    assert s.n_best[0] == 2 and s.best_known[0] == 3
    assert s.n_worst[0] == 1 and s.worst_known[0] == 2  # one worst account is unknown
    assert abs(s.best_share[0] - 2 / 3) < 1e-12
    assert abs(s.worst_share[0] - 1 / 2) < 1e-12
    assert s.caveat(0) is not None  # tiny groups always carry a caveat
