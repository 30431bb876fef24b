"""Planted themes are recovered per segment; shuffled segment labels give nothing distinctive.

The corpus comes from the project's seeded generator (icpkit.interviews.synthetic): two segments
with two planted themes each, mentioned by 45% of the segment's interviews and 5% of the others
(a realistic, weak effect for 50 interviews per segment), plus interviews of accounts in no
segment and Zipf-distributed filler everyone shares.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.interviews import analyze_interviews, generate_interviews, log_odds, term_matrix
from icpkit.interviews.analyze import STOP_WORDS
from icpkit.interviews.synthetic import FILLER_BASE_WORDS, PlantedTheme

from .conftest import two_segment_icp


def planted_terms(theme: PlantedTheme) -> set[str]:
    """Terms that can only come from the planted phrase: its content bigrams and rare words."""
    words = theme.phrase.split()
    content = [w if w not in STOP_WORDS else None for w in words]
    bigrams = {f"{a} {b}" for a, b in pairwise(content) if a and b}
    unigrams = {w for w in content if w and w not in FILLER_BASE_WORDS}
    return bigrams | unigrams


def test_planted_themes_recovered_per_segment() -> None:
    icp = two_segment_icp()
    recovered: Counter[str] = Counter()
    false_themes = []
    seeds = range(5)
    for seed in seeds:
        corpus = generate_interviews(50, 50, seed=seed)
        result = analyze_interviews(
            corpus.interviews, icp, corpus.accounts, permutations=200, seed=seed
        )
        for seg in result.insights.segments:
            planted = [t for t in corpus.themes if t.segment == seg.segment]
            elsewhere = [t for t in corpus.themes if t.segment != seg.segment]
            for theme in seg.themes:
                terms = set(theme.terms)
                hits = [t for t in planted if terms & planted_terms(t)]
                assert not any(terms & planted_terms(t) for t in elsewhere), (
                    f"seed {seed}: {seg.segment} got another segment's theme {theme.label}"
                )
                if not hits:
                    false_themes.append((seed, seg.segment, theme.label))
                for t in hits:
                    recovered[t.phrase] += 1
                    # the counts are real counts of the planted mentions
                    assert theme.interviews >= theme.evidence.mentions  # type: ignore[union-attr]
                    assert theme.question == t.question
                    assert theme.quotes and all(
                        any(w in q.text.lower() for w in planted_terms(t)) for q in theme.quotes
                    )
    for t in corpus.themes:
        assert recovered[t.phrase] >= 4, f"{t.phrase!r} recovered in {recovered[t.phrase]}/5"
    assert sum(recovered.values()) >= 0.8 * len(corpus.themes) * len(seeds)
    assert len(false_themes) <= 1, false_themes


def test_theme_labels_are_the_phrases_customers_say() -> None:
    """Labels read as said ("closed the books in three days"), not as a keyword list
    ("closed · books · days"): each recovered planted theme is labelled with its phrase."""
    labelled = 0
    for seed in (0, 1):
        corpus = generate_interviews(50, 50, seed=seed)
        result = analyze_interviews(
            corpus.interviews, two_segment_icp(), corpus.accounts, permutations=100, seed=seed
        )
        for seg in result.insights.segments:
            for theme in seg.themes:
                planted = [
                    t
                    for t in corpus.themes
                    if t.segment == seg.segment and set(theme.terms) & planted_terms(t)
                ]
                if planted:
                    assert theme.label == planted[0].phrase, (theme.label, theme.terms)
                    labelled += 1
    assert labelled >= 7  # of 8 planted themes over the two seeds


def test_theme_label_is_scrubbed() -> None:
    """A name said inside the theme's phrase never reaches its label."""
    from dataclasses import replace

    from icpkit.interviews.synthetic import DEFAULT_THEMES

    themes = [
        replace(DEFAULT_THEMES[0], phrase="spreadsheets broke at 200 people zarnoff said"),
        *DEFAULT_THEMES[1:],
    ]
    corpus = generate_interviews(50, 50, themes=themes, personal_data=False, seed=2)
    result = analyze_interviews(
        corpus.interviews,
        two_segment_icp(),
        corpus.accounts,
        names=["Zarnoff"],
        permutations=100,
        seed=2,
    )
    seg1 = result.insights.for_segment("seg-1")
    assert seg1 is not None
    (theme,) = [t for t in seg1.themes if "spreadsheets broke" in t.terms]
    assert theme.label == "spreadsheets broke at 200 people", theme.label
    labels = " ".join(t.label for s in result.insights.segments for t in s.themes)
    assert "zarnoff" not in labels.lower() and "[" not in labels


