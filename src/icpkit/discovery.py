"""Discovery: from labelled customers to segments, disqualifiers and a scoring model.

The search is a beam search over conjunctions of traits (subgroup discovery) run as sequential
covering: find the best subgroup of winners, set its accounts aside, search again, up to
``max_segments`` times. Quality is the binomial quality ``sqrt(n) · (p − p0)`` of the share of
best customers. Every level of the beam is one matrix product (traits × accounts by accounts ×
beam), which is what makes the search fast.

A subgroup becomes a segment only if it is significant after a Bonferroni correction for every
conjunction the search evaluated, so shuffled outcomes yield no segments. Numeric edges are then
refined on a grid of human-rounded numbers and categorical value sets grown or shrunk greedily.
Segments that cover mostly the same accounts, or differ only in the values of one categorical
column (they would get the same messaging), are merged.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from icpkit.columns import Kind, Schema, artefact_warning
from icpkit.criteria import Criterion, Evidence, Operator
from icpkit.evidence import TraitStats, benjamini_hochberg, fisher_two_sided, trait_stats
from icpkit.icp import (
    ICP,
    OutcomeComparison,
    OutcomeDefinition,
    Scoring,
    Segment,
    SegmentEvidence,
    Source,
)
from icpkit.outcomes import Outcomes, higher_is_better
from icpkit.scoring.engine import calibration_rows
from icpkit.traits import TraitConfig, TraitSet, build_traits, evaluate, nice_grid


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the subgroup search; defaults are what ``icp discover`` uses."""

    max_segments: int = 3
    max_depth: int = 3
    beam_width: int = 20
    min_support: float = 0.02
    min_best: int = 20
    # The chance of reporting anything at all (a segment, a disqualifier or a timing signal)
    # when the outcomes are unrelated to the attributes. It is split between the three families
    # (a union bound): segments get half, timing signals 30%, disqualifiers 20%.
    alpha: float = 0.05
    merge_overlap: float = 0.5
    max_nice: int = 4
    max_disqualifiers: int = 5
    max_timing: int = 4
    # Segments say who a company is; behavioural traits say when to reach it (timing signals and
    # nice-to-haves), so by default they do not define segments.
    segment_layers: tuple[str, ...] = ("firmographic", "technographic")
    prune_alpha: float = 0.01
    # A segment must at least this many times the base rate of best customers: a group that is
    # merely somewhat better than average is not an ideal customer.
    min_lift: float = 1.5
    # A disqualifier ranks its accounts below every qualified one, so it must be close to a deal
    # breaker: among accounts with the trait, best customers at most this share of the base rate.
    # Milder anti-signals cost points in the scorecard instead.
    disqualifier_max_lift: float = 1 / 3
    # Permutation calibration (see icpkit.significance.PermutationConfig for their meaning).
    max_permutations: int = 39
    stop_after: int = 3
    trait_permutations: int = 199
    shortcut: float = 1e-3
    seed: int = 20240611
    # Share of alpha per family (segments get the rest).
    disqualifier_share: float = 0.2
    timing_share: float = 0.3
    # A timing signal most accounts meet tells a seller nothing about when to call.
    timing_max_share: float = 0.5
    timing_max_best_share: float = 0.9


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


@dataclass
class Discovery:
    """Everything discovery learnt, beyond the ICP itself (for reports and validation)."""

    icp: ICP
    traits: TraitSet
    stats: TraitStats
    evidence_table: pl.DataFrame
    segments_found: list[FoundSegment]
    evaluated: int
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# the beam search


def quality(n: np.ndarray, nb: np.ndarray, p0: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.sqrt(n) * (nb / np.maximum(n, 1) - p0), -np.inf)


