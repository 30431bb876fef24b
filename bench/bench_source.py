"""Benchmark ``icp source``: WARC HTML records detected per second per core, against a baseline
built the way the common open examples are, and Spark local[2] against the single process.

Inputs (read in place from ``../shared``, never copied): the 181 real pages of
``data/real-pages-aeb`` written into WARC files (gzip per record, realistic response headers; the
files are repeated ``--copies`` times under different hosts so there are enough records), plus the
real 2008 archive ``data/warc-aut-2008``. Detection uses the 4,000-technology database in
``fingerprints/httparchive-wappalyzer``.

* **icpkit single process** — FastWARC reading, the per-record analysis icp source runs
  (detection, category observability, page signals), then the domain view and the ICP
  evaluation. CPU seconds of this process (``time.process_time``), detector construction
  excluded and reported on its own line.
* **baseline** — warcio's ``ArchiveIterator`` + ``content_stream().read()`` + python-Wappalyzer
  (``WebPage``: a BeautifulSoup parse of every page, then ``analyze``) on each HTML response,
  given the same database: the loop of the common open examples. GPL-3, installed by the
  ``bench`` extra and run beside icpkit, never imported by it. It runs on about
  ``--baseline-records`` HTML records sampled evenly across the same files (it is slow); its
  rate is per CPU second as well.
* **Spark local[2]** vs the single process on the same files (wall clock, session start
  excluded): the speed-up and the per-record overhead, i.e. the core time Spark spends per
  record beyond the single process's CPU time.

The machine these figures come from is shared (2 cores, several jobs): CPU time is what the
rates use; wall-clock figures (Spark) are indicative.

    python bench/bench_source.py [--copies 4] [--baseline-records 60] [--no-spark]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

SHARED = Path(
    os.environ.get("ICPKIT_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
DB_PATH = SHARED / "fingerprints" / "httparchive-wappalyzer"
PAGES = SHARED / "data" / "real-pages-aeb"
REAL_WARC = SHARED / "data" / "warc-aut-2008" / "example.warc.gz"

HEADERS = (
    "Server: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Set-Cookie: session=abc; Path=/\r\nX-Powered-By: PHP/7.4\r\n"
)


def _record(url: str, body: bytes, date: str) -> bytes:
    http = (f"HTTP/1.1 200 OK\r\n{HEADERS}Content-Length: {len(body)}\r\n\r\n").encode() + body
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {date}\r\nWARC-Target-URI: {url}\r\n"
        f"WARC-Record-ID: <urn:uuid:{abs(hash((url, date))):032x}>\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + http + b"\r\n\r\n", compresslevel=6, mtime=0)


def write_warcs(out: Path, copies: int) -> list[str]:
    """The real pages as WARC files, one file per copy (hosts suffixed so domains differ)."""
    truth = json.loads((PAGES / "ground-truth.json").read_text())
    paths = []
    for copy in range(copies):
        path = out / f"real-pages-{copy}.warc.gz"
        with path.open("wb") as f:
            for sha, meta in sorted(truth.items()):
                body = gzip.decompress((PAGES / "html" / f"{sha}.html.gz").read_bytes())
                url = meta["url"]
                if copy:
                    parts = url.split("/")
                    parts[2] = f"c{copy}-{parts[2]}"
                    url = "/".join(parts)
                f.write(_record(url, body, "2026-09-20T10:00:00Z"))
        paths.append(str(path))
    return [*paths, str(REAL_WARC)]


def run_icpkit(paths: list[str], icp) -> tuple[int, float, float, object]:  # type: ignore[no-untyped-def]
    from icpkit.sourcing.run import make_analyser, source_warc
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.fingerprints import load_fingerprints

    c0 = time.process_time()
    detector = Detector(load_fingerprints(DB_PATH))
    build = time.process_time() - c0
    make_analyser(icp, detector)  # warm: nothing lazy left for the timed run
    c0, w0 = time.process_time(), time.perf_counter()
    result = source_warc(paths, icp, detector=detector, keep_all=True)
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    html = result.stats.responses - result.stats.non_html
    print(f"  detector construction (4,000 technologies): {build:.2f} s CPU, once per process")
    return html, cpu, wall, result


def breakdown(path: str, icp) -> None:  # type: ignore[no-untyped-def]
    """CPU per HTML record by stage, on one file of real pages (where the time goes)."""
    from icpkit.sourcing.pagesignals import page_signals
    from icpkit.sourcing.run import make_analyser
    from icpkit.sourcing.warc import iter_captures
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.fingerprints import load_fingerprints

    analyser = make_analyser(icp, Detector(load_fingerprints(DB_PATH)))
    det = analyser.detector
    c0 = time.process_time()
    with open(path, "rb") as f:  # noqa: PTH123
        caps = [c for c in iter_captures(f, path) if c.is_html]
    stages = {"read (FastWARC, decode)": time.process_time() - c0}
    c0 = time.process_time()
    pages = [analyser._page(c) for c in caps]
    for p in pages:
        _ = p.tree
    stages["page + HTML parse"] = time.process_time() - c0
    c0 = time.process_time()
    found = [det.detect(p) for p in pages]
    stages["detection (4,000 technologies)"] = time.process_time() - c0
    c0 = time.process_time()
    for p, d in zip(pages, found, strict=True):
        det.category_facts(p, d, analyser.categories)
    stages["category observability"] = time.process_time() - c0
    c0 = time.process_time()
    for p in pages:
        page_signals(p, "x")
    stages["page signals"] = time.process_time() - c0
    total = sum(stages.values())
    print(f"  where the time goes ({len(caps)} real pages):")
    for name, cpu in stages.items():
        print(f"    {name:32} {cpu / len(caps) * 1000:6.2f} ms/record ({cpu / total:4.0%})")


def baseline(paths: list[str], stride: int) -> tuple[int, float] | None:
    """warcio + BeautifulSoup (inside WebPage) + python-Wappalyzer on every ``stride``-th HTML
    record; its CPU is the sampled records' work plus their share of iterating the files."""
    try:
        from Wappalyzer import Wappalyzer, WebPage
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        return None
    techs: dict[str, dict] = {}
    for f in sorted((DB_PATH / "technologies").glob("*.json")):
        techs.update(json.loads(f.read_text(encoding="utf-8")))
    for tech in techs.values():  # its format is the old one: scripts = script URLs
        tech.pop("scripts", None)
        if "scriptSrc" in tech:
            tech["scripts"] = tech.pop("scriptSrc")
        for key in ("headers", "meta"):
            if isinstance(tech.get(key), dict):
                tech[key] = {k: v[0] if isinstance(v, list) else v for k, v in tech[key].items()}
    cats = json.loads((DB_PATH / "categories.json").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wz = Wappalyzer(cats, techs)
    n = seen = 0
    loop = work = 0.0
    for path in paths:
        with open(path, "rb") as stream:  # noqa: PTH123 - the examples' own loop
            c0 = time.process_time()
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue  # dns: lookups and other non-HTTP responses
                ctype = record.http_headers.get_header("Content-Type") or ""
                if "html" not in ctype:
                    continue
                seen += 1
                if seen % stride:  # a sample with the same mix of files as icpkit's run
                    continue
                w0 = time.process_time()
                html = record.content_stream().read().decode("utf-8", "replace")
                headers = dict(record.http_headers.headers)
                url = record.rec_headers.get_header("WARC-Target-URI")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wz.analyze(WebPage(url, html, headers))
                work += time.process_time() - w0
                n += 1
            loop += time.process_time() - c0
    # the sampled records' own work, plus their share of iterating the files
    return n, work + (loop - work) * n / max(seen, 1)


def _jvm_process(spark):  # type: ignore[no-untyped-def]
    """The local JVM (PySpark's gateway) as a psutil process, or None."""
    try:
        import psutil

        return psutil.Process(spark.sparkContext._gateway.proc.pid)
    except Exception:
        return None


def _tree_cpu(proc) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds (user + system) of a process and all its live descendants."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except Exception:
            continue
    return total


def run_spark(paths: list[str], icp, single) -> None:  # type: ignore[no-untyped-def]
    from polars.testing import assert_frame_equal

    from icpkit.scoring.spark import SparkUnavailable, spark_session
    from icpkit.sourcing.run import source_warc

    try:
        w0 = time.perf_counter()
        spark = spark_session("local[2]", "icpkit-bench")
        start = time.perf_counter() - w0
    except SparkUnavailable as exc:
        print(f"  spark: skipped ({exc})")
        return
    # warm-up on the small real archive: Python workers started, detector built in each
    source_warc([str(REAL_WARC)] * 2, icp, engine="spark", spark=spark, fingerprints=DB_PATH)
    jvm = _jvm_process(spark)
    cpu0 = _tree_cpu(jvm)
    w0 = time.perf_counter()
    result = source_warc(
        paths, icp, engine="spark", spark=spark, keep_all=True, fingerprints=DB_PATH
    )
    wall = time.perf_counter() - w0
    spark_cpu = _tree_cpu(jvm) - cpu0 if jvm is not None else None
    assert_frame_equal(result.frame, single[3].frame)
    html, cpu, single_wall = single[0], single[1], single[2]
    overhead = (2 * wall - cpu) / max(html, 1) * 1000
    print(f"  spark session start: {start:.1f} s, then a warm-up job (both excluded)")
    if spark_cpu is not None:
        extra = (spark_cpu - cpu) / max(html, 1) * 1000
        print(
            f"  spark CPU (JVM + Python workers): {spark_cpu:.1f} s against the single "
            f"process's {cpu:.1f} s → overhead {extra:.1f} ms CPU per record "
            f"({spark_cpu / cpu:.2f}x the work; independent of the machine's load)"
        )
    print(
        f"  spark local[2]: {wall:.1f} s wall for {html:,} HTML records; single process "
        f"{single_wall:.1f} s wall ({cpu:.1f} s CPU) → speed-up {single_wall / wall:.2f}x; "
        f"overhead {overhead:.1f} ms of core time per record beyond the single process; "
        "results identical"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--baseline-records", type=int, default=60)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    for need in (DB_PATH, PAGES, REAL_WARC):
        if not need.exists():
            print(f"missing shared material: {need} (set ICPKIT_SHARED)")
            return 1
    from icpkit.icp import ICP

    icp = ICP.model_validate(
        {
            "segments": [
                {
                    "id": "s",
                    "name": "WordPress sites without live chat",
                    "must": [
                        {"column": "tech", "has_any": ["wordpress"]},
                        {"column": "tech", "has_none": ["intercom"], "category": "live chat"},
                    ],
                }
            ]
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_warcs(Path(tmp), args.copies)
        size = sum(Path(p).stat().st_size for p in paths) / 1e6
        load = os.getloadavg()[0]
        print(
            f"inputs: {len(paths)} WARC files, {size:.1f} MB compressed (machine shared: "
            f"{os.cpu_count()} cores, load average {load:.1f}; wall-clock figures suffer)"
        )
        single = run_icpkit(paths, icp)
        html, cpu = single[0], single[1]
        ours = html / cpu
        print(
            f"  icpkit single process: {html:,} HTML records in {cpu:.2f} s CPU → "
            f"{ours:.0f} records/s per core ({single[3].domains:,} domains, "
            f"{single[3].matched:,} matching)"
        )
        breakdown(paths[0], icp)
        base = baseline(paths, max(1, html // args.baseline_records))
        if base is None:
            print("  baseline skipped: pip install -e '.[bench]' (warcio, python-Wappalyzer)")
        else:
            n, bcpu = base
            rate = n / bcpu
            print(
                f"  baseline warcio + BeautifulSoup + python-Wappalyzer: {n} HTML records in "
                f"{bcpu:.2f} s CPU → {rate:.2f} records/s per core"
            )
            print(
                f"  speed-up vs baseline: {ours / rate:.0f}x (target ≥ 50x: "
                f"{'met' if ours / rate >= 50 else 'missed'}); ≥ 300 records/s per core: "
                f"{'met' if ours >= 300 else 'missed'}"
            )
        if not args.no_spark:
            run_spark(paths, icp, single)
    return 0


if __name__ == "__main__":
    sys.exit(main())
