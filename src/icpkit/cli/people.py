"""``icp personas`` and ``icp export``: people inside fitting accounts, and lawful outreach lists.

Commands of this group are registered on the shared app at import. They parse options, call
:mod:`icpkit.people.personas` / :mod:`icpkit.people.outreach` and render with rich.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import ForceOpt, IcpOpt, RawCellsOpt
from icpkit.errors import UsageError
from icpkit.people.compliance import DISCLAIMER
from icpkit.people.outreach import CaslPolicy


def _tiers(value: str) -> tuple[str, ...]:
    tiers = tuple(t.strip().upper() for t in value.split(",") if t.strip())
    bad = [t for t in tiers if t not in ("A", "B", "C", "D")]
    if not tiers or bad:
        raise UsageError(f"--tiers {value!r}: give tiers like A,B (from A, B, C, D)")
    return tiers


@app.command()
def personas(
    contacts: Annotated[Path, typer.Argument(help="Contacts file with titles and deal roles.")],
    accounts: Annotated[Path, typer.Option(help="Accounts (customers) the contacts belong to.")],
    icp_file: IcpOpt = Path("icp.yaml"),
    write: Annotated[
        bool, typer.Option(help="Store the personas in the ICP file's people-level section.")
    ] = False,
    tiers: Annotated[str, typer.Option(help="Tiers that count as fitting accounts.")] = "A,B",
    min_share: Annotated[
        float, typer.Option(help="Least share of won deals a persona must take part in.")
    ] = 0.2,
) -> None:
    """Who championed and who signed won deals in fitting accounts: 1-3 personas per segment."""
    from icpkit.icp import ICP
    from icpkit.io import read_table
    from icpkit.people.personas import analyze_personas, with_personas

    icp = ICP.load(icp_file)
    with console.status("finding personas…"):
        found = analyze_personas(
            read_table(contacts),
            read_table(accounts),
            icp,
            tiers=_tiers(tiers),
            min_share=min_share,
            file=contacts,
        )
    for w in found.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}")
    names = {s.id: s.name for s in icp.segments}
    for group, deals in found.deals.items():
        title = (
            f"{group}: {names[group]}"
            if group in names
            else "fitting accounts outside every segment"
            if names
            else "all fitting accounts"
        )
        console.rule(f"[bold]{escape(title)}")
        console.print(f"deals in fitting accounts: {deals['won']:,} won, {deals['lost']:,} lost")
        t = Table(title_justify="left")
        for col in ("Persona", "Role", "Won deals", "Lost deals", "Lift", "p", "Example titles"):
            t.add_column(col, overflow="fold")
        chosen = [p for p in found.personas if (p.segment or "all") == group]
        for p in chosen:
            ev = p.evidence
            assert ev is not None
            lost = f"{ev.share_of_lost:.0%}" if ev.share_of_lost is not None else "–"
            lift = f"{ev.lift:.2f}x" if ev.lift is not None else "–"
            pv = f"{ev.p_value:.2g}" if ev.p_value is not None else "–"
            # Escaped once, before the caveat's markup: escaping it all printed "[yellow]⚠ …[/]".
            who = escape(f"{p.seniority} · {p.department}")
            if ev.caveat:
                who += f"\n[yellow]⚠ {escape(ev.caveat)}[/]"
            t.add_row(
                who,
                p.deal_role or "involved",
                f"{ev.share_of_won:.0%} ({ev.won_deals})",
                f"{lost} ({ev.lost_deals})",
                lift,
                pv,
                escape(", ".join(p.example_titles)),
            )
        if chosen:
            console.print(t)
        else:
            console.print("[yellow]no persona passed the evidence bar[/]")
    if write:
        path = with_personas(icp, found.personas).save(icp_file, force=True)
        console.print(f"personas written to {path} (roles only: no names or emails)")
    else:
        console.print("dry run: pass --write to store these personas in the ICP file")


@app.command("export")
def export(
    scored: Annotated[Path, typer.Argument(help="Scored accounts (output of icp score).")],
    contacts: Annotated[Path, typer.Option(help="Contacts file (CSV, Excel, Parquet…).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Outreach file to write.")],
    icp_file: IcpOpt = Path("icp.yaml"),
    tiers: Annotated[str, typer.Option(help="Account tiers to include.")] = "A,B",
    suppress: Annotated[
        Path | None,
        typer.Option(help="Suppression list: emails and domains (opt-outs, customers…)."),
    ] = None,
    per_account: Annotated[int, typer.Option(help="Most contacts per account.")] = 3,
    casl: Annotated[
        CaslPolicy, typer.Option(help="Canadian contacts without recorded consent.")
    ] = "exclude",
    names: Annotated[bool, typer.Option(help="Include first/last names.")] = True,
    force: ForceOpt = False,
    raw_cells: RawCellsOpt = False,
) -> None:
    """Fit accounts × their best contacts in priority order, with the rules that apply per row."""
    from icpkit.icp import ICP
    from icpkit.people.outreach import export_outreach

    icp = ICP.load(icp_file)
    from icpkit import io

    inputs = [scored, contacts] + ([suppress] if suppress else [])
    io.check_output(output, force=force, inputs=inputs)  # refuse before the work
    with io.raw_cells(raw_cells), console.status("building the outreach list…"):
        res = export_outreach(
            scored,
            contacts,
            icp,
            output,
            force=force,
            suppression=suppress,
            tiers=_tiers(tiers),
            per_account=per_account,
            casl_without_consent=casl,
            include_names=names,
        )
    for w in res.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}")
    console.rule("[bold]Outreach export")
    console.print(
        f"{res.rows:,} contacts at {res.accounts:,} accounts (tiers {tiers}) written to "
        f"{escape(str(output))}, from {res.contacts_in:,} contacts in {escape(str(contacts))}"
    )
    console.print(
        "[bold]This file contains personal data[/] in columns: "
        + escape(", ".join(res.personal_columns))
        + ". Store and share it accordingly; delete it when the campaign ends."
    )
    t = Table("Regime", "Rows", title="Rules by contact country", title_justify="left")
    for regime, n in res.regimes.items():
        t.add_row(regime, f"{n:,}")
    console.print(t)
    if suppress is not None:
        k = res.suppression_kinds
        console.print(
            f"suppression list {escape(str(suppress))}: read {k.get('email', 0):,} emails and "
            f"{k.get('domain', 0):,} domains"
            + (f"; {k['invalid']:,} invalid entries ignored" if k.get("invalid") else "")
        )
    sup = sum(res.suppressed.values())
    console.print(
        f"suppressed: {sup:,} contacts never left the tool "
        f"({res.suppression_entries:,} list entries; "
        + ", ".join(f"{escape(k)} {v:,}" for k, v in res.suppressed.items())
        + ")"
        if sup
        else f"suppressed: 0 contacts ({res.suppression_entries:,} list entries)"
    )
    if res.excluded:
        t = Table("Not exported because", "Contacts", title_justify="left")
        for reason, n in res.excluded.items():
            t.add_row(escape(reason), f"{n:,}")
        console.print(t)
    for flag, n in res.flagged.items():
        err_console.print(f"[yellow]flagged:[/] {n:,} exported rows: {escape(flag)}")
    console.print(f"[italic]{escape(DISCLAIMER)}[/]")
