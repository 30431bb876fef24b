"""Outreach lists: fitting accounts × their best contacts, with the rules that apply to each row.

:func:`build_outreach` is what ``icp export`` runs. It keeps accounts in the chosen tiers (never
disqualified ones), ranks their contacts (:func:`icpkit.people.personas.rank_contacts`), keeps the best
``per_account`` of each in priority order, and states per row the regime that applies by the
contact's country (:mod:`icpkit.people.compliance`; guidance, not legal advice).

Two promises hold for every export:

* **Suppression is always applied.** Emails and domains on the suppression list (opt-outs,
  existing customers, competitors; a domain also covers its subdomains at any depth) and contacts
  flagged as opted out in the contacts file never reach the output; their count is reported by
  reason. Entries and contacts are compared in one normal form (:func:`load_suppression`):
  ``bob+news@acme.com`` and ``bob@acme.com`` are the same person both ways, ``*.acme.com`` and
  ``acme.com.`` are acme.com, ``bücher.de`` is ``xn--bcher-kva.de``.
* **Nothing is dropped silently.** Every input contact is either in the output or counted under
  exactly one exclusion reason (``len(frame) + sum(excluded.values()) == contacts_in``); kept rows
  with problems (an unknown country) are flagged in a ``flags`` column and counted.

Personal data leaves the tool only here; :attr:`OutreachResult.personal_columns` names the
columns that carry it so the caller can say what the file contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from icpkit.errors import InputError, MissingColumnsError
from icpkit.icp import ICP
from icpkit.people.compliance import DISCLAIMER, domain_key, email_key, regime_columns
from icpkit.people.personas import prepare_contacts, rank_contacts

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen

PERSONAL_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "first_name",
    "last_name",
    "name",
    "email",
    "title",
    "country",
)
"""Output columns that identify or describe a person (personal data under the GDPR)."""

OUTPUT_COLUMNS: tuple[str, ...] = (
    "account_rank",
    "account_name",
    "account_id",
    "account_domain",
    "tier",
    "fit_score",
    "priority",
    "segment",
    "contact_rank",
    "persona",
    "contact_score",
    *PERSONAL_COLUMNS,
    "department",
    "seniority",
    "country_code",
    "regime",
    "regime_law",
    "regime_basis",
    "regime_obligations",
    "consent_required",
    "regime_note",
    "flags",
    "reasons",
)
"""Columns of an outreach export, in order."""

Suppression = pl.DataFrame | str | Path | Sequence[str] | None
#: What happens to Canadian contacts without recorded consent (CASL): left out, or kept flagged.
CaslPolicy = Literal["exclude", "flag"]


@dataclass
class OutreachResult:
    """The rows to contact plus a full account of everything left out and why."""

    frame: pl.DataFrame
    contacts_in: int
    excluded: dict[str, int]
    suppressed: dict[str, int]
    flagged: dict[str, int]
    regimes: dict[str, int]
    personal_columns: list[str]
    suppression_entries: int = 0
    warnings: list[str] = field(default_factory=list)
    suppression_kinds: dict[str, int] = field(default_factory=dict)
    """Entries of the suppression list read, by kind: ``email``, ``domain``, ``invalid``."""
    disclaimer: str = DISCLAIMER

    @property
    def rows(self) -> int:
        return self.frame.height

    @property
    def accounts(self) -> int:
        if self.frame.height == 0:
            return 0
        # account_name is left out of the frame when the accounts file has no names.
        names = ("account_id", "account_domain", "account_name")
        keys = pl.coalesce([pl.col(c) for c in names if c in self.frame.columns])
        return int(self.frame.select(keys.n_unique()).item())


_ENTRY_NAMES = (
    "email",
    "emails",
    "e_mail",
    "email_address",
    "domain",
    "domains",
    "website",
    "url",
    "company_domain",
    "value",
    "entry",
    "entries",
)
_REASON_NAMES = ("reason", "type", "category", "why", "source")
_SUPPRESSION_SCHEMA = {
    "kind": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "row": pl.Int64,
    "column": pl.String,
}


def _entry_columns(df: pl.DataFrame, reason_col: str | None) -> list[str]:
    """Every column holding emails or domains: by its name, else by its values (most look so)."""
    named = [c for c in df.columns if c.strip().lower().replace(" ", "_") in _ENTRY_NAMES]
    if named:
        return named
    looks = r"^\s*(\*\.|@)?[^\s@]*[^\s@.]\.[^\s@]{2,}\s*$|^\s*[^\s@]+@[^\s@]+\s*$"
    found = []
    for c in df.columns:
        if c == reason_col:
            continue
        v = df[c].cast(pl.String).drop_nulls().str.strip_chars()
        v = v.filter(v != "")
        if v.len() and v.str.contains(looks).mean() >= 0.5:  # type: ignore[operator]
            found.append(c)
    return found or [df.columns[0]]


def load_suppression(source: Suppression) -> pl.DataFrame:
    """Suppression entries as ``kind`` (email/domain/invalid), ``value``, ``reason``, ``row``, ``column``.

    ``source`` is a file (CSV, Excel, Parquet…), a frame or a list of strings. Every column that
    holds emails or domains is used: columns named email, domain, website, value, entry… or, when
    none is named so, every column whose values mostly look like emails or domains. An optional
    ``reason`` column (opt-out, customer, competitor…) is kept for the counts. ``row`` is the
    1-based data row the entry came from.

    Values are keyed as contacts are compared (:func:`icpkit.people.compliance.email_key`,
    :func:`~icpkit.people.compliance.domain_key`): ``Bob+News@Acme.com`` → ``bob@acme.com``;
    ``*.acme.com``, ``@acme.com``, ``acme.com.`` and ``https://www.acme.com/`` → ``acme.com``;
    ``bücher.de`` → ``xn--bcher-kva.de``. Entries that are neither have kind ``invalid``.
    """
    from icpkit.people.compliance import VALID_DOMAIN_KEY, domain_key, email_key

    if source is None:
        return pl.DataFrame(schema=_SUPPRESSION_SCHEMA)
    if isinstance(source, str | Path):
        from icpkit.io import read_table

        df = read_table(source)
    elif isinstance(source, pl.DataFrame):
        df = source
    else:
        df = pl.DataFrame({"value": list(source)}, schema={"value": pl.String})
    if df.width == 0:
        raise InputError("the suppression list has no columns", file=str(source))
    lower = {c.strip().lower(): c for c in df.columns}
    reason_col = next((lower[k] for k in _REASON_NAMES if k in lower), None)
    reason = (
        pl.col(reason_col).cast(pl.String).str.strip_chars().str.to_lowercase()
        if reason_col
        else pl.lit(None, dtype=pl.String)
    )
    reason = pl.when(reason != "").then(reason).fill_null("listed")
    long = pl.concat(
        [
            df.with_row_index("row", offset=1).select(
                pl.col(c).cast(pl.String).str.strip_chars().alias("raw"),
                reason.alias("reason"),
                pl.col("row").cast(pl.Int64),
                pl.lit(c).alias("column"),
            )
            for c in _entry_columns(df, reason_col)
        ]
    ).filter(pl.col("raw").is_not_null() & (pl.col("raw") != ""))
    raw = pl.col("raw")
    # "@acme.com" and "*@acme.com" are domains; anything else with an @ is an email.
    as_domain = ~raw.str.contains("@") | raw.str.contains(r"^\*?@")
    dom, mail = domain_key(raw), email_key(raw)
    kind = (
        pl.when(as_domain)
        .then(pl.when(dom.str.contains(VALID_DOMAIN_KEY)).then(pl.lit("domain")))
        .otherwise(
            pl.when(mail.str.extract(r"@(.+)$", 1).str.contains(VALID_DOMAIN_KEY)).then(
                pl.lit("email")
            )
        )
        .fill_null("invalid")
    )
    value = (
        pl.when(kind == "domain")
        .then(dom)
        .when(kind == "email")
        .then(mail)
        .otherwise(raw.str.to_lowercase())
    )
    return long.select(kind.alias("kind"), value.alias("value"), "reason", "row", "column").sort(
        "row", maintain_order=True
    )


def suppression_summary(sup: pl.DataFrame, *, file: str | None = None, limit: int = 20) -> str:
    """Where the invalid entries of a suppression list are, by line, for the user to fix."""
    bad = sup.filter(pl.col("kind") == "invalid")
    if bad.height == 0:
        return ""
    # A file's line = data row + 1 (the header is line 1), as an editor or Excel shows it.
    offset = 1 if file else 0
    word = "line" if file else "entry"
    shown = ", ".join(
        f"{word} {r + offset} ({c}: {v!r})"
        for v, r, c in bad.head(limit).select("value", "row", "column").iter_rows()
    )
    more = f" and {bad.height - limit:,} more" if bad.height > limit else ""
    where = f"{file}: " if file else ""
    return (
        f"{where}{bad.height:,} suppression entr{'y is' if bad.height == 1 else 'ies are'} "
        f"neither an email nor a domain and suppress nothing: {shown}{more}"
    )


def _domain_hit(domain: pl.Expr, domains: pl.DataFrame, depth: int) -> pl.Expr:
    """Reason of the suppressed domain that ``domain`` equals or is a subdomain of, else null.

    ``depth`` is the most labels any compared domain has, so subdomains of any depth match.
    """
    if domains.height == 0:
        return pl.lit(None, dtype=pl.String)
    table = domains.unique("value", keep="first", maintain_order=True)
    keys, reasons = table["value"].to_list(), table["reason"].to_list()
    labels = domain.str.split(".")
    hits = []
    for k in range(max(depth - 1, 1)):  # one vectorised pass per label position
        suffix = labels.list.slice(k).list.join(".")
        hits.append(
            pl.when(labels.list.len() - k >= 2).then(
                suffix.replace_strict(keys, reasons, default=None, return_dtype=pl.String)
            )
        )
    return pl.coalesce(hits)


def build_outreach(
    scored: pl.DataFrame,
    contacts: pl.DataFrame,
    icp: ICP,
    *,
    tiers: Sequence[str] = ("A", "B"),
    suppression: Suppression = None,
    per_account: int = 3,
    casl_without_consent: CaslPolicy = "exclude",
    unknown_country: Literal["flag", "exclude"] = "flag",
    include_names: bool = True,
) -> OutreachResult:
    """Fit accounts (``tiers``, never disqualified) × their best contacts, in priority order.

    ``scored`` is the output of :func:`icpkit.scoring.score`; ``contacts`` a contacts table (see
    :data:`icpkit.people.personas.CONTACT_COLUMNS` for the headers recognised). Every contact is either
    exported or counted in ``excluded`` under the first reason that applies, in this order:
    suppressed (list or opt-out), no account key, account not scored, account not in the tiers,
    no valid email, CASL without recorded consent (unless ``casl_without_consent="flag"``),
    unknown country (only with ``unknown_country="exclude"``), beyond ``per_account``.
    ``include_names=False`` leaves first/last/full names out of the frame.
    """
    _check_outreach_request(scored, tiers, per_account)
    prepared = prepare_contacts(contacts)
    warnings = list(prepared.warnings)
    sup = load_suppression(suppression)
    invalid = suppression_summary(
        sup, file=str(suppression) if isinstance(suppression, str | Path) else None
    )
    if invalid:
        warnings.append(invalid)
    kinds = {k: int((sup["kind"] == k).sum()) for k in ("email", "domain", "invalid")}

    ranked, suppressed = _suppression_hits(rank_contacts(prepared.frame, scored, icp), sup)
    ranked = ranked.with_columns(regime_columns(pl.col("country_code")))
    casl = (pl.col("regime") == "CASL") & ~pl.col("consent").fill_null(False)
    reason = _exclusion_reason(suppressed, tiers)
    if casl_without_consent == "exclude":
        reason = reason.when(casl).then(pl.lit("CASL: no consent on record"))
    if unknown_country == "exclude":
        reason = reason.when(pl.col("regime") == "unknown").then(pl.lit("country unknown"))
    ranked = ranked.with_columns(reason.alias("_excluded"))

    keep, excluded = _best_per_account(ranked, per_account)
    frame = _output_frame(keep, casl, include_names)
    flagged = {
        str(k): int(v)
        for k, v in frame.select(pl.col("flags").str.split("; ").explode())
        .filter(pl.col("flags") != "")
        .group_by("flags")
        .len()
        .sort("flags")
        .iter_rows()
    }
    regimes = {str(k): int(v) for k, v in frame.group_by("regime").len().sort("regime").iter_rows()}
    return OutreachResult(
        frame=frame,
        contacts_in=prepared.frame.height,
        excluded=excluded,
        suppressed={
            k.removeprefix("suppressed: "): v
            for k, v in excluded.items()
            if k.startswith("suppressed")
        },
        flagged=flagged,
        regimes=regimes,
        personal_columns=[c for c in PERSONAL_COLUMNS if c in frame.columns],
        suppression_entries=sup.height,
        warnings=warnings,
        suppression_kinds=kinds,
    )


def _check_outreach_request(scored: pl.DataFrame, tiers: Sequence[str], per_account: int) -> None:
    """Refuse an export that cannot be right before any contact is read."""
    if per_account < 1:
        raise InputError(f"per_account must be at least 1, got {per_account}")
    missing = [c for c in ("tier", "disqualified", "segment") if c not in scored.columns]
    if missing:
        raise MissingColumnsError(missing, why="the accounts must be scored first (icp score)")
    bad_tiers = sorted(set(tiers) - {"A", "B", "C", "D"})
    if bad_tiers:
        raise InputError(f"unknown tier(s) {bad_tiers}; tiers are A, B, C and D")


def _suppression_hits(ranked: pl.DataFrame, sup: pl.DataFrame) -> tuple[pl.DataFrame, pl.Expr]:
    """The ranked contacts with their comparison keys, and the suppression reason per contact.

    Contacts are compared in the keys the list was read in (plus tags, IDNA, trailing dots): by
    email, by the email's domain and by the account's domains, subdomains included; a contact
    flagged as opted out in the contacts file is suppressed too.
    """
    emails = sup.filter(pl.col("kind") == "email").unique("value", keep="first")
    domains = sup.filter(pl.col("kind") == "domain")
    ranked = ranked.with_columns(
        email_key(pl.col("email")).alias("_email_key"),
        domain_key(pl.col("email").str.extract(r"@([^@]+)$", 1)).alias("_email_domain_key"),
        *(
            domain_key(pl.col(c)).alias(f"_{c}_key")
            for c in ("account_domain", "account_key_domain")
        ),
    )
    key_cols = ("_email_domain_key", "_account_domain_key", "_account_key_domain_key")
    depth = (
        int(
            ranked.select(
                pl.max_horizontal(pl.col(c).str.count_matches(r"\.").max() for c in key_cols)
            ).item()
            or 0
        )
        + 1
    )
    email_hit = (
        pl.col("_email_key").replace_strict(
            emails["value"].to_list(),
            emails["reason"].to_list(),
            default=None,
            return_dtype=pl.String,
        )
        if emails.height
        else pl.lit(None, dtype=pl.String)
    )
    suppressed = pl.coalesce(
        email_hit,
        *(_domain_hit(pl.col(c), domains, depth) for c in key_cols),
        pl.when(pl.col("opted_out")).then(pl.lit("opted out (contacts file)")),
    )
    return ranked, suppressed


def _exclusion_reason(suppressed: pl.Expr, tiers: Sequence[str]) -> ChainedThen:
    """The first reason a contact cannot be exported, in the documented order (null: exportable).

    Returned open so the policy-dependent reasons (CASL, unknown country) can be appended.
    """
    fit = pl.col("tier").is_in(list(tiers)) & ~pl.col("disqualified").fill_null(False)
    tier_text = ", ".join(tiers)
    return (
        pl.when(suppressed.is_not_null())
        .then(pl.format("suppressed: {}", suppressed))
        .when(~pl.col("has_account_key"))
        .then(pl.lit("no account key (id, domain or work email)"))
        .when(pl.col("account_row").is_null())
        .then(pl.lit("account not in the scored file"))
        .when(~fit.fill_null(False))
        .then(pl.lit(f"account not in tiers {tier_text} (or disqualified)"))
        .when(pl.col("email").is_null())
        .then(pl.lit("no email"))
        .when(~pl.col("email_valid") & pl.col("email").str.contains(_UNICODE_EMAIL))
        .then(pl.lit(NON_ASCII_EMAIL))
        .when(~pl.col("email_valid"))
        .then(pl.lit("malformed email"))
    )


#: An address that is well formed but for its non-ASCII characters ("fritz.müller@…", valid
#: under RFC 6531, which most sending tools cannot send to). Calling it malformed, as was done
#: for 251 of 969 contacts of Crunchbase companies, sends someone looking for typos.
NON_ASCII_EMAIL = "non-ASCII email address (most sending tools cannot send to it)"
_UNICODE_EMAIL = (
    r"^[^\s@]*[^\x00-\x7f][^\s@]*@[^\s@]+\.[^\s@]{2,}$"
    r"|^[^\s@]+@[^\s@]*[^\x00-\x7f][^\s@]*\.[^\s@]{2,}$"
)


def _best_per_account(
    ranked: pl.DataFrame, per_account: int
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Within each account the best remaining contacts up to ``per_account``, and the count of
    every contact left out by reason (most frequent first), so nothing is dropped silently."""
    keep = ranked.filter(pl.col("_excluded").is_null()).with_columns(
        pl.col("contact_rank").rank("ordinal").over("account_row").alias("_pos")
    )
    beyond = keep.filter(pl.col("_pos") > per_account).height
    keep = keep.filter(pl.col("_pos") <= per_account)
    counts = (
        ranked.filter(pl.col("_excluded").is_not_null())
        .group_by("_excluded")
        .len()
        .sort(["len", "_excluded"], descending=[True, False])
    )
    excluded = {str(r): int(n) for r, n in counts.iter_rows()}
    if beyond:
        excluded[f"beyond {per_account} contacts per account"] = beyond
    return keep, excluded


