"""Personas: which people inside fitting accounts took part in won deals, and whom to reach first.

The ICP decides which companies; personas decide which people inside them. They are learned from
the deals of accounts that fit the ICP (not disqualified, in a fit tier): for every segment, and
for the fitting accounts outside every segment (personas "for all"), which departments and
seniorities were involved, who championed and who signed, compared between won and lost deals
exactly like a criterion compares best and worst customers. The result is a handful of :class:`~icpkit.icp.Persona` entries, written into the ICP
file's separate people-level ``personas`` section.

Personas describe roles, never persons: no names or emails enter the ICP; example titles are
normalised titles shared by at least :data:`MIN_TITLE_PEOPLE` people.

Evidence per persona (see :class:`~icpkit.icp.PersonaEvidence`): ``share_of_won`` is the share of
the segment's won deals in which someone with that department and seniority held the role;
``share_of_lost`` the same among lost deals; ``lift`` is ``share_of_won`` over the share among all
the segment's deals (as for criteria); ``p_value`` is Fisher's exact test on won/lost × involved.

Contact ranking (:func:`rank_contacts`) orders people within each scored account by how well they
match the account's segment personas, their seniority and whether they can be reached, and says
why in a ``reasons`` column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from icpkit.columns.names import snake_case
from icpkit.columns.parsing import FALSE_WORDS, NULL_TOKENS, TRUE_WORDS
from icpkit.evidence import SMALL_CELL, SMALL_GROUP, fisher_two_sided
from icpkit.icp import ICP, Persona, PersonaEvidence
from icpkit.outcomes import won_lost
from icpkit.people.compliance import normalize_country
from icpkit.people.titles import SENIORITY_RANK, add_title_columns

DEAL_ROLES: tuple[str, ...] = ("champion", "decision maker", "influencer", "user", "blocker")
"""Canonical deal roles; spellings are mapped by :data:`DEAL_ROLE_ALIASES`."""

DEAL_ROLE_ALIASES: dict[str, str] = {
    "champion": "champion",
    "internal champion": "champion",
    "sponsor": "champion",
    "coach": "champion",
    "decision maker": "decision maker",
    "decisionmaker": "decision maker",
    "economic buyer": "decision maker",
    "economic decision maker": "decision maker",
    "signer": "decision maker",
    "signatory": "decision maker",
    "budget holder": "decision maker",
    "approver": "decision maker",
    "executive sponsor": "decision maker",
    "influencer": "influencer",
    "evaluator": "influencer",
    "technical evaluator": "influencer",
    "technical buyer": "influencer",
    "technical decision maker": "influencer",
    "user": "user",
    "end user": "user",
    "business user": "user",
    "blocker": "blocker",
    "detractor": "blocker",
    "gatekeeper": "blocker",
}
"""Deal-role spellings (lower-case, single spaces) → canonical role. "Who signed" is
``decision maker`` (economic buyers and signers included)."""

MIN_TITLE_PEOPLE = 3
"""An example title must be shared by at least this many people (keeps titles generic)."""

# Contacts headers (snake_case) → canonical column; the first present wins per canonical column.
CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_id": ("contact_id", "record_id", "id", "lead_id", "person_id", "contact_record_id"),
    "first_name": ("first_name", "firstname", "given_name", "vorname", "prenom"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "nachname", "nom"),
    "name": ("name", "full_name", "contact_name"),
    "email": ("email", "email_address", "e_mail", "work_email", "business_email", "mail"),
    "title": ("job_title", "title", "jobtitle", "position", "job_position", "role_title"),
    "department_given": ("department", "job_function", "function", "abteilung"),
    "seniority_given": ("seniority", "management_level", "job_level", "level"),
    "country": ("country", "country_region", "contact_country", "location_country", "land"),
    "account_id": (
        "company_id",
        "account_id",
        "associated_company_id",
        "company_record_id",
        "account_record_id",
        "customer_id",
        "organization_id",
        "org_id",
    ),
    "account_domain": (
        "company_domain",
        "company_domain_name",
        "account_domain",
        "domain",
        "website",
        "company_website",
    ),
    "deal_id": ("deal_id", "opportunity_id", "deal_record_id", "opportunity"),
    "deal_outcome": (
        "deal_stage",
        "deal_outcome",
        "opportunity_stage",
        "stage",
        "is_won",
        "won",
        "outcome",
    ),
    "deal_role": (
        "deal_role",
        "contact_role",
        "opportunity_contact_role",
        "buying_role",
        "role_in_deal",
        "buyer_role",
        "role",
    ),
    "opted_out": (
        "unsubscribed",
        "opted_out",
        "opt_out",
        "email_opt_out",
        "do_not_email",
        "has_opted_out_of_email",
        "hasoptedoutofemail",
        "unsubscribed_from_all_email",
        "marketing_opt_out",
    ),
    "consent": ("consent", "email_consent", "opt_in", "marketing_consent", "casl_consent"),
}

_EMAIL = r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$"
_FREEMAIL = (
    r"^(gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|icloud|me|mac|aol|gmx|web"
    r"|protonmail|proton|mail|yandex|orange|free|t-online|qq|163|126|zoho|laposte|libero"
    r"|wanadoo)\.[a-z.]+$"
)
_OPTED_OUT = (*TRUE_WORDS, "opted out", "unsubscribed")

#: Consent values that record consent, and values that record its absence. A consent column is
#: not an opt-out column: "opted out" there means *no* consent (it was read as consent, which
#: let a CASL contact who had opted out through), and CRMs write "express" / "implied" (CASL's
#: two kinds), not "yes" (they were read as no consent). Anything else counts as no consent on
#: record, with a warning.
_CONSENT_YES = (
    *TRUE_WORDS,
    "express",
    "express consent",
    "implied",
    "implied consent",
    "opted in",
    "opt in",
    "double opt in",
    "subscribed",
    "granted",
    "given",
    "consented",
)
_CONSENT_NO = (
    *FALSE_WORDS,
    "none",
    "no consent",
    "opted out",
    "opt out",
    "unsubscribed",
    "withdrawn",
    "revoked",
    "denied",
    "declined",
)


@dataclass
class Contacts:
    """Contacts with canonical columns (see :func:`prepare_contacts`)."""

    frame: pl.DataFrame
    found: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def _text(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.String).str.strip_chars()
    low = s.str.to_lowercase()
    return pl.when(low.is_in(NULL_TOKENS)).then(None).otherwise(s)


def _lower(expr: pl.Expr) -> pl.Expr:
    return _text(expr).str.to_lowercase().str.replace_all(r"[\s_-]+", " ")


def normalize_deal_role(expr: pl.Expr) -> pl.Expr:
    """Deal-role spellings to :data:`DEAL_ROLES`; unrecognised non-blank values become ``other``."""
    s = _lower(expr)
    return (
        pl.when(s.is_null())
        .then(None)
        .otherwise(
            s.replace_strict(
                list(DEAL_ROLE_ALIASES),
                list(DEAL_ROLE_ALIASES.values()),
                default="other",
                return_dtype=pl.String,
            )
        )
    )


def _outcome(expr: pl.Expr) -> pl.Expr:
    won = won_lost(_text(expr))
    return pl.when(won).then(pl.lit("won")).when(~won).then(pl.lit("lost"))


def _bool(expr: pl.Expr) -> pl.Expr:
    s = _lower(expr.cast(pl.String))
    return pl.when(s.is_null()).then(None).otherwise(s.is_in(_OPTED_OUT))


def _consent(expr: pl.Expr) -> pl.Expr:
    """Recorded consent: True, False, or null when blank or not understood."""
    s = _lower(expr.cast(pl.String))
    return pl.when(s.is_in(_CONSENT_YES)).then(True).when(s.is_in(_CONSENT_NO)).then(False)


def prepare_contacts(df: pl.DataFrame, *, file: str | Path | None = None) -> Contacts:
    """Canonical contact columns: ``row`` (1-based), ids, email checks, title → department and
    seniority, country → ISO code, account keys, deal id/outcome/role, opt-out and consent.

    Columns the file lacks are added as nulls, so downstream code never branches on presence.
    Already-prepared frames (with a ``row`` column and canonical names) pass through unchanged.
    """
    if {"row", "email_valid", "country_code", "department"} <= set(df.columns):
        return Contacts(df, {c: c for c in df.columns})
    by_snake: dict[str, str] = {}
    for h in df.columns:
        by_snake.setdefault(snake_case(h), h)
    found: dict[str, str] = {}
    for canon, candidates in CONTACT_COLUMNS.items():
        for cand in candidates:
            src = by_snake.get(cand)
            if src is not None and src not in found.values():
                found[canon] = src
                break

    def col(canon: str) -> pl.Expr:
        src = found.get(canon)
        return pl.col(src) if src is not None else pl.lit(None, dtype=pl.String)

    email = _text(col("email")).str.to_lowercase().str.replace_all(r"\s+", "")
    out = df.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"),
        _text(col("contact_id")).alias("contact_id"),
        _text(col("first_name")).alias("first_name"),
        _text(col("last_name")).alias("last_name"),
        _text(col("name")).alias("name"),
        email.alias("email"),
        _text(col("title")).alias("title"),
        _text(col("department_given")).alias("department_given"),
        _text(col("seniority_given")).alias("seniority_given"),
        _text(col("country")).alias("country"),
        _text(col("account_id")).alias("account_id"),
        _domain(col("account_domain")).alias("account_domain"),
        _text(col("deal_id")).alias("deal_id"),
        _outcome(col("deal_outcome")).alias("deal_outcome"),
        normalize_deal_role(col("deal_role")).alias("deal_role"),
        _bool(col("opted_out")).fill_null(False).alias("opted_out"),
        _consent(col("consent")).alias("consent"),
    )
    out = out.with_columns(
        pl.col("email").str.contains(_EMAIL).fill_null(False).alias("email_valid"),
        normalize_country(pl.col("country")).alias("country_code"),
    ).with_columns(
        pl.when(pl.col("email_valid"))
        .then(pl.col("email").str.extract(r"@(.+)$", 1))
        .alias("email_domain"),
    )
    out = add_title_columns(
        out, "title", department="department_given", seniority="seniority_given"
    ).drop("department_given", "seniority_given")
    warnings = []
    where = f"{file}: " if file else ""
    if "title" not in found:
        warnings.append(f"{where}no job title column; departments and seniorities are unknown")
    if "email" not in found:
        warnings.append(f"{where}no email column; contacts cannot be reached by email")
    if "consent" in found:
        given = _lower(pl.col(found["consent"]).cast(pl.String))
        odd = (
            df.select(given.alias("v"))
            .filter(pl.col("v").is_not_null() & ~pl.col("v").is_in([*_CONSENT_YES, *_CONSENT_NO]))
            .get_column("v")
        )
        if odd.len():
            shown = ", ".join(repr(v) for v in odd.unique(maintain_order=True).head(3).to_list())
            warnings.append(
                f"{where}column {found['consent']!r}: {odd.len():,} value(s) not understood as "
                f"consent or its absence ({shown}); counted as no consent on record"
            )
    return Contacts(out, found, warnings)


def _domain(expr: pl.Expr) -> pl.Expr:
    from icpkit.columns.parsing import normalize_domain

    return normalize_domain(expr.cast(pl.String))


# -- accounts ---------------------------------------------------------------------------------


def _account_frame(accounts: pl.DataFrame, icp: ICP) -> pl.DataFrame:
    """Key and fit columns of accounts: scored ones are used as they are, others are scored."""
    from icpkit.columns.names import resolve_columns
    from icpkit.scoring import score

    scored = accounts
    if not {"tier", "segment", "disqualified"} <= set(accounts.columns):
        scored = score(accounts, icp, missing="unknown")
    id_want = icp.columns.get("id", "id")
    dom_want = icp.columns.get("domain", "domain")
    found = resolve_columns(scored.columns, [id_want, dom_want, "website", "name", "won"])
    id_col = found.get(id_want)
    dom_col = found.get(dom_want) or found.get("website")
    name_col = found.get("name")
    null = pl.lit(None, dtype=pl.String)
    return scored.select(
        (_text(pl.col(id_col)) if id_col else null).alias("account_key_id"),
        (_domain(pl.col(dom_col)) if dom_col else null).alias("account_key_domain"),
        (_text(pl.col(name_col)) if name_col else null).alias("account_name"),
        pl.col("tier"),
        pl.col("segment").cast(pl.String),
        pl.col("disqualified"),
        (pl.col("fit_score") if "fit_score" in scored.columns else pl.lit(None)).alias("fit_score"),
        (pl.col("priority") if "priority" in scored.columns else pl.lit(None)).alias("priority"),
        (pl.col("rank") if "rank" in scored.columns else pl.lit(None)).alias("account_rank"),
        (_outcome(pl.col(found["won"])) if "won" in found else null).alias("account_outcome"),
    ).with_row_index("account_row")


def link_contacts(contacts: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Attach ``account_row`` (and the account's fit columns) to each prepared contact.

    Matching order: the contact's account id, then its company domain, then the domain of a
    valid work email (personal mailboxes such as gmail.com never match). ``link`` says which key
    matched (``id``, ``domain``, ``email domain``) or is null when none did. Duplicate account
    keys link to the first account with that key.
    """
    ids = (
        accounts.filter(pl.col("account_key_id").is_not_null())
        .unique("account_key_id", keep="first", maintain_order=True)
        .select(pl.col("account_key_id").alias("_k"), pl.col("account_row").alias("_by_id"))
    )
    doms = (
        accounts.filter(pl.col("account_key_domain").is_not_null())
        .unique("account_key_domain", keep="first", maintain_order=True)
        .select(pl.col("account_key_domain").alias("_k"), pl.col("account_row").alias("_by_dom"))
    )
    work = pl.when(~pl.col("email_domain").str.contains(_FREEMAIL)).then(pl.col("email_domain"))
    c = contacts.with_columns(work.alias("_work"))
    c = c.join(ids, left_on="account_id", right_on="_k", how="left", maintain_order="left")
    c = c.join(doms, left_on="account_domain", right_on="_k", how="left", maintain_order="left")
    doms2 = doms.rename({"_by_dom": "_by_mail"})
    c = c.join(doms2, left_on="_work", right_on="_k", how="left", maintain_order="left")
    c = c.with_columns(
        pl.coalesce("_by_id", "_by_dom", "_by_mail").alias("account_row"),
        pl.when(pl.col("_by_id").is_not_null())
        .then(pl.lit("id"))
        .when(pl.col("_by_dom").is_not_null())
        .then(pl.lit("domain"))
        .when(pl.col("_by_mail").is_not_null())
        .then(pl.lit("email domain"))
        .alias("link"),
        (
            pl.col("account_id").is_not_null()
            | pl.col("account_domain").is_not_null()
            | pl.col("_work").is_not_null()
        ).alias("has_account_key"),
    ).drop("_by_id", "_by_dom", "_by_mail", "_work")
    return c.join(accounts, on="account_row", how="left", maintain_order="left")


