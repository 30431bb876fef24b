"""The in-process engine: an ICP compiled once into polars expressions, run lazily.

Raw prospect files are coerced to what the ICP needs first (headers mapped with
:func:`icpkit.columns.canonical_name`, numbers/dates/booleans/lists parsed, categoricals
normalised), then every distinct criterion is evaluated once into a three-valued column and the
scoring arithmetic of :mod:`icpkit.icp` runs over those columns. Nothing loops over accounts.

Categorical normalisation looks at the *unique* values of a column first: a clean column (the
usual case for Parquet) is used as is, a dirty one is fixed by a hash lookup from each distinct
raw value to its normalised form, which is far cheaper than string functions on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal, cast

import numpy as np
import polars as pl

from icpkit.columns.names import resolve_columns
from icpkit.columns.parsing import (
    Convention,
    NumberConventionWarning,
    normalize_category,
    normalize_text,
    number_conventions,
    parse_bool,
    parse_date,
    parse_number,
    split_multi,
)
from icpkit.columns.preparation import check_unique_ids
from icpkit.criteria import Criterion
from icpkit.errors import InputError, MissingColumnsError, UsageError
from icpkit.icp import ICP, CalibrationRow
from icpkit.scoring.plan import (
    MIN_QUALIFIED_FIT,
    RAW_CLIP,
    Plan,
    ValueType,
    bind_reference_dates,
    build_plan,
)

#: What a column the ICP reads but the input lacks does: stop, or count as unknown.
Missing = Literal["error", "unknown"]
#: How scored output explains each score: reason codes, sentences, or not at all.
Reasons = Literal["codes", "text", "none"]
#: Where scoring runs: polars in process, or the Spark SQL in a Spark session.
EngineName = Literal["polars", "spark"]

_PREFIX = "__icp_"
_TARGET: dict[str, pl.DataType] = {
    "category": pl.String(),
    "number": pl.Float64(),
    "bool": pl.Boolean(),
    "list": pl.List(pl.String()),
    "date": pl.Date(),
}


# -- parsing (the rules live in icpkit.columns) --------------------------------------------------


def _parse(kind: ValueType, expr: pl.Expr, convention: Convention = "mixed") -> pl.Expr:
    """Parse a string column into the kind's type (unparseable values become null)."""
    if kind == "number":
        return parse_number(expr, convention)
    if kind == "bool":
        return parse_bool(expr)
    if kind == "date":
        return parse_date(expr)
    if kind == "list":
        return split_multi(expr)
    return normalize_category(expr)


# -- coercion --------------------------------------------------------------------------------


def _unique_fix(
    lf: pl.LazyFrame, src: pl.Expr, kind: ValueType, uniq: pl.Series | None = None
) -> pl.Expr | None:
    """Replacement expression from distinct raw values to normalised ones; None when clean."""
    if uniq is None:
        values = src.explode() if kind == "list" else src
        uniq = lf.select(values.unique().alias("raw")).collect()["raw"]
    uniq = uniq.drop_nulls().rename("raw")
    fixed = uniq.to_frame().select(normalize_category(pl.col("raw")).alias("raw"))["raw"]
    if (uniq == fixed).fill_null(False).all():
        return None
    if kind == "list":
        el = pl.element().replace_strict(uniq, fixed, default=None, return_dtype=pl.String)
        return src.list.eval(el).list.eval(
            pl.element().filter(pl.element().is_not_null() & (pl.element() != ""))
        )
    return src.replace_strict(uniq, fixed, default=None, return_dtype=pl.String)


