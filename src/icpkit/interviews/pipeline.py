"""``icp interviews analyze`` as one library call: read, link, scrub, compare, theme, store.

The order matters for privacy: text is scrubbed right after linking (the linked account's own
name and domain become ``[account]``) and before anything is counted, so no term, theme or quote
can carry a name, email or phone number into the ICP file, the report or the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from icpkit.icp import ICP, Insights, SegmentInsights
from icpkit.interviews.analyze import Scope, distinctive_terms, term_matrix
from icpkit.interviews.link import link_interviews, require_links
from icpkit.interviews.read import CORE_QUESTIONS, FILE_NUMBERS_NOTE, Interview, read_interviews
from icpkit.interviews.scrub import Scrubber
from icpkit.interviews.themes import Corpus, build_themes, term_row

METHOD = (
    "log-odds ratio with an informative Dirichlet prior (interviews mentioning each word or "
    "two-word phrase); max-T permutation over every term, question (all, challenges, aha, "
    "results) and segment"
)
#: Segments with fewer analysed interviews than this get a caveat.
FEW_INTERVIEWS = 8


@dataclass
class InterviewAnalysis:
    """The insights to store, how each interview was linked, and every term's statistics.

    ``links`` names interviews by their shareable reference (``file #3 (.md)``), never by file
    name, and so do ``warnings``: both end up in terminals and files that get shared.
    """

    insights: Insights
    links: pl.DataFrame
    terms: pl.DataFrame
    threshold: float
    warnings: list[str] = field(default_factory=list)


def _interview_ids(links: pl.DataFrame) -> pl.DataFrame:
    """``<account id>/<n>`` for linked interviews: stable, and free of file names (and so names)."""
    return links.with_columns(
        pl.when(pl.col("link").is_not_null())
        .then(
            pl.format(
                "{}/{}",
                pl.col("account_id").fill_null("interview"),
                pl.int_range(1, pl.len() + 1).over(pl.col("account_id").fill_null("")),
            )
        )
        .alias("interview")
    )


@dataclass(frozen=True)
class _Sections:
    """Every question section of the linked interviews, scrubbed, with whose and which it is."""

    text: list[str]
    owner: np.ndarray
    question: np.ndarray
    scrubbed: list[str]  # each interview's sections joined (for quotes)


def analyze_interviews(
    interviews: Sequence[Interview],
    icp: ICP,
    accounts: pl.DataFrame | None = None,
    *,
    companies: Sequence[str] = (),
    names: Sequence[str] = (),
    keep: Sequence[str] = (),
    min_docs: int = 3,
    permutations: int = 200,
    alpha: float = 0.05,
    quotes: int = 3,
    seed: int = 0,
    notes: str | Path = "notes",
    today: date | None = None,
) -> InterviewAnalysis:
    """Link, scrub and compare interviews; themes per ICP segment for the ``insights`` section.

    ``companies`` are the company's own names to scrub, ``names`` extra personal names (e.g.
    from a contacts file), ``keep`` capitalised words never to scrub (product names).
    """
    links = link_interviews(interviews, accounts, icp)
    require_links(links, notes=str(notes), with_accounts=accounts is not None)
    links = _interview_ids(links)
    warnings = [
        f"{s}: links to no account; left out"
        for s in links.filter(pl.col("link").is_null())["file"]
    ]
    linked = links.filter(pl.col("link").is_not_null())
    chosen = [interviews[i] for i in linked["row"].to_list()]
    everyone = [n for iv in interviews for n in iv.names] + list(names)
    sections = _scrubbed_sections(chosen, linked, everyone, companies=companies, keep=keep)
    tm = term_matrix(sections.text, min_docs=min_docs)
    whole, scopes = _scopes(tm.matrix, sections, len(chosen))
    seg_ids = [s.id for s in icp.segments]
    seg_index = {s: i for i, s in enumerate(seg_ids)}
    labels = np.array([seg_index.get(s, -1) if s else -1 for s in linked["segment"].to_list()])
    dist = distinctive_terms(
        scopes,
        tm.terms,
        labels,
        seg_ids,
        min_docs=min_docs,
        permutations=permutations,
        alpha=alpha,
        seed=seed,
    )
    found = dist.table.filter(pl.col("distinctive"))
    corpus = _corpus(linked, sections, whole, tm.terms, found, labels, seg_ids)
    notes_out = []
    if (labels == -1).any():
        notes_out.append(
            f"{int((labels == -1).sum())} interview(s) of accounts in no segment are compared "
            "against only"
        )
    insights = Insights(
        analysed=today or date.today(),
        interviews=len(interviews),
        linked=len(chosen),
        accounts=len({a for a in corpus.accounts if a}),
        method=METHOD,
        permutations=permutations,
        alpha=alpha,
        segments=_segment_insights(dist.table, found, corpus, quotes=quotes),
        sources=list(corpus.interview_ids),
        notes=notes_out,
    )
    return InterviewAnalysis(
        insights=insights,
        links=links.select("file", "interview", "account_id", "segment", "link"),
        terms=dist.table,
        threshold=dist.threshold,
        warnings=warnings,
    )


def _scrubbed_sections(
    chosen: Sequence[Interview],
    linked: pl.DataFrame,
    everyone: Sequence[str],
    *,
    companies: Sequence[str],
    keep: Sequence[str],
) -> _Sections:
    """Every section of the linked interviews, scrubbed before anything is counted.

    Scrubbing comes first so no term, theme or quote can carry a name, email or phone number;
    the linked accounts' own names and domains become ``[account]``.
    """
    scrubber = Scrubber.for_corpus(
        (iv.text for iv in chosen), names=everyone, companies=companies, keep=keep
    )
    own = {a for row in linked.select("account_name", "account_domain").rows() for a in row if a}
    sec_raw: list[str] = []
    sec_interview: list[int] = []
    sec_question: list[str] = []
    for j, iv in enumerate(chosen):
        for q, text in iv.sections.items():
            sec_raw.append(text)
            sec_interview.append(j)
            sec_question.append(q)
    sec_text = scrubber.scrub_many(sec_raw, accounts=own)
    parts: list[list[str]] = [[] for _ in chosen]
    for j, clean in zip(sec_interview, sec_text, strict=True):
        parts[j].append(clean)
    return _Sections(
        text=sec_text,
        owner=np.asarray(sec_interview, dtype=np.int64),
        question=np.asarray(sec_question),
        scrubbed=[" ".join(p) for p in parts],
    )


def _scopes(
    matrix: sp.csr_matrix, sections: _Sections, n: int
) -> tuple[sp.csr_matrix, list[Scope]]:
    """Term presence per whole interview, and the scopes compared: all, then each core question.

    A term counts once per interview in "all" (any section mentioning it); per question it
    counts in that question's section.
    """
    owner = sections.owner
    agg = sp.csr_matrix(
        (np.ones(owner.size, dtype=np.float32), (owner, np.arange(owner.size))),
        shape=(n, owner.size),
    )
    whole = (agg @ matrix).tocsr()
    whole.data[:] = 1.0
    scopes = [Scope("all", whole, np.arange(n))]
    for q in CORE_QUESTIONS:
        idx = np.flatnonzero(sections.question == q)
        if idx.size:
            scopes.append(Scope(q, matrix[idx], owner[idx]))
    return whole, scopes


def _corpus(
    linked: pl.DataFrame,
    sections: _Sections,
    whole: sp.csr_matrix,
    terms: np.ndarray,
    found: pl.DataFrame,
    labels: np.ndarray,
    seg_ids: list[str],
) -> Corpus:
    """What themes are built from: which interviews mention each distinctive term, their
    segments, accounts, scrubbed text and the accounts' outcome metrics."""
    col_of = {t: i for i, t in enumerate(terms.tolist())}
    presence = {
        t: whole[:, col_of[t]].toarray().ravel() > 0 for t in found["term"].unique().to_list()
    }
    metric_cols = [c for c in linked.columns if c.startswith("outcome:")]
    return Corpus(
        presence=presence,
        labels=labels,
        segment_ids=seg_ids,
        interview_ids=linked["interview"].to_list(),
        accounts=linked["account_id"].to_list(),
        texts=sections.scrubbed,
        outcomes=linked.select(pl.col("account_id").alias("account"), *metric_cols),
    )


