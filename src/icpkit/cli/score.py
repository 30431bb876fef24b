"""``icp score``, ``icp sql`` and ``icp export-crm``: apply an ICP to a prospect list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import AsOfOpt, ForceOpt, IcpOpt, RawCellsOpt
from icpkit.icp import ICP
from icpkit.scoring.crm import Target
from icpkit.scoring.engine import EngineName, Missing, Reasons
from icpkit.scoring.plan import Dialect
from icpkit.scoring.result import ScoreResult


def _render_scored(result: ScoreResult, top: int) -> None:
    """Accounts per tier, quadrants, reading notes and the top accounts of a scoring run."""
    tiers = Table(title=f"{result.rows:,} accounts scored → {escape(str(result.output))}")
    for col in ("tier", "accounts", "share"):
        tiers.add_column(col, justify="right" if col != "tier" else "left")
    for t, n in result.tiers.items():
        tiers.add_row(t, f"{n:,}", f"{n / max(result.rows, 1):.1%}")
    console.print(tiers)
    quads = ", ".join(f"{q}: {n:,}" for q, n in result.quadrants.items())
    console.print(f"quadrants — {escape(quads)}; disqualified: {result.disqualified:,}")
    for note in result.warnings:  # how values were read, columns the ICP lacked: said plainly
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    if top > 0 and result.top.height:
        console.print(_top_table(result, top))


def _top_table(result: ScoreResult, top: int) -> Table:
    """The best-ranked accounts, named by the file's name (or domain) column."""
    table = Table(title=f"top {min(top, result.top.height)} accounts")
    name_col = next(
        (
            c
            for c in result.top.columns
            if c.lower() in ("name", "company name", "company", "domain")
        ),
        result.top.columns[0],
    )
    for col in ("rank", name_col, "fit_score", "tier", "segment", "quadrant", "reasons"):
        table.add_column(col, overflow="fold")
    for row in result.top.iter_rows(named=True):
        table.add_row(
            *(
                escape(str(row.get(c, "") if row.get(c) is not None else ""))
                for c in (
                    "rank",
                    name_col,
                    "fit_score",
                    "tier",
                    "segment",
                    "quadrant",
                    "reasons",
                )
            )
        )
    return table


