"""ICPLearner keeps the scikit-learn estimator contract and finds planted signal through it."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import (
    check_estimators_unfitted,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from icpkit.discovery.config import SearchConfig
from icpkit.discovery.learner import ICPLearner
from icpkit.errors import IcpkitError, NotFittedError, UsageError
from icpkit.pipeline import discover_file
from icpkit.sample.customers import weak_signal_customers

DAY = date(2026, 6, 30)
# Few permutations: the contract is under test here, not the calibration's resolution.
FAST = {"max_permutations": 19, "trait_permutations": 39, "today": DAY, "category_map": {}}


@pytest.fixture(scope="module")
def weak() -> tuple[pl.DataFrame, np.ndarray]:
    """Many small planted effects (Bayes AUC about 0.71); y is 1 won, 0 lost."""
    raw, _ = weak_signal_customers(2400, seed=11, signal=1.0, as_of=DAY)
    y = (raw["Outcome"] == "won").to_numpy().astype(int)
    return raw.drop("Outcome"), y


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
        check_estimators_unfitted,
    ],
)
def test_sklearn_contract_checks(check) -> None:
    check("ICPLearner", ICPLearner())


def test_params_are_flat_and_round_trip() -> None:
    learner = ICPLearner(max_segments=2, alpha=0.01, label="Won")
    params = learner.get_params()
    assert params["max_segments"] == 2 and params["alpha"] == 0.01 and params["label"] == "Won"
    assert all(not isinstance(v, (dict, list)) for k, v in params.items() if k != "category_map")
    again = clone(learner)
    assert again is not learner and again.get_params() == params
    learner.set_params(max_segments=1)
    assert learner.search_config().max_segments == 1
    assert repr(learner) == "ICPLearner(alpha=0.01, label='Won', max_segments=1)"


def test_unfitted_use_raises_not_fitted(weak) -> None:
    X, y = weak
    learner = ICPLearner()
    for method in (learner.predict, learner.predict_proba, learner.decision_function):
        with pytest.raises(NotFittedError, match="fit"):
            method(X)
    with pytest.raises(IcpkitError):
        learner.score(X, y)


def test_wrong_input_type_is_an_icpkit_error() -> None:
    with pytest.raises(UsageError, match="polars or pandas DataFrame"):
        ICPLearner(**FAST).fit(np.zeros((10, 3)), np.ones(10))


def test_fit_finds_weak_planted_signal_and_scores_by_auc(weak) -> None:
    X, y = weak
    train, test = next(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    learner = ICPLearner(**FAST).fit(X[train], y[train])
    assert learner.icp_.scoring.points, "the points model should pick up the planted effects"
    auc = learner.score(X[test], y[test])
    assert 0.6 < auc < 0.8  # Bayes AUC is about 0.71
    proba = learner.predict_proba(X[test])
    assert proba.shape == (len(test), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(learner.predict(X[test]))) <= {0, 1}
    # y in words reads as the same outcome as 1/0
    words = np.where(y[test] == 1, "Closed Won", "closed-lost")
    assert learner.score(X[test], words) == pytest.approx(auc)


def test_shuffled_outcomes_rank_no_better_than_chance(weak) -> None:
    X, y = weak
    rng = np.random.default_rng(5)
    scores = cross_val_score(ICPLearner(**FAST), X, rng.permutation(y), cv=3)
    assert abs(float(np.mean(scores)) - 0.5) < 0.06


@pytest.mark.parametrize("frame", ["polars", "pandas"])
def test_cross_val_score_and_pipeline_take_polars_or_pandas(weak, frame: str) -> None:
    X, y = weak
    data = X if frame == "polars" else X.to_pandas()
    drop_noise = FunctionTransformer(
        lambda d: (
            d.drop([c for c in d.columns if str(c).startswith("Noise")], axis=1)
            if frame == "pandas"
            else d.drop([c for c in d.columns if c.startswith("Noise")])
        )
    )
    pipe = Pipeline([("select", drop_noise), ("icp", ICPLearner(**FAST))])
    scores = cross_val_score(pipe, data, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and float(np.mean(scores)) > 0.6


def test_grid_search_over_a_flat_parameter(weak) -> None:
    X, y = weak
    grid = GridSearchCV(ICPLearner(**FAST), {"max_segments": [0, 2]}, cv=2).fit(X, y)
    assert grid.best_params_["max_segments"] in (0, 2)
    assert isinstance(grid.best_estimator_.icp_.name, str)


def test_discover_file_is_built_on_the_learner(weak) -> None:
    """discover_file's ICP is the learner's, plus validation; y in the frame or passed is one."""
    X, y = weak
    labelled = X.with_columns(pl.Series("Won", np.where(y == 1, "won", "lost")))
    search = SearchConfig(max_permutations=19, trait_permutations=39)
    run = discover_file(
        labelled, label="Won", folds=0, baseline=False, search=search, today=DAY, category_map={}
    )
    by_label = ICPLearner(label="Won", **FAST).fit(labelled).icp_
    by_y = ICPLearner(**FAST).fit(X, y).icp_
    for other in (by_label, by_y):
        assert other.scoring == run.icp.scoring
        assert other.disqualifiers == run.icp.disqualifiers
        assert [(s.must, s.nice, s.evidence) for s in other.segments] == [
            (s.must, s.nice, s.evidence) for s in run.icp.segments
        ]
