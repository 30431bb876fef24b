"""Benchmark detection on hostile page shapes: CPU seconds per page, target <= 1 s each.

One hostile site must not stall a bulk job, so every shape a page can take is timed through
``Detector.detect`` (parse + every matcher stage) with the bundled fingerprints and, when
``../shared`` holds it, the 4,000-technology HTTPArchive database (read in place, never copied).
Each engine runs twice: Hyperscan prefilter (if installed) and the pure-Python default install.

Baseline: an ordinary page of the same size measured in the same run (``baseline`` row). The
shapes are: long runs of one tag, deep mixed nesting, formatting-element nesting (adoption
agency), 100k attributes, short tags of as many distinct attributes as fit (none is cut),
huge script and meta values, deep pages of quoted angles or of stops inside tags (the
script/style scan), entity floods, non-ASCII floods, a long run of one letter, and every
fingerprint literal of the database on one page. Figures are CPU
time of this process (``time.process_time``), best of ``--rounds``.

    python bench/bench_hostile.py [--size-kib 5120] [--rounds 1] [--quick]
"""

from __future__ import annotations

import argparse
import os
import string
import time
from pathlib import Path

from icpkit.technographics import Detector, Page, load_fingerprints
from icpkit.technographics.hits import hyperscan_available
from icpkit.technographics.patterns import required_literal_sets

