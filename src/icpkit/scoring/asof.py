"""The date "within N days" is measured back from: the data's own "now" when it is not today.

A CRM export is a snapshot. Scored or mined years after it was taken (the public Crunchbase
export ends in late 2013), every window measured back from *today* is either empty ("last
funding within 180 days": nobody) or a proxy for age ("last milestone within 17 years"), so
timing signals cannot be found and date traits reward old companies. Both discovery
(:func:`icpkit.pipeline.discover_file`) and scoring (:func:`icpkit.scoring.score_file`) ask
this module where the data's dates end:

* :func:`latest_date` — the latest date that at least :func:`min_accounts` accounts reach,
  taking each account's latest date over the given columns and ignoring dates after today.
  A high order statistic rather than the maximum: one typed year (2031 for 2013, or a
  milestone dated a year after the export) moves the maximum but not the date that 0.1% of
  accounts (at least 10) reach. On the Crunchbase export the maximum is 2014-09-17 (nine
  accounts reach 2014), the rule's date 2013-11-01 — the export's real end within weeks.
* :func:`infer_as_of` — that date, when it lies more than :data:`STALE_AFTER_DAYS` before
  today and the data has no purchase-date column (windows then run back from the purchase).
  A live export has some dated activity in the last year; a year of silence means a snapshot.
* :func:`stale_dates_note` — scoring's warning when the ICP's windows cannot be met by any
  account because the scored file's dates end long before the scoring date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from icpkit.columns.schema import Kind, Schema
from icpkit.criteria import ON_RECORD_DAYS, Operator
from icpkit.icp import ICP

#: The data's dates must end more than this many days before today for discovery to measure
#: windows from them instead (and for scoring to warn).
STALE_AFTER_DAYS = 365
#: :func:`latest_date` wants the date reached by this share of the dated accounts …
REACH_SHARE = 0.001
#: … and by at least this many of them.
REACH_MIN = 10


def min_accounts(dated: int) -> int:
    """How many accounts must reach a date for it to count as where the data ends."""
    return max(REACH_MIN, math.ceil(REACH_SHARE * dated))


def latest_date(
    frame: pl.DataFrame | pl.LazyFrame,
    columns: Sequence[str],
    *,
    today: date | None = None,
) -> date | None:
    """The latest date at least :func:`min_accounts` accounts reach over ``columns``.

    Each account counts once, by its latest date over the columns (``pl.Date``, ``pl.Datetime``
    or text read as :func:`icpkit.columns.parsing.parse_date` reads it); dates after ``today``
    (default: the real today) are ignored. ``None`` when fewer accounts than that carry a date.
    One pass over the date columns, lazily where ``frame`` is a ``LazyFrame``.
    """
    if not columns:
        return None
    lf = frame.lazy()
    schema = lf.collect_schema()
    limit = today or date.today()
    exprs = [_as_date(pl.col(c), schema[c]) for c in columns if c in schema]
    if not exprs:
        return None
    ok = [pl.when(e <= limit).then(e) for e in exprs]
    latest = lf.select(pl.max_horizontal(ok).alias("d")).drop_nulls()
    dated = latest.select(pl.len()).collect().item()
    k = min_accounts(dated)
    if dated < k:
        return None
    top = latest.select(pl.col("d").top_k(k).min()).collect().item()
    return top if isinstance(top, date) else None


def _as_date(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return expr
    if isinstance(dtype, pl.Datetime):
        return expr.dt.date()
    if dtype == pl.String:
        from icpkit.columns.parsing import parse_date

        return parse_date(expr)
    return pl.lit(None, dtype=pl.Date)


@dataclass(frozen=True)
class DataAsOf:
    """Where a file's dates end (``latest``) and the day that was judged against."""

    latest: date
    today: date
    columns: tuple[str, ...]

    @property
    def gap_days(self) -> int:
        return (self.today - self.latest).days

    @property
    def stale(self) -> bool:
        """The dates end more than :data:`STALE_AFTER_DAYS` before today."""
        return self.gap_days > STALE_AFTER_DAYS

    def notice(self) -> str:
        """What discovery says when it measures windows from ``latest``."""
        return (
            f"dates in this export end {self.latest.isoformat()}; windows are measured from "
            "there (--as-of to change)"
        )