class _Columns:
    """Per-frame cache of criterion masks and column encodings for repeated searches.

    The calibration re-runs refinement and pruning on every shuffle; the masks of unchanged
    criteria and the integer codes of categorical columns are the same each time.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._masks: dict[Criterion, np.ndarray] = {}
        self._known: dict[Criterion, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._numeric: dict[str, np.ndarray] = {}

    def mask(self, c: Criterion) -> np.ndarray:
        key = c.model_copy(update={"evidence": None}) if c.evidence is not None else c
        m = self._masks.get(key)
        if m is None:
            m = self._direct(c)
            if m is None:
                m = _mask(self.frame, [c])
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
        key = c.model_copy(update={"evidence": None}) if c.evidence is not None else c
        m = self._known.get(key)
        if m is None:
            m = _known_mask(self.frame, [c])[:, 0]
            if len(self._known) < 4096:
                self._known[key] = m
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
    from icpkit.significance import one_blas_thread

    with one_blas_thread():
        n_pop = int(population.sum())
        if n_pop == 0:
            return None, 0
        p0 = float(y[population].mean())
        min_n = max(config.min_best, int(config.min_support * n_pop))
        yf = (y & population).astype(np.float32)
        pf = population.astype(np.float32)
        k = H.shape[1]
        col_names, col_ids = np.unique(np.asarray(columns), return_inverse=True)
        n_cols = len(col_names)
        kinds_arr = np.asarray(kinds)
        free = np.isin(kinds_arr, ("has", "lacks"))

        def covers(keys: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
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

        # Two vector-matrix products (BLAS is much slower on a two-column matrix product).
        counts = np.column_stack([yf @ H, pf @ H])
        q = quality(counts[:, 1], counts[:, 0], p0)
        ok = (counts[:, 1] >= min_n) & (counts[:, 0] >= config.min_best)
        q = np.where(ok, q, -np.inf)
        evaluated = k
        order = np.argsort(-q)[: config.beam_width]
        firsts: list[int] = []
        for j in order:
            if not np.isfinite(q[j]) or q[j] <= 0:
                break
            firsts.append(int(j))
        beam = [
            Subgroup((j,), cover, int(counts[j, 1]), int(counts[j, 0]), float(q[j]))
            for j, cover in zip(firsts, covers([(j,) for j in firsts]), strict=True)
        ]
        best = beam[0] if beam else None

        for _depth in range(1, config.max_depth):
            if not beam:
                break
            # One product per level, laid out (2B × accounts) @ (accounts × traits) so that both
            # operands are row-major: rows 2b and 2b+1 are the best and all accounts of member b.
            Wt = np.empty((2 * len(beam), H.shape[0]), dtype=np.float32)
            for b, sg in enumerate(beam):
                np.logical_and(sg.cover, y, out=Wt[2 * b], casting="unsafe")
                Wt[2 * b + 1] = sg.cover
            C = (Wt @ H).T  # k × 2B
            cands: dict[tuple[int, ...], tuple[float, int, int, int]] = {}
            for b, sg in enumerate(beam):
                nb, nn = C[:, 2 * b], C[:, 2 * b + 1]
                qq = quality(nn, nb, p0)
                valid = (nn >= min_n) & (nb >= config.min_best) & (nn < sg.n)
                used_cols = col_ids[list(sg.traits)]
                # Items of a multi-valued column (a tech stack) combine freely ("has X, lacks Y").
                in_use = np.zeros(n_cols, dtype=bool)
                in_use[used_cols] = True
                allowed = ~in_use[col_ids] | free
                allowed[list(sg.traits)] = False
                for t in sg.traits:
                    # A column may appear twice only as the two sides of a numeric band.
                    if kinds_arr[t] in ("ge", "lt") and int((used_cols == col_ids[t]).sum()) == 1:
                        opposite = "lt" if kinds_arr[t] == "ge" else "ge"
                        allowed |= (col_ids == col_ids[t]) & (kinds_arr == opposite)
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
                break
            top = sorted(cands.items(), key=lambda kv: -kv[1][0])[: config.beam_width]
            keys = [key for key, _ in top]
            beam = [
                Subgroup(key, cover, nn_, nb_, qv)
                for (key, (qv, nn_, nb_, _b)), cover in zip(top, covers(keys), strict=True)
            ]
            if beam and (best is None or beam[0].quality > best.quality):
                best = beam[0]
        return best, evaluated


# --------------------------------------------------------------------------------------------
# refinement of a found conjunction


def _combine_bands(crits: list[Criterion]) -> list[Criterion]:
    """Merge ``≥ a`` and ``< b`` on one column into ``between [a, b)``."""
    out: list[Criterion] = []
    bands: dict[str, list[float | None]] = {}
    layers: dict[str, str | None] = {}
    units: dict[str, str | None] = {}
    for c in crits:
        if c.operator is Operator.BETWEEN:
            lo, hi = c.between or (None, None)
            cur = bands.setdefault(c.column, [None, None])
            if lo is not None:
                cur[0] = lo if cur[0] is None else max(cur[0], lo)
            if hi is not None:
                cur[1] = hi if cur[1] is None else min(cur[1], hi)
            layers[c.column] = c.layer
            units[c.column] = c.unit
        else:
            out.append(c)
    for col, (lo, hi) in bands.items():
        out.append(Criterion(column=col, between=(lo, hi), layer=layers[col], unit=units[col]))
    return out


def _possible(frame: pl.DataFrame, crits: Sequence[Criterion]) -> np.ndarray:
    """Accounts meeting every criterion or unknown on it (not known to fail any)."""
    res = frame.select([c.expr().fill_null(True).alias(f"c{i}") for i, c in enumerate(crits)])
    return res.select(pl.all_horizontal(pl.all())).to_series().to_numpy().astype(bool)


def _mask(frame: pl.DataFrame, crits: Sequence[Criterion]) -> np.ndarray:
    if not crits:
        return np.ones(frame.height, dtype=bool)
    res = frame.select([c.expr().fill_null(False).alias(f"c{i}") for i, c in enumerate(crits)])
    return res.select(pl.all_horizontal(pl.all())).to_series().to_numpy().astype(bool)


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
    i, j = np.triu_indices(len(pos), k=1)
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
    crits = _combine_bands(crits)
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


# --------------------------------------------------------------------------------------------
# one step of sequential covering, and its calibration


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


def _known_mask(frame: pl.DataFrame, crits: Sequence[Criterion]) -> np.ndarray:
    """n × c: whether each criterion can be decided (its inputs are not missing)."""
    res = frame.select([c.expr().is_not_null().alias(f"k{i}") for i, c in enumerate(crits)])
    return res.to_numpy().astype(bool)


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
    from icpkit.significance import hypergeom_stat

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
    from icpkit.significance import log_subsets

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


def _covering(
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
    from icpkit.significance import exceedance_p, log_bonferroni, sequential_test, shuffle_within

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
    cols = _Columns(frame)
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
            pop = population.copy()

            def draw(_i: int, pop: np.ndarray = pop) -> list[float]:
                sh = shuffle_within(pairs, pop, rng)
                s = _search_step(*args, sh[:, 0], sh[:, 1], pop, disqualified, cfg, min_n, cols)
                if s is None:
                    return [0.0, 0.0]
                return [s.stat, float(s.crit_stats.max(initial=0.0))]

            res = sequential_test(
                obs.stat, draw, max_permutations=cfg.max_permutations, stop_after=cfg.stop_after
            )
            p_seg = res.p_value
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
        if p_seg > alpha:
            break
        crits = [
            _with_evidence(frame, c, best, worst, st, adjusted=float(p), adjustment=how)
            for c, p in zip(obs.crits, crit_p, strict=True)
        ]
        found.append(FoundSegment(crits, obs.cover, obs.quality, p_seg))
        # Set aside the segment and the accounts that might belong to it but miss data for a
        # criterion: otherwise the next search would rediscover it through proxies.
        population &= ~_possible(frame, obs.crits)
        if population.sum() < min_n:
            break
    return found, total_eval


def discover(
    frame: pl.DataFrame,
    schema: Schema,
    outcomes: Outcomes,
    *,
    search: SearchConfig | None = None,
    traits: TraitConfig | None = None,
    category_map: Mapping[str, Sequence[str]] | None = None,
    name: str = "Ideal Customer Profile",
    review_days: int = 365,
    source_file: str | Path | None = None,
    today: date | None = None,
) -> Discovery:
    """Discover segments, disqualifiers, timing signals and scoring weights."""
    cfg = search or SearchConfig()
    today = today or date.today()
    best, worst = outcomes.best, outcomes.worst
    n = frame.height
    # No outcome-ordered value groups: a trait built by looking at the outcome would escape the
    # calibration below. Value sets are grown by refinement, which the calibration re-runs.
    ts = build_traits(
        frame, schema, best=None, category_map=category_map, config=traits, as_of=today
    )
    warnings = list(outcomes.warnings)
    st = trait_stats(ts.has, ts.known, best, worst)
    rng = np.random.default_rng(cfg.seed)

    # Anti-signals first: disqualified accounts are out before any segment is sought, so a
    # segment never has to spell out "not on-prem" to look good.
    disq = _disqualifiers(frame, ts, best, worst, st, cfg, rng)
    disqualified = np.zeros(n, dtype=bool)
    for c in disq:
        disqualified |= _mask(frame, [c])

    seg_idx = np.array(
        [
            i
            for i, c in enumerate(ts.criteria)
            # Date windows measure time, not who a company is: they are points and timing.
            if (c.layer or "firmographic") in cfg.segment_layers and ts.kinds[i] != "recent"
        ],
        dtype=np.int64,
    )
    p_all = float(best.mean())
    # Sequential covering, every step calibrated by shuffling the outcomes.
    found, total_eval = _covering(frame, ts, seg_idx, best, worst, st, disqualified, cfg)
    found = _merge_segments(frame, found, best, worst, st, cfg)
    disq = _confirm_disqualifiers(frame, disq, found, best, worst)

    # Timing: dated events whose recency raises the share of best customers.
    timing = _timing(ts, st, best, worst, disq, cfg, rng)

    segments: list[Segment] = []
    for i, fs in enumerate(found):
        inside = fs.cover
        nice = _nice_to_haves(ts, inside, best, worst, fs.criteria, cfg)
        musts = [_with_evidence(frame, c, best, worst, st) for c in fs.criteria]
        note = artefact_warning(musts, schema)
        if note:
            warnings.append(f"seg-{i + 1}: {note}")
        nb, nn = int((inside & best).sum()), int(inside.sum())
        seg_ev = SegmentEvidence(
            accounts=nn,
            best=nb,
            worst=int((inside & worst).sum()),
            best_rate=nb / max(nn, 1),
            base_rate=p_all,
            lift=(nb / max(nn, 1)) / max(p_all, 1e-12),
            p_value=fs.p_value,
            share_of_best=nb / max(int(best.sum()), 1),
        )
        value = _segment_value(frame, schema, inside, outcomes)
        segments.append(
            Segment(
                id=f"seg-{i + 1}",
                name=_segment_name(musts),
                summary=None,
                must=musts,
                nice=nice,
                evidence=seg_ev,
                value=value,
                messaging=_messaging(musts, nice, value),
            )
        )

    icp = ICP(
        name=name,
        version=1,
        created=today,
        review_by=date.fromordinal(today.toordinal() + review_days),
        source=Source(
            file=str(source_file) if source_file else None,
            rows=n,
            sha256=_sha256(source_file),
            fitted=today,
        ),
        outcomes=OutcomeDefinition(**outcomes.describe()),
        columns={
            k: v
            for k, v in (("id", schema.id), ("domain", schema.domain), ("name", schema.name))
            if v
        },
        segments=segments,
        disqualifiers=[_with_evidence(frame, c, best, worst, st) for c in disq],
        scoring=Scoring(timing=timing),
    )
    icp = fit_weights(icp, frame, best, worst, traits=ts, stats=st, random_state=cfg.seed)
    if not icp.scoring.points and not any(s.bonus for s in icp.segments):
        warnings.append(
            "no trait predicts the best customers out of sample (cross-validated points "
            "model): every qualified account gets the base rate as its fit score"
        )
    if not segments:
        warnings.append(
            "no segment passed the significance test (the whole search, refinements included, "
            "calibrated on shuffled outcomes): no group of accounts stands out from the base "
            "rate by more than chance (or there are too few best customers)"
        )
    table = evidence_table(ts, st)
    return Discovery(icp, ts, st, table, found, total_eval, warnings)


def _merge_segments(
    frame: pl.DataFrame,
    found: list[FoundSegment],
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    cfg: SearchConfig,
) -> list[FoundSegment]:
    """Merge segments that cover mostly the same accounts or would get the same messaging.

    A merged value set was never tested as such: its evidence is recomputed and its adjusted p
    is the larger of the two it came from, and so is the merged segment's.
    """
    merged: list[FoundSegment] = []
    for fs in found:
        target = None
        for m in merged:
            inter = int((m.cover & fs.cover).sum())
            union = int((m.cover | fs.cover).sum())
            if union and inter / union > cfg.merge_overlap:
                target = m
                break
            if _same_shape(m.criteria, fs.criteria):
                target = m
                break
        if target is None:
            merged.append(fs)
            continue
        if _same_shape(target.criteria, fs.criteria):
            crits = []
            for a in target.criteria:
                b = next(c for c in fs.criteria if c.column == a.column)
                if a.operator is Operator.IN and a.in_ != b.in_:
                    joined = a.model_copy(
                        update={"in_": tuple(sorted({*a.in_, *b.in_})), "evidence": None}  # type: ignore[misc]
                    )
                    adj = max(_adjusted(a), _adjusted(b))
                    how = (a.evidence.adjustment if a.evidence else None) or "merged value sets"
                    crits.append(
                        _with_evidence(frame, joined, best, worst, st, adjusted=adj, adjustment=how)
                    )
                else:
                    crits.append(a)
            target.criteria = crits
            target.cover = _mask(frame, crits)
            target.p_value = max(target.p_value, fs.p_value)
        # else: overlapping segment adds nothing distinct; keep the first (stronger) one.
    return merged


def _same_shape(a: list[Criterion], b: list[Criterion]) -> bool:
    """Same columns, same non-categorical tests; at most one categorical value set differs."""
    if sorted(c.column for c in a) != sorted(c.column for c in b):
        return False
    differ = 0
    for ca in a:
        cb = next(c for c in b if c.column == ca.column)
        if ca.same_test(cb):
            continue
        if ca.operator is Operator.IN and cb.operator is Operator.IN:
            differ += 1
        else:
            return False
    return differ <= 1


def _adjusted(c: Criterion) -> float:
    """A criterion's selection-adjusted p (1 when it has none)."""
    ev = c.evidence
    return float(ev.p_value) if ev is not None and ev.adjustment else 1.0


