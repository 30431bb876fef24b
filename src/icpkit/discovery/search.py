"""The subgroup search: a beam search over conjunctions of traits, refined and pruned, run as
sequential covering whose every step is calibrated on shuffled outcomes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from icpkit.criteria import Criterion, Operator
from icpkit.discovery.masks import (
    combine_bands,
    criteria_mask,
    possible_mask,
    with_evidence,
)
from icpkit.discovery.traits import TraitSet, nice_grid
from icpkit.evidence import TraitStats, fisher_two_sided, trait_stats

if TYPE_CHECKING:
    from icpkit.discovery.config import SearchConfig


@dataclass
class Subgroup:
    traits: tuple[int, ...]
    cover: np.ndarray
    n: int
    n_best: int
    quality: float


@dataclass
class FoundSegment:
    criteria: list[Criterion]
    cover: np.ndarray
    quality: float
    p_value: float


def quality(n: np.ndarray, nb: np.ndarray, p0: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.sqrt(n) * (nb / np.maximum(n, 1) - p0), -np.inf)


class _Columns:
    """Per-frame cache of criterion masks and column encodings for repeated searches.

    The calibration re-runs refinement and pruning on every shuffle; the masks of unchanged
    criteria and the integer codes of categorical columns are the same each time.
    """

    def __init__(self, frame: pl.DataFrame, traits: TraitSet | None = None) -> None:
        self.frame = frame
        # Criteria already evaluated as traits (same expression, unknown = not met): their
        # masks are columns of the trait matrix, copied out when first asked for.
        self._trait_at: dict[Criterion, int] = {}
        self._traits = traits
        if traits is not None:
            self._trait_at = {
                c: i
                for i, c in enumerate(traits.criteria)
                if c.operator is not Operator.WITHIN_DAYS  # evaluated as of a given day
            }
        self._masks: dict[Criterion, np.ndarray] = {}
        self._known: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._numeric: dict[str, np.ndarray] = {}

    def mask(self, c: Criterion) -> np.ndarray:
        key = c.model_copy(update={"evidence": None}) if c.evidence is not None else c
        m = self._masks.get(key)
        if m is None:
            m = self._direct(c)
            at = self._trait_at.get(key) if m is None else None
            if at is not None and self._traits is not None:
                m = np.ascontiguousarray(self._traits.has[:, at])
            elif m is None:
                m = criteria_mask(self.frame, [c])
            if len(self._masks) < 4096:
                self._masks[key] = m
        return m

    def _direct(self, c: Criterion) -> np.ndarray | None:
        """Bands and value sets straight from cached arrays (same result as ``Criterion.expr``)."""
        dtype = self.frame.schema[c.column]
        if c.operator is Operator.BETWEEN and dtype.is_numeric():
            x = self.numeric(c.column)
            lo, hi = c.between or (None, None)
            with np.errstate(invalid="ignore"):
                out = ~np.isnan(x)
                if lo is not None:
                    out &= x >= lo
                if hi is not None:
                    out &= x < hi
            return out
        if c.operator is Operator.IN and dtype == pl.String:
            values, codes = self.codes(c.column)
            return np.isin(codes, np.flatnonzero(np.isin(values, list(c.in_ or ()))))
        return None

    def known(self, c: Criterion) -> np.ndarray:
        """Whether ``c`` can be decided for each account (its inputs are not missing).

        Every criterion's expression is null exactly where its column is (and, for a window
        before another date column, where that one is): comparisons, ``is_in``, list tests and
        date differences all keep a null input null. Refined edges and value sets, new on every
        shuffle, so share one mask per column instead of a polars query each.
        """
        m = self._not_null(c.column)
        if c.operator is Operator.WITHIN_DAYS and c.before:
            m = m & self._not_null(c.before)
        return m

    def _not_null(self, column: str) -> np.ndarray:
        m = self._known.get(column)
        if m is None:
            m = self.frame.get_column(column).is_not_null().to_numpy()
            self._known[column] = m
        return m

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Distinct non-null values and each account's index into them (-1 where null)."""
        if column not in self._codes:
            s = self.frame.get_column(column)
            values = s.drop_nulls().unique().sort()
            codes = s.cast(pl.String).replace_strict(
                values.cast(pl.String), pl.int_range(len(values), eager=True), default=-1
            )
            self._codes[column] = (
                np.asarray(values.cast(pl.String).to_list(), dtype=object),
                codes.cast(pl.Int64).to_numpy(),
            )
        return self._codes[column]

    def numeric(self, column: str) -> np.ndarray:
        if column not in self._numeric:
            self._numeric[column] = self.frame.get_column(column).cast(pl.Float64).to_numpy()
        return self._numeric[column]


