"""Whom to interview, per segment, and the guide to take into the calls (``icp interviews plan``).

Interviews explain the numbers only if they are with the right accounts. Per segment the plan
picks:

* **representative best-fit customers**: accounts in the segment, in a fit tier, not
  disqualified and, when the data says so, customers that won — the ones *typical* of the
  segment on its own criteria, read from the accounts as ``icp score`` reads them (raw headers,
  "$10M", "1,200", categories in any case): closest to the segment's median on its numeric and
  date criteria and on fit score, sharing its usual category values and stack; not outliers;
* **contrasting accounts**: lost or churned accounts of the segment, else fitting accounts that
  did not buy, so that "what our best customers say" can be told apart from "what everyone
  says";
* **the right people**: with a contacts file, the best-ranked contact of each account (persona
  match, seniority, reachability; see :func:`icpkit.people.personas.rank_contacts`), described by role
  only; without one, the segment's personas, else the buyer and a daily user.

The guide's core questions are the method's three (challenges before, the aha moment, results
since), then alternatives considered, the trigger to buy now, objections and who else was
involved. The CSV template has one row per planned interview; its headers are ones
``icp interviews analyze`` reads back (``account_id``, ``segment``, answer columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from icpkit.errors import InputError
from icpkit.icp import ICP, Segment

GUIDE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "challenges",
        "What challenges were you facing before you found us?",
        ("What were you using then, and where did it break?", "What did it cost you?"),
    ),
    (
        "aha",
        "What was your aha moment with the product?",
        ("When was it, and what were you doing?", "Who else saw it?"),
    ),
    (
        "results",
        "What results have you seen since?",
        ("What would you measure it in: hours, revenue, headcount?", "What surprised you?"),
    ),
    (
        "alternatives",
        "What alternatives did you consider, including doing nothing?",
        ("Why not them?",),
    ),
    ("trigger", "Why now: what triggered the purchase?", ("What happened that month?",)),
    ("objections", "What concerns or objections almost stopped you?", ("Who raised them?",)),
    ("involved", "Who else was involved in the decision?", ("Who signed? Who uses it daily?",)),
)
"""(question key, question, follow-ups) in interview order."""

PLAN_COLUMNS: tuple[str, ...] = (
    "account_id",
    "account_name",
    "segment",
    "kind",
    "role",
    "why",
    "interview_date",
    *(q for q, _, _ in GUIDE),
)


@dataclass
class InterviewPlan:
    """One row per planned interview, the Markdown guide, and what could not be planned.

    ``notes`` say how the accounts were read where it was not plain (a number convention the
    scoring engine guessed), as ``icp score`` reports them: part of the result, not a stray
    Python warning.
    """

    rows: pl.DataFrame
    markdown: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _prepared(frame: pl.DataFrame, icp: ICP) -> tuple[pl.DataFrame, dict[tuple[str, str], str]]:
    """``frame`` plus every criterion column read as ``icp score`` reads it.

    Raw CRM exports say "Number of Employees" = "1,200", "Annual Revenue" = "$10M" and
    "Industry" = " Software"; the scoring engine's preparation (header resolution, number
    conventions, category normalisation) turns them into the values the criteria test, so
    typicality is measured on the same values the segment was defined on. Returns the frame and
    the (criterion column, kind) → prepared column map.
    """
    from icpkit.scoring.engine import prepare_columns
    from icpkit.scoring.plan import bind_reference_dates, build_plan

    plan = build_plan(bind_reference_dates(icp, frame.columns))
    lf, names, _ = prepare_columns(
        frame.lazy(), plan, missing="unknown", check_unique=True, in_memory=True
    )
    columns: dict[tuple[str, str], str] = {(c, str(k)): v for (c, k), v in names.items()}
    return lf.collect(), columns


def _criteria(seg: Segment) -> list[tuple[str, str]]:
    """(column, kind) of the segment's criteria, musts first, each once."""
    from icpkit.scoring.plan import kind_of

    return list(dict.fromkeys((c.column, kind_of(c)) for c in (*seg.must, *seg.nice)))