def _output_frame(keep: pl.DataFrame, casl: pl.Expr, include_names: bool) -> pl.DataFrame:
    """The exported rows: flags per row, the account's own keys, priority order, our columns.

    Optional identity columns the contacts file did not have are left out, not written empty.
    """
    flags = pl.concat_list(
        [
            pl.when(pl.col("regime") == "unknown").then(pl.lit("country unknown: check first")),
            pl.when(casl).then(pl.lit("CASL: consent needed before emailing")),
            pl.when(pl.col("consent_required") & (pl.col("regime") != "CASL")).then(
                pl.lit("national rules: consent likely needed")
            ),
            pl.when(pl.col("link") == "email domain").then(
                pl.lit("account matched by email domain")
            ),
        ]
    ).list.drop_nulls()
    keep = keep.with_columns(flags.list.join("; ").alias("flags")).with_columns(
        pl.col("account_key_id").alias("account_id_out"),
        pl.coalesce("account_key_domain", "account_domain").alias("account_domain_out"),
    )
    keep = keep.drop("account_id", "account_domain").rename(
        {"account_id_out": "account_id", "account_domain_out": "account_domain"}
    )
    keep = keep.sort(
        ["account_rank", "priority", "account_row", "contact_rank"],
        descending=[False, True, False, False],
        nulls_last=True,
    )
    columns = [c for c in OUTPUT_COLUMNS if c in keep.columns]
    if not include_names:
        columns = [c for c in columns if c not in ("first_name", "last_name", "name")]
    frame = keep.select(columns)
    optional = ("contact_id", "first_name", "last_name", "name", "account_name")
    empty = [c for c in optional if c in frame.columns and frame[c].null_count() == frame.height]
    return frame.drop(empty) if frame.height else frame


def export_outreach(
    scored_path: str | Path,
    contacts_path: str | Path,
    icp: ICP,
    output: str | Path,
    *,
    force: bool = False,
    suppression: Suppression = None,
    **options: object,
) -> OutreachResult:
    """Read the scored accounts and contacts, build the outreach list and write it atomically.

    Never writes onto an input (scored file, contacts, suppression list), even with ``force``.
    """
    from icpkit.io import read_table, write_table

    scored = read_table(scored_path)
    contacts = read_table(contacts_path)
    result = build_outreach(scored, contacts, icp, suppression=suppression, **options)  # type: ignore[arg-type]
    inputs: list[str | Path] = [scored_path, contacts_path]
    if isinstance(suppression, str | Path):
        inputs.append(suppression)
    write_table(result.frame, output, force=force, inputs=inputs)
    return result


__all__ = [
    "NON_ASCII_EMAIL",
    "OUTPUT_COLUMNS",
    "PERSONAL_COLUMNS",
    "CaslPolicy",
    "OutreachResult",
    "build_outreach",
    "export_outreach",
    "load_suppression",
    "suppression_summary",
]