def beam_search(
    H: np.ndarray,
    y: np.ndarray,
    population: np.ndarray,
    columns: Sequence[str],
    kinds: Sequence[str],
    config: SearchConfig,
) -> tuple[Subgroup | None, int]:
    """Best conjunction of traits (columns of ``H``) for target ``y`` within ``population``.

    Returns the subgroup and the number of conjunctions evaluated (for the multiple-testing
    correction).
    """
    return beam_search_many(TraitColumns(H, columns, kinds), y[:, None], population, config)[0]


class TraitColumns:
    """The trait matrix and what the beam asks about its columns, made once per search.

    The calibration runs the beam on dozens of shuffled outcomes over the same traits; which
    traits may join which (one trait per column, free tech-stack items, the two sides of a
    band) does not depend on the outcome.
    """

    def __init__(self, H: np.ndarray, columns: Sequence[str], kinds: Sequence[str]) -> None:
        self.H = H
        col_names, col_ids = np.unique(np.asarray(columns, dtype=object), return_inverse=True)
        self.col_ids = np.asarray(col_ids, dtype=np.int64).ravel()
        self.n_cols = len(col_names)
        kind = np.asarray(kinds, dtype=object)
        # Items of a multi-valued column (a tech stack) combine freely ("has X, lacks Y").
        self.free = np.isin(kind, ("has", "lacks"))
        # +1 / -1 for the lower / upper side of a numeric band, 0 for anything else.
        self.band = (kind == "ge").astype(np.int8) - (kind == "lt").astype(np.int8)

    def allowed(self, T: np.ndarray) -> np.ndarray:
        """Which traits may join each beam member (rows of ``T``, its traits): another
        column, a tech-stack item, or the other side of a numeric band (a column may appear
        twice only as the two sides of a band)."""
        rows = np.arange(T.shape[0])[:, None]
        used = self.col_ids[T]
        in_use = np.zeros((T.shape[0], self.n_cols), dtype=bool)
        in_use[rows, used] = True
        allowed = ~in_use[:, self.col_ids] | self.free
        allowed[rows, T] = False
        for i in range(T.shape[1]):
            side = self.band[T[:, i]]
            alone = (used == used[:, i : i + 1]).sum(axis=1) == 1
            r = np.flatnonzero((side != 0) & alone)
            if len(r):
                allowed[r] |= (self.col_ids == used[r, i][:, None]) & (
                    self.band == -side[r][:, None]
                )
        return allowed


#: Bytes of the per-level product's left operand (2 rows of accounts per beam member) when
#: several searches run at once; more label vectors are searched one batch after another.
_BATCH_BYTES = 64 << 20


