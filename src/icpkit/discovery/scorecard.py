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

* **signal at all?** first a permutation test (:func:`signal_test`) of "no trait is related to
  the outcome" at level ``ALPHA``; past it, the path's best held-out AUC must still beat 0.5
  by ``MIN_CV_Z`` standard errors (of an AUC under no signal, Mann-Whitney). Otherwise the scorecard is empty and the
  score flat — for the right reason, and discovery says so;
* **simplest that is as good**: the strongest penalty whose held-out AUC is within
  ``TOLERANCE_SE`` of those standard errors of the best, and at most ``max_points`` traits.

L1 shrinks the surviving weights too, which compresses scores towards the base rate. The
weights are therefore rescaled by one factor fitted on the held-out predictions (Platt scaling
of the cross-validated log-odds) and the intercept re-solved so that the mean predicted share of
best customers equals the observed one. A common factor changes no ranking and keeps every
weight's sign.

**The gate and its level.** A points table that is not flat claims signal as much as a segment
does, so it shares discovery's 5%: the search's families get ``SearchConfig.alpha`` = 0.036
(the least that lets each of their permutation tests pass at all), the points table
``ALPHA`` = 0.014, a union bound. At 5% each, 18 of 210 shuffled-outcome runs of
``bench/bench_quality.py`` claimed something (8.6%, upper bound 12.4%).

The former gate — the best penalty's cross-validated AUC over 0.5 in Mann-Whitney standard
errors, above 2.65 — was calibrated on shuffled outcomes (its null spread is wider than the
standard error says and grows with the penalties tried: 13.2% of 250 runs above 2.0, 4.0% above
2.65) and depends on the data's shape (a 1,000-row base gave 5 of 50 above 2.65, Telco 1 of 30).
At 1.4% its critical value would need thousands of shuffles per shape to set. The permutation
test is exact on every shape, costs milliseconds (one sparse-dense product per batch of
shuffles, and on noise it usually stops after the first batch), and runs before the penalty
path, so noise costs no path at all. Its power, judged on the same bases, paths and shuffles
(``bench/bench_null.py --points``: tables not flat of 40, fitted on n accounts):

* 300 accounts at Bayes AUC ~0.75: former gate (4.0% of 250 shuffled runs) 32, held-out AUC
  0.620; the score test at 5% 33 (0.623), at 2% 28, at 1.4% 24 (0.590); the CV z above 3.0
  (level unmeasured, between 1.4% and 4%) 29;
* 1,000 accounts at Bayes AUC ~0.64: former gate 38 (0.586); the score test at 5% 35, at 2%
  33, at 1.4% 32 (0.573);
* other statistics of the same scores, at 5% / 1.4%: the largest 28 / 17 and 34 / 22; the sum
  of the ten largest 31 / 20 and 37 / 27; the smallest p of the three 34 / 22 and 39 / 30.
  Ridge-weighted score statistics (penalty 0.01-3 on standardised columns, a side experiment)
  gave the plain sum's p within a few thousandths on every base tried.

