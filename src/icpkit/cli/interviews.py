"""``icp interviews plan|analyze``: whom to interview, and what customers said, per segment.

Thin layer: parses options, calls :func:`icpkit.interviews.plan_interviews` or
:func:`icpkit.interviews.analyze_folder`, renders with rich and writes atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import IcpOpt

if TYPE_CHECKING:
    from icpkit.icp import SegmentInsights

interviews_app = typer.Typer(
    help="Customer interviews: plan whom to talk to, then find what each segment says.",
    no_args_is_help=True,
)
app.add_typer(interviews_app, name="interviews")


@interviews_app.command("plan")
def plan_cmd(
    accounts: Annotated[
        Path, typer.Option("--accounts", help="Accounts, scored or not (e.g. scored.parquet).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The guide to write (.md).")],
    icp_file: IcpOpt = Path("icp.yaml"),
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="Contacts: picks whom to talk to by role.")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="The interview template (default: the guide's name, .csv)."),
    ] = None,
    per_segment: Annotated[
        int, typer.Option(help="Representative customers per segment.", min=1)
    ] = 5,
    contrasts: Annotated[
        int,
        typer.Option(help="Contrasting (lost, churned or unbought) accounts per segment.", min=0),
    ] = 2,
    force: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
) -> None:
    """Choose representative and contrasting accounts per segment and write the interview guide."""
    from icpkit.icp import ICP
    from icpkit.interviews import plan_interviews
    from icpkit.io import atomic_write_text, check_output, read_table, write_table

    template = csv or output.with_suffix(".csv")
    inputs = [p for p in (icp_file, accounts, contacts) if p is not None]
    check_output(output, force=force, inputs=inputs)
    check_output(template, force=force, inputs=[*inputs, output])
    icp = ICP.load(icp_file)
    plan = plan_interviews(
        icp,
        read_table(accounts),
        read_table(contacts) if contacts is not None else None,
        per_segment=per_segment,
        contrasts=contrasts,
    )
    for note in plan.notes:  # how values were read (number conventions), said plainly
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    for w in plan.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}")
    write_table(plan.rows, template, force=force, inputs=inputs)
    atomic_write_text(output, plan.markdown, force=force, inputs=inputs)
    t = Table(title=f"{plan.rows.height} interviews planned", title_justify="left")
    for col in ("Segment", "Representative", "Contrast"):
        t.add_column(col)
    for seg in icp.segments:
        mine = plan.rows.filter(plan.rows["segment"] == seg.id)
        reps = mine.filter(mine["kind"] == "representative").height
        t.add_row(escape(seg.id), str(reps), str(mine.height - reps))
    console.print(t)
    console.print(f"guide written to {output}, interview template to {template}")


def _render_segment(seg: SegmentInsights, name: str) -> None:
    """One segment's interviews and the themes that set them apart."""
    console.rule(f"[bold]{escape(seg.segment)}: {escape(name)}")
    console.print(f"{seg.interviews} interviews, {seg.accounts} accounts")
    if seg.caveat:
        console.print(f"[yellow]⚠ {escape(seg.caveat)}[/]")
    if not seg.themes:
        console.print("nothing this segment says stands out from the other interviews")
        return
    t = Table(title_justify="left")
    for col in ("Theme", "Question", "Mentioned by", "Others", "p", "Outcome", "Quote"):
        t.add_column(col, overflow="fold")
    for th in seg.themes:
        outcome = "; ".join(
            f"{o.metric} {o.mentioning:,.0f} vs {o.others:,.0f}"
            + (f" (p {o.p_value:.2g})" if o.p_value is not None else "")
            for o in th.outcomes
        )
        t.add_row(
            escape(th.label),
            th.question,
            f"{th.interviews}/{th.of_interviews} ({th.accounts} accounts)",
            f"{th.others}/{th.of_others}",
            f"{th.evidence.p_value:.2g}" if th.evidence else "–",
            escape(outcome or "–"),
            escape(f"“{th.quotes[0].text}”" if th.quotes else "–"),
        )
    console.print(t)


@interviews_app.command("analyze")
def analyze_cmd(
    notes: Annotated[
        Path, typer.Argument(help="Folder (or file) of notes: .txt .md .docx .vtt .srt .csv.")
    ],
    icp_file: IcpOpt = Path("icp.yaml"),
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="Accounts to link interviews to.")
    ] = None,
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="Contacts whose names are scrubbed too.")
    ] = None,
    company: Annotated[
        list[str] | None,
        typer.Option("--company", help="Your company's own name, scrubbed from quotes (repeat)."),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="A capitalised word never to scrub, e.g. a product (repeat)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Encoding of text notes (default UTF-8).")
    ] = None,
    permutations: Annotated[
        int, typer.Option(help="Shuffled-label rounds for the selection-adjusted test.", min=20)
    ] = 200,
    terms: Annotated[
        Path | None, typer.Option("--terms", help="Also write every term's statistics here.")
    ] = None,
    write: Annotated[bool, typer.Option(help="Store the insights in the ICP file.")] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing --terms file.")] = False,
) -> None:
    """Find what each segment's customers say that others don't: themes, evidence, quotes."""
    from icpkit.icp import ICP
    from icpkit.interviews import analyze_folder, contact_names, with_insights
    from icpkit.io import check_output, read_table, write_table

    inputs = [p for p in (icp_file, accounts, contacts, notes) if p is not None]
    if terms is not None:
        check_output(terms, force=force, inputs=inputs)
    icp = ICP.load(icp_file)
    with console.status("reading and analysing interviews…"):
        result = analyze_folder(
            notes,
            icp,
            read_table(accounts) if accounts is not None else None,
            encoding=encoding,
            companies=company or [],
            names=contact_names(read_table(contacts)) if contacts is not None else [],
            keep=keep or [],
            permutations=permutations,
        )
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}")
    ins = result.insights
    bar = (
        f"a term is distinctive at z ≥ {result.threshold:.2f} (max over every term, question "
        f"and segment on {ins.permutations} shuffles)"
        if math.isfinite(result.threshold)
        else "no term is mentioned in enough interviews to be tested (3 or more)"
    )
    console.print(
        f"{ins.linked} of {ins.interviews} interviews linked to {ins.accounts} accounts; {bar}"
    )
    names = {s.id: s.name for s in icp.segments}
    for seg in ins.segments:
        _render_segment(seg, names.get(seg.segment, ""))
    if terms is not None:
        write_table(result.terms, terms, force=force, inputs=inputs)
        console.print(f"term statistics written to {terms}")
    if write:
        path = with_insights(icp, ins).save(icp_file, force=True)
        console.print(f"insights written to {path} (scrubbed quotes; interview ids, not names)")
    else:
        console.print("dry run: pass --write to store these insights in the ICP file")