def beam_search_many(
    traits: TraitColumns,
    Y: np.ndarray,
    population: np.ndarray,
    config: SearchConfig,
) -> list[tuple[Subgroup | None, int]]:
    """:func:`beam_search` for every column of ``Y`` (n × m label vectors), same results.

    The calibration searches dozens of shuffled outcomes over the same traits. Run together,
    each level of every search is one matrix product, and the bookkeeping of all beam members
    (which traits may join, which extensions improve, the next beam) is done on whole arrays
    instead of member by member in Python. Ties are broken exactly as a single search does.
    """
    # threadpoolctl comes with scikit-learn. One BLAS thread: these products are too small to
    # gain from a second one, and on a busy 2-core machine OpenBLAS threads that wait on each
    # other made the search up to 40x slower (0.4 s instead of 0.01 s) at random.
    from icpkit.discovery.significance import one_blas_thread

    m = Y.shape[1]
    n_pop = int(population.sum())
    if n_pop == 0:
        return [(None, 0)] * m
    step = max(1, _BATCH_BYTES // (8 * config.beam_width * max(len(population), 1)))
    out: list[tuple[Subgroup | None, int]] = []
    with one_blas_thread():
        for i in range(0, m, step):
            out += _Beams(traits, Y[:, i : i + step], population, n_pop, config).run()
    return out


class _Beams:
    """The beams of several label vectors (lanes), advanced level by level together.

    A beam is held as rows of arrays: its members' traits (``T``, sorted), lane, size,
    best customers, quality and cover, members of a lane in beam order.
    """

    def __init__(
        self,
        traits: TraitColumns,
        Y: np.ndarray,
        population: np.ndarray,
        n_pop: int,
        config: SearchConfig,
    ) -> None:
        self.traits, self.config, self.population = traits, config, population
        self.H = traits.H
        self.Y = Y & population[:, None]
        self.YT = np.ascontiguousarray(self.Y.T)  # lanes × accounts
        self.lanes = Y.shape[1]
        # Exactly as one search computes them: the base rate as a Python float, compared in
        # the counts' float32 (NumPy casts a Python float to the array's type).
        p0 = [int(c) / n_pop for c in self.Y.sum(axis=0)]
        self.p0 = np.asarray(p0, dtype=np.float64).astype(np.float32)
        self.min_n = max(config.min_best, int(config.min_support * n_pop))
        self.evaluated = np.zeros(self.lanes, dtype=np.int64)
        self.best: list[Subgroup | None] = [None] * self.lanes

    def run(self) -> list[tuple[Subgroup | None, int]]:
        beam = self._first()
        for _depth in range(1, self.config.max_depth):
            if len(beam[0]) == 0:
                break
            beam = self._extend(*beam)
        return [(self.best[i], int(self.evaluated[i])) for i in range(self.lanes)]

    def _first(self) -> tuple[np.ndarray, ...]:
        H, cfg = self.H, self.config
        # Vector-matrix products (BLAS is much slower on a two-column matrix product).
        n_all = self.population.astype(np.float32) @ H
        n_best = self.YT.astype(np.float32) @ H if self.lanes > 1 else None
        ok_n = n_all >= self.min_n
        T, lane, nn, nb, qs = [], [], [], [], []
        self.evaluated += H.shape[1]
        for i in range(self.lanes):
            b = n_best[i] if n_best is not None else self.YT[0].astype(np.float32) @ H
            q = quality(n_all, b, float(self.p0[i]))
            q = np.where(ok_n & (b >= cfg.min_best), q, -np.inf)
            for j in np.argsort(-q)[: cfg.beam_width]:
                if not np.isfinite(q[j]) or q[j] <= 0:
                    break
                T.append(int(j))
                lane.append(i)
                nn.append(int(n_all[j]))
                nb.append(int(b[j]))
                qs.append(float(q[j]))
        return self._members(
            np.asarray(T, dtype=np.int64).reshape(-1, 1),
            np.asarray(lane, dtype=np.int64),
            np.asarray(nn, dtype=np.int64),
            np.asarray(nb, dtype=np.int64),
            np.asarray(qs, dtype=np.float64),
        )

    def _members(
        self, T: np.ndarray, lane: np.ndarray, nn: np.ndarray, nb: np.ndarray, q: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """The beam's rows with their covers; each lane's first member may become its best."""
        cover = _covers_of(self.H, self.population, T)
        starts = np.flatnonzero(np.r_[True, lane[1:] != lane[:-1]]) if len(lane) else lane
        for r in starts:
            i = int(lane[r])
            cur = self.best[i]
            if cur is None or q[r] > cur.quality:
                key = tuple(int(t) for t in T[r])
                self.best[i] = Subgroup(key, cover[r], int(nn[r]), int(nb[r]), float(q[r]))
        return T, lane, nn, nb, q, cover

    def _extend(
        self,
        T: np.ndarray,
        lane: np.ndarray,
        nn: np.ndarray,
        nb: np.ndarray,
        q: np.ndarray,
        cover: np.ndarray,
    ) -> tuple[np.ndarray, ...]:
        """One more trait for every member: the next beam of every lane."""
        cfg, H = self.config, self.H
        width = cfg.beam_width
        R = len(lane)
        # One product per level, laid out (2R × accounts) @ (accounts × traits) so that both
        # operands are row-major: rows 2r and 2r+1 are the best and all accounts of member r.
        Wt = np.empty((2 * R, H.shape[0]), dtype=np.float32)
        np.logical_and(cover, self.YT[lane], out=Wt[0::2], casting="unsafe")
        Wt[1::2] = cover
        C = Wt @ H
        c_best, c_all = C[0::2], C[1::2]
        qq = quality(c_all, c_best, self.p0[lane][:, None])
        allowed = self.traits.allowed(T)
        # Every candidate looked at counts as a hypothesis tested, kept or not.
        per_member = allowed.sum(axis=1)
        self.evaluated += np.bincount(lane, weights=per_member, minlength=self.lanes).astype(
            np.int64
        )
        # Adding a trait must improve on its parent (compared in float32, as one search does).
        bar = (q * 1.001).astype(np.float32)[:, None]
        valid = (
            (c_all >= self.min_n)
            & (c_best >= cfg.min_best)
            & (c_all < nn[:, None])
            & allowed
            & (qq > bar)
        )
        rows, js = np.nonzero(valid)
        counts = valid.sum(axis=1)
        over = np.flatnonzero(counts > width)
        if len(over):
            # Only a member's best beam_width extensions can enter the next beam, chosen (and
            # ordered) exactly as a single search chooses them.
            starts = np.cumsum(counts) - counts
            pos = np.arange(len(js)) - np.repeat(starts, counts)
            keep = np.ones(len(js), dtype=bool)
            extra_r, extra_j, extra_pos = [], [], []
            for r in over:
                s, e = int(starts[r]), int(starts[r] + counts[r])
                cand = js[s:e]
                chosen = cand[np.argpartition(-qq[r, cand], width - 1)[:width]]
                keep[s:e] = False
                extra_r.append(np.full(width, r))
                extra_j.append(chosen)
                extra_pos.append(np.arange(width))
            rows = np.concatenate([rows[keep], *extra_r])
            js = np.concatenate([js[keep], *extra_j])
            pos = np.concatenate([pos[keep], *extra_pos])
            order = np.lexsort((pos, rows))
            rows, js = rows[order], js[order]
        if len(js) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return (
                np.zeros((0, T.shape[1] + 1), dtype=np.int64),
                empty,
                empty,
                empty,
                np.zeros(0),
                np.zeros((0, H.shape[0]), dtype=bool),
            )
        keys = np.sort(np.column_stack([T[rows], js]), axis=1)
        # The same conjunction reached from two members has the same counts and quality: the
        # first one generated stands for it (its place decides ties, as in a single search).
        first = _first_of(keys, lane[rows], H.shape[1])
        c_lane = lane[rows[first]]
        c_q = qq[rows[first], js[first]].astype(np.float64)
        order = np.lexsort((first, -c_q, c_lane))
        c_lane = c_lane[order]
        rank = np.arange(len(order)) - np.searchsorted(c_lane, c_lane)
        take = order[rank < width]
        pick = first[take]
        r_, j_ = rows[pick], js[pick]
        return self._members(
            keys[pick],
            lane[r_],
            c_all[r_, j_].astype(np.int64),
            c_best[r_, j_].astype(np.int64),
            qq[r_, j_].astype(np.float64),
        )


def _first_of(keys: np.ndarray, lane: np.ndarray, k: int) -> np.ndarray:
    """Index of the first row of every distinct (lane, key) pair, in order of first rows."""
    width = keys.shape[1]
    lanes = int(lane.max()) + 1
    if float(k) ** width * lanes < 2.0**62:
        code = lane.astype(np.int64)
        for c in range(width):
            code = code * k + keys[:, c]
        _, first = np.unique(code, return_index=True)
    else:
        _, first = np.unique(np.column_stack([lane, keys]), axis=0, return_index=True)
    return np.sort(first)


def _covers_of(H: np.ndarray, population: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The accounts in ``population`` that have every trait of each row of ``T``."""
    # Gather the traits the beam uses in one pass over H, then AND contiguous rows: H is
    # row-major (accounts × traits), so reading whole columns one by one is slow.
    used, at = np.unique(T, return_inverse=True)
    at = at.reshape(T.shape)
    rows = np.ascontiguousarray(np.take(H, used, axis=1).T > 0)
    out = np.empty((T.shape[0], H.shape[0]), dtype=bool)
    np.logical_and(rows[at[:, 0]], population, out=out)
    for c in range(1, T.shape[1]):
        out &= rows[at[:, c]]
    return out


@functools.cache
def _pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(m, k=1)``, made once per size (refinement asks on every shuffle)."""
    i, j = np.triu_indices(m, k=1)
    i.setflags(write=False)
    j.setflags(write=False)
    return i, j


def _refine_numeric(
    frame: pl.DataFrame,
    crit: Criterion,
    rest: np.ndarray,
    y: np.ndarray,
    p0: float,
    min_n: int,
    tried: list[int],
    cols: _Columns | None = None,
) -> Criterion:
    """Best band on a grid of nice numbers, holding the other criteria fixed.

    Appends the number of bands tried to ``tried``: they count as hypotheses tested.
    """
    x = (cols or _Columns(frame)).numeric(crit.column)
    sel = rest & ~np.isnan(x)
    if sel.sum() < min_n:
        return crit
    xs = x[sel]
    ys = y[sel]
    lo_q, hi_q = np.quantile(xs, [0.005, 0.995])
    grid = np.asarray(nice_grid(float(lo_q), float(hi_q)))
    if len(grid) == 0:
        return crit
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    cum_b = np.concatenate([[0], np.cumsum(ys)])
    # Edge candidates: -inf, grid..., +inf  (positions in the sorted values).
    pos = np.concatenate([[0], np.searchsorted(xs, grid, side="left"), [len(xs)]])
    edges = np.concatenate([[-np.inf], grid, [np.inf]])
    i, j = _pairs(len(pos))
    tried.append(len(i))
    nn = pos[j] - pos[i]
    nb = cum_b[pos[j]] - cum_b[pos[i]]
    qq = np.where(nn >= min_n, quality(nn.astype(float), nb.astype(float), p0), -np.inf)
    best = int(np.argmax(qq))
    if not np.isfinite(qq[best]):
        return crit
    lo = None if np.isinf(edges[i[best]]) else float(edges[i[best]])
    hi = None if np.isinf(edges[j[best]]) else float(edges[j[best]])
    if lo is None and hi is None:
        return crit
    return crit.model_copy(update={"between": (lo, hi)})


def _refine_categorical(
    frame: pl.DataFrame,
    crit: Criterion,
    rest: np.ndarray,
    y: np.ndarray,
    p0: float,
    min_n: int,
    max_values: int = 6,
    cols: _Columns | None = None,
) -> Criterion:
    """Greedily add or drop values while the subgroup quality clearly improves.

    A value joins only if it is itself well supported (``min_n / 4`` accounts) and lifts the
    quality by at least 1%: value lists are meant to read as one idea ("saas or fintech"), not
    to enumerate every value that happens to help a little. At most ``max_values`` values.
    """
    all_values, codes = (cols or _Columns(frame)).codes(crit.column)
    sel = rest & (codes >= 0)
    vn = np.bincount(codes[sel], minlength=len(all_values)).astype(float)
    vb = np.bincount(codes[sel & y], minlength=len(all_values)).astype(float)
    present = vn > 0
    values, vn, vb = all_values[present], vn[present], vb[present]
    if len(values) == 0:
        return crit
    current = np.isin(values, list(crit.in_ or ()))
    eligible = vn >= max(1, min_n // 4)

    def q(n: np.ndarray, nb: np.ndarray) -> np.ndarray:
        return np.where(n >= min_n, quality(n, nb, p0), -np.inf)

    cur_q = float(q(np.array([vn[current].sum()]), np.array([vb[current].sum()]))[0])
    for _ in range(2 * max_values):
        n0, b0 = vn[current].sum(), vb[current].sum()
        add_q = np.where(~current & eligible, q(n0 + vn, b0 + vb), -np.inf)
        if current.sum() >= max_values:
            add_q[:] = -np.inf
        drop_q = (
            np.where(current, q(n0 - vn, b0 - vb), -np.inf)
            if current.sum() > 1
            else (np.full(len(vn), -np.inf))
        )
        i_add, i_drop = int(np.argmax(add_q)), int(np.argmax(drop_q))
        best_q = max(add_q[i_add], drop_q[i_drop])
        if not np.isfinite(best_q) or best_q <= cur_q + 0.01 * abs(cur_q):
            break
        if add_q[i_add] >= drop_q[i_drop]:
            current[i_add] = True
        else:
            current[i_drop] = False
        cur_q = float(best_q)
    chosen = tuple(sorted(str(x) for x in values[current]))
    if not chosen:
        return crit
    return crit.model_copy(update={"in_": chosen})


def prune(
    frame: pl.DataFrame,
    crits: list[Criterion],
    y: np.ndarray,
    population: np.ndarray,
    alpha: float,
    cols: _Columns | None = None,
) -> list[Criterion]:
    """Drop criteria that do not matter given the others (conditional Fisher test).

    The beam accepts any trait that nudges quality up; a must-have has to earn its place.
    """
    cols = cols or _Columns(frame)
    crits = list(crits)
    changed = True
    while changed and len(crits) > 1:
        changed = False
        masks = [cols.mask(c) for c in crits]
        worst_i, worst_p = -1, -1.0
        for i in range(len(crits)):
            rest = population.copy()
            for j, m in enumerate(masks):
                if j != i:
                    rest &= m
            a = int((rest & masks[i] & y).sum())
            b = int((rest & masks[i] & ~y).sum())
            c = int((rest & ~masks[i] & y).sum())
            d = int((rest & ~masks[i] & ~y).sum())
            p = float(
                fisher_two_sided(np.array([a]), np.array([b]), np.array([c]), np.array([d]))[0]
            )
            helps = (a / max(a + b, 1)) > (c / max(c + d, 1))
            if not helps:
                p = 1.0
            if p > worst_p:
                worst_i, worst_p = i, p
        if worst_p > alpha:
            del crits[worst_i]
            changed = True
    return crits


def refine(
    frame: pl.DataFrame,
    crits: list[Criterion],
    y: np.ndarray,
    population: np.ndarray,
    p0: float,
    min_n: int,
    rounds: int = 2,
    cols: _Columns | None = None,
) -> tuple[list[Criterion], int]:
    """Refine numeric edges and value sets; returns the criteria and the candidates tried."""
    cols = cols or _Columns(frame)
    tried: list[int] = []
    crits = combine_bands(crits)
    masks = [cols.mask(c) for c in crits]
    for _ in range(rounds):
        for i, c in enumerate(crits):
            rest = population.copy()
            for j, m in enumerate(masks):
                if j != i:
                    rest &= m
            if c.operator is Operator.BETWEEN:
                new = _refine_numeric(frame, c, rest, y, p0, min_n, tried, cols)
            elif c.operator is Operator.IN:
                new = _refine_categorical(frame, c, rest, y, p0, min_n, cols=cols)
            else:
                continue
            if new != c:
                crits[i] = new
                masks[i] = cols.mask(new)
    return crits, sum(tried)


@dataclass
class _Step:
    """What one complete search step selected, and the statistics its calibration compares."""

    crits: list[Criterion]
    cover: np.ndarray
    quality: float
    # -log of the one-sided hypergeometric p of best customers in the cover, within the accounts
    # still in play; 0 when the cover fails the segment rules (too few best, too little lift).
    stat: float
    # -log of each criterion's own Fisher p (best against worst, whole base): what its evidence
    # prints, calibrated against the largest such value the search produces on shuffles.
    crit_stats: np.ndarray
    crit_raw_p: np.ndarray
    evaluated: int


def _search_step(
    frame: pl.DataFrame,
    traits: TraitColumns,
    seg_crits: Sequence[Criterion],
    best: np.ndarray,
    worst: np.ndarray,
    population: np.ndarray,
    disqualified: np.ndarray,
    cfg: SearchConfig,
    min_n: int,
    cols: _Columns | None = None,
    beam: tuple[Subgroup | None, int] | None = None,
) -> _Step | None:
    """The complete selection of one segment: beam search, refinement, pruning, statistics.

    Run once on the real outcomes and again on every shuffle, so whatever the selection does
    (including refining edges and value sets on the outcome) is inside the calibration.
    ``beam`` is the beam search's result when it was already run (with other shuffles).
    """
    from icpkit.discovery.significance import hypergeom_stat

    sg, evaluated = beam or beam_search_many(traits, best[:, None], population, cfg)[0]
    if sg is None:
        return None
    crits = [seg_crits[t] for t in sg.traits]
    p_pop = float(best[population].mean())
    cols = cols or _Columns(frame)
    crits, tried = refine(frame, crits, best, population, p_pop, min_n, cols=cols)
    crits = prune(frame, crits, best, population, cfg.prune_alpha, cols)
    has = np.column_stack([cols.mask(c) for c in crits])
    known = np.column_stack([cols.known(c) for c in crits])
    cover = has.all(axis=1) & ~disqualified
    nn, nb = int(cover.sum()), int((cover & best).sum())
    p_all = float(best.mean())
    stat = 0.0
    if nb >= cfg.min_best and nb / max(nn, 1) >= cfg.min_lift * p_all:
        inside = cover & population
        stat = hypergeom_stat(
            int((inside & best).sum()),
            int(inside.sum()),
            int(best[population].sum()),
            int(population.sum()),
        )
    raw = trait_stats(has, known, best, worst).p_value
    crit_stats = -np.log(np.clip(raw, 1e-300, 1.0))
    return _Step(crits, cover, sg.quality, stat, crit_stats, raw, evaluated + tried)


def _universe(
    frame: pl.DataFrame, ts: TraitSet, idx: np.ndarray, min_n: int, max_values: int = 6
) -> float:
    """How many distinct criteria the segment search could output (for the Bonferroni bound).

    A fixed trait counts once; a numeric column counts every band refinement could draw on its
    grid of nice numbers (with slack for grids drawn on subsets); a categorical column counts
    every subset of up to ``max_values`` of the values refinement may use (those held by at
    least ``min_n // 4`` accounts, see :func:`_refine_categorical`).
    """
    from icpkit.discovery.significance import log_subsets

    total = 0.0
    seen: set[str] = set()
    for i in idx:
        col, kind = ts.columns[i], ts.kinds[i]
        if kind not in ("ge", "lt", "value", "group"):
            total += 1.0
            continue
        if col in seen:
            continue
        seen.add(col)
        s = frame.get_column(col).drop_nulls()
        if kind in ("ge", "lt"):
            x = s.cast(pl.Float64)
            g = len(nice_grid(float(x.min()), float(x.max()))) + 90  # type: ignore[arg-type]
            total += (g + 2) * (g + 1) / 2
        else:
            counts = s.value_counts().get_column("count").to_numpy()
            usable = int((counts >= max(1, min_n // 4)).sum())
            total += math.exp(log_subsets(max(usable, 1), max_values))
    return total


#: Shuffles whose beam searches run together at first: on outcomes without a segment the
#: verdict usually comes within the first few; a segment needs all of them.
_FIRST_BATCH = 4


class _Shuffles:
    """The calibration's shuffled searches, their beams run a batch at a time.

    Shuffle i is drawn from ``rng`` exactly as one at a time would draw it, and the beam
    searches of a batch run together (:func:`beam_search_many`); refinement, pruning and the
    statistics run only for the shuffles the sequential test asks for. Afterwards ``rng`` is
    left where drawing only those shuffles would have left it.
    """

    def __init__(
        self,
        args: tuple[pl.DataFrame, TraitColumns, list[Criterion]],
        pairs: np.ndarray,
        pop: np.ndarray,
        disqualified: np.ndarray,
        cfg: SearchConfig,
        min_n: int,
        cols: _Columns,
        rng: np.random.Generator,
    ) -> None:
        self.args, self.pairs, self.pop, self.disqualified = args, pairs, pop, disqualified
        self.cfg, self.min_n, self.cols, self.rng = cfg, min_n, cols, rng
        self.labels: list[np.ndarray] = []
        self.beams: list[tuple[Subgroup | None, int]] = []
        self.states: list[Mapping[str, Any]] = []
        self.used = 0

    def _more(self, upto: int) -> None:
        """Draw shuffles up to number ``upto`` (at least one batch) and run their beams."""
        from icpkit.discovery.significance import shuffle_within

        start = len(self.labels)
        size = _FIRST_BATCH if start == 0 else self.cfg.max_permutations - start
        for _ in range(max(size, upto + 1 - start, 1)):
            self.labels.append(shuffle_within(self.pairs, self.pop, self.rng))
            self.states.append(self.rng.bit_generator.state)
        Y = np.column_stack([sh[:, 0] for sh in self.labels[start:]])
        self.beams += beam_search_many(self.args[1], Y, self.pop, self.cfg)

    def draw(self, i: int) -> list[float]:
        """The statistics of the complete search on shuffle ``i`` (asked for in order)."""
        if i >= len(self.labels):
            self._more(i)
        self.used = i + 1
        sh = self.labels[i]
        s = _search_step(
            *self.args,
            sh[:, 0],
            sh[:, 1],
            self.pop,
            self.disqualified,
            self.cfg,
            self.min_n,
            self.cols,
            beam=self.beams[i],
        )
        if s is None:
            return [0.0, 0.0]
        return [s.stat, float(s.crit_stats.max(initial=0.0))]

    def rewind(self) -> None:
        """Leave ``rng`` as if only the shuffles used had been drawn."""
        if self.used:
            self.rng.bit_generator.state = self.states[self.used - 1]


def _permutation_p(
    obs: _Step,
    args: tuple[pl.DataFrame, TraitColumns, list[Criterion]],
    pairs: np.ndarray,
    pop: np.ndarray,
    disqualified: np.ndarray,
    cfg: SearchConfig,
    min_n: int,
    cols: _Columns,
    rng: np.random.Generator,
    alpha: float | None = None,
) -> tuple[float, np.ndarray, str]:
    """A step's p and its criteria's p from the complete search re-run on shuffled outcomes.

    Outcomes are shuffled among the accounts still in play (``pop``); the segment's p is the
    Besag-Clifford p of its statistic, each criterion's the exceedance of its own statistic
    over the largest one each shuffled search produced (never below its raw p). With
    ``alpha``, shuffling also stops once the step can no longer be significant at that level
    (see :func:`~icpkit.discovery.significance.sequential_test`).
    """
    from icpkit.discovery.significance import exceedance_p, sequential_test

    shuffles = _Shuffles(args, pairs, pop, disqualified, cfg, min_n, cols, rng)
    res = sequential_test(
        obs.stat,
        shuffles.draw,
        max_permutations=cfg.max_permutations,
        stop_after=cfg.stop_after,
        alpha=alpha,
    )
    shuffles.rewind()
    crit_p = np.array(
        [
            max(exceedance_p(float(c), res.null[:, 1]), float(r))
            for c, r in zip(obs.crit_stats, obs.crit_raw_p, strict=True)
        ]
    )
    how = (
        f"permutation max-statistic over the complete search ({res.drawn} shuffles of "
        "the outcomes, beam search, refinement and pruning re-run on each)"
    )
    return res.p_value, crit_p, how


def sequential_covering(
    frame: pl.DataFrame,
    ts: TraitSet,
    seg_idx: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    disqualified: np.ndarray,
    cfg: SearchConfig,
) -> tuple[list[FoundSegment], int]:
    """Sequential covering, each step tested against the complete search on shuffled outcomes.

    Step k shuffles best/worst labels among the accounts still in play and re-runs
    :func:`_search_step`; the segment's p is the Besag-Clifford permutation p of its statistic
    (or, when overwhelming, a Bonferroni bound over every output the search could produce).
    Covering stops at the first step that is not significant, so under shuffled outcomes the
    chance of reporting any segment is at most the segments' share of ``alpha`` (plus
    ``shortcut`` times that).
    """
    from icpkit.discovery.significance import log_bonferroni

    n = frame.height
    seg_crits = [ts.criteria[i] for i in seg_idx]
    # Only the segment columns, filled block by block.
    traits = TraitColumns(
        ts.matrix(seg_idx), [ts.columns[i] for i in seg_idx], [ts.kinds[i] for i in seg_idx]
    )
    min_n = max(cfg.min_best, int(cfg.min_support * n))
    universe = _universe(frame, ts, seg_idx, min_n)
    log_count = log_bonferroni([universe], cfg.max_depth)
    rng = np.random.default_rng(cfg.seed)
    pairs = np.column_stack([best, worst])
    population = ~disqualified
    found: list[FoundSegment] = []
    total_eval = 0
    args = (frame, traits, seg_crits)
    cols = _Columns(frame, ts)
    for _ in range(cfg.max_segments + 2):
        if len(found) >= cfg.max_segments or len(seg_idx) == 0:
            break
        obs = _search_step(*args, best, worst, population, disqualified, cfg, min_n, cols)
        if obs is None:
            break
        total_eval += obs.evaluated
        if obs.stat <= 0:
            break
        alpha = cfg.alpha * (1.0 - cfg.disqualifier_share - cfg.timing_share)
        if log_count - obs.stat <= math.log(alpha * cfg.shortcut):
            p_seg = max(math.exp(log_count - obs.stat), float(np.finfo(float).tiny))
            crit_p = np.minimum(1.0, obs.crit_raw_p * universe)
            how = f"Bonferroni over {universe:.3g} criteria the search could output"
        else:
            p_seg, crit_p, how = _permutation_p(
                obs, args, pairs, population.copy(), disqualified, cfg, min_n, cols, rng, alpha
            )
        if p_seg > alpha:
            break
        crits = [
            with_evidence(frame, c, best, worst, st, adjusted=float(p), adjustment=how)
            for c, p in zip(obs.crits, crit_p, strict=True)
        ]
        found.append(FoundSegment(crits, obs.cover, obs.quality, p_seg))
        # Set aside the segment and the accounts that might belong to it but miss data for a
        # criterion: otherwise the next search would rediscover it through proxies.
        population &= ~possible_mask(frame, obs.crits)
        if population.sum() < min_n:
            break
    return found, total_eval


__all__ = ["FoundSegment", "Subgroup", "beam_search", "prune", "quality", "refine"]
