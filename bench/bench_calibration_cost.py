"""CPU cost of discovery with 5-fold validation: this checkout against a baseline checkout.

Issue 10 asks that selection-aware significance stay cheap: ``icp discover`` on 336 rows within
3 s and on the 17,727-row Crunchbase export within 20 s, 5-fold validation included. This script
times :func:`icpkit.pipeline.discover_file` (folds=5, no baseline model) in a fresh process per
data set and per source tree, and prints CPU seconds side by side with what was reported.

Usage::

    git archive HEAD~3 src | tar -x -C /tmp/before
    python bench/bench_calibration_cost.py --baseline /tmp/before/src [--candidate src]

CPU time, not wall time: the machine is shared. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MARKER = "COST "

CHILD = r"""
import json, sys, time
from datetime import date
from icpkit.pipeline import discover_file
from icpkit.sample.customers import TECH_CATEGORIES, generate_customers
which = sys.argv[1]
cmap = {k.lower(): [v] for k, v in TECH_CATEGORIES.items()}
if which.startswith("sample-"):
    n = int(which.split("-")[1])
    source = generate_customers(n, seed=7).customers
else:
    source = which
    cmap = None
c0 = time.process_time(); w0 = time.perf_counter()
run = discover_file(source, category_map=cmap, folds=5, baseline=False, today=date(2026, 7, 1))
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
icp = run.icp
print("COST " + json.dumps({
    "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
    "segments": [(s.name, s.evidence.p_value if s.evidence else None) for s in icp.segments],
    "disqualifiers": [c.describe() for c in icp.disqualifiers],
    "timing": [c.describe() for c in icp.scoring.timing],
}))
"""


def _run(src: str, which: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which], env=env, capture_output=True, text=True, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    return {"error": out.stderr.strip().splitlines()[-1:] or ["no output"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="src directory of the baseline checkout")
    ap.add_argument("--candidate", default=str(Path(__file__).resolve().parents[1] / "src"))
    args = ap.parse_args()
    sets = ["sample-336", "sample-5000", "sample-6000"]
    cb = SHARED / "data" / "crunchbase-2013" / "crunchbase-companies.csv"
    if cb.is_file():
        sets.append(str(cb))
    else:
        print(f"skipping Crunchbase: {cb} not found")
    for which in sets:
        base, cand = _run(args.baseline, which), _run(args.candidate, which)
        print(f"{Path(which).name}:")
        print(f"  baseline : {json.dumps(base)}")
        print(f"  candidate: {json.dumps(cand)}", flush=True)


if __name__ == "__main__":
    main()