def _coerce(
    lf: pl.LazyFrame,
    col: str,
    dtype: pl.DataType,
    kind: ValueType,
    *,
    check_unique: bool,
    uniq: pl.Series | None = None,
    convention: Convention = "mixed",
) -> pl.Expr | None:
    """An expression giving ``col`` the kind's prepared type; None when it already has it.

    ``check_unique=False`` trusts categorical and list values to be normalised already.
    ``convention`` is a text number column's (see :func:`icpkit.columns.number_conventions`).
    """
    src = pl.col(col)
    if dtype == pl.Null:
        return pl.lit(None, dtype=_TARGET[kind])
    if kind == "category":
        if dtype != pl.String and not isinstance(dtype, pl.Categorical | pl.Enum):
            return normalize_category(src.cast(pl.String))
        cast = dtype != pl.String
        base = src.cast(pl.String) if cast else src
        if not check_unique:  # prepared: trusted as normalised
            return base if cast else None
        fix = _unique_fix(lf, base, kind, uniq)
        if fix is None:
            return base if cast else None
        return fix
    if kind == "list":
        if isinstance(dtype, pl.List):
            base = src if dtype.inner == pl.String else src.cast(pl.List(pl.String))
            if not check_unique:  # prepared: trusted as normalised
                return None if dtype.inner == pl.String else base
            fix = _unique_fix(lf, base, kind, uniq)
            if fix is None:
                return None if dtype.inner == pl.String else base
            return fix
        if dtype == pl.String:
            return _parse("list", src)
        return pl.concat_list(normalize_text(src.cast(pl.String)))
    if kind == "number":
        if dtype.is_numeric():
            # NaN is not a number an account can have, and SQL engines order it differently.
            out = src if dtype == pl.Float64 else src.cast(pl.Float64)
            if dtype.is_float():
                return out.fill_nan(None)
            return out
        if dtype == pl.Boolean:
            return src.cast(pl.Float64)
        return _parse("number", src.cast(pl.String), convention)
    if kind == "bool":
        if dtype == pl.Boolean:
            return None
        if dtype.is_numeric():
            return src != 0
        return _parse("bool", src.cast(pl.String))
    # date
    if dtype == pl.Date:
        return None
    if isinstance(dtype, pl.Datetime):
        return src.dt.date()
    return _parse("date", src.cast(pl.String))


def _distinct_values(
    lf: pl.LazyFrame,
    plan: Plan,
    found: dict[str, str],
    schema: pl.Schema,
    *,
    in_memory: bool = False,
) -> dict[tuple[str, ValueType], pl.Series]:
    """Distinct raw values of every categorical/list column the plan reads, in one query.

    One query lets polars hash the columns in parallel; asked one at a time they queue.
    """
    exprs: dict[tuple[str, ValueType], pl.Expr] = {}
    for col, kind in plan.kinds():
        src = found.get(col)
        if src is None:
            continue
        dtype, c = schema[src], pl.col(src)
        if kind == "category" and (
            dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
        ):
            exprs[(col, kind)] = c.cast(pl.String) if dtype != pl.String else c
        elif kind == "list" and isinstance(dtype, pl.List):
            base = c if dtype.inner == pl.String else c.cast(pl.List(pl.String))
            exprs[(col, kind)] = base.explode()
    if not exprs:
        return {}
    keys = list(exprs)
    # The default engine hashes these columns one after the other on a single thread; the
    # in-memory engine runs one per core (half the wall time on two cores). Only for frames
    # already in memory: a lazy scan keeps the default, which streams.
    row = lf.select(
        [e.unique().implode().alias(f"{_PREFIX}u{j}") for j, e in enumerate(exprs.values())]
    ).collect(engine="in-memory" if in_memory else "auto")
    return {k: row[f"{_PREFIX}u{j}"][0] for j, k in enumerate(keys)}