The sum of squared scores spreads its power over many small effects, which is what customer
data holds. What the lower level costs shows on ``bench_quality``'s smallest base (generated
#1: 240 accounts to fit on per fold): its folds' exact p-values are 0.07-0.30 for every
statistic above and the CV z 0.8-3.4 (one fold above 2.65), so no gate at 5% or below gets
points there; L2 logistic regression reaches 0.60. Without any gate (2026-12-05, the same
folds) this scorecard ranks at 0.548 (one fold's path still finds nothing: z 0.81), an L1
logistic regression at its best cross-validated penalty at 0.597 with 18-96 weights a fold,
and an elastic net (half L1) at 0.603 with 33-43: the signal there is many small effects, which
a short, readable table at 240 accounts cannot hold. The same shuffled-outcome runs without a
gate give a table that is not flat in 18 of 60 (30%). The same level would leave ``bench/bench_discover.py``'s 336-row base
(``weak_signal_customers(336, seed=1, signal=1.5)``, p 0.028) flat, though the search reports a
segment there (p 0.03). Discovery therefore calls ``fit_points(..., signal_established=True)``
whenever its search has reported anything (:func:`icpkit.discovery.weights.fit_weights`): that
run has claimed signal already, so the share of runs claiming anything is unchanged, and on
that base its 13 points come back. Not done: one global test at 5% in front of the whole
discovery (nothing reported when it fails), which would hold the same 5% with the points gate
at 5% and the search at its former 0.05 (emulated on the 210 null runs: 4 claims, 1.9%).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, replace
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
#: The gate's level: the chance that outcomes unrelated to every trait get a points table that
#: is not flat. Discovery's search takes the rest of the 5% (``SearchConfig.alpha``, 0.036; one
#: budget, a union bound; a test checks that the two add up to 0.05).
ALPHA = 0.014
#: Shuffles of the gate's permutation test at most (fewer once the verdict is sure).
PERMUTATIONS = 499
#: Shuffles per batch: after each, the test stops once it can no longer pass.
PERMUTATION_BATCH = 50
#: Past the gate, the path's best held-out AUC must still beat 0.5 by this many standard errors
#: of an AUC under no signal; otherwise the table stays flat (the points would not rank).
MIN_CV_Z = 1.0
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
    signal_z: float = math.nan  # best held-out AUC over 0.5 in standard errors (NaN: no path)
    signal_p: float = math.nan  # the gate's permutation p-value (NaN: too few accounts to ask)

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


def _fit_l1_sklearn(X: Any, y: np.ndarray, c: float, tol: float = _TOL) -> tuple[np.ndarray, float]:
    """The reference fit: scikit-learn's LogisticRegression on liblinear."""
    from sklearn.linear_model import LogisticRegression

    # liblinear penalises the intercept too; a large intercept_scaling makes that negligible.
    model = LogisticRegression(
        C=c,
        l1_ratio=1.0,
        solver="liblinear",
        intercept_scaling=_INTERCEPT_SCALING,
        max_iter=_MAX_ITER,
        tol=tol,
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

    def fit(self, X: Any, y: np.ndarray, c: float, tol: float = _TOL) -> tuple[np.ndarray, float]:
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
            return _fit_l1_sklearn(X, y, c, tol)
        labels = np.require(np.asarray(y, dtype=np.float64).ravel(), requirements="W")
        self.quiet(0)
        raw, _iters = self.train(
            X,
            labels,
            True,
            self.solver,
            tol,
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


def _fit_l1(X: Any, y: np.ndarray, c: float, tol: float = _TOL) -> tuple[np.ndarray, float]:
    """L1 logistic fit of 0/1 labels ``y`` at inverse penalty ``c``: (weights, intercept).

    ``tol`` is relative: liblinear stops once the summed violation of the optimality
    conditions falls to ``tol`` times its value at zero weights (see :attr:`_Problem.tol`)."""
    return _liblinear().fit(X, y, c, tol)


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


def _csr(
    Xb: np.ndarray, columns: np.ndarray, flip: np.ndarray | None = None, block: int = 20_000
) -> sparse.csr_matrix:
    """``Xb[:, columns]`` as float64 CSR, the ``flip`` columns complemented, built block by
    block (scipy's dense → sparse path holds two int64 index arrays of every non-zero at
    once)."""
    blocks = [
        sparse.csr_matrix(
            Xb[i : i + block][:, columns] if flip is None else Xb[i : i + block][:, columns] ^ flip,
            dtype=np.float64,
        )
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


@dataclass(frozen=True)
class _Problem:
    """The accounts and columns the scorecard is fitted on, in the solver's format."""

    X_all: sparse.csr_matrix  # every account, distinct informative columns (some complemented)
    y_all: np.ndarray  # 0/1 int64
    Xs: sparse.csr_matrix  # the accounts the penalty is chosen on (all, or a sample)
    ys: np.ndarray  # their labels
    useful: np.ndarray  # the distinct informative columns' indices in X
    counts: np.ndarray  # accounts that have each column of X
    folds: int
    flipped: np.ndarray  # per useful column: the solver sees its complement
    gate_X: sparse.csr_matrix  # Xs's accounts, every informative column: the gate's input
    signs: np.ndarray | None  # per useful column, solver orientation: allowed sign (NaN: any)
    grad0: np.ndarray  # per useful column, solver orientation: |score| at zero weights
    grad0_given: float  # the same summed over the informative columns as given, intercept in

    def tol(self, active: np.ndarray | None = None) -> float:
        """liblinear's relative tolerance for a fit on the solver's columns (``active`` of
        them) that stops where the columns as given would have stopped.

        liblinear's L1 solver stops at ``tol`` times the summed optimality violation at zero
        weights, a sum over columns: dropping duplicates or complementing columns shrinks it
        and so tightens the stop. On the 1,000,000-row benchmark that turned a 3.5 s fit
        into 28 s (13 Newton steps instead of 10, the last ones long); scaled back, 6.2 s.
        """
        grads = self.grad0 if active is None else self.grad0[active]
        icpt = _INTERCEPT_SCALING * abs(0.5 * len(self.y_all) - float(self.y_all.sum()))
        return _TOL * self.grad0_given / max(float(grads.sum()) + icpt, 1e-12)


@dataclass(frozen=True)
class _Path:
    """Cross-validated figures along the penalty path (columns not tried are NaN / inf)."""

    cs: np.ndarray  # inverse penalties, strong to weak
    aucs: np.ndarray  # held-out AUC of every account per penalty
    losses: np.ndarray  # n × (1 + len(cs)) held-out log-loss; column 0 = intercept only
    raw_oof: np.ndarray  # n × len(cs) held-out log-odds (mean over repeats)
    nnz: np.ndarray  # splits × len(cs) traits kept by each fit
    se_auc: float  # standard error of an AUC under no signal (Mann-Whitney)

    @property
    def best_auc(self) -> float:
        return float(np.nanmax(self.aucs))


def _problem(
    X: np.ndarray,
    y: np.ndarray,
    folds: int,
    random_state: int,
    signs: np.ndarray | None = None,
) -> _Problem | None:
    """Sparse inputs without uninformative columns; None when nothing can be fitted."""
    n = X.shape[0]
    pos = int(y.sum())
    if X.shape[1] == 0 or pos < 2 * folds or n - pos < 2 * folds:
        return None
    # Columns every account shares (or none does) carry no information; liblinear is faster
    # without them. The matrix goes sparse straight from booleans: no dense float copy.
    Xb = np.asarray(X, dtype=bool)
    counts = Xb.sum(axis=0)
    informative = np.flatnonzero((counts > 0) & (counts < n))
    if len(informative) == 0:
        return None
    useful = informative[distinct_columns(Xb[:, informative], counts[informative])]
    # A column most accounts have is given to the solver as its complement: with the
    # (barely penalised) intercept, x and 1 - x are the same model, the same L1 penalty and
    # the same score statistic, but liblinear's L1 solver slows with dense columns: on the
    # Telco base (a ladder of charge thresholds, 25 of 71 columns over half full) the penalty
    # path took 9.7 CPU s as given and 1.7 s complemented, held-out AUCs equal to 4 decimals.
    # Weights are turned back before anyone sees them (_unflip).
    flipped = counts[useful] * 2 > n
    X_all = _csr(Xb, useful, flipped if flipped.any() else None)
    y_all = y.astype(np.int64)
    # On a large base the penalty is chosen on a stratified sample (the held-out comparison
    # needs tens of thousands of accounts, not millions) and rescaled to the full base, where
    # the final model is fitted once: liblinear's C multiplies a sum of losses over accounts.
    rows = stratified_sample(y, SAMPLE_ROWS, random_state) if n > SAMPLE_ROWS else None
    Xs = X_all[rows] if rows is not None else X_all
    ys = y_all[rows] if rows is not None else y_all
    gate_X = Xs  # the gate's statistic is the same on a column or its complement
    if len(useful) < len(informative):
        gate_X = _csr(Xb if rows is None else Xb[rows], informative)
    # the score of each column at zero weights, from counts (no float copy of the matrix)
    pos_counts = Xb[np.asarray(y, dtype=bool)].sum(axis=0).astype(np.float64)
    neg_counts = counts - pos_counts
    n_pos = float(y.sum())
    given = 0.5 * np.abs(neg_counts - pos_counts)[informative]
    solver = np.where(
        flipped,
        0.5 * np.abs((n - n_pos - neg_counts[useful]) - (n_pos - pos_counts[useful])),
        given[np.searchsorted(informative, useful)],
    )
    grad0_given = float(given.sum()) + _INTERCEPT_SCALING * abs(0.5 * n - n_pos)
    signs_u = None
    if signs is not None:
        signs_u = np.asarray(signs, dtype=np.float64)[useful]
        signs_u = np.where(flipped, -signs_u, signs_u)
    return _Problem(
        X_all, y_all, Xs, ys, useful, counts, folds, flipped, gate_X, signs_u, solver, grad0_given
    )


#: Columns that differ on at most this share of accounts (or their complements do), and on at
#: most SAME_FACT_OWN_SHARE of the smaller minority side's, are one fact to the points table:
#: a threshold and its complement where a few values are missing.
SAME_FACT_SHARE = 0.005
SAME_FACT_OWN_SHARE = 0.05


def distinct_columns(Xb: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices of one column of each group of 0/1 columns of ``Xb`` that hold the same
    accounts or exactly the other accounts, up to ``SAME_FACT_SHARE`` of them; in column order.

    Such columns are one fact: "no internet service" spelled in six columns of the Telco
    export, a yes/no column's two values, "charges ≥ $4K" and "< $4K" (11 of 7,043 charges
    missing; tolerances: ``SAME_FACT_SHARE``, ``SAME_FACT_OWN_SHARE``). With an intercept
    they are one parameter (or nearly), and an L1 fit spreads that one weight over them at
    random: the Telco points table gave "no internet service" seven lines adding up to +6.6,
    and both "phone service: yes" (-1.42, 91% of best and of worst) and "phone service: no"
    (+0.75). The column kept is the first in discovery's order (strongest evidence first,
    "≥ t" before "< t"), so a ladder of thresholds reads one way; an account whose value is
    unknown scores as one outside that criterion.
    """
    n, k = Xb.shape
    if k < 2:
        return np.arange(k)
    both = np.zeros((k, k))  # accounts having column i and column j
    for i in range(0, n, 20_000):  # (float32 blocks: exact counts, BLAS speed, little memory)
        block = Xb[i : i + 20_000].astype(np.float32)
        both += block.T @ block
    c = counts.astype(np.float64)
    differ = c[:, None] + c[None, :] - 2 * both  # accounts in exactly one of the two
    # a few accounts of the base, and a few of the smaller minority side's (a column's or its
    # complement's): two rare traits, two industries of 0.2% each, differ on few accounts but
    # are not one fact, and neither are the two common traits "not in either"
    minority = np.minimum(c, n - c)
    tolerance = np.minimum(
        SAME_FACT_SHARE * n, SAME_FACT_OWN_SHARE * np.minimum.outer(minority, minority)
    )
    same = (differ <= tolerance) | (n - differ <= tolerance)
    taken = np.zeros(k, dtype=bool)
    keep = []
    for j in range(k):  # each group is represented by its first column
        if not taken[j]:
            keep.append(j)
            taken |= same[j]
    return np.asarray(keep, dtype=np.int64)


def _unflip(problem: _Problem, coef_u: np.ndarray, intercept: float) -> tuple[np.ndarray, float]:
    """Weights on the columns as given from weights on the solver's (complemented) columns:
    w · (1 - x) = w - w · x."""
    flipped = problem.flipped
    return np.where(flipped, -coef_u, coef_u), intercept + float(coef_u[flipped].sum())


def _penalties(X: Any, y: np.ndarray) -> np.ndarray | None:
    """The path of C, from the smallest at which a trait enters to PATH_DECADES above it.

    That smallest C is one over the largest score-gradient at the intercept-only solution
    (sklearn's l1_min_c would count the intercept's own column). None: no column moves.
    """
    grad = np.abs(X.T @ (y - y.mean()))
    if float(grad.max()) <= 0:
        return None
    return (1.0 / float(grad.max())) * np.logspace(0.0, PATH_DECADES, N_PENALTIES)


def _cv_path(
    X: Any, y: np.ndarray, folds: int, random_state: int, max_points: int, tol: float = _TOL
) -> _Path | None:
    """Held-out loss and ranking of every account along the penalty path.

    The path runs from strong to weak penalties and stops once two steps in a row gained
    nothing that counts: weaker penalties only overfit further, and they are the slow fits.
    Small bases repeat the cross-validation with other splits: on a few hundred accounts one
    split's verdict on "signal or not" is a coin toss. A pure function of (X, y, seed), so the
    permutation gate can rerun it on shuffled labels.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    cs = _penalties(X, y)
    if cs is None:
        return None
    n = X.shape[0]
    repeats = 3 if n < 2000 else (2 if n < 5000 else 1)
    splits = list(
        RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=random_state).split(
            np.zeros(n), y
        )
    )
    losses = np.full((n, len(cs) + 1), np.inf)
    raw_oof = np.zeros((n, len(cs)))
    nnz = np.zeros((len(splits), len(cs)), dtype=np.int64)
    losses[:, 0] = 0.0
    for tr, te in splits:
        losses[te, 0] += _row_loss(y[te], np.full(len(te), float(y[tr].mean()))) / repeats
    n1 = int(y.sum())
    se_auc = math.sqrt((n + 1) / (12.0 * n1 * (n - n1)))
    aucs = np.full(len(cs), np.nan)
    best_auc, stalled = 0.5, 0
    # Every penalty refits the same splits: slice each split's rows once.
    parts = [(X[tr], y[tr], X[te]) for tr, te in splits]
    for j, c in enumerate(cs):
        losses[:, j + 1] = 0.0
        for f, ((_, te), (X_tr, y_tr, X_te)) in enumerate(zip(splits, parts, strict=True)):
            coef, icpt = _fit_l1(X_tr, y_tr, c, tol)
            nnz[f, j] = int(np.count_nonzero(coef))
            raw = X_te @ coef + icpt
            raw_oof[te, j] += raw / repeats
            losses[te, j + 1] += _row_loss(y[te], _sigmoid(raw)) / repeats
        aucs[j] = _auc(y, raw_oof[:, j])
        if aucs[j] > best_auc + TOLERANCE_SE * se_auc:
            best_auc, stalled = float(aucs[j]), 0
        else:
            stalled += 1
        if (stalled >= 2 and j >= MIN_PATH) or float(np.median(nnz[:, j])) > 2 * max_points:
            break
    return _Path(cs, aucs, losses, raw_oof, nnz, se_auc)


def _cv_z(path: _Path) -> float:
    """The best penalty's held-out AUC over 0.5, in standard errors of an AUC under no signal
    (Mann-Whitney)."""
    return (path.best_auc - 0.5) / path.se_auc


def signal_test(
    X: sparse.csr_matrix,
    y: np.ndarray,
    *,
    alpha: float = ALPHA,
    permutations: int = PERMUTATIONS,
    random_state: int = 0,
) -> float:
    """Permutation p-value of "no trait says anything about the outcome" (the gate).

    The statistic is the sum over columns of each column's squared standardised score
    ``(x_j · (y - ȳ))² / (n_j (n - n_j) / n)`` — the score test of a logistic model with a
    strong ridge penalty, whose power is spread over many small effects rather than spent on
    the strongest. Shuffling ``y`` leaves every column's scale unchanged, so the shuffled
    statistics are one sparse-dense product per batch, and the p-value
    ``(1 + #{shuffled ≥ observed}) / (1 + shuffles)`` is exact on any data: small or wide
    bases, few or many columns, correlated threshold ladders.

    Shuffles run in batches and stop once more of them reached the observed value than a
    p-value at or below ``alpha`` allows (the verdict cannot change; the returned value is
    then the share so far, Besag-Clifford). On noise that is usually the first batch.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    counts = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
    scale = counts * (n - counts) / n
    keep = np.flatnonzero(scale > 0)
    if len(keep) == 0 or not 0 < y.sum() < n:
        return 1.0
    Xk = X[:, keep] if len(keep) < X.shape[1] else X
    inv = 1.0 / scale[keep]

    def stat(Yc: np.ndarray) -> np.ndarray:
        S = np.asarray(Xk.T @ Yc)
        return inv @ (S * S)

    observed = float(stat((y - y.mean())[:, None])[0])
    allowed = math.floor(alpha * (permutations + 1) + 1e-9) - 1  # exceedances a pass allows
    rng = np.random.default_rng(random_state)
    done = exceed = 0
    while done < permutations:
        b = min(PERMUTATION_BATCH, permutations - done)
        Y = rng.permuted(np.broadcast_to(y - y.mean(), (b, n)), axis=1).T
        # A shuffle that ties the observed value counts against it (floating-point ties too).
        exceed += int(np.count_nonzero(stat(Y) >= observed * (1 - 1e-12)))
        done += b
        if exceed > allowed:
            return exceed / done
    return (1 + exceed) / (1 + done)


def _choose(path: _Path, max_points: int) -> int:
    """Index of the penalty: the simplest that ranks about as well as the best.

    Within TOLERANCE_SE standard errors of the best held-out AUC, and no more traits (median
    over the fits) than a person can read.
    """
    j_best = int(np.nanargmax(path.aucs))
    chosen = j_best
    for j in range(j_best + 1):
        if float(path.aucs[j]) >= float(path.aucs[j_best]) - TOLERANCE_SE * path.se_auc:
            chosen = j
            break
    while chosen > 0 and float(np.median(path.nnz[:, chosen])) > max_points:
        chosen -= 1
    return chosen


def _final_fit(problem: _Problem, c_full: float, max_points: int) -> np.ndarray:
    """Weights of the informative columns, fitted on every account at ``c_full``, each
    pointing the way its own trait does (see :func:`_sign_consistent`).

    Beyond ``max_points`` traits only the strongest contributions stay (|weight| × spread
    of the column).
    """
    n_full = problem.X_all.shape[0]
    coef_u = _sign_consistent(problem, c_full)
    if max_points and np.count_nonzero(coef_u) > max_points:
        cu = problem.counts[problem.useful].astype(np.float64)
        strength = np.abs(coef_u) * np.sqrt(np.maximum(cu * (n_full - cu), 0))
        keep = np.argsort(-strength)[:max_points]
        mask = np.zeros(len(coef_u), dtype=bool)
        mask[keep] = True
        coef_u = np.where(mask, coef_u, 0.0)
    return coef_u


#: Refits at most this many times to drop weights that point against their trait.
SIGN_ROUNDS = 5


def _sign_consistent(problem: _Problem, c_full: float) -> np.ndarray:
    """The L1 fit at ``c_full`` refitted without the traits whose weight points against their
    own association with the outcome, until none does (at most ``SIGN_ROUNDS`` refits).

    A points table is read line by line: "streaming movies: yes, -1.55 points" beside "57% of
    best, 36% of worst" (the Telco export, where it stood in for charges given tenure) tells a
    reader the opposite of what the line shows. Credit scorecards drop such suppressor terms
    for the same reason. Held-out AUC moved by at most 0.003 on the 13 benchmark datasets;
    on the Telco export's default outcome (tenure) 0.941 → 0.929, where the black box reads
    total charges, which restates tenure.
    """
    X, y = problem.X_all, problem.y_all
    # the association's sign, in the solver's orientation (a complemented column's flips too)
    direction = np.sign(np.asarray(X.T @ (y - y.mean())).ravel())
    if problem.signs is not None:
        # the caller's own reading of each trait (the points table shows best and worst
        # shares beside each weight): where it and best-vs-rest disagree, no points
        signs = problem.signs
        direction = np.where(np.isnan(signs) | (signs == direction), direction, 0.0)
    active = np.arange(X.shape[1])
    coef = np.zeros(X.shape[1])
    for _ in range(SIGN_ROUNDS + 1):
        sub = len(active) < X.shape[1]
        w, _ = _fit_l1(X[:, active] if sub else X, y, c_full, problem.tol(active if sub else None))
        d = direction[active]
        against = (w * d < 0) | ((d == 0) & (w != 0))
        coef[:] = 0.0
        coef[active] = np.where(against, 0.0, w)
        if not against.any():
            break
        active = active[~against]
        if len(active) == 0:
            break
    return coef


def _rescale(
    problem: _Problem, coef_u: np.ndarray, raw_oof: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Undo L1's shrinkage by one common factor: (weights, intercept, factor).

    The factor is the Platt slope of the held-out log-odds (bounded to 0.25-10); the intercept
    is re-solved so that the mean predicted share of best customers equals the observed one.
    """
    scale = _platt_scale(raw_oof, problem.ys.astype(np.float64))
    scale = float(min(max(scale, 0.25), 10.0))
    coef_u = coef_u * scale
    raw = np.asarray(problem.X_all @ coef_u).ravel()
    return coef_u, solve_intercept(raw, problem.y_all.astype(np.float64)), scale


def fit_points(
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: int | None = None,
    max_points: int = 60,
    random_state: int = 0,
    alpha: float = ALPHA,
    signal_established: bool = False,
    signs: np.ndarray | None = None,
) -> PointsModel:
    """Fit the scorecard on 0/1 columns ``X`` (n × k) for the target ``y`` (best customers).

    Returns an intercept-only model when there are too few accounts of either kind to
    cross-validate, when the gate (:func:`signal_test` at level ``alpha``) finds no trait
    related to the outcome, or when the path's best held-out AUC does not beat 0.5 by
    ``MIN_CV_Z`` standard errors.

    ``signal_established``: discovery has already claimed signal on these outcomes with its
    own calibrated tests (a significant segment, disqualifier or timing signal). The gate is
    then skipped: the 5% bounds the share of runs that claim *anything* when nothing is there,
    and such a run has claimed something already, so points add no false claim to it.

    ``signs``: per column, the sign a weight may take (+1, -1, 0 for none, NaN for either) as
    the caller reads the trait (discovery: best share against worst share, the two figures the
    points table shows). Weights must agree with it and with the trait's best-vs-rest
    association (see :func:`_sign_consistent`).
    """
    y = np.asarray(y, dtype=bool)
    n, k = X.shape
    # Small bases get more folds: the held-out comparison is what decides, and it is noisy.
    folds = folds or (5 if n < 5000 else 3)
    base_logit = _logit(int(y.sum()) / max(n, 1))
    flat = PointsModel(np.zeros(k), base_logit, None, math.nan, math.nan, 1.0)
    problem = _problem(X, y, folds, random_state, signs)
    if problem is None:
        return flat
    p = math.nan  # not asked: signal is established
    if not signal_established:
        p = signal_test(problem.gate_X, problem.ys, alpha=alpha, random_state=random_state)
    if not signal_established and p > alpha:
        return replace(flat, signal_p=p)
    path = _cv_path(problem.Xs, problem.ys, folds, random_state, max_points, problem.tol())
    if path is None or not np.isfinite(path.aucs).any():
        return replace(flat, signal_p=p)
    mean = path.losses.mean(axis=0)
    z = _cv_z(path)
    if z <= MIN_CV_Z:
        return PointsModel(
            np.zeros(k),
            base_logit,
            None,
            float(mean[0]),
            float(mean[0]),
            1.0,
            signal_z=z,
            signal_p=p,
        )
    chosen = _choose(path, max_points)
    c_full = float(path.cs[chosen]) * n / problem.Xs.shape[0]
    coef_u = _final_fit(problem, c_full, max_points)
    coef_u, icpt, scale = _rescale(problem, coef_u, path.raw_oof[:, chosen])
    coef_u, icpt = _unflip(problem, coef_u, icpt)
    coef = np.zeros(k)
    coef[problem.useful] = coef_u
    return PointsModel(
        coef,
        icpt,
        c_full,
        float(mean[chosen + 1]),
        float(mean[0]),
        scale,
        float(path.aucs[chosen]),
        signal_z=z,
        signal_p=p,
    )


__all__ = [
    "ALPHA",
    "FINAL_ROWS",
    "PointsModel",
    "fit_points",
    "signal_test",
    "solve_intercept",
    "stratified_sample",
]
