"""``icp source`` as a library: WARC files or an index lookup → domains judged against an ICP.

Two ways in, one way out:

* :func:`source_warc` streams WARC files (local paths or http(s) URLs), analyses every capture
  (:mod:`.analyse`), keeps one observation per registered domain (:mod:`.domain_view`) and
  evaluates the ICP's website-observable criteria (:mod:`.evaluate`);
* :func:`source_index` finds a list of domains in a URL index (:mod:`.index`), fetches just those
  records by byte range (:mod:`.ranges`) and does the same.

``engine="spark"`` runs the same per-record and per-domain code as a Spark job
(:mod:`.spark`); the single process is the default and needs nothing beyond icpkit.
"""

from __future__ import annotations

import glob
import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import polars as pl

from icpkit.errors import InputError, UsageError
from icpkit.icp import ICP
from icpkit.sourcing import SourceEngine
from icpkit.sourcing.analyse import Analyser, rows_frame, split_categories
from icpkit.sourcing.domain_view import domain_view
from icpkit.sourcing.evaluate import asked_categories, asked_signals, asked_tools, evaluate
from icpkit.sourcing.warc import MAX_RECORD_BYTES, ReadStats, captures_at, iter_captures

PAGES = ("all", "best")
"""Which captures :func:`source_warc` analyses: ``all`` (every good HTML page: detection,
signals) or ``best`` (one per registered domain, chosen before detection; see
:func:`source_warc`)."""


def _check_engine(engine: str) -> None:
    if engine not in get_args(SourceEngine):
        raise UsageError(f"unknown engine {engine!r}; use single or spark")


__all__ = [
    "SourceResult",
    "expand_warc_paths",
    "make_analyser",
    "read_domains",
    "source_index",
    "source_warc",
    "unknown_categories",
    "warc_rows",
    "write_found",
]

PAGE_CPU_SECONDS = 10.0


@dataclass
class SourceResult:
    """What a sourcing run produced: the judged domains and what reading met."""

    frame: pl.DataFrame
    stats: ReadStats
    captures: int
    domains: int
    matched: int
    errors: list[str] = field(default_factory=list)
    output: Path | None = None
    unknown_categories: list[str] = field(default_factory=list)
    """Categories of the ICP's "has none" criteria that the fingerprint set lacks."""
    analysed: int | None = None
    """Pages detected (single engine): every 2xx HTML capture, or with ``pages="best"`` about
    one a domain; ``captures`` counts what was read."""

    @property
    def notes(self) -> list[str]:
        """What the run could judge on no page at all, one line each (the CLI shows them)."""
        return [
            f"{c}: not in the fingerprint set; the criterion is unknown on every page"
            for c in self.unknown_categories
        ]


def make_analyser(
    icp: ICP,
    detector: Any | None = None,
    *,
    fingerprints: str | Path | None = None,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
) -> Analyser:
    """The per-record analyser for ``icp`` (its "has none" categories and tools observed).

    It reads the page signals the ICP's criteria look at, plus the two that cost a few
    microseconds (language, company name: the name leads the output); the country's text scan
    and the key pages' link walk only where a criterion reads them. A signal not read is null
    in the output, never a guess. ``--all`` reads no more: its rows are the matching run's
    rows plus the others, and no reason it gives reads a signal no criterion asks about."""
    if detector is None:
        from icpkit.technographics.detector import Detector
        from icpkit.technographics.fingerprints import load_fingerprints

        detector = Detector(load_fingerprints(fingerprints) if fingerprints else None)
    return Analyser(
        detector,
        categories=asked_categories(icp),
        tools=asked_tools(icp),
        page_cpu_seconds=page_cpu_seconds,
        signals=signals_for(icp),
    )


def signals_for(icp: ICP) -> frozenset[str]:
    """The page-signal groups a run reads (see :func:`make_analyser`): a subset of
    :data:`~icpkit.sourcing.pagesignals.SIGNALS`."""
    return frozenset({"language", "company", *asked_signals(icp)})


def unknown_categories(icp: ICP, fingerprints: str | Path | None = None) -> list[str]:
    """The categories ``icp`` asks about that the fingerprint set lacks (the Spark driver's
    answer: its tasks build their own analysers)."""
    asked = asked_categories(icp)
    if not asked:
        return []
    from icpkit.technographics.fingerprints import load_fingerprints

    return split_categories(asked, load_fingerprints(fingerprints))[1]


