"""Timing signals: collection speed against local servers, and history → columns at scale.

Part 1 — collection (sites/s). A fixture server in its own process serves N company sites
(``co<i>.localhost``): home pages with a technology stack, four in five linking to a job board of
one of the eight ATS vendors (feeds answered at ``feeds.localhost`` in each vendor's format),
one in five with a careers page carrying JobPosting JSON-LD. Measured in the same run:

* ``icp signals collect`` (``icpkit.signals.collect``): home page + detection + board feed or
  careers page per site, robots.txt honoured, committed to a DuckDB store batch by batch;
* baseline ``icp enrich`` (``detect_stack``): home page + detection per site, same fetcher.

Part 2 — history → columns. A store holding 1,000,000 accounts' histories (three hiring and
stack looks each, ~6M postings, ~12M technology sightings, contacts snapshots for a fifth,
funding for 30%) is turned into the signal columns as of a date. Target ≤ 10 s. Baseline: one
DuckDB scan counting the postings per account (the floor cost of reading the history once).

The machine is shared (2 cores, other jobs running): CPU seconds are printed beside wall time.
Latest (load ~10): 25.4 s wall, 9.1 CPU s for the columns (the per-account-lists SQL; the
previous per-posting / per-technology grouping took 12.7–13.3 CPU s, 48.8 s wall), baseline
scan 1.4 s (0.4 CPU s).
Usage: ``python bench/bench_signals.py [--sites N] [--accounts M] [--skip-collect]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "technographics"))

AS_OF = date(2026, 12, 1)
TECH = [
    '<meta name="generator" content="WordPress 6.4.2">',
    "<script src='https://js.hs-scripts.com/4711.js'></script>",
    "<script src='https://cdn.example.net/jquery-3.7.1.min.js'></script>",
    "<script src='https://widget.intercom.io/widget/abc'></script>",
]
TITLES = ["Account Executive", "SEO Manager", "Backend Engineer", "VP Sales", "Content Writer"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _companies(n: int):  # type: ignore[no-untyped-def]
    from tests.signals.ats import ATS, Company, Job

    out = []
    for i in range(n):
        jobs = [Job(str(k), TITLES[(i + k) % len(TITLES)], date(2026, 11, 1)) for k in range(i % 5)]
        html = "".join(t for k, t in enumerate(TECH) if (i >> k) & 1)
        mode = "jsonld" if i % 5 == 4 else "board"
        out.append(
            Company(f"co{i}.localhost", mode=mode, ats=ATS[i % 8], jobs=jobs, tech_html=html)
        )
    return out


def serve(n: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from tests.signals.ats import World

    world = World(_companies(n))
    world.server.start()
    queue.put(world.port)
    try:
        while True:
            time.sleep(3600)
    finally:
        world.server.stop()


def bench_collect(n: int, concurrency: int) -> None:
    from icpkit.signals.collect import CollectConfig, collect
    from icpkit.signals.store import SignalsStore
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.enrich import detect_stack
    from icpkit.technographics.fetch import FetchConfig

    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=serve, args=(n, queue), daemon=True)
    proc.start()
    port = queue.get(timeout=120)
    try:
        detector = Detector()
        urls = [f"http://co{i}.localhost:{port}/" for i in range(n)]
        feeds = {
            # one host per vendor, as in reality (the per-host politeness limit applies to each)
            ats: f"http://{ats}.feeds.localhost:{port}/{ats}/{{board}}"
            for ats in ("greenhouse", "lever", "ashby", "workable", "smartrecruiters",
                        "personio", "recruitee", "teamtailor")
        }  # fmt: skip
        fetch = FetchConfig(concurrency=concurrency, allow_private=True)
        detect_stack(urls[:20], detector=detector, config=fetch)  # warm-up outside the timing
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"{n:,} sites, concurrency {concurrency}, load average {load} (2 shared cores)")

        started, cpu = time.perf_counter(), _cpu()
        stack = detect_stack(urls, detector=detector, config=fetch)
        base_wall, base_cpu = time.perf_counter() - started, _cpu() - cpu
        base = n / base_wall
        read = stack.filter(stack["fetch_error"].is_null()).height
        print(
            f"baseline icp enrich (detect_stack): {base_wall:.1f} s = {base:,.0f} sites/s "
            f"({base_cpu:.1f} CPU s; {read:,} read)"
        )
        with tempfile.TemporaryDirectory() as tmp, SignalsStore(Path(tmp) / "s.duckdb") as store:
            config = CollectConfig(observed_on=AS_OF, fetch=fetch, feeds=feeds, batch=1000)
            started, cpu = time.perf_counter(), _cpu()
            report = collect(urls, store, config, detector=detector)
            wall, used = time.perf_counter() - started, _cpu() - cpu
            ours = n / wall
            print(
                f"icpkit   icp signals collect:       {wall:.1f} s = {ours:,.0f} sites/s "
                f"({used:.1f} CPU s; {report.read:,} read, {report.postings:,} roles, "
                f"{report.technologies:,} technologies; sources {dict(report.sources)})"
            )
            print(
                f"collect / enrich: {ours / base:.2f}x the sites/s (collect fetches 2+ pages per "
                "site: home + feed or careers page)"
            )
    finally:
        proc.terminate()
        proc.join(5)


HISTORY_SQL = """
CREATE TABLE looks AS SELECT a AS i, 'c' || a || '.com' AS account, d::DATE AS observed_on
  FROM range($n) r(a), (VALUES (DATE '2026-06-01'), (DATE '2026-09-01'), (DATE '2026-11-20')) v(d);
