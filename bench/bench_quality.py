"""Ranking quality: icpkit's fit score against two black boxes, and the shuffled-outcome null test.

Issue 10 asks that icpkit's ``fit_score`` rank accounts out of sample about as well as a black
box trained on the same columns, and that nothing be called significant when the outcome is
noise. This script measures both, in one run, against baselines fitted on the same rows:

* **icpkit**: :func:`icpkit.discover` on the fit rows of the prepared frame (no internal k-fold
  validation, no internal black-box comparison), then :func:`icpkit.score` on the held-out rows;
  its ``fit_score`` is the ranking.
* **HGB**: scikit-learn ``HistGradientBoostingClassifier`` (early stopping on 10% of the fit
  rows).
* **L2-LR**: ``LogisticRegressionCV`` (L2, C chosen by 3-fold CV on the fit rows) after median
  imputation with missing indicators and standardisation.

The black boxes see the columns icpkit's schema calls attributes (plus dated columns other than
the reference date), as :func:`icpkit.prepare` leaves them: numerics as they are, booleans as
0/1, categoricals one-hot (levels seen at least 5 times in the fit rows, at most 60), each item
of a multi-valued column as a 0/1 column, dates as days before the reference date (or before
the data's as-of date). Vocabularies come from the fit rows only.

Datasets:

* ten generated customer bases (:func:`icpkit.sample.weak_signal_customers`) from 300 to
  20,000 rows with Bayes AUC 0.64-0.78, stratified 5-fold;
* Telco churn (``../shared/data/telco-churn``): worst = churned; best = not churned, tenure at
  least 24 months and monthly charges at or above the median. Tenure, charges and churn are
  the outcome, so they are not attributes. Customers neither best nor worst are left out.
  Stratified 5-fold;
* Crunchbase 2013 (``../shared/data/crunchbase-2013``), companies founded 2000-2009: fit on
  founded 2000-2006, test on 2007-2009; best = acquired or ipo. "vs all": everyone else is
  worst; "vs closed": only closed companies are worst (operating ones are left out). The
  founding date columns define the split and are not attributes.

Every model is fitted on the same labelled rows and judged on best vs worst in the held-out
rows: ROC AUC, and lift in the top 20% (the share of best among the top-scored 20% over the
base rate; accounts tied at the cut count in proportion, so a constant score gets 1.00).
Per-fold figures are averaged. CPU seconds of icpkit's ``discover`` (summed over folds) are
printed per dataset.

The null test re-runs discovery on shuffled outcomes (``weak_signal_customers(...,
shuffle_outcomes=True)``): small (300 rows), medium (5,000 rows) and wide (2,000 rows, 105
attributes) data. A run is a false finding if the ICP has any segment, disqualifier or timing
signal (issue 10's definition); it is a false claim of signal if it has any of those or a
points table that is not flat (a fit score that ranks accounts claims signal as much). Both
shares and their Clopper-Pearson 95% upper bounds are printed (target: share ≤ 5%).

Usage::

    python bench/bench_quality.py [--quick] [--only generated|telco|crunchbase|null]
                                  [--null-runs 210] [--null-first 0] [--seed 0]

Needs scikit-learn and scipy (icpkit's own dependencies); ``pip install -e '.[bench]'`` is
enough. Prints figures and never asserts.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import beta
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import icpkit
from icpkit.columns.schema import Kind, Role, Schema
from icpkit.errors import IcpkitError
from icpkit.outcomes import Outcomes
from icpkit.sample.customers import weak_signal_customers

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TELCO = SHARED / "telco-churn" / "Telco-Customer-Churn.csv"
CRUNCHBASE = SHARED / "crunchbase-2013" / "crunchbase-companies.csv"
MODELS = ("icpkit", "HGB", "L2-LR")
TOP_SHARE = 0.2
AUC_SLACK = 0.01
SIGNAL_AUC = 0.60
NULL_TARGET = 0.05
MIN_LEVEL_COUNT = 5
MAX_LEVELS = 60

# (rows, signal, base rate, noise columns): Bayes AUC from about 0.64 to 0.78.
GENERATED = (
    (300, 1.3, 0.35, 2),
    (500, 1.2, 0.30, 4),
    (800, 1.0, 0.25, 4),
    (1200, 0.8, 0.30, 6),
    (2000, 1.4, 0.20, 4),
    (3000, 0.7, 0.35, 8),
    (5000, 1.0, 0.30, 4),
    (8000, 0.65, 0.25, 6),
    (12000, 1.2, 0.15, 10),
    (20000, 0.9, 0.30, 4),
)
QUICK_GENERATED = (GENERATED[1], GENERATED[6])


# --------------------------------------------------------------------------------------------
# metrics


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC; ties count one half, so a constant score gets 0.5."""
    return float(roc_auc_score(y, s))


