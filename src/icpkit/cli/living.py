"""``icp calibrate``, ``icp diff``, ``icp status`` and ``icp report``: the living ICP.

Commands of this group are registered on the shared app at import. Each parses its options,
calls one library function (:mod:`icpkit.living`, :mod:`icpkit.living.versions`,
:mod:`icpkit.report`) and renders the result.
"""

from __future__ import annotations

import math
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import IcpOpt, day_option

if TYPE_CHECKING:
    from icpkit.living.proposal import ReviewRun
    from icpkit.living.review import CohortReview, CriterionResult


def _pct(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.0%}"


def _x(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.2f}x"


def _or(x: float) -> str:
    from icpkit.report.table import format_ratio

    return format_ratio(x)


def _criteria_table(rep: CohortReview) -> Table:
    """One row per criterion: win rate when met and not, lift, odds ratio, and at fit time."""
    t = Table(title="Criteria in this cohort", title_justify="left")
    for col in (
        "Where",
        "Criterion",
        "Met",
        "Win rate [95%]",
        "Not met",
        "Lift",
        "OR [95%]",
        "At fit",
        "",
    ):
        t.add_column(col, overflow="fold")
    for r in rep.criteria:
        flag = f"[yellow]{r.verdict}[/]" if r.verdict else ""
        if r.caveat:
            flag += f"\n[yellow]⚠ {escape(r.caveat)}[/]"
        fit = f"lift {_x(r.fit_lift)}, OR {_or(r.fit_odds_ratio)}" if r.fit_odds_ratio else "–"
        t.add_row(
            _where(r),
            escape(r.label),
            f"{r.accounts:,}",
            _rate_ci(r.win_rate, r.win_rate_low, r.win_rate_high),
            _pct(r.win_rate_without),
            _x(r.lift),
            # No odds ratio for a criterion no account meets (or every account meets).
            f"{_or(r.odds_ratio)} [{_or(r.ci_low)}–{_or(r.ci_high)}]"
            if r.accounts and r.known - r.accounts
            else "–",
            fit,
            flag,
        )
    return t


def _where(r: CriterionResult) -> str:
    """Where a criterion sits; a points criterion with the points it adds."""
    if r.role == "points":
        return f"points {r.criterion.weight or 0.0:+.2f}"
    return r.role if r.where in ("disqualifiers", "timing") else f"{r.where} {r.role}"


def _rate_ci(rate: float, low: float, high: float) -> str:
    """A win rate with its interval, or a plain dash when no account is in the group."""
    if not math.isfinite(rate):
        return "–"
    return f"{_pct(rate)} [{_pct(low)}–{_pct(high)}]"


def _groups_table(rep: CohortReview) -> Table:
    """Conversion per tier, then per segment."""
    tt = Table(title="Conversion by tier and segment", title_justify="left")
    for col in ("Group", "Accounts", "Won", "Win rate [95%]", "Lift"):
        tt.add_column(col)
    for g in [*rep.tiers, *rep.segments]:
        tt.add_row(
            escape(g.name),
            f"{g.accounts:,}",
            f"{g.won:,}",
            _rate_ci(g.win_rate, g.low, g.high),
            _x(g.lift),
        )
    return tt


def _inversions(rep: CohortReview) -> str:
    """Which tiers convert better than the tier above them, with their intervals: a point
    inversion between overlapping intervals (87% [73–94%] above 75% [64–84%]) is weak evidence."""
    out = [
        f"{lo.name} {_rate_ci(lo.win_rate, lo.low, lo.high)} above "
        f"{hi.name} {_rate_ci(hi.win_rate, hi.low, hi.high)}"
        for lo, hi in rep.tier_inversions
    ]
    return "; ".join(out)