def _with_evidence(
    frame: pl.DataFrame,
    crit: Criterion,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    *,
    adjusted: float | None = None,
    adjustment: str | None = None,
) -> Criterion:
    """Attach evidence for a (possibly refined) criterion.

    With ``adjusted`` (a selection-adjusted p from :mod:`icpkit.significance`) that value is
    printed as p and q; without it, q is FDR-adjusted with every trait tried. Evidence that
    already carries an adjustment is kept: it was attached where the selection was calibrated.
    """
    if adjusted is None and crit.evidence is not None and crit.evidence.adjustment:
        return crit
    one = evaluate(frame, [crit])
    if not one.criteria:
        return crit
    s = trait_stats(one.has, one.known, best, worst)
    if adjusted is not None:
        return crit.model_copy(
            update={"evidence": _ev(s, 0, adjusted=adjusted, adjustment=adjustment)}
        )
    q = benjamini_hochberg(np.concatenate([st.p_value, s.p_value]))[-1]
    return crit.model_copy(update={"evidence": _ev(s, 0, q)})


def _ev(
    s: TraitStats,
    i: int,
    q: float | None = None,
    *,
    adjusted: float | None = None,
    adjustment: str | None = None,
) -> Evidence:
    """Evidence of trait ``i``; with ``adjusted``, p and q are the selection-adjusted p.

    The adjusted value is never below the raw one: a selected criterion cannot be more
    significant than the same test fixed in advance.
    """

    def f(x: float) -> float:
        return float(x) if np.isfinite(x) else 0.0

    raw = float(s.p_value[i])
    if adjusted is not None:
        adj = min(1.0, max(float(adjusted), raw))
        return Evidence(
            best_share=f(s.best_share[i]),
            worst_share=f(s.worst_share[i]),
            all_share=f(s.all_share[i]),
            lift=f(s.lift[i]),
            odds_ratio=f(s.odds_ratio[i]),
            ci_low=f(s.ci_low[i]),
            ci_high=f(s.ci_high[i]),
            p_value=adj,
            q_value=adj,
            n=int(s.n[i]),
            n_best=int(s.n_best[i]),
            n_worst=int(s.n_worst[i]),
            caveat=s.caveat(i),
            raw_p_value=raw,
            adjustment=adjustment,
        )
    return Evidence(
        best_share=f(s.best_share[i]),
        worst_share=f(s.worst_share[i]),
        all_share=f(s.all_share[i]),
        lift=f(s.lift[i]),
        odds_ratio=f(s.odds_ratio[i]),
        ci_low=f(s.ci_low[i]),
        ci_high=f(s.ci_high[i]),
        p_value=float(s.p_value[i]),
        q_value=float(q if q is not None else s.q_value[i]),
        n=int(s.n[i]),
        n_best=int(s.n_best[i]),
        n_worst=int(s.n_worst[i]),
        caveat=s.caveat(i),
    )


