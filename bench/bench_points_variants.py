"""Experiment (issue 10, small-base gap): other ways to fit the points scorecard.

On small bases (~300 rows, weak signal) the L1 scorecard (:func:`icpkit.discovery.scorecard.fit_points`)
ranked at held-out AUC 0.525 where an L2 logistic regression on the same one-hot columns
reached 0.601. This script tries, without touching the package, fits that might close that
gap while the scorecard stays a short, readable points table (≤ 60 criteria):

* ``l1`` — today's fit (reference; must reproduce ``fit_points`` exactly);
* ``enet`` / ``enet20`` — elastic net (saga, ``l1_ratio`` 0.5 / 0.2), C divided by the ratio so
  the path's first step admits about one trait as L1's does;
* ``l2prune`` / ``l2prune15`` / ``l2prune60`` — L2 (lbfgs) at the path's C, keep the 30 / 15 /
  60 largest |weights|, refit L2 on those (inside every CV fit too, so the CV judges the whole
  procedure);
* ``relaxed`` / ``relaxed01`` — relaxed lasso: L1 at C selects, an L2 fit at C = 1 / 0.1 (a
  mild penalty) refits the selected traits;
* ``bagged`` — the CV fits at the chosen penalty are averaged (every split of every repeat)
  instead of one refit on all accounts; the usual prune keeps ≤ 60 traits.

Each variant replaces only the solver ``icpkit.discovery.scorecard._fit_l1`` (every CV fit along the path
and the final fit), so the penalty path, the signal gate (``SIGNAL_Z``), the "simplest that is
as good" rule, the 60-point cap, Platt rescaling and the intercept stay today's. All variants
are fitted in the same ``discover`` run on the same traits (``icpkit.discovery.fit_weights`` is
wrapped and called once per variant), scored with :func:`icpkit.score` on the same held-out
rows, next to the black boxes of ``bench_quality`` (same datasets, folds and seed).

Shuffled outcomes: ``--null-runs`` discoveries on ``weak_signal_customers(...,
shuffle_outcomes=True)`` (small 300 rows and medium 2,000 rows, alternating); a run is a false
signal for a variant if its scorecard is not flat (any non-zero point or bonus). Segments,
disqualifiers and timing signals are found before the scorecard and do not depend on it.

Usage::

    python bench/bench_points_variants.py [--only generated|telco|crunchbase|null]
        [--variants l1,enet,enet20,l2prune,l2prune15,relaxed,bagged] [--null-runs 60]
        [--seed 0] [--quick] [--first N] [--skip N]

Prints figures, asserts nothing. Results of the latest run are at the end of this docstring.

Results (seed 0, 2026-12-05; machine shared, load average 8-15 on 2 cores). Held-out ROC AUC,
mean over folds, change against today's ``l1`` in brackets; HGB and L2-LR are
``bench_quality``'s black boxes on the same folds:

| dataset | n | l1 | enet | enet20 | l2prune | l2prune15 | relaxed | bagged | HGB | L2-LR |
|---|---|---|---|---|---|---|---|---|---|---|
| generated #1 | 300 | 0.525 | 0.533 (+.008) | 0.540 (+.015) | 0.528 (+.003) | 0.545 (+.020) | 0.518 (-.007) | 0.521 (-.004) | 0.568 | 0.601 |
| generated #2 | 500 | 0.737 | 0.724 (-.013) | 0.716 (-.021) | 0.717 (-.020) | 0.701 (-.036) | 0.737 (.000) | 0.737 (.000) | 0.680 | 0.686 |
| generated #3 | 800 | 0.645 | 0.638 (-.007) | 0.626 (-.019) | 0.626 (-.019) | 0.606 (-.039) | 0.640 (-.005) | 0.644 (-.001) | 0.651 | 0.596 |
| generated #4 | 1200 | 0.660 | 0.647 (-.013) | 0.647 (-.013) | 0.637 (-.023) | 0.648 (-.012) | 0.657 (-.003) | 0.658 (-.002) | 0.586 | 0.594 |
| generated #5 | 2000 | 0.710 | 0.707 (-.003) | 0.702 (-.008) | 0.690 (-.020) | 0.688 (-.022) | 0.705 (-.005) | 0.710 (.000) | 0.697 | 0.696 |
| generated #6 | 3000 | 0.628 | 0.615 (-.013) | 0.617 (-.011) | 0.615 (-.013) | 0.613 (-.015) | 0.627 (-.001) | 0.629 (+.001) | 0.608 | 0.612 |
| generated #7 | 5000 | 0.669 | 0.669 (.000) | 0.668 (-.001) | 0.667 (-.002) | 0.655 (-.014) | 0.664 (-.005) | 0.668 (-.001) | 0.655 | 0.654 |
| generated #8 | 8000 | 0.620 | 0.617 (-.003) | 0.620 (.000) | 0.619 (-.001) | 0.609 (-.011) | 0.618 (-.002) | 0.618 (-.002) | 0.612 | 0.601 |
| generated #9 | 12000 | 0.709 | 0.694 (-.015) | 0.702 (-.007) | 0.696 (-.013) | 0.683 (-.026) | 0.708 (-.001) | 0.705 (-.004) | 0.695 | 0.685 |
| generated #10 | 20000 | 0.662 | 0.663 (+.001) | 0.665 (+.003) | 0.660 (-.002) | 0.651 (-.011) | 0.664 (+.002) | 0.659 (-.003) | 0.660 | 0.644 |
| Telco churn | 3661 | 0.902 | 0.902 (.000) | 0.903 (+.001) | 0.902 (.000) | 0.895 (-.007) | 0.904 (+.002) | 0.902 (.000) | 0.899 | 0.904 |
| Crunchbase vs all | 7468 | 0.720 | 0.718 (-.002) | 0.716 (-.004) | 0.731 (+.011) | 0.732 (+.012) | 0.720 (.000) | 0.720 (.000) | 0.734 | 0.730 |
| Crunchbase vs closed | 1310 | 0.675 | 0.705 (+.030) | 0.711 (+.036) | 0.696 (+.021) | 0.698 (+.023) | 0.679 (+.004) | 0.683 (+.008) | 0.711 | 0.689 |
| **mean of 13** | | 0.682 | 0.679 | 0.679 | 0.676 | 0.671 | 0.680 | 0.681 | 0.674 | 0.669 |

On the first three bases ``l2prune60`` scored 0.518 / 0.716 / 0.629 and ``relaxed01`` 0.504 /
0.718 / 0.643. Per fold on the 300-row base (l1: 0.500 0.510 0.595 0.500 0.520, two folds flat
by the signal gate; L2-LR: 0.603 0.565 0.550 0.693 0.596): only ``l2prune15`` passed the gate in
one more fold (1/5 flat); every other variant left 2-4 of 5 folds flat.

Shuffled outcomes (30 runs, ``--null-runs 30``), runs whose scorecard was not flat:

| data | runs | l1 | enet | enet20 | l2prune | l2prune15 | relaxed | bagged |
|---|---|---|---|---|---|---|---|---|
| small (300) | 15 | 2 | 2 | 3 | 1 | 0 | 3 | 2 |
| medium (2,000) | 15 | 2 | 2 | 2 | 3 | 1 | 2 | 2 |
| all | 30 | 4 (13%) | 4 (13%) | 5 (17%) | 4 (13%) | 1 (3%) | 5 (17%) | 4 (13%) |

Verdict: no variant qualifies for ``fit_points``. The elastic nets and L2-then-prune raise the
300-row AUC (+0.003 to +0.020, well inside one fold's standard error of about 0.08 on 60
held-out accounts) and Crunchbase vs closed (+0.02 to +0.04), but lower the mean and lose more
than 0.005 on large bases (enet -0.015 on 12,000 rows, enet20 -0.011 on 3,000, l2prune -0.020
on 2,000, l2prune15 -0.026 on 12,000). The relaxed lasso and the bagged CV path track ``l1``
within ±0.005 on the large bases but lower the 300-row AUC and the mean. The small-base gap is
the signal gate's (two of five folds flat), not the solver's. Note the baseline itself: 4 of 30 shuffled runs
(13%) kept a non-flat scorecard, above what a z = 2 gate suggests (the gate takes the best of
up to nine penalties). The figures above were measured with that former gate (critical value
2.0); the gate now counts its selection (``SIGNAL_Z`` = 2.65, calibrated on 500 shuffled runs:
see :mod:`icpkit.discovery.scorecard` and ``bench_null.py --points``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_quality as bq
import icpkit
import icpkit.discovery as discovery
import icpkit.discovery.scorecard as scorecard
from icpkit.errors import IcpkitError
from icpkit.sample.customers import weak_signal_customers

#: l2prune keeps this many traits (by |weight|) before its L2 refit.
PRUNE_K = 30
#: relaxed lasso: inverse L2 penalty of the refit of the L1-selected traits (mild).
RELAX_C = 1.0
#: elastic-net mix.
ENET_RATIO = 0.5

Fit = Callable[[Any, np.ndarray, float], tuple[np.ndarray, float]]


def _sk(X: Any, y: np.ndarray, **kw: Any) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _l2(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    return _sk(X, y, C=c, l1_ratio=0.0, solver="lbfgs", max_iter=500, tol=1e-4)


def _refit_on(X: Any, y: np.ndarray, keep: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    coef = np.zeros(X.shape[1])
    if len(keep) == 0:
        return coef, scorecard._logit(float(np.mean(y)))
    sub, icpt = _l2(X[:, keep], y, c)
    coef[keep] = sub
    return coef, icpt


def enet(ratio: float) -> Fit:
    """Elastic net; the path is built for L1 and the L1 part of the penalty is ratio / C, so
    C / ratio admits the first trait where L1's C does."""

    def fit(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
        return _sk(X, y, C=c / ratio, l1_ratio=ratio, solver="saga", max_iter=300, tol=1e-3)

    return fit


def l2prune(k: int) -> Fit:
    """L2 at C, keep the k largest |weights|, refit L2 at C on them."""

    def fit(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
        coef, _ = _l2(X, y, c)
        keep = np.sort(np.argsort(-np.abs(coef))[:k])
        return _refit_on(X, y, keep[coef[keep] != 0], c)

    return fit


def relaxed(c_refit: float) -> Fit:
    """L1 at C selects; L2 at ``c_refit`` refits the selected traits."""

    def fit(X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
        coef, _ = ORIGINAL_FIT(X, y, c)
        return _refit_on(X, y, np.flatnonzero(coef), c_refit)

    return fit


class Bagged:
    """L1 along the path as today; the final fit is the mean of the CV fits at that penalty.

    ``fit_points`` calls the solver for every split along the path, then once on all accounts
    (the only call with ``n_full`` rows); the CV fits are remembered per C and averaged there.
    On a sampled base the final C is the CV C times n_full / n_sample.
    """

    def __init__(self) -> None:
        self.n_full = -1
        self.n_sample = -1
        self.seen: dict[float, list[tuple[np.ndarray, float]]] = {}

    def start(self, X: Any) -> None:
        self.n_full = X.shape[0]
        self.n_sample = min(self.n_full, scorecard.SAMPLE_ROWS)
        self.seen = {}

    def __call__(self, X: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
        if X.shape[0] != self.n_full or not self.seen:
            out = ORIGINAL_FIT(X, y, c)
            self.seen.setdefault(c, []).append(out)
            return out
        target = c * self.n_sample / self.n_full
        key = min(self.seen, key=lambda k: abs(np.log(k) - np.log(target)))
        fits = self.seen[key]
        return np.mean([f[0] for f in fits], axis=0), float(np.mean([f[1] for f in fits]))


ORIGINAL_FIT: Fit = scorecard._fit_l1
ORIGINAL_FIT_POINTS = scorecard.fit_points
ORIGINAL_FIT_WEIGHTS = discovery.fit_weights
BAGGED = Bagged()
VARIANTS: dict[str, Fit] = {
    "l1": ORIGINAL_FIT,
    "enet": enet(ENET_RATIO),
    "enet20": enet(0.2),
    "l2prune": l2prune(PRUNE_K),
    "l2prune15": l2prune(15),
    "l2prune60": l2prune(60),
    "relaxed": relaxed(RELAX_C),
    "relaxed01": relaxed(0.1),
    "bagged": BAGGED,
}


def _fit_points_bagged(X: np.ndarray, y: np.ndarray, **kw: Any) -> scorecard.PointsModel:
    BAGGED.start(X)
    return ORIGINAL_FIT_POINTS(X, y, **kw)


class MultiFit:
    """Wraps ``discovery.fit_weights``: one call per variant on the same traits."""

    def __init__(self, variants: list[str]) -> None:
        self.variants = variants
        self.icps: dict[str, Any] = {}
        self.cpu: dict[str, float] = dict.fromkeys(variants, 0.0)

    def __call__(self, icp: Any, *args: Any, **kw: Any) -> Any:
        self.icps = {}
        for v in self.variants:
            scorecard._fit_l1 = VARIANTS[v]
            scorecard.fit_points = _fit_points_bagged if v == "bagged" else ORIGINAL_FIT_POINTS
            t0 = time.process_time()
            try:
                self.icps[v] = ORIGINAL_FIT_WEIGHTS(icp, *args, **kw)
            finally:
                scorecard._fit_l1 = ORIGINAL_FIT
                scorecard.fit_points = ORIGINAL_FIT_POINTS
            self.cpu[v] += time.process_time() - t0
        return self.icps[self.variants[0]]


def _flat(icp: Any) -> bool:
    return not icp.scoring.points and not any(s.bonus for s in icp.segments)


def evaluate(ds: bq.Dataset, seed: int, multi: MultiFit) -> dict[str, Any]:
    labelled = np.flatnonzero(ds.best | ds.worst)
    frame = ds.frame[labelled]
    y = ds.best[labelled]
    template = icpkit.label_outcomes(
        frame.with_columns(pl.Series("__label", np.where(y, "best", "worst"), dtype=pl.String)),
        ds.schema,
        icpkit.OutcomeSpec(label="__label"),
    )
    columns = bq.feature_columns(ds.schema)
    names = [*multi.variants, "HGB", "L2-LR"]
    aucs: dict[str, list[float]] = {m: [] for m in names}
    lifts: dict[str, list[float]] = {m: [] for m in names}
    flat = dict.fromkeys(multi.variants, 0)
    npoints: dict[str, list[int]] = {v: [] for v in multi.variants}
    for fit_idx, test_idx in ds.splits:
        f_fit, f_test = frame[fit_idx], frame[test_idx]
        y_fit, y_test = y[fit_idx], y[test_idx]
        outcomes = bq._outcomes_for(y_fit, ~y_fit, template)
        scores: dict[str, np.ndarray] = {}
        try:
            icpkit.discover(f_fit, ds.schema, outcomes, today=ds.as_of)
            for v, icp in multi.icps.items():
                s = icpkit.score(f_test, icp, as_of=ds.as_of, prepared=True, rank=False)
                scores[v] = np.nan_to_num(s.get_column("fit_score").cast(pl.Float64).to_numpy())
                flat[v] += int(_flat(icp))
                npoints[v].append(len(icp.scoring.points))
        except IcpkitError as exc:
            print(f"    error: {exc}")
            for v in multi.variants:
                scores[v] = np.zeros(len(test_idx))
        enc = bq.Encoder(columns, ds.schema.reference_date, ds.as_of).fit(f_fit)
        scores.update(bq.fit_black_boxes(enc.transform(f_fit), y_fit, enc.transform(f_test), seed))
        for m in names:
            aucs[m].append(bq.auc(y_test, scores[m]))
            lifts[m].append(bq.top_lift(y_test, scores[m]))
    return {
        "name": ds.name,
        "n": len(labelled),
        "auc": {m: float(np.mean(v)) for m, v in aucs.items()},
        "fold_auc": aucs,
        "lift": {m: float(np.mean(v)) for m, v in lifts.items()},
        "flat": flat,
        "points": {v: float(np.mean(p)) if p else 0.0 for v, p in npoints.items()},
        "folds": len(ds.splits),
    }


def null_runs(total: int, seed: int, multi: MultiFit) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in range(total):
        n, size = (300, "small (300)") if r % 2 == 0 else (2000, "medium (2,000)")
        raw, _ = weak_signal_customers(n, seed=seed + 20_000 + r, shuffle_outcomes=True)
        frame, schema = bq._prepared(raw)
        outcomes = icpkit.label_outcomes(frame, schema)
        try:
            icpkit.discover(frame, schema, outcomes, today=date(2026, 7, 1))
        except IcpkitError:
            continue
        for group in (size, "all"):
            g = out.setdefault(group, {"runs": 0, **dict.fromkeys(multi.variants, 0)})
            g["runs"] += 1
            for v, icp in multi.icps.items():
                g[v] += int(not _flat(icp))
        if (r + 1) % 10 == 0:
            print(f"  null runs {r + 1}/{total}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("generated", "telco", "crunchbase", "null"))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--null-runs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="2 generated datasets")
    ap.add_argument("--first", type=int, default=None, help="only the first N generated")
    ap.add_argument("--skip", type=int, default=0, help="skip the first N generated")
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    if variants[0] != "l1":
        variants = ["l1", *[v for v in variants if v != "l1"]]
    multi = MultiFit(variants)
    discovery.fit_weights = multi  # type: ignore[assignment]

    def want(part: str) -> bool:
        return args.only in (None, part)

    sources: list[Iterator[bq.Dataset]] = []
    if want("generated"):
        gen = bq.generated(args.seed, args.quick)
        first, skip = args.first or 99, args.skip
        gen = (d for i, d in enumerate(gen) if skip <= i < first)
        sources.append(gen)
    if want("telco"):
        sources.append(bq.telco(args.seed))
    if want("crunchbase"):
        sources.append(bq.crunchbase())
    results = []
    for source in sources:
        for ds in source:
            t0 = time.perf_counter()
            r = evaluate(ds, args.seed, multi)
            results.append(r)
            figs = ", ".join(f"{m} {a:.3f}" for m, a in r["auc"].items())
            print(f"  {ds.name}: {figs} ({time.perf_counter() - t0:.0f} s wall)", flush=True)
    if results:
        names = [*variants, "HGB", "L2-LR"]
        print()
        print("Held-out ROC AUC (flat folds / mean points in brackets for the variants)")
        print()
        print("| dataset | n | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for r in results:
            cells = [
                f"{r['auc'][v]:.3f} ({r['flat'][v]}/{r['folds']}, {r['points'][v]:.0f})"
                for v in variants
            ] + [f"{r['auc'][m]:.3f}" for m in ("HGB", "L2-LR")]
            print(f"| {r['name']} | {r['n']:,} | " + " | ".join(cells) + " |")
        means = {m: float(np.mean([r["auc"][m] for r in results])) for m in names}
        print("| **mean** | | " + " | ".join(f"{means[m]:.3f}" for m in names) + " |")
        lift = {m: float(np.mean([r["lift"][m] for r in results])) for m in names}
        print("| mean top-20% lift | | " + " | ".join(f"{lift[m]:.2f}" for m in names) + " |")
        print()
        print("Per-fold AUC of the smallest base:")
        small = min(results, key=lambda r: r["n"])
        for m in names:
            print(f"  {m}: " + " ".join(f"{a:.3f}" for a in small["fold_auc"][m]))
        print()
        print(
            "scorecard CPU s (fit_weights, all datasets): "
            + ", ".join(f"{v} {multi.cpu[v]:.1f}" for v in variants)
        )
    if want("null") and args.null_runs > 0:
        print(flush=True)
        out = null_runs(args.null_runs, args.seed, multi)
        print()
        print("Shuffled outcomes: runs whose scorecard is not flat (false signal)")
        print()
        print("| data | runs | " + " | ".join(variants) + " |")
        print("|---|---|" + "---|" * len(variants))
        for g, d in out.items():
            print(
                f"| {g} | {d['runs']} | "
                + " | ".join(f"{d[v]} ({d[v] / max(d['runs'], 1):.1%})" for v in variants)
                + " |"
            )
    return 0


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        sys.exit(main())