def _render_review(run: ReviewRun) -> None:
    """The cohort review (criteria, tiers, calibration, ignored traits) and the proposal."""
    rep = run.report
    console.rule(
        f"[bold]Cohort {escape(rep.cohort)} against {escape(run.icp.name)} v{run.icp.version}"
    )
    console.print(
        f"{rep.accounts:,} decided deals: {rep.won:,} won, {rep.lost:,} lost "
        f"(win rate {rep.win_rate:.0%}); scores {rep.score_source}; the ICP selected "
        f"{rep.selected_recall:.0%} of the wins"
    )
    for n in rep.notes:
        err_console.print(f"[yellow]note:[/] {escape(n)}")
    console.print(_criteria_table(rep))
    console.print(_groups_table(rep))
    if not rep.tiers_ordered:
        console.print(
            "[yellow]Tiers do not convert in order (A ≥ B ≥ C ≥ D fails): "
            f"{escape(_inversions(rep))} (one-sided Fisher p < 0.05); compare the intervals "
            "before acting on it.[/]"
        )
    if rep.calibration_gap is not None:
        line = (
            f"Calibration: mean |predicted − observed| {rep.calibration_gap:.0%} over "
            f"{len(rep.calibration)} score bands (the score models the share of best customers)"
        )
        fit_base = (run.icp.validation or {}).get("in_sample", {}).get("base_rate")
        if isinstance(fit_base, int | float) and abs(rep.win_rate - fit_base) > 0.1:
            # A cohort of decided deals is not the customer base: its win rate sets the level.
            line += (
                f"; this cohort's win rate is {rep.win_rate:.0%} where {fit_base:.0%} of the fit "
                "accounts were best customers, so the gap is mostly that difference: judge the "
                "order of the tiers, not the levels"
            )
        console.print(line + ".")
    if rep.ignored:
        console.print("[bold]Traits the ICP ignores that the missed winners share:[/]")
        for it in rep.ignored:
            console.print(
                f"  {escape(it.criterion.describe())}: win rate {it.win_rate:.0%}, "
                f"OR {_or(it.evidence.odds_ratio)}, q={it.evidence.q_value:.2g}"
            )
    stale = [r for r in rep.not_discriminating if r.role == "points"]
    if stale:
        console.print(
            f"[yellow]{len(stale)} of {sum(r.role == 'points' for r in rep.criteria)} points "
            f"criteria did not discriminate in this cohort (no significant difference at 5%; "
            f"with {rep.accounts:,} deals a weak criterion often shows none). Calibration does "
            "not edit the points table; to refit it, re-run icp discover on data that includes "
            "these deals.[/]"
        )
    console.rule("[bold]Proposal")
    if not run.proposal.changes:
        console.print(
            "No change proposed: nothing in this cohort confidently contradicts a criterion."
        )
    for ch in run.proposal.changes:
        console.print(f"• {escape(ch.describe())}")


@app.command("calibrate")
def calibrate_cmd(
    icp_path: IcpOpt,
    outcomes: Annotated[
        Path,
        typer.Option("--outcomes", help="Won/lost deals: id or domain, won/lost, optional value."),
    ],
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help="Accounts (e.g. scored.parquet) to join when outcomes lack attributes.",
        ),
    ] = None,
    outcome_column: Annotated[
        str | None, typer.Option("--outcome-column", help="The won/lost column (else detected).")
    ] = None,
    cohort: Annotated[
        str | None, typer.Option("--cohort", help="Name of the cohort for the changelog.")
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Write the proposed next version here (the replaced file is kept as <name>.v<N>.yaml).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing, different backup.")
    ] = False,
    today: Annotated[date | None, day_option("--today", "Date of the revision.")] = None,
) -> None:
    """Look back at won/lost deals: per criterion and tier, what converted; propose the next version."""
    from icpkit.living.proposal import review_file, write_revision

    run = review_file(
        icp_path,
        outcomes,
        accounts_path=accounts,
        outcome_column=outcome_column,
        cohort_name=cohort,
        today=today,
    )
    _render_review(run)
    changed = bool(run.proposal.changes)
    review_by = run.revised.review_by.isoformat() if run.revised.review_by else "?"
    if write is None:
        console.print(
            "[dim]Nothing written; pass --write icp.yaml to save this as version "
            f"{run.revised.version}.[/]"
            if changed
            else f"[dim]Nothing written; the version stays {run.icp.version}. --write icp.yaml "
            f"records this review in the changelog and moves the review date to {review_by}.[/]"
        )
        return
    paths = write_revision(run.icp, run.revised, write, inputs=run.inputs, force=force)
    for p in paths:
        console.print(f"wrote {escape(str(p))}")
    if not changed:
        console.print(
            f"no change proposed; version stays {run.revised.version}; the review is in the "
            f"changelog and the next one is due by {review_by}"
        )


@app.command("diff")
def diff_cmd(
    old: Annotated[Path, typer.Argument(help="The older ICP file.")],
    new: Annotated[Path, typer.Argument(help="The newer ICP file.")],
) -> None:
    """A readable diff of criteria, weights, thresholds and segments (not a text diff)."""
    from icpkit.icp import ICP
    from icpkit.living.versions import diff

    d = diff(ICP.load(old), ICP.load(new))
    if not d:
        console.print(f"v{d.old_version} → v{d.new_version}: no differences")
        return
    console.print(f"[bold]v{d.old_version} → v{d.new_version}[/]")
    colour = {"added": "green", "removed": "red", "changed": "yellow"}
    for section, entries in d.sections().items():
        console.print(f"\n[bold]{escape(section)}[/]")
        for e in entries:
            console.print(f"  [{colour[e.change]}]{escape(str(e))}[/]")


