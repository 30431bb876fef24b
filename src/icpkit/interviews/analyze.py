"""Distinctive words and phrases per segment: log-odds ratios with an informative Dirichlet prior.

What a segment's customers say that others do not is measured as in Monroe, Colaresi & Quinn
(2008, "Fightin' Words"), the log-odds ratio with an informative Dirichlet prior, applied to
*interviews that mention* a term: for a term *w*, a segment *g* with n_g interviews of which y_gw
mention *w*, and the other interviews *o*,

    δ_w = log((y_gw + α_w) / (n_g + α_0 − y_gw − α_w)) − log((y_ow + α_w) / (n_o + α_0 − y_ow − α_w))
    σ²_w = 1/(y_gw + α_w) + 1/(n_g + α_0 − y_gw − α_w) + 1/(y_ow + α_w) + 1/(n_o + α_0 − y_ow − α_w)

with α_w = α_0 · (share of all interviews mentioning *w*) and α_0 = :data:`PRIOR_INTERVIEWS`, so
rare terms shrink towards "no difference". Counting interviews, not occurrences, means one
talkative customer repeating a phrase cannot make it distinctive and every figure reads "k of n
interviews"; with counts out of tens of interviews the variance keeps the "does not mention"
terms that Monroe's large-corpus approximation drops. Terms are words and two-word phrases;
stop words and filler ("yeah", "kind of") and phrases that begin or end with one are left out,
and phrases never span a sentence break or a scrubbed placeholder.

Selection is counted in full: the same statistic is computed for every segment, every scope (all
of an interview, and each core question: challenges, aha, results) and every term, and the
largest z of the whole search is compared with the largest one on shuffled segment labels
(max-T permutation test). A term is distinctive when its z beats that null maximum in all but
``alpha`` of the permutations, so with no real difference nothing is distinctive in ``1 − alpha``
of analyses, however many terms, questions and segments were looked at.

Everything is vectorised: tokens and n-gram keys are polars/numpy columns, the term matrix is a
scipy CSR matrix, counts per segment are one sparse product and the statistic is numpy on the
whole (segments × terms) array.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

FILLER_WORDS = frozenset(
    {"yeah", "yes", "um", "uh", "like", "know", "really", "just", "lot", "kind", "sort"}
    | {"think", "mean", "got", "okay", "ok", "oh", "right", "gonna", "thing", "things"}
    | {"actually", "pretty", "stuff", "also", "basically", "honestly", "guess", "maybe"}
    | {"don't", "it's", "i'm", "we're", "that's", "they're", "didn't", "wasn't", "there's"}
    | {"we've", "i've", "you're", "can't", "doesn't", "won't", "isn't", "we'd", "i'd", "let's"}
    | {"said", "say", "says", "did", "does", "doing", "went", "get", "getting", "want"}
)
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | FILLER_WORDS
"""Words never counted alone and never at either end of a phrase."""

#: The prior's weight in interviews (α_0): a term's overall share, worth four more interviews.
PRIOR_INTERVIEWS = 4.0

_BREAK = "|"
_BREAKS = re.compile(
    r"\[(?:email|link|phone|person|company|account|name)\]|[.!?;:,()\"“”…|]|\s[-–—]+\s"
)
_TOKEN = r"\||[^\W_]+(?:['’-][^\W_]+)*"


@dataclass(frozen=True)
class TermMatrix:
    """Which texts (rows) mention which terms (columns), as a binary CSR matrix."""

    matrix: sp.csr_matrix
    terms: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


def term_matrix(texts: Sequence[str], *, min_docs: int = 2) -> TermMatrix:
    """Binary presence of words and two-word phrases mentioned in at least ``min_docs`` texts."""
    n = len(texts)
    frame = pl.DataFrame({"doc": np.arange(n, dtype=np.int64), "text": list(texts)})
    tokens = (
        frame.select(
            "doc",
            pl.col("text")
            .str.to_lowercase()
            .str.replace_all(_BREAKS.pattern, f" {_BREAK} ")
            .str.extract_all(_TOKEN)
            .alias("t"),
        )
        .explode("t")
        .drop_nulls("t")
    )
    if tokens.height == 0:
        return TermMatrix(sp.csr_matrix((n, 0), dtype=np.float32), np.array([], dtype=object))
    vocab = tokens.select(pl.col("t").unique().sort()).with_row_index("id", offset=1)
    ids_frame = tokens.join(vocab, on="t", how="left", maintain_order="left")
    doc = ids_frame["doc"].to_numpy()
    ids = ids_frame["id"].to_numpy().astype(np.int64)
    words = vocab["t"]
    stop = np.r_[True, words.is_in([*STOP_WORDS, _BREAK]).to_numpy()]  # id 0 unused
    v = int(ids.max()) + 1
    ok1 = ~stop[ids]
    same = np.r_[doc[1:] == doc[:-1], False]
    nxt = np.r_[ids[1:], 0]
    ok2 = same & ok1 & ~stop[nxt]
    keys = np.concatenate([ids[ok1], ids[ok2] * v + nxt[ok2]])
    docs = np.concatenate([doc[ok1], doc[ok2]])
    if keys.size == 0:
        return TermMatrix(sp.csr_matrix((n, 0), dtype=np.float32), np.array([], dtype=object))
    span = v * v
    pairs = np.sort(docs * span + keys)  # np.sort + diff: far faster than np.unique here
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    pdoc, pkey = pairs // span, pairs % span
    sorted_keys = np.sort(pkey)
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    uniq = sorted_keys[starts]
    counts = np.diff(np.r_[np.flatnonzero(starts), sorted_keys.size])
    kept = uniq[counts >= min_docs]
    if kept.size == 0:
        return TermMatrix(sp.csr_matrix((n, 0), dtype=np.float32), np.array([], dtype=object))
    col = np.searchsorted(kept, pkey)
    hit = kept[np.minimum(col, kept.size - 1)] == pkey
    m = sp.csr_matrix(
        (np.ones(int(hit.sum()), dtype=np.float32), (pdoc[hit], col[hit])),
        shape=(n, kept.size),
    )
    first, second = kept // v, kept % v
    w = words.to_numpy().astype(object)
    names = np.where(first == 0, w[second - 1], w[first - 1] + " " + w[second - 1])
    return TermMatrix(m, names)


def log_odds(
    y_group: np.ndarray,
    n_group: np.ndarray,
    y_total: np.ndarray,
    n_total: int,
    *,
    prior: float = PRIOR_INTERVIEWS,
) -> tuple[np.ndarray, np.ndarray]:
    """δ and its standard error for each group (rows of ``y_group``) against all other texts.

    ``y_group`` is (groups × terms) counts of texts mentioning each term, ``n_group`` the
    number of texts per group, ``y_total`` / ``n_total`` the same over every text. The prior
    is worth ``prior`` texts, spread as the term's share of all texts (α_w = α_0 · y_w / n).
    """
    y_total = np.asarray(y_total, dtype=np.float64)
    a0 = float(prior)
    a = a0 * y_total / max(float(n_total), 1.0)
    yg = np.asarray(y_group, dtype=np.float64)
    ng = np.asarray(n_group, dtype=np.float64).reshape(-1, 1)
    yo = y_total[None, :] - yg
    no = float(n_total) - ng
    tiny = 1e-9  # a term absent from every text has α = 0: its δ is 0, never a finding
    hit_g, miss_g = np.maximum(yg + a, tiny), np.maximum(ng + a0 - yg - a, tiny)
    hit_o, miss_o = np.maximum(yo + a, tiny), np.maximum(no + a0 - yo - a, tiny)
    delta = np.log(hit_g) - np.log(miss_g) - (np.log(hit_o) - np.log(miss_o))
    se = np.sqrt(1.0 / hit_g + 1.0 / miss_g + 1.0 / hit_o + 1.0 / miss_o)
    return delta, se


@dataclass(frozen=True)
class Scope:
    """One place terms are compared: whole interviews, or the answers to one question."""

    name: str
    matrix: sp.csr_matrix  # (texts in scope × terms), binary
    interview: np.ndarray  # the interview each row belongs to


def _counts(xt: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """(k × terms) counts of texts per group; label -1 is 'no segment' (only in the totals)."""
    onehot = np.zeros((labels.size, k), dtype=np.float32)
    sel = labels >= 0
    onehot[np.flatnonzero(sel), labels[sel]] = 1.0
    return np.ascontiguousarray((xt @ onehot).T)


def _z(
    y: np.ndarray, n_group: np.ndarray, y_total: np.ndarray, n: int, min_docs: int
) -> np.ndarray:
    """z of every (group, term); -inf where the group has too few mentions or fewer than others.

    Only candidates are computed: a share above the others' and ``min_docs`` mentions. Most
    (group, term) pairs of a long vocabulary are neither, and the logs are the cost.
    """
    ng = np.asarray(n_group, dtype=np.float64).reshape(-1, 1)
    # a share above the others': y / n_g > (y_total − y) / (n − n_g)  ⟺  y · n > y_total · n_g
    cand = (y >= min_docs) & (y * float(n) > y_total[None, :] * ng)
    z = np.full(y.shape, -np.inf)
    g, j = np.nonzero(cand)
    if g.size:
        delta, se = _pairs(y[g, j], ng[g, 0], y_total[j], n)
        zz = delta / se
        zz[delta <= 0] = -np.inf
        z[g, j] = zz
    return z


def _pairs(
    yg: np.ndarray, ng: np.ndarray, y_total: np.ndarray, n: int, prior: float = PRIOR_INTERVIEWS
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`log_odds` for flat arrays of (group count, group size, term total) triples."""
    a0 = float(prior)
    a = a0 * y_total / max(float(n), 1.0)
    yo, no = y_total - yg, float(n) - ng
    tiny = 1e-9
    hit_g, miss_g = np.maximum(yg + a, tiny), np.maximum(ng + a0 - yg - a, tiny)
    hit_o, miss_o = np.maximum(yo + a, tiny), np.maximum(no + a0 - yo - a, tiny)
    delta = np.log(hit_g * miss_o / (miss_g * hit_o))
    se = np.sqrt(1.0 / hit_g + 1.0 / miss_g + 1.0 / hit_o + 1.0 / miss_o)
    return delta, se