def _segment_insights(
    table: pl.DataFrame, found: pl.DataFrame, corpus: Corpus, *, quotes: int
) -> list[SegmentInsights]:
    """Per segment: how many interviews and accounts, its themes and top distinctive words,
    with a caveat when there are too few interviews to tell it apart."""
    per_segment: list[SegmentInsights] = []
    for g, sid in enumerate(corpus.segment_ids):
        members = corpus.labels == g
        accs = {a for a, m in zip(corpus.accounts, members, strict=True) if m and a}
        words = [
            term_row(r)
            for r in found.filter(pl.col("segment") == sid).head(15).iter_rows(named=True)
        ]
        caveat = None
        if members.sum() < FEW_INTERVIEWS:
            caveat = (
                f"only {int(members.sum())} interview(s): too few to tell what this segment "
                "says that others don't"
            )
        per_segment.append(
            SegmentInsights(
                segment=sid,
                interviews=int(members.sum()),
                accounts=len(accs),
                themes=build_themes(table, corpus, segment=sid, quotes=quotes),
                words=words,
                caveat=caveat,
            )
        )
    return per_segment


def analyze_folder(
    notes: str | Path,
    icp: ICP,
    accounts: pl.DataFrame | None = None,
    *,
    encoding: str | None = None,
    **options: object,
) -> InterviewAnalysis:
    """Read every interview under ``notes`` and analyse it (see :func:`analyze_interviews`)."""
    found = read_interviews(notes, encoding=encoding)
    result = analyze_interviews(found.interviews, icp, accounts, notes=notes, **options)  # type: ignore[arg-type]
    result.warnings[:0] = found.warnings
    if any(w.startswith("file #") for w in result.warnings):
        result.warnings.append(FILE_NUMBERS_NOTE)
    return result


def with_insights(icp: ICP, insights: Insights) -> ICP:
    """A copy of ``icp`` whose ``insights`` section is replaced."""
    return icp.model_copy(update={"insights": insights})


__all__ = ["METHOD", "InterviewAnalysis", "analyze_folder", "analyze_interviews", "with_insights"]