def _number_conventions(
    lf: pl.LazyFrame, plan: Plan, found: dict[str, str], schema: pl.Schema
) -> dict[str, Convention]:
    """The number convention of every text number column the ICP reads, decided together.

    The same rule as :func:`icpkit.columns.prepare` over the ICP's number columns (the SQL engine
    sees only those, and must decide alike); which convention was used is reported as a
    :class:`icpkit.columns.NumberConventionWarning` whenever it was not plain US.
    """
    cols = [
        found[col]
        for col, kind in plan.kinds()
        if kind == "number" and col in found and schema[found[col]] == pl.String
    ]
    cols = list(dict.fromkeys(cols))
    if not cols:
        return {}
    import warnings

    row = lf.select([pl.col(c).unique().implode() for c in cols]).collect()
    conventions, notes = number_conventions({c: row[c][0] for c in cols})
    for note in notes:
        warnings.warn(note, NumberConventionWarning, stacklevel=4)
    return conventions


def prepare_columns(
    lf: pl.LazyFrame, plan: Plan, *, missing: Missing, check_unique: bool, in_memory: bool = False
) -> tuple[pl.LazyFrame, dict[tuple[str, ValueType], str], list[str]]:
    """Add prepared columns; returns the frame, the (column, kind) → name map and temp names."""
    schema = lf.collect_schema()
    wanted = list(plan.columns())
    found = resolve_columns(list(schema.names()), wanted)
    absent = [w for w in wanted if w not in found]
    if absent and missing == "error":
        raise MissingColumnsError(
            absent, why="the ICP needs them; pass missing='unknown' to score them as unknown"
        )
    names: dict[tuple[str, ValueType], str] = {}
    exprs: list[pl.Expr] = []
    uniques = _distinct_values(lf, plan, found, schema, in_memory=in_memory) if check_unique else {}
    conventions = _number_conventions(lf, plan, found, schema)
    for col, kind in plan.kinds():
        tmp = f"{_PREFIX}{col}__{kind}"
        if col not in found:
            exprs.append(pl.lit(None, dtype=_TARGET[kind]).alias(tmp))
            names[(col, kind)] = tmp
            continue
        src = found[col]
        expr = _coerce(
            lf,
            src,
            schema[src],
            kind,
            check_unique=check_unique,
            uniq=uniques.get((col, kind)),
            convention=conventions.get(src, "mixed"),
        )
        if expr is None:
            names[(col, kind)] = src
        else:
            exprs.append(expr.alias(tmp))
            names[(col, kind)] = tmp
    temps = [e.meta.output_name() for e in exprs]
    return (lf.with_columns(exprs) if exprs else lf), names, temps


# -- scoring expressions ---------------------------------------------------------------------


def _lit(x: float) -> pl.Expr:
    return pl.lit(x, dtype=pl.Float64)


def _round(expr: pl.Expr, decimals: int) -> pl.Expr:
    """Half-up rounding spelled the same way in SQL (``FLOOR(x * 10^d + 0.5) / 10^d``)."""
    f = 10**decimals
    # polars divides by a literal through its reciprocal; round() restores the exact quotient.
    return ((expr * f + 0.5).floor() / f).round(decimals)


#: Up to this many values, ``in`` is spelled as ``==`` chained by ``|`` rather than ``is_in``.
_EQ_CHAIN = 4


def _test_expr(c: Criterion, names: dict[tuple[str, ValueType], str], as_of: date) -> pl.Expr:
    """The criterion's three-valued test on the prepared column, in its cheapest spelling.

    Same values as :meth:`Criterion.expr`: a band's two comparisons are both null exactly when
    the value is, so Kleene ``&`` already keeps unknown unknown; a window ending on a fixed date
    compares dates instead of computing a duration per row.
    """
    from icpkit.criteria import Operator
    from icpkit.scoring.plan import kind_of

    col = pl.col(names[(c.column, kind_of(c))])
    op = c.operator
    if op is Operator.BETWEEN:
        lo, hi = c.between or (None, None)
        if lo is not None and hi is not None:
            return (col >= lo) & (col < hi)
        return col >= lo if lo is not None else col < hi
    if op is Operator.WITHIN_DAYS and not c.before:
        first = as_of - timedelta(days=int(c.within_days or 0))
        return (col <= pl.lit(as_of)) & (col >= pl.lit(first))
    if op is Operator.IN and 0 < len(c.in_ or ()) <= _EQ_CHAIN:
        # A few equalities compare string views by their inline prefix: several times cheaper
        # than is_in's hash probe, with the same nulls (null == v is null, null | null is null).
        values = list(c.in_ or ())
        out = col == values[0]
        for v in values[1:]:
            out = out | (col == v)
        return out
    update: dict[str, Any] = {"column": names[(c.column, kind_of(c))]}
    if c.before:
        update["before"] = names[(c.before, "date")]
    return c.model_copy(update=update).expr(as_of=as_of)