@dataclass(frozen=True)
class Distinctive:
    """Every candidate term's statistics and the null maxima it was judged against."""

    table: pl.DataFrame
    null_max: np.ndarray
    threshold: float


@dataclass(frozen=True)
class _Candidates:
    """A scope restricted to the terms that can ever be candidates in it (``min_docs`` texts)."""

    scope: Scope
    xt: sp.csr_matrix  # (terms × texts), the kept columns only
    y_total: np.ndarray  # texts mentioning each kept term
    cols: np.ndarray  # the kept terms' indexes into the vocabulary


_TERM_SCHEMA = {
    "segment": pl.String,
    "scope": pl.String,
    "term": pl.String,
    "mentions": pl.Int64,
    "interviews": pl.Int64,
    "others_mentions": pl.Int64,
    "others_interviews": pl.Int64,
    "log_odds": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "z": pl.Float64,
    "p_value": pl.Float64,
}


def distinctive_terms(
    scopes: Sequence[Scope],
    terms: np.ndarray,
    labels: np.ndarray,
    segments: Sequence[str],
    *,
    min_docs: int = 3,
    permutations: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
    keep: int = 40,
) -> Distinctive:
    """Terms each segment's interviews mention more than the others, with max-T adjusted p.

    ``labels`` gives each interview's segment index (``-1``: in no segment, compared against
    only). The table keeps the ``keep`` best-z terms per segment and scope; ``distinctive`` is
    ``p_value <= alpha``. Shares are of the interviews in the scope (that answered the question).
    """
    labels = np.asarray(labels, dtype=np.int64)
    prepared = _candidates(scopes, min_docs)
    null_max = _null_maxima(prepared, labels, len(segments), permutations, seed, min_docs)
    finite = null_max[np.isfinite(null_max)]
    # No testable term (none mentioned by ``min_docs`` interviews): nothing can be distinctive,
    # and a threshold of 0 read as "every term that leans one way" (z ≥ 0.00).
    threshold = float(np.quantile(finite, 1 - alpha)) if finite.size else math.inf
    rows: list[pl.DataFrame] = []
    for c in prepared:
        rows += _scope_rows(c, labels, terms, segments, null_max, min_docs=min_docs, keep=keep)
    table = pl.concat(rows) if rows else pl.DataFrame(schema=_TERM_SCHEMA)
    table = table.with_columns((pl.col("p_value") <= alpha).alias("distinctive"))
    return Distinctive(table.sort(["segment", "z"], descending=[False, True]), null_max, threshold)