def _disqualifiers(
    frame: pl.DataFrame,
    ts: TraitSet,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    cfg: SearchConfig,
    rng: np.random.Generator,
) -> list[Criterion]:
    """Traits concentrated in the worst customers, chosen one at a time (covering).

    After each disqualifier its accounts are set aside and the rest re-tested, so a trait that
    only looked bad because it travels with an earlier disqualifier (healthcare companies that
    deploy on-prem) is not listed as a disqualifier of its own. Each step is a max-T permutation
    test over every candidate anti-signal (labels shuffled among the accounts still in play, the
    eligibility rules re-applied under every shuffle); covering stops at the first step where
    nothing is significant. Disqualifiers on one column that overlap are merged.
    """
    from icpkit.significance import TraitZ, trait_max_t

    out: list[Criterion] = []
    remaining = np.ones(len(best), dtype=bool)
    not_lacks = (np.asarray(ts.kinds) != "lacks")[:, None]
    if len(ts) == 0:
        return out

    def statistic(tz: TraitZ) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (
                (tz.worst_share >= 1.5 * tz.all_share)
                & (tz.ci_high < 0.5)
                & (tz.best_share <= 0.5 * tz.worst_share)
                & (tz.best_share <= cfg.disqualifier_max_lift * tz.all_share)
                & not_lacks
                & (tz.n >= cfg.min_best)
            )
        return np.where(ok, -tz.z, -np.inf)

    how = (
        f"permutation max-T over every candidate anti-signal ({cfg.trait_permutations} shuffles "
        "of the outcomes, eligibility rules re-applied on each)"
    )
    alpha = cfg.alpha * cfg.disqualifier_share
    for _ in range(cfg.max_disqualifiers):
        if remaining.all():  # no copy of the trait matrices on the first step
            has, known, b_r, w_r = ts.has, ts.known, best, worst
        else:
            has, known = ts.has[remaining], ts.known[remaining]
            b_r, w_r = best[remaining], worst[remaining]
        obs, _ = trait_max_t(has, known, b_r, w_r, statistic, permutations=0, rng=rng)
        if not np.isfinite(obs).any():
            break
        top = int(np.argmax(np.where(np.isfinite(obs), obs, -np.inf)))
        # Overwhelming evidence needs no shuffles: Fisher's exact p of the strongest candidate
        # times the number of traits that could have been candidates (Bonferroni).
        sr = trait_stats(has[:, [top]], known[:, [top]], b_r, w_r)
        family = int((not_lacks[:, 0] & ((has & known).sum(axis=0) >= cfg.min_best)).sum())
        bonferroni = float(sr.p_value[0]) * max(family, 1)
        if bonferroni <= alpha * cfg.shortcut:
            adj = np.ones(len(obs))
            adj[top] = bonferroni
            step_how = f"Bonferroni over {family} candidate anti-signals"
        else:
            obs, adj = trait_max_t(
                has,
                known,
                b_r,
                w_r,
                statistic,
                permutations=cfg.trait_permutations,
                rng=rng,
                stop_after=cfg.stop_after,
            )
            step_how = how
        # Decide on the value that is printed, which is never below the raw Fisher p.
        adj = np.maximum(adj, np.nan_to_num(st.p_value, nan=1.0))
        ok = np.isfinite(obs) & (adj <= alpha)
        if not ok.any():
            break
        cand = np.flatnonzero(ok)
        i = int(cand[np.argmax(obs[cand])])
        out.append(
            ts.criteria[i].model_copy(
                update={"evidence": _ev(st, i, adjusted=adj[i], adjustment=step_how)}
            )
        )
        remaining &= ~ts.has[:, i]
    return _merge_disqualifiers(frame, out, best, worst, st)