def test_question_scope_carries_the_planted_question() -> None:
    corpus = generate_interviews(40, 40, seed=11)
    result = analyze_interviews(
        corpus.interviews, two_segment_icp(), corpus.accounts, permutations=200, seed=1
    )
    found = result.terms.filter(pl.col("distinctive") & (pl.col("scope") != "all"))
    for t in corpus.themes:
        rows = found.filter(pl.col("term").is_in(list(planted_terms(t))))
        if rows.height:
            assert set(rows["scope"]) == {t.question}, (t.phrase, rows)


def test_shuffled_segment_labels_find_nothing() -> None:
    """Null: labels shuffled over accounts; every selection step is inside the max-T test."""
    icp = two_segment_icp()
    runs, with_findings = 20, 0
    for seed in range(runs):
        corpus = generate_interviews(20, 20, words=150, seed=100 + seed)
        rng = np.random.default_rng(seed)
        shuffled = corpus.accounts.with_columns(
            pl.Series(
                "segment",
                rng.permutation(corpus.accounts["segment"].to_numpy()).tolist(),
                dtype=pl.String,
            )
        )
        result = analyze_interviews(corpus.interviews, icp, shuffled, permutations=100, seed=seed)
        found = result.terms.filter(pl.col("distinctive")).height
        themes = sum(len(s.themes) for s in result.insights.segments)
        assert (found == 0) == (themes == 0)
        with_findings += found > 0
    # alpha = 0.05 family-wise: P(4 or more of 20 runs) < 2% under the null.
    assert with_findings <= 3, with_findings


def test_log_odds_by_hand() -> None:
    # 10 interviews: 4 in the group, 6 others. Term 0: 3 of 4 vs 1 of 6 mention it.
    # Prior worth 4 interviews: share 4/10 → α = 1.6; the group's misses 4 + 4 − 3 − 1.6 = 3.4,
    # the others' hits 1 + 1.6 = 2.6 and misses 6 + 4 − 1 − 1.6 = 7.4.
    delta, se = log_odds(
        np.array([[3.0, 0.0]]), np.array([4.0]), np.array([4.0, 5.0]), 10, prior=4.0
    )
    assert delta[0, 0] == pytest_approx(math.log(4.6 / 3.4) - math.log(2.6 / 7.4))
    assert se[0, 0] == pytest_approx(math.sqrt(1 / 4.6 + 1 / 3.4 + 1 / 2.6 + 1 / 7.4))
    # Term 1: 0 of 4 vs 5 of 6; α = 2: hits 2 / misses 6 in the group, 7 / 3 among others.
    assert delta[0, 1] == pytest_approx(math.log(2 / 6) - math.log(7 / 3))
    # Symmetry: the other group's log-odds is the negative, with the same standard error.
    other, other_se = log_odds(
        np.array([[1.0, 5.0]]), np.array([6.0]), np.array([4.0, 5.0]), 10, prior=4.0
    )
    assert other[0] == pytest_approx(-delta[0])
    assert other_se[0] == pytest_approx(se[0])


def pytest_approx(x: float) -> object:
    import pytest

    return pytest.approx(x, rel=1e-9, abs=1e-12)


_WORDS = ["spreadsheets", "broke", "the", "report", "audit", "we", "board", "people", "200"]


def _naive_presence(texts: list[str]) -> list[set[str]]:
    """A per-document Python loop: words and adjacent word pairs, no stop words, no breaks."""
    out = []
    for t in texts:
        seen: set[str] = set()
        for chunk in re.split(r"[.!?;:,]", t.lower()):
            toks = re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", chunk)
            for i, w in enumerate(toks):
                if w not in STOP_WORDS:
                    seen.add(w)
                    if i + 1 < len(toks) and toks[i + 1] not in STOP_WORDS:
                        seen.add(f"{w} {toks[i + 1]}")
        out.append(seen)
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(_WORDS), st.sampled_from([" ", " ", ". ", ", "])),
            max_size=12,
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 3),
)
def test_term_matrix_matches_a_naive_loop(docs: list[list[tuple[str, str]]], min_docs: int) -> None:
    texts = ["".join(w + sep for w, sep in d) for d in docs]
    naive = _naive_presence(texts)
    df = Counter(t for s in naive for t in s)
    tm = term_matrix(texts, min_docs=min_docs)
    kept = {t for t, n in df.items() if n >= min_docs}
    assert set(tm.terms.tolist()) == kept
    dense = tm.matrix.toarray()
    for j, term in enumerate(tm.terms.tolist()):
        assert [bool(x) for x in dense[:, j]] == [term in s for s in naive]
