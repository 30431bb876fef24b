"""``icp discover`` and ``icp demo``: parse options, call :mod:`icpkit.pipeline`, render."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import ForceOpt, day_option

if TYPE_CHECKING:  # the library loads when a command runs, so `icp --help` stays fast
    import polars as pl

    from icpkit.icp import ICP
    from icpkit.pipeline import DiscoveryRun


def _criteria_table(title: str, rows: list, value: str = "Ideal fit") -> Table:
    t = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for col in ("Layer", "Criterion", value, "Best", "Worst", "Lift", "Evidence"):
        t.add_column(col, overflow="fold")
    for r in rows:
        ev = r.evidence + (f"\n[yellow]⚠ {r.caveat}[/]" if r.caveat else "")
        t.add_row(r.layer, escape(r.criterion), escape(r.ideal_fit), r.best, r.worst, r.lift, ev)
    return t


#: Scorecard lines shown in the terminal; the rest are in the ICP file and icp.md.
_POINTS_SHOWN = 12


def _render_points(icp: ICP) -> None:
    from icpkit.report.table import points_rows

    console.rule("[bold]Fit score: points per criterion")
    rows = points_rows(icp)
    if not rows:
        console.print(
            "[yellow]No criterion earned points out of sample: every qualified account gets "
            "the base rate.[/]"
        )
        return
    t = Table(title="log-odds added when met; unknown adds nothing", title_justify="left")
    for col in ("Layer", "Criterion", "When", "Points", "Best", "Worst"):
        t.add_column(col, overflow="fold")
    for r in rows[:_POINTS_SHOWN]:
        t.add_row(r.layer, escape(r.criterion), escape(r.ideal_fit), r.points, r.best, r.worst)
    console.print(t)
    if len(rows) > _POINTS_SHOWN:
        console.print(f"  … and {len(rows) - _POINTS_SHOWN} more criteria in the ICP file")


def render_run(run: DiscoveryRun) -> None:
    """The terminal summary of a discovery: definitions, segments, anti-signals, validation."""
    from icpkit.report.markdown import segment_sentence
    from icpkit.report.table import criteria_rows, segment_rows

    icp = run.icp
    o = icp.outcomes
    if o is not None:
        console.rule("[bold]Outcomes used")
        console.print(f"[green]best[/]  {o.best_count:,} of {o.total:,}: {escape(o.best)}")
        console.print(f"[red]worst[/] {o.worst_count:,} of {o.total:,}: {escape(o.worst)}")
    for n in run.notices:
        err_console.print(f"[cyan]note:[/] {escape(n)}")
    for w in run.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}")
    console.rule("[bold]Segments")
    if not icp.segments:
        console.print("[yellow]No segment passed the evidence bar.[/]")
    for seg in icp.segments:
        console.print(f"[bold]{seg.id}[/] {escape(segment_sentence(seg))}")
        console.print(_criteria_table(f"{seg.id}: {seg.name}", segment_rows(seg)))
        worth = [v.phrase() for v in seg.value]
        if worth:
            console.print("  worth (segment vs others; medians): " + "; ".join(worth))
    extra = [r for r in criteria_rows(icp) if r.role in ("timing", "disqualifier")]
    if extra:
        console.print(_criteria_table("Timing signals and anti-signals", extra, "When"))
    _render_points(icp)
    v = icp.validation
    if v:
        console.rule("[bold]Validation: would it have picked our winners?")
        t = Table()
        for col in (
            "View",
            "Accounts",
            "Selected",
            "Precision",
            "Recall",
            "Losers out",
            "Top-tier lift",
            "AUC",
        ):
            t.add_column(col)
        for key, title in (
            ("in_sample", "in-sample"),
            ("kfold", f"{v.get('folds', 'k')}-fold out-of-sample"),
            ("kfold_baseline", "black box, same folds"),
            ("time_split", f"time split after {v.get('holdout_after', '')}"),
            ("time_split_baseline", "black box, time split"),
        ):
            m = v.get(key)
            if not m:
                continue
            lift = f"{m['top_tier_lift']:.2f}x" if m.get("top_tier_lift") is not None else "–"
            auc = f"{m['auc']:.3f}" if m.get("auc") is not None else "–"
            t.add_row(
                title,
                f"{m['accounts']:,}",
                f"{m['selected']:,}",
                f"{m['precision']:.0%}",
                f"{m['recall']:.0%}",
                f"{m['worst_screened_out']:.0%}",
                lift,
                auc,
            )
        console.print(t)


@app.command()
def discover(
    customers: Annotated[
        Path | None,
        typer.Argument(help="Customer file: CSV, Parquet, Excel or JSON (or use --query)."),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="ICP file to write.")] = Path(
        "icp.yaml"
    ),
    markdown: Annotated[
        Path | None, typer.Option(help="One-page document (default: beside the ICP file).")
    ] = None,
    evidence: Annotated[
        Path | None, typer.Option(help="Write every trait tried with its statistics (CSV…).")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Column holding an explicit best/worst label.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Column roles config (TOML/YAML) overriding inference.")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Account id column.")] = None,
    domain_column: Annotated[
        str | None, typer.Option("--domain", help="Website/domain column.")
    ] = None,
    reference_date: Annotated[
        str | None, typer.Option(help="Purchase/close date column (recency traits, time split).")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(help="Read customers with a DuckDB SQL query instead of a file."),
    ] = None,
    database: Annotated[
        Path | None, typer.Option(help="DuckDB database file the --query runs against.")
    ] = None,
    holdout_after: Annotated[
        date | None,
        day_option("--holdout-after", "Time split: fit before this date, test after."),
    ] = None,
    as_of: Annotated[
        date | None,
        day_option(
            "--as-of",
            "Date windows are measured back from (default: where the data's dates end when "
            "that is over a year ago and there is no purchase date column, else today).",
        ),
    ] = None,
    folds: Annotated[int, typer.Option(help="k for k-fold validation (0 to skip).")] = 5,
    max_segments: Annotated[int, typer.Option(help="Most segments to look for.")] = 3,
    best_share: Annotated[float, typer.Option(help="Share of accounts counted best.")] = 0.2,
    worst_share: Annotated[float, typer.Option(help="Bottom share counted worst.")] = 0.2,
    baseline: Annotated[bool, typer.Option(help="Compare with a black-box model.")] = True,
    name: Annotated[str, typer.Option(help="Name of the ICP.")] = "Ideal Customer Profile",
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Treat the odd values of a mostly numeric, date or yes/no column as missing "
            "(with a warning) instead of stopping with an error.",
        ),
    ] = False,
    max_columns: Annotated[
        int,
        typer.Option(
            "--max-columns",
            min=1,
            help="Wider inputs are screened to this many attribute columns without looking at "
            "the outcomes (reported).",
        ),
    ] = 200,
    force: ForceOpt = False,
) -> None:
    """Discover an evidence-based ICP from a customer base and write icp.yaml + icp.md."""
    from icpkit.columns.schema import SchemaOverrides
    from icpkit.discovery.config import SearchConfig
    from icpkit.io import read_sql
    from icpkit.pipeline import discover_file, write_outputs

    overrides = SchemaOverrides.from_file(config) if config else SchemaOverrides()
    overrides = replace(
        overrides,
        id=id_column or overrides.id,
        domain=domain_column or overrides.domain,
        reference_date=reference_date or overrides.reference_date,
    )
    if (customers is None) == (query is None):
        raise typer.BadParameter("give either a customer file or --query (not both)")
    # Refuse bad outputs before the (long) discovery, not after it.
    from icpkit.io import check_output

    md_path = markdown or output.with_suffix(".md")
    inputs = [customers] if customers is not None else []
    for target in (output, md_path, evidence):
        if target is not None:
            check_output(target, force=force, inputs=inputs)
    source: Path | pl.DataFrame = (
        read_sql(query, database=database) if query is not None else cast(Path, customers)
    )
    with console.status("discovering…"):
        run = discover_file(
            source,
            label=label,
            overrides=overrides,
            best_share=best_share,
            worst_share=worst_share,
            search=SearchConfig(max_segments=max_segments),
            folds=folds,
            holdout_after=holdout_after,
            as_of=as_of,
            baseline=baseline,
            name=name,
            strict=not lenient,
            max_columns=max_columns,
        )
    render_run(run)
    written = write_outputs(run, output, markdown_path=md_path, evidence_path=evidence, force=force)
    console.rule("[bold]Written")
    for p in written:
        console.print(f"  {p}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the demo files.")] = Path(
        "icp-demo"
    ),
    rows: Annotated[int, typer.Option(help="Customers to generate (≥ 5,000 is realistic).")] = 6000,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
    force: Annotated[bool, typer.Option(help="Replace an earlier demo's ICP files.")] = True,
) -> None:
    """Generate a realistic customer base with a planted truth and discover its ICP."""
    from icpkit.pipeline import discover_file, write_outputs
    from icpkit.sample.customers import TECH_CATEGORIES, generate_customers, write_demo_files

    directory.mkdir(parents=True, exist_ok=True)
    paths = write_demo_files(directory, n=rows, seed=seed)
    console.print(f"sample data: {', '.join(str(p) for p in paths.values())}")
    cmap = {k.lower(): [v] for k, v in TECH_CATEGORIES.items()}
    with console.status("discovering…"):
        run = discover_file(paths["customers"], category_map=cmap, name="Demo ICP")
    render_run(run)
    written = write_outputs(
        run,
        directory / "icp.yaml",
        markdown_path=directory / "icp.md",
        evidence_path=directory / "evidence.csv",
        force=force,
    )
    truth = generate_customers(10, seed=seed).truth
    console.rule("[bold]Planted truth (what discovery should find)")
    for seg in truth.segments:
        console.print(f"  segment {seg.name}")
    console.print(f"  anti-signal {truth.anti_signal.column} in {list(truth.anti_signal.values)}")
    console.rule("[bold]Written")
    for p in written:
        console.print(f"  {p}")
    console.print(
        f"next: icp score {paths.get('prospects', directory / 'prospects.csv')} "
        f"--icp {directory / 'icp.yaml'} -o {directory / 'scored.parquet'}"
    )
