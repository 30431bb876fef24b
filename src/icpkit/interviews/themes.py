"""Themes: distinctive terms that recur together, with counts, outcomes and representative quotes.

A theme is built only from terms that passed the selection-adjusted test in
:mod:`icpkit.interviews.analyze`, so themes inherit its guarantee: with no real difference
between segments there are none. Within a segment, terms are grouped greedily, strongest first:
a term joins a theme when the interviews mentioning it largely overlap those mentioning the
theme's first term (Jaccard ≥ 0.5), or overlap somewhat and share a word ("spreadsheets" and
"spreadsheets broke"). Counts are interviews and accounts mentioning any of the theme's terms.

Outcomes (value, retention, expansion) are compared between interviewed accounts that mention
the theme and interviewed accounts that do not, with a Mann–Whitney p-value: an association among
a handful of accounts, reported with its sample size and a caveat, never as a finding.

A theme's label is the phrase customers use for it ("closed the books in three days"), the most
frequent span of the interviews covering its terms, from the scrubbed text; a keyword list
("closed · books · days") only when no such span exists.

Quotes are whole sentences from the scrubbed text that contain the most of the theme's terms,
one per interview, shortest reasonable first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from icpkit.icp import InsightQuote, InsightTerm, InsightTheme, ThemeOutcome
from icpkit.interviews.analyze import STOP_WORDS
from icpkit.interviews.scrub import PLACEHOLDER

#: Fewer accounts than this on either side of an outcome comparison earns a caveat.
SMALL_SAMPLE = 10
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PLACEHOLDER_ONLY = re.compile(r"^(?:\W*\[[a-z]+\]\W*)+$")


def term_row(r: dict[str, object]) -> InsightTerm:
    """A row of the distinctive-terms table as the ICP file's :class:`InsightTerm`."""
    return InsightTerm(
        term=str(r["term"]),
        question=str(r["scope"]),
        mentions=int(r["mentions"]),  # type: ignore[call-overload]
        interviews=int(r["interviews"]),  # type: ignore[call-overload]
        others_mentions=int(r["others_mentions"]),  # type: ignore[call-overload]
        others_interviews=int(r["others_interviews"]),  # type: ignore[call-overload]
        log_odds=float(r["log_odds"]),  # type: ignore[arg-type]
        ci=[float(r["ci_low"]), float(r["ci_high"])],  # type: ignore[arg-type]
        z=float(r["z"]),  # type: ignore[arg-type]
        p_value=float(r["p_value"]),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Corpus:
    """What themes need: presence of terms per interview, labels, accounts and scrubbed text."""

    presence: dict[str, np.ndarray]  # term → bool over interviews (whole interviews)
    labels: np.ndarray  # segment index per interview, -1 for none
    segment_ids: Sequence[str]
    interview_ids: Sequence[str]
    accounts: Sequence[str | None]
    texts: Sequence[str]  # scrubbed
    outcomes: pl.DataFrame  # one row per interview: outcome:<kind>:<column> metrics


def _words(term: str) -> set[str]:
    return {w for w in term.split() if w not in STOP_WORDS}


def _label(terms: list[str]) -> str:
    """Fallback label: up to three of the strongest phrases, then words no phrase contains."""
    phrases = [t for t in terms if " " in t]
    words = [t for t in terms if " " not in t and not any(t in p.split() for p in phrases)]
    return " · ".join([*phrases, *words][:3])


#: A label is a phrase customers say, so at most this many words long.
LABEL_WORDS = 8
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def _best_window(tokens: list[str], terms: list[list[str]]) -> tuple[int, int, int] | None:
    """(terms covered, first token, last token) of the shortest span of at most
    :data:`LABEL_WORDS` words covering the most distinct theme terms; None without a hit."""
    hits: list[tuple[int, int, int]] = []  # (start, end, term index)
    for k, words in enumerate(terms):
        width = len(words)
        for i in range(len(tokens) - width + 1):
            if tokens[i : i + width] == words:
                hits.append((i, i + width - 1, k))
    if not hits:
        return None
    hits.sort()
    best: tuple[int, int, int] | None = None
    for a, (start, _, _) in enumerate(hits):
        covered: set[int] = set()
        end = start
        for _, e2, k in hits[a:]:
            if max(end, e2) - start + 1 > LABEL_WORDS:
                break
            covered.add(k)
            end = max(end, e2)
            cand = (len(covered), start, end)
            if best is None or (cand[0], -(cand[2] - cand[1])) > (best[0], -(best[2] - best[1])):
                best = cand
    return best


def _phrase_label(terms: list[str], members: np.ndarray, corpus: Corpus) -> str | None:
    """The theme as customers say it: the most frequent original phrase of its terms.

    Terms are single words and two-word phrases without stop words ("closed", "books", "days"),
    which read like a keyword list; the interviews say "closed the books in three days". In
    each mentioning interview the shortest span (≤ :data:`LABEL_WORDS` words, one sentence,
    scrubbed text, no placeholder) covering the most of the theme's terms is taken; spans are
    counted over interviews and the one with the most interviews × share of terms covered wins
    (ties: shorter); a stop word said next to it in ≥ 80% of them is kept ("piled up").
    Returns None when no span qualifies.
    """
    split = [t.split() for t in terms]
    first = re.compile(r"(?<![\w'’-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w'’-])")
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    covers: dict[str, int] = {}
    around: dict[str, list[tuple[str, str]]] = {}  # the word before and after, per interview
    for i in np.flatnonzero(members)[:100]:  # enough to find the common phrasing; bounded
        best: tuple[int, int, str, str, str, str] | None = None
        for sentence in _SENTENCE.split(corpus.texts[i]):
            if not first.search(sentence.lower()):
                continue
            # placeholders blanked (offsets kept): "[person]" is not the word "person"
            blank = PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), sentence)
            spans = list(_WORD.finditer(blank))
            window = _best_window([m.group(0).lower() for m in spans], split)
            if window is None:
                continue
            n, a, b = window
            original = sentence[spans[a].start() : spans[b].end()]
            if PLACEHOLDER.search(original):
                continue
            # a neighbour counts only when nothing but a space separates it (no placeholder)
            before = after = ""
            if a > 0 and not sentence[spans[a - 1].end() : spans[a].start()].strip():
                before = spans[a - 1].group(0)
            if b + 1 < len(spans) and not sentence[spans[b].end() : spans[b + 1].start()].strip():
                after = spans[b + 1].group(0)
            key = " ".join(original.lower().split())
            cand = (n, a - b, key, original, before, after)
            if best is None or cand[:2] > best[:2]:
                best = cand
        if best is not None:
            n, _, key, original, before, after = best
            counts[key] = counts.get(key, 0) + 1
            shown.setdefault(key, " ".join(original.split()))
            covers[key] = n
            around.setdefault(key, []).append((before, after))
    if not counts:
        return None
    key = max(counts, key=lambda k: (counts[k] * covers[k] / len(terms), -len(k.split()), k))
    label = shown[key]
    # Stop words are never terms, so "first automated report" and "audit findings piled up"
    # lose an end word; one is put back when nearly every interview says it there.
    for side in (0, 1):
        words = [pair[side] for pair in around[key]]
        common = max(set(words), key=words.count)
        if common.lower() in STOP_WORDS and words.count(common) >= 0.8 * len(words) >= 2:
            label = f"{common} {label}" if side == 0 else f"{label} {common}"
    head = label.split(" ", 1)[0]
    if len(head) > 1 and head[0].isupper() and head[1:] == head[1:].lower():
        label = label[0].lower() + label[1:]  # a sentence's capital, not a name's (scrubbed)
    return label


