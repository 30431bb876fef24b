"""Null benchmark: how often does discovery report anything on shuffled outcomes?

Issue 10 asks that at most 5% of shuffled-outcome runs report any segment, disqualifier or
timing signal, over small (300 rows), medium (5,000 rows) and wide (100+ columns) data. This
script runs ``--runs`` shuffled-outcome discoveries per size and prints the share of runs that
reported anything, the share whose points table is not flat (a fit score that ranks accounts
claims signal too) and of runs with either, the smallest printed p-value and the CPU seconds
per run.

Usage::

    python bench/bench_null.py [--runs 100] [--sizes small,medium,wide]
    python bench/bench_null.py --points [--runs 100] [--power-runs 40]

``--points`` measures the points table's signal gate alone (issue 10): on each shuffled run the
scorecard's cross-validated penalty path is computed once on discovery's trait matrix (fresh
generated exports of 300 and 2,000 rows, alternating, and the real Telco base with its outcome
permuted) and every candidate gate is judged on that same path and the same 999 shuffles: the
cross-validated AUC's best-of-path z above fixed values (2.65 was the gate until 2026-12-05)
or Bonferroni over the penalties tried, and exact permutation tests of four statistics of the
traits' standardised scores (``sumsq``, today's gate at ``scorecard.ALPHA``; the largest; the
sum of the ten largest; the smallest p of those three). Planted bases (300 rows at Bayes AUC
~0.75, 1,000 rows at ~0.64) give each gate's power: the share of tables not flat, and the
held-out AUC of the points on 2,000 further accounts (0.5 where the table is flat).

Results of ``--points --runs 2 --power-runs 40`` (2026-12-05; the permutation tests are exact,
so their null share needs no measuring; planted columns: tables not flat of 40, mean held-out
AUC)::

    | gate | planted 300 rows, Bayes ~0.75 | planted 1,000 rows, Bayes ~0.64 |
    |---|---|---|
    | CV z > 2.0 | 36, AUC 0.636 | 40, AUC 0.591 |
    | CV z > 2.65 (former, 4.0% of 250 shuffled) | 32, AUC 0.620 | 38, AUC 0.586 |
    | CV z > 3.0 | 29, AUC 0.609 | 37, AUC 0.584 |
    | sumsq p ≤ 0.05 | 33, AUC 0.623 | 35, AUC 0.579 |
    | sumsq p ≤ 0.02 | 28, AUC 0.607 | 33, AUC 0.575 |
    | sumsq p ≤ 0.014 (today) | 24, AUC 0.590 | 32, AUC 0.573 |
    | max p ≤ 0.05 / 0.014 | 28 / 17 | 34 / 22 |
    | top10 p ≤ 0.05 / 0.014 | 31 / 20 | 37 / 27 |
    | minp p ≤ 0.05 / 0.014 | 34 / 22 | 39 / 30 |

The cross-validated z's null share, from the earlier ``--points --runs 200`` (same bases):
above 2.0 33 of 250 shuffled runs (13.2%), Bonferroni 16 (6.4%), 2.5 13 (5.2%), 2.65 10
(4.0%, upper bound 6.7%); by shape at 2.65: 300 rows 4/100, 2,000 rows 5/100, Telco 1/50.

To measure a baseline, run the same script with ``PYTHONPATH`` pointing at another checkout's
``src`` (for example ``git archive HEAD src | tar -x -C /tmp/before``): the figures are printed
per run set, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

SIZES = {"small": 300, "medium": 5000, "wide": 1500}


def _customers(n: int, seed: int) -> tuple[Any, Any, Any]:
    from icpkit.columns.infer import infer_schema
    from icpkit.columns.preparation import prepare
    from icpkit.outcomes import label_outcomes
    from icpkit.sample.customers import generate_customers

    raw = generate_customers(n, seed=seed, shuffle_outcomes=True).customers
    prepared = prepare(raw, infer_schema(raw))
    return prepared.frame, prepared.schema, label_outcomes(prepared.frame, prepared.schema)


def _wide(n: int, seed: int) -> tuple[Any, Any, Any]:
    import polars as pl

    from icpkit.columns.preparation import prepare
    from icpkit.columns.schema import ColumnInfo, Kind, OutcomeKind, Role, Schema
    from icpkit.criteria import Layer
    from icpkit.outcomes import OutcomeSpec, label_outcomes
    from icpkit.sample.customers import generate_wide

    raw = generate_wide(n, 110, seed=seed)
    rng = np.random.default_rng(seed)
    raw = raw.with_columns(pl.Series("best", rng.permutation(raw.get_column("best").to_numpy())))
    kinds = {"cat": Kind.CATEGORICAL, "num": Kind.NUMERIC, "flag": Kind.BOOLEAN}
    cols = []
    for name in raw.columns:
        if name == "id":
            cols.append(ColumnInfo(name, name, Role.ID, Kind.TEXT))
        elif name == "best":
            cols.append(
                ColumnInfo(name, name, Role.OUTCOME, Kind.BOOLEAN, outcome=OutcomeKind.LABEL)
            )
        else:
            kind = kinds[name.split("_")[0]]
            cols.append(ColumnInfo(name, name, Role.ATTRIBUTE, kind, layer=Layer.FIRMOGRAPHIC))
    prepared = prepare(raw, Schema(tuple(cols)))
    outcomes = label_outcomes(prepared.frame, prepared.schema, OutcomeSpec(label="best"))
    return prepared.frame, prepared.schema, outcomes


def run(size: str, runs: int, first_seed: int) -> dict[str, Any]:
    from icpkit.discovery.profile import discover
    from icpkit.sample.customers import TECH_CATEGORIES

    cmap = {k.lower(): [v] for k, v in TECH_CATEGORIES.items()}
    hits = {"segment": 0, "disqualifier": 0, "timing": 0, "any": 0, "points": 0, "claim": 0}
    cpu = 0.0
    min_p = 1.0
    for seed in range(first_seed, first_seed + runs):
        if size == "wide":
            frame, schema, outcomes = _wide(SIZES[size], seed)
        else:
            frame, schema, outcomes = _customers(SIZES[size], seed)
        c0 = time.process_time()
        found = discover(frame, schema, outcomes, category_map=cmap, today=date(2026, 7, 1))
        cpu += time.process_time() - c0
        icp = found.icp
        got = {
            "segment": bool(icp.segments),
            "disqualifier": bool(icp.disqualifiers),
            "timing": bool(icp.scoring.timing),
        }
        for k, v in got.items():
            hits[k] += int(v)
        hits["any"] += int(any(got.values()))
        # A points table that is not flat claims signal too (the fit score ranks accounts).
        points = bool(icp.scoring.points or any(s.bonus for s in icp.segments))
        hits["points"] += int(points)
        hits["claim"] += int(points or any(got.values()))
        for s in icp.segments:
            if s.evidence is not None:
                min_p = min(min_p, s.evidence.p_value)
    return {
        "size": size,
        "rows": SIZES[size],
        "runs": runs,
        **hits,
        "min_segment_p": min_p,
        "cpu_s_per_run": cpu / runs,
    }


def _trait_matrix(frame: Any, schema: Any, as_of: date) -> Any:
    """Discovery's candidate traits as ``fit_weights`` hands them to the scorecard."""
    from icpkit.discovery.traits import build_traits

    ts = build_traits(frame, schema, best=None, as_of=as_of)
    return ts.has[:, [i for i, k in enumerate(ts.kinds) if k != "group"]]


