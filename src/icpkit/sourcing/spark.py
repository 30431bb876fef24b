"""The sourcing job on Apache Spark: the same per-record and per-domain code, distributed.

Two stages, both Arrow in and Arrow out (``mapInArrow``), both calling the functions the
single process calls, which is why the two engines give identical results (a test checks it):

1. **per WARC file** — one task per file runs :func:`.run.warc_rows` (read, detect, page
   signals) and emits capture rows; or, from an index lookup, tasks read their share of the
   byte ranges through :class:`.ranges.ArchiveReader` (one rate-limited reader per task);
2. **per domain** — rows are hash-partitioned by registered domain, so every capture of a
   domain lands in one task, which runs :func:`.run.judge` (domain view + ICP evaluation).

The result is written as Parquet by Spark (``output_dir``) or returned to the driver. On a
cluster, submit :func:`main` with ``spark-submit`` (see docs/sourcing.md); every executor needs
icpkit installed, and the fingerprint database path must be readable on each of them.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from icpkit.icp import ICP
from icpkit.sourcing.analyse import ROW_SCHEMA
from icpkit.sourcing.warc import MAX_RECORD_BYTES, ReadStats

__all__ = ["main", "spark_rows_from_refs", "spark_source_warc"]

_STAT_FIELDS = ("records", "responses", "revisits", "non_html", "other_types", "broken", "cut")


def _plain(t: Any) -> Any:
    """An Arrow type with large_string / large_list / string_view turned into what Spark maps."""
    import pyarrow as pa

    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_list(t) or pa.types.is_list(t) or pa.types.is_list_view(t):
        return pa.list_(_plain(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain(f.type)) for f in t])
    return t


def _arrow_schema(df: pl.DataFrame) -> Any:
    import pyarrow as pa

    return pa.schema([pa.field(f.name, _plain(f.type)) for f in df.to_arrow().schema])


def _spark_schema(arrow_schema: Any) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema)


def _batches(df: pl.DataFrame, schema: Any) -> Iterator[Any]:
    table = df.to_arrow().cast(schema)
    yield from table.to_batches(max_chunksize=2048)


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


def _judged_schema(icp: ICP, keep_all: bool) -> pl.DataFrame:
    from icpkit.sourcing.run import judge

    return judge(_empty_rows(), icp, keep_all=keep_all)


@lru_cache(maxsize=4)
def _analyser(icp_yaml: str, fingerprints: str | None, page_cpu_seconds: float | None) -> Any:
    """One analyser per Python worker and ICP: Spark reuses its workers across tasks, so the
    detector (seconds to compile for a 4,000-technology database) is built once per worker,
    not once per WARC file."""
    from icpkit.sourcing.run import make_analyser

    return make_analyser(
        ICP.from_yaml(icp_yaml), fingerprints=fingerprints, page_cpu_seconds=page_cpu_seconds
    )


_MAX_ERRORS = 100  # error messages brought back to the driver per run (the counts are exact)


class _MessagesParam:
    """Accumulates lists of error messages from tasks (capped): an ``AccumulatorParam`` by
    shape (``zero`` / ``addInPlace``), defined here so workers unpickle it from icpkit."""

    def zero(self, value: list[str]) -> list[str]:
        return []

    def addInPlace(self, value1: list[str], value2: list[str]) -> list[str]:
        return [*value1, *value2][:_MAX_ERRORS]


class _UnionParam:
    """Accumulates a sorted set of names from tasks (the categories their analysers lack)."""

    def zero(self, value: list[str]) -> list[str]:
        return []

    def addInPlace(self, value1: list[str], value2: list[str]) -> list[str]:
        return sorted({*value1, *value2})


def _stats_accumulators(sc: Any) -> dict[str, Any]:
    accs = {name: sc.accumulator(0) for name in _STAT_FIELDS}
    # what went wrong, not only how often: the stats' messages and the range reader's own
    accs["errors"] = sc.accumulator([], _MessagesParam())
    accs["reader_errors"] = sc.accumulator([], _MessagesParam())
    # the fingerprint set's missing categories, as the tasks' analysers found them: the driver
    # need not load the 4,000-technology database (0.6 s CPU) just to name them
    accs["unknown"] = sc.accumulator([], _UnionParam())
    return accs


def _add_errors(accs: dict[str, Any], stats: ReadStats, reader_errors: Sequence[str] = ()) -> None:
    """Counts and messages of one task's reading, sent to the driver."""
    for name in _STAT_FIELDS:
        accs[name].add(getattr(stats, name))
    if stats.errors:
        accs["errors"].add(list(stats.errors))
    if reader_errors:
        accs["reader_errors"].add(list(reader_errors))