# -- persona discovery ------------------------------------------------------------------------


@dataclass
class PersonaDiscovery:
    """Personas with the full involvement table they were chosen from and what was noticed."""

    personas: list[Persona]
    table: pl.DataFrame
    deals: dict[str, dict[str, int]]
    warnings: list[str] = field(default_factory=list)


def _slug(*parts: str | None) -> str:
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def analyze_personas(
    contacts: pl.DataFrame,
    accounts: pl.DataFrame,
    icp: ICP,
    *,
    tiers: Sequence[str] = ("A", "B"),
    min_share: float = 0.2,
    max_personas: int = 3,
    alpha: float = 0.05,
    file: str | Path | None = None,
) -> PersonaDiscovery:
    """Find each segment's personas from won (and lost) deals in fitting accounts.

    A deal is a contact's ``deal_id`` (or, without one, its account); its outcome comes from the
    contact's deal stage, else the account's won flag, else every deal counts as won (a customer
    file) and the lost comparison is left out with a caveat. Fitting accounts are not
    disqualified and are in ``tiers``; those in no segment form the group "all". Per segment up to ``max_personas`` are chosen: the most
    common champion, the most common decision maker (who signed), then the involved department
    and seniority with the highest lift that is significantly more common in won deals than in
    lost ones (p < ``alpha``). Each needs ``share_of_won >= min_share``.
    """
    prepared = prepare_contacts(contacts, file=file)
    warnings = list(prepared.warnings)
    linked = link_contacts(prepared.frame, _account_frame(accounts, icp))
    unlinked = int(linked["account_row"].is_null().sum())
    rows = _fitting_contacts(linked, icp, tiers)
    if unlinked:
        warnings.append(f"{unlinked:,} contact(s) match no account and were left out")
    rows, has_outcome = _with_deal_outcome(rows)
    if not has_outcome:
        warnings.append(
            "no deal stage or won flag found: every deal counts as won, so personas are not "
            "compared with lost deals"
        )
    deal_outcome, totals = _deal_results(rows)
    people = rows.join(deal_outcome, on=["group", "deal"], how="inner").filter(
        pl.col("department").is_not_null()
    )
    # Every person counts as "involved", and once more under their deal role when known.
    any_role = people.with_columns(pl.lit("involved").alias("deal_role"))
    with_role = people.filter(pl.col("deal_role").is_not_null())
    keyed = pl.concat([any_role, with_role], how="vertical_relaxed")
    table = _involvement_table(keyed, totals)

    titles = _example_titles(keyed)
    personas: list[Persona] = []
    deals: dict[str, dict[str, int]] = {}
    for row in totals.iter_rows(named=True):  # one iteration per segment
        group = row["group"]
        deals[group] = {"won": row["won_total"], "lost": row["lost_total"]}
        sub = table.filter(pl.col("group") == group)
        personas.extend(
            _choose(sub, group, titles, min_share=min_share, limit=max_personas, alpha=alpha)
        )
        if row["won_total"] == 0:
            warnings.append(f"segment {group}: no won deals among fitting accounts")
    return PersonaDiscovery(personas, table, deals, warnings)


