"""The subgroup search: a beam search over conjunctions of traits, refined and pruned, run as
sequential covering whose every step is calibrated on shuffled outcomes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    # threadpoolctl comes with scikit-learn. One BLAS thread: these products are too small to
    # gain from a second one, and on a busy 2-core machine OpenBLAS threads that wait on each
    # other made the search up to 40x slower (0.4 s instead of 0.01 s) at random.
    from icpkit.discovery.significance import one_blas_thread

    with one_blas_thread():
        n_pop = int(population.sum())
        if n_pop == 0:
            return None, 0
        p0 = float(y[population].mean())
        min_n = max(config.min_best, int(config.min_support * n_pop))
        yf = (y & population).astype(np.float32)
        pf = population.astype(np.float32)
        # Two vector-matrix products (BLAS is much slower on a two-column matrix product).
        counts = np.column_stack([yf @ H, pf @ H])
        q = quality(counts[:, 1], counts[:, 0], p0)
        ok = (counts[:, 1] >= min_n) & (counts[:, 0] >= config.min_best)
        q = np.where(ok, q, -np.inf)
        evaluated = H.shape[1]
        order = np.argsort(-q)[: config.beam_width]
        firsts: list[int] = []
        for j in order:
            if not np.isfinite(q[j]) or q[j] <= 0:
                break
            firsts.append(int(j))
        beam = [
            Subgroup((j,), cover, int(counts[j, 1]), int(counts[j, 0]), float(q[j]))
            for j, cover in zip(firsts, _covers(H, population, [(j,) for j in firsts]), strict=True)
        ]
        best = beam[0] if beam else None
        level = _Level(H, y, population, columns, kinds, config, p0, min_n)
        for _depth in range(1, config.max_depth):
            if not beam:
                break
            beam, tested = level.extend(beam)
            evaluated += tested
            if beam and (best is None or beam[0].quality > best.quality):
                best = beam[0]
        return best, evaluated


def _covers(
    H: np.ndarray, population: np.ndarray, keys: Sequence[tuple[int, ...]]
) -> list[np.ndarray]:
    """The accounts in ``population`` that have every trait of each key."""
    # Gather the traits the beam uses in one pass over H, then AND contiguous rows: H is
    # row-major (accounts × traits), so reading whole columns one by one is slow.
    used = sorted({t for key in keys for t in key})
    rows = np.ascontiguousarray(np.take(H, used, axis=1).T > 0)
    at = {t: i for i, t in enumerate(used)}
    out = []
    for key in keys:
        cover = population.copy()
        for t in key:
            cover &= rows[at[t]]
        out.append(cover)
    return out


class _Level:
    """One more trait for every member of a beam: the search's step from depth d to d + 1."""

    def __init__(
        self,
        H: np.ndarray,
        y: np.ndarray,
        population: np.ndarray,
        columns: Sequence[str],
        kinds: Sequence[str],
        config: SearchConfig,
        p0: float,
        min_n: int,
    ) -> None:
        self.H, self.y, self.population, self.config = H, y, population, config
        self.p0, self.min_n = p0, min_n
        col_names, self.col_ids = np.unique(np.asarray(columns), return_inverse=True)
        self.n_cols = len(col_names)
        self.kinds = np.asarray(kinds)
        # Items of a multi-valued column (a tech stack) combine freely ("has X, lacks Y").
        self.free = np.isin(self.kinds, ("has", "lacks"))

    def allowed(self, sg: Subgroup) -> np.ndarray:
        """Traits that may join ``sg``: another column, a tech-stack item, or the other side
        of a numeric band (a column may appear twice only as the two sides of a band)."""
        col_ids, kinds = self.col_ids, self.kinds
        used_cols = col_ids[list(sg.traits)]
        in_use = np.zeros(self.n_cols, dtype=bool)
        in_use[used_cols] = True
        allowed = ~in_use[col_ids] | self.free
        allowed[list(sg.traits)] = False
        for t in sg.traits:
            if kinds[t] in ("ge", "lt") and int((used_cols == col_ids[t]).sum()) == 1:
                opposite = "lt" if kinds[t] == "ge" else "ge"
                allowed |= (col_ids == col_ids[t]) & (kinds == opposite)
        return allowed

    def extend(self, beam: list[Subgroup]) -> tuple[list[Subgroup], int]:
        """The next beam (empty when nothing improves) and the candidates looked at."""
        config, y, H = self.config, self.y, self.H
        # One product per level, laid out (2B × accounts) @ (accounts × traits) so that both
        # operands are row-major: rows 2b and 2b+1 are the best and all accounts of member b.
        Wt = np.empty((2 * len(beam), H.shape[0]), dtype=np.float32)
        for b, sg in enumerate(beam):
            np.logical_and(sg.cover, y, out=Wt[2 * b], casting="unsafe")
            Wt[2 * b + 1] = sg.cover
        C = (Wt @ H).T  # k × 2B
        cands: dict[tuple[int, ...], tuple[float, int, int, int]] = {}
        evaluated = 0
        for b, sg in enumerate(beam):
            nb, nn = C[:, 2 * b], C[:, 2 * b + 1]
            qq = quality(nn, nb, self.p0)
            valid = (nn >= self.min_n) & (nb >= config.min_best) & (nn < sg.n)
            allowed = self.allowed(sg)
            valid &= allowed
            # Every candidate looked at counts as a hypothesis tested, kept or not.
            evaluated += int(allowed.sum())
            # Adding a trait must improve on its parent.
            valid &= qq > sg.quality * 1.001
            js = np.flatnonzero(valid)
            if len(js) > config.beam_width:
                # Only a member's best beam_width extensions can enter the next beam.
                js = js[np.argpartition(-qq[js], config.beam_width - 1)[: config.beam_width]]
            for j in js:
                key = tuple(sorted((*sg.traits, int(j))))
                if key not in cands or cands[key][0] < qq[j]:
                    cands[key] = (float(qq[j]), int(nn[j]), int(nb[j]), b)
        if not cands:
            return [], evaluated
        top = sorted(cands.items(), key=lambda kv: -kv[1][0])[: config.beam_width]
        keys = [key for key, _ in top]
        beam = [
            Subgroup(key, cover, nn_, nb_, qv)
            for (key, (qv, nn_, nb_, _b)), cover in zip(
                top, _covers(H, self.population, keys), strict=True
            )
        ]
        return beam, evaluated


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
    Hs: np.ndarray,
    seg_crits: Sequence[Criterion],
    seg_cols: Sequence[str],
    seg_kinds: Sequence[str],
    best: np.ndarray,
    worst: np.ndarray,
    population: np.ndarray,
    disqualified: np.ndarray,
    cfg: SearchConfig,
    min_n: int,
    cols: _Columns | None = None,
) -> _Step | None:
    """The complete selection of one segment: beam search, refinement, pruning, statistics.

    Run once on the real outcomes and again on every shuffle, so whatever the selection does
    (including refining edges and value sets on the outcome) is inside the calibration.
    """
    from icpkit.discovery.significance import hypergeom_stat

    sg, evaluated = beam_search(Hs, best, population, seg_cols, seg_kinds, cfg)
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


