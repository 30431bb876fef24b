"""Where the native matcher's time goes on real pages: each stage removed in turn.

Issue 17's matcher work measured its stages with ad-hoc timers, whose own cost and whose
warm caches (a stage timed twice in a row) mislead: in the pipeline the Hyperscan databases
are cold. This script measures by ablation instead: ``Matcher.hits`` on each page with and
without one stage, the two alternating round by round, each page's best of ``--rounds``; a
stage's cost is the median per-page difference. The pages' own inputs (parse tree, script
text, image) are read beforehand, so only the matcher is timed. Corpora, read in place from
``../shared`` (see ``bench_detect_real.py``): the saved pages of 80-120 KiB (the median page's
size) and the 2008 WARC's pages under 16 KB (its median page is 8 KiB).

    python bench/bench_detect_split.py [--rounds 6]

The page scan (the literals of the html, dom and text gates in one Hyperscan pass) and the
references it needs serve every stage, so no stage removes them: they are the rest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_detect_real import DB_PATH, aeb_pages, fresh, warc_pages
from icpkit.technographics import Page, load_fingerprints
from icpkit.technographics.hits import hyperscan_available
from icpkit.technographics.matcher import Matcher


def prepared(pages: list[Page], matcher: Matcher) -> list[dict[str, Any]]:
    """Each page's state after one run (parse tree, inputs), without the matcher's caches."""
    out = []
    for p in pages:
        page = fresh(p)
        matcher.hits(page)
        out.append({k: v for k, v in page.__dict__.items() if not k.startswith("_icpkit_")})
    return out


def timed(matcher: Matcher, state: dict[str, Any]) -> float:
    page = object.__new__(Page)
    page.__dict__.update(state)
    t0 = time.thread_time()
    matcher.hits(page)
    return time.thread_time() - t0


def stages(m: Matcher) -> dict[str, Callable[[bool], None]]:
    """Per stage, a switch (True: as built; False: removed)."""
    lists, keyed = dict(m._list_buckets), dict(m._keyed_buckets)
    out: dict[str, Callable[[bool], None]] = {}

    def method(name: str) -> Callable[[bool], None]:
        def switch(on: bool) -> None:
            if on:
                m.__dict__.pop(name, None)
            else:
                setattr(m, name, lambda *_a: None)

        return switch

    def bucket(table: str, fields: dict[str, Any], fld: str) -> Callable[[bool], None]:
        def switch(on: bool) -> None:
            setattr(m, table, dict(fields) if on else {k: v for k, v in fields.items() if k != fld})

        return switch

    out["dom"] = method("_fast_dom")
    out["js"] = method("_fast_js")
    out["text gate and text"] = bucket("_list_buckets", lists, "text")
    for fld in ("html", "scriptSrc", "url", "css", "scripts"):
        out[fld] = bucket("_list_buckets", lists, fld)
    for fld in ("meta", "headers", "cookies"):
        out[fld] = bucket("_keyed_buckets", keyed, fld)
    return out


def split(m: Matcher, label: str, pages: list[Page], rounds: int) -> None:
    states = prepared(pages, m)
    whole = [min(timed(m, s) for _ in range(rounds)) * 1000 for s in states]
    print(f"\n{label}: {len(states)} pages, Matcher.hits median {statistics.median(whole):.3f} ms")
    print(f"{'stage removed':22s} {'median ms':>9s} {'mean ms':>8s}")
    for name, switch in stages(m).items():
        diffs = []
        for state in states:
            best = {True: 1e9, False: 1e9}
            for k in range(rounds):
                for on in (True, False) if k % 2 == 0 else (False, True):
                    switch(on)
                    best[on] = min(best[on], timed(m, state))
            switch(True)
            diffs.append((best[True] - best[False]) * 1000)
        print(f"{name:22s} {statistics.median(diffs):9.3f} {statistics.mean(diffs):8.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6, help="rounds per page and stage")
    args = ap.parse_args()
    if not DB_PATH.exists():
        print(f"not found: {DB_PATH} (set ICPKIT_SHARED)")
        return 1
    if not hyperscan_available():
        print("needs the optional hyperscan package (icpkit[native])")
        return 1
    m = Matcher(load_fingerprints(DB_PATH), native=True)
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    mid = [p for p in aeb_pages() if 80 * 1024 <= len(p.html_utf8 or p.html.encode()) <= 120 * 1024]
    split(m, "saved pages of 80-120 KiB", mid, args.rounds)
    split(
        m, "WARC pages under 16 KB", [p for p in warc_pages() if len(p.html) < 16000], args.rounds
    )
    print(
        "\nCPU ms of this thread per page (Matcher.hits, the page's inputs read beforehand);"
        " a stage: median of the per-page differences with and without it, alternating."
    )
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
