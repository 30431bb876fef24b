"""Start-up benchmark: `import icpkit` and `icp --help` against a bare `python -c pass`.

Issue 10 asks that `import icpkit` and `icp --help` take at most 1 s. Each command runs in a fresh
interpreter several times; the median wall time and the median CPU time (user + system of the
child) are printed next to the same figures for `python -c pass`, measured in the same run, so
the interpreter's own start-up is visible as the baseline. The heaviest imports of `icp --help`
(from ``python -X importtime``) are listed to show where the rest goes.

Usage::

    python bench/bench_import.py [--repeat 7]

Prints figures; never asserts on time (tests/test_import_time.py checks which modules load).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 1.0
HELP = "import sys; sys.argv = ['icp', *{argv!r}]\nfrom icpkit.cli import main\nmain()"
COMMANDS = {
    "python -c pass (baseline)": "pass",
    "import icpkit": "import icpkit",
    "from icpkit import discover_file": "from icpkit import discover_file",
    "icp --help": HELP.format(argv=["--help"]),
    "icp discover --help": HELP.format(argv=["discover", "--help"]),
}


def _run(code: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _heaviest(code: str, top: int) -> list[tuple[float, str]]:
    """Top-level packages and icpkit modules with the largest cumulative import time."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    out: list[tuple[float, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (p.strip() for p in line.split(":", 1)[1].split("|"))
        if cumulative.isdigit() and ("." not in name or name.startswith("icpkit.")):
            out.append((int(cumulative) / 1e6, name))
    return sorted(out, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"start-up benchmark, {args.repeat} runs each, Python {sys.version.split()[0]}")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    print()
    _run("pass")  # warm the file cache once
    base_wall = base_cpu = 0.0
    print(f"  {'command':36s} {'wall (median)':>14s} {'CPU (median)':>13s} {'over baseline':>14s}")
    results: dict[str, float] = {}
    for label, code in COMMANDS.items():
        runs = [_run(code) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        if label.startswith("python -c pass"):
            base_wall, base_cpu = wall, cpu
        results[label] = wall
        print(f"  {label:36s} {wall:12.3f} s {cpu:11.3f} s {wall - base_wall:+12.3f} s")
    print()
    print("heaviest imports of `icp --help` (cumulative, one run):")
    for seconds, name in _heaviest(COMMANDS["icp --help"], 10):
        print(f"  {name:24s} {seconds:.3f} s")
    print()
    print("targets")
    for label in ("import icpkit", "icp --help"):
        ok = results[label] <= TARGET_SECONDS
        print(
            f"  {label} within {TARGET_SECONDS:.0f} s wall: {'MET' if ok else 'MISSED'} "
            f"({results[label]:.3f} s; baseline {base_wall:.3f} s wall, {base_cpu:.3f} s CPU)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
