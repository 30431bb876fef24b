"""Candidate traits in three layers, evaluated into a matrix for the search.

A trait is a :class:`~icpkit.criteria.Criterion` that discovery may use. From a prepared frame
(see :mod:`icpkit.columns`) we derive:

* categorical columns: each frequent value, and value groups (the 2-4 values with the highest
  best-customer rate, read as one "industry is saas or fintech" trait);
* numeric columns: one-sided thresholds (``≥ c`` and ``< c``) at human-rounded quantiles, which the
  search combines into bands and :mod:`icpkit.discovery` refines on a finer grid;
* boolean columns: true and false;
* multi-valued columns (a tech stack): "has X" for each frequent item and, where a category map
  is known, "has no tool in category Y";
* behavioural date columns with a purchase date: "within N days before the purchase date" for
  N in 30/90/180/365 (timing signals);
* other date columns (or no purchase date): "within N days" back from the scoring date, for
  fixed windows (30 days to 10 years), windows at the quintiles of the data's own ages snapped
  to a readable grid (:data:`WINDOW_GRID`), and "on record" — a window reaching back past the
  oldest date — where enough accounts have no date. An additive score over nested windows is a
  step function of the age, so it follows the age wherever the data lies (fixed windows miss
  every date older than ten years); "on record" tells "no milestone at all" from "a milestone
  long ago", which the fixed windows lumped together (Crunchbase 2013, time split: held-out
  AUC 0.720 -> 0.731 vs all, 0.675 -> 0.718 vs closed).

The matrix keeps ``has`` and ``known`` apart: a missing value is unknown, not "lacks the trait".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from icpkit.columns.schema import ColumnInfo, Kind, Role, Schema
from icpkit.criteria import ON_RECORD_DAYS, Criterion, Layer
from icpkit.evidence import TraitStats, trait_stats

RECENCY_WINDOWS = (30, 90, 180, 365)
#: Windows back from the scoring date, for dates with no purchase date to measure from.
AGE_WINDOWS = (30, 90, 180, 365, 730, 1095, 1825, 3650)
#: Windows people write down (a week, a month, a quarter, half a year, whole years): the
#: data-driven windows snap to the nearest of these, so every window in icp.yaml is readable.
WINDOW_GRID: tuple[int, ...] = (
    *(7, 14, 30, 60, 90, 120, 180, 270, 365, 545, 730, 910, 1095, 1460, 1825),
    *(365 * years for years in range(6, 31)),
    *(365 * years for years in range(35, 101, 5)),
)


@dataclass(frozen=True)
class TraitConfig:
    """Knobs for candidate generation; the defaults suit a few thousand to a million accounts."""

    max_levels: int = 40
    max_group: int = 4
    quantiles: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    max_items: int = 60
    min_support: float = 0.01
    min_count: int = 20
    #: Quantiles of a date column's ages (days back) that add windows beside the fixed ones.
    #: On Crunchbase 2013 (time split) the fixed windows alone ranked held-out companies at AUC
    #: 0.720 / 0.675 (vs all / vs closed), with these 0.731 / 0.718 (black boxes 0.734 / 0.711);
    #: deciles ranked no better (0.731 / 0.709) and cost a quarter more CPU in discovery.
    date_quantiles: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    #: Add the "on record" window when at least min_count accounts have no (past) date.
    date_on_record: bool = True


@dataclass
class TraitSet:
    """Candidate traits and their evaluation over the accounts."""

    criteria: list[Criterion]
    has: np.ndarray  # n × k bool: trait met (False where unknown)
    known: np.ndarray  # n × k bool: value known
    columns: list[str] = field(default_factory=list)
    kinds: list[str] = field(
        default_factory=list
    )  # value, group, ge, lt, true, false, has, lacks, recent
    # Known-ness per source column (n × c bool) and each trait's column in it (k ints):
    # ``known == known_by_column[:, known_index]``. Counting on c ≈ 40 columns instead of
    # k ≈ 450 traits halves the work of the statistics at a million accounts.
    known_by_column: np.ndarray | None = None
    known_index: np.ndarray | None = None
    # The date windows without a reference column were measured back from (None: today).
    as_of: date | None = None

    def __len__(self) -> int:
        return len(self.criteria)

    def stats(
        self, best: np.ndarray, worst: np.ndarray, rows: np.ndarray | None = None
    ) -> TraitStats:
        """:func:`icpkit.evidence.trait_stats` of every trait, counting known-ness per column.

        ``rows`` (mask or indices) restricts the statistics to those accounts without copying
        the matrices.
        """
        per_column = None
        if self.known_by_column is not None and self.known_index is not None:
            per_column = (self.known_by_column, self.known_index)
        return trait_stats(self.has, self.known, best, worst, rows=rows, known_columns=per_column)

    def matrix(self, columns: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
        """``has`` (or its ``columns``) as float32, the form the search multiplies.

        Filled block by block from the bool matrix: no bool copy of the selected columns beside
        the float32 result (at a million accounts each n × k copy is hundreds of MB).
        """
        n = self.has.shape[0]
        cols = None if columns is None else np.asarray(columns, dtype=np.int64)
        k = self.has.shape[1] if cols is None else len(cols)
        out = np.empty((n, k), dtype=np.float32)
        step = _BLOCK_ROWS
        for start in range(0, n, step):
            block = self.has[start : start + step]
            out[start : start + step] = block if cols is None else block[:, cols]
        return out


def layer_of(info: ColumnInfo) -> Layer:
    return Layer(info.layer or Layer.FIRMOGRAPHIC)


def nice_number(x: float) -> float:
    """Round to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 × 10^k: edges people write down."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    sign = -1.0 if x < 0 else 1.0
    a = abs(x)
    exp = math.floor(math.log10(a))
    base = a / 10**exp
    steps = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0)
    best = min(steps, key=lambda s: abs(s - base))
    return sign * best * 10**exp