def top_lift(y: np.ndarray, s: np.ndarray, share: float = TOP_SHARE) -> float:
    """Best rate in the top ``share`` over the base rate, the tied group at the cut shared.

    Accounts tied with the last one taken enter in proportion (the expected value of breaking
    the tie at random), so a constant score has lift exactly 1.
    """
    n = y.size
    k = share * n
    order = np.sort(s)[::-1]
    cut = order[max(int(np.ceil(k)) - 1, 0)]
    above = s > cut
    tied = s == cut
    n_above = int(above.sum())
    expected_best = y[above].sum() + (k - n_above) * y[tied].sum() / max(int(tied.sum()), 1)
    return float((expected_best / k) / y.mean())


# --------------------------------------------------------------------------------------------
# black-box features from the prepared frame


def feature_columns(schema: Schema) -> list[tuple[str, Kind]]:
    """Attribute columns (and dated columns other than the reference date) a model may use."""
    out = []
    for c in schema.columns:
        usable = c.role is Role.ATTRIBUTE or (
            c.role is Role.DATE and c.name != schema.reference_date
        )
        if usable and c.kind is not Kind.TEXT:
            out.append((c.name, c.kind))
    return out


@dataclass
class Encoder:
    """One-hot vocabularies learnt on the fit rows; numbers pass through with NaN for missing."""

    columns: list[tuple[str, Kind]]
    reference: str | None
    as_of: date
    levels: dict[str, list[str]] = field(default_factory=dict)

    def fit(self, frame: pl.DataFrame) -> Encoder:
        for name, kind in self.columns:
            if kind is Kind.CATEGORICAL:
                counts = frame.get_column(name).drop_nulls().value_counts(sort=True)
            elif kind is Kind.MULTI:
                counts = frame.get_column(name).explode().drop_nulls().value_counts(sort=True)
            else:
                continue
            counts = counts.filter(pl.col("count") >= MIN_LEVEL_COUNT).head(MAX_LEVELS)
            self.levels[name] = counts.get_column(name).to_list()
        return self

    def transform(self, frame: pl.DataFrame) -> np.ndarray:
        exprs: list[pl.Expr] = []
        for name, kind in self.columns:
            col = pl.col(name)
            if kind is Kind.NUMERIC or kind is Kind.BOOLEAN:
                exprs.append(col.cast(pl.Float64))
            elif kind is Kind.DATE:
                ref = (
                    pl.col(self.reference)
                    if self.reference and self.reference in frame.columns
                    else pl.lit(self.as_of)
                )
                exprs.append((ref - col).dt.total_days().cast(pl.Float64).alias(name))
            elif kind is Kind.CATEGORICAL:
                exprs.extend(
                    (col == v).cast(pl.Float64).fill_null(0.0).alias(f"{name}={v}")
                    for v in self.levels[name]
                )
                exprs.append(col.is_null().cast(pl.Float64).alias(f"{name}=<null>"))
            elif kind is Kind.MULTI:
                exprs.extend(
                    col.list.contains(pl.lit(v))
                    .cast(pl.Float64)
                    .fill_null(0.0)
                    .alias(f"{name}~{v}")
                    for v in self.levels[name]
                )
                exprs.append(col.is_null().cast(pl.Float64).alias(f"{name}~<null>"))
        return frame.select(exprs).to_numpy().astype(np.float64)


def fit_black_boxes(
    x_fit: np.ndarray, y_fit: np.ndarray, x_test: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    hgb = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, early_stopping=True, random_state=seed
    )
    lr = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegressionCV(Cs=8, cv=3, scoring="roc_auc", max_iter=3000),
    )
    out = {}
    for name, model in (("HGB", hgb), ("L2-LR", lr)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x_fit, y_fit)
        out[name] = model.predict_proba(x_test)[:, 1]
    return out


# --------------------------------------------------------------------------------------------
# one dataset