INSERT INTO visits SELECT account, observed_on, 'hiring', hash(i, observed_on) % 20 <> 0,
  'greenhouse', NULL FROM looks;
INSERT INTO visits SELECT account, observed_on, 'stack', hash(i, observed_on, 1) % 25 <> 0, NULL,
  ['Webmail'] FROM looks;
INSERT INTO postings SELECT l.account, l.observed_on, 'greenhouse', l.i || '-' || k,
  t.title, t.department, t.seniority, l.observed_on - 10
  FROM looks l, range(4) k(k),
  (VALUES (0, 'Account Executive', 'sales', 'individual contributor'),
          (1, 'SEO Manager', 'marketing', 'manager'),
          (2, 'Backend Engineer', 'engineering/it', 'individual contributor'),
          (3, 'VP Sales', 'sales', 'vp')) t(j, title, department, seniority)
  WHERE t.j = (l.i + k) % 4 AND k < (hash(l.i, l.observed_on) % 3) + (l.observed_on > DATE '2026-10-01')::INT;
INSERT INTO tech SELECT l.account, l.observed_on, t.name, t.cat
  FROM looks l, (VALUES (0, 'wordpress', 'CMS'), (1, 'hubspot', 'Marketing automation'),
                        (2, 'jquery', 'JavaScript libraries'), (3, 'intercom', 'Live chat'),
                        (4, 'nginx', 'Web servers')) t(k, name, cat)
  WHERE (hash(l.i, t.k, l.observed_on > DATE '2026-10-01') % 3) <> 0
    AND hash(l.i, l.observed_on, 1) % 25 <> 0;  -- sightings only on looks that loaded
INSERT INTO leaders SELECT 'c' || a || '.com', d::DATE, 'contacts', 'p' || a || '-' || (d > DATE '2026-07-01' AND a % 3 = 0)::INT,
  'marketing', 'vp', 'vp marketing'
  FROM range(0, $n, 5) r(a), (VALUES (DATE '2026-05-01'), (DATE '2026-10-01')) v(d);
INSERT INTO visits SELECT 'c' || a || '.com', d::DATE, 'contacts', true, NULL, NULL
  FROM range(0, $n, 5) r(a), (VALUES (DATE '2026-05-01'), (DATE '2026-10-01')) v(d);
INSERT INTO funding SELECT 'c' || a || '.com', DATE '2024-01-01' + (hash(a) % 1000)::INT,
  'series a', 1e6, 'rounds', DATE '2026-12-01' FROM range($n) r(a) WHERE a % 10 < 3;
DROP TABLE looks;
"""


def bench_export(n: int) -> None:
    from icpkit.signals.export import signal_columns
    from icpkit.signals.store import SignalsStore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.duckdb"
        with SignalsStore(path) as store:
            started = time.perf_counter()
            for statement in HISTORY_SQL.replace("$n", str(n)).split(";"):
                if statement.strip():
                    store.db.execute(statement).fetchall()
            counts = store.counts()
            print(
                f"history of {n:,} accounts built in {time.perf_counter() - started:.0f} s: "
                + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            )
        with SignalsStore(path) as store:  # reopened: nothing cached from building it
            started, cpu = time.perf_counter(), _cpu()
            scanned = store.frame("SELECT account, count(*) AS n FROM postings GROUP BY account")
            base_wall, base_cpu = time.perf_counter() - started, _cpu() - cpu
            print(
                f"baseline one scan of postings per account ({scanned.height:,} accounts): "
                f"{base_wall:.2f} s ({base_cpu:.1f} CPU s)"
            )
            started, cpu = time.perf_counter(), _cpu()
            out = signal_columns(store, AS_OF, roles="seo|content|demand gen")
            wall, used = time.perf_counter() - started, _cpu() - cpu
        known = {c: out[c].is_not_null().sum() for c in ("hiring_growth_90d", "stack_change_90d",
                                                          "new_marketing_leader_180d")}  # fmt: skip
        print(
            f"icpkit   signal_columns: {out.height:,} accounts x {out.width - 1} columns in "
            f"{wall:.2f} s ({used:.1f} CPU s; DuckDB uses both cores); known {known}"
        )
        print(
            f"target <= 10 s: {'met' if wall <= 10 else 'NOT met'} at this load "
            f"({wall / base_wall:.1f}x the scan's wall, {used / max(base_cpu, 1e-9):.1f}x its CPU); "
            f"{used:.1f} CPU s: at best ~{used / 2:.1f} s wall with both cores free"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--skip-collect", action="store_true")
    ap.add_argument("--skip-export", action="store_true")
    args = ap.parse_args()
    if not args.skip_collect:
        bench_collect(args.sites, args.concurrency)
    if not args.skip_export:
        bench_export(args.accounts)


if __name__ == "__main__":
    main()