def nice_grid(lo: float, hi: float) -> list[float]:
    """Every nice number between lo and hi (for edge refinement)."""
    out: list[float] = []
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return out
    steps = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5)
    if lo <= 0 < hi:
        out.append(0.0)
    for sign in (1.0, -1.0):
        a, b = (lo, hi) if sign > 0 else (-hi, -lo)
        if b <= 0:
            continue
        start = math.floor(math.log10(max(a, 1e-9) if a > 0 else b / 1e6))
        stop = math.ceil(math.log10(b))
        for e in range(start, stop + 1):
            for s in steps:
                v = sign * s * 10**e
                if lo < v < hi:
                    out.append(v)
    return sorted(set(out))


def build_traits(
    frame: pl.DataFrame,
    schema: Schema,
    *,
    best: np.ndarray | None = None,
    category_map: Mapping[str, Sequence[str]] | None = None,
    config: TraitConfig | None = None,
    as_of: date | None = None,
) -> TraitSet:
    """Generate candidate traits for every attribute column and evaluate them.

    ``as_of`` is the date behavioural dates are measured back from when the data has no
    purchase-date column ("funding within 365 days before the scoring date"); default today.
    """
    config = config or TraitConfig()
    n = frame.height
    min_n = max(config.min_count, int(config.min_support * n))
    crits: list[Criterion] = []
    kinds: list[str] = []
    ref = schema.reference_date

    for info in schema.columns:
        if info.role is not Role.ATTRIBUTE and not (
            info.role is Role.DATE and info.layer is not None
        ):
            continue
        if info.name not in frame.columns or info.name == ref:
            continue
        s = frame.get_column(info.name)
        layer = layer_of(info)
        if info.kind is Kind.CATEGORICAL:
            _categorical(s, info.name, layer, best, config, min_n, crits, kinds)
        elif info.kind is Kind.NUMERIC:
            _numeric(s, info.name, layer, config, crits, kinds, unit=info.unit)
        elif info.kind is Kind.BOOLEAN:
            for val in (True, False):
                if int((s == val).sum()) >= min_n:
                    crits.append(Criterion(column=info.name, is_=val, layer=layer))
                    kinds.append("true" if val else "false")
        elif info.kind is Kind.MULTI:
            _multi(s, info.name, layer, category_map, config, min_n, crits, kinds)
        elif info.kind is Kind.DATE:
            # Behavioural events with a purchase date are measured back from it; other dates
            # (or no purchase date) back from the scoring date, which is what scoring a prospect
            # measures too — recency for events, age for the rest ("last milestone within 3
            # years").
            before = (
                ref
                if info.layer is Layer.BEHAVIOURAL and ref is not None and ref in frame.columns
                else None
            )
            if before is not None:
                # Recency before the purchase is a timing signal: the seller's own windows. On
                # the generated bases data-quantile windows here only added noise candidates
                # (500 accounts: AUC 0.737 -> 0.728 with deciles).
                windows = list(RECENCY_WINDOWS)
            else:
                ages = _ages(frame, info.name, as_of)
                windows = date_windows(ages, AGE_WINDOWS, config, min_n)
            for days in windows:
                crits.append(
                    Criterion(column=info.name, within_days=days, before=before, layer=layer)
                )
                kinds.append("recent")

    return evaluate(frame, crits, kinds=kinds, min_count=min_n, as_of=as_of)


def snap_days(days: float) -> int:
    """The window of :data:`WINDOW_GRID` nearest to ``days`` (by ratio: 50 days is 60, not 30)."""
    d = max(float(days), 1.0)
    return min(WINDOW_GRID, key=lambda g: abs(math.log(g / d)))


