"""The points model behind ``fit_score``: an additive, L1-regularised logistic scorecard.

Every candidate trait of the three layers (a categorical value, a numeric threshold, "has X",
"has no tool in category Y", "funding within 180 days") is a 0/1 column; so is "all musts of
segment k met" (the segment's interaction bonus). An L1-penalised logistic regression over
those columns gives each trait a weight in log-odds — its points — and shrinks traits that do
not help to exactly zero, so the scorecard stays short and every point is visible.

How strongly to shrink is chosen out of sample, for ranking — what the score is for: stratified
k-fold cross-validation (repeated with other splits on small bases) along a path of penalties,
from strong to weak, scored by the ROC AUC of every held-out account. Two rules keep the choice
honest and readable:

* **signal at all?** the best penalty's held-out AUC must exceed 0.5 by ``SIGNAL_Z`` standard
  errors of an AUC under no signal (Mann-Whitney). When it does not, the scorecard is empty and
  the score flat — for the right reason, and discovery says so;
* **simplest that is as good**: the strongest penalty whose held-out AUC is within
  ``TOLERANCE_SE`` of those standard errors of the best, and at most ``max_points`` traits.

L1 shrinks the surviving weights too, which compresses scores towards the base rate. The
weights are therefore rescaled by one factor fitted on the held-out predictions (Platt scaling
of the cross-validated log-odds) and the intercept re-solved so that the mean predicted share of
best customers equals the observed one. A common factor changes no ranking and keeps every
weight's sign.
"""

from __future__ import annotations

