"""Interview analysis speed: 1,000 interviews of ~3,000 words, icpkit against a naive loop.

Data: the seeded planted-truth generator (``icpkit.interviews.synthetic``): 2 segments × 400
interviews + 200 in no segment, each ~3,000 words of Zipf-distributed text (a 4,000-word long
tail, so ~150,000 distinct words and two-word phrases pass the 3-interview floor), with personal
data to scrub and planted themes to find. Generation is not timed.

What is timed (CPU seconds of this process, ``time.process_time``, all threads, and wall
seconds, with their ratio; the machine is shared, so wall time is inflated by other sessions'
load: the load average and the cores available are printed before, between and after the runs,
with a plain note when the machine was loaded):

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

Figures (2 vCPU shared with other sessions; load average 14–15 throughout, 7–7.6 runnable per
core, so wall times are inflated up to sevenfold; CPU seconds are the figure to read):

  1,000 interviews, 3,045 words each (3.0M words), 200 permutations
  icpkit analyze_interviews (everything above)          7.4 s CPU   56.0 s wall
  naive Counter loop (1 scope, 0 permutations)           4.1 s CPU   26.8 s wall
  naive loop for the same search (4 scopes × 201)      ~0.9 h CPU (extrapolated)

Readable theme labels (the phrase customers say, from up to 100 mentioning interviews per theme)
cost 0.27 s CPU of that. Earlier: 6.9 s CPU at load ~10 before them; 10.7 s CPU, 33 s wall
before the scrubbing was batched (one Python regex pass per text and name list); 84 s CPU with
an alternation of every name compiled per section.

Usage: ``python bench/bench_interviews.py [--interviews N] [--words W] [--permutations P]``.
No asserts on speed: figures are for reading.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import time
from collections import Counter


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _load() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        return None


def load_note(when: str) -> str:
    """The machine's load in one line: wall times mean little on a busy shared machine."""
    cores, load = _cores(), _load()
    if load is None:
        return f"load {when}: unknown ({cores} cores)"
    per_core = load[0] / cores
    verdict = (
        "idle enough for wall times to mean something"
        if per_core < 0.5
        else f"LOADED ({per_core:.1f} runnable per core): wall times are inflated, read CPU"
    )
    return (
        f"load {when}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min) on {cores} "
        f"cores: {verdict}"
    )


def timed(label: str, cpu: float, wall: float, extra: str = "") -> str:
    """A figure line: CPU and wall seconds, and the CPU share of wall (parallelism or waiting)."""
    share = cpu / wall if wall > 0 else float("nan")
    return f"{label}: {cpu:.2f} s CPU, {wall:.2f} s wall (CPU/wall {share:.2f}){extra}"


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
    print(load_note("before"))

    c0, w0 = time.process_time(), time.perf_counter()
    result = analyze_interviews(
        corpus.interviews, icp, corpus.accounts, permutations=args.permutations
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    themes = {s.segment: [t.label for t in s.themes] for s in result.insights.segments}
    print(
        timed(f"icpkit analyze_interviews ({args.permutations} permutations × 4 scopes)", cpu, wall)
    )
    print(f"  themes: {themes}")
    print(load_note("after icpkit"))

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
        timed(
            "naive Counter loop (1 scope, no permutations, no scrubbing)",
            ncpu,
            nwall,
            f" ({hits} term z > 3)",
        )
    )
    per_pass = ncpu
    print(
        f"the naive loop repeated for the same search (4 scopes × {args.permutations + 1} "
        f"passes) would take ~{per_pass * 4 * (args.permutations + 1) / 3600:.1f} h CPU; "
        f"icpkit's whole analysis costs {cpu / ncpu:.1f} naive single passes"
    )
    print(load_note("after"))
    print(
        f"target (issue 14): ≤ 10 s on 2 cores; icpkit used {cpu:.1f} s CPU, so on 2 idle "
        f"cores the wall time is at most {cpu:.1f} s ({'met' if cpu <= 10 else 'NOT met'}); "
        f"measured wall {wall:.1f} s under the load above"
    )


if __name__ == "__main__":
    main()