def _merge_disqualifiers(
    frame: pl.DataFrame,
    disq: list[Criterion],
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
) -> list[Criterion]:
    """One disqualifier per overlapping family on a column (``< 150K`` and ``< 500K`` → one).

    Bands that overlap or touch become their union, value sets on one column their union; the
    merged criterion gets fresh evidence with the larger of the adjusted p-values.
    """
    out: list[Criterion] = []
    for c in disq:
        j = next(
            (k for k, o in enumerate(out) if o.column == c.column and _overlap(o, c)),
            None,
        )
        if j is None:
            out.append(c)
            continue
        o = out[j]
        if c.operator is Operator.BETWEEN:
            (alo, ahi), (blo, bhi) = o.between or (None, None), c.between or (None, None)
            lo = None if alo is None or blo is None else min(alo, blo)
            hi = None if ahi is None or bhi is None else max(ahi, bhi)
            if lo is None and hi is None:
                continue  # the two sides cover everything: keep the first on its own
            merged = o.model_copy(update={"between": (lo, hi), "evidence": None})
        else:
            merged = o.model_copy(
                update={"in_": tuple(sorted({*(o.in_ or ()), *(c.in_ or ())})), "evidence": None}
            )
        how = o.evidence.adjustment if o.evidence else None
        adj = max(_adjusted(o), _adjusted(c))
        out[j] = _with_evidence(frame, merged, best, worst, st, adjusted=adj, adjustment=how)
    return out