def _candidates(scopes: Sequence[Scope], min_docs: int) -> list[_Candidates]:
    """Each non-empty scope with its possible candidate terms.

    A term mentioned in fewer than ``min_docs`` texts of a scope is never a candidate, whatever
    the labels: leaving it out of every permutation pass is most of the speed (most phrases,
    per question).
    """
    prepared = []
    for s in scopes:
        y_all = np.asarray(s.matrix.sum(axis=0), dtype=np.float64).ravel()
        cols = np.flatnonzero(y_all >= min_docs)
        if cols.size == 0 or s.matrix.shape[0] == 0:
            continue
        prepared.append(_Candidates(s, s.matrix[:, cols].T.tocsr(), y_all[cols], cols))
    return prepared


def _null_maxima(
    prepared: Sequence[_Candidates],
    labels: np.ndarray,
    k: int,
    permutations: int,
    seed: int,
    min_docs: int,
) -> np.ndarray:
    """The largest z over every term, scope and segment under each permutation of the labels.

    Judging each observed z against these maxima (max-T) adjusts for every comparison made.
    """
    rng = np.random.default_rng(seed)
    null_max = np.full(permutations, -np.inf)
    for b in range(permutations):
        perm = rng.permutation(labels)
        for c in prepared:
            lab = perm[c.scope.interview]
            n_group = np.bincount(lab[lab >= 0], minlength=k)
            z = _z(_counts(c.xt, lab, k), n_group, c.y_total, c.scope.matrix.shape[0], min_docs)
            null_max[b] = max(null_max[b], float(z.max(initial=-np.inf)))
    return null_max


