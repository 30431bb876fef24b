"""``icp signals collect|show|export``: timing signals over time, from a local signals store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import day_option

if TYPE_CHECKING:  # the library loads when a command runs, so `icp --help` stays fast
    import polars as pl

    from icpkit.signals.collect import CollectReport
    from icpkit.signals.store import SignalsStore

signals_app = typer.Typer(
    help="Timing signals over time: hiring, leadership changes, funding and stack changes.",
    no_args_is_help=True,
)
app.add_typer(signals_app, name="signals")

StoreOpt = Annotated[
    Path, typer.Option("--store", help="The signals store (a DuckDB file; made on first collect).")
]
_SHOWN_PROBLEMS = 5


def _feeds(values: list[str] | None) -> dict[str, str]:
    from icpkit.errors import UsageError
    from icpkit.signals.hiring import ATS_NAMES

    out = {}
    for value in values or []:
        ats, sep, template = value.partition("=")
        if not sep or ats.strip().lower() not in ATS_NAMES or "{board}" not in template:
            raise UsageError(
                f"--feed {value!r}: give ATS=URL with {{board}} in the URL, ATS one of "
                + ", ".join(ATS_NAMES)
            )
        out[ats.strip().lower()] = template.strip()
    return out


@signals_app.command("collect")
def collect_command(
    accounts: Annotated[Path, typer.Argument(help="Accounts table (CSV, Parquet, Excel …).")],
    domain_column: Annotated[str, typer.Option(help="Column holding the website.")] = "website",
    store: StoreOpt = Path("signals.duckdb"),
    contacts: Annotated[
        Path | None, typer.Option(help="Contacts snapshot (titles) for leadership changes.")
    ] = None,
    funding: Annotated[
        Path | None, typer.Option(help="Funding rounds file (company, date, round type, amount).")
    ] = None,
    name_column: Annotated[
        str | None, typer.Option(help="Accounts column with the company name (funding match).")
    ] = None,
    on: Annotated[
        date | None, day_option("--date", "Date of this observation (default: today).")
    ] = None,
    hiring: Annotated[bool, typer.Option(help="Read job boards and careers pages.")] = True,
    stack: Annotated[bool, typer.Option(help="Detect technologies on the home pages.")] = True,
    leadership: Annotated[
        bool, typer.Option(help="Read the team/leadership page a home page links to.")
    ] = True,
    feed: Annotated[
        list[str] | None,
        typer.Option(help="ATS=URL feed template with {board} (mirrors, tests); repeatable."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Sites fetched at once.")] = 50,
    batch: Annotated[int, typer.Option(help="Accounts committed to the store at once.")] = 500,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private/loopback targets (tests).")
    ] = False,
    no_robots: Annotated[bool, typer.Option("--no-robots", help="Ignore robots.txt.")] = False,
    fingerprints: Annotated[
        Path | None, typer.Option(help="Wappalyzer-format data (folder or file).")
    ] = None,
) -> None:
    """Collect signals into the store; runs on other dates add to each account's history."""
    from icpkit.io import read_table
    from icpkit.signals.collect import CollectConfig, check_domain_column, collect_accounts
    from icpkit.signals.store import SignalsStore
    from icpkit.technographics.fetch import FetchConfig

    observed_on = on or date.today()
    frame = read_table(accounts)
    if hiring or stack or name_column is None:
        check_domain_column(frame, domain_column, file=accounts)
    feeds = _feeds(feed)
    with SignalsStore(store) as db:
        console.print(f"signals store {escape(str(store))}, observations dated {observed_on}")
        if hiring or stack:
            config = CollectConfig(
                observed_on=observed_on,
                fetch=FetchConfig(
                    concurrency=concurrency,
                    allow_private=allow_private,
                    respect_robots=not no_robots,
                ),
                feeds=feeds,
                batch=batch,
                stack=stack,
                hiring=hiring,
                leadership=leadership,
            )
            with console.status("collecting hiring and stack signals…"):
                report = collect_accounts(
                    frame, db, config, domain_column=domain_column, fingerprints=fingerprints
                )
            _render_collect(report)
        if contacts is not None:
            _import_contacts(db, contacts, observed_on)
        if funding is not None:
            _import_funding(db, funding, frame, observed_on, domain_column, name_column)


def _import_contacts(db: SignalsStore, contacts: Path, observed_on: date) -> None:
    from icpkit.signals.leadership import import_contacts

    added = import_contacts(db, contacts, observed_on)
    console.print(
        f"contacts snapshot {escape(str(contacts))}: {added.get('visits', 0):,} accounts, "
        f"{added.get('leaders', 0):,} director-or-above contacts stored (roles only)"
    )