def _overlap(a: Criterion, b: Criterion) -> bool:
    """Whether two criteria on one column are one idea (bands that meet, two value sets)."""
    if a.operator is not b.operator:
        return False
    if a.operator is Operator.IN:
        return True
    if a.operator is not Operator.BETWEEN:
        return False
    alo, ahi = a.between or (None, None)
    blo, bhi = b.between or (None, None)
    lo_a = -math.inf if alo is None else alo
    hi_a = math.inf if ahi is None else ahi
    lo_b = -math.inf if blo is None else blo
    hi_b = math.inf if bhi is None else bhi
    return lo_a <= hi_b and lo_b <= hi_a


def _confirm_disqualifiers(
    frame: pl.DataFrame,
    disq: list[Criterion],
    found: list[FoundSegment],
    best: np.ndarray,
    worst: np.ndarray,
) -> list[Criterion]:
    """Keep a disqualifier only if it is bad among comparable accounts too.

    Outside every segment, a disqualifier must still mark accounts that do worse than the other
    non-fitting accounts. An industry that merely has no segment of its own looks bad against a
    base full of segment winners, but not against its peers: that is no reason to refuse a deal.
    """
    if not disq or not found:
        return disq
    outside = np.ones(len(best), dtype=bool)
    for fs in found:
        outside &= ~fs.cover
    kept: list[Criterion] = []
    remaining = outside.copy()
    for c in disq:
        one = evaluate(frame.filter(pl.Series(remaining)), [c])
        if not one.criteria:
            continue
        s = trait_stats(one.has, one.known, best[remaining], worst[remaining])
        if s.p_value[0] * len(disq) < 0.01 and s.ci_high[0] < 0.5:
            kept.append(c)
            remaining &= ~_mask(frame, [c])
    return kept


def _strongest_per_column(
    ts: TraitSet,
    s: TraitStats,
    ok: np.ndarray,
    limit: int,
    *,
    weighted: bool,
    adjusted: np.ndarray | None = None,
    adjustment: str | None = None,
) -> list[Criterion]:
    """The strongest passing trait of each column (by log-odds × √n), at most ``limit``."""
    cand = np.flatnonzero(ok)
    cand = cand[np.argsort(-np.log(s.odds_ratio[cand]) * np.sqrt(s.n[cand]))]
    out: list[Criterion] = []
    used: set[str] = set()
    for i in cand:
        if ts.columns[i] in used:
            continue
        used.add(ts.columns[i])
        ev = (
            _ev(s, int(i), adjusted=float(adjusted[i]), adjustment=adjustment)
            if adjusted is not None
            else _ev(s, int(i))
        )
        update: dict[str, object] = {"evidence": ev}
        if weighted:
            update["weight"] = round(float(np.log(s.odds_ratio[i])), 3)
        out.append(ts.criteria[i].model_copy(update=update))
        if len(out) >= limit:
            break
    return out


def _timing(
    ts: TraitSet,
    st: TraitStats,
    best: np.ndarray,
    worst: np.ndarray,
    disq: Sequence[Criterion],
    cfg: SearchConfig,
    rng: np.random.Generator,
) -> list[Criterion]:
    """Recent dated events that raise the share of best customers: in-market signals.

    Only recency windows on behavioural date columns qualify ("funded within 180 days"), never
    thresholds on money or size; a window most accounts fall into says nothing about *when* to
    call, and a column that already disqualifies cannot also be a trigger. Significance is a
    max-T permutation test over every candidate window.
    """
    from icpkit.significance import TraitZ, trait_max_t

    disq_cols = {c.column for c in disq}
    cand = np.array(
        [
            c.layer == "behavioural" and k == "recent" and c.column not in disq_cols
            for c, k in zip(ts.criteria, ts.kinds, strict=True)
        ],
        dtype=bool,
    ) & (np.nan_to_num(st.all_share, nan=1.0) <= cfg.timing_max_share)
    idx = np.flatnonzero(cand)
    if len(idx) == 0:
        return []

    def statistic(tz: TraitZ) -> np.ndarray:
        ok = (tz.ci_low > 1.0) & (np.nan_to_num(tz.best_share, nan=1.0) < cfg.timing_max_best_share)
        return np.where(ok, tz.z, -np.inf)

    obs, adj = trait_max_t(
        ts.has[:, idx],
        ts.known[:, idx],
        best,
        worst,
        statistic,
        permutations=cfg.trait_permutations,
        rng=rng,
        stop_after=cfg.stop_after,
    )
    # Decide on the value that is printed, which is never below the raw Fisher p.
    adj = np.maximum(adj, np.nan_to_num(st.p_value[idx], nan=1.0))
    adjusted = np.ones(len(ts))
    adjusted[idx] = adj
    ok = np.zeros(len(ts), dtype=bool)
    ok[idx] = np.isfinite(obs) & (adj <= cfg.alpha * cfg.timing_share)
    how = (
        f"permutation max-T over every candidate recency window ({cfg.trait_permutations} "
        "shuffles of the outcomes)"
    )
    return _strongest_per_column(
        ts, st, ok, cfg.max_timing, weighted=True, adjusted=adjusted, adjustment=how
    )


