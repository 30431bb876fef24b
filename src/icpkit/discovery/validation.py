"""Validation: would these criteria have selected the winners and screened out the losers?

Three views, each as counts and rates:

* **in-sample**: the ICP scored on the very customers it was fitted on (optimistic by design);
* **k-fold** (stratified, default 5): the ICP is re-discovered on k−1 folds and scored on the
  fold it never saw; predictions are pooled across folds;
* **time split** (when a purchase-date column exists and ``holdout_after`` is given): fitted on
  accounts bought before the date, scored on those bought after — the closest to real use.

AUC ranks accounts by fit_score with disqualified accounts last (disqualifiers win). Beside the
explicit ICP, a black-box baseline on the same columns and the same folds shows what the explicit
criteria leave on the table. Its selection is the same number of accounts as the ICP selects, so
precision and recall compare. It is always on and kept cheap: scikit-learn's histogram gradient
boosting, one model per fold with at most 100 trees, on one thread (see
:func:`black_box_probabilities`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from icpkit.columns.schema import Kind, Role, Schema
from icpkit.discovery.blackbox import black_box_probabilities, black_boxes
from icpkit.icp import ICP
from icpkit.outcomes import Outcomes

if TYPE_CHECKING:
    from icpkit.discovery.workers import FoldPool

SELECTED_TIERS = ("A", "B")


def roc_auc_score(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """ROC AUC by the rank sum (Mann-Whitney), tied scores counting half.

    The same figure as scikit-learn's ``roc_auc_score`` (a test holds it to it) without
    loading scikit-learn, which costs about a second of CPU in a process that has no other use
    for it. Needs both classes in ``y_true``.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(y_score, dtype=np.float64)
    n1 = int(y.sum())
    n0 = len(y) - n1
    order = np.argsort(s, kind="stable")
    ordered = s[order]
    # Tied scores share the mean of the ranks they span (1-based).
    edges = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    mean_rank = (edges[:-1] + edges[1:] + 1) / 2.0
    ranks = np.empty(len(s))
    ranks[order] = np.repeat(mean_rank, np.diff(edges))
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def stratified_folds(
    y: np.ndarray, folds: int, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``folds`` (train, test) index pairs with each class spread evenly over the folds.

    Each class's accounts are put in a random order and dealt to the folds in turn, the second
    class continuing where the first stopped, so fold sizes differ by at most one account per
    class and overall. Indices are sorted. (scikit-learn's ``StratifiedKFold`` would do as
    well; this spares a process that only discovers from loading scikit-learn.)
    """
    y = np.asarray(y, dtype=bool)
    rng = np.random.default_rng(random_state)
    fold_of = np.empty(len(y), dtype=np.int64)
    dealt = 0
    for cls in (True, False):
        idx = rng.permutation(np.flatnonzero(y == cls))
        fold_of[idx] = (dealt + np.arange(len(idx))) % folds
        dealt += len(idx)
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(folds)]


@dataclass(frozen=True)
class Prediction:
    """What the ICP says about each account (the learner's view of the scoring contract)."""

    fit_score: np.ndarray
    tier: np.ndarray
    disqualified: np.ndarray

    @property
    def ranking_score(self) -> np.ndarray:
        """fit_score, in which disqualified accounts already rank last (score 0)."""
        return self.fit_score

    @property
    def selected(self) -> np.ndarray:
        return np.isin(self.tier, SELECTED_TIERS) & ~self.disqualified


def predict(icp: ICP, frame: pl.DataFrame) -> Prediction:
    """fit_score, tier and disqualification of a prepared frame, from the scoring engine.

    The engine is the one implementation of the scoring rules in :mod:`icpkit.icp` (the SQL
    compiler is tested equal to it), so validation measures exactly what ``icp score`` outputs.
    """
    from icpkit.scoring.engine import score

    # Discovery's own accounts are scored from the date its windows were measured from (an
    # export taken long ago: the data's end, not today).
    as_of = icp.source.as_of if icp.source is not None else None
    out = score(frame, icp, prepared=True, rank=False, reasons="none", as_of=as_of)
    return Prediction(
        out.get_column("fit_score").to_numpy(),
        out.get_column("tier").to_numpy(),
        out.get_column("disqualified").to_numpy().astype(bool),
    )


@dataclass(frozen=True)
class Metrics:
    """Selection quality on one set of accounts."""

    accounts: int
    best: int
    worst: int
    selected: int
    selected_best: int
    selected_worst: int
    precision: float  # share of best among selected
    recall: float  # share of best that were selected
    worst_screened_out: float  # share of worst NOT selected
    base_rate: float
    top_tier_lift: float | None  # best rate in tier A / base rate
    auc: float | None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def metrics(
    score: np.ndarray,
    selected: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    top: np.ndarray | None = None,
) -> Metrics:
    nb = int(best.sum())
    ns = int(selected.sum())
    base = nb / max(len(best), 1)
    auc = None
    if 0 < nb < len(best):
        auc = float(roc_auc_score(best, score))
    lift = None
    if top is not None and top.sum() > 0 and base > 0:
        lift = float(best[top].mean() / base)
    return Metrics(
        accounts=len(best),
        best=nb,
        worst=int(worst.sum()),
        selected=ns,
        selected_best=int((selected & best).sum()),
        selected_worst=int((selected & worst).sum()),
        precision=float((selected & best).sum() / ns) if ns else 0.0,
        recall=float((selected & best).sum() / nb) if nb else 0.0,
        worst_screened_out=float((~selected & worst).sum() / max(int(worst.sum()), 1)),
        base_rate=base,
        top_tier_lift=lift,
        auc=auc,
    )


@dataclass
class ValidationReport:
    in_sample: Metrics
    kfold: Metrics | None = None
    kfold_baseline: Metrics | None = None
    time_split: Metrics | None = None
    time_split_baseline: Metrics | None = None
    folds: int = 0
    holdout_after: date | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"selected_tiers": list(SELECTED_TIERS)}
        for name in ("in_sample", "kfold", "kfold_baseline", "time_split", "time_split_baseline"):
            m = getattr(self, name)
            if m is not None:
                out[name] = m.as_dict()
        if self.folds:
            out["folds"] = self.folds
        if self.holdout_after:
            out["holdout_after"] = self.holdout_after.isoformat()
        if self.notes:
            out["notes"] = list(self.notes)
        return out


Fitter = Callable[[pl.DataFrame, Outcomes], ICP]


def _subset(o: Outcomes, idx: np.ndarray) -> Outcomes:
    return replace(
        o,
        best=o.best[idx],
        worst=o.worst[idx],
        composite=None if o.composite is None else o.composite[idx],
    )


def _fold(
    fitter: Fitter,
    frame: pl.DataFrame,
    outcomes: Outcomes,
    train: np.ndarray,
    test: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fold: re-discover on ``train``, score ``test``.

    A module-level function of its arguments only, so it runs the same in a worker process.
    Returns the test rows' ranking score, selection and tier-A flag.
    """
    fold_icp = fitter(frame[train], _subset(outcomes, train))
    p = predict(fold_icp, frame[test])
    return p.ranking_score, p.selected, p.tier == "A"


class KFoldRun:
    """The k-fold part of validation, started before the final fit and collected after it.

    With ``workers`` (a :class:`~icpkit.discovery.workers.FoldPool`) every task is submitted
    at once, the black boxes of all folds first (the worker takes them while this process
    still fits, so it never has to import the boosting library); :meth:`metrics` then runs
    here each fold the worker has not been sent yet, from the last one down, and waits for
    the rest. Without workers everything runs in :meth:`metrics`. Either way the same
    functions compute every figure, so they are identical.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        schema: Schema,
        outcomes: Outcomes,
        fitter: Fitter,
        *,
        folds: int = 5,
        baseline: bool = True,
        random_state: int = 0,
        workers: FoldPool | None = None,
    ) -> None:
        self.frame, self.outcomes, self.folds = frame, outcomes, folds
        best = outcomes.best
        self.splits = stratified_folds(best, folds, random_state)
        self.base = baseline_features(frame, schema) if baseline else None
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        if self.base is not None:
            self.tasks.append((black_boxes, (self.base, best, self.splits, random_state)))
        self.tasks += [(_fold, (fitter, frame, outcomes, tr, te)) for tr, te in self.splits]
        self.futures: list[Future[Any] | None] = [None] * len(self.tasks)
        if workers is not None:
            self.futures = [workers.submit(fn, *args) for fn, args in self.tasks]

    def metrics(self) -> tuple[Metrics, Metrics | None]:
        """The pooled out-of-fold metrics of the ICP and of the black box."""
        results: list[Any] = [None] * len(self.tasks)
        for i in reversed(range(len(self.tasks))):
            future = self.futures[i]
            if future is None or future.cancel():
                fn, args = self.tasks[i]
                results[i] = fn(*args)
        for i, future in enumerate(self.futures):
            if results[i] is None and future is not None:
                try:
                    results[i] = future.result()
                except Exception:  # the worker died or its error did not travel: run it here
                    fn, args = self.tasks[i]
                    results[i] = fn(*args)
        probs = results.pop(0) if self.base is not None else None
        n = self.frame.height
        best, worst = self.outcomes.best, self.outcomes.worst
        score = np.zeros(n)
        sel, top = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for (_, test), (s, selected, is_top) in zip(self.splits, results, strict=True):
            score[test], sel[test], top[test] = s, selected, is_top
        kfold = metrics(score, sel, best, worst, top)
        if probs is None:
            return kfold, None
        bprob = np.zeros(n)
        for (_, test), prob in zip(self.splits, probs, strict=True):
            bprob[test] = prob
        return kfold, _baseline_metrics(bprob, sel, top, best, worst)


def can_fold(outcomes: Outcomes, folds: int) -> bool:
    """Whether k-fold validation is possible: k ≥ 2 and k accounts of each class."""
    best = outcomes.best
    return folds >= 2 and best.sum() >= folds and (~best).sum() >= folds


def validate(
    icp: ICP,
    frame: pl.DataFrame,
    schema: Schema,
    outcomes: Outcomes,
    fitter: Fitter,
    *,
    folds: int = 5,
    holdout_after: date | None = None,
    baseline: bool = True,
    random_state: int = 0,
    kfold: KFoldRun | None = None,
) -> ValidationReport:
    """Measure the ICP in-sample, out-of-sample (k-fold) and on a time split.

    ``kfold`` is a :class:`KFoldRun` already started (its folds may be running in worker
    processes); without it the k folds run here, one after the other.
    """
    best, worst = outcomes.best, outcomes.worst
    pred = predict(icp, frame)
    report = ValidationReport(
        in_sample=metrics(pred.ranking_score, pred.selected, best, worst, pred.tier == "A")
    )
    if kfold is None and can_fold(outcomes, folds):
        kfold = KFoldRun(
            frame,
            schema,
            outcomes,
            fitter,
            folds=folds,
            baseline=baseline,
            random_state=random_state,
        )
    X_base = None
    if kfold is not None:
        report.kfold, report.kfold_baseline = kfold.metrics()
        report.folds = kfold.folds
        X_base = kfold.base
    elif baseline and holdout_after is not None:
        X_base = baseline_features(frame, schema)

    ref = schema.reference_date
    if holdout_after is not None:
        if ref is None or ref not in frame.columns:
            report.notes.append("time split skipped: no purchase/close date column")
        else:
            d = frame.get_column(ref).cast(pl.Date)
            is_test = (d >= holdout_after).fill_null(False).to_numpy()
            is_train = (d < holdout_after).fill_null(False).to_numpy()
            train, test = np.flatnonzero(is_train), np.flatnonzero(is_test)
            if best[train].sum() < 30 or len(test) == 0 or best[test].sum() == 0:
                report.notes.append(
                    f"time split skipped: too few accounts on one side of {holdout_after}"
                )
            else:
                t_icp = fitter(frame[train], _subset(outcomes, train))
                p = predict(t_icp, frame[test])
                report.time_split = metrics(
                    p.ranking_score, p.selected, best[test], worst[test], p.tier == "A"
                )
                report.holdout_after = holdout_after
                if X_base is not None:
                    prob = black_box_probabilities(X_base, best, train, test, random_state)
                    report.time_split_baseline = _baseline_metrics(
                        prob, p.selected, p.tier == "A", best[test], worst[test]
                    )
    return report


def _baseline_metrics(
    prob: np.ndarray,
    icp_selected: np.ndarray,
    icp_top: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
) -> Metrics:
    """The black box selecting as many accounts as the ICP did (top-k by probability)."""
    k, kt = int(icp_selected.sum()), int(icp_top.sum())
    order = np.argsort(-prob, kind="stable")
    sel = np.zeros(len(prob), dtype=bool)
    sel[order[:k]] = True
    top = np.zeros(len(prob), dtype=bool)
    top[order[:kt]] = True
    return metrics(prob, sel, best, worst, top)


def baseline_features(frame: pl.DataFrame, schema: Schema) -> tuple[np.ndarray, np.ndarray]:
    """The attribute columns as a numeric matrix for the black box (same information)."""
    cols: list[np.ndarray] = []
    cats: list[bool] = []
    ref = schema.reference_date
    for info in schema.columns:
        if info.name not in frame.columns or info.name == ref:
            continue
        if info.role is not Role.ATTRIBUTE and not (info.role is Role.DATE and info.layer):
            continue
        s = frame.get_column(info.name)
        if info.kind is Kind.NUMERIC or info.kind is Kind.BOOLEAN:
            cols.append(s.cast(pl.Float64).fill_null(float("nan")).to_numpy())
            cats.append(False)
        elif info.kind is Kind.CATEGORICAL:
            top = s.drop_nulls().value_counts(sort=True).head(250)[:, 0].to_list()
            codes = s.replace_strict(
                top, list(range(len(top))), default=None, return_dtype=pl.Float64
            )
            cols.append(codes.fill_null(float("nan")).to_numpy())
            cats.append(True)
        elif info.kind is Kind.MULTI:
            items = s.explode().drop_nulls().value_counts(sort=True).head(40)[:, 0].to_list()
            for it in items:
                v = s.list.contains(it).cast(pl.Float64).fill_null(float("nan")).to_numpy()
                cols.append(v)
                cats.append(False)
        elif info.kind is Kind.DATE and ref is not None and ref in frame.columns:
            days = (frame.get_column(ref) - s).dt.total_days().cast(pl.Float64)
            cols.append(days.fill_null(float("nan")).to_numpy())
            cats.append(False)
    if not cols:
        X = np.zeros((frame.height, 1))
        cats = [False]
    else:
        X = np.column_stack(cols)
    return X, np.asarray(cats)


__all__ = [
    "KFoldRun",
    "Metrics",
    "Prediction",
    "ValidationReport",
    "baseline_features",
    "black_box_probabilities",
    "can_fold",
    "metrics",
    "predict",
    "roc_auc_score",
    "stratified_folds",
    "validate",
]