def _import_funding(
    db: SignalsStore,
    funding: Path,
    frame: pl.DataFrame,
    observed_on: date,
    domain_column: str,
    name_column: str | None,
) -> None:
    from icpkit.signals.funding import import_rounds

    cols = [c for c in (domain_column, name_column) if c and c in frame.columns]
    fr = import_rounds(
        db,
        funding,
        frame.select(cols),
        observed_on,
        account_domain=domain_column if domain_column in frame.columns else None,
        account_name=name_column,
    )
    console.print(
        f"funding {escape(str(funding))}: {fr.rounds:,} rounds, {fr.by_domain:,} matched "
        f"by domain, {fr.by_name:,} by name, {fr.unmatched:,} unmatched "
        f"({fr.ambiguous_names:,} on names two accounts share); {fr.added:,} new"
    )


def _render_collect(report: CollectReport) -> None:
    done = f", {report.already_done:,} already collected for this date" * bool(report.already_done)
    console.print(
        f"{report.accounts:,} accounts{done}: {report.read:,} read, "
        f"{report.unknown:,} unknown; {report.postings:,} open roles and "
        f"{report.technologies:,} technologies stored"
        + (f"; {report.leaders:,} leaders from team pages (roles only)" if report.leaders else "")
    )
    if report.sources:
        console.print(
            "sources: " + ", ".join(f"{k} {n:,}" for k, n in report.sources.most_common())
        )
    for account, why in report.problems[:_SHOWN_PROBLEMS]:
        err_console.print(f"[yellow]unknown:[/] {escape(account)}: {escape(why)}")
    if len(report.problems) > _SHOWN_PROBLEMS:
        err_console.print(
            f"… and {len(report.problems) - _SHOWN_PROBLEMS:,} more (`icp signals show` each)"
        )


@signals_app.command("show")
def show_command(
    domain: Annotated[str, typer.Argument(help="The account's website or domain.")],
    store: StoreOpt = Path("signals.duckdb"),
) -> None:
    """Print one account's timeline, oldest first."""
    from icpkit.signals.store import SignalsStore

    with SignalsStore(store, create=False) as db:
        timeline = db.timeline(domain)
    table = Table(title=f"signals for {escape(domain)}", title_justify="left")
    for col in ("Date", "Source", "Kind", "What"):
        table.add_column(col, overflow="fold")
    for day, source, kind, what in timeline.iter_rows():
        table.add_row(str(day), escape(source), escape(kind), escape(what or ""))
    console.print(table)


@signals_app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="Signals table to write.")],
    store: StoreOpt = Path("signals.duckdb"),
    as_of: Annotated[
        date | None, day_option("--as-of", "Date the signals are computed at (default: today).")
    ] = None,
    roles: Annotated[
        str | None,
        typer.Option(help='Roles in your solution area, as a pattern: "seo|content|demand gen".'),
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="Join the signals onto this accounts table.")
    ] = None,
    domain_column: Annotated[str, typer.Option(help="Website column of --accounts.")] = "website",
    name_column: Annotated[
        str | None,
        typer.Option(
            help="Company-name column of --accounts, for accounts collected by name (as "
            "--name-column of collect)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
) -> None:
    """One row per account with derived signal columns, their window and as-of date stated."""
    from icpkit.io import check_output, read_table
    from icpkit.signals.export import (
        COLUMN_DOCS,
        history_notes,
        join_accounts,
        matched_accounts,
        signal_columns,
        write_signals,
    )
    from icpkit.signals.store import SignalsStore

    day = as_of or date.today()
    inputs = [store] + ([accounts] if accounts is not None else [])
    check_output(output, force=force, inputs=inputs)
    with SignalsStore(store, create=False) as db:
        frame = signal_columns(db, day, roles=roles)
    unmatched_note = None
    if accounts is not None:
        acc = read_table(accounts)
        matched = matched_accounts(frame, acc, domain_column, name_column)
        if matched < acc.height:
            by = f"by {domain_column!r}" + (f", else {name_column!r}" if name_column else "")
            unmatched_note = (
                f"{acc.height - matched:,} of {acc.height:,} accounts have nothing in the "
                f"store on or before {day} (matched {by}); their signals are empty"
                + ("" if name_column else "; pass --name-column if collect matched by name")
            )
        frame = join_accounts(frame, acc, domain_column, name_column)
    result = write_signals(frame, output, day, roles=roles, force=force, inputs=tuple(inputs))
    console.print(
        f"wrote {result.frame.height:,} rows to {escape(str(result.path))} "
        f"(signals as of {day}; column notes in {escape(str(result.sidecar))})"
    )
    table = Table(title_justify="left")
    for col in ("Column", "Window", "Known for", "Means"):
        table.add_column(col, overflow="fold")
    for name in result.metadata["columns"]:
        window, what = COLUMN_DOCS[name]
        known = result.frame.get_column(name).is_not_null().sum()
        table.add_row(
            name,
            f"{window} days to {day}" if window else f"to {day}",
            f"{known:,}",
            escape(what),
        )
    console.print(table)
    for note in [*([unmatched_note] if unmatched_note else []), *history_notes(result.frame)]:
        err_console.print(f"[yellow]note:[/] {escape(note)}")


__all__ = ["signals_app"]
