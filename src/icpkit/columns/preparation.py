"""The prepared frame: typed, normalised columns (see docs/dev/conventions.md), with bad values
reported by row and duplicate ids refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from icpkit.columns.infer import NUMERIC_SHARE
from icpkit.columns.parsing import (
    Convention,
    clean_text,
    normalize_category,
    normalize_domain,
    normalize_list,
    number_conventions,
    parse_bool,
    parse_date,
    parse_number,
    split_multi,
)
from icpkit.columns.schema import Kind, PreparedFrame, Role
from icpkit.errors import InputError

if TYPE_CHECKING:
    from icpkit.columns.schema import ColumnInfo, Schema


def _rows(mask: pl.Series, limit: int = 5) -> str:
    idx = (mask.arg_true() + 1).to_list()
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def prepare(
    df: pl.DataFrame, schema: Schema, *, file: str | None = None, strict: bool = True
) -> PreparedFrame:
    """Rename to canonical names and type every column (see ``docs/dev/conventions.md``).

    Columns of the schema absent from ``df`` are skipped (scoring data has no outcomes); the
    caller checks what it needs. Values that do not fit their column become null with a warning
    naming the rows; a numeric/date/boolean column where fewer than 95% of values fit is "mixed
    types" and raises :class:`InputError` with the first bad row unless ``strict=False``.
    """
    warnings = list(schema.warnings)
    # One number convention per text column, from all its values and the file's other numbers.
    texts = {
        c.source: df[c.source]
        for c in schema.columns
        if c.kind is Kind.NUMERIC and c.source in df.columns and df.schema[c.source] == pl.String
    }
    conventions, notes = number_conventions(texts, file=file)
    warnings += notes
    exprs: list[pl.Expr] = []
    checks: list[tuple[ColumnInfo, str]] = []
    for c in schema.columns:
        src = c.source if c.source in df.columns else c.name if c.name in df.columns else None
        if src is None:
            continue
        e, checked = _column_expr(c, src, df.schema[src], conventions)
        exprs.append(e.alias(c.name))
        if checked:
            checks.append((c, src))
    try:
        out = df.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot prepare the data: {exc}", file=file) from None
    if checks:
        warnings += _unfit_values(df, out, checks, file=file, strict=strict)
    if schema.id and schema.id in out.columns:
        _check_unique_ids(out, schema.get(schema.id), file, warnings)
    return PreparedFrame(out, schema, warnings)


def _column_expr(
    c: ColumnInfo, src: str, dt: pl.DataType, conventions: dict[str, Convention]
) -> tuple[pl.Expr, bool]:
    """The expression typing one column, and whether its values can fail to fit the type
    (numbers, yes/no values and dates are checked afterwards)."""
    col = pl.col(src)
    if c.role is Role.ID:
        return clean_text(col), False
    if c.role is Role.DOMAIN:
        return normalize_domain(col), False
    if c.kind is Kind.NUMERIC:
        conv = conventions.get(src, "mixed")
        return (col.cast(pl.Float64) if dt.is_numeric() else parse_number(col, conv)), True
    if c.kind is Kind.BOOLEAN:
        return (col if dt == pl.Boolean else parse_bool(col)), True
    if c.kind is Kind.DATE:
        return (col.cast(pl.Date) if dt.is_temporal() else parse_date(col)), True
    if c.kind is Kind.MULTI:
        if isinstance(dt, (pl.List, pl.Array)):
            return normalize_list(col.cast(pl.List(pl.String))), False
        return split_multi(col, c.separator), False
    if c.kind is Kind.CATEGORICAL:
        return normalize_category(col), False
    return (clean_text(col) if dt == pl.String or dt.is_numeric() else col), False


def _unfit_values(
    df: pl.DataFrame,
    out: pl.DataFrame,
    checks: list[tuple[ColumnInfo, str]],
    *,
    file: str | None,
    strict: bool,
) -> list[str]:
    """Warnings for values that did not fit their type (one vectorised comparison per typed
    column); "mixed types" raises when ``strict``."""
    where = f"{file}: " if file else ""
    warnings: list[str] = []
    raw = df.select(
        clean_text(pl.col(src)).is_not_null().alias(c.name)
        if df.schema[src] == pl.String
        else pl.col(src).is_not_null().alias(c.name)
        for c, src in checks
    )
    for c, src in checks:
        bad = raw[c.name] & out[c.name].is_null()
        n_bad = int(bad.sum())
        if not n_bad:
            continue
        nonnull = int(raw[c.name].sum())
        share = 1 - n_bad / nonnull
        first = int(bad.arg_true()[0])
        value = df[src][first]
        kind = {"numeric": "numbers", "boolean": "yes/no values", "date": "dates"}[c.kind]
        if share < NUMERIC_SHARE and strict:
            raise InputError(
                f"mixed types: {share:.0%} of values are {kind} but {value!r} is not "
                f"({n_bad} such values); fix the data, override the column kind, "
                f"or pass strict=False to treat them as missing",
                file=file,
                column=src,
                row=first + 1,
            )
        warnings.append(
            f"{where}column {src!r}: {n_bad} value(s) are not {kind} and were treated as "
            f"missing (rows {_rows(bad)}; first {value!r})"
        )
    return warnings


def _check_unique_ids(
    out: pl.DataFrame, info: ColumnInfo, file: str | None, warnings: list[str]
) -> None:
    ids = out[info.name]
    missing = ids.is_null()
    if missing.any():
        where = f"{file}: " if file else ""
        warnings.append(
            f"{where}column {info.source!r}: {int(missing.sum())} row(s) have no id (rows {_rows(missing)})"
        )
    check_unique_ids(ids, file=file, column=info.source)


def check_unique_ids(ids: pl.Series, *, file: str | None = None, column: str | None = None) -> None:
    """Refuse repeated (non-null) account ids, naming the first pair and every repeated row.

    Ids key every join and write-back, so a repeat makes them ambiguous. A distinct count is
    several times cheaper than locating repeats, so repeats are located only when there are some.
    """
    if ids.n_unique() + max(ids.null_count() - 1, 0) == ids.len():
        return
    dup = ids.is_duplicated() & ids.is_not_null()
    repeat = ~ids.is_first_distinct() & ids.is_not_null()
    if not repeat.any():
        return
    second = int(repeat.arg_true()[0])
    value = ids[second]
    first = int((ids == value).arg_true()[0])
    rows = (dup.arg_true() + 1).to_list()
    shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
    raise InputError(
        f"duplicate id {value!r} in rows {first + 1} and {second + 1} ({len(rows)} rows share "
        f"an id: rows {shown}); ids must be unique",
        file=file,
        column=column,
        row=first + 1,
    )


__all__ = ["check_unique_ids", "prepare"]