def _score_tests(X: Any, y: np.ndarray, shuffles: int = 999) -> dict[str, float]:
    """Exact permutation p-values of four "no trait is related" statistics, same shuffles.

    ``sumsq`` is the gate's (:func:`icpkit.discovery.scorecard.signal_test`, every shuffle);
    ``max`` the largest squared standardised score, ``top10`` the sum of the ten largest,
    ``minp`` the smallest p of those three (its own null from the same shuffles).
    """
    from scipy import sparse
    from scipy.stats import rankdata

    Xs = sparse.csr_matrix(X, dtype=np.float64)
    n = len(y)
    c = np.asarray(Xs.sum(axis=0)).ravel()
    keep = np.flatnonzero((c > 0) & (c < n))
    Xs, c = Xs[:, keep], c[keep]
    rng = np.random.default_rng(0)
    Y = np.column_stack([y, *(rng.permutation(y) for _ in range(shuffles))]).astype(float)
    Z = np.asarray(Xs.T @ (Y - y.mean())) / np.sqrt(c * (n - c) / n)[:, None]
    Z2 = Z * Z
    stats = {
        "sumsq": Z2.sum(axis=0),
        "max": Z2.max(axis=0),
        "top10": -np.sort(-Z2, axis=0)[:10].sum(axis=0),
    }
    # Each shuffle's own p-value among all of them, for the min-p combination.
    ps = {k: (shuffles + 2 - rankdata(v, method="max")) / (shuffles + 1) for k, v in stats.items()}
    stats["minp"] = -np.min(list(ps.values()), axis=0)
    return {k: float((1 + (v[1:] >= v[0]).sum()) / (shuffles + 1)) for k, v in stats.items()}


def _path_record(X: Any, y: np.ndarray, test: tuple[Any, np.ndarray] | None = None) -> dict:
    """The penalty path's z per penalty, the score tests' p-values and (with ``test``) the
    held-out AUC of the points the path gives whatever any gate says."""
    import icpkit.discovery.scorecard as sc

    folds = 5 if len(y) < 5000 else 3
    problem = sc._problem(X, y, folds, 0)
    path = sc._cv_path(problem.Xs, problem.ys, folds, 0, 60) if problem is not None else None
    p = _score_tests(X, y)
    if path is None:
        return {"z": np.array([-np.inf]), **p}
    out: dict[str, Any] = {"z": (path.aucs[np.isfinite(path.aucs)] - 0.5) / path.se_auc, **p}
    if test is not None:
        model = sc.fit_points(X, y, alpha=1.0)  # alpha 1: the gate always passes
        out["auc"] = sc._auc(test[1].astype(np.int64), test[0].astype(np.float64) @ model.coef)
    return out