@app.command("score")
def score_cmd(
    source: Annotated[Path, typer.Argument(help="Prospects: CSV, Parquet, Excel or JSON.")],
    icp_path: IcpOpt,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Scored file (format by extension).")
    ],
    force: ForceOpt = False,
    missing: Annotated[
        Missing,
        typer.Option("--missing", help="What a column the ICP reads but the file lacks does."),
    ] = "error",
    as_of: AsOfOpt = None,
    top: Annotated[int, typer.Option("--top", help="Accounts to show.")] = 20,
    reasons: Annotated[
        Reasons, typer.Option("--reasons", help="How the output explains each score.")
    ] = "text",
    raw: RawCellsOpt = False,
    engine: Annotated[
        EngineName,
        typer.Option(
            "--engine",
            help="polars runs in process; spark runs the Spark SQL of icp sql --dialect spark in "
            "a local[2] session (needs icpkit\\[spark] and Java).",
        ),
    ] = "polars",
) -> None:
    """Score, tier, explain and rank every account of a prospect file."""
    from icpkit import io
    from icpkit.scoring import score_file

    icp = ICP.load(icp_path)
    io.check_output(output, force=force, inputs=[source])  # refuse before reading or scoring
    with (
        io.raw_cells(raw),
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("reading", total=None)
        labels = {"read": "reading", "score": "scoring", "write": "writing"}
        result = score_file(
            source,
            icp,
            output,
            force=force,
            missing=missing,
            as_of=as_of,
            reasons=reasons,
            top=top,
            engine=engine,
            on_stage=lambda s: progress.update(task, description=labels.get(s, s)),
        )
    _render_scored(result, top)


# Unquoted parts may hold single hyphens (BigQuery project ids) but never "--" (a comment).
_NAME_PART = r'(?:[A-Za-z_](?:[A-Za-z0-9_$]|-(?!-))*|"(?:[^"]|"")+"|`[^`]+`)'
_QUALIFIED_NAME = rf"^{_NAME_PART}(?:\.{_NAME_PART}){{0,2}}$"


def _check_name(value: str, flag: str) -> None:
    """A table or view name goes into SQL as is: allow (quoted) identifiers, nothing else."""
    import re

    if not re.fullmatch(_QUALIFIED_NAME, value.strip()):
        raise typer.BadParameter(
            f"{value!r} is not a table name: use identifiers like schema.table "
            '(letters, digits, _; quote others as "my table")',
            param_hint=flag,
        )


@app.command("sql")
def sql_cmd(
    icp_path: IcpOpt,
    table: Annotated[str, typer.Option("--table", help="The prospects table (may be qualified).")],
    dialect: Annotated[
        Dialect,
        typer.Option("--dialect", case_sensitive=False, help="The warehouse's SQL dialect."),
    ] = "duckdb",
    view: Annotated[
        str | None, typer.Option("--view", help="Emit CREATE OR REPLACE VIEW name.")
    ] = None,
    as_of: AsOfOpt = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="The table holds the prospects file as loaded, columns as text: parse values "
            "in the query exactly as `icp score` does.",
        ),
    ] = False,
    columns_from: Annotated[
        Path | None,
        typer.Option(
            "--columns-from",
            help="A prospects file whose headers the table keeps: map the ICP's columns to them.",
        ),
    ] = None,
) -> None:
    """Print SQL that scores the table inside your warehouse.

    The query returns `reasons` as a compact code; the comment lines before it say which
    criterion each position or base-4 digit stands for.
    """
    from icpkit.scoring import compile_sql
    from icpkit.scoring.sql import header_map, reasons_legend

    _check_name(table, "--table")
    if view is not None:
        _check_name(view, "--view")
    icp = ICP.load(icp_path)
    columns = None
    if columns_from is not None:
        from icpkit import io

        columns = header_map(icp, io.read_table(columns_from).columns)
    sql = compile_sql(
        icp,
        table=table,
        dialect=dialect,
        view=view,
        as_of=as_of,
        raw=raw,
        columns=columns,
    )
    console.print(reasons_legend(icp), markup=False, highlight=False, soft_wrap=True)
    console.print(sql, markup=False, highlight=False, soft_wrap=True)


@app.command("export-crm")
def export_crm_cmd(
    source: Annotated[Path, typer.Argument(help="Prospects or an already scored file.")],
    icp_path: IcpOpt,
    crm: Annotated[Target, typer.Option("--crm", help="The CRM whose import format to write.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The import CSV to write.")],
    records: Annotated[
        Path | None, typer.Option("--records", help="CRM export to look ids up by domain.")
    ] = None,
    force: ForceOpt = False,
    missing: Annotated[
        Missing,
        typer.Option("--missing", help="What a column the ICP reads but the file lacks does."),
    ] = "error",
    as_of: AsOfOpt = None,
    raw: RawCellsOpt = False,
) -> None:
    """Write a HubSpot company-import or Salesforce Account-update CSV with the ICP scores."""
    from icpkit import io
    from icpkit.scoring import score
    from icpkit.scoring.crm import crm_export

    icp = ICP.load(icp_path)
    inputs = [source] + ([records] if records else [])
    io.check_output(output, force=force, inputs=inputs)
    df = io.read_table(source)
    if "fit_score" not in df.columns:
        df = score(df, icp, as_of=as_of, missing=missing)
    recs = io.read_table(records) if records else None
    result = crm_export(df, icp, target=crm, records=recs)
    path = io.write_table(result.frame, output, force=force, inputs=inputs, raw_cells=raw)
    console.print(
        f"{result.matched:,} accounts → {escape(str(path))} ({crm}); "
        f"{result.unmatched:,} unmatched, {result.ambiguous:,} with an ambiguous domain"
    )
    if result.foreign_ids:
        shape = "15 or 18 letters and digits" if crm == "salesforce" else "a number"
        err_console.print(
            f"[yellow]warning:[/] {result.foreign_ids:,} of the ids written are not {crm} record "
            f"ids ({shape}), so no record matches them by id"
            + ("" if records else f"; pass --records with a {crm} export to look ids up by domain")
        )