@dataclass
class Dataset:
    name: str
    frame: pl.DataFrame  # prepared
    schema: Schema
    best: np.ndarray
    worst: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]  # indices into the labelled rows
    as_of: date
    bayes_auc: float | None = None
    note: str = ""


@dataclass
class Result:
    dataset: Dataset
    n: int
    base_rate: float
    auc: dict[str, float]
    lift: dict[str, float]
    constant_folds: int
    folds: int
    icpkit_cpu: float
    black_box_cpu: float
    errors: list[str]

    @property
    def best_black_box(self) -> float:
        return max(self.auc["HGB"], self.auc["L2-LR"])

    @property
    def auc_ok(self) -> bool:
        return self.auc["icpkit"] >= self.best_black_box - AUC_SLACK

    @property
    def constant_ok(self) -> bool:
        return not (self.constant_folds and self.best_black_box >= SIGNAL_AUC)


def _outcomes_for(best: np.ndarray, worst: np.ndarray, template: Outcomes) -> Outcomes:
    from dataclasses import replace

    return replace(template, best=best, worst=worst, composite=None, warnings=[])


def evaluate(ds: Dataset, seed: int) -> Result:
    labelled = np.flatnonzero(ds.best | ds.worst)
    frame = ds.frame[labelled]
    y = ds.best[labelled]
    template = icpkit.label_outcomes(
        frame.with_columns(pl.Series("__label", np.where(y, "best", "worst"), dtype=pl.String)),
        ds.schema,
        icpkit.OutcomeSpec(label="__label"),
    )
    columns = feature_columns(ds.schema)
    scores: dict[str, list[float]] = {m: [] for m in MODELS}
    lifts: dict[str, list[float]] = {m: [] for m in MODELS}
    constant = 0
    icp_cpu = bb_cpu = 0.0
    errors: list[str] = []
    for fit_idx, test_idx in ds.splits:
        f_fit, f_test = frame[fit_idx], frame[test_idx]
        y_fit, y_test = y[fit_idx], y[test_idx]
        outcomes = _outcomes_for(y_fit, ~y_fit, template)
        t0 = time.process_time()
        try:
            found = icpkit.discover(f_fit, ds.schema, outcomes, today=ds.as_of)
            icp_cpu += time.process_time() - t0
            scored = icpkit.score(f_test, found.icp, as_of=ds.as_of, prepared=True, rank=False)
            fit_score = scored.get_column("fit_score").cast(pl.Float64).to_numpy()
        except IcpkitError as exc:  # reported, and scored as a constant (no ranking at all)
            icp_cpu += time.process_time() - t0
            errors.append(f"{type(exc).__name__}: {exc}")
            fit_score = np.zeros(len(test_idx))
        fit_score = np.nan_to_num(fit_score, nan=0.0)
        constant += int(np.unique(fit_score).size == 1)
        t0 = time.process_time()
        enc = Encoder(columns, ds.schema.reference_date, ds.as_of).fit(f_fit)
        bb = fit_black_boxes(enc.transform(f_fit), y_fit, enc.transform(f_test), seed)
        bb_cpu += time.process_time() - t0
        for name, s in (("icpkit", fit_score), *bb.items()):
            scores[name].append(auc(y_test, s))
            lifts[name].append(top_lift(y_test, s))
    return Result(
        dataset=ds,
        n=len(labelled),
        base_rate=float(y.mean()),
        auc={m: float(np.mean(v)) for m, v in scores.items()},
        lift={m: float(np.mean(v)) for m, v in lifts.items()},
        constant_folds=constant,
        folds=len(ds.splits),
        icpkit_cpu=icp_cpu,
        black_box_cpu=bb_cpu,
        errors=errors,
    )


def _prepared(raw: pl.DataFrame, file: str | None = None) -> tuple[pl.DataFrame, Schema]:
    schema = icpkit.infer_schema(raw, file=file)
    prepared = icpkit.prepare(raw, schema, file=file)
    return prepared.frame, prepared.schema


def _kfold(y: np.ndarray, seed: int, folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(y.size), y))


# --------------------------------------------------------------------------------------------
# datasets