def _nice_to_haves(
    ts: TraitSet,
    inside: np.ndarray,
    best: np.ndarray,
    worst: np.ndarray,
    musts: list[Criterion],
    cfg: SearchConfig,
) -> list[Criterion]:
    """Traits that raise the share of best customers within the segment itself."""
    if inside.sum() < 2 * cfg.min_best:
        return []
    must_cols = {c.column for c in musts}
    s = ts.stats(best, worst, rows=inside)  # no copy of the trait matrices
    ok = (
        (s.q_value < 0.05)
        & (s.ci_low > 1.0)
        & (s.lift > 1.05)
        & np.array([c not in must_cols for c in ts.columns], dtype=bool)
    )
    return _strongest_per_column(ts, s, ok, cfg.max_nice, weighted=False)


#: Tier thresholds as odds relative to the base odds: A twice, B 1.3 times, C 1/1.3 of them, so
#: an account at the base rate is tier C, "average" (see ``icpkit.icp.TIER_WORDS``).
TIER_ODDS = {"A": 2.0, "B": 1.3, "C": 1 / 1.3}


#: Segment bonuses are fitted only from this many qualifying accounts (see fit_weights).
BONUS_MIN_ACCOUNTS = 2000


def tier_thresholds(base_rate: float) -> dict[str, float]:
    """fit_score thresholds of tiers A, B, C for a customer base with this share of best."""
    p = min(max(base_rate, 1e-4), 1 - 1e-4)
    odds = p / (1 - p)
    out: dict[str, float] = {}
    for tier, factor in TIER_ODDS.items():
        o = odds * factor
        out[tier] = round(100.0 * o / (1.0 + o), 1)
    # Rounding must not merge tiers on extreme base rates.
    out["B"] = min(out["B"], out["A"] - 0.1)
    out["C"] = max(min(out["C"], out["B"] - 0.1), 0.0)
    return out


def fit_weights(
    icp: ICP,
    frame: pl.DataFrame,
    best: np.ndarray,
    worst: np.ndarray,
    *,
    traits: TraitSet | None = None,
    stats: TraitStats | None = None,
    random_state: int = 0,
    segment_bonus: bool | None = None,
) -> ICP:
    """Fit the points model behind ``fit_score``; set tiers and the calibration table.

    Every candidate trait (``traits``, all three layers) and each segment's "all musts met" are
    the columns of an L1-regularised logistic regression whose penalty is chosen out of sample
    (:func:`icpkit.scorecard.fit_points`). Traits with a non-zero weight become
    ``scoring.points``, with their evidence; a segment's fitted interaction is its ``bonus`` and
    its own criteria carry weight 0 (they name the group; the points live in the scorecard).
    Disqualified accounts are decided by rule (fit_score 0); the scorecard is fitted on the
    accounts still in play.

    ``segment_bonus`` also fits each segment's "all musts met" as a column: the interaction
    an additive scorecard cannot express (saas *and* 200–1,000 employees). By default only from
    ``BONUS_MIN_ACCOUNTS`` qualifying accounts: a segment was found on these very accounts, the
    cross-validation inside :func:`~icpkit.scorecard.fit_points` cannot see that selection, and
    on small bases a spurious segment's bonus out-ranked the honest points (300 accounts: AUC
    0.47 with it, 0.52 without).
    """
    from icpkit.scorecard import FINAL_ROWS, fit_points, solve_intercept, stratified_sample

    qualifying = ~_disqualified(frame, icp.disqualifiers)
    if segment_bonus is None:
        segment_bonus = int(qualifying.sum()) >= BONUS_MIN_ACCOUNTS
    cand: list[int] = []
    if traits is not None:
        cand = [i for i, k in enumerate(traits.kinds) if k != "group"]
    seg_cols = [
        _mask(frame, list(seg.must)) if seg.must else np.zeros(frame.height, bool)
        for seg in icp.segments
    ]
    # The scorecard is fitted on at most FINAL_ROWS qualifying accounts (a stratified sample):
    # more changes the weights in the third decimal and costs minutes and gigabytes. Only the
    # sampled rows of the trait matrix are copied.
    q_idx = np.flatnonzero(qualifying)
    fit_idx = q_idx
    if len(q_idx) > FINAL_ROWS:
        fit_idx = q_idx[stratified_sample(best[q_idx], FINAL_ROWS, random_state)]
    parts = [traits.has[fit_idx][:, cand]] if traits is not None and cand else []
    if segment_bonus:
        parts += [m[fit_idx, None] for m in seg_cols]
    X_fit = np.hstack(parts) if parts else np.zeros((len(fit_idx), 0), dtype=bool)
    y = best[qualifying]
    model = fit_points(X_fit, best[fit_idx], random_state=random_state)
    coef = np.round(model.coef, 3)

    points: list[Criterion] = []
    order = sorted(range(len(cand)), key=lambda j: -abs(coef[j]))
    for j in order:
        if coef[j] == 0 or traits is None:
            continue
        i = cand[j]
        update: dict[str, object] = {"weight": float(coef[j])}
        if stats is not None:
            update["evidence"] = _ev(stats, i)
        points.append(traits.criteria[i].model_copy(update=update))
    segs = []
    for k, seg in enumerate(icp.segments):
        segs.append(
            seg.model_copy(
                update={
                    "bonus": float(coef[len(cand) + k]) if segment_bonus else 0.0,
                    "must": [c.model_copy(update={"weight": 0.0}) for c in seg.must],
                    "nice": [c.model_copy(update={"weight": 0.0}) for c in seg.nice],
                }
            )
        )
    base = float(y.mean()) if len(y) else float(best.mean())
    # Raw points of every qualifying account, column by column over the few non-zero weights
    # (no n × k float copy).
    raw = np.zeros(len(q_idx))
    for j in map(int, np.flatnonzero(coef)):
        col = traits.has[q_idx, cand[j]] if j < len(cand) else seg_cols[j - len(cand)][q_idx]  # type: ignore[union-attr]
        raw += coef[j] * col
    intercept = round(solve_intercept(raw, y.astype(np.float64)), 3) if len(y) else 0.0
    score = np.floor(1000.0 / (1.0 + np.exp(-np.clip(intercept + raw, -40, 40))) + 0.5) / 10.0
    scoring = icp.scoring.model_copy(
        update={
            "intercept": intercept,
            "points": points,
            "tiers": tier_thresholds(base),
            "calibration": calibration_rows(score, y, bands=10),
        }
    )
    return icp.model_copy(update={"segments": segs, "scoring": scoring})