def _scope_rows(
    c: _Candidates,
    labels: np.ndarray,
    terms: np.ndarray,
    segments: Sequence[str],
    null_max: np.ndarray,
    *,
    min_docs: int,
    keep: int,
) -> list[pl.DataFrame]:
    """The ``keep`` best-z terms per segment in one scope, with counts, log-odds, CI and p."""
    k = len(segments)
    permutations = null_max.size
    s = c.scope
    lab = labels[s.interview]
    y = _counts(c.xt, lab, k)
    n_group = np.bincount(lab[lab >= 0], minlength=k).astype(np.float64)
    delta, se = log_odds(y, n_group, c.y_total, s.matrix.shape[0])
    z = _z(y, n_group, c.y_total, s.matrix.shape[0], min_docs)
    n_all = float(s.matrix.shape[0])
    rows: list[pl.DataFrame] = []
    for g in range(k):
        order = np.argsort(-z[g])[:keep]
        order = order[np.isfinite(z[g, order])]
        if order.size == 0:
            continue
        exceed = (null_max[None, :] >= z[g, order][:, None]).sum(axis=1)
        rows.append(
            pl.DataFrame(
                {
                    "segment": [segments[g]] * order.size,
                    "scope": [s.name] * order.size,
                    "term": terms[c.cols[order]].tolist(),
                    "mentions": y[g, order].astype(np.int64),
                    "interviews": np.full(order.size, int(n_group[g])),
                    "others_mentions": (c.y_total[order] - y[g, order]).astype(np.int64),
                    "others_interviews": np.full(order.size, int(n_all - n_group[g])),
                    "log_odds": delta[g, order],
                    "ci_low": delta[g, order] - 1.96 * se[g, order],
                    "ci_high": delta[g, order] + 1.96 * se[g, order],
                    "z": z[g, order],
                    "p_value": (1 + exceed) / (1 + permutations),
                }
            )
        )
    return rows


__all__ = [
    "FILLER_WORDS",
    "PRIOR_INTERVIEWS",
    "STOP_WORDS",
    "Distinctive",
    "Scope",
    "TermMatrix",
    "distinctive_terms",
    "log_odds",
    "term_matrix",
]