def expand_warc_paths(patterns: Iterable[str]) -> list[str]:
    """Local globs expanded (sorted) and URLs kept; a pattern matching nothing is an error."""
    out: list[str] = []
    for pattern in patterns:
        if pattern.lower().startswith(("http://", "https://")):
            out.append(pattern)
            continue
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]  # noqa: PTH207
        found = [p for p in found if Path(p).is_file()]
        if not found:
            raise UsageError("matches no WARC file", file=pattern)
        out.extend(found)
    return list(dict.fromkeys(out))


def warc_rows(
    path: str,
    analyser: Analyser,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    stats: ReadStats | None = None,
    allow_private: bool = False,
    transport: Any | None = None,
) -> pl.DataFrame:
    """Rows of every capture in one WARC file (a local path or an http(s) URL)."""
    stats = stats if stats is not None else ReadStats()
    if path.lower().startswith(("http://", "https://")):
        from icpkit.sourcing.ranges import download

        with tempfile.TemporaryFile() as tmp:
            download(path, tmp, allow_private=allow_private, transport=transport)
            return analyser.frame(
                iter_captures(tmp, path, max_record_bytes=max_record_bytes, stats=stats)
            )
    with Path(path).open("rb") as f:
        return analyser.frame(
            iter_captures(f, path, max_record_bytes=max_record_bytes, stats=stats)
        )


