"""The points model behind ``fit_score``: an additive, L1-regularised logistic scorecard.

Every candidate trait of the three layers (a categorical value, a numeric threshold, "has X",
"has no tool in category Y", "funding within 180 days") is a 0/1 column; so is "all musts of
segment k met" (the segment's interaction bonus). An L1-penalised logistic regression over
those columns gives each trait a weight in log-odds — its points — and shrinks traits that do
not help to exactly zero, so the scorecard stays short and every point is visible.

How strongly to shrink is chosen out of sample: stratified k-fold cross-validation along a path
of penalties, from strong to weak, scored by the log-loss of every held-out account. Two rules
keep the choice honest and readable:

* **signal at all?** the best penalty must beat the intercept-only model by ``SIGNAL_Z``
  standard errors of the paired per-account loss difference. When it does not, the scorecard is
  empty and the score flat — for the right reason, and discovery says so;
* **simplest that is as good**: the strongest penalty whose held-out loss is within
  ``TOLERANCE_SE`` standard errors of the best, and at most ``max_points`` traits.

L1 shrinks the surviving weights too, which compresses scores towards the base rate. The
weights are therefore rescaled by one factor fitted on the held-out predictions (Platt scaling
of the cross-validated log-odds) and the intercept re-solved so that the mean predicted share of
best customers equals the observed one. A common factor changes no ranking and keeps every
weight's sign.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

#: Penalty path: this many values of C, log-spaced from the smallest C that admits a trait.
N_PENALTIES = 9
#: The path spans this many decades above that smallest C.
PATH_DECADES = 4.0
#: The best penalty must beat the intercept-only model by this many standard errors.
SIGNAL_Z = 2.0
#: A simpler model is preferred while its held-out loss is within this many standard errors.
TOLERANCE_SE = 0.25


@dataclass(frozen=True)
class PointsModel:
    """A fitted scorecard: one weight per input column (0 = not in the scorecard)."""

    coef: np.ndarray
    intercept: float
    penalty_c: float | None  # the chosen C (None: intercept only)
    cv_log_loss: float  # held-out log-loss of the chosen model
    null_log_loss: float  # held-out log-loss of the intercept-only model
    scale: float  # the common factor the L1 weights were multiplied by

    @property
    def signal(self) -> bool:
        """Whether any trait earned points out of sample."""
        return bool(np.any(self.coef != 0))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _row_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def _fit_l1(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    # liblinear penalises the intercept too; a large intercept_scaling makes that negligible.
    model = LogisticRegression(
        C=c, l1_ratio=1.0, solver="liblinear", intercept_scaling=100.0, max_iter=200, tol=1e-3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny folds; the CV judges
        model.fit(X, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def solve_intercept(raw: np.ndarray, y: np.ndarray) -> float:
    """Intercept b with Σ sigmoid(b + raw) = Σ y (calibration in the large).

    The left side rises monotonically in b, so bisection on a bracket always converges.
    """
    target = float(y.sum())
    lo, hi = -40.0 - float(raw.max()), 40.0 - float(raw.min())
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if float(_sigmoid(mid + raw).sum()) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9:
            break
    return 0.5 * (lo + hi)


def _platt_scale(raw: np.ndarray, y: np.ndarray) -> float:
    """Slope a of y ~ sigmoid(a · raw + b) on held-out log-odds (Newton on two parameters)."""
    a, b = 1.0, 0.0
    for _ in range(50):
        p = _sigmoid(a * raw + b)
        w = p * (1 - p)
        ga, gb = float(((p - y) * raw).sum()), float((p - y).sum())
        haa, hab, hbb = float((w * raw * raw).sum()), float((w * raw).sum()), float(w.sum())
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-9:
            break
    return a


def fit_points(
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: int | None = None,
    max_points: int = 60,
    random_state: int = 0,
) -> PointsModel:
    """Fit the scorecard on 0/1 columns ``X`` (n × k) for the target ``y`` (best customers).

    Returns an intercept-only model when there are too few accounts of either kind to
    cross-validate, or when no penalty beats the intercept out of sample.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=bool)
    n, k = X.shape
    # Small bases get more folds: the held-out comparison is what decides, and it is noisy.
    folds = folds or (5 if n < 5000 else 3)
    pos = int(y.sum())
    base_logit = _logit(pos / max(n, 1))
    flat = PointsModel(np.zeros(k), base_logit, None, math.nan, math.nan, 1.0)
    if k == 0 or pos < 2 * folds or n - pos < 2 * folds:
        return flat
    # Columns every account shares (or none does) carry no information; liblinear is faster
    # without them.
    Xf = np.asarray(X, dtype=np.float64)
    counts = Xf.sum(axis=0)
    useful = np.flatnonzero((counts > 0) & (counts < n))
    if len(useful) == 0:
        return flat
    Xu = np.ascontiguousarray(Xf[:, useful])
    yi = y.astype(np.int64)
    # The smallest C at which a trait enters: the largest score-gradient at the intercept-only
    # solution (sklearn's l1_min_c would count the intercept's own column).
    grad = np.abs(Xu.T @ (yi - yi.mean()))
    if float(grad.max()) <= 0:
        return flat
    c_min = 1.0 / float(grad.max())
    cs = c_min * np.logspace(0.0, PATH_DECADES, N_PENALTIES)

    # Held-out loss per account for the intercept-only model and along the penalty path. The
    # path runs from strong to weak penalties and stops once two steps in a row gained nothing
    # that counts: weaker penalties only overfit further, and they are the slow fits.
    Xs = sparse.csr_matrix(Xu)
    splits = list(
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state).split(
            np.zeros(n), yi
        )
    )
    losses = np.full((n, len(cs) + 1), np.inf)
    raw_oof = np.zeros((n, len(cs)))
    nnz = np.zeros((folds, len(cs)), dtype=np.int64)
    for tr, te in splits:
        losses[te, 0] = _row_loss(yi[te], np.full(len(te), float(yi[tr].mean())))
    best_j, stalled = 0, 0
    for j, c in enumerate(cs):
        for f, (tr, te) in enumerate(splits):
            coef, icpt = _fit_l1(Xs[tr], yi[tr], c)
            nnz[f, j] = int(np.count_nonzero(coef))
            raw = Xs[te] @ coef + icpt
            raw_oof[te, j] = raw
            losses[te, j + 1] = _row_loss(yi[te], _sigmoid(raw))
        gain = losses[:, best_j] - losses[:, j + 1]
        if float(gain.mean()) > TOLERANCE_SE * float(gain.std(ddof=1)) / math.sqrt(n):
            best_j, stalled = j + 1, 0
        else:
            stalled += 1
        if stalled >= 2 or float(np.median(nnz[:, j])) > 2 * max_points:
            break

    mean = losses.mean(axis=0)
    best = int(np.argmin(mean))
    # Signal at all? The best penalty must beat the intercept-only model on the paired
    # per-account held-out losses by a clear margin (it was picked as the best of the path, so
    # the margin is wider than a single test's).
    diff0 = losses[:, 0] - losses[:, best]
    se0 = float(diff0.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    if best == 0 or float(diff0.mean()) <= SIGNAL_Z * se0:
        return PointsModel(np.zeros(k), base_logit, None, float(mean[0]), float(mean[0]), 1.0)
    # The simplest model not clearly worse than the best (a quarter of a standard error of
    # the paired difference) and within the size a person can read.
    chosen = best
    for j in range(1, best + 1):
        diff = losses[:, j] - losses[:, best]
        se = float(diff.std(ddof=1) / math.sqrt(n))
        if float(diff.mean()) <= TOLERANCE_SE * se:
            chosen = j
            break
    while chosen > 1 and float(np.median(nnz[:, chosen - 1])) > max_points:
        chosen -= 1
    null_loss = float(mean[0])

    c = float(cs[chosen - 1])
    coef_u, _ = _fit_l1(Xs, yi, c)
    if max_points and np.count_nonzero(coef_u) > max_points:
        # Keep the strongest contributions (|weight| × spread of the column).
        strength = np.abs(coef_u) * np.sqrt(np.maximum(counts[useful] * (n - counts[useful]), 0))
        keep = np.argsort(-strength)[:max_points]
        mask = np.zeros(len(coef_u), dtype=bool)
        mask[keep] = True
        coef_u = np.where(mask, coef_u, 0.0)
    scale = _platt_scale(raw_oof[:, chosen - 1], yi.astype(np.float64))
    scale = float(min(max(scale, 0.5), 4.0))
    coef_u = coef_u * scale
    raw = Xu @ coef_u
    icpt = solve_intercept(raw, yi.astype(np.float64))
    coef = np.zeros(k)
    coef[useful] = coef_u
    return PointsModel(coef, icpt, c, float(mean[chosen]), null_loss, scale)


__all__ = ["PointsModel", "fit_points", "solve_intercept"]
