"""The black-box comparison: one bounded model on one thread that finds real signal only.

Planted-truth and shuffled-outcome checks on synthetic accounts with a weak, realistic effect.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from icpkit.columns.schema import ColumnInfo, Kind, Role, Schema
from icpkit.criteria import Layer
from icpkit.discovery import validation


def _accounts(n: int, seed: int) -> tuple[pl.DataFrame, Schema, np.ndarray]:
    """Best rate 13% outside saas with ≥ 50 employees, 35% inside (a modest planted effect)."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(["saas", "retail", "fintech", "health", "media"], n)
    employees = np.round(np.exp(rng.normal(4.0, 1.2, n)))
    employees[rng.random(n) < 0.1] = np.nan
    fit = (industry == "saas") & (employees >= 50)
    best = rng.random(n) < np.where(fit, 0.35, 0.13)
    frame = pl.DataFrame({"industry": industry, "employees": employees}).with_columns(
        pl.col("employees").fill_nan(None)
    )
    schema = Schema(
        (
            ColumnInfo(
                "industry", "industry", Role.ATTRIBUTE, Kind.CATEGORICAL, layer=Layer.FIRMOGRAPHIC
            ),
            ColumnInfo(
                "employees", "employees", Role.ATTRIBUTE, Kind.NUMERIC, layer=Layer.FIRMOGRAPHIC
            ),
        )
    )
    return frame, schema, best


def _pooled_auc(base: tuple[np.ndarray, np.ndarray], y: np.ndarray, seed: int) -> float:
    from sklearn.model_selection import StratifiedKFold

    prob = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(y, y):
        prob[test] = validation.black_box_probabilities(base, y, train, test, seed)
    return float(roc_auc_score(y, prob))


@pytest.mark.parametrize("n", [2_000, 12_000])  # small folds, and folds that stop early
def test_planted_effect_is_ranked_above_chance(n: int) -> None:
    frame, schema, best = _accounts(n, seed=1)
    base = validation.baseline_features(frame, schema)
    fit = (frame["industry"] == "saas").to_numpy() & (frame["employees"] >= 50).fill_null(
        False
    ).to_numpy()
    # The best achievable AUC is the planted rule's; the black box must get most of the way.
    ceiling = roc_auc_score(best, fit.astype(float))
    assert _pooled_auc(base, best, seed=0) > 0.5 + 0.5 * (ceiling - 0.5)


def test_shuffled_outcome_finds_nothing() -> None:
    frame, schema, best = _accounts(3_000, seed=2)
    base = validation.baseline_features(frame, schema)
    shuffled = np.random.default_rng(3).permutation(best)
    assert abs(_pooled_auc(base, shuffled, seed=0) - 0.5) < 0.06


def test_fits_on_one_thread_with_bounded_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    seen: list[tuple[int, list[int]]] = []
    fit = HistGradientBoostingClassifier.fit

    def spy(self, X, y, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((self.max_iter, [p["num_threads"] for p in threadpool_info()]))
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", spy)
    frame, schema, best = _accounts(500, seed=4)
    base = validation.baseline_features(frame, schema)
    idx = np.arange(len(best))
    validation.black_box_probabilities(base, best, idx[:400], idx[400:], 0)
    assert len(seen) == 1
    max_iter, threads = seen[0]
    assert max_iter <= 100
    assert threads and all(t == 1 for t in threads)


def test_one_class_training_set_gives_a_constant() -> None:
    frame, schema, _ = _accounts(200, seed=5)
    base = validation.baseline_features(frame, schema)
    y = np.zeros(200, dtype=bool)
    idx = np.arange(200)
    prob = validation.black_box_probabilities(base, y, idx[:150], idx[150:], 0)
    assert prob.shape == (50,) and np.all(prob == 0.0)