def _collect_stats(accs: dict[str, Any]) -> ReadStats:
    stats = ReadStats()
    for name in _STAT_FIELDS:
        setattr(stats, name, int(accs[name].value))
    stats.errors = sorted(accs["errors"].value)  # tasks finish in any order
    return stats


def _size(path: str) -> int:
    """Bytes of a local WARC file (0 for a URL or a missing file: they keep their order)."""
    if "://" in path:
        return 0
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _rows_stage(
    spark: Any,
    paths: Sequence[str],
    icp_yaml: str,
    *,
    fingerprints: str | None,
    max_record_bytes: int,
    page_cpu_seconds: float | None,
    allow_private: bool,
    accs: dict[str, Any],
) -> Any:
    """Stage 1: one partition per WARC file → capture rows."""
    rows_arrow = _arrow_schema(_empty_rows())

    def per_file(batches: Iterator[Any]) -> Iterator[Any]:
        from icpkit.sourcing.run import warc_rows

        for batch in batches:
            for path in batch.column("path").to_pylist():
                analyser = _analyser(icp_yaml, fingerprints, page_cpu_seconds)
                stats = ReadStats()
                frame = warc_rows(
                    path, analyser, max_record_bytes=max_record_bytes, stats=stats,
                    allow_private=allow_private,
                )  # fmt: skip
                _add_errors(accs, stats)
                if analyser.unknown_categories:
                    accs["unknown"].add(list(analyser.unknown_categories))
                yield from _batches(frame, rows_arrow)

    # exactly one file per partition (hash partitioning could put two files in one task),
    # largest local files first: tasks start in partition order, so a small file is what is
    # left for the last free core, not a large one (output is sorted by domain: same result)
    order = sorted(paths, key=_size, reverse=True)
    rdd = spark.sparkContext.parallelize([(p,) for p in order], max(1, len(order)))
    files = spark.createDataFrame(rdd, "path string")
    return files.mapInArrow(per_file, _spark_schema(rows_arrow))


