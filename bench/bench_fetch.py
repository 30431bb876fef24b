"""Fetch + detect throughput (sites/s) over N local virtual sites, against a sequential baseline.

A fixture server (its own process, 127.0.0.1) serves N distinct sites as virtual hosts
``site<i>.localhost`` (each ~30 KB of HTML with a varying stack, plus robots.txt). Measured in the
same run:

* ``icpkit``: ``detect_domains`` — async fetcher (concurrency 50 in all, 2 per host, robots.txt
  honoured, SSRF guard + pinning, a small guarded transport per fetch task on the asyncio-native
  backend, uvloop when installed, per-result cache writes) and detection as pages arrive: sites
  split by host over ``--workers`` shards (default: the machine's cores), this process and
  ``workers - 1`` others each fetching and detecting its share, and all in this one process
  (``workers=1``) for comparison. A second
  pass resumes from the cache: every site once, nothing lost. The fixture server's own CPU is
  printed too: it runs on the same cores.
* ``baseline``: a naive loop — one ``httpx.Client`` GET per site, sequential, same detector.

Usage: ``python bench/bench_fetch.py [N] [--baseline-sites M] [--latency 0.05] [--workers W]``.
Target: ≥ 250 sites/s on 2 cores at 50 ms latency. Wall-clock figures: on a machine shared with
other work they understate; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "technographics"))
from sites import Reply, Request, SiteServer, write_fingerprints

from icpkit.technographics.cache import FetchCache
from icpkit.technographics.enrich import detect_domains
from icpkit.technographics.fetch import FetchConfig

FILLER = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8 + "</p>\n"


def page(i: int) -> str:
    generator = f'<meta name="generator" content="WordPress 6.{i % 5}.1">' if i % 3 == 0 else ""
    chat = (
        "<script src='https://widget.chatterbox.example/loader.js'></script>" if i % 4 == 0 else ""
    )
    jq = f"<script src='https://cdn.example.net/jquery-3.{i % 8}.1.min.js'></script>"
    body = FILLER * 60  # ~30 KB
    return (
        f"<!doctype html><html><head><title>Site {i}</title>{generator}{jq}{chat}</head>"
        f"<body><h1>Site {i}</h1>{body}<script>var site={i};</script></body></html>"
    )


def handler(req: Request, latency: float = 0.0) -> Reply:
    if req.path == "/robots.txt":
        return Reply(
            body="User-agent: *\nDisallow: /private/\n", content_type="text/plain", delay=latency
        )
    i = int(req.host.removeprefix("site").split(".")[0] or 0)
    headers = [("Server", f"nginx/1.{i % 20}.0")]
    if i % 2:
        headers += [("X-Powered-By", "PHP/8.2.1"), ("Set-Cookie", "PHPSESSID=x; Path=/")]
    return Reply(body=page(i), headers=headers, delay=latency)


def serve(port_queue: mp.Queue, latency: float) -> None:  # type: ignore[type-arg]
    server = SiteServer(lambda req: handler(req, latency))
    server.start()
    port_queue.put(server.port)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()


def load_detector():  # type: ignore[no-untyped-def]
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.fingerprints import load_fingerprints

    try:
        db = load_fingerprints()
        source = "bundled"
    except Exception:
        db = load_fingerprints(write_fingerprints(Path(tempfile.mkdtemp())))
        source = "fixture"
    return Detector(db), source, len(db.technologies)


class CpuSampler:
    """CPU seconds of this process and of its descendants (worker processes, the fork server)
    during a run, and apart from them the fixture server's: sampled every 0.2 s, since a
    worker's figures vanish when it exits. On a shared machine wall time understates what 2
    idle cores give; the busiest process's CPU time bounds the run on idle cores instead."""

    def __init__(self, exclude: int) -> None:
        import psutil

        self.me = psutil.Process()
        self.exclude = exclude
        self.server_proc = psutil.Process(exclude)
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.2)

    def sample(self) -> None:
        import psutil

        for proc in self.me.children(recursive=True):
            if proc.pid == self.exclude:
                continue
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            self.seen[proc.pid] = t.user + t.system

    def __enter__(self) -> CpuSampler:
        t = self.me.cpu_times()
        self.main0 = t.user + t.system
        s = self.server_proc.cpu_times()
        self.server0 = s.user + s.system
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        t = self.me.cpu_times()
        self.main = t.user + t.system - self.main0
        s = self.server_proc.cpu_times()
        self.server = s.user + s.system - self.server0

    def report(self, n: int, latency: float, concurrency: int) -> str:
        others = sorted((v for v in self.seen.values() if v > 0.05), reverse=True)
        busiest = max([self.main, *others])
        floor = n * 2 * latency / concurrency  # robots.txt + page, each one latency
        bound = n / max(busiest, floor)
        shown = ", ".join(f"{v:.1f}" for v in others) or "-"
        ours = self.main + sum(others)
        return (
            f"CPU s: this process {self.main:.1f}, workers {shown}"
            f" ({1000 * ours / n:.1f} ms per site in all); fixture server {self.server:.1f}"
            f" ({1000 * self.server / n:.2f} ms per site, {self.server / (ours + self.server):.0%}"
            " of the run's CPU, on the same cores);"
            f" on idle cores, one per process, the busiest bounds the run: ~{bound:,.0f} sites/s"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=2000)
    ap.add_argument("--baseline-sites", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.0, help="server think time per response (s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="shards (processes)")
    args = ap.parse_args()

    ports: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=serve, args=(ports, args.latency), daemon=True)
    proc.start()
    port = ports.get(timeout=30)
    try:
        detector, source, n_tech = load_detector()
        urls = [f"http://site{i}.localhost:{port}/" for i in range(args.n)]
        print(f"latency per response: {args.latency * 1000:.0f} ms")
        try:
            import uvloop  # noqa: F401

            loop = "uvloop"
        except ImportError:
            loop = "asyncio (pip install uvloop for ~30% more sites/s)"
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"event loop: {loop}; load average: {load}")
        print(
            f"{args.n:,} sites, detector: {source} database ({n_tech:,} technologies),"
            f" {os.cpu_count()} cores, shards: {args.workers}"
        )

        # warm-up (imports, first connections) outside the timing
        detect_domains(urls[:20], detector=detector, config=FetchConfig(allow_private=True))

        config = FetchConfig(concurrency=args.concurrency, allow_private=True)
        rates: dict[int, float] = {}
        for workers in dict.fromkeys((args.workers, 1)):
            with tempfile.TemporaryDirectory() as tmp, FetchCache(Path(tmp) / "c.sqlite") as cache:
                started = time.perf_counter()
                with CpuSampler(proc.pid) as cpu:
                    df = detect_domains(
                        urls, detector=detector, config=config, cache=cache, workers=workers
                    )
                elapsed = time.perf_counter() - started
                failed = df.filter(df["error"].is_not_null())["domain"].n_unique()
                rate = args.n / elapsed
                rates[workers] = rate
                where = (
                    f"sharded over {workers} processes (this one + {workers - 1})"
                    if workers > 1
                    else "in this process alone"
                )
                print(
                    f"icpkit   detect_domains, {where}: {args.n:,} sites in"
                    f" {elapsed:.2f} s = {rate:,.0f} sites/s ({failed} failed,"
                    f" {df['technology'].drop_nulls().len():,} detections, robots.txt honoured,"
                    " results cached)"
                )
                print(f"         {cpu.report(args.n, args.latency, args.concurrency)}")
                if workers != args.workers:
                    continue
                started = time.perf_counter()
                again = detect_domains(
                    urls, detector=detector, config=config, cache=cache, workers=workers
                )
                cached = args.n / (time.perf_counter() - started)
                sites = again["domain"].n_unique()
                same = again.drop("from_cache").equals(df.drop("from_cache"))
                print(
                    f"icpkit   resume from cache: {cached:,.0f} sites/s; {sites:,} sites, each"
                    f" once: {'yes' if sites == args.n else 'NO'}, same rows: {'yes' if same else 'NO'}"
                )

        m = min(args.baseline_sites, args.n)
        from icpkit.technographics.page import Page

        started = time.perf_counter()
        found = 0
        with httpx.Client(timeout=20) as client:
            for i, url in enumerate(urls[:m]):
                # same virtual host; the stdlib resolver does not know *.localhost, so by IP, and
                # a new connection per site, as distinct real hosts need (no robots.txt at all)
                r = client.get(
                    f"http://127.0.0.1:{port}/",
                    headers={"host": f"site{i}.localhost", "connection": "close"},
                )
                p = Page(url=url, html=r.text, headers=dict(r.headers), cookies=dict(r.cookies))
                found += len(detector.detect(p))
        base = m / (time.perf_counter() - started)
        print(
            f"baseline sequential httpx + same detector: {m:,} sites = {base:,.0f} sites/s ({found:,} detections)"
        )
        print(
            "speed-up: "
            + ", ".join(
                f"{r / base:.1f}x with {w} process{'es' if w > 1 else ''}" for w, r in rates.items()
            )
            + f"; target >= 250 sites/s with {args.workers} processes:"
            f" {'met' if rates[args.workers] >= 250 else 'NOT met'}"
        )
        print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
