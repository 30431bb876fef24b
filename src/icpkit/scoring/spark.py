"""Scoring in Apache Spark: the SQL of ``icp sql --dialect spark`` run for real.

The query is :func:`icpkit.scoring.compile_sql`'s, so Spark computes the same arithmetic as the
polars engine, DuckDB and PostgreSQL; tests compare every output column with the polars engine
on random ICPs and frames. Frames travel to Spark as Arrow and back the same way. A file is
scored as loaded (``raw=True``: ICP columns as text, parsed in the query exactly as ``icp
score`` parses them), the score columns joined back onto the rows in their original order.

Needs ``pip install 'icpkit[spark]'`` and Java 17+; :func:`spark_session` starts a local
session (``local[2]`` by default) unless the caller passes one (a cluster's).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from icpkit.errors import IcpkitError, InputError, UsageError
from icpkit.icp import ICP

__all__ = ["SparkUnavailable", "score_file_spark", "score_spark", "spark_session"]

_ROW = "__icp_row"


class SparkUnavailable(IcpkitError):
    """PySpark or Java is missing: the Spark engine cannot start."""


def spark_session(master: str | None = None, app: str = "icpkit") -> Any:
    """The active Spark session, or a new local one (UTC, Arrow transfer, no UI)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "the Spark engine needs PySpark: pip install 'icpkit[spark]' (and Java 17+)"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    builder = (
        SparkSession.builder.master(master or "local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.ansi.enabled", "false")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing or failing to start: one line for the user
        raise SparkUnavailable(f"Spark could not start ({type(exc).__name__}: {exc})") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _to_spark(spark: Any, df: pl.DataFrame) -> Any:
    return spark.createDataFrame(df.to_arrow())


def _to_polars(sdf: Any) -> pl.DataFrame:
    table = sdf.toArrow() if hasattr(sdf, "toArrow") else None
    if table is not None:
        return pl.from_arrow(table)  # type: ignore[return-value]
    return pl.from_pandas(sdf.toPandas())  # pragma: no cover - PySpark < 4


def score_spark(
    df: pl.DataFrame,
    icp: ICP,
    *,
    as_of: date | None = None,
    spark: Any | None = None,
    raw: bool = False,
    columns: dict[str, str] | None = None,
    view: str = "icp_prospects",
) -> pl.DataFrame:
    """``df`` scored by Spark SQL: its columns followed by the score columns, in row order.

    ``df`` is a prepared frame (as :func:`icpkit.columns.prepare` leaves it), or with ``raw``
    a frame of text columns as loaded from a prospects file (``columns`` maps ICP names to its
    headers, see :func:`icpkit.scoring.sql.header_map`).
    """
    from icpkit.scoring.sql import compile_sql

    session = spark or spark_session()
    numbered = df.with_row_index(_ROW).with_columns(pl.col(_ROW).cast(pl.Int64))
    _to_spark(session, numbered).createOrReplaceTempView(view)
    sql = compile_sql(
        icp, table=view, dialect="spark", as_of=as_of, raw=raw, columns=columns, pretty=False
    )
    out = _to_polars(session.sql(sql)).sort(_ROW)
    return out.drop(_ROW)


def score_file_spark(
    source: str | Path,
    icp: ICP,
    output: str | Path,
    *,
    force: bool = False,
    as_of: date | None = None,
    top: int = 20,
    missing: str = "error",
    reasons: str = "text",
    spark: Any | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Any:
    """``icp score --engine spark``: read, score in Spark (raw SQL), write atomically.

    Reasons are written as text; ``missing="unknown"`` is not supported (the SQL needs every
    column the ICP reads) and is refused rather than silently ignored.
    """
    from icpkit import io
    from icpkit.scoring.explain import expand_reasons
    from icpkit.scoring.result import summarize
    from icpkit.scoring.sql import header_map

    if missing != "error":
        raise UsageError("the spark engine needs every ICP column: use --missing error")
    if reasons not in ("text", "codes"):
        raise UsageError("the spark engine writes reasons as text or codes, not none")
    note = on_stage or (lambda _s: None)
    note("read")
    df = io.read_table(source)
    if df.height == 0:
        raise InputError("no rows to score", file=source)
    columns = header_map(icp, df.columns)
    text = df.select(
        pl.col(c).cast(pl.String) if c in columns.values() else pl.col(c) for c in df.columns
    )
    note("score")
    scored = score_spark(text, icp, as_of=as_of, spark=spark, raw=True, columns=columns)
    from icpkit.scoring.plan import OUTPUT_COLUMNS

    out = pl.concat([df, scored.select(OUTPUT_COLUMNS)], how="horizontal")
    if reasons == "text":
        out = out.with_columns(expand_reasons(out["reasons"], icp))
    note("write")
    path = io.write_table(out, output, force=force, inputs=[source])
    import dataclasses

    return dataclasses.replace(summarize(out, icp, top=top), output=path)