@app.command("status")
def status_cmd(
    icp_path: Annotated[Path, typer.Argument(help="The ICP file (icp.yaml).")],
    recent: Annotated[
        Path | None,
        typer.Option("--recent", help="Recent wins (a won/lost column is filtered to won)."),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help="Accounts (e.g. scored.parquet) to join when --recent has only ids/outcomes.",
        ),
    ] = None,
    drift_threshold: Annotated[
        float,
        typer.Option(
            "--drift-threshold",
            min=0.0,
            max=1.0,
            help="Allowed fall in the share of wins selected, a fraction (0.15 = 15 points).",
        ),
    ] = 0.15,
    review_days: Annotated[
        int | None,
        typer.Option(
            "--review-days",
            help="Review cadence in days from the last revision (default: the file's review_by).",
        ),
    ] = None,
    today: Annotated[date | None, day_option("--today", "Evaluate as of this date.")] = None,
) -> None:
    """Age, review due date and drift; exits 3 when review is overdue or drift exceeds the threshold."""
    from icpkit.icp import ICP
    from icpkit.io import read_table
    from icpkit.living.versions import status

    icp = ICP.load(icp_path)
    frame = read_table(recent) if recent is not None else None
    if accounts is not None and recent is None:
        raise typer.BadParameter("only with --recent (the wins to join)", param_hint="--accounts")
    acc = read_table(accounts) if accounts is not None else None
    st = status(
        icp,
        recent=frame,
        today=today,
        drift_threshold=drift_threshold,
        review_days=review_days,
        file=str(recent) if recent else None,
        accounts=acc,
        accounts_file=str(accounts) if accounts else None,
    )
    console.print(f"[bold]{escape(st.name)}[/] v{st.version}")
    age = (
        f"{st.age_days:,} days ago"
        if st.age_days >= 0
        else f"{-st.age_days:,} days after {st.today.isoformat()}, the status date"
    )
    console.print(
        f"created {st.created.isoformat()} ({age}), last revised {st.last_revised.isoformat()}"
    )
    due = "[red]overdue[/]" if st.overdue else f"in {st.days_to_review:,} days"
    console.print(f"review by {st.review_by.isoformat()}: {due}")
    if st.recent_wins is not None:
        if st.recent_share is None:
            console.print(f"recent wins: {st.recent_wins:,}, not compared")
        else:
            fit = _pct(st.fit_share)
            line = (
                f"recent wins selected: {st.recent_selected:,} of {st.recent_wins:,} = "
                f"{st.recent_share:.0%} [{_pct(st.recent_low)}–{_pct(st.recent_high)}] vs "
                f"{fit} at fit" + ("" if st.fit_basis == "best customers" else f" ({st.fit_basis})")
            )
            if st.drift is not None:
                word = "[red]drift[/]" if st.drifted else "within threshold"
                # A difference of two shares is in percentage points, not a percent change.
                line += (
                    f"; change {-100 * st.drift:+.0f} percentage points ({word}: allowed fall "
                    f"{100 * st.drift_threshold:.0f})"
                )
            console.print(line)
    for n in st.notes:
        err_console.print(f"[yellow]note:[/] {escape(n)}")
    if st.not_judged:
        console.print(f"[yellow]drift not judged:[/] {escape(st.not_judged)}")
    if st.needs_attention:
        why = " and ".join(
            w for w, f in (("review overdue", st.overdue), ("drift", st.drifted)) if f
        )
        err_console.print(f"[bold red]needs attention:[/] {why}")
        # sys.exit, not typer.Exit: the entry point runs click in non-standalone mode, where
        # an Exit's code would be returned and dropped instead of reaching the shell.
        sys.exit(st.exit_code)
    if st.not_judged:
        # Not "ok": the drift check was asked for and could not be made (exit 0: nothing is
        # known to be wrong with the ICP).
        console.print(f"review not due; drift not judged (exit {st.exit_code})")
        return
    console.print("[green]ok[/]")


@app.command("report")
def report_cmd(
    icp_path: Annotated[Path, typer.Argument(help="The ICP file (icp.yaml).")],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="icp.pdf, icp.html, icp.png, icp.pptx or icp.md (by extension).",
        ),
    ],
    outcomes: Annotated[
        Path | None,
        typer.Option("--outcomes", help="Won/lost deals: adds the latest cohort to the appendix."),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help="Accounts to pick --examples from (and the join for --outcomes).",
        ),
    ] = None,
    examples: Annotated[
        int,
        typer.Option(
            "--examples",
            help="Name the N most typical tier-A accounts per segment (5 fill a card; needs "
            "--accounts). Without it the page names no company.",
            metavar="N",
        ),
    ] = 0,
    paper: Annotated[str, typer.Option("--paper", help="a4 or letter.")] = "a4",
    appendix: Annotated[
        bool | None,
        typer.Option(
            "--appendix/--no-appendix",
            help="Add the evidence appendix (its own page in the PDF). Default: in HTML and "
            "Markdown, not in PDF or PNG.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
) -> None:
    """The one-page ICP: PDF (one page), HTML, PNG, a slide per segment (pptx), or Markdown."""
    from icpkit.report.html import write_report

    path = write_report(
        icp_path,
        output,
        outcomes_path=outcomes,
        accounts_path=accounts,
        examples=examples,
        paper=paper,
        appendix=appendix,
        force=force,
        on_note=lambda note: console.print(f"[yellow]note:[/yellow] {escape(note)}"),
    )
    console.print(f"wrote {escape(str(path))}")