def _add(terms: list[pl.Expr]) -> pl.Expr:
    """``terms[0] + terms[1] + ...`` left to right, so every engine adds in the same order."""
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


def _weighted(t: list[pl.Expr], items: Sequence[tuple[int, float]]) -> list[pl.Expr]:
    """One term per ``(test, weight)``: the weight when the test is met, else 0.

    when() treats null as false, so unknown adds nothing without a fill_null pass."""
    return [pl.when(t[i]).then(_lit(w)).otherwise(_lit(0.0)) for i, w in items]


def _segment_points(plan: Plan, t: list[pl.Expr]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Each segment's own points (its items plus the bonus when complete) and completeness."""
    points: list[pl.Expr] = []
    completes: list[pl.Expr] = []
    for s in plan.segments:
        terms = _weighted(t, s.items)
        complete = t[s.must[0]]  # Kleene: null only when no must failed; when() reads it false
        for i in s.must[1:]:
            complete = complete & t[i]
        terms.append(pl.when(complete).then(_lit(s.bonus)).otherwise(_lit(0.0)))
        points.append(_add(terms))
        completes.append(complete.fill_null(False))
    return points, completes


def _disqualifier_exprs(
    plan: Plan, t: list[pl.Expr], met: list[pl.Expr]
) -> tuple[pl.Expr, pl.Expr]:
    """Whether any disqualifier is met, and the description of the first one met."""
    if not plan.disqualifiers:
        return pl.lit(False), pl.lit(None, dtype=pl.String)
    first = plan.disqualifiers[0]
    disq = met[first]
    for i in plan.disqualifiers[1:]:
        disq = disq | met[i]
    chain: Any = pl.when(t[first]).then(pl.lit(plan.tests[first].describe()))
    for i in plan.disqualifiers[1:]:
        chain = chain.when(t[i]).then(pl.lit(plan.tests[i].describe()))
    return disq, chain.otherwise(pl.lit(None, dtype=pl.String))


def _segment_expr(plan: Plan, p: list[pl.Expr]) -> pl.Expr:
    """Members meet every must; among the segments an account belongs to, the one with the
    most own points wins, ties to the first in the file."""
    if not plan.segments:
        return pl.lit(None, dtype=pl.String)
    cm = [pl.col(f"{_PREFIX}c{k}") for k in range(len(plan.segments))]
    seg_chain: Any = None
    for j, s in enumerate(plan.segments):
        cond = cm[j]
        for i in range(j):
            cond = cond & (~cm[i] | (p[j] > p[i]))
        for k in range(j + 1, len(p)):
            cond = cond & (~cm[k] | (p[j] >= p[k]))
        seg_chain = (pl.when(cond) if seg_chain is None else seg_chain.when(cond)).then(
            pl.lit(s.id)
        )
    return cast(pl.Expr, seg_chain.otherwise(pl.lit(None, dtype=pl.String)))


def _tier_expr(plan: Plan) -> pl.Expr:
    """A/B/C/D from the fit score and the plan's thresholds; disqualified is always D."""
    a, b, c = plan.tiers
    tier_fit = (
        pl.when(pl.col("fit_score") >= a)
        .then(pl.lit("A"))
        .when(pl.col("fit_score") >= b)
        .then(pl.lit("B"))
        .when(pl.col("fit_score") >= c)
        .then(pl.lit("C"))
        .otherwise(pl.lit("D"))
    )
    return pl.when(pl.col("disqualified")).then(pl.lit("D")).otherwise(tier_fit)


def _quadrant_expr() -> pl.Expr:
    """Fit (tier) crossed with timing (in market or not), in words."""
    fitq = pl.col("tier").is_in(["A", "B"])
    avg = pl.col("tier") == "C"
    return (
        pl.when(fitq & pl.col("in_market"))
        .then(pl.lit("fit + in-market"))
        .when(fitq)
        .then(pl.lit("fit + dormant"))
        .when(avg & pl.col("in_market"))
        .then(pl.lit("average + in-market"))
        .when(avg)
        .then(pl.lit("average"))
        .when(pl.col("in_market"))
        .then(pl.lit("poor fit + in-market"))
        .otherwise(pl.lit("poor fit"))
    )


def score_exprs(plan: Plan, reasons: Reasons) -> list[list[pl.Expr]]:
    """Stages of expressions over test columns ``__icp_t{i}`` producing the output columns."""
    t = [pl.col(f"{_PREFIX}t{i}") for i in range(len(plan.tests))]
    met = [x.fill_null(False) for x in t]
    points, completes = _segment_points(plan, t)
    p = [pl.col(f"{_PREFIX}p{k}") for k in range(len(points))]
    # The scorecard's points, one column so the raw sum adds the same terms in every engine.
    if plan.points:
        points.append(_add(_weighted(t, plan.points)))
    extra = [pl.col(f"{_PREFIX}p{len(plan.segments)}")] if plan.points else []
    raw = _add([_lit(plan.intercept), *extra, *p]).clip(-RAW_CLIP, RAW_CLIP)
    fit_model = pl.max_horizontal(
        _round(_lit(100.0) * (_lit(1.0) / (_lit(1.0) + (-raw).exp())), 1), _lit(MIN_QUALIFIED_FIT)
    )
    disq, disq_by = _disqualifier_exprs(plan, t, met)
    # Disqualifiers act on the score itself: 0, below every qualified account.
    fit = pl.when(disq).then(_lit(0.0)).otherwise(fit_model) if plan.disqualifiers else fit_model

    if plan.timing and plan.timing_total > 0:
        tsum = _add(_weighted(t, plan.timing))
        timing = _round(_lit(100.0) * tsum * _lit(1.0 / plan.timing_total), 1)
    else:
        timing = _lit(0.0)
    k = len(plan.tests)
    if k:
        known = pl.sum_horizontal([x.is_not_null() for x in t])
        completeness = _round(known.cast(pl.Float64) * _lit(1.0 / k), 3)
    else:
        completeness = _lit(1.0)

    stage1 = [x.alias(f"{_PREFIX}p{k_}") for k_, x in enumerate(points)]
    stage1 += [x.alias(f"{_PREFIX}c{k_}") for k_, x in enumerate(completes)]
    stage2 = [
        fit.alias("fit_score"),
        disq.alias("disqualified"),
        disq_by.alias("disqualified_by"),
        _segment_expr(plan, p).alias("segment"),
        completeness.alias("data_completeness"),
        timing.alias("timing_score"),
    ]
    if reasons != "none":
        from icpkit.scoring.explain import codes_expr

        stage2.append(codes_expr(t, packed=plan.packed_codes).alias("reasons"))
    stage3 = [
        _tier_expr(plan).alias("tier"),
        (pl.col("timing_score") >= plan.in_market_at).alias("in_market"),
        pl.when(pl.col("disqualified"))
        .then(_lit(0.0))
        .otherwise(
            _round(pl.col("fit_score") * (_lit(1.0) + pl.col("timing_score") * 0.01) * 0.5, 2)
        )
        .alias("priority"),
    ]
    return [stage1, stage2, stage3, [_quadrant_expr().alias("quadrant")]]


#: Priorities are rounded to 0.01 and lie in [0, 100]: at most 10,001 distinct values.
_PRIORITY_STEPS = 100
_MAX_KEY = 10_000_000


def rank_desc(priority: pl.Series) -> pl.Series:
    """SQL ``RANK() OVER (ORDER BY priority DESC)`` without sorting ten million rows.

    Priorities sit on a 0.01 grid, so each one maps exactly to an integer key; the rank of a row
    is one plus the number of rows with a larger key, which a histogram of the keys and its
    running sum give in two linear passes (ten times faster than a sort). Anything off the grid
    (negative, NaN, null, not a multiple of 0.01) takes polars' sorting rank instead.
    """
    import numpy as np

    def fallback() -> pl.Series:
        return priority.rank(method="min", descending=True).cast(pl.Int64)

    if priority.len() == 0 or priority.null_count() or priority.dtype != pl.Float64:
        return fallback()
    p = priority.to_numpy()
    key = np.rint(p * _PRIORITY_STEPS)
    lo, hi = key.min(), key.max()
    if not (lo >= 0 and hi <= _MAX_KEY) or not np.array_equal(key / _PRIORITY_STEPS, p):
        return fallback()
    k = key.astype(np.int64)
    above = len(k) - np.cumsum(np.bincount(k))  # rows with a larger key than each key
    return pl.Series(priority.name, above[k] + 1, dtype=pl.Int64)


def rank_expr(priority: pl.Expr) -> pl.Expr:
    """:func:`rank_desc` as an expression; it needs the whole column, like any rank."""
    return priority.map_batches(rank_desc, return_dtype=pl.Int64)


def output_order(reasons: Reasons) -> list[str]:
    from icpkit.scoring.plan import OUTPUT_COLUMNS

    return [c for c in OUTPUT_COLUMNS if reasons != "none" or c != "reasons"]


def _score_lf(
    lf: pl.LazyFrame,
    icp: ICP,
    *,
    as_of: date | None,
    missing: Missing,
    reasons: Reasons,
    check_unique: bool,
    rank: bool = True,
    in_memory: bool = False,
) -> pl.LazyFrame:
    input_cols = list(lf.collect_schema().names())
    plan = build_plan(bind_reference_dates(icp, input_cols))
    clash = [c for c in input_cols if c in {"fit_score", "tier", "priority", "rank"}]
    if clash:
        # Re-scoring a scored file: the old score columns are replaced, not duplicated.
        from icpkit.scoring.plan import OUTPUT_COLUMNS

        lf = lf.drop([c for c in input_cols if c in OUTPUT_COLUMNS])
        input_cols = [c for c in input_cols if c not in OUTPUT_COLUMNS]
    lf, names, _temps = prepare_columns(
        lf, plan, missing=missing, check_unique=check_unique, in_memory=in_memory
    )
    ref = as_of or date.today()
    tests = [_test_expr(c, names, ref).alias(f"{_PREFIX}t{i}") for i, c in enumerate(plan.tests)]
    if tests:
        lf = lf.with_columns(tests)
    for stage in score_exprs(plan, "codes" if reasons == "text" else reasons):
        if stage:
            lf = lf.with_columns(stage)
    out_cols = output_order(reasons)
    if rank:
        lf = lf.with_columns(rank_expr(pl.col("priority")).alias("rank"))
    else:
        out_cols = [c for c in out_cols if c != "rank"]
    lf = lf.select([*input_cols, *out_cols])
    if reasons == "text":
        from icpkit.scoring.explain import expand_reasons_expr

        lf = lf.with_columns(expand_reasons_expr(pl.col("reasons"), icp))
    return lf


def _check_ids(df: pl.DataFrame, icp: ICP) -> None:
    """Duplicate account ids make write-back ambiguous: refuse, naming the rows."""
    id_col = icp.columns.get("id")
    names = df.columns
    found = resolve_columns(names, ["id"]) if id_col is None else resolve_columns(names, [id_col])
    col = found.get(id_col or "id")
    if col is not None:
        check_unique_ids(df[col], column=col)


def score(
    df: Any,
    icp: ICP,
    *,
    as_of: date | None = None,
    missing: Missing = "error",
    reasons: Reasons = "codes",
    rank: bool = True,
    prepared: bool = False,
) -> Any:
    """Score every account; returns the same kind of frame with the ICP columns appended.

    Accepts a polars ``DataFrame`` or ``LazyFrame`` or a pandas ``DataFrame``. See
    :mod:`icpkit.icp` for the scoring rules and :mod:`icpkit.scoring.explain` for reason codes.
    ``rank=False`` leaves out the file-wide ``rank`` column (the only step that needs every row).
    ``prepared=True`` promises categorical columns are already normalised (as
    :func:`icpkit.columns.prepare` leaves them) and skips checking their distinct values, a
    hash pass per column, and the duplicate-id check (``prepare`` made it; frames joined from
    deals repeat accounts on purpose); un-normalised values then simply fail to match.

    Windows end on ``as_of``, by default today (validation passes the ICP's ``source.as_of``,
    the date discovery measured its windows from).
    """
    if isinstance(df, pl.LazyFrame):
        return _score_lf(
            df,
            icp,
            as_of=as_of,
            missing=missing,
            reasons=reasons,
            check_unique=not prepared,
            rank=rank,
        )
    if isinstance(df, pl.DataFrame):
        if not prepared:
            _check_ids(df, icp)
        lf = _score_lf(
            df.lazy(),
            icp,
            as_of=as_of,
            missing=missing,
            reasons=reasons,
            check_unique=not prepared,
            rank=rank,
            in_memory=True,
        )
        return lf.collect()
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        out = score(_from_pandas(df), icp, as_of=as_of, missing=missing, reasons=reasons, rank=rank)
        return _to_pandas(out, index=df.index)
    raise UsageError(f"score() needs a polars or pandas DataFrame, not {type(df).__name__}")


def _from_pandas(df: Any) -> pl.DataFrame:
    """pandas → polars; column by column through numpy when pyarrow is unavailable."""
    try:
        return pl.from_pandas(df)
    except ImportError:
        cols = {}
        for name in df.columns:
            values = df[name]
            if values.dtype == object or str(values.dtype) in ("string", "str"):
                data = [None if v is None or v != v else v for v in values.tolist()]
                cols[str(name)] = pl.Series(str(name), data)
            else:
                cols[str(name)] = pl.Series(str(name), values.to_numpy())
        return pl.DataFrame(cols)


def _to_pandas(df: pl.DataFrame, *, index: Any) -> Any:
    """polars → pandas keeping the caller's index; numpy path when pyarrow is unavailable."""
    import pandas as pd

    try:
        out = df.to_pandas()
    except ImportError:
        data = {}
        for s in df.iter_columns():
            if s.dtype == pl.String or s.dtype.is_nested():
                data[s.name] = pd.Series(s.to_list(), dtype=object)
            elif s.dtype == pl.Boolean and s.null_count():
                data[s.name] = pd.Series(s.to_list(), dtype="boolean")
            else:
                data[s.name] = s.to_numpy()
        out = pd.DataFrame(data)
    out.index = index
    return out


def score_lazy(
    lf: pl.LazyFrame,
    icp: ICP,
    *,
    as_of: date | None = None,
    missing: Missing = "error",
    reasons: Reasons = "codes",
    rank: bool = True,
) -> pl.LazyFrame:
    """The lazy pipeline for data larger than memory (``sink_parquet`` it).

    Categorical columns are checked for normalisation with one pass over their distinct values.
    ``rank=False`` leaves out the file-wide rank, the one step that needs all rows at once.
    """
    return _score_lf(
        lf, icp, as_of=as_of, missing=missing, reasons=reasons, check_unique=True, rank=rank
    )


def calibration_rows(
    score: np.ndarray,
    outcome: np.ndarray,
    *,
    edges: Sequence[float] | None = None,
    bands: int = 10,
) -> list[CalibrationRow]:
    """Predicted against observed share of best customers (or wins) per score band.

    The one implementation of the calibration table, for the ICP file, the living review and
    :func:`calibration_table`. ``score`` is the fit score (0-100); ``outcome`` is 1/true for best
    (won), 0/false for worst (lost) and NaN for neither (counted in ``accounts``, not in
    ``observed``). With ``edges`` the bands are ``[lo, hi)`` (the last one closed) and empty
    ones are left out; without, ``bands`` equal-count bands of the accounts sorted by score,
    where neighbouring bands of one and the same score range are merged into one row.
    """
    score = np.asarray(score, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    if edges is not None:
        lo, hi = np.asarray(edges[:-1], dtype=float), np.asarray(edges[1:], dtype=float)
        band = np.searchsorted(hi, score, side="right")
        band = np.where(score == hi[-1], len(hi) - 1, band)
        band = np.where((score < lo[0]) | np.isnan(score), -1, band)
        groups = [(np.flatnonzero(band == k), lo[k], hi[k]) for k in range(len(hi))]
    else:
        order = np.argsort(score, kind="stable")
        groups = [
            (chunk, float(score[chunk].min()), float(score[chunk].max()))
            for chunk in np.array_split(order, bands)
            if len(chunk)
        ]
    rows: list[CalibrationRow] = []
    for idx, s_from, s_to in groups:
        if not len(idx):
            continue
        known = y[idx][~np.isnan(y[idx])]
        row = CalibrationRow(
            score_from=float(s_from),
            score_to=float(s_to),
            accounts=len(idx),
            predicted=round(float(score[idx].mean()) / 100, 4),
            observed=round(float(known.mean()), 4) if len(known) else float("nan"),
        )
        prev = rows[-1] if rows else None
        if (
            edges is None
            and prev is not None
            and (prev.score_from, prev.score_to)
            == (
                row.score_from,
                row.score_to,
            )
        ):
            tot = prev.accounts + row.accounts
            observed = (prev.observed * prev.accounts + row.observed * row.accounts) / tot
            rows[-1] = prev.model_copy(update={"accounts": tot, "observed": round(observed, 4)})
        else:
            rows.append(row)
    return rows


def calibration_table(
    scored: pl.DataFrame,
    outcome: str | pl.Series,
    *,
    edges: Sequence[float] = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100),
) -> pl.DataFrame:
    """:func:`calibration_rows` of a scored frame, as a frame (one row per non-empty band).

    ``outcome`` is a boolean column (or Series): true for best, false for worst, null for
    accounts that are neither; those count in ``accounts`` but not in ``observed``.
    """
    y = scored[outcome] if isinstance(outcome, str) else outcome
    if y.dtype != pl.Boolean:
        raise InputError("the calibration outcome must be boolean (best / worst / null)")
    if "fit_score" not in scored.columns:
        raise MissingColumnsError(["fit_score"], why="score the customers first")
    rows = calibration_rows(
        scored["fit_score"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        y.cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        edges=edges,
    )
    schema = {
        "score_from": pl.Float64,
        "score_to": pl.Float64,
        "accounts": pl.Int64,
        "predicted": pl.Float64,
        "observed": pl.Float64,
    }
    data = [r.model_dump() for r in rows]
    table = pl.DataFrame(data, schema=schema) if data else pl.DataFrame(schema=schema)
    return table.with_columns(pl.col("observed").fill_nan(None))


__all__ = [
    "EngineName",
    "Missing",
    "Reasons",
    "calibration_rows",
    "calibration_table",
    "rank_desc",
    "rank_expr",
    "score",
    "score_exprs",
    "score_lazy",
]
