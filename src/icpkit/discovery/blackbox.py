"""The black box that validation sets beside the ICP: gradient boosting on the same columns.

Its own module, importing only NumPy and scikit-learn: in ``icp discover`` the black boxes are
the fold worker's first task, and a worker that needs neither polars nor icpkit's models to
run them starts them about half a second sooner (:mod:`icpkit.discovery.workers`).
"""

from __future__ import annotations

import numpy as np

# The black box: histogram gradient boosting with at most BOOST_ITER small trees (8 leaves, each
# holding at least 1% of the training accounts), stopping early on a held-out tenth once the
# training set is large enough (EARLY_STOP_TRAIN) to spare it. Small, slow-learning trees rank as
# well as the library defaults on the Telco sample and the Crunchbase export and overfit less on
# a few hundred accounts, at half the CPU.
BOOST_ITER = 100
EARLY_STOP_TRAIN = 10_000
# One thread: the black box is a side comparison, and OpenMP threads that wait on each other on
# a busy two-core machine made five 336-row fits take 50 s instead of 0.3 s.
BLACK_BOX_THREADS = 1


def black_box_probabilities(
    base: tuple[np.ndarray, np.ndarray],
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
) -> np.ndarray:
    """P(best) for the ``test`` rows from the black box fitted on the ``train`` rows.

    ``base`` is :func:`~icpkit.discovery.validation.baseline_features`' matrix and categorical mask. One model on one
    thread, bounded in trees: on five folds of the 336-row Telco sample it ranks as well as
    the earlier 200 default trees (AUC 0.97 against 0.965) in a tenth of a second of CPU.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    X, cat_mask = base
    y_train = np.asarray(y[train], dtype=bool)
    if y_train.all() or not y_train.any():  # one class: nothing to learn, rank nobody higher
        return np.full(len(test), float(y_train.mean()) if len(y_train) else 0.0)
    model = HistGradientBoostingClassifier(
        max_iter=BOOST_ITER,
        learning_rate=0.05,
        max_leaf_nodes=8,
        min_samples_leaf=max(20, len(train) // 100),
        categorical_features=cat_mask if cat_mask.any() else None,
        early_stopping=len(train) >= EARLY_STOP_TRAIN,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=seed,
    )
    with threadpool_limits(limits=BLACK_BOX_THREADS):
        model.fit(X[train], y_train)
        return np.asarray(model.predict_proba(X[test])[:, 1], dtype=float)


def black_boxes(
    base: tuple[np.ndarray, np.ndarray],
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
) -> list[np.ndarray]:
    """The black box's probabilities for every fold's test rows (one task: they are cheap)."""
    return [black_box_probabilities(base, y, train, test, seed) for train, test in splits]


__all__ = [
    "BLACK_BOX_THREADS",
    "BOOST_ITER",
    "EARLY_STOP_TRAIN",
    "black_box_probabilities",
    "black_boxes",
]