SHARED = Path(
    os.environ.get("ICPKIT_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
DB_PATH = SHARED / "fingerprints" / "httparchive-wappalyzer"
TARGET_S = 1.0


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def _literals(db) -> list[str]:  # type: ignore[no-untyped-def]
    out: set[str] = set()
    for tech in db.technologies.values():
        groups = [getattr(tech, f, ()) or () for f in ("html", "script_src", "scripts", "text")]
        groups += [
            v for f in ("meta", "headers", "cookies", "js") for v in getattr(tech, f).values()
        ]
        for pats in groups:
            for p in pats:
                if p.regex is None:
                    continue
                for req in required_literal_sets(p.regex.pattern) or ():
                    out |= req
    return sorted(out)


def _short_wide_tag() -> str:
    """A void tag of under 256 characters with as many distinct attribute names as fit."""
    singles = string.ascii_lowercase + string.digits + "!#$%&()*+,-.:;?@[]^_`{|}~"
    doubles = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase]
    tag = "<img"
    for name in [*singles, *doubles]:
        if len(tag) + len(name) + 2 >= 256:
            break
        tag += " " + name
    return tag + ">"


def shapes(size: int, literals: list[str]) -> dict[str, str]:
    """Hostile pages of about ``size`` characters (the fetcher keeps up to 5 MiB)."""
    words = "the quick brown fox jumps over the lazy dog pricing contact about "
    para = f"<p class='c'>{words * 3}<a href='/x'>link</a></p>\n"
    all_literals = " ".join(literals)
    srcs = "".join(f"<script src='https://cdn.example/{lit}.js'></script>" for lit in literals)
    return {
        "baseline (ordinary page)": "<html><body>" + _fill(para, size) + "</body></html>",
        "<div> x 64000 (issue's 320 KB)": "<div>" * 64_000,
        "<div> run to size": _fill("<div>", size),
        "deep mixed nesting": _fill("<div><span><section><ul><li>", size),
        "formatting nesting <b><i><a>": _fill("<b><i><a href=x>", size),
        "table nesting": _fill("<table><tr><td>", size),
        "100k attributes": "<div " + " ".join(f"a{i}=v" for i in range(100_000)) + ">x</div>",
        "many 4 KiB-attribute tags": _fill(
            "<div " + " ".join(f"b{i}=v" for i in range(650)) + ">", size
        ),
        "4 KiB tags of 1,000 bare attributes": _fill(
            "<div " + " ".join(f"c{i}" for i in range(1_000))[:4_080] + ">", size
        ),
        "huge script": "<script>" + _fill("var a=1;", size) + "</script>",
        "script of tag-like JS (<e.length …)": "<script>"
        + _fill("for(;i<e.length;i++){" + "x=x+e[i]*2; " * 400 + "}", size)
        + "</script>",
        "100k attributes after a quoted '>'": '<div a=">" '
        + " ".join(f"a{i}" for i in range(100_000))
        + ">x</div>",
        "4 KiB tags after fake script text": "<math><b><script></math><style></script>"
        + _fill("<div " + " ".join(f"c{i}" for i in range(1_000))[:4_080] + ">", size),
        "huge meta": "<meta name='generator' content='" + _fill("WordPress ", size) + "'>",
        # attribute counts as the tokenizer reads them (lexbor is quadratic in distinct names)
        "tags of a=''b='' attributes (no spaces)": _fill(
            "<div " + "".join(f"a{i}=''" for i in range(1_000)) + ">", size
        ),
        # under the long-tag length (256 characters), where no tag is cut: as many distinct
        # names as fit (one and two characters), on void tags so that nothing nests
        "short tags of ~100 distinct attributes": _fill(_short_wide_tag(), size),
        "100k attributes named a0<1": "<div "
        + " ".join(f"a{i}<1" for i in range(100_000))
        + ">x</div>",
        "end tag of 100k attributes": "<div>x</div "
        + " ".join(f"a{i}" for i in range(100_000))
        + ">",
        "wide tag after a quoted angle in script text": "<script>var s = '<b c=\"';</script>"
        + '<div a=">" '
        + " ".join(f"d{i}" for i in range(100_000))
        + ">x</div>",
        # the script/style scan read from the image's stops and quoted angles: deep pages ask
        # it at every open tag; quoted angles in every tag, or in text, and stops inside tags
        "deep tags each with a quoted '<'": _fill('<div title="<">', size),
        "deep tags after quoted angles in text": _fill('="<="<<div>', size),
        "deep tags holding <script": _fill("<div a=<script>", size),
        "entity flood &amp;": _fill("&amp;", size),
        "entity flood &#x41;": _fill("&#x41;", size),
        "non-ASCII flood é": _fill("é", size),
        "non-ASCII flood CJK": _fill("日本語", size),
        "one letter a x size": _fill("a", size),
        "every literal in text": "<html><body>" + all_literals + "</body></html>",
        "every literal as script src": "<html><head>" + srcs + "</head></html>",
    }


def _cpu(detector: Detector, html: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        page = Page(url="https://hostile.example/", html=html)
        start = time.process_time()
        detector.detect(page)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-kib", type=int, default=5 * 1024)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="256 KiB pages, bundled database only")
    args = ap.parse_args()
    size = (256 if args.quick else args.size_kib) * 1024
    dbs = [("bundled", load_fingerprints())]
    if DB_PATH.is_dir() and not args.quick:
        dbs.append(("httparchive-4000", load_fingerprints(DB_PATH)))
    elif not args.quick:
        print(f"(skipping the 4,000-technology database: not found at {DB_PATH})")
    engines = [("python", False)] + ([("hyperscan", True)] if hyperscan_available() else [])
    worst = 0.0
    for db_name, db in dbs:
        pages = shapes(size, _literals(db))
        for engine, native in engines:
            detector = Detector(db, native=native)
            detector.detect(Page(url="https://warm.example/", html="<p>warm</p>"))
            print(f"\n{db_name} / {engine}: CPU s per page ({size // 1024} KiB shapes)")
            base = None
            for name, html in pages.items():
                secs = _cpu(detector, html, args.rounds)
                base = secs if base is None else base
                worst = max(worst, secs)
                flag = "" if secs <= TARGET_S else "  OVER TARGET"
                ratio = f"{secs / base:7.1f}x baseline" if base else ""
                print(f"  {name:34s} {len(html) / 1024:8.0f} KiB {secs:8.3f} s {ratio}{flag}")
    print(f"\nworst shape: {worst:.3f} s per page (target <= {TARGET_S:g} s)")


if __name__ == "__main__":
    main()