def _ages(frame: pl.DataFrame, column: str, as_of: date | None) -> pl.Series:
    """Days from each date back to ``as_of`` (default today), as ``within_days`` counts them;
    null where the date is unknown."""
    ref = pl.lit(as_of or date.today())
    return frame.select((ref - pl.col(column)).dt.total_days().alias("age")).to_series()


def date_windows(
    ages: pl.Series, fixed: Sequence[int], config: TraitConfig, min_n: int
) -> list[int]:
    """The "within N days" windows of one date column, shortest first.

    ``fixed`` windows, plus the quantiles (``config.date_quantiles``) of the known, past ages
    snapped to :data:`WINDOW_GRID`, plus the "on record" window: the shortest grid window that
    reaches past the oldest date, added when at least ``min_n`` accounts have no past date — for
    them "no date on record" may say as much as any age (Crunchbase's companies with no
    milestone were acquired half as often as those with one).
    """
    windows = set(fixed)
    past = ages.drop_nulls().filter(ages.drop_nulls() >= 0).cast(pl.Float64)
    if past.len() == 0:
        return sorted(windows)
    for q in config.date_quantiles:
        v = past.quantile(q)
        if v is not None and math.isfinite(v):
            windows.add(snap_days(v))
    oldest = float(past.max())  # type: ignore[arg-type]
    # A window that reaches past the oldest date is "on record"; keep only one such. Where
    # missing dates make "on record" a trait of its own, it is written as a century
    # (ON_RECORD_DAYS, read "on record"), which also keeps older dates of prospects scored later
    # inside it; otherwise the shortest window past the oldest date.
    beyond = sorted(w for w in windows if w > oldest)
    if config.date_on_record and ages.len() - past.len() >= min_n:
        beyond = [max(ON_RECORD_DAYS, 365 * (math.floor(oldest / 365) + 1))]
    return sorted(w for w in windows if w <= oldest) + beyond[:1]


def evaluate(
    frame: pl.DataFrame,
    crits: list[Criterion],
    *,
    kinds: list[str] | None = None,
    min_count: int = 0,
    as_of: date | None = None,
) -> TraitSet:
    """Evaluate criteria over a prepared frame into ``has``/``known`` matrices.

    Traits met by fewer than ``min_count`` accounts are dropped: nothing can be learnt from them.
    """
    kinds = kinds or ["" for _ in crits]
    if not crits:
        e = np.zeros((frame.height, 0), dtype=bool)
        return TraitSet([], e, e.copy(), [], [])
    res = frame.select(
        c.expr(as_of=as_of).fill_null(False).alias(f"t{i}") for i, c in enumerate(crits)
    )
    # Count in polars and convert only the traits kept: one row-major copy, made by polars,
    # instead of hundreds of strided column writes into a numpy matrix.
    counts = res.select(pl.all().sum()).row(0)
    idx = [i for i, n in enumerate(counts) if (n or 0) >= min_count]
    if not idx:
        e = np.zeros((frame.height, 0), dtype=bool)
        return TraitSet([], e, e.copy(), [], [])
    has = _bool_matrix(res.select(f"t{i}" for i in idx))
    # Known-ness is a property of the source columns: computed once per column, then gathered.
    slots: dict[tuple[str, str | None, bool], int] = {}
    exprs: list[pl.Expr] = []
    for i in idx:
        c = crits[i]
        key = _known_key(c)
        if key not in slots:
            known_expr = pl.col(c.column).is_not_null()
            if key[2]:  # "on record" asks whether there is a date: known for every account
                known_expr = pl.lit(True)
            elif c.before is not None and c.before in frame.columns:
                known_expr = known_expr & pl.col(c.before).is_not_null()
            slots[key] = len(exprs)
            exprs.append(known_expr.alias(f"k{len(exprs)}"))
    per_column = _bool_matrix(frame.select(exprs))
    index = np.array([slots[_known_key(crits[i])] for i in idx], dtype=np.int64)
    known = np.ascontiguousarray(per_column[:, index])
    return TraitSet(
        criteria=[crits[i] for i in idx],
        has=has,
        known=known,
        columns=[crits[i].column for i in idx],
        kinds=[kinds[i] for i in idx],
        known_by_column=per_column,
        known_index=index,
        as_of=as_of,
    )


def _known_key(c: Criterion) -> tuple[str, str | None, bool]:
    """Which accounts' value of ``c`` is known: those with its column (and ``before``) set,
    except for "on record" (``within_days`` ``ON_RECORD_DAYS`` from the scoring date), whose
    question is whether the column is set at all. Counted among known values only, every best
    and every worst account had it: 100% and 100%, a trait no test could see."""
    on_record = c.before is None and (c.within_days or 0) >= ON_RECORD_DAYS
    return (c.column, c.before, on_record)