def best_rows(
    paths: Sequence[str],
    analyser: Analyser,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    stats: ReadStats | None = None,
    allow_private: bool = False,
    on_file: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Rows of every capture in ``paths``, only each domain's chosen page analysed.

    Two reads. The first reads every record (counted in ``stats`` as :func:`warc_rows` counts
    them) into a preview row (:meth:`Analyser.preview`: no detection; links walked only where
    the analyser reads key pages, so a domain's key pages pool all its pages as before). The
    domain view's own order (:func:`.domain_view.best_first`) then names each domain's first
    candidate, which is read again by its offset and analysed; a candidate that fails (over
    its CPU budget, unreadable) hands over to the next, as it loses its place in the view.
    So the view picks the same page as when every page is analysed."""
    from icpkit.sourcing.domain_view import best_first

    stats = stats if stats is not None else ReadStats()
    links = "pages" in analyser.signals
    with tempfile.TemporaryDirectory() as tmp:
        local: dict[str, str] = {}
        previews: list[dict[str, Any]] = []
        for i, path in enumerate(paths):
            if on_file is not None:
                on_file(path)
            where = path
            if path.lower().startswith(("http://", "https://")):
                from icpkit.sourcing.ranges import download

                where = str(Path(tmp) / f"{i}.warc")
                with Path(where).open("wb") as out:
                    download(path, out, allow_private=allow_private)
            local[path] = where
            with Path(where).open("rb") as f:
                previews.extend(
                    analyser.preview(c, links=links)
                    for c in iter_captures(f, path, max_record_bytes=max_record_bytes, stats=stats)
                )
        rows = rows_frame(previews)
        by_key = {(r["warc_file"], r["warc_offset"]): r for r in previews if r["good"]}
        good = rows.filter(pl.col("good") & (pl.col("domain") != ""))
        order = best_first(good).with_columns(pl.int_range(pl.len()).over("domain").alias("_rank"))
        analysed: list[dict[str, Any]] = []
        wanted = order.filter(pl.col("_rank") == 0)
        while wanted.height:
            done: set[str] = set()
            for name, group in wanted.sort("warc_file", "warc_offset").group_by(
                "warc_file", maintain_order=True
            ):
                file = str(name[0])
                offsets = group["warc_offset"].to_list()
                unread = set(offsets)
                with Path(local[file]).open("rb") as f:
                    for capture in captures_at(f, file, offsets, max_record_bytes=max_record_bytes):
                        row = analyser.row(capture)
                        analysed.append(row)
                        unread.discard(capture.offset)
                        if row["good"]:
                            done.add(row["domain"])
                for offset in sorted(unread):  # read once, not twice: the file changed under us
                    lost = dict(by_key[(file, offset)])
                    lost.update(good=False, error=f"record at byte {offset} not read again")
                    analysed.append(lost)
            # a failed candidate loses its place: the domain's next one is read
            ranks = wanted.filter(~pl.col("domain").is_in(sorted(done))).select(
                "domain", (pl.col("_rank") + 1).alias("_rank")
            )
            wanted = order.join(ranks, on=["domain", "_rank"], how="inner")
    if not analysed:
        return rows
    done_rows = rows_frame(analysed)
    return pl.concat(
        [
            rows.join(
                done_rows.select("warc_file", "warc_offset"),
                on=["warc_file", "warc_offset"],
                how="anti",
            ),
            done_rows,
        ]
    )


def judge(rows: pl.DataFrame, icp: ICP, *, keep_all: bool = False) -> pl.DataFrame:
    """Rows → one observation per domain → the ICP's website criteria (the per-domain step)."""
    return evaluate(domain_view(rows), icp, keep_all=keep_all)


def _result(
    full: pl.DataFrame,
    stats: ReadStats,
    captures: int,
    errors: list[str],
    keep_all: bool,
    unknown: list[str],
) -> SourceResult:
    """The result of judging every domain (``full``), non-matching ones dropped unless kept."""
    matched = int(full["matched"].sum()) if full.height else 0
    frame = full if keep_all else full.filter(pl.col("matched"))
    return SourceResult(
        frame, stats, captures, full.height, matched, errors, unknown_categories=unknown
    )


def source_warc(
    paths: Sequence[str],
    icp: ICP,
    *,
    detector: Any | None = None,
    fingerprints: str | Path | None = None,
    keep_all: bool = False,
    engine: SourceEngine = "single",
    max_record_bytes: int = MAX_RECORD_BYTES,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
    allow_private: bool = False,
    spark: Any | None = None,
    on_file: Callable[[str], None] | None = None,
    pages: str = "all",
) -> SourceResult:
    """Judge every domain captured in ``paths`` against ``icp`` (see the module docstring).

    ``pages="best"`` chooses each domain's page before detection (:func:`best_rows`): only
    that page is detected and read for signals, the others are read as records (dates, status,
    their URL's page kind, and their links where key pages are read). Each domain's
    observation, criteria and match are those of ``pages="all"``; what pools every page
    narrows to the chosen one: ``tech_history`` and links to key pages on other pages when the
    run reads no key pages. Single engine only (the choice needs every capture of a domain).
    """
    _check_engine(engine)
    if pages not in PAGES:
        raise UsageError(f"unknown pages choice {pages!r}; use all or best")
    if pages == "best" and engine != "single":
        raise UsageError("pages='best' runs on the single engine (it sees every capture first)")
    if engine == "spark":
        from icpkit.sourcing.spark import spark_source_warc

        result: SourceResult = spark_source_warc(
            paths, icp, fingerprints=fingerprints, keep_all=keep_all,
            max_record_bytes=max_record_bytes, page_cpu_seconds=page_cpu_seconds,
            allow_private=allow_private, spark=spark,
        )  # fmt: skip
        return result
    analyser = make_analyser(
        icp, detector, fingerprints=fingerprints, page_cpu_seconds=page_cpu_seconds
    )
    stats = ReadStats()
    if pages == "best":
        rows = best_rows(
            paths, analyser, max_record_bytes=max_record_bytes, stats=stats,
            allow_private=allow_private, on_file=on_file,
        )  # fmt: skip
    else:
        parts = []
        for path in paths:
            if on_file is not None:
                on_file(path)
            parts.append(
                warc_rows(
                    path, analyser, max_record_bytes=max_record_bytes, stats=stats,
                    allow_private=allow_private,
                )
            )  # fmt: skip
        rows = pl.concat(parts) if parts else analyser.frame([])
    full = judge(rows, icp, keep_all=True)
    result = _result(
        full, stats, rows.height, list(stats.errors), keep_all, analyser.unknown_categories
    )
    result.analysed = analyser.analysed
    return result


def read_domains(path: str | Path, column: str | None = None) -> list[str]:
    """The domains of an accounts file: ``column``, else ``domain`` / ``website`` / the first."""
    from icpkit import io

    df = io.read_table(path)
    names = {c.lower(): c for c in df.columns}
    if column is not None and column not in df.columns:
        raise InputError("has no such column (pass --domain-column)", file=path, column=column)
    col = column or names.get("domain") or names.get("website") or names.get("url")
    if col is None:
        col = df.columns[0]
    values = df.get_column(col).cast(pl.String).drop_nulls().str.strip_chars()
    return [v for v in values.to_list() if v]


def source_index(
    domains: Sequence[str],
    icp: ICP,
    *,
    index: str | Path,
    archive: str,
    crawl: str | Sequence[str] | None = None,
    detector: Any | None = None,
    fingerprints: str | Path | None = None,
    keep_all: bool = False,
    engine: SourceEngine = "single",
    rate: float = 10.0,
    max_record_bytes: int = MAX_RECORD_BYTES,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
    allow_private: bool = False,
    transport: Any | None = None,
    spark: Any | None = None,
) -> SourceResult:
    """Judge ``domains`` from their archived pages: index lookup, byte-range reads, detection.

    Domains the index does not know are kept in the output (with ``keep_all``) with no page
    read, so a list goes in and the same list comes out.
    """
    from icpkit.sourcing.analyse import domain_of
    from icpkit.sourcing.index import lookup
    from icpkit.sourcing.ranges import ArchiveReader, RecordRef, check_archive_url

    _check_engine(engine)
    if archive.lower().startswith(("http://", "https://")) and transport is None:
        check_archive_url(archive, allow_private=allow_private)
    hits = lookup(domains, index, crawl=crawl)
    refs = [
        RecordRef(f, int(o), int(n))
        for f, o, n in hits.select(
            "warc_filename", "warc_record_offset", "warc_record_length"
        ).iter_rows()
    ]
    if engine == "spark":
        from icpkit.sourcing.spark import spark_rows_from_refs

        rows, stats, errors = spark_rows_from_refs(
            refs, icp, archive=archive, fingerprints=fingerprints, rate=rate,
            max_record_bytes=max_record_bytes, page_cpu_seconds=page_cpu_seconds,
            allow_private=allow_private, spark=spark,
        )  # fmt: skip
        unknown = unknown_categories(icp, fingerprints)
    else:
        analyser = make_analyser(
            icp, detector, fingerprints=fingerprints, page_cpu_seconds=page_cpu_seconds
        )
        reader = ArchiveReader(
            archive, rate=rate, max_record_bytes=max_record_bytes,
            allow_private=allow_private, transport=transport,
        )  # fmt: skip
        try:
            rows = analyser.frame(reader.captures(refs))
        finally:
            reader.close()
        stats, errors = reader.stats, [*reader.errors, *reader.stats.errors]
        unknown = analyser.unknown_categories
    frame = judge(rows, icp, keep_all=True)
    wanted = sorted({domain_of(d) for d in domains if d.strip()} - {""})
    # A domain the index has no capture of says so, instead of nulls without a reason.
    absent = pl.lit(
        ["no capture of the domain in the URL index" + (f" ({', '.join(crawl)})" if crawl else "")],
        dtype=pl.List(pl.String),
    )
    frame = (
        pl.DataFrame({"domain": wanted}, schema={"domain": pl.String})
        .join(frame, on="domain", how="left")
        .with_columns(
            pl.col("matched").fill_null(False),
            pl.when(pl.col("evidence").is_null()).then(absent).otherwise(pl.col("evidence"))
            .alias("evidence"),
        )
    )  # fmt: skip
    return _result(frame.sort("domain"), stats, rows.height, errors, keep_all, unknown)


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Nested columns as text for formats without them (CSV, Excel): lists joined by "; ",
    structs as JSON."""
    out: list[pl.Expr | pl.Series] = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.List) and dtype.inner == pl.String:
            out.append(pl.col(name).list.join("; "))
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            values = [
                json.dumps(v, default=str) if v is not None else None for v in df[name].to_list()
            ]
            out.append(pl.Series(name, values, dtype=pl.String))
        else:
            out.append(pl.col(name))
    return df.select(out)


def write_found(
    result: SourceResult,
    output: str | Path,
    *,
    force: bool = False,
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Write the judged domains atomically (Parquet keeps nested columns; others get text)."""
    from icpkit import io

    frame = result.frame
    if Path(output).suffix.lower() != ".parquet":
        frame = _flat(frame)
    path = io.write_table(frame, output, force=force, inputs=list(inputs))
    result.output = path
    return path


def source_to_file(
    icp: ICP,
    output: str | Path,
    *,
    warc: Sequence[str] = (),
    domains_file: str | Path | None = None,
    domain_column: str | None = None,
    index: str | Path | None = None,
    crawl: Sequence[str] = (),
    archive: str | None = None,
    force: bool = False,
    **options: Any,
) -> SourceResult:
    """What ``icp source`` does: check the output, source from WARC files or from an index for
    a list of domains, write the result atomically. ``options`` go to the source function."""
    from icpkit import io

    inputs: list[str | Path] = [p for p in warc if "://" not in p]
    if domains_file is not None:
        inputs.append(domains_file)
    io.check_output(output, force=force, inputs=inputs)
    if bool(warc) == (domains_file is not None):
        raise UsageError("give either WARC files (--warc) or a domain list (--domains)")
    if warc:
        result = source_warc(expand_warc_paths(warc), icp, **options)
    else:
        if index is None or archive is None:
            raise UsageError("--domains needs --index (the URL index) and --archive (the WARCs)")
        assert domains_file is not None
        result = source_index(
            read_domains(domains_file, domain_column), icp, index=index, archive=archive,
            crawl=list(crawl) or None, **options,
        )  # fmt: skip
    write_found(result, output, force=force, inputs=inputs)
    return result