def _typicality(
    pool: pl.DataFrame, criteria: Sequence[tuple[str, str]], names: dict[tuple[str, str], str]
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """``pool`` with ``_distance``: how far each account is from the segment's typical member.

    Numbers and dates add their distance to the pool's median in IQR units (the standard
    deviation when the IQR is 0); categories and booleans add one minus the share of the pool
    with the same value; lists add one minus the mean share of the pool having each of the
    account's items. An unknown value counts 1. Lower is more typical. Also returns the numeric
    and the categorical columns used, for the plan's "why".
    """
    parts: list[pl.Expr] = []
    nums: list[str] = []
    cats: list[str] = []
    n = max(pool.height, 1)
    out = pool.with_row_index("_r")
    for col, kind in criteria:
        src = names.get((col, kind))
        if src is None or src not in pool.columns or pool[src].null_count() == pool.height:
            continue
        if kind in ("number", "date"):
            x = pl.col(src).cast(pl.Int64 if kind == "date" else pl.Float64).cast(pl.Float64)
            iqr = (x.quantile(0.75) - x.quantile(0.25)).fill_null(0.0)
            scale = pl.when(iqr > 0).then(iqr).otherwise(x.std().fill_null(1.0) + 1e-9)
            parts.append(((x - x.median()).abs() / scale).fill_null(1.0))
            nums.append(col)
        elif kind in ("category", "bool"):
            share = pl.len().over(src) / n
            parts.append(pl.when(pl.col(src).is_null()).then(1.0).otherwise(1.0 - share))
            cats.append(col)
        else:  # list: a typical stack shares items with most of the pool
            items = (
                out.select("_r", pl.col(src).list.unique().alias("_item"))
                .explode("_item")
                .drop_nulls("_item")
            )
            shares = items.group_by("_item").agg((pl.len() / n).alias("_share"))
            mean = (
                items.join(shares, on="_item")
                .group_by("_r")
                .agg(pl.col("_share").mean().alias(f"_share{len(parts)}"))
            )
            out = out.join(mean, on="_r", how="left", maintain_order="left")
            parts.append(1.0 - pl.col(f"_share{len(parts)}").fill_null(0.0))
            cats.append(col)
    if "fit_score" in pool.columns:
        x = pl.col("fit_score").cast(pl.Float64)
        iqr = (x.quantile(0.75) - x.quantile(0.25)).fill_null(0.0)
        scale = pl.when(iqr > 0).then(iqr).otherwise(x.std().fill_null(1.0) + 1e-9)
        parts.append(((x - x.median()).abs() / scale).fill_null(1.0))
        nums.append("fit_score")
    distance = pl.sum_horizontal(parts) if parts else pl.lit(0.0)
    return out.with_columns(distance.alias("_distance")), nums, cats


def _keys(frame: pl.DataFrame, icp: ICP) -> pl.DataFrame:
    from icpkit.outcomes import won_lost
    from icpkit.scoring.engine import resolve_columns

    flags = ("won", "status", "lifecycle_stage", "deal_stage", "stage", "customer_status")
    want = [icp.columns.get("id", "id"), icp.columns.get("name", "name"), *flags]
    found = resolve_columns(frame.columns, [*want, "churned"])
    null = pl.lit(None, dtype=pl.String)
    outcome = pl.lit(None, dtype=pl.Boolean)
    for col in flags:
        if col in found:
            outcome = pl.coalesce(outcome, won_lost(pl.col(found[col])))
    if "churned" in found:
        churn = won_lost(pl.col(found["churned"]))
        outcome = pl.when(churn.fill_null(False)).then(False).otherwise(outcome)
    id_col, name_col = found.get(want[0]), found.get(want[1])
    return frame.with_columns(
        (pl.col(id_col).cast(pl.String) if id_col else null).alias("_account_id"),
        (pl.col(name_col).cast(pl.String) if name_col else null).alias("_account_name"),
        outcome.alias("_won"),
    )


def _roles(icp: ICP, segment: str) -> list[str]:
    chosen = [p for p in icp.personas if p.segment in (segment, None)]
    roles = [
        f"{p.deal_role or 'involved'}: {p.seniority} · {p.department}"
        for p in chosen
        if p.department
    ]
    return roles or ["the person who led the purchase", "a daily user"]


def plan_interviews(
    icp: ICP,
    accounts: pl.DataFrame,
    contacts: pl.DataFrame | None = None,
    *,
    per_segment: int = 5,
    contrasts: int = 2,
    tiers: Sequence[str] = ("A", "B"),
) -> InterviewPlan:
    """Choose accounts and roles per segment and write the guide; see the module docstring."""
    from icpkit.scoring.result import reading_notes

    with reading_notes() as notes:
        plan = _plan(
            icp, accounts, contacts, per_segment=per_segment, contrasts=contrasts, tiers=tiers
        )
    plan.notes = list(notes)
    return plan


_INTRO = (
    "Talk to the key people at typical best-fit customers (and a few contrasting accounts) to "
    "learn *why* they buy. Take notes under the question headings below, one file per "
    "interview starting with `Account: <id>`, then run "
    "`icp interviews analyze notes/ --icp icp.yaml --accounts <accounts> --write`."
)
_PRIVACY = (
    "Privacy: keep notes on your own machine. `icp interviews analyze` scrubs names, emails "
    "and phone numbers before anything is counted or quoted."
)


def _plan(
    icp: ICP,
    accounts: pl.DataFrame,
    contacts: pl.DataFrame | None,
    *,
    per_segment: int,
    contrasts: int,
    tiers: Sequence[str],
) -> InterviewPlan:
    from icpkit.scoring import score

    if not icp.segments:
        raise InputError("the ICP has no segments to plan interviews for")
    scored = accounts
    if not {"segment", "tier", "disqualified"} <= set(accounts.columns):
        scored = score(accounts, icp, missing="unknown")
    frame, prepared = _prepared(_keys(scored, icp), icp)
    if frame["_account_id"].null_count() == frame.height:
        raise InputError("the accounts have no id column; the plan needs one per interview")
    warnings: list[str] = []
    people = _first_contacts(contacts, scored, icp) if contacts is not None else None
    has_outcome = frame["_won"].null_count() < frame.height
    fit = pl.col("tier").is_in(list(tiers)) & ~pl.col("disqualified").fill_null(False)
    rows: list[pl.DataFrame] = []
    md: list[str] = [f"# Interview plan: {icp.name}", "", _INTRO, ""]
    for seg in icp.segments:
        in_seg = frame.filter(pl.col("segment") == seg.id)
        reps, why_rep = _representatives(
            in_seg, seg, prepared, fit, has_outcome, tiers, per_segment, warnings
        )
        contrast, contrast_kind = _contrasts(in_seg, seg, fit, has_outcome, contrasts, warnings)
        if reps.height == 0:
            warnings.append(f"{seg.id}: no fitting customer to interview")
        roles = _roles(icp, seg.id)
        part = pl.concat(
            [
                reps.select(
                    "_account_id",
                    "_account_name",
                    pl.lit("representative").alias("kind"),
                    pl.lit(why_rep).alias("why"),
                ),
                contrast.select(
                    "_account_id",
                    "_account_name",
                    pl.lit("contrast").alias("kind"),
                    pl.lit(contrast_kind).alias("why"),
                ),
            ]
        ).with_columns(pl.lit(seg.id).alias("segment"), pl.lit(roles[0]).alias("role"))
        if people is not None:
            part = part.join(people, on="_account_id", how="left", maintain_order="left")
            part = part.with_columns(
                pl.coalesce(pl.col("_contact_role").replace("", None), pl.col("role")).alias("role")
            ).drop("_contact_role")
        rows.append(part)
        md += _segment_guide(seg, part)
    plan = pl.concat(rows) if rows else pl.DataFrame()
    plan = plan.select(
        pl.col("_account_id").alias("account_id"),
        pl.col("_account_name").alias("account_name"),
        "segment",
        "kind",
        "role",
        "why",
        *[pl.lit("").alias(c) for c in PLAN_COLUMNS[6:]],
    )
    md += ["---", _PRIVACY, ""]
    return InterviewPlan(plan, "\n".join(md), warnings)


def _first_contacts(contacts: pl.DataFrame, scored: pl.DataFrame, icp: ICP) -> pl.DataFrame:
    """Per account, who to ask for: the top-ranked contact's persona and title."""
    from icpkit.people.personas import rank_contacts

    ranked = rank_contacts(contacts, scored, icp)
    return ranked.filter(pl.col("contact_rank") == 1).select(
        pl.col("account_key_id").alias("_account_id"),
        pl.concat_str(
            [
                pl.col("persona").fill_null(""),
                pl.col("title").fill_null(pl.col("seniority")).fill_null(""),
            ],
            separator=": ",
        )
        .str.strip_chars(": ")
        .alias("_contact_role"),
    )


def _representatives(
    in_seg: pl.DataFrame,
    seg: Segment,
    prepared: dict[tuple[str, str], str],
    fit: pl.Expr,
    has_outcome: bool,
    tiers: Sequence[str],
    per_segment: int,
    warnings: list[str],
) -> tuple[pl.DataFrame, str]:
    """The segment's most typical fitting customers, and the "why" that says typical on what.

    Customers in ``tiers`` first; when none is, the segment's customers of any tier (warned).
    """
    customers = (in_seg.filter(pl.col("_won").fill_null(False)) if has_outcome else in_seg).filter(
        ~pl.col("disqualified").fill_null(False)
    )
    pool = customers.filter(fit)
    if pool.height == 0 and customers.height > 0:
        warnings.append(
            f"{seg.id}: no customer in tiers {', '.join(tiers)}; representatives are the "
            "segment's most typical customers of any tier"
        )
        pool = customers
    typical, nums, cats = _typicality(pool, _criteria(seg), prepared)
    reps = typical.sort(["_distance", "_account_id"], nulls_last=True).head(per_segment)
    on = [f"closest to the segment median on {', '.join(nums)}"] if nums else []
    on += [f"the segment's usual {', '.join(cats)}"] if cats else []
    return reps, "typical best-fit customer" + (f" ({'; '.join(on)})" if on else "")


def _contrasts(
    in_seg: pl.DataFrame,
    seg: Segment,
    fit: pl.Expr,
    has_outcome: bool,
    contrasts: int,
    warnings: list[str],
) -> tuple[pl.DataFrame, str]:
    """Accounts to contrast with: lost or churned ones, else fitting ones that did not buy.

    Without any won/lost column there is nothing to contrast with (warned).
    """
    lost = in_seg.filter(pl.col("_won") == False)  # noqa: E712  (null is unknown)
    contrast_kind = "contrast: lost or churned"
    if lost.height == 0 and has_outcome:
        lost = in_seg.filter(fit & pl.col("_won").is_null())
        contrast_kind = "contrast: fits, did not buy"
    if not has_outcome:
        warnings.append(
            f"{seg.id}: no won/lost or status column, so customers and contrasting accounts "
            "cannot be told apart; representatives are the most typical fitting accounts"
        )
        lost = lost.clear()
    return lost.sort("_account_id").head(contrasts), contrast_kind


def _segment_guide(seg: Segment, part: pl.DataFrame) -> list[str]:
    """The segment's section of the guide: who to talk to and why, then the questions."""
    md = [f"## {seg.id}: {seg.name}", ""]
    if seg.summary:
        md += [seg.summary, ""]
    md += ["| account | kind | talk to | why |", "|---|---|---|---|"]
    for r in part.iter_rows(named=True):
        name = r["_account_name"] or ""
        md.append(
            f"| {r['_account_id']} {name} | {r['kind']} | {r['role']} | {r['why']} |".replace(
                "  ", " "
            )
        )
    if part.height == 0:
        md.append("| – | – | – | no account to interview |")
    md += ["", "### Guide", ""]
    for k, (_, question, follow) in enumerate(GUIDE, start=1):
        md.append(f"{k}. **{question}**")
        md += [f"   - {f}" for f in follow]
    traits = ", ".join(c.label or c.column for c in seg.must[:3])
    md += [
        "",
        f"Listen for what the data cannot say: why accounts like these ({traits}) buy, in "
        "their own words. Ask for examples and numbers; do not pitch.",
        "",
    ]
    return md


__all__ = ["GUIDE", "PLAN_COLUMNS", "InterviewPlan", "plan_interviews"]