# Columns unpacked at a time and rows transposed at a time by _bool_matrix and TraitSet.matrix.
_GROUP_COLS = 64
_BLOCK_ROWS = 16_384


def _bool_matrix(df: pl.DataFrame) -> np.ndarray:
    """The Boolean columns of ``df`` as one row-major numpy bool matrix (null counts as False).

    Polars' own ``to_numpy(order="c")`` stacks hundreds of columns into the row-major layout
    one strided column at a time (10 s of CPU at a million rows × 469 traits). Here each group
    of 64 columns is unpacked once and transposed block by block (2.8 s), and only one group's
    unpacked columns are held besides the result.
    """
    n, k = df.height, df.width
    out = np.empty((n, k), dtype=bool)
    width, step = _GROUP_COLS, _BLOCK_ROWS
    for j0 in range(0, k, width):
        group = df[:, j0 : j0 + width]
        cols = np.stack([s.fill_null(False).to_numpy() for s in group.iter_columns()])
        for start in range(0, n, step):
            out[start : start + step, j0 : j0 + group.width] = cols[:, start : start + step].T
    return out


def _categorical(
    s: pl.Series,
    name: str,
    layer: Layer,
    best: np.ndarray | None,
    config: TraitConfig,
    min_n: int,
    crits: list[Criterion],
    kinds: list[str],
) -> None:
    vc = s.drop_nulls().value_counts(sort=True).head(config.max_levels)
    values = [v for v, c in zip(vc[:, 0].to_list(), vc[:, 1].to_list(), strict=True) if c >= min_n]
    for v in values:
        crits.append(Criterion(column=name, in_=(str(v),), layer=layer))
        kinds.append("value")
    if best is None or len(values) < 3:
        return
    # Value groups: values ordered by best rate, read as one "x or y" trait.
    df = pl.DataFrame({"v": s, "b": best}).filter(pl.col("v").is_in(values))
    rates = df.group_by("v").agg(pl.col("b").mean().alias("r")).sort("r", descending=True)
    base = float(np.mean(best))
    ordered = [v for v, r in rates.iter_rows() if r > base]
    for size in range(2, min(config.max_group, len(ordered)) + 1):
        crits.append(Criterion(column=name, in_=tuple(ordered[:size]), layer=layer))
        kinds.append("group")


def _numeric(
    s: pl.Series,
    name: str,
    layer: Layer,
    config: TraitConfig,
    crits: list[Criterion],
    kinds: list[str],
    *,
    unit: str | None = None,
) -> None:
    x = s.drop_nulls().cast(pl.Float64)
    if x.len() == 0:
        return
    qs = [x.quantile(q) for q in config.quantiles]
    cuts = sorted({nice_number(float(q)) for q in qs if q is not None and math.isfinite(q)})
    lo, hi = float(x.min()), float(x.max())  # type: ignore[arg-type]
    for c in cuts:
        if not lo < c <= hi:
            continue
        crits.append(Criterion(column=name, between=(c, None), layer=layer, unit=unit))
        kinds.append("ge")
        crits.append(Criterion(column=name, between=(None, c), layer=layer, unit=unit))
        kinds.append("lt")


def _multi(
    s: pl.Series,
    name: str,
    layer: Layer,
    category_map: Mapping[str, Sequence[str]] | None,
    config: TraitConfig,
    min_n: int,
    crits: list[Criterion],
    kinds: list[str],
) -> None:
    items = s.explode().drop_nulls()
    vc = items.value_counts(sort=True).head(config.max_items)
    seen = set(items.unique().to_list())
    for v, c in zip(vc[:, 0].to_list(), vc[:, 1].to_list(), strict=True):
        if c >= min_n:
            crits.append(Criterion(column=name, has_any=(str(v),), layer=layer))
            kinds.append("has")
    if not category_map:
        return
    by_cat: dict[str, set[str]] = {}
    for tool, cats in category_map.items():
        for cat in cats:
            by_cat.setdefault(cat.lower(), set()).add(tool.lower())
    for cat, tools in sorted(by_cat.items()):
        if not tools & seen:
            continue  # nobody in the data runs any tool of this category: nothing to contrast
        crits.append(
            Criterion(column=name, has_none=tuple(sorted(tools)), category=cat, layer=layer)
        )
        kinds.append("lacks")


__all__ = [
    "AGE_WINDOWS",
    "RECENCY_WINDOWS",
    "WINDOW_GRID",
    "TraitConfig",
    "TraitSet",
    "build_traits",
    "date_windows",
    "evaluate",
    "layer_of",
    "nice_grid",
    "nice_number",
    "snap_days",
]
