"""Benchmark technology detection: naive baseline vs fast matcher (pure Python, native).

Loads the 4,000-technology HTTPArchive database from ``../shared`` (read in place; GPL data is
never copied), synthesises deterministic realistic pages (≥ 100 KiB HTML, many scripts, meta,
headers, cookies) from the database's own literals plus filler, and prints median/p95 ms per
page for each engine, with speedups against the naive engine measured in the same run.

    python bench/bench_detect.py [--pages 30] [--naive-pages 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

from icpkit.technographics import Detector, Page, load_fingerprints
from icpkit.technographics.matcher import hyperscan_available

SHARED = Path(
    os.environ.get("ICPKIT_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
DB_PATH = SHARED / "fingerprints" / "httparchive-wappalyzer"

FILLER_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "customer",
    "platform",
    "pricing",
    "contact",
    "about",
    "team",
    "careers",
    "product",
    "features",
    "solutions",
    "enterprise",
    "security",
    "integrations",
    "resources",
    "blog",
    "news",
    "support",
    "login",
]


def _literalise(source: str) -> str:
    """Turn a regex into a plausible matching-ish literal (drop syntax, keep words)."""
    text = re.sub(r"\\[dws]|\(\?[:!=<]+|[()\[\]^$?*+{}|]", "", source)
    return text.replace("\\", "")


def synth_page(rng: random.Random, db_lits: dict[str, list[str]], target_kib: int = 120) -> Page:
    """A deterministic page: filler paragraphs, script tags, meta, inline JS, headers, cookies."""
    parts = ["<!doctype html><html><head><title>Acme</title>"]
    for name, content in rng.sample(db_lits["meta"], 6):
        parts.append(f'<meta name="{name}" content="{content}">')
    parts.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    srcs = rng.sample(db_lits["scriptSrc"], 8) + [
        f"/static/js/chunk-{i}.{rng.randrange(10**8):08x}.js" for i in range(30)
    ]
    rng.shuffle(srcs)
    for s in srcs:
        src = s if s.startswith(("http", "/")) else f"https://cdn.example.net/{s}"
        parts.append(f'<script src="{src}" defer></script>')
    parts.append('<link rel="stylesheet" href="/static/css/main.css"></head><body>')
    html_lits = rng.sample(db_lits["html"], 6)
    size = sum(len(p) for p in parts)
    i = 0
    while size < target_kib * 1024:
        words = " ".join(rng.choice(FILLER_WORDS) for _ in range(60))
        block = (
            f'<div class="section section-{i} col-md-6" id="s{i}"><h2>{words[:40]}</h2>'
            f'<p>{words}</p><a href="/page/{i}" class="btn btn-primary">Read more</a></div>\n'
        )
        if i % 25 == 0 and html_lits:
            block += html_lits.pop() + "\n"
        if i % 10 == 0:
            block += f"<script>window.__state_{i} = {{id: {i}, items: [1,2,3]}}; var tracker{i} = 'x';</script>\n"
        parts.append(block)
        size += len(block)
        i += 1
    parts.append(
        "<script>"
        + " ".join(f"window.{c} = window.{c} || {{}};" for c in rng.sample(db_lits["js"], 5))
        + "</script>"
    )
    parts.append("</body></html>")
    headers = {
        "Server": rng.choice(
            ["nginx/1.25.3", "Apache/2.4.57 (Ubuntu)", "cloudflare", "Microsoft-IIS/10.0"]
        ),
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "max-age=600",
        "X-Powered-By": rng.choice(["PHP/8.2.1", "Express", "ASP.NET", "Next.js"]),
        "Strict-Transport-Security": "max-age=31536000",
    }
    for name in rng.sample(db_lits["headers"], 3):
        headers[name] = "1"
    cookies = dict.fromkeys(rng.sample(db_lits["cookies"], 4), "abc123")
    cookies.update({"session": "s1", "csrftoken": "t"})
    return Page(
        url="https://www.acme-example.com/products/",
        html="".join(parts),
        headers=headers,
        cookies=cookies,
    )


def collect_literals(db) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    lits: dict[str, list[str]] = {
        "meta": [],
        "scriptSrc": [],
        "html": [],
        "js": [],
        "headers": [],
        "cookies": [],
    }
    for tech in db.technologies.values():
        for name, pats in tech.meta.items():
            lits["meta"] += [(name, _literalise(p.source)) for p in pats[:1]]
        lits["scriptSrc"] += [_literalise(p.source) for p in tech.script_src[:1]]
        lits["html"] += [_literalise(p.source) for p in tech.html[:1]]
        lits["js"] += [c for c in list(tech.js)[:1] if re.fullmatch(r"[A-Za-z_$][\w$.]*", c)]
        lits["headers"] += list(tech.headers)[:1]
        lits["cookies"] += [c for c in list(tech.cookies)[:1] if re.fullmatch(r"[\w.-]+", c)]
    return {k: sorted(set(v)) for k, v in lits.items()}  # type: ignore[type-var]


def time_engine(
    detector: Detector, pages: list[Page], repeat: int = 1
) -> tuple[list[float], list[float], list[list[str]]]:
    """Per page: CPU ms (this thread only, so other load on the machine does not count), wall ms,
    detected names. With ``repeat`` > 1 each page's best of ``repeat`` runs is kept."""
    cpu, wall, results = [], [], []
    for p in pages:
        best_cpu = best_wall = float("inf")
        for _ in range(repeat):
            fresh = Page(url=p.url, html=p.html, headers=p.headers, cookies=p.cookies)
            c0, w0 = time.thread_time(), time.perf_counter()  # parse cost included
            dets = detector.detect(fresh)
            best_cpu = min(best_cpu, (time.thread_time() - c0) * 1000)
            best_wall = min(best_wall, (time.perf_counter() - w0) * 1000)
        cpu.append(best_cpu)
        wall.append(best_wall)
        results.append(sorted(d.name for d in dets))
    return cpu, wall, results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument(
        "--naive-pages", type=int, default=10, help="naive is slow; it runs on the first N pages"
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="fast engines: keep each page's best of N runs"
    )
    args = ap.parse_args()
    if not DB_PATH.is_dir():
        print(f"fingerprint data not found at {DB_PATH} (set ICPKIT_SHARED)")
        return 1
    t0 = time.perf_counter()
    db = load_fingerprints(DB_PATH)
    print(f"loaded {len(db.technologies)} technologies in {time.perf_counter() - t0:.2f} s")
    rng = random.Random(20260818)
    lits = collect_literals(db)
    pages = [synth_page(rng, lits) for _ in range(args.pages)]
    sizes = [len(p.html) / 1024 for p in pages]
    print(
        f"{len(pages)} synthetic pages, HTML {min(sizes):.0f}-{max(sizes):.0f} KiB, {len(pages[0].script_srcs)} script srcs each"
    )

    engines: list[tuple[str, dict]] = [
        ("naive", {"engine": "naive"}),
        ("fast (pure Python)", {"engine": "fast", "native": False}),
    ]
    if hyperscan_available():
        engines.append(("fast (native hyperscan)", {"engine": "fast", "native": True}))
    else:
        print("hyperscan not installed: native engine skipped (pip install icpkit[native])")
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    rows = []
    baseline: list[list[str]] | None = None
    for label, kw in engines:
        t0 = time.perf_counter()
        det = Detector(db, **kw)
        build = time.perf_counter() - t0
        naive = kw["engine"] == "naive"
        subset = pages[: args.naive_pages] if naive else pages
        time_engine(det, subset[:2])  # warm-up
        cpu, wall, results = time_engine(det, subset, 1 if naive else args.repeat)
        if baseline is None:
            baseline = results
        same = results[: len(baseline)] == baseline
        rows.append(
            (
                label,
                build,
                statistics.median(cpu),
                pct(cpu, 0.95),
                statistics.median(wall),
                len(subset),
                same,
                statistics.median(len(r) for r in results),
            )
        )
    naive_cpu, naive_wall = rows[0][2], rows[0][4]
    print(
        f"\n{'engine':25} {'build s':>7} {'cpu median ms':>13} {'cpu p95':>8} {'wall median':>11}"
        f" {'pages':>5} {'speedup':>8} {'same as naive':>13} {'detections':>10}"
    )
    for label, build, med, p95, wmed, n, same, ndet in rows:
        print(
            f"{label:25} {build:7.2f} {med:13.2f} {p95:8.2f} {wmed:11.2f} {n:5d}"
            f" {naive_cpu / med:7.0f}x {('yes' if same else 'NO'):>13} {ndet:10.0f}"
        )
    print(
        "\ncpu = this thread's CPU time per page (time.thread_time), i.e. one core; wall includes"
        " time the OS gave to other processes. Speed-up on cpu; on wall medians it is "
        + ", ".join(f"{naive_wall / r[4]:.0f}x" for r in rows[1:])
        + "."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