def _disqualified(frame: pl.DataFrame, disq: Sequence[Criterion]) -> np.ndarray:
    out = np.zeros(frame.height, dtype=bool)
    for c in disq:
        out |= _mask(frame, [c])
    return out


def _segment_value(
    frame: pl.DataFrame, schema: Schema, inside: np.ndarray, outcomes: Outcomes
) -> list[OutcomeComparison]:
    out: list[OutcomeComparison] = []
    for c in schema.outcomes:
        if c.name not in frame.columns:
            continue
        s = frame.get_column(c.name)
        if s.dtype.is_numeric() and c.kind is Kind.NUMERIC:
            x = s.cast(pl.Float64).to_numpy()
            a, b = x[inside], x[~inside]
            if np.isnan(a).all() or np.isnan(b).all():
                continue
            out.append(
                OutcomeComparison(
                    metric=c.name,
                    segment=round(float(np.nanmedian(a)), 2),
                    others=round(float(np.nanmedian(b)), 2),
                    unit="median",
                    higher_is_better=higher_is_better(c),
                    kind=str(c.outcome.value) if c.outcome is not None else None,
                )
            )
    for metric, flags, good in (
        ("worst customers", outcomes.worst, False),
        ("best customers", outcomes.best, True),
    ):
        out.append(
            OutcomeComparison(
                metric=metric,
                segment=round(float(flags[inside].mean()), 4),
                others=round(float(flags[~inside].mean()), 4),
                unit="share",
                higher_is_better=good,
                outcome=outcomes.best_rule if good else outcomes.worst_rule,
            )
        )
    return out


def _segment_name(musts: list[Criterion]) -> str:
    return "; ".join(c.describe() for c in musts)


def _messaging(
    musts: list[Criterion], nice: list[Criterion], value: list[OutcomeComparison]
) -> list[str]:
    """Data-drawn pointers: the outcomes and traits that set the segment apart.

    Outcomes where the segment does better are ordered by relative difference, biggest first.
    """
    scored: list[tuple[float, str]] = []
    for v in value:
        if v.metric == "best customers":
            continue  # true by construction of a segment; says nothing to a buyer
        better = (v.segment > v.others) == v.higher_is_better
        if not better or abs(v.segment - v.others) < 1e-9:
            continue
        rel = abs(v.segment - v.others) / max(abs(v.others), abs(v.segment), 1e-9)
        scored.append((rel, v.phrase()))
    out = [p for _, p in sorted(scored, key=lambda t: -t[0])[:4]]
    for c in nice[:2]:
        out.append(f"best customers here more often have {c.describe()}")
    return out


def evidence_table(ts: TraitSet, st: TraitStats) -> pl.DataFrame:
    """Every trait tried, with its statistics: the raw material behind each criterion."""
    return pl.DataFrame(
        {
            "layer": [c.layer for c in ts.criteria],
            "column": ts.columns,
            "trait": [c.describe() for c in ts.criteria],
            "kind": ts.kinds,
            "best_share": st.best_share,
            "worst_share": st.worst_share,
            "all_share": st.all_share,
            "lift": st.lift,
            "odds_ratio": st.odds_ratio,
            "ci_low": st.ci_low,
            "ci_high": st.ci_high,
            "p_value": st.p_value,
            "q_value": st.q_value,
            "n": st.n,
            "n_best": st.n_best,
            "n_worst": st.n_worst,
        },
        strict=False,
    ).sort("q_value")


def _sha256(path: str | Path | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        return None
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = [
    "Discovery",
    "SearchConfig",
    "beam_search",
    "discover",
    "evidence_table",
    "fit_weights",
    "tier_thresholds",
]
