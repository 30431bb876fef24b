"""Scoring throughput: icpkit's polars engine against hand-written baselines, in one run.

10,000,000 synthetic prospects (8 clean columns, built with numpy) × a demo-like ICP (2 segments
with 2 musts + 2 nice-to-haves each, 1 disqualifier, 2 timing signals). Printed side by side:

* icpkit ``score`` (eager, reason codes included)
* a hand-written polars expression of the same criteria (baseline; target: icpkit within 1.5×)
* a vectorised pandas/numpy implementation (target: icpkit at least 10× faster)
* the DuckDB path: ``compile_sql`` run by DuckDB over the same data (target: within 2×)

Peak RSS is reported per step (each step runs in a fresh subprocess so peaks do not mix).
Usage: ``python bench/bench_score.py [--rows N]``. No asserts: figures are for reading.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

AS_OF = date(2024, 6, 1)
ICP_DICT = {
    "segments": [
        {
            "id": "saas",
            "name": "SaaS mid-market",
            "bonus": 0.8,
            "must": [
                {"column": "industry", "in": ["saas", "fintech"], "weight": 1.1},
                {"column": "employees", "between": [50, 1000], "weight": 0.6},
            ],
            "nice": [
                {"column": "region", "in": ["north america"], "weight": 0.4},
                {"column": "revenue", "between": [5e6, 1e8], "weight": 0.3},
            ],
        },
        {
            "id": "commerce",
            "name": "Commerce",
            "bonus": 0.5,
            "must": [
                {"column": "industry", "in": ["retail"], "weight": 0.9},
                {"column": "uses_shopify", "is": True, "weight": 0.7},
            ],
            "nice": [
                {"column": "employees", "between": [20, 500], "weight": 0.2},
                {"column": "region", "in": ["europe", "north america"], "weight": 0.25},
            ],
        },
    ],
    "disqualifiers": [{"column": "region", "in": ["sanctioned"]}],
    "scoring": {
        "intercept": -2.2,
        "timing": [
            {"column": "last_funding_date", "within_days": 180, "weight": 2.0},
            {"column": "intent_score", "between": [70, None], "weight": 1.0},
        ],
    },
}


def make_data(n: int, path: Path) -> None:
    rng = np.random.default_rng(7)
    ind = np.array(["saas", "fintech", "retail", "health care", "media", "manufacturing"])
    reg = np.array(["north america", "europe", "asia", "latam", "sanctioned"])
    emp = rng.lognormal(4.5, 1.3, n)
    emp[rng.random(n) < 0.05] = np.nan
    days = rng.integers(0, 1500, n)
    start = np.datetime64(AS_OF) - days.astype("timedelta64[D]")
    df = pl.DataFrame(
        {
            "industry": pl.Series(ind[rng.integers(0, len(ind), n)]),
            "region": pl.Series(reg[rng.choice(len(reg), n, p=[0.4, 0.3, 0.15, 0.14, 0.01])]),
            "employees": pl.Series(emp).fill_nan(None),
            "revenue": pl.Series(rng.lognormal(15, 1.5, n)),
            "uses_shopify": pl.Series(rng.random(n) < 0.2),
            "last_funding_date": pl.Series(start),
            "intent_score": pl.Series(rng.integers(0, 100, n).astype(np.float64)),
            "hiring_growth": pl.Series(rng.normal(5, 10, n)),
        }
    ).with_columns(pl.col("last_funding_date").cast(pl.Date))
    df.write_parquet(path)


def _fit(raw: pl.Expr) -> pl.Expr:
    return ((100.0 / (1.0 + (-raw.clip(-40, 40)).exp())) * 10 + 0.5).floor() / 10


def handwritten_polars(df: pl.DataFrame) -> pl.DataFrame:
    """The criteria typed out by hand: what a polars user would write for this one ICP."""
    ind, emp, reg, rev = (
        pl.col("industry"),
        pl.col("employees"),
        pl.col("region"),
        pl.col("revenue"),
    )
    s1m1, s1m2 = ind.is_in(["saas", "fintech"]), (emp >= 50) & (emp < 1000)
    s1n1, s1n2 = reg == "north america", (rev >= 5e6) & (rev < 1e8)
    s2m1, s2m2 = ind == "retail", pl.col("uses_shopify")
    s2n1, s2n2 = (emp >= 20) & (emp < 500), reg.is_in(["europe", "north america"])
    days = (pl.lit(AS_OF) - pl.col("last_funding_date")).dt.total_days()
    t1, t2 = (days >= 0) & (days <= 180), pl.col("intent_score") >= 70

    def w(c: pl.Expr, x: float) -> pl.Expr:
        return pl.when(c).then(x).otherwise(0.0)

    p1 = w(s1m1, 1.1) + w(s1m2, 0.6) + w(s1n1, 0.4) + w(s1n2, 0.3) + w(s1m1 & s1m2, 0.8)
    p2 = w(s2m1, 0.9) + w(s2m2, 0.7) + w(s2n1, 0.2) + w(s2n2, 0.25) + w(s2m1 & s2m2, 0.5)
    out = df.with_columns(
        p1.alias("p1"), p2.alias("p2"), (reg == "sanctioned").fill_null(False).alias("disqualified")
    )
    out = out.with_columns(
        _fit(-2.2 + pl.col("p1") + pl.col("p2")).alias("fit_score"),
        pl.when((pl.col("p1") > 0) & (pl.col("p1") >= pl.col("p2")))
        .then(pl.lit("saas"))
        .when(pl.col("p2") > 0)
        .then(pl.lit("commerce"))
        .alias("segment"),
        (((w(t1, 2.0) + w(t2, 1.0)) * (100 / 3.0) * 10 + 0.5).floor() / 10).alias("timing_score"),
    )
    out = out.with_columns(
        pl.when(pl.col("disqualified"))
        .then(pl.lit("D"))
        .when(pl.col("fit_score") >= 60)
        .then(pl.lit("A"))
        .when(pl.col("fit_score") >= 35)
        .then(pl.lit("B"))
        .when(pl.col("fit_score") >= 15)
        .then(pl.lit("C"))
        .otherwise(pl.lit("D"))
        .alias("tier"),
        pl.when(pl.col("disqualified"))
        .then(0.0)
        .otherwise(pl.col("fit_score") * (1 + pl.col("timing_score") / 100) / 2)
        .alias("priority"),
    )
    return out.with_columns(pl.col("priority").rank("min", descending=True).alias("rank")).drop(
        "p1", "p2"
    )


def pandas_impl(path: Path):
    """Vectorised pandas/numpy (no per-row Python): the pandas user's implementation."""
    import pandas as pd

    pdf = pl.read_parquet(path)
    # pyarrow may be unavailable: go through numpy column by column.
    d = {c: pdf[c].to_numpy() for c in pdf.columns}
    df = pd.DataFrame(d)
    t0 = time.perf_counter()
    ind, emp, reg, rev = df["industry"], df["employees"], df["region"], df["revenue"]
    s1m1, s1m2 = ind.isin(["saas", "fintech"]), (emp >= 50) & (emp < 1000)
    s1n1, s1n2 = reg.eq("north america"), (rev >= 5e6) & (rev < 1e8)
    s2m1, s2m2 = ind.eq("retail"), df["uses_shopify"]
    s2n1, s2n2 = (emp >= 20) & (emp < 500), reg.isin(["europe", "north america"])
    days = (pd.Timestamp(AS_OF) - pd.to_datetime(df["last_funding_date"])).dt.days
    t1, t2 = (days >= 0) & (days <= 180), df["intent_score"] >= 70
    p1 = 1.1 * s1m1 + 0.6 * s1m2 + 0.4 * s1n1 + 0.3 * s1n2 + 0.8 * (s1m1 & s1m2)
    p2 = 0.9 * s2m1 + 0.7 * s2m2 + 0.2 * s2n1 + 0.25 * s2n2 + 0.5 * (s2m1 & s2m2)
    raw = (-2.2 + p1 + p2).clip(-40, 40)
    fit = np.floor(100.0 / (1.0 + np.exp(-raw)) * 10 + 0.5) / 10
    disq = reg.eq("sanctioned")
    tier = np.select([disq, fit >= 60, fit >= 35, fit >= 15], ["D", "A", "B", "C"], "D")
    seg = np.select([(p1 > 0) & (p1 >= p2), p2 > 0], ["saas", "commerce"], None)
    timing = np.floor((2.0 * t1 + 1.0 * t2) * (100 / 3.0) * 10 + 0.5) / 10
    prio = np.where(disq, 0.0, fit * (1 + timing / 100) / 2)
    out = df.assign(
        fit_score=fit, tier=tier, segment=seg, disqualified=disq, timing_score=timing, priority=prio
    )
    out["rank"] = out["priority"].rank(method="min", ascending=False)
    return time.perf_counter() - t0


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_step(step: str, path: Path) -> dict[str, float]:
    from icpkit.icp import ICP
    from icpkit.scoring import compile_sql, score

    icp = ICP.model_validate(ICP_DICT)
    if step == "pandas":
        secs = pandas_impl(path)
        return {"seconds": secs, "peak_mb": _peak_mb()}
    if step == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"CREATE TABLE p AS SELECT * FROM read_parquet('{path}')")
        sql = compile_sql(icp, table="p", dialect="duckdb", as_of=AS_OF)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE scored AS {sql}")
            times.append(time.perf_counter() - t0)
        return {"seconds": min(times), "peak_mb": _peak_mb()}
    df = pl.read_parquet(path)
    fn = {
        "icpkit": lambda: score(df, icp, as_of=AS_OF),
        "icpkit_text": lambda: score(df, icp, as_of=AS_OF, reasons="text"),
        "polars_hand": lambda: handwritten_polars(df),
    }[step]
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"seconds": min(times), "peak_mb": _peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--step")
    ap.add_argument("--data", type=Path, default=Path("/tmp/icpkit_bench_score.parquet"))
    args = ap.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.data)))
        return
    if (
        not args.data.exists()
        or pl.scan_parquet(args.data).select(pl.len()).collect().item() != args.rows
    ):
        make_data(args.rows, args.data)
    results = {}
    for step in ("polars_hand", "icpkit", "icpkit_text", "duckdb", "pandas"):
        res = subprocess.run(
            [sys.executable, __file__, "--step", step, "--data", str(args.data)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[step] = json.loads(res.stdout.strip().splitlines()[-1])
    base = results["polars_hand"]["seconds"]
    ours = results["icpkit"]["seconds"]
    print(f"{args.rows:,} prospects × demo ICP (2 segments × 4 criteria, 1 disqualifier, 2 timing)")
    print(f"{'engine':<34}{'seconds':>9}{'vs hand polars':>16}{'vs icpkit':>11}{'peak MB':>10}")
    labels = {
        "polars_hand": "hand-written polars (baseline)",
        "icpkit": "icpkit score (reason codes)",
        "icpkit_text": "icpkit score (reasons as text)",
        "duckdb": "icpkit compile_sql on DuckDB",
        "pandas": "vectorised pandas",
    }
    for step, r in results.items():
        s = r["seconds"]
        print(
            f"{labels[step]:<34}{s:>9.3f}{s / base:>15.2f}×{s / ours:>10.2f}×{r['peak_mb']:>10.0f}"
        )
    print(
        f"targets: icpkit ≤ 1.5× hand polars → {ours / base:.2f}×; pandas ≥ 10× icpkit → "
        f"{results['pandas']['seconds'] / ours:.1f}×; DuckDB ≤ 2× icpkit → "
        f"{results['duckdb']['seconds'] / ours:.2f}×"
    )


if __name__ == "__main__":
    main()