def _fitting_contacts(linked: pl.DataFrame, icp: ICP, tiers: Sequence[str]) -> pl.DataFrame:
    """Linked contacts of fitting accounts, each with its deal key and segment group.

    A contact without a deal id stands for its account's deal. Fitting accounts outside every
    segment (or all of them, when the ICP has no segments) form the group "all": the points
    table puts accounts in tiers A and B without a segment (on the Crunchbase export 144 of
    253), and leaving them out learned personas from a minority of the fitting accounts.
    """
    fit = ~pl.col("disqualified").fill_null(False) & pl.col("tier").is_in(list(tiers))
    return linked.filter(pl.col("account_row").is_not_null() & fit).with_columns(
        pl.coalesce(
            pl.col("deal_id"), pl.format("account:{}", pl.col("account_row").cast(pl.String))
        ).alias("deal"),
        pl.col("segment").fill_null("all").alias("group"),
    )


def _with_deal_outcome(rows: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """Each contact's deal outcome: its stage, else the account's won flag, else "won".

    The flag says whether any outcome was found; without one the file is a customer list and
    there are no lost deals to compare with.
    """
    has_outcome = rows["deal_outcome"].is_not_null().any() or (
        rows["account_outcome"].is_not_null().any()
    )
    return rows.with_columns(
        pl.coalesce("deal_outcome", "account_outcome").alias("outcome")
        if has_outcome
        else pl.lit("won").alias("outcome")
    ), bool(has_outcome)


def _deal_results(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One result per deal (won if any of its contacts says won) and won/lost totals per group."""
    deal_outcome = (
        rows.filter(pl.col("outcome").is_not_null())
        .group_by("group", "deal")
        .agg(
            pl.when((pl.col("outcome") == "won").any())
            .then(pl.lit("won"))
            .otherwise(pl.lit("lost"))
            .alias("result")
        )
    )
    totals = (
        deal_outcome.group_by("group")
        .agg(
            (pl.col("result") == "won").sum().alias("won_total"),
            (pl.col("result") == "lost").sum().alias("lost_total"),
        )
        .sort("group")
    )
    return deal_outcome, totals


def _involvement_table(keyed: pl.DataFrame, totals: pl.DataFrame) -> pl.DataFrame:
    """Per group × department × seniority × role: won and lost deals involved, shares, lift and
    Fisher's p, most-involved first (the table personas are chosen from)."""
    keys = ["group", "department", "seniority", "deal_role"]
    counts = (
        keyed.group_by(keys)
        .agg(
            pl.col("deal").filter(pl.col("result") == "won").n_unique().alias("won_involved"),
            pl.col("deal").filter(pl.col("result") == "lost").n_unique().alias("lost_involved"),
        )
        .join(totals, on="group", how="left")
    )
    a = counts["won_involved"].to_numpy()
    won_t = counts["won_total"].to_numpy()
    c = counts["lost_involved"].to_numpy()
    lost_t = counts["lost_total"].to_numpy()
    p = fisher_two_sided(a, won_t - a, c, lost_t - c)
    table = counts.with_columns(
        pl.Series("p_value", p),
        (pl.col("won_involved") / pl.col("won_total")).alias("share_of_won"),
        pl.when(pl.col("lost_total") > 0)
        .then(pl.col("lost_involved") / pl.col("lost_total"))
        .alias("share_of_lost"),
    ).with_columns(
        pl.when(pl.col("lost_total") > 0)
        .then(
            pl.col("share_of_won")
            / (
                (pl.col("won_involved") + pl.col("lost_involved"))
                / (pl.col("won_total") + pl.col("lost_total"))
            )
        )
        .alias("lift"),
        pl.col("seniority")
        .replace_strict(SENIORITY_RANK, default=0, return_dtype=pl.Int64)
        .alias("_sen_rank"),
    )
    return table.sort(
        ["group", "deal_role", "won_involved", "_sen_rank", "department"],
        descending=[False, False, True, True, False],
    ).drop("_sen_rank")


def _example_titles(keyed: pl.DataFrame) -> pl.DataFrame:
    """Generic titles per persona key: cleaned, shared by enough people, no digits or '@'."""
    return (
        keyed.filter(
            (pl.col("result") == "won")
            & pl.col("title_clean").is_not_null()
            & ~pl.col("title_clean").str.contains(r"[0-9@]")
        )
        .group_by("group", "department", "seniority", "deal_role", "title_clean")
        .agg(pl.col("row").n_unique().alias("people"))
        .filter(pl.col("people") >= MIN_TITLE_PEOPLE)
        .sort(["people", "title_clean"], descending=[True, False])
        .group_by("group", "department", "seniority", "deal_role", maintain_order=True)
        .agg(pl.col("title_clean").head(3).alias("titles"))
    )


def _choose(
    sub: pl.DataFrame,
    group: str,
    titles: pl.DataFrame,
    *,
    min_share: float,
    limit: int,
    alpha: float,
) -> list[Persona]:
    chosen: list[dict[str, Any]] = []
    taken: set[tuple[str, str]] = set()
    ok = pl.col("share_of_won") >= min_share
    for role in ("champion", "decision maker"):
        cand = sub.filter((pl.col("deal_role") == role) & ok)
        for r in cand.iter_rows(named=True):  # already sorted by won deals
            if (r["department"], r["seniority"]) not in taken:
                chosen.append(r)
                taken.add((r["department"], r["seniority"]))
                break
    extra = sub.filter((pl.col("deal_role") == "involved") & ok)
    if extra["lost_total"].max() or 0:
        extra = extra.filter((pl.col("lift") > 1) & (pl.col("p_value") < alpha))
    extra = extra.sort(["lift", "won_involved"], descending=True, nulls_last=True)
    for r in extra.iter_rows(named=True):
        if len(chosen) >= limit:
            break
        if (r["department"], r["seniority"]) not in taken:
            chosen.append(r)
            taken.add((r["department"], r["seniority"]))
    out = []
    for r in chosen[:limit]:
        deal_role = r["deal_role"] if r["deal_role"] != "involved" else None
        t = titles.filter(
            (pl.col("group") == group)
            & (pl.col("department") == r["department"])
            & (pl.col("seniority") == r["seniority"])
            & (pl.col("deal_role") == r["deal_role"])
        )
        examples = t["titles"][0].to_list() if t.height else []
        out.append(
            Persona(
                id=_slug(group, deal_role or "involved", str(r["department"]), str(r["seniority"])),
                segment=None if group == "all" else group,
                department=str(r["department"]),
                seniority=str(r["seniority"]),
                deal_role=deal_role,
                example_titles=examples,
                evidence=_evidence(r, alpha),
                notes=[_sentence(r, deal_role)],
            )
        )
    return out


def _evidence(r: dict[str, Any], alpha: float) -> PersonaEvidence:
    won_t, lost_t = int(r["won_total"]), int(r["lost_total"])
    held = int(r["won_involved"]) + int(r["lost_involved"])
    lift_ok = r["lift"] is not None and float(r["lift"]) > 1
    caveat = None
    if lost_t == 0:
        caveat = "no lost deals to compare against"
    elif won_t < SMALL_GROUP or lost_t < SMALL_GROUP:
        caveat = f"small sample: {won_t} won and {lost_t} lost deals"
    elif held < 2 * SMALL_CELL:
        caveat = f"small sample: only {held} deals involve this persona"
    elif not (lift_ok and float(r["p_value"]) < alpha):
        p_text = f"{float(r['p_value']):.2g}"
        caveat = f"not clearly more common in won than in lost deals (p = {p_text})"
    lift = r["lift"]
    return PersonaEvidence(
        won_deals=int(r["won_involved"]),
        lost_deals=int(r["lost_involved"]),
        share_of_won=float(r["share_of_won"]),
        share_of_lost=float(r["share_of_lost"]) if r["share_of_lost"] is not None else None,
        lift=float(lift) if lift is not None and np.isfinite(lift) else None,
        p_value=float(r["p_value"]) if lost_t else None,
        caveat=caveat,
    )


def _sentence(r: dict[str, Any], role: str | None) -> str:
    what = f"{role}" if role else "involved"
    text = (
        f"{r['seniority']} {r['department']} {what} in {r['share_of_won']:.0%} of won deals "
        f"({r['won_involved']} of {r['won_total']})"
    )
    if r["share_of_lost"] is not None:
        text += f" vs {r['share_of_lost']:.0%} of lost ({r['lost_involved']} of {r['lost_total']})"
    return text


def discover_personas(
    contacts: pl.DataFrame,
    accounts: pl.DataFrame,
    icp: ICP,
    *,
    tiers: Sequence[str] = ("A", "B"),
    min_share: float = 0.2,
    max_personas: int = 3,
    alpha: float = 0.05,
) -> list[Persona]:
    """The 1-3 personas per segment (see :func:`analyze_personas` for how they are chosen)."""
    return analyze_personas(
        contacts,
        accounts,
        icp,
        tiers=tiers,
        min_share=min_share,
        max_personas=max_personas,
        alpha=alpha,
    ).personas


def with_personas(icp: ICP, personas: Sequence[Persona]) -> ICP:
    """A copy of ``icp`` whose people-level section is ``personas`` (replacing earlier ones)."""
    return icp.model_copy(update={"personas": list(personas)})


# -- contact ranking --------------------------------------------------------------------------

PERSONA_POINTS = {"exact": 60.0, "near": 40.0, "department": 20.0, "seniority": 10.0}
"""Points for matching a persona of the account's segment: department and seniority (exact),
department and a seniority one level away (near), department only, seniority only."""

REACH_POINTS = {"email": 10.0, "country": 5.0}
"""Points for a valid email and a recognised country (a contact one can actually reach)."""


def _persona_points(p: Persona) -> pl.Expr:
    in_seg = pl.lit(True) if p.segment is None else pl.col("segment") == p.segment
    rank = pl.col("seniority").replace_strict(SENIORITY_RANK, default=0, return_dtype=pl.Int64)
    target = SENIORITY_RANK.get(p.seniority, 0)
    dept = pl.col("department") == p.department
    sen = pl.col("seniority") == p.seniority
    near = (rank - target).abs() == 1
    pts = (
        pl.when(dept & sen)
        .then(PERSONA_POINTS["exact"])
        .when(dept & near)
        .then(PERSONA_POINTS["near"])
        .when(dept)
        .then(PERSONA_POINTS["department"])
        .when(sen)
        .then(PERSONA_POINTS["seniority"])
        .otherwise(0.0)
    )
    return pl.when(in_seg).then(pts).otherwise(0.0).fill_null(0.0)


def rank_contacts(
    contacts: pl.DataFrame,
    scored_accounts: pl.DataFrame,
    icp: ICP,
) -> pl.DataFrame:
    """Every contact with its account's fit and a rank within the account (1 = reach first).

    ``contact_score`` = persona match (best persona of the account's segment, see
    :data:`PERSONA_POINTS`) + seniority (3 points per level, c-level 21) + reachability
    (:data:`REACH_POINTS`); opted-out contacts score 0 and rank last. ``reasons`` says why.
    Contacts that match no scored account keep null account columns and no rank. The frame is
    ordered by account rank, then contact rank.
    """
    prepared = prepare_contacts(contacts)
    acc = _account_frame(scored_accounts, icp)
    c = _with_persona_match(link_contacts(prepared.frame, acc), list(icp.personas))
    sen_rank = pl.col("seniority").replace_strict(SENIORITY_RANK, default=0, return_dtype=pl.Int64)
    raw = (
        pl.col("persona_points")
        + 3.0 * sen_rank.cast(pl.Float64)
        + pl.when(pl.col("email_valid")).then(REACH_POINTS["email"]).otherwise(0.0)
        + pl.when(pl.col("country_code").is_not_null()).then(REACH_POINTS["country"]).otherwise(0.0)
    )
    c = c.with_columns(
        pl.when(pl.col("opted_out")).then(0.0).otherwise(raw).alias("contact_score"),
        sen_rank.alias("_sen"),
    )
    c = c.with_columns(_contact_reasons().list.join("; ").alias("reasons"))
    ranked = c.filter(pl.col("account_row").is_not_null()).sort(
        ["account_row", "contact_score", "_sen", "row"], descending=[False, True, True, False]
    )
    ranked = ranked.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("account_row").alias("contact_rank")
    )
    rest = c.filter(pl.col("account_row").is_null()).with_columns(
        pl.lit(None, dtype=pl.Int64).alias("contact_rank")
    )
    out = pl.concat([ranked, rest], how="vertical_relaxed")
    return out.sort(["account_rank", "account_row", "contact_rank", "row"], nulls_last=True).drop(
        "_sen"
    )


def _with_persona_match(c: pl.DataFrame, personas: list[Persona]) -> pl.DataFrame:
    """Each contact's best persona points and the persona they earn it from (the first listed
    on a tie), named only when the department fits; no personas gives 0 and no name."""
    if not personas:
        return c.with_columns(
            pl.lit(0.0).alias("persona_points"), pl.lit(None, dtype=pl.String).alias("persona")
        )
    pts = [_persona_points(p).alias(f"_p{i}") for i, p in enumerate(personas)]
    c = c.with_columns(pts).with_columns(
        pl.max_horizontal([f"_p{i}" for i in range(len(personas))]).alias("persona_points")
    )
    label = pl.lit(None, dtype=pl.String)
    floor = PERSONA_POINTS["department"]  # a persona is named only when the department fits
    for i in reversed(range(len(personas))):
        label = (
            pl.when((pl.col(f"_p{i}") == pl.col("persona_points")) & (pl.col(f"_p{i}") >= floor))
            .then(pl.lit(personas[i].id))
            .otherwise(label)
        )
    return c.with_columns(label.alias("persona")).drop([f"_p{i}" for i in range(len(personas))])


def _contact_reasons() -> pl.Expr:
    """Why a contact ranks where it does: persona match, role, and what makes it hard to reach."""
    return pl.concat_list(
        [
            pl.when(pl.col("persona").is_not_null()).then(
                pl.format(
                    "{} persona {} (+{})",
                    pl.when(pl.col("persona_points") >= PERSONA_POINTS["exact"])
                    .then(pl.lit("matches"))
                    .otherwise(pl.lit("close to")),
                    pl.col("persona"),
                    pl.col("persona_points"),
                )
            ),
            pl.when(pl.col("seniority").is_not_null()).then(
                pl.format("{} in {}", pl.col("seniority"), pl.col("department"))
            ),
            pl.when(pl.col("title").is_null()).then(pl.lit("no job title")),
            pl.when(~pl.col("email_valid")).then(pl.lit("no valid email")),
            pl.when(pl.col("country_code").is_null()).then(pl.lit("country unknown")),
            pl.when(pl.col("opted_out")).then(pl.lit("opted out: do not contact")),
        ]
    ).list.drop_nulls()


__all__ = [
    "CONTACT_COLUMNS",
    "DEAL_ROLES",
    "DEAL_ROLE_ALIASES",
    "MIN_TITLE_PEOPLE",
    "PERSONA_POINTS",
    "REACH_POINTS",
    "Contacts",
    "PersonaDiscovery",
    "analyze_personas",
    "discover_personas",
    "link_contacts",
    "normalize_deal_role",
    "prepare_contacts",
    "rank_contacts",
    "with_personas",
]
