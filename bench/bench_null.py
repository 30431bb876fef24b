"""Null benchmark: how often does discovery report anything on shuffled outcomes?

Issue 10 asks that at most 5% of shuffled-outcome runs report any segment, disqualifier or
timing signal, over small (300 rows), medium (5,000 rows) and wide (100+ columns) data. This
script runs ``--runs`` shuffled-outcome discoveries per size and prints the share of runs that
reported anything, the share whose points table is not flat (a fit score that ranks accounts
claims signal too) and of runs with either, the smallest printed p-value and the CPU seconds
per run.

Usage::

    python bench/bench_null.py [--runs 100] [--sizes small,medium,wide]

To measure a baseline, run the same script with ``PYTHONPATH`` pointing at another checkout's
``src`` (for example ``git archive HEAD src | tar -x -C /tmp/before``): the figures are printed
per run set, never asserted.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--sizes", default="small,medium,wide")
    ap.add_argument("--first-seed", type=int, default=1000)
    args = ap.parse_args()
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