def _permutation_p(
    obs: _Step,
    args: tuple[pl.DataFrame, np.ndarray, list[Criterion], list[str], list[str]],
    pairs: np.ndarray,
    pop: np.ndarray,
    disqualified: np.ndarray,
    cfg: SearchConfig,
    min_n: int,
    cols: _Columns,
    rng: np.random.Generator,
) -> tuple[float, np.ndarray, str]:
    """A step's p and its criteria's p from the complete search re-run on shuffled outcomes.

    Outcomes are shuffled among the accounts still in play (``pop``); the segment's p is the
    Besag-Clifford p of its statistic, each criterion's the exceedance of its own statistic
    over the largest one each shuffled search produced (never below its raw p).
    """
    from icpkit.discovery.significance import exceedance_p, sequential_test, shuffle_within

    def draw(_i: int) -> list[float]:
        sh = shuffle_within(pairs, pop, rng)
        s = _search_step(*args, sh[:, 0], sh[:, 1], pop, disqualified, cfg, min_n, cols)
        if s is None:
            return [0.0, 0.0]
        return [s.stat, float(s.crit_stats.max(initial=0.0))]

    res = sequential_test(
        obs.stat, draw, max_permutations=cfg.max_permutations, stop_after=cfg.stop_after
    )
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
    Hs = ts.matrix(seg_idx)  # only the segment columns, filled block by block
    seg_crits = [ts.criteria[i] for i in seg_idx]
    seg_cols = [ts.columns[i] for i in seg_idx]
    seg_kinds = [ts.kinds[i] for i in seg_idx]
    min_n = max(cfg.min_best, int(cfg.min_support * n))
    universe = _universe(frame, ts, seg_idx, min_n)
    log_count = log_bonferroni([universe], cfg.max_depth)
    rng = np.random.default_rng(cfg.seed)
    pairs = np.column_stack([best, worst])
    population = ~disqualified
    found: list[FoundSegment] = []
    total_eval = 0
    args = (frame, Hs, seg_crits, seg_cols, seg_kinds)
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
                obs, args, pairs, population.copy(), disqualified, cfg, min_n, cols, rng
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