def points_gate(runs: int, power_runs: int) -> None:
    """Null share and power of candidate points-table gates, judged on the same paths."""
    from scipy.stats import beta, norm

    import icpkit
    import icpkit.discovery.scorecard as sc
    from icpkit.sample.customers import weak_signal_customers

    gates: dict[str, Any] = {
        "CV z > 2.0": lambda r: r["z"].max() > 2.0,
        "Bonferroni over tried": lambda r: r["z"].max() > norm.isf(0.05 / len(r["z"])),
        "CV z > 2.65 (former)": lambda r: r["z"].max() > 2.65,
        "CV z > 3.0": lambda r: r["z"].max() > 3.0,
    }
    for stat in ("sumsq", "max", "top10", "minp"):
        for level in (0.05, 0.02, sc.ALPHA):
            gates[f"{stat} p ≤ {level}"] = lambda r, s=stat, a=level: r[s] <= a

    def matrix(raw: Any) -> tuple[Any, np.ndarray]:
        prepared = icpkit.prepare(raw, icpkit.infer_schema(raw))
        best = icpkit.label_outcomes(prepared.frame, prepared.schema).best
        return _trait_matrix(prepared.frame, prepared.schema, date(2026, 7, 1)), best

    groups: dict[str, list[dict]] = {}
    for r in range(runs):
        n = 300 if r % 2 == 0 else 2000
        raw, _ = weak_signal_customers(n, seed=50_000 + r, shuffle_outcomes=True)
        groups.setdefault(f"generated {n:,} rows, shuffled", []).append(_path_record(*matrix(raw)))
    telco = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "telco-churn"
    if (telco / "Telco-Customer-Churn.csv").exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_quality as bq

        ds = next(iter(bq.telco(0)))
        labelled = np.flatnonzero(ds.best | ds.worst)
        X = _trait_matrix(ds.frame[labelled], ds.schema, ds.as_of)
        y0 = ds.best[labelled]
        for r in range(max(runs // 4, 1)):
            y = np.random.default_rng(70_000 + r).permutation(y0)
            groups.setdefault("Telco, outcome permuted", []).append(_path_record(X, y))
    for name, (n, signal) in {
        "300 rows, Bayes ~0.75": (300, 1.3),
        "1,000 rows, Bayes ~0.64": (1000, 0.65),
    }.items():
        for r in range(power_runs):
            raw, _ = weak_signal_customers(n + 2000, seed=60_000 + r, signal=signal)
            X, y = matrix(raw)
            idx = np.random.default_rng(r).permutation(len(y))
            fit, test = idx[:n], idx[n:]
            rec = _path_record(X[fit], y[fit], (X[test], y[test]))
            groups.setdefault(f"planted {name}", []).append(rec)
    null = [rec for g, recs in groups.items() if not g.startswith("planted") for rec in recs]
    columns = [*groups.items(), ("**all shuffled**", null)]
    print("| gate | " + " | ".join(f"{g} ({len(recs)})" for g, recs in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, gate in gates.items():
        cells = []
        for g, recs in columns:
            hit = [bool(gate(rec)) for rec in recs]
            k = sum(hit)
            cell = f"{k}"
            if g.startswith("planted"):
                auc = np.mean([rec["auc"] if h else 0.5 for rec, h in zip(recs, hit, strict=True)])
                cell += f", AUC {auc:.3f}"
            elif g.startswith("**"):
                up = 1.0 if k >= len(recs) else float(beta.ppf(0.95, k + 1, len(recs) - k))
                cell += f" ({k / len(recs):.1%}, upper {up:.1%})"
            cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--sizes", default="small,medium,wide")
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--points", action="store_true", help="the points table's gate alone")
    ap.add_argument("--power-runs", type=int, default=40)
    args = ap.parse_args()
    if args.points:
        points_gate(args.runs, args.power_runs)
        return
    for size in args.sizes.split(","):
        r = run(size, args.runs, args.first_seed)
        print(
            f"{r['size']:>6} ({r['rows']} rows): {r['any']}/{r['runs']} runs report anything "
            f"(segments {r['segment']}, disqualifiers {r['disqualifier']}, timing {r['timing']}); "
            f"points table not flat {r['points']}, any claim of signal {r['claim']}/{r['runs']}; "
            f"smallest segment p {r['min_segment_p']:.2g}; {r['cpu_s_per_run']:.2f} CPU s/run",
            flush=True,
        )


if __name__ == "__main__":
    main()
