"""Validation's own folds and AUC: what lets ``icp discover`` skip loading scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score as sklearn_auc

from icpkit.discovery.validation import roc_auc_score, stratified_folds


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=2, max_size=80),
    scores=st.lists(st.integers(0, 6), min_size=80, max_size=80),  # few values: many ties
    seed=st.integers(0, 100),
)
def test_auc_equals_scikit_learns_with_ties(labels, scores, seed):
    y = np.asarray(labels)
    if y.all() or not y.any():
        y[0] = not y[0]
    s = np.asarray(scores[: len(y)], dtype=float)
    s += np.random.default_rng(seed).choice([0.0, 0.5], len(y))
    assert roc_auc_score(y, s) == pytest.approx(sklearn_auc(y, s), abs=1e-12)


def test_auc_of_a_perfect_and_a_reversed_ranking():
    y = np.array([False, False, True, True])
    assert roc_auc_score(y, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert roc_auc_score(y, np.array([0.4, 0.3, 0.2, 0.1])) == 0.0
    assert roc_auc_score(y, np.zeros(4)) == 0.5


@settings(max_examples=100, deadline=None)
@given(n_pos=st.integers(0, 60), n_neg=st.integers(0, 60), k=st.integers(2, 7), seed=st.integers())
def test_folds_partition_the_accounts_and_spread_each_class_evenly(n_pos, n_neg, k, seed):
    rng = np.random.default_rng(abs(seed) % 1000)
    y = rng.permutation(np.r_[np.ones(n_pos, bool), np.zeros(n_neg, bool)])
    folds = stratified_folds(y, k, abs(seed) % 1000)
    assert len(folds) == k
    tests = [te for _, te in folds]
    together = np.sort(np.concatenate(tests))
    assert np.array_equal(together, np.arange(len(y)))  # every account tested exactly once
    for train, test in folds:
        assert np.array_equal(np.sort(np.r_[train, test]), np.arange(len(y)))
        assert np.all(np.diff(test) > 0) and np.all(np.diff(train) > 0)
    sizes = [len(te) for te in tests]
    pos = [int(y[te].sum()) for te in tests]
    assert max(sizes) - min(sizes) <= 1
    assert max(pos) - min(pos) <= 1


def test_folds_depend_on_the_seed_only():
    y = np.arange(100) % 3 == 0
    a, b = stratified_folds(y, 5, 0), stratified_folds(y, 5, 0)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b, strict=True))
    c = stratified_folds(y, 5, 1)
    assert not all(np.array_equal(x[1], z[1]) for x, z in zip(a, c, strict=True))