def _outcomes(mask: np.ndarray, corpus: Corpus, pool: np.ndarray) -> list[ThemeOutcome]:
    """Mentioning vs not mentioning, per account, among interviewed accounts in ``pool``."""
    from scipy.stats import mannwhitneyu

    metrics = [c for c in corpus.outcomes.columns if c.startswith("outcome:")]
    if not metrics:
        return []
    frame = corpus.outcomes.with_columns(
        pl.Series("_mention", mask), pl.Series("_pool", pool)
    ).filter(pl.col("_pool") & pl.col("account").is_not_null())
    per_account = frame.group_by("account").agg(
        pl.col("_mention").any(), *[pl.col(m).first() for m in metrics]
    )
    out: list[ThemeOutcome] = []
    for m in metrics:
        _, kind, column = m.split(":", 2)
        vals = per_account.filter(pl.col(m).is_not_null() & pl.col(m).is_finite())
        yes = vals.filter(pl.col("_mention"))[m].to_numpy()
        no = vals.filter(~pl.col("_mention"))[m].to_numpy()
        if yes.size == 0 or no.size == 0:
            continue
        p = None
        if yes.size >= 2 and no.size >= 2:
            p = float(mannwhitneyu(yes, no, alternative="two-sided").pvalue)
        caveat = None
        if min(yes.size, no.size) < SMALL_SAMPLE:
            caveat = f"only {yes.size} vs {no.size} accounts: a lead to check, not a finding"
        out.append(
            ThemeOutcome(
                metric=column,
                kind=kind,
                mentioning=float(np.median(yes)),
                others=float(np.median(no)),
                n_mentioning=int(yes.size),
                n_others=int(no.size),
                p_value=p,
                caveat=caveat,
            )
        )
    return out


