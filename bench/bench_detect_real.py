"""Detection on real pages: CPU per page for every engine, and the bundled set's GTM coverage.

Real pages are where users run detection (a bulk enrichment, a web-archive sourcing run), and
they cost more than synthetic ones: character references, huge inline scripts, JSON blobs,
odd encodings. This benchmark reads, in place from ``../shared`` (never copied):

* the 181 saved pages of ``data/real-pages-aeb/`` (HTML only, with their original URLs);
* the HTML responses of the 2008 web archive ``data/warc-aut-2008/example.warc.gz``, with
  their headers and cookies;

and the 4,000-technology HTTPArchive database (GPL-3, read in place). Measured in one run:

1. **Speed.** CPU ms per page (this thread's ``time.thread_time``, parsing included, a fresh
   ``Page`` each time) for the fast engine (pure Python and Hyperscan), the naive engine (every
   pattern on every input: the results every engine must equal) and python-Wappalyzer 0.3.1
   (GPL-3, a separate baseline program that icpkit never imports; see ``bench_detect.py`` for
   how it gets the database). Each page's best of ``--rounds`` rounds for the fast engines,
   engines alternating, so a stall of the shared machine in one round does not count.
   The speed-up over python-Wappalyzer is the median of the per-page ratios.
2. **Coverage.** For the go-to-market categories, the share of the (page, technology) pairs
   the 4,000-technology database finds that the bundled MIT set also finds (names matched
   directly or through :data:`icpkit.technographics.aliases.ALIASES`).
3. **Build.** CPU to build the native matcher in a new process, compiling every Hyperscan
   database vs loading them from the user cache (what each worker of a bulk job pays).

    python bench/bench_detect_real.py [--rounds 2] [--naive-rounds 1] [--no-wappalyzer]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench_detect import wappalyzer_baseline
from icpkit.technographics import Detector, Page, load_fingerprints
from icpkit.technographics.aliases import GTM_CATEGORIES, canonical_name
from icpkit.technographics.fetch import _cookies, _decode_with_bytes, _header_map
from icpkit.technographics.hits import hyperscan_available

SHARED = Path(
    os.environ.get("ICPKIT_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
DB_PATH = SHARED / "fingerprints" / "httparchive-wappalyzer"
AEB = SHARED / "data" / "real-pages-aeb"
WARC = SHARED / "data" / "warc-aut-2008" / "example.warc.gz"


def aeb_pages() -> list[Page]:
    """The saved pages, decoded as the fetcher decodes a body (meta charset, else UTF-8), with
    the body's own bytes handed to the page where they are its UTF-8, as the fetcher does."""
    urls = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((AEB / "html").glob("*.html.gz")):
        key = path.name.removesuffix(".html.gz")
        body = gzip.decompress(path.read_bytes())
        text, utf8 = _decode_with_bytes(body, None)
        pages.append(Page(url=urls.get(key, {}).get("url", ""), html=text, html_utf8=utf8))
    return pages


