"""``icp source``: find the companies that match the ICP in web archives."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import ForceOpt, IcpOpt
from icpkit.icp import ICP
from icpkit.sourcing import SourceEngine


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
    force: ForceOpt = False,
) -> None:
    """Judge the websites in web archives against the ICP: matching domains with evidence."""
    from icpkit.sourcing.run import source_to_file

    icp = ICP.load(icp_path)
    with err_console.status("reading archives"):
        result = source_to_file(
            icp, output, warc=warc or [], domains_file=domains, domain_column=domain_column,
            index=index, crawl=crawl or [], archive=archive, force=force, keep_all=keep_all,
            engine=engine, fingerprints=fingerprints, max_record_bytes=max_record_bytes,
            allow_private=allow_private, **({"rate": rate} if domains is not None else {}),
        )  # fmt: skip
    s = result.stats
    table = Table(title=f"{result.matched:,} matching domains → {escape(str(result.output))}")
    for col in ("captures read", "domains", "matching", "revisits", "non-HTML", "broken"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            f"{n:,}"
            for n in (s.responses, result.domains, result.matched, s.revisits, s.non_html, s.broken)
        )
    )
    console.print(table)
    for note in result.notes:
        err_console.print(f"[yellow]unknown:[/] {escape(note)}", soft_wrap=True)
    for line in result.errors[:5]:
        err_console.print(f"[yellow]skipped:[/] {escape(line)}", soft_wrap=True)
