"""``icp source``: find the companies that match the ICP in web archives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import ForceOpt, IcpOpt
from icpkit.icp import ICP
from icpkit.sourcing import SourceEngine

if TYPE_CHECKING:
    import polars as pl

    from icpkit.sourcing.run import SourceResult


@app.command("source")
def source_cmd(
    icp_path: IcpOpt,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Found domains (Parquet keeps evidence lists).")
    ],
    warc: Annotated[
        list[str] | None,
        typer.Option("--warc", help="WARC files: paths, globs ('segments/*.warc.gz') or URLs."),
    ] = None,
    domains: Annotated[
        Path | None, typer.Option("--domains", help="Accounts whose websites to look up.")
    ] = None,
    domain_column: Annotated[
        str | None, typer.Option("--domain-column", help="Column of --domains with the website.")
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help="Common Crawl columnar URL index (Parquet).")
    ] = None,
    crawl: Annotated[
        list[str] | None, typer.Option("--crawl", help="Crawl id(s), e.g. CC-MAIN-2026-40.")
    ] = None,
    archive: Annotated[
        str | None,
        typer.Option("--archive", help="Where the index's WARC files are: a directory or URL."),
    ] = None,
    keep_all: Annotated[
        bool, typer.Option("--all", help="Keep non-matching domains with their reasons.")
    ] = False,
    engine: Annotated[
        SourceEngine,
        typer.Option("--engine", case_sensitive=False, help="single process, or a Spark job."),
    ] = "single",
    fingerprints: Annotated[
        Path | None, typer.Option("--fingerprints", help="Wappalyzer-format database directory.")
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", help="Range requests per second to the archive host.")
    ] = 10.0,
    max_record_bytes: Annotated[
        int, typer.Option("--max-record-bytes", help="Body bytes kept per record.")
    ] = 5 * 1024 * 1024,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow an archive on a private network.")
    ] = False,
    pages: Annotated[
        Literal["all", "best"],
        typer.Option(
            "--pages",
            case_sensitive=False,
            help="With --warc: detect every HTML capture ('all'), or only each domain's chosen "
            "page ('best': same results, faster; tech_history then covers that page only).",
        ),
    ] = "all",
    force: ForceOpt = False,
) -> None:
    """Judge the websites in web archives against the ICP: matching domains with evidence."""
    from icpkit.sourcing.run import source_to_file

    icp = ICP.load(icp_path)
    with err_console.status("reading archives"), _private_hint(allow_private):
        result = source_to_file(
            icp, output, warc=warc or [], domains_file=domains, domain_column=domain_column,
            index=index, crawl=crawl or [], archive=archive, force=force, keep_all=keep_all,
            engine=engine, fingerprints=fingerprints, max_record_bytes=max_record_bytes,
            allow_private=allow_private, **({"rate": rate} if domains is not None else {}),
            **({"pages": pages} if warc else {}),
        )  # fmt: skip
    s = result.stats
    if warc and s.records == 0:  # exit 0 with "0 matching" would read as "nothing matched"
        from icpkit.errors import InputError

        raise InputError(
            f"no WARC record could be read from {', '.join(warc)} (not WARC files, or empty); "
            f"{result.output} holds no domain"
        )
    _render_summary(result, keep_all)


@contextmanager
def _private_hint(allow_private: bool) -> Iterator[None]:
    """A WARC or archive URL refused as private or loopback: say which flag allows it, as
    ``icp detect`` does (a local mirror on an intranet is a normal set-up)."""
    from icpkit.errors import NetworkRefused

    try:
        yield
    except NetworkRefused as exc:
        if not allow_private and exc.rule in ("private", "loopback"):
            exc.args = (f"{exc}; pass --allow-private for an archive on your own network",)
        raise


def _render_summary(result: SourceResult, keep_all: bool) -> None:
    """The counts, each named for what it counts, and why nothing matched when nothing did."""
    s = result.stats
    rows = [
        (s.records, "WARC records read, of every type"),
        (s.responses, "HTTP responses among them"),
        (s.non_html, "non-HTML responses (counted, bodies not read)"),
        (result.analysed, "pages detected (2xx HTML given to the detector)"),
        (s.revisits, "revisit records (dates only)"),
        (s.other_types, "other records (requests, metadata, warcinfo …)"),
        (s.broken, "broken records skipped"),
        (s.cut, "bodies cut at --max-record-bytes"),
        (result.domains, "registered domains seen"),
        (_observed(result.frame) if keep_all else None, "of them with a page read (2xx HTML)"),
        (result.matched, "matching domains"),
    ]
    table = Table(title=f"{result.matched:,} matching domains → {escape(str(result.output))}")
    table.add_column("count", justify="right")
    table.add_column("of what")
    for n, what in rows:
        if n is not None:  # pages detected: the single engine counts them, Spark does not
            table.add_row(f"{n:,}", what)
    console.print(table)
    if result.matched == 0 and not keep_all and result.domains:
        console.print(
            f"no domain of {result.domains:,} matched; --all keeps them all with the criteria "
            "each met, failed or could not judge"
        )
    if s.cut:  # a tool loaded near the end of a cut page is not seen: say so beside "has none"
        err_console.print(
            f"[yellow]warning:[/] {s.cut:,} bodies were cut at --max-record-bytes; "
            "technologies past the cut are not seen, so 'has no …' criteria on those pages "
            "were judged on the part read (raise --max-record-bytes)",
            soft_wrap=True,
        )
    for note in result.notes:
        err_console.print(f"[yellow]unknown:[/] {escape(note)}", soft_wrap=True)
    for line in result.errors[:5]:
        err_console.print(f"[yellow]skipped:[/] {escape(line)}", soft_wrap=True)


def _observed(frame: pl.DataFrame) -> int | None:
    """Domains of an ``--all`` file observed on a good page; the rest could be judged on nothing."""
    return int(frame["good"].sum()) if "good" in frame.columns else None