def generated(seed: int, quick: bool) -> Iterator[Dataset]:
    for i, (n, signal, base_rate, noise) in enumerate(QUICK_GENERATED if quick else GENERATED):
        raw, truth = weak_signal_customers(
            n, seed=seed + 100 + i, signal=signal, base_rate=base_rate, n_noise_columns=noise
        )
        frame, schema = _prepared(raw)
        outcomes = icpkit.label_outcomes(frame, schema)
        yield Dataset(
            name=f"generated #{i + 1} (signal {signal}, {noise} noise cols)",
            frame=frame,
            schema=schema,
            best=outcomes.best,
            worst=outcomes.worst,
            splits=_kfold(outcomes.best[outcomes.best | outcomes.worst], seed + i),
            as_of=date(2026, 7, 1),
            bayes_auc=truth.bayes_auc,
        )


def telco(seed: int) -> Iterator[Dataset]:
    if not TELCO.exists():
        print(f"skipped Telco churn: {TELCO} not found (the team's ../shared checkout is missing)")
        return
    raw = icpkit.read_table(TELCO)
    tenure = pl.col("tenure").cast(pl.Float64, strict=False)
    monthly = pl.col("MonthlyCharges").cast(pl.Float64, strict=False)
    churned = pl.col("Churn").str.to_lowercase() == "yes"
    label = (
        pl.when(churned)
        .then(pl.lit("worst"))
        .when((tenure >= 24) & (monthly >= monthly.median()))
        .then(pl.lit("best"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("label")
    )
    raw = raw.with_columns(label).drop("tenure", "MonthlyCharges", "TotalCharges", "Churn")
    frame, schema = _prepared(raw, str(TELCO))
    outcomes = icpkit.label_outcomes(frame, schema)
    yield Dataset(
        name="Telco churn (best: tenure ≥ 24 & charges ≥ median; worst: churned)",
        frame=frame,
        schema=schema,
        best=outcomes.best,
        worst=outcomes.worst,
        splits=_kfold(outcomes.best[outcomes.best | outcomes.worst], seed),
        as_of=date(2018, 1, 1),
    )


def crunchbase() -> Iterator[Dataset]:
    if not CRUNCHBASE.exists():
        print(
            f"skipped Crunchbase 2013: {CRUNCHBASE} not found (the team's ../shared checkout "
            "is missing)"
        )
        return
    raw = icpkit.read_table(CRUNCHBASE)
    year = pl.col("founded_year").cast(pl.Int64, strict=False)
    raw = raw.with_columns(year.alias("__year")).filter(pl.col("__year").is_between(2000, 2009))
    fit_rows = (raw.get_column("__year") <= 2006).to_numpy()
    status = pl.col("status").str.to_lowercase()
    good = status.is_in(["acquired", "ipo"])
    for variant, worst in (("vs all", ~good), ("vs closed", status == "closed")):
        labelled_raw = raw.with_columns(
            pl.when(good)
            .then(pl.lit("best"))
            .when(worst)
            .then(pl.lit("worst"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("label")
        ).drop("status", "founded_at", "founded_month", "founded_quarter", "founded_year", "__year")
        frame, schema = _prepared(labelled_raw, str(CRUNCHBASE))
        outcomes = icpkit.label_outcomes(frame, schema)
        labelled = outcomes.best | outcomes.worst
        in_fit = fit_rows[labelled]
        yield Dataset(
            name=f"Crunchbase 2013, acquired/ipo {variant} (fit 2000-06, test 2007-09)",
            frame=frame,
            schema=schema,
            best=outcomes.best,
            worst=outcomes.worst,
            splits=[(np.flatnonzero(in_fit), np.flatnonzero(~in_fit))],
            as_of=date(2013, 10, 31),
        )


# --------------------------------------------------------------------------------------------
# the null test


@dataclass
class NullRun:
    size: str
    segments: int
    disqualifiers: int
    timing: int
    cpu: float
    error: str | None = None
    points: bool = False  # a non-flat points table (any point or segment bonus)

    @property
    def any(self) -> bool:
        """Any significant segment, disqualifier or timing signal (issue 10's first definition)."""
        return bool(self.segments or self.disqualifiers or self.timing)

    @property
    def any_claim(self) -> bool:
        """Any claim of signal: :attr:`any`, or a fit score that is not flat."""
        return self.any or self.points


NULL_SIZES: dict[str, tuple[int, int]] = {
    "small (300 rows)": (300, 4),
    "medium (5,000 rows)": (5000, 4),
    "wide (2,000 rows, 105 attributes)": (2000, 97),
}


def null_runs(
    total: int, seed: int, progress: Callable[[str], None], first: int = 0
) -> list[NullRun]:
    """Shuffled-outcome runs ``first`` .. ``first + total - 1`` (a slice runs in parallel)."""
    runs: list[NullRun] = []
    sizes = list(NULL_SIZES.items())
    for r in range(first, first + total):
        size, (n, noise) = sizes[r % len(sizes)]
        raw, _ = weak_signal_customers(
            n, seed=seed + 10_000 + r, n_noise_columns=noise, shuffle_outcomes=True
        )
        frame, schema = _prepared(raw)
        outcomes = icpkit.label_outcomes(frame, schema)
        t0 = time.process_time()
        try:
            icp = icpkit.discover(frame, schema, outcomes, today=date(2026, 7, 1)).icp
        except IcpkitError as exc:
            runs.append(NullRun(size, 0, 0, 0, time.process_time() - t0, str(exc)))
            continue
        runs.append(
            NullRun(
                size,
                len(icp.segments),
                len(icp.disqualifiers),
                len(icp.scoring.timing),
                time.process_time() - t0,
                points=bool(icp.scoring.points or any(s.bonus for s in icp.segments)),
            )
        )
        if (r + 1) % 30 == 0:
            progress(f"  null runs: {r + 1}/{total}")
    return runs


def clopper_pearson_upper(k: int, n: int, level: float = 0.95) -> float:
    """One-sided upper bound of a binomial share (exact, via the beta quantile)."""
    return 1.0 if k >= n else float(beta.ppf(level, k + 1, n - k))


# --------------------------------------------------------------------------------------------
# output


def _fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or np.isnan(x) else f"{x:.{digits}f}"


def print_quality(results: list[Result]) -> None:
    print()
    print(
        "| dataset | n | best rate | Bayes AUC | AUC icpkit | AUC HGB | AUC L2-LR "
        "| lift icpkit | lift HGB | lift L2-LR | AUC ≥ best − 0.01 | icpkit constant "
        "| icpkit discover CPU s | black boxes CPU s |"
    )
    print("|" + "---|" * 14)
    for r in results:
        print(
            f"| {r.dataset.name} | {r.n:,} | {r.base_rate:.3f} | {_fmt(r.dataset.bayes_auc)} "
            f"| {_fmt(r.auc['icpkit'])} | {_fmt(r.auc['HGB'])} | {_fmt(r.auc['L2-LR'])} "
            f"| {_fmt(r.lift['icpkit'], 2)} | {_fmt(r.lift['HGB'], 2)} "
            f"| {_fmt(r.lift['L2-LR'], 2)} | {'yes' if r.auc_ok else '**no**'} "
            f"| {r.constant_folds}/{r.folds}{'' if r.constant_ok else ' **(black box ≥ 0.60)**'} "
            f"| {r.icpkit_cpu:.1f} | {r.black_box_cpu:.1f} |"
        )
    if not results:
        return
    mean = {m: float(np.mean([r.auc[m] for r in results])) for m in MODELS}
    mean_lift = {m: float(np.mean([r.lift[m] for r in results])) for m in MODELS}
    print(
        f"| **mean** | | | | {mean['icpkit']:.3f} | {mean['HGB']:.3f} | {mean['L2-LR']:.3f} "
        f"| {mean_lift['icpkit']:.2f} | {mean_lift['HGB']:.2f} | {mean_lift['L2-LR']:.2f} "
        f"| | | {sum(r.icpkit_cpu for r in results):.1f} "
        f"| {sum(r.black_box_cpu for r in results):.1f} |"
    )
    print()
    every = all(r.auc_ok for r in results)
    ahead = mean["icpkit"] > max(mean["HGB"], mean["L2-LR"])
    never_flat = all(r.constant_ok for r in results)
    print("Targets (issue 10, point 3):")
    print(
        f"- icpkit AUC ≥ better black box − {AUC_SLACK} on every dataset: "
        f"{'met' if every else 'NOT met'} ({sum(r.auc_ok for r in results)}/{len(results)})"
    )
    print(
        f"- icpkit ahead of both on mean AUC: {'met' if ahead else 'NOT met'} "
        f"({mean['icpkit']:.3f} vs HGB {mean['HGB']:.3f}, L2-LR {mean['L2-LR']:.3f})"
    )
    print(
        f"- fit score never constant where a black box reaches AUC ≥ {SIGNAL_AUC}: "
        f"{'met' if never_flat else 'NOT met'}"
    )
    for r in results:
        for e in dict.fromkeys(r.errors):
            print(f"- error on {r.dataset.name}: {e}")


def print_null(runs: list[NullRun]) -> None:
    print()
    print("Null test (issue 10, point 4): shuffled outcomes, discovery with its defaults")
    print()
    print(
        "| data | runs | with segment | with disqualifier | with timing signal "
        "| with any | share | 95% upper bound | with points | with any or points | share "
        "| 95% upper bound | discover CPU s (mean) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    groups = [*NULL_SIZES, "all"]
    for g in groups:
        rs = runs if g == "all" else [r for r in runs if r.size == g]
        if not rs:
            continue
        k = sum(r.any for r in rs)
        kc = sum(r.any_claim for r in rs)
        print(
            f"| {'**all**' if g == 'all' else g} | {len(rs)} | {sum(bool(r.segments) for r in rs)} "
            f"| {sum(bool(r.disqualifiers) for r in rs)} | {sum(bool(r.timing) for r in rs)} "
            f"| {k} | {k / len(rs):.3f} | {clopper_pearson_upper(k, len(rs)):.3f} "
            f"| {sum(r.points for r in rs)} | {kc} | {kc / len(rs):.3f} "
            f"| {clopper_pearson_upper(kc, len(rs)):.3f} | {np.mean([r.cpu for r in rs]):.2f} |"
        )
    print()
    for label, k in (
        ("any segment, disqualifier or timing signal", sum(r.any for r in runs)),
        (
            "any claim of signal (those, or a points table that is not flat)",
            sum(r.any_claim for r in runs),
        ),
    ):
        share = k / max(len(runs), 1)
        print(
            f"Target: share of runs with {label} ≤ {NULL_TARGET:.0%}: "
            f"{'met' if share <= NULL_TARGET else 'NOT met'} ({k}/{len(runs)} = {share:.1%}; "
            f"Clopper-Pearson 95% upper bound {clopper_pearson_upper(k, len(runs)):.1%})"
        )
    errors = [r.error for r in runs if r.error]
    if errors:
        print(f"{len(errors)} runs raised (counted as finding nothing); first: {errors[0]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 generated datasets, 30 null runs")
    ap.add_argument("--only", choices=("generated", "telco", "crunchbase", "null"))
    ap.add_argument("--null-runs", type=int, default=None, help="default 210 (30 with --quick)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--null-first",
        type=int,
        default=0,
        help="first null run (to split the runs over processes)",
    )
    args = ap.parse_args(argv)
    null_total = args.null_runs if args.null_runs is not None else (30 if args.quick else 210)

    print(
        f"bench_quality: icpkit {icpkit.__version__}, Python {platform.python_version()}, "
        f"polars {pl.__version__}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{date.today()}"
    )
    print(f"icpkit imported from {Path(icpkit.__file__).parent}", flush=True)

    def want(part: str) -> bool:
        return args.only in (None, part)

    results: list[Result] = []
    sources: list[Iterator[Dataset]] = []
    if want("generated"):
        sources.append(generated(args.seed, args.quick))
    if want("telco"):
        sources.append(telco(args.seed))
    if want("crunchbase"):
        sources.append(crunchbase())
    for source in sources:
        for ds in source:
            t0 = time.perf_counter()
            r = evaluate(ds, args.seed)
            results.append(r)
            print(
                f"  {ds.name}: AUC icpkit {r.auc['icpkit']:.3f}, HGB {r.auc['HGB']:.3f}, "
                f"L2-LR {r.auc['L2-LR']:.3f} ({time.perf_counter() - t0:.0f} s wall)",
                flush=True,
            )
    if results:
        print_quality(results)
    if want("null") and null_total > 0:
        print(flush=True)
        t0 = time.perf_counter()
        runs = null_runs(
            null_total, args.seed, lambda s: print(s, flush=True), first=args.null_first
        )
        print_null(runs)
        print(f"({time.perf_counter() - t0:.0f} s wall for the null test)")
    return 0


if __name__ == "__main__":
    # One thread per library (OpenMP, BLAS): the machine is shared and CPU seconds are compared.
    with threadpool_limits(limits=1):
        sys.exit(main())