import functools
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
#: Above this many accounts the penalty is chosen on a stratified sample of this size.
SAMPLE_ROWS = 20_000
#: Callers fit the scorecard on at most this many accounts (a stratified sample).
FINAL_ROWS = 100_000
#: Penalties always tried before the path may stop early (the first ones admit few traits).
MIN_PATH = 4
#: The best penalty's held-out AUC must beat 0.5 by this many standard errors (no signal).
SIGNAL_Z = 2.0
#: A simpler model is preferred while its held-out AUC is within this many standard errors.
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
    cv_auc: float = math.nan  # held-out AUC of the chosen penalty

    @property
    def signal(self) -> bool:
        """Whether any trait earned points out of sample."""
        return bool(np.any(self.coef != 0))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by ranks (ties count half)."""
    from scipy.stats import rankdata

    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    r = rankdata(s)
    return float((r[y.astype(bool)].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _row_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


#: liblinear's settings for every fit: L1 logistic, tolerance, iterations, intercept scaling.
_TOL, _MAX_ITER, _INTERCEPT_SCALING = 1e-3, 200, 100.0


def _fit_l1_sklearn(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """The reference fit: scikit-learn's LogisticRegression on liblinear."""
    from sklearn.linear_model import LogisticRegression

    # liblinear penalises the intercept too; a large intercept_scaling makes that negligible.
    model = LogisticRegression(
        C=c,
        l1_ratio=1.0,
        solver="liblinear",
        intercept_scaling=_INTERCEPT_SCALING,
        max_iter=_MAX_ITER,
        tol=_TOL,
        random_state=0,  # liblinear visits coordinates in random order: fix it, same file twice
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny folds; the CV judges
        model.fit(X, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


class _Liblinear:
    """The same liblinear solve as :func:`_fit_l1_sklearn`, without the estimator around it.

    Choosing the penalty takes hundreds of fits on small bases (repeated k-fold along the path,
    in every validation fold), each a few milliseconds of solver; LogisticRegression's input
    validation, label encoding and warning filters add a third on top. Here the inputs are
    already what liblinear takes (CSR float64, 0/1 labels), so only the solver call remains:
    same arguments, same seed, bit-identical coefficients. It is used only after a self-check
    on a small problem matched the estimator exactly; otherwise every fit goes through it.
    """

    def __init__(self) -> None:
        self.train: Any = None
        try:
            from sklearn.svm import _liblinear
            from sklearn.svm._base import _get_liblinear_solver_type

            self.solver = _get_liblinear_solver_type("ovr", "l1", "logistic_regression", False)
            # What LogisticRegression(random_state=0) hands liblinear as its seed, every fit.
            self.seed = int(np.random.RandomState(0).randint(np.iinfo("i").max))
            self.quiet = _liblinear.set_verbosity_wrap  # liblinear prints unless told
            self.train = _liblinear.train_wrap
            if not self._matches_estimator():
                self.train = None
        except Exception:  # a private API moved: the estimator is the fallback
            self.train = None

    def _matches_estimator(self) -> bool:
        rng = np.random.default_rng(7)
        X = sparse.csr_matrix((rng.random((60, 8)) < 0.3).astype(np.float64))
        y = (rng.random(60) < 0.4).astype(np.int64)
        for c in (0.05, 0.5, 5.0):
            a, b = self.fit(X, y, c), _fit_l1_sklearn(X, y, c)
            if not (np.array_equal(a[0], b[0]) and a[1] == b[1]):
                return False
        return True

    def fit(self, X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
        usable = (
            self.train is not None
            and sparse.issparse(X)
            and X.format == "csr"
            and X.dtype == np.float64
            and X.indices.dtype == np.int32
            and X.indptr.dtype == np.int32
            and 0 < int(y.sum()) < len(y)
        )
        if not usable:
            return _fit_l1_sklearn(X, y, c)
        labels = np.require(np.asarray(y, dtype=np.float64).ravel(), requirements="W")
        self.quiet(0)
        raw, _iters = self.train(
            X,
            labels,
            True,
            self.solver,
            _TOL,
            _INTERCEPT_SCALING,
            c,
            np.ones(2),
            _MAX_ITER,
            self.seed,
            0.1,
            np.ones(X.shape[0]),
        )
        return raw[0, :-1].astype(np.float64), float(_INTERCEPT_SCALING * raw[0, -1])


@functools.cache
def _liblinear() -> _Liblinear:
    return _Liblinear()


def _fit_l1(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """L1 logistic fit of 0/1 labels ``y`` at inverse penalty ``c``: (weights, intercept)."""
    return _liblinear().fit(X, y, c)


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


def _csr(Xb: np.ndarray, columns: np.ndarray, block: int = 20_000) -> sparse.csr_matrix:
    """``Xb[:, columns]`` as float64 CSR, built block by block (scipy's dense → sparse path
    holds two int64 index arrays of every non-zero at once)."""
    blocks = [
        sparse.csr_matrix(Xb[i : i + block][:, columns], dtype=np.float64)
        for i in range(0, Xb.shape[0], block)
    ]
    return sparse.vstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]


def stratified_sample(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Row indices of a sample of ``size`` accounts with the share of best of the whole."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    k_pos = max(1, round(size * len(pos) / len(y)))
    take = np.concatenate(
        [
            rng.choice(pos, size=min(k_pos, len(pos)), replace=False),
            rng.choice(neg, size=min(size - k_pos, len(neg)), replace=False),
        ]
    )
    return np.sort(take)


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
    cross-validate, or when no penalty ranks held-out accounts better than chance.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

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
    # without them. The matrix goes sparse straight from booleans: no dense float copy.
    Xb = np.asarray(X, dtype=bool)
    counts = Xb.sum(axis=0)
    useful = np.flatnonzero((counts > 0) & (counts < n))
    if len(useful) == 0:
        return flat
    X_all = _csr(Xb, useful)
    y_all = y.astype(np.int64)
    # On a large base the penalty is chosen on a stratified sample (the held-out comparison
    # needs tens of thousands of accounts, not millions) and rescaled to the full base, where
    # the final model is fitted once: liblinear's C multiplies a sum of losses over accounts.
    rows = stratified_sample(y, SAMPLE_ROWS, random_state) if n > SAMPLE_ROWS else None
    Xs = X_all[rows] if rows is not None else X_all
    yi = y_all[rows] if rows is not None else y_all
    n_full, n = n, Xs.shape[0]
    # The smallest C at which a trait enters: the largest score-gradient at the intercept-only
    # solution (sklearn's l1_min_c would count the intercept's own column).
    grad = np.abs(Xs.T @ (yi - yi.mean()))
    if float(grad.max()) <= 0:
        return flat
    c_min = 1.0 / float(grad.max())
    cs = c_min * np.logspace(0.0, PATH_DECADES, N_PENALTIES)

    # Held-out loss and ranking per account along the penalty path. The path runs from strong
    # to weak penalties and stops once two steps in a row gained nothing that counts: weaker
    # penalties only overfit further, and they are the slow fits.
    # Small bases repeat the cross-validation with other splits: on a few hundred accounts one
    # split's verdict on "signal or not" is a coin toss.
    repeats = 3 if n < 2000 else (2 if n < 5000 else 1)
    splits = list(
        RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=random_state).split(
            np.zeros(n), yi
        )
    )
    losses = np.full((n, len(cs) + 1), np.inf)
    raw_oof = np.zeros((n, len(cs)))
    nnz = np.zeros((len(splits), len(cs)), dtype=np.int64)
    losses[:, 0] = 0.0
    for tr, te in splits:
        losses[te, 0] += _row_loss(yi[te], np.full(len(te), float(yi[tr].mean()))) / repeats
    n1, n0 = int(yi.sum()), n - int(yi.sum())
    # Standard error of an AUC under no signal (Mann-Whitney): the unit of every comparison.
    se_auc = math.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0))
    aucs = np.full(len(cs), np.nan)
    best_auc, stalled = 0.5, 0
    # Every penalty refits the same splits: slice each split's rows once.
    parts = [(Xs[tr], yi[tr], Xs[te]) for tr, te in splits]
    for j, c in enumerate(cs):
        losses[:, j + 1] = 0.0
        for f, ((_, te), (X_tr, y_tr, X_te)) in enumerate(zip(splits, parts, strict=True)):
            coef, icpt = _fit_l1(X_tr, y_tr, c)
            nnz[f, j] = int(np.count_nonzero(coef))
            raw = X_te @ coef + icpt
            raw_oof[te, j] += raw / repeats
            losses[te, j + 1] += _row_loss(yi[te], _sigmoid(raw)) / repeats
        aucs[j] = _auc(yi, raw_oof[:, j])
        if aucs[j] > best_auc + TOLERANCE_SE * se_auc:
            best_auc, stalled = float(aucs[j]), 0
        else:
            stalled += 1
        if (stalled >= 2 and j >= MIN_PATH) or float(np.median(nnz[:, j])) > 2 * max_points:
            break

    # The penalty is chosen for ranking, which is what the score is for, by the held-out AUC
    # of every account (averaged over repeats).
    tried = int(np.count_nonzero(np.isfinite(aucs)))
    if tried == 0:
        return flat
    mean = losses.mean(axis=0)
    j_best = int(np.nanargmax(aucs))
    # Signal at all? The best penalty must rank held-out accounts better than chance by
    # SIGNAL_Z standard errors. Several penalties were looked at, so this is a screening bar;
    # the points then face validation out of sample like everything else.
    if (float(aucs[j_best]) - 0.5) / se_auc <= SIGNAL_Z:
        return PointsModel(np.zeros(k), base_logit, None, float(mean[0]), float(mean[0]), 1.0)
    # The simplest model that ranks about as well as the best (within TOLERANCE_SE standard
    # errors) and stays within the size a person can read.
    chosen = j_best + 1
    for j in range(j_best + 1):
        if float(aucs[j]) >= float(aucs[j_best]) - TOLERANCE_SE * se_auc:
            chosen = j + 1
            break
    while chosen > 1 and float(np.median(nnz[:, chosen - 1])) > max_points:
        chosen -= 1
    c = float(cs[chosen - 1])
    c_full = c * n_full / n
    coef_u, _ = _fit_l1(X_all, y_all, c_full)
    if max_points and np.count_nonzero(coef_u) > max_points:
        # Keep the strongest contributions (|weight| × spread of the column).
        cu = counts[useful].astype(np.float64)
        strength = np.abs(coef_u) * np.sqrt(np.maximum(cu * (n_full - cu), 0))
        keep = np.argsort(-strength)[:max_points]
        mask = np.zeros(len(coef_u), dtype=bool)
        mask[keep] = True
        coef_u = np.where(mask, coef_u, 0.0)
    scale = _platt_scale(raw_oof[:, chosen - 1], yi.astype(np.float64))
    scale = float(min(max(scale, 0.25), 10.0))
    coef_u = coef_u * scale
    raw = np.asarray(X_all @ coef_u).ravel()
    icpt = solve_intercept(raw, y_all.astype(np.float64))
    coef = np.zeros(k)
    coef[useful] = coef_u
    return PointsModel(
        coef, icpt, c_full, float(mean[chosen]), float(mean[0]), scale, float(aucs[chosen - 1])
    )


__all__ = ["FINAL_ROWS", "PointsModel", "fit_points", "solve_intercept", "stratified_sample"]