def _quotes(terms: list[str], members: np.ndarray, corpus: Corpus, n: int) -> list[InsightQuote]:
    patterns = [re.compile(rf"(?<![\w'’-]){re.escape(t)}(?![\w'’-])") for t in terms]
    best: list[tuple[int, int, int]] = []  # (-hits, length penalty, interview)
    chosen: dict[int, str] = {}
    for i in np.flatnonzero(members)[:60]:  # enough to pick a few; bounded for 1,000s
        top: tuple[int, int, str] | None = None
        for sentence in _SENTENCE.split(corpus.texts[i]):
            low = sentence.lower()
            hits = sum(1 for p in patterns if p.search(low))
            if not hits or _PLACEHOLDER_ONLY.match(sentence):
                continue
            words = len(sentence.split())
            penalty = abs(words - 18)
            if top is None or (hits, -penalty) > (top[0], -top[1]):
                top = (hits, penalty, sentence.strip())
        if top is not None:
            best.append((-top[0], top[1], int(i)))
            chosen[int(i)] = top[2]
    best.sort()
    out: list[InsightQuote] = []
    for _, _, i in best[:n]:
        text = chosen[i]
        if len(text) > 300:
            text = text[:297].rsplit(" ", 1)[0] + " …"
        out.append(
            InsightQuote(text=text, interview=corpus.interview_ids[i], account=corpus.accounts[i])
        )
    return out


def build_themes(
    table: pl.DataFrame,
    corpus: Corpus,
    *,
    segment: str,
    max_themes: int = 8,
    quotes: int = 3,
) -> list[InsightTheme]:
    """Group one segment's distinctive terms (rows with ``distinctive``) into themes."""
    g = list(corpus.segment_ids).index(segment)
    rows = table.filter((pl.col("segment") == segment) & pl.col("distinctive")).sort(
        "z", descending=True
    )
    if rows.height == 0:
        return []
    seg_mask = corpus.labels == g
    analysed = corpus.labels >= -1
    best_row: dict[str, dict[str, object]] = {}
    scopes: dict[str, list[str]] = {}
    for r in rows.iter_rows(named=True):
        best_row.setdefault(r["term"], r)
        scopes.setdefault(r["term"], []).append(r["scope"])
    groups: list[list[str]] = []
    for term in best_row:
        docs = corpus.presence[term] & seg_mask
        placed = False
        for members in groups:
            seed = corpus.presence[members[0]] & seg_mask
            union = int((docs | seed).sum())
            jac = int((docs & seed).sum()) / union if union else 0.0
            shares_word = bool(_words(term) & set().union(*(_words(m) for m in members)))
            # Terms distinctive under different questions are different themes ("before" and
            # "aha" answers of the same interviews overlap by chance, their words do not).
            q_new = {s for s in scopes[term] if s != "all"}
            q_old = {s for m in members for s in scopes[m] if s != "all"}
            if q_new and q_old and not q_new & q_old:
                continue
            if jac >= 0.5 or (shares_word and jac >= 0.25):
                members.append(term)
                placed = True
                break
        if not placed and len(groups) < max_themes:
            groups.append([term])
    themes: list[InsightTheme] = []
    for k, members in enumerate(groups, start=1):
        mention = np.zeros(corpus.labels.size, dtype=bool)
        for t in members:
            mention |= corpus.presence[t]
        in_seg = mention & seg_mask
        others = mention & ~seg_mask & analysed
        questions = [s for t in members for s in scopes[t] if s != "all"]
        question = max(set(questions), key=questions.count) if questions else "all"
        accounts = {a for i in np.flatnonzero(in_seg).tolist() if (a := corpus.accounts[i])}
        picked = _quotes(members, in_seg, corpus, quotes)
        label = _phrase_label(members, in_seg, corpus) or _label(members)
        themes.append(
            InsightTheme(
                id=f"{segment}-t{k}",
                label=label,
                question=question,
                terms=members,
                interviews=int(in_seg.sum()),
                accounts=len(accounts),
                of_interviews=int(seg_mask.sum()),
                others=int(others.sum()),
                of_others=int((~seg_mask & analysed).sum()),
                evidence=term_row(best_row[members[0]]),
                outcomes=_outcomes(mention, corpus, analysed),
                quotes=picked,
                sources=[corpus.interview_ids[i] for i in np.flatnonzero(in_seg).tolist()],
            )
        )
    return themes


__all__ = ["SMALL_SAMPLE", "Corpus", "build_themes", "term_row"]