def data_dates(
    frame: pl.DataFrame | pl.LazyFrame, columns: Sequence[str], *, today: date | None = None
) -> DataAsOf | None:
    """:func:`latest_date` with the day it is compared with (``None`` without enough dates)."""
    today = today or date.today()
    latest = latest_date(frame, columns, today=today)
    if latest is None:
        return None
    return DataAsOf(latest=latest, today=today, columns=tuple(columns))


def infer_as_of(
    frame: pl.DataFrame | pl.LazyFrame, schema: Schema, *, today: date | None = None
) -> DataAsOf | None:
    """The data's own "now" when windows should not run back from today, else ``None``.

    ``None`` when the schema has a purchase (reference) date — windows then run back from each
    account's purchase — when no date column has enough dates, or when the dates reach within
    :data:`STALE_AFTER_DAYS` of ``today``. Otherwise the :func:`latest_date` over every date
    column: "within 180 days" then means the 180 days before the export was taken.
    """
    if schema.reference_date is not None:
        return None
    columns = [c.name for c in schema.columns if c.kind is Kind.DATE]
    found = data_dates(frame, columns, today=today)
    return found if found is not None and found.stale else None


def window_columns(icp: ICP) -> list[str]:
    """Columns of the ICP's windows measured back from the scoring date (not "on record")."""
    out: list[str] = []
    for c in icp.criteria():
        window = c.operator is Operator.WITHIN_DAYS and (c.within_days or 0) < ON_RECORD_DAYS
        if window and c.before is None and c.column not in out:
            out.append(c.column)
    return out


def stale_dates_note(
    lf: pl.LazyFrame | pl.DataFrame, icp: ICP, *, as_of: date | None = None
) -> str | None:
    """One line when the scored data's dates end long before the scoring date, else ``None``.

    Said when the ICP has windows measured back from the scoring date (``before`` columns the
    file has are measured from them instead: see
    :func:`icpkit.scoring.plan.bind_reference_dates`), the file's dates over those columns end
    more than :data:`STALE_AFTER_DAYS` before ``as_of`` (default today), and so the shortest
    window is met by no account: its timing cannot fire on this file. Scoring an old export
    for a back-test then needs ``--as-of``; scoring prospects today needs nothing.
    """
    from icpkit.columns.names import resolve_columns
    from icpkit.scoring.plan import bind_reference_dates

    lf = lf.lazy()
    names = list(lf.collect_schema().names())
    bound = bind_reference_dates(icp, names)
    wanted = window_columns(bound)
    found = resolve_columns(names, wanted)
    if not found:
        return None
    ref = as_of or date.today()
    dates = data_dates(lf, [found[c] for c in wanted if c in found], today=ref)
    if dates is None or not dates.stale:
        return None
    shortest = min(
        int(c.within_days or 0)
        for c in bound.criteria()
        if c.operator is Operator.WITHIN_DAYS and c.before is None and c.column in found
    )
    if dates.latest >= ref - timedelta(days=shortest):
        return None
    return (
        f"the file's dates end {dates.latest.isoformat()}, {dates.gap_days:,} days before the "
        f"scoring date {ref.isoformat()}: no account can meet the ICP's {shortest:,}-day "
        "window, and every date window is measured from the scoring date; to score the file as "
        f"of its own dates, pass --as-of {dates.latest.isoformat()}"
    )


__all__ = [
    "REACH_MIN",
    "REACH_SHARE",
    "STALE_AFTER_DAYS",
    "DataAsOf",
    "data_dates",
    "infer_as_of",
    "latest_date",
    "min_accounts",
    "stale_dates_note",
    "window_columns",
]