def _warc_records(path: Path):  # type: ignore[no-untyped-def]
    """(WARC headers, block bytes) of each record: a WARC file is a run of gzip members, each
    ``WARC/1.x`` header lines, a blank line, ``Content-Length`` bytes, then CRLF CRLF."""
    with gzip.open(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                return
            if not line.startswith(b"WARC/"):
                continue
            headers: dict[str, str] = {}
            for raw in iter(f.readline, b"\r\n"):
                if not raw:
                    return
                name, _, value = raw.decode("utf-8", "replace").partition(":")
                headers[name.strip().lower()] = value.strip()
            yield headers, f.read(int(headers.get("content-length", "0")))


def warc_pages() -> list[Page]:
    """HTML responses of the archive, with their HTTP headers and cookies."""
    pages = []
    for wh, block in _warc_records(WARC):
        if wh.get("warc-type") != "response" or not block.startswith(b"HTTP/"):
            continue
        head, _, body = block.partition(b"\r\n\r\n")
        pairs = []
        for raw in head.split(b"\r\n")[1:]:
            name, _, value = raw.decode("latin-1").partition(":")
            pairs.append((name.strip().lower(), value.strip()))
        ctype = next((v for n, v in pairs if n == "content-type"), "")
        if "html" not in ctype.lower() or not body.strip():
            continue
        charset = ctype.lower().partition("charset=")[2].strip(" ;\"'") or None
        text, utf8 = _decode_with_bytes(body, charset)
        pages.append(
            Page(
                url=wh.get("warc-target-uri", ""),
                html=text,
                html_utf8=utf8,
                headers=_header_map(pairs),
                cookies=_cookies(pairs),
            )
        )
    return pages


def fresh(p: Page) -> Page:
    return Page(url=p.url, html=p.html, headers=p.headers, cookies=p.cookies, html_utf8=p.html_utf8)


def time_once(detect, pages: list[Page]) -> tuple[list[float], list[list[str]]]:  # type: ignore[no-untyped-def]
    cpu, names = [], []
    for p in pages:
        page = fresh(p)
        c0 = time.thread_time()
        found = detect(page)
        cpu.append((time.thread_time() - c0) * 1000)
        names.append(sorted(found))
    return cpu, names


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def speed(db, pages: list[Page], args) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Print the speed table; return each engine's per-page CPU ms."""
    engines: dict[str, object] = {}
    naive = Detector(db, engine="naive")
    engines["naive (icpkit reference)"] = lambda p: [d.name for d in naive.detect(p)]
    for label, native in (("fast, pure Python", False), ("fast, native Hyperscan", True)):
        if native and not hyperscan_available():
            print("hyperscan not installed: native engine skipped (pip install icpkit[native])")
            continue
        det = Detector(db, native=native)
        engines[label] = lambda p, d=det: [x.name for x in d.detect(p)]
    wz = None if args.no_wappalyzer else wappalyzer_baseline(pages)
    if wz is None and not args.no_wappalyzer:
        print("python-Wappalyzer not installed: baseline skipped (pip install -e '.[bench]')")
    if wz is not None:
        engines["python-Wappalyzer 0.3.1"] = wz
    best: dict[str, list[float]] = {}
    expected: list[list[str]] = []
    differ: dict[str, int] = Counter()
    for detect in engines.values():  # warm-up: first-use costs outside the timing
        time_once(detect, pages[:2])
    for rnd in range(max(args.rounds, args.naive_rounds)):
        for label, detect in engines.items():
            slow = label.startswith(("naive", "python-W"))
            if rnd >= (args.naive_rounds if slow else args.rounds):
                continue
            cpu, names = time_once(detect, pages)
            prev = best.get(label)
            best[label] = (
                cpu if prev is None else [min(a, b) for a, b in zip(prev, cpu, strict=True)]
            )
            if label.startswith("naive"):
                expected = names
            elif not label.startswith("python-W"):
                differ[label] += sum(a != b for a, b in zip(names, expected, strict=True))
    wz_cpu = best.get("python-Wappalyzer 0.3.1")
    print(
        f"\n{'engine':26} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'vs python-Wappalyzer':>21}"
        f" {'pages differing from naive':>27}"
    )
    for label, cpu in best.items():
        ratio = "-"
        if wz_cpu is not None:
            ratio = f"{statistics.median(w / max(c, 1e-3) for w, c in zip(wz_cpu, cpu, strict=True)):.0f}x"
        diff = str(differ[label]) if label in differ or label.startswith("fast") else "-"
        print(
            f"{label:26} {statistics.median(cpu):9.2f} {pct(cpu, 0.95):8.2f} {max(cpu):8.1f}"
            f" {ratio:>21} {diff:>27}"
        )
    print(
        f"\nCPU ms of this thread per page, parsing included; fast engines: each page's best of"
        f" {args.rounds} rounds, baselines: best of {args.naive_rounds};"
        " vs python-Wappalyzer = median of per-page ratios."
    )
    return best


def targets(best: dict[str, list[float]]) -> None:
    wz = best.get("python-Wappalyzer 0.3.1")
    nat = best.get("fast, native Hyperscan")
    pure = best["fast, pure Python"]

    def line(name: str, ok: bool, figure: str) -> None:
        print(f"target {name}: {'met' if ok else 'MISSED'} ({figure})")

    if nat is not None:
        med, p95 = statistics.median(nat), pct(nat, 0.95)
        line("native median <= 2 ms", med <= 2, f"{med:.2f} ms")
        line("native p95 <= 10 ms", p95 <= 10, f"{p95:.2f} ms")
    line("pure median <= 6 ms", statistics.median(pure) <= 6, f"{statistics.median(pure):.2f} ms")
    if wz is not None:
        for label, cpu in (("native", nat), ("pure", pure)):
            if cpu is None:
                continue
            r = statistics.median(w / max(c, 1e-3) for w, c in zip(wz, cpu, strict=True))
            line(f">= 60x python-Wappalyzer ({label})", r >= 60, f"{r:.0f}x")


_CART_LINK = re.compile(
    r"""<a\s[^>]*?\bhref=["']?(?:[^"'\s>]*[^"'\s>/])?/(?:cart|basket|checkout|order)(?![a-z])""",
    re.I,
)
# A click-to-chat link names a number; a share link (wa.me/?text=, send?text=) does not.
_WHATSAPP_CHAT = re.compile(
    r"""(?:wa\.me/\+?\d|whatsapp\.com/send/?\?(?:[^"'\s>]*&(?:amp;)?)?phone=\+?\d)""", re.I
)


def disputed(d, page: Page) -> str | None:  # type: ignore[no-untyped-def]
    """Why a detection of the 4,000-technology DB is not counted against the bundled set, or
    ``None``. Each reason was checked on the pages themselves (see bench/README.md):

    * Google Tag Manager on the ``googletag`` global alone: that global is Google Publisher
      Tag's (ad serving), which the bundled set reports as such;
    * Cloudflare implied by cdnjs alone: a library fetched from cdnjs says nothing about the
      site's own CDN;
    * a shopping cart on a link like ``/basketball``, ``/cartoons`` or to a host named
      ``checkout.…`` (a news site's subscription page; the DB's selectors match any href
      containing ``/cart``, ``/basket``, ``/checkout``, ``/order``): no link on the page has
      one of those words whole as a path segment;
    * WhatsApp Business Chat on share buttons (``wa.me/?text=``, ``send?text=``): no link on
      the page opens a chat with a number.
    """
    if (
        d.name == "Google Tag Manager"
        and d.evidence
        and all(e.field == "js" and e.key == "googletag" for e in d.evidence)
    ):
        return "GTM from the googletag global (Google Publisher Tag's)"
    if d.name == "Cloudflare" and not d.evidence and d.implied_by == ("cdnjs",):
        return "Cloudflare implied by a cdnjs library"
    if d.name == "Cart Functionality" and not _CART_LINK.search(page.html):
        return "cart link that is /basketball, /cartoons, a checkout.… host"
    if d.name == "WhatsApp Business Chat" and not _WHATSAPP_CHAT.search(page.html):
        return "WhatsApp share button, no chat number"
    return None


def large_pages(pages: list[Page], best: dict[str, list[float]]) -> None:
    """Target: a page of ~1.5 MiB costs at most ~10x one of ~100 KiB (pages of 80-120 KiB)."""
    kib = [len(p.html.encode("utf-8")) / 1024 for p in pages]
    big = max(range(len(pages)), key=kib.__getitem__)
    near = [i for i, k in enumerate(kib) if 80 <= k <= 120]
    if kib[big] < 1024 or not near:
        return
    for label, cpu in best.items():
        if not label.startswith("fast"):
            continue
        ratio = cpu[big] / statistics.median(cpu[i] for i in near)
        print(
            f"target largest page ({kib[big]:,.0f} KiB) <= ~10x a 100 KiB page ({label}):"
            f" {'met' if ratio <= 10.5 else 'MISSED'} ({ratio:.1f}x: {cpu[big]:.1f} ms vs"
            f" median {statistics.median(cpu[i] for i in near):.2f} ms of {len(near)} pages)"
        )


def coverage(big_db, pages: list[Page]) -> None:
    """Per GTM category: pairs found by the 4,000-technology DB, and the bundled set's share."""
    big = Detector(big_db)
    small = Detector(load_fingerprints())
    small_cats = {t.name.casefold(): set(t.categories) for t in small.db.technologies.values()}
    rows: dict[str, list[int]] = {label: [0, 0, 0] for label in GTM_CATEGORIES}
    missed: dict[str, Counter[str]] = {label: Counter() for label in GTM_CATEGORIES}
    reasons: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    for p in pages:
        found = big.detect(p)
        theirs = {d.name: set(big_db.technologies[d.name].categories) for d in found}
        why = {d.name: disputed(d, p) for d in found}
        ours = {canonical_name(d.name).casefold() for d in small.detect(fresh(p))}
        for label, cids in GTM_CATEGORIES.items():
            for name, cats in theirs.items():
                if cats & cids:
                    rows[label][0] += 1
                    if canonical_name(name).casefold() in ours:
                        rows[label][1] += 1
                    elif why[name]:
                        rows[label][2] += 1
                        reasons[why[name]] += 1
                    else:
                        missed[label][name] += 1
        theirs_canon = {canonical_name(n).casefold() for n in theirs}
        for name in ours - theirs_canon:
            if any(small_cats.get(name, set()) & c for c in GTM_CATEGORIES.values()):
                extra[name] += 1
    print(
        f"\ncoverage of the bundled MIT set ({len(small.db.technologies)} technologies) against"
        f" the {len(big_db.technologies):,}-technology DB on {len(pages)} real pages,"
        " (page, technology) pairs in go-to-market categories:"
    )
    print(
        f"{'category':40} {'DB finds':>8} {'bundled too':>11} {'disputed':>8} {'coverage':>8}"
        f" {'raw':>5}  missed"
    )
    tot = [0, 0, 0]
    for label, (n, k, x) in rows.items():
        tot = [tot[0] + n, tot[1] + k, tot[2] + x]
        share = f"{k / (n - x):.0%}" if n - x else "-"
        raw = f"{k / n:.0%}" if n else "-"
        top = ", ".join(f"{m} ({c})" for m, c in missed[label].most_common(4))
        print(f"{label:40} {n:8d} {k:11d} {x:8d} {share:>8} {raw:>5}  {top}")
    n, k, x = tot
    share = k / (n - x) if n - x else 1.0
    print(
        f"{'all (a pair counts once per category)':40} {n:8d} {k:11d} {x:8d} {share:8.0%}"
        f" {k / n if n else 1:5.0%}"
    )
    print(
        "coverage = bundled too / (DB finds - disputed); raw = bundled too / DB finds. Disputed"
        " (the DB's finding is wrong on the page, checked): "
        + "; ".join(f"{r} x{c}" for r, c in reasons.most_common())
    )
    print(f"target >= 90% coverage: {'met' if share >= 0.9 else 'MISSED'} ({share:.1%})")
    if extra:
        top = ", ".join(f"{m} ({c})" for m, c in extra.most_common(10))
        print(f"found by the bundled set only (GTM categories): {top}")


_BUILD = """
import sys, time
from icpkit.technographics import load_fingerprints
from icpkit.technographics.matcher import Matcher
db = load_fingerprints(sys.argv[1])
t0 = time.process_time()
Matcher(db, native=True)
print(time.process_time() - t0)
"""


def build_cost() -> None:
    """CPU to build the native matcher in a new process (a bulk job's worker, a shard):
    compiling every Hyperscan database vs loading them from the user cache."""
    import subprocess

    def run(cache: str) -> float:
        env = dict(os.environ, ICPKIT_HYPERSCAN_CACHE=cache)
        out = subprocess.run(
            [sys.executable, "-c", _BUILD, str(DB_PATH)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.split()[-1])

    compiled = run("0")
    run("1")  # fills the cache if this database was never compiled here
    cached = run("1")
    print(
        f"native matcher build in a new process: {compiled:.2f} s CPU compiling"
        f" (ICPKIT_HYPERSCAN_CACHE=0), {cached:.2f} s with the Hyperscan user cache"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2, help="fast engines: rounds over the pages")
    ap.add_argument("--naive-rounds", type=int, default=1, help="baselines: rounds")
    ap.add_argument("--no-wappalyzer", action="store_true", help="skip the slow GPL baseline")
    ap.add_argument("--no-coverage", action="store_true")
    ap.add_argument("--coverage-only", action="store_true", help="skip the speed tables")
    ap.add_argument("--only", choices=("aeb", "warc"), help="one corpus only")
    args = ap.parse_args()
    for need in (DB_PATH, AEB, WARC):
        if not need.exists():
            print(f"not found: {need} (set ICPKIT_SHARED)")
            return 1
    t0 = time.perf_counter()
    db = load_fingerprints(DB_PATH)
    print(f"loaded {len(db.technologies):,} technologies in {time.perf_counter() - t0:.2f} s")
    corpora = {"aeb": aeb_pages(), "warc": warc_pages()}
    if args.only:
        corpora = {args.only: corpora[args.only]}
    for name, pages in corpora.items():
        sizes = sorted(len(p.html) / 1024 for p in pages)
        print(
            f"{name}: {len(pages)} pages, HTML median {statistics.median(sizes):.0f} KiB,"
            f" max {sizes[-1]:.0f} KiB"
        )
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if hyperscan_available() and not args.coverage_only:
        build_cost()
    for name, pages in corpora.items():
        if args.coverage_only:
            break
        title = {
            "aeb": "181 saved real pages (2019-2020)",
            "warc": "HTML responses of the 2008 WARC",
        }
        print(f"\n=== {title[name]} ===")
        best = speed(db, pages, args)
        targets(best)
        large_pages(pages, best)
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if not args.no_coverage:
        coverage(db, [p for pages in corpora.values() for p in pages])
    return 0


if __name__ == "__main__":
    sys.exit(main())