def _judge_stage(spark: Any, rows: Any, icp: ICP, *, keep_all: bool, partitions: int) -> Any:
    """Stage 2: rows hash-partitioned by domain → one judged row per domain."""
    icp_yaml = icp.to_yaml()
    out_arrow = _arrow_schema(_judged_schema(icp, keep_all))

    def per_domain(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from icpkit.sourcing.run import judge

        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        if not tables:
            return
        frame = pl.from_arrow(pa.concat_tables(tables))
        assert isinstance(frame, pl.DataFrame)
        rows = frame.cast(ROW_SCHEMA)  # type: ignore[arg-type]
        assert isinstance(rows, pl.DataFrame)
        yield from _batches(judge(rows, ICP.from_yaml(icp_yaml), keep_all=keep_all), out_arrow)

    by_domain = rows.repartition(partitions, "domain")
    return by_domain.mapInArrow(per_domain, _spark_schema(out_arrow))


def _to_polars(sdf: Any, like: pl.DataFrame) -> pl.DataFrame:
    table = sdf.toArrow()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.cast(like.schema).sort("domain")


def spark_source_warc(
    paths: Sequence[str],
    icp: ICP,
    *,
    fingerprints: str | Path | None = None,
    keep_all: bool = False,
    max_record_bytes: int = MAX_RECORD_BYTES,
    page_cpu_seconds: float | None = 10.0,
    allow_private: bool = False,
    spark: Any | None = None,
    partitions: int | None = None,
    output_dir: str | None = None,
) -> Any:
    """:func:`.run.source_warc` as a Spark job. With ``output_dir`` Spark writes the Parquet
    there and the returned frame is empty (a cluster's result stays on the cluster)."""
    from icpkit.scoring.spark import spark_session
    from icpkit.sourcing.run import SourceResult

    session = spark or spark_session()
    fp = str(fingerprints) if fingerprints else None
    accs = _stats_accumulators(session.sparkContext)
    rows = _rows_stage(
        session, list(paths), icp.to_yaml(),
        fingerprints=str(fingerprints) if fingerprints else None,
        max_record_bytes=max_record_bytes, page_cpu_seconds=page_cpu_seconds,
        allow_private=allow_private, accs=accs,
    )  # fmt: skip
    n = partitions or max(2, session.sparkContext.defaultParallelism)
    judged = _judge_stage(session, rows, icp, keep_all=True, partitions=n)
    like = _judged_schema(icp, True)
    if output_dir is not None:
        (judged if keep_all else judged.filter("matched")).write.mode("errorifexists").parquet(
            output_dir
        )
        stats = _collect_stats(accs)
        return SourceResult(
            like,
            stats,
            0,
            0,
            0,
            list(stats.errors),
            unknown_categories=_unknown(accs, icp, fp, bool(paths)),
        )
    full = _to_polars(judged, like)
    stats = _collect_stats(accs)
    matched = int(full["matched"].sum()) if full.height else 0
    frame = full if keep_all else full.filter(pl.col("matched"))
    return SourceResult(
        frame, stats, stats.responses + stats.revisits, full.height, matched,
        list(stats.errors), unknown_categories=_unknown(accs, icp, fp, bool(paths)),
    )  # fmt: skip


def _unknown(accs: dict[str, Any], icp: ICP, fingerprints: str | None, ran: bool) -> list[str]:
    """The ICP's categories the fingerprint set lacks: the tasks' answer (every task builds
    its analyser before reading its file), or the driver's own where no task ran."""
    from icpkit.sourcing.run import unknown_categories

    return list(accs["unknown"].value) if ran else unknown_categories(icp, fingerprints)


def spark_rows_from_refs(
    refs: Sequence[Any],
    icp: ICP,
    *,
    archive: str,
    fingerprints: str | Path | None = None,
    rate: float = 10.0,
    max_record_bytes: int = MAX_RECORD_BYTES,
    page_cpu_seconds: float | None = 10.0,
    allow_private: bool = False,
    spark: Any | None = None,
    partitions: int | None = None,
) -> tuple[pl.DataFrame, ReadStats, list[str]]:
    """Capture rows of index hits read by byte range in Spark tasks (partitioned by WARC file,
    each task with its own rate-limited reader: the archive sees ``rate`` × tasks at most)."""
    from icpkit.scoring.spark import spark_session

    session = spark or spark_session()
    accs = _stats_accumulators(session.sparkContext)
    rows_arrow = _arrow_schema(_empty_rows())
    icp_yaml = icp.to_yaml()
    fp = str(fingerprints) if fingerprints else None

    def per_shard(batches: Iterator[Any]) -> Iterator[Any]:
        from icpkit.sourcing.ranges import ArchiveReader, RecordRef

        refs_here = [
            RecordRef(f, int(o), int(n))
            for batch in batches
            for f, o, n in zip(
                batch.column("warc_filename").to_pylist(),
                batch.column("offset").to_pylist(),
                batch.column("length").to_pylist(),
                strict=True,
            )
        ]
        if not refs_here:
            return
        analyser = _analyser(icp_yaml, fp, page_cpu_seconds)
        reader = ArchiveReader(
            archive, rate=rate, max_record_bytes=max_record_bytes, allow_private=allow_private
        )
        try:
            frame = analyser.frame(reader.captures(refs_here))
        finally:
            reader.close()
        _add_errors(accs, reader.stats, reader.errors)
        yield from _batches(frame, rows_arrow)

    data = [(r.warc_filename, r.offset, r.length) for r in refs]
    n = partitions or max(2, session.sparkContext.defaultParallelism)
    sdf = session.createDataFrame(
        data, "warc_filename string, offset long, length long"
    ).repartition(n, "warc_filename")
    out = sdf.mapInArrow(per_shard, _spark_schema(rows_arrow))
    frame = pl.from_arrow(out.toArrow())
    assert isinstance(frame, pl.DataFrame)
    rows = frame.cast(ROW_SCHEMA)  # type: ignore[arg-type]
    stats = _collect_stats(accs)
    return rows, stats, [*sorted(accs["reader_errors"].value), *stats.errors]


def main(argv: Sequence[str] | None = None) -> None:
    """``spark-submit -m icpkit.sourcing.spark --icp icp.yaml --out DIR WARC...`` on a cluster."""
    parser = argparse.ArgumentParser(prog="icpkit.sourcing.spark")
    parser.add_argument("--icp", required=True, help="the ICP file")
    parser.add_argument("--out", required=True, help="Parquet output directory (must not exist)")
    parser.add_argument("--fingerprints", default=None, help="fingerprint directory")
    parser.add_argument("--all", action="store_true", help="keep non-matching domains")
    parser.add_argument("--partitions", type=int, default=None, help="domain partitions")
    parser.add_argument("--paths-from", default=None, help="a text file listing WARC paths/URLs")
    parser.add_argument("warc", nargs="*", help="WARC paths or URLs")
    args = parser.parse_args(argv)
    from pyspark.sql import SparkSession

    paths = list(args.warc)
    if args.paths_from:
        text = Path(args.paths_from).read_text()
        paths += [line.strip() for line in text.splitlines() if line.strip()]
    icp = ICP.load(args.icp)
    spark = SparkSession.builder.appName("icpkit-source").getOrCreate()
    spark_source_warc(
        paths, icp, fingerprints=args.fingerprints, keep_all=args.all, spark=spark,
        partitions=args.partitions, output_dir=args.out,
    )  # fmt: skip


if __name__ == "__main__":  # pragma: no cover - spark-submit entry point
    main()
