"""Interview analysis speed: 1,000 interviews of ~3,000 words, icpkit against a naive loop.

Data: the seeded planted-truth generator (``icpkit.interviews.synthetic``): 2 segments × 400
interviews + 200 in no segment, each ~3,000 words of Zipf-distributed text (a 4,000-word long
tail, so ~150,000 distinct words and two-word phrases pass the 3-interview floor), with personal
data to scrub and planted themes to find. Generation is not timed.

What is timed (CPU seconds of this process, ``time.process_time``, and wall seconds; the
machine is shared, so wall time is inflated by other sessions' load, printed from
``/proc/loadavg``):

* **icpkit** ``analyze_interviews``: link to accounts, scrub every interview (emails, phones,
  known and unknown names, account names), the term matrix (words + two-word phrases, polars +
  numpy + scipy.sparse CSR), the log-odds z of every term × segment × scope (all, challenges,
  aha, results), 200 label permutations for the max-T threshold, themes, outcome comparisons
  and quotes — the whole analysis ``icp interviews analyze`` runs;
* **naive baseline**: a per-document Python ``Counter`` of words and two-word phrases (same
  tokens, stop words and breaks), per-segment sums by Counter, and the same log-odds z per term
  in a Python loop, for the *whole-interview scope only and without any permutation* — a lower
  bound of what the loop would cost, since the full analysis repeats the counting 4 × 201 times.

Target (issue 14): ≤ 10 s on 2 cores for 1,000 interviews × ~3,000 words.

Figures (2 vCPU shared with other sessions, load average ~10 during the run, so wall times
are inflated about threefold; CPU seconds are the figure to read):

  1,000 interviews, 3,045 words each (3.0M words), 200 permutations
  icpkit analyze_interviews (everything above)          6.9 s CPU   18.1 s wall
  naive Counter loop (1 scope, 0 permutations)           3.7 s CPU    8.8 s wall
  naive loop for the same search (4 scopes × 201)      ~0.8 h CPU (extrapolated)

Before batching the scrubbing (one Python regex pass per text and name list) the same run took
10.7 s CPU, 33 s wall; before that (an alternation of every name compiled per section)
84 s CPU.

Usage: ``python bench/bench_interviews.py [--interviews N] [--words W] [--permutations P]``.
No asserts on speed: figures are for reading.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import Counter
from pathlib import Path


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def naive(texts: list[str], labels: list[int], k: int, min_docs: int = 3) -> int:
    """Per-document Counter loop + Python log-odds per term (one scope, no permutations)."""
    from icpkit.interviews.analyze import PRIOR_INTERVIEWS, STOP_WORDS

    breaks = re.compile(r"\[[a-z]+\]|[.!?;:,()\"“”…|]|\s[-–—]+\s")
    token = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
    docs: list[set[str]] = []
    for t in texts:
        seen: set[str] = set()
        for chunk in breaks.split(t.lower()):
            toks = token.findall(chunk)
            for i, w in enumerate(toks):
                if w in STOP_WORDS:
                    continue
                seen.add(w)
                if i + 1 < len(toks) and toks[i + 1] not in STOP_WORDS:
                    seen.add(w + " " + toks[i + 1])
        docs.append(seen)
    total = Counter(t for d in docs for t in d)
    group = [Counter() for _ in range(k)]
    for d, g in zip(docs, labels, strict=True):
        if g >= 0:
            group[g].update(d)
    n = len(texts)
    n_g = [labels.count(g) for g in range(k)]
    best = 0
    a0 = PRIOR_INTERVIEWS
    for term, y in total.items():
        if y < min_docs:
            continue
        a = a0 * y / n
        for g in range(k):
            yg = group[g][term]
            yo = y - yg
            if yg < min_docs or yg * (n - n_g[g]) <= yo * n_g[g]:
                continue  # the same candidates icpkit computes
            hg, mg = yg + a, n_g[g] + a0 - yg - a
            ho, mo = yo + a, n - n_g[g] + a0 - yo - a
            z = (math.log(hg / mg) - math.log(ho / mo)) / math.sqrt(
                1 / hg + 1 / mg + 1 / ho + 1 / mo
            )
            best += z > 3
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--permutations", type=int, default=200)
    args = parser.parse_args()

    from icpkit.criteria import Criterion
    from icpkit.icp import ICP, Segment
    from icpkit.interviews import analyze_interviews, generate_interviews

    per_segment = args.interviews * 2 // 5
    other = args.interviews - 2 * per_segment
    t = time.perf_counter()
    corpus = generate_interviews(per_segment, other, words=args.words, seed=0)
    words = sum(len(iv.text.split()) for iv in corpus.interviews)
    print(
        f"generated {len(corpus.interviews):,} interviews, {words / len(corpus.interviews):,.0f} "
        f"words each on average ({words / 1e6:.1f}M words) in {time.perf_counter() - t:.1f} s"
    )
    icp = ICP(
        segments=[
            Segment(id=s, name=s, must=[Criterion(column="industry", **{"in": [s]})])
            for s in ("seg-1", "seg-2")
        ]
    )
    print(f"load average before: {_load()}")

    c0, w0 = time.process_time(), time.perf_counter()
    result = analyze_interviews(
        corpus.interviews, icp, corpus.accounts, permutations=args.permutations
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    themes = {s.segment: [t.label for t in s.themes] for s in result.insights.segments}
    print(
        f"icpkit analyze_interviews ({args.permutations} permutations × 4 scopes): "
        f"{cpu:.2f} s CPU, {wall:.2f} s wall; themes {themes}"
    )

    from icpkit.interviews.scrub import Scrubber

    texts = [iv.text for iv in corpus.interviews]
    scrubber = Scrubber.for_corpus(texts)
    clean = [scrubber.scrub(t) for t in texts]
    seg = {"seg-1": 0, "seg-2": 1}
    labels = [seg.get(s, -1) if s else -1 for s in corpus.accounts["segment"].to_list()]
    c0, w0 = time.process_time(), time.perf_counter()
    hits = naive(clean, labels, 2)
    ncpu, nwall = time.process_time() - c0, time.perf_counter() - w0
    print(
        f"naive Counter loop (1 scope, no permutations, no scrubbing): {ncpu:.2f} s CPU, "
        f"{nwall:.2f} s wall ({hits} term z > 3)"
    )
    per_pass = ncpu
    print(
        f"the naive loop repeated for the same search (4 scopes × {args.permutations + 1} "
        f"passes) would take ~{per_pass * 4 * (args.permutations + 1) / 3600:.1f} h CPU; "
        f"icpkit's whole analysis costs {cpu / ncpu:.1f} naive single passes"
    )
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
