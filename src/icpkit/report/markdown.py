"""The one-page ICP document in Markdown (``icp.md``), for marketing, sales and product."""

from __future__ import annotations

from typing import Any

import polars as pl

from icpkit.icp import ICP, OutcomeComparison, Segment
from icpkit.report.onepage import build_onepage
from icpkit.report.table import CriteriaRow, criteria_rows, format_p, points_rows, segment_rows


def _table(rows: list[CriteriaRow], value: str = "Ideal fit") -> list[str]:
    """A criteria table; ``value`` heads the value column ("When" for timing signals and
    anti-signals: a disqualifier's "< $1M" under "Ideal fit" read as the ideal)."""
    out = [
        f"| Layer | Criterion | {value} | Best customers | Worst customers | Lift | Evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ev = r.evidence + (f" ⚠ {r.caveat}" if r.caveat else "")
        cells = [r.layer, r.criterion, r.ideal_fit, r.best, r.worst, r.lift, ev]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out


def _value_line(v: OutcomeComparison) -> str:
    return v.phrase()


def segment_sentence(seg: Segment) -> str:
    musts = " and ".join(c.describe() for c in seg.must)
    ev = seg.evidence
    if ev is None:
        return f"Companies where {musts}."
    return (
        f"Companies where {musts}: {ev.accounts:,} accounts, {ev.best_rate:.0%} of them best "
        f"customers against {ev.base_rate:.0%} overall ({ev.lift:.1f}x), covering "
        f"{ev.share_of_best:.0%} of all best customers."
    )


def _metrics_table(validation: dict[str, Any]) -> list[str]:
    names = [
        ("in_sample", "In-sample (fitted data)"),
        ("kfold", f"Out-of-sample, {validation.get('folds', 'k')}-fold"),
        ("kfold_baseline", "Black-box baseline, same folds"),
        ("time_split", f"Time split (bought after {validation.get('holdout_after', '?')})"),
        ("time_split_baseline", "Black-box baseline, time split"),
    ]
    rows = [
        "| View | Accounts | Selected | Precision | Recall | Losers screened out | "
        "Top-tier lift | AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, title in names:
        m = validation.get(key)
        if not m:
            continue
        lift = f"{m['top_tier_lift']:.2f}x" if m.get("top_tier_lift") is not None else "–"
        auc = f"{m['auc']:.3f}" if m.get("auc") is not None else "–"
        rows.append(
            f"| {title} | {m['accounts']:,} | {m['selected']:,} | {m['precision']:.0%} | "
            f"{m['recall']:.0%} | {m['worst_screened_out']:.0%} | {lift} | {auc} |"
        )
    return rows


def _page(icp: ICP, accounts: pl.DataFrame | None, examples: int) -> list[str]:
    """The one page (see :mod:`icpkit.report.onepage`) in Markdown."""
    page = build_onepage(icp, accounts=accounts, examples=examples)
    L = [
        f"# {page.title}",
        "",
        f"_{page.subtitle}_",
        "",
        f"**How sure we are:** {page.how_sure}",
        "",
    ]
    if not page.segments:
        L += [
            "_No segment passed the evidence bar: the data does not single out a group of "
            "winners._",
            "",
        ]
    for i, s in enumerate(page.segments, 1):
        L += [f"## {i}. {s.name} ({s.confidence})", "", f"**Who they are.** {s.who}", ""]
        if s.worth:
            L += ["**Why they are worth it**", ""] + [f"- {w}" for w in s.worth] + [""]
        L += ["**How to recognise one**", ""]
        L += [
            f"- [ ] {c.text}{' (a plus)' if c.optional else ''} ({c.confidence})"
            for c in s.checklist
        ]
        if s.more_criteria:
            L.append(f"- + {s.more_criteria} more in the appendix")
        L.append("")
        if s.pointers:
            L += ["**What to say**", ""] + [f"- {p.text} _({p.source})_" for p in s.pointers]
            L.append("")
        if page.insights.get(s.id):
            L += ["**In their words**", ""] + [f"- {q}" for q in page.insights[s.id]] + [""]
        if s.personas:
            L += ["**Who to talk to**", ""] + [f"- {p}" for p in s.personas] + [""]
        if s.examples:
            L += ["**Examples:** " + " · ".join(s.examples), ""]
    if page.hidden_segments:
        L += ["Also found (see the appendix): " + "; ".join(page.hidden_segments) + ".", ""]
    L += ["## Who not to sell to", ""]
    L += [f"- {d.text} ({d.confidence}): {d.reason}" for d in page.disqualifiers] or [
        "_No trait is concentrated enough among the worst customers to rule an account out._"
    ]
    L += ["", "## When to call", ""]
    L += [f"- {t.text} ({t.confidence}): {t.reason}" for t in page.timing] or [
        "_No dated event in the data marks an account as in market._"
    ]
    L.append("")
    if page.personas:
        L += ["## Who to talk to", ""] + [f"- {p}" for p in page.personas] + [""]
    L += [
        f"_{page.definitions} Confidence: strong = adjusted p < 0.001 with at least 30 best "
        "customers and no caveat; moderate = adjusted p < 0.05; weak = otherwise or set by "
        "hand._",
        "",
    ]
    return L


def render_markdown(
    icp: ICP,
    *,
    accounts: pl.DataFrame | None = None,
    examples: int = 0,
    appendix: bool = True,
) -> str:
    """The one-page document in Markdown, then (with ``appendix``) the evidence appendix.

    Pure function of the ICP file's content (and of ``accounts`` when ``examples`` > 0 asks
    for example accounts by name).
    """
    L = _page(icp, accounts, examples)
    if not appendix:
        return "\n".join(L)
    L += ["---", "", "# Evidence appendix", ""]
    for section in (
        _provenance,
        _segment_evidence,
        _interview_section,
        _timing_and_anti_signals,
        _validation_section,
        _scoring_section,
        _personas_section,
        _notes_and_changelog,
    ):
        L += section(icp)
    return "\n".join(L)


def _provenance(icp: ICP) -> list[str]:
    """Where the ICP came from, its segments in a sentence each, and how best/worst were read.

    A reader of the appendix first needs to know what data every number below is about.
    """
    src = icp.source
    L = [
        f"Fitted {icp.created.isoformat()} on {src.rows:,} accounts"
        + (f" from `{src.file}`" if src and src.file else "")
        + f". Review by **{icp.review_by.isoformat() if icp.review_by else '?'}**."
        if src
        else f"Written {icp.created.isoformat()}.",
        "",
        "## Segments",
        "",
    ]
    if not icp.segments:
        L.append(
            "_No segment passed the evidence bar: the data does not single out a group of "
            "winners. See the notes below._"
        )
    for seg in icp.segments:
        L.append(f"- **{seg.id}** — {segment_sentence(seg)}")
    L.append("")
    if icp.outcomes:
        o = icp.outcomes
        L += [
            "## How best and worst were defined",
            "",
            f"- **Best** ({o.best_count:,} of {o.total:,}): {o.best}",
            f"- **Worst** ({o.worst_count:,} of {o.total:,}): {o.worst}",
            "",
        ]
    return L


def _segment_evidence(icp: ICP) -> list[str]:
    """Per segment: the criteria table with its statistics, what it is worth, what to say."""
    L: list[str] = []
    for seg in icp.segments:
        L += [f"## Segment {seg.id}: {seg.name}", ""]
        L += _table(segment_rows(seg))
        L.append("")
        if seg.value:
            L.append("**What it is worth:** " + "; ".join(_value_line(v) for v in seg.value) + ".")
            L.append("")
        if seg.messaging:
            L.append("**Messaging pointers (drawn from the data, not from interviews):**")
            L += [f"- {m}" for m in seg.messaging]
            L.append("")
    return L


def _interview_section(icp: ICP) -> list[str]:
    """The interview themes per segment with their counts and scrubbed quotes (when analysed)."""
    if icp.insights is None:
        return []
    from icpkit.interviews.words import interview_evidence

    ins = icp.insights
    L = [
        "## What customers said in interviews",
        "",
        f"{ins.linked} of {ins.interviews} interviews linked to {ins.accounts} accounts, "
        f"analysed {ins.analysed.isoformat()} ({ins.method}). Personal data is scrubbed "
        "from every quote.",
        "",
    ]
    for rec in interview_evidence(icp):
        flag = f" — ⚠ {rec.flagged}" if rec.flagged else ""
        L += [f"### {rec.segment}: {rec.interviews} interviews{flag}", ""]
        if rec.caveat:
            L += [f"_⚠ {rec.caveat}_", ""]
        for theme in rec.themes:
            L.append(f"- **{theme.label}** ({theme.question}): {theme.mentions}, {theme.others}")
            L += [f"  > “{q}”" for q in theme.quotes]
        L.append("")
    return L


def _timing_and_anti_signals(icp: ICP) -> list[str]:
    """The timing criteria (when any) and the disqualifiers, as evidence tables."""
    L: list[str] = []
    if icp.scoring.timing:
        L += ["## Timing: signals that an account is in market", ""]
        L += _table([r for r in criteria_rows(icp) if r.role == "timing"], "When")
        L.append("")
    L += ["## Who we do not sell to (anti-signals)", ""]
    if icp.disqualifiers:
        L += _table([r for r in criteria_rows(icp) if r.role == "disqualifier"], "When")
    else:
        L.append("_No trait is concentrated enough among the worst customers to disqualify._")
    L.append("")
    return L


def _validation_section(icp: ICP) -> list[str]:
    """Would the ICP have picked past winners: every validation view next to its baseline."""
    if not icp.validation:
        return []
    L = ["## Would it have picked our winners?", ""]
    L += _metrics_table(icp.validation)
    L.append("")
    L.append(
        "Selected = tiers "
        + " and ".join(icp.validation.get("selected_tiers", ["A", "B"]))
        + ", not disqualified. Precision = share of best customers among those selected; "
        "recall = share of all best customers selected; the baseline selects as many "
        "accounts as the ICP does."
    )
    for n in icp.validation.get("notes", []):
        L.append(f"- {n}")
    L.append("")
    return L


def _scoring_section(icp: ICP) -> list[str]:
    """How the fit score is made: tiers, every criterion's points, and calibration at fit.

    Written out in full so anyone can recompute a score by hand from the appendix.
    """
    t = icp.scoring.tiers
    L = [
        "## Scoring",
        "",
        f"Fit score 0–100 is the modelled share of best customers among accounts like this one; "
        f"a disqualified account scores 0. Tiers: A ≥ {t['A']:g} (strong fit), B ≥ {t['B']:g} "
        f"(good fit), C ≥ {t['C']:g} (average), D below (poor fit, or disqualified).",
        "",
    ]
    if icp.scoring.points:
        L += [
            "Points each criterion adds when met (log-odds; unknown adds nothing), strongest "
            "column first; lines on one column add up (a company funded a year ago meets every "
            "longer window too):",
            "",
            "| Layer | Criterion | When | Points | Best | Worst |",
            "|---|---|---|---|---|---|",
        ]
        for r in points_rows(icp):
            L.append(
                f"| {r.layer} | {r.criterion} | {r.ideal_fit} | {r.points} | {r.best} | {r.worst} |"
            )
        L.append("")
    else:
        L += [
            "_No criterion earned points out of sample: every qualified account gets the base "
            "rate._",
            "",
        ]
    if icp.scoring.calibration:
        L += [
            "| Fit score | Accounts | Predicted best share | Observed best share |",
            "|---|---|---|---|",
        ]
        for band in icp.scoring.calibration:
            L.append(
                f"| {band.score_from:g}–{band.score_to:g} | {band.accounts:,} | "
                f"{band.predicted:.0%} | {band.observed:.0%} |"
            )
        L.append("")
    return L


def _personas_section(icp: ICP) -> list[str]:
    """The buying-committee personas with the deal evidence behind each (roles, never people)."""
    if not icp.personas:
        return []
    L = [
        "## Who to talk to inside a fitting account",
        "",
        "| Persona | Segment | Department | Seniority | Deal role | Example titles | Evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in icp.personas:
        ev = "hand-written"
        if p.evidence is not None:
            ev = f"in {p.evidence.share_of_won:.0%} of won deals"
            if p.evidence.share_of_lost is not None:
                ev += f" vs {p.evidence.share_of_lost:.0%} of lost"
            if p.evidence.caveat:
                ev += f" ⚠ {p.evidence.caveat}"
        cells = [
            p.id,
            p.segment or "all",
            p.department,
            p.seniority,
            p.deal_role or "",
            ", ".join(p.example_titles),
            ev,
        ]
        L.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    L += ["", "_Personas describe roles, never named people._", ""]
    return L


def _notes_and_changelog(icp: ICP) -> list[str]:
    """The file's notes, the next review date and every version's summary of changes."""
    L: list[str] = []
    if icp.notes:
        L += ["## Notes", ""] + [f"- {n}" for n in icp.notes] + [""]
    L += ["## Review and changelog", ""]
    L.append(f"Next review due **{icp.review_by.isoformat() if icp.review_by else '?'}**.")
    L.append("")
    for ch in icp.changelog:
        cohort = f", cohort {ch.cohort}" if ch.cohort else ""
        L.append(f"- v{ch.version} ({ch.date.isoformat()}{cohort}): {ch.summary}")
        L += [f"  - {c}" for c in ch.changes]
    if icp.changelog:
        L.append("")
    return L


__all__ = ["format_p", "render_markdown", "segment_sentence"]
