"""Scoring throughput: icpkit's engines against hand-written baselines, measured in one run.

Data: N synthetic prospects (default 10,000,000; 8 typed columns: 2 normalised categoricals,
4 floats with 5% nulls in ``employees``, 1 boolean, 1 date), written once to Parquet. ICP: the
demo shape (2 segments × 2 musts + 2 nice-to-haves, 1 disqualifier, 2 timing signals: 11
distinct tests on 7 columns).

What each timing includes (best of ``--repeat`` runs; every engine in its own fresh process,
which loads the data *before* the clock starts, so peaks do not mix):

* **scores**: prepared, in-memory, already-typed columns in → a frame with every input column
  plus fit_score, tier, disqualified(_by), segment, data_completeness, timing_score, in_market,
  quadrant, priority out (icpkit adds reason codes); **+ rank** adds the file-wide rank.
  - hand-written polars: one lazy query typed out for this ICP, no reasons (the baseline);
  - icpkit ``score(df, icp)`` on a polars DataFrame (reason codes; the text variant expands
    them to sentences); includes the cleanliness check of categorical columns (one hash pass
    over each; ``prepared=True`` skips it, as the hand-written baseline does);
  - DuckDB: ``compile_sql`` run on the same frame registered as an Arrow table (zero-copy read),
    result fetched as an Arrow table; "clean" = ``normalize_text=False`` (the table is prepared,
    as the polars frame is), "normalising" = the default per-row ``LOWER(TRIM())``;
  - pandas: a straightforward vectorised implementation (object-dtype strings, ``isin``, masks,
    ``np.select``, ``Series.rank``) on a prepared DataFrame (datetime64 dates).
* **file → scores**: raw Parquet file in → scored Parquet file out, read and write included
  (icpkit ``score_file`` streaming; DuckDB ``COPY (query over read_parquet) TO``).

Before timing, a correctness check scores the first 200,000 rows with every engine and asserts
that all outputs agree with icpkit's (floats to 1e-9). Peak RSS comes from ``ru_maxrss`` of each
step's process and includes the loaded input (``loaded MB``).

Usage: ``python bench/bench_score.py [--rows N] [--repeat R]``. No asserts on speed: figures
are for reading.

Figures (2 vCPU, 23 GB, other sessions' load on the machine; ``/proc/loadavg`` printed with
each run — load above 2 means these wall times are inflated):

before (commit f1b0ffd's script, load 3.7): hand polars incl. rank 4.21 s, icpkit incl. rank
2.77 s, DuckDB (nested SELECT *, full-row RANK window, CREATE TABLE) 15.3 s, pandas 7.2 s.

after (this script, 10M rows, best of 3, load 1.9-3.1 during the run):

  engine                               scores s  +rank s  peak MB (loaded MB)
  hand-written polars (baseline)          0.602    2.107     2357 (917)
  icpkit score (reason codes)             0.996    1.237     2348 (918)
  icpkit score(prepared=True)             0.814    1.049     2388 (918)
  icpkit score (reasons as text)              -    1.621     2694 (914)
  DuckDB compile_sql, clean table         2.559    2.823     4534 (1270)
  DuckDB compile_sql, LOWER(TRIM())           -    3.452     4448 (1269)
  vectorised pandas (object str)          8.901   11.920     5892 (4148)
  file → scores, icpkit score_file        5.724              2157
  file → scores, DuckDB COPY              6.699              2445

  icpkit/hand 1.65× (prepared=True 1.35×; +rank 0.59×, icpkit's histogram rank against the
  baseline's sorting rank); pandas/icpkit 8.9× (+rank 9.6×); DuckDB/icpkit 2.57× (+rank 2.28×).

Where the time went: the old baseline's 4-6 s was mostly the rank (polars' sorting rank costs
1.1-1.5 s on 10M rows) and a loaded machine; the old DuckDB figure was the full-row RANK window
(sorting every column, ~8 s) plus CREATE TABLE materialisation and five per-row LOWER(TRIM()).
DuckDB's remaining gap is its expression evaluation (CASE chains, ~2× polars' CPU time) and
copying every input column out to Arrow (~0.4-0.8 s); pandas is held back by object-string
``isin``/``eq`` and ``np.select`` building string arrays.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date, timedelta
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
#: What the in-memory steps return, every engine alike: ``row_no`` (a row number; not named
#: ``id``, which would add icpkit's duplicate-id check to its timing only) plus these (plus ``reasons`` for
#: icpkit, plus ``rank`` in the +rank steps). Input columns are not copied into the result.
ADDED = [
    "fit_score",
    "tier",
    "disqualified",
    "disqualified_by",
    "segment",
    "data_completeness",
    "timing_score",
    "in_market",
    "quadrant",
    "priority",
]
COMPARED = [
    "fit_score",
    "tier",
    "disqualified",
    "disqualified_by",
    "segment",
    "data_completeness",
    "timing_score",
    "in_market",
    "quadrant",
    "priority",
    "rank",
]


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


# -- hand-written polars: what a polars user would type for this one ICP ----------------------


def _half_up(x: pl.Expr, d: int) -> pl.Expr:
    f = 10**d
    return ((x * f + 0.5).floor() / f).round(d)


def handwritten_polars(df: pl.DataFrame, *, rank: bool) -> pl.DataFrame:
    ind, emp, reg, rev = (pl.col(c) for c in ("industry", "employees", "region", "revenue"))
    first = AS_OF - timedelta(days=180)
    fund = pl.col("last_funding_date")
    tests = {
        "t0": ind.is_in(["saas", "fintech"]),
        "t1": (emp >= 50) & (emp < 1000),
        "t2": reg == "north america",
        "t3": (rev >= 5e6) & (rev < 1e8),
        "t4": ind == "retail",
        "t5": pl.col("uses_shopify"),
        "t6": (emp >= 20) & (emp < 500),
        "t7": reg.is_in(["europe", "north america"]),
        "t8": reg == "sanctioned",
        "t9": (fund <= AS_OF) & (fund >= first),
        "t10": pl.col("intent_score") >= 70,
    }
    t = {k: pl.col(k).fill_null(False) for k in tests}

    def w(c: pl.Expr, x: float) -> pl.Expr:
        return pl.when(c).then(x).otherwise(0.0)

    p1 = w(t["t0"], 1.1) + w(t["t1"], 0.6) + w(t["t2"], 0.4) + w(t["t3"], 0.3)
    p1 = p1 + w(t["t0"] & t["t1"], 0.8)
    p2 = w(t["t4"], 0.9) + w(t["t5"], 0.7) + w(t["t6"], 0.2) + w(t["t7"], 0.25)
    p2 = p2 + w(t["t4"] & t["t5"], 0.5)
    known = pl.sum_horizontal([pl.col(k).is_not_null() for k in tests])
    fit, disq, timing = pl.col("fit_score"), pl.col("disqualified"), pl.col("timing_score")
    tier = pl.col("tier")
    lf = (
        df.lazy()
        .with_columns(**tests)
        .with_columns(p1=p1, p2=p2)
        .with_columns(
            fit_score=_half_up(100.0 / (1.0 + (-(-2.2 + pl.col("p1") + pl.col("p2"))).exp()), 1),
            disqualified=t["t8"],
            disqualified_by=pl.when(t["t8"]).then(pl.lit("region is sanctioned")),
            segment=pl.when((pl.col("p1") > 0) & (pl.col("p1") >= pl.col("p2")))
            .then(pl.lit("saas"))
            .when((pl.col("p2") > 0) & (pl.col("p2") > pl.col("p1")))
            .then(pl.lit("commerce")),
            data_completeness=_half_up(known * (1 / 11), 3),
            timing_score=_half_up(100.0 * (w(t["t9"], 2.0) + w(t["t10"], 1.0)) * (1 / 3), 1),
        )
        .with_columns(
            tier=pl.when(disq)
            .then(pl.lit("D"))
            .when(fit >= 60)
            .then(pl.lit("A"))
            .when(fit >= 35)
            .then(pl.lit("B"))
            .when(fit >= 15)
            .then(pl.lit("C"))
            .otherwise(pl.lit("D")),
            in_market=timing >= 50,
            priority=pl.when(disq)
            .then(0.0)
            .otherwise(_half_up(fit * (1 + timing * 0.01) * 0.5, 2)),
        )
        .with_columns(
            quadrant=pl.when(tier.is_in(["A", "B"]) & pl.col("in_market"))
            .then(pl.lit("fit + in-market"))
            .when(tier.is_in(["A", "B"]))
            .then(pl.lit("fit + dormant"))
            .when(pl.col("in_market"))
            .then(pl.lit("poor fit + in-market"))
            .otherwise(pl.lit("poor fit"))
        )
        .select("row_no", *ADDED)
    )
    if rank:
        lf = lf.with_columns(rank=pl.col("priority").rank("min", descending=True).cast(pl.Int64))
    return lf.collect()


# -- vectorised pandas ------------------------------------------------------------------------


def load_pandas(df: pl.DataFrame):
    """A prepared pandas frame as pandas users have one: object strings, datetime64 dates."""
    import pandas as pd

    out = pd.DataFrame({c: df[c].to_numpy() for c in df.columns})
    for c in ("industry", "region"):
        out[c] = out[c].astype(object)
    out["last_funding_date"] = pd.to_datetime(out["last_funding_date"])
    return out


def pandas_impl(df, *, rank: bool):
    import pandas as pd

    ind, emp, reg, rev = df["industry"], df["employees"], df["region"], df["revenue"]
    fund, as_of = df["last_funding_date"], pd.Timestamp(AS_OF)
    tests = [
        ind.isin(["saas", "fintech"]),
        (emp >= 50) & (emp < 1000),
        reg.eq("north america"),
        (rev >= 5e6) & (rev < 1e8),
        ind.eq("retail"),
        df["uses_shopify"],
        (emp >= 20) & (emp < 500),
        reg.isin(["europe", "north america"]),
        reg.eq("sanctioned"),
        (fund <= as_of) & (fund >= as_of - pd.Timedelta(days=180)),
        df["intent_score"] >= 70,
    ]
    cols = [ind, emp, reg, rev, ind, df["uses_shopify"], emp, reg, reg, fund, df["intent_score"]]
    t = [x.to_numpy(dtype=bool) for x in tests]
    p1 = 1.1 * t[0] + 0.6 * t[1] + 0.4 * t[2] + 0.3 * t[3] + 0.8 * (t[0] & t[1])
    p2 = 0.9 * t[4] + 0.7 * t[5] + 0.2 * t[6] + 0.25 * t[7] + 0.5 * (t[4] & t[5])
    raw = np.clip(-2.2 + p1 + p2, -40, 40)
    fit = np.round(np.floor(100.0 / (1.0 + np.exp(-raw)) * 10 + 0.5) / 10, 1)
    disq = t[8]
    known = sum(c.notna().to_numpy() for c in cols)
    timing = np.round(np.floor(100.0 * (2.0 * t[9] + 1.0 * t[10]) * (1 / 3) * 10 + 0.5) / 10, 1)
    tier = np.select([disq, fit >= 60, fit >= 35, fit >= 15], ["D", "A", "B", "C"], "D")
    in_market = timing >= 50
    prio = np.where(
        disq, 0.0, np.round(np.floor(fit * (1 + timing * 0.01) * 0.5 * 100 + 0.5) / 100, 2)
    )
    fitq = np.isin(tier, ["A", "B"])
    out = pd.DataFrame(
        {
            "row_no": df["row_no"].to_numpy(),
            "fit_score": fit,
            "tier": tier,
            "disqualified": disq,
            "disqualified_by": np.where(disq, "region is sanctioned", None),
            "segment": np.select(
                [(p1 > 0) & (p1 >= p2), (p2 > 0) & (p2 > p1)], ["saas", "commerce"], None
            ),
            "data_completeness": np.round(np.floor(known * (1 / 11) * 1000 + 0.5) / 1000, 3),
            "timing_score": timing,
            "in_market": in_market,
            "quadrant": np.select(
                [fitq & in_market, fitq, in_market],
                ["fit + in-market", "fit + dormant", "poor fit + in-market"],
                "poor fit",
            ),
            "priority": prio,
        }
    )
    if rank:
        out["rank"] = out["priority"].rank(method="min", ascending=False).astype("int64")
    return out


# -- the steps --------------------------------------------------------------------------------


def _icp():
    from icpkit.icp import ICP

    return ICP.model_validate(ICP_DICT)


def _duck(df: pl.DataFrame):
    import duckdb

    con = duckdb.connect()
    con.register("p", df.to_arrow())  # DuckDB scans the Arrow buffers in place
    return con


def engine_fn(step: str, df: pl.DataFrame):
    """The timed callable of a step, given the loaded data (loading is not timed)."""
    from icpkit.scoring import compile_sql, score

    name, _, opt = step.partition("+")
    rank = opt == "rank"
    icp = _icp()
    if name == "polars_hand":
        return lambda: handwritten_polars(df, rank=rank)
    # icpkit returns every input column too; picking the compared ones with [] is zero-copy.
    # (``.select`` would re-align the input's parquet chunks with the streamed output's and
    # cost a second or more at 10M rows: a polars property, not scoring work.)
    out = ["row_no", *ADDED, *(["reasons"] if name.startswith("icpkit") else [])]
    out += ["rank"] if rank else []
    if name == "icpkit":
        return lambda: score(df, icp, as_of=AS_OF, rank=rank)[out]
    if name == "icpkit_prepared":
        return lambda: score(df, icp, as_of=AS_OF, rank=rank, prepared=True)[out]
    if name == "icpkit_text":
        return lambda: score(df, icp, as_of=AS_OF, rank=rank, reasons="text")[out]
    if name in ("duckdb_clean", "duckdb_normalising"):
        con = _duck(df)
        sql = compile_sql(
            icp,
            table="p",
            as_of=AS_OF,
            rank=rank,
            normalize_text=name == "duckdb_normalising",
            keep=["row_no"],
        )
        return lambda: con.sql(sql).to_arrow_table()
    if name == "pandas":
        pdf = load_pandas(df)
        return lambda: pandas_impl(pdf, rank=rank)
    raise ValueError(step)


def file_fn(step: str, src: Path):
    from icpkit.scoring import compile_sql, score_file

    out = src.with_name(f"scored_{step}.parquet")
    icp = _icp()
    if step == "file_icpkit":
        return lambda: score_file(src, icp, out, force=True, as_of=AS_OF)
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW p AS SELECT * FROM read_parquet('{src}')")
    sql = compile_sql(icp, table="p", as_of=AS_OF)
    return lambda: con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read(path: Path, n_rows: int | None = None) -> pl.DataFrame:
    """The prepared input plus ``row_no``, which every engine returns with the scores."""
    df = pl.read_parquet(path, n_rows=n_rows)
    return df.with_row_index("row_no").with_columns(pl.col("row_no").cast(pl.Int64))


def run_step(step: str, path: Path, repeat: int) -> dict[str, object]:
    fn = file_fn(step, path) if step.startswith("file_") else engine_fn(step, _read(path))
    loaded = _rss_mb()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"seconds": min(times), "runs": times, "loaded_mb": loaded, "peak_mb": _rss_mb()}


def check_agreement(path: Path, rows: int = 200_000) -> None:
    """Every engine's outputs on the first ``rows`` rows equal icpkit's (floats to 1e-9)."""
    df = _read(path, rows)
    want = engine_fn("icpkit+rank", df)().select(COMPARED)
    got = {
        "polars_hand": engine_fn("polars_hand+rank", df)().select(COMPARED),
        "duckdb_clean": pl.from_arrow(engine_fn("duckdb_clean+rank", df)()).select(COMPARED),
        "duckdb_normalising": pl.from_arrow(engine_fn("duckdb_normalising+rank", df)()).select(
            COMPARED
        ),
        "pandas": pl.from_pandas(engine_fn("pandas+rank", df)()[COMPARED]),
    }
    from polars.testing import assert_frame_equal

    for name, frame in got.items():
        w = want
        if name.startswith("duckdb"):  # SQL results come back in no particular order
            frame, w = (x.sort(COMPARED, nulls_last=True) for x in (frame, want))
        assert_frame_equal(frame, w, check_dtypes=False, abs_tol=1e-9)


STEPS = {
    "polars_hand": "hand-written polars (baseline)",
    "icpkit": "icpkit score (reason codes)",
    "icpkit_prepared": "icpkit score(prepared=True)",
    "icpkit_text": "icpkit score (reasons as text)",
    "duckdb_clean": "DuckDB compile_sql, clean table",
    "duckdb_normalising": "DuckDB compile_sql, LOWER(TRIM())",
    "pandas": "vectorised pandas (object str)",
}
RUNS = [
    "polars_hand",
    "polars_hand+rank",
    "icpkit",
    "icpkit+rank",
    "icpkit_prepared",
    "icpkit_prepared+rank",
    "icpkit_text+rank",
    "duckdb_clean",
    "duckdb_clean+rank",
    "duckdb_normalising+rank",
    "pandas",
    "pandas+rank",
    "file_icpkit",
    "file_duckdb",
]


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--step")
    ap.add_argument("--only", nargs="*", help="run these steps only")
    ap.add_argument("--data", type=Path, default=Path("/tmp/icpkit_bench_score.parquet"))
    args = ap.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.data, args.repeat)))
        return
    if (
        not args.data.exists()
        or pl.scan_parquet(args.data).select(pl.len()).collect().item() != args.rows
    ):
        make_data(args.rows, args.data)
    check_agreement(args.data)
    print("outputs agree on the first 200,000 rows: hand polars, icpkit, DuckDB, pandas")
    results: dict[str, dict] = {}
    for step in args.only or RUNS:
        repeat = 2 if step.startswith(("file_", "pandas")) else args.repeat
        load = _load()
        res = subprocess.run(
            [
                sys.executable,
                __file__,
                "--step",
                step,
                "--data",
                str(args.data),
                "--repeat",
                str(repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[step] = json.loads(res.stdout.strip().splitlines()[-1])
        results[step]["load"] = load
    print(f"{args.rows:,} prospects × demo ICP (2 segments × 4 criteria, 1 disqualifier, 2 timing)")
    head = f"{'engine':<36}{'scores s':>9}{'+rank s':>9}{'loaded MB':>10}{'peak MB':>9}  loadavg"
    print(head)
    for name, label in STEPS.items():
        a, b = results.get(name), results.get(f"{name}+rank")
        if not a and not b:
            continue
        r = b or a
        sa = f"{a['seconds']:9.3f}" if a else f"{'-':>9}"
        sb = f"{b['seconds']:9.3f}" if b else f"{'-':>9}"
        print(f"{label:<36}{sa}{sb}{r['loaded_mb']:10.0f}{r['peak_mb']:9.0f}  {r['load']}")
    for step, label in (("file_icpkit", "icpkit score_file"), ("file_duckdb", "DuckDB COPY")):
        if step in results:
            r = results[step]
            print(
                f"file → scores, {label:<20}{r['seconds']:9.3f}{'':>9}{r['loaded_mb']:10.0f}"
                f"{r['peak_mb']:9.0f}  {r['load']}"
            )

    def ratio(x: str, y: str) -> str:
        if x in results and y in results:
            return f"{results[x]['seconds'] / results[y]['seconds']:.2f}×"
        return "n/a"

    print(
        f"targets: icpkit ≤ 1.5× hand polars → {ratio('icpkit', 'polars_hand')} "
        f"(+rank {ratio('icpkit+rank', 'polars_hand+rank')}; prepared=True "
        f"{ratio('icpkit_prepared', 'polars_hand')}); pandas ≥ 10× icpkit → "
        f"{ratio('pandas', 'icpkit')} (+rank {ratio('pandas+rank', 'icpkit+rank')}); "
        f"DuckDB ≤ 2× icpkit → {ratio('duckdb_clean', 'icpkit')} "
        f"(+rank {ratio('duckdb_clean+rank', 'icpkit+rank')}, normalising "
        f"{ratio('duckdb_normalising+rank', 'icpkit+rank')})"
    )


if __name__ == "__main__":
    main()
