"""Funding rounds from a rounds file, matched to accounts by domain or normalised name.

Companies that recently raised money invest. Rounds exports (Crunchbase, PitchBook, a CRM's own
list) name the company, the date, the round type and the amount; few carry a website, so an
account is matched by its domain where both sides have one, else by its normalised name
(case, accents, punctuation and legal suffixes such as "Inc." or "GmbH" dropped). A name that
two accounts share matches neither: a wrong match would invent a funding event.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from icpkit.errors import InputError, MissingColumnsError
from icpkit.signals.store import SignalsStore

_LEGAL = (
    "inc|incorporated|llc|l l c|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|sas|sarl|bv"
    "|nv|plc|pty|srl|spa|oy|ab|as|kg|lp|llp|pllc|group|holdings?|com|io|net"
)
_NAME_COLUMNS = ("company_name", "company", "organization", "organization_name", "name")
_DOMAIN_COLUMNS = ("domain", "website", "homepage_url", "company_domain", "company_website")
_DATE_COLUMNS = ("funded_at", "announced_on", "announced_date", "funding_date", "date", "closed_on")
_TYPE_COLUMNS = ("funding_round_type", "round_type", "investment_type", "round", "series")
_AMOUNT_COLUMNS = ("raised_amount_usd", "money_raised_usd", "raised_amount", "amount")


def name_expr(expr: pl.Expr) -> pl.Expr:
    """Normalised company name: ``"Acme, Inc."`` and ``"ACME Inc"`` → ``"acme"``; blank → null."""
    s = (
        expr.cast(pl.String)
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
        .str.replace(r"^the ", "")
    )
    for _ in range(2):  # "Acme Holdings Inc" drops both suffixes
        s = s.str.replace(rf" ({_LEGAL})$", "").str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s)


def domain_expr(expr: pl.Expr) -> pl.Expr:
    """Account key of a website column, vectorised: scheme, ``www.``, port and path dropped."""
    s = (
        expr.cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace(r"^[a-z][a-z0-9+.-]*://", "")
        .str.replace(r"^[^@/]*@", "")
        .str.replace(r"[/?#].*$", "")
        .str.replace(r":\d+$", "")
        .str.strip_chars(".")
        .str.replace(r"^www\d?\.", "")
    )
    return pl.when(s.str.contains(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")).then(s)


def _col(df: pl.DataFrame, given: str | None, choices: Sequence[str], why: str, file: str) -> str:
    if given is not None:
        if given not in df.columns:
            raise MissingColumnsError([given], file=file, why=why)
        return given
    lower = {c.lower(): c for c in df.columns}
    found = next((lower[c] for c in choices if c in lower), None)
    if found is None:
        raise InputError(f"no column for {why} (looked for {', '.join(choices)})", file=file)
    return found


@dataclass(frozen=True, slots=True)
class FundingReport:
    """How an import went: rounds read, matched by domain / by name, left unmatched."""

    rounds: int
    by_domain: int
    by_name: int
    unmatched: int
    ambiguous_names: int
    added: int


def match_rounds(
    rounds: pl.DataFrame,
    accounts: pl.DataFrame,
    *,
    file: str = "rounds",
    account_domain: str | None = None,
    account_name: str | None = None,
    date_column: str | None = None,
    type_column: str | None = None,
    amount_column: str | None = None,
    name_column: str | None = None,
    domain_column: str | None = None,
) -> tuple[pl.DataFrame, FundingReport]:
    """Rounds matched to accounts: ``account``, ``announced_on``, ``round_type``, ``amount``.

    ``accounts`` needs ``account_domain`` and/or ``account_name``; the account key is the
    normalised domain, else the normalised name.
    """
    when = _col(rounds, date_column, _DATE_COLUMNS, "the round's date", file)
    kind = _col(rounds, type_column, _TYPE_COLUMNS, "the round type", file)
    lower = {c.lower(): c for c in rounds.columns}
    amount = amount_column or next((lower[c] for c in _AMOUNT_COLUMNS if c in lower), None)
    rname = name_column or next((lower[c] for c in _NAME_COLUMNS if c in lower), None)
    rdom = domain_column or next((lower[c] for c in _DOMAIN_COLUMNS if c in lower), None)
    if rname is None and rdom is None:
        raise InputError("no company name or website column to match rounds by", file=file)
    r = rounds.select(
        pl.col(when).cast(pl.String).str.strip_chars().str.to_date(strict=False).alias("day"),
        pl.col(kind)
        .cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"[\s_-]+", " ")
        .alias("round_type"),
        (
            pl.col(amount)
            .cast(pl.String)
            .str.replace_all(r"[,$\s]", "")
            .cast(pl.Float64, strict=False)
            if amount
            else pl.lit(None, dtype=pl.Float64)
        ).alias("amount"),
        (domain_expr(pl.col(rdom)) if rdom else pl.lit(None, dtype=pl.String)).alias("rdom"),
        (name_expr(pl.col(rname)) if rname else pl.lit(None, dtype=pl.String)).alias("rname"),
    ).filter(pl.col("day").is_not_null() & pl.col("round_type").is_not_null())
    a = accounts.select(
        (domain_expr(pl.col(account_domain)) if account_domain else pl.lit(None, pl.String)).alias(
            "adom"
        ),
        (name_expr(pl.col(account_name)) if account_name else pl.lit(None, pl.String)).alias(
            "aname"
        ),
        (
            pl.col(account_name).cast(pl.String).str.strip_chars()
            if account_name
            else pl.lit(None, pl.String)
        ).alias("araw"),
    ).with_columns(pl.coalesce("adom", "aname").alias("account"))
    a = a.filter(pl.col("account").is_not_null())
    # Companies told apart only by their spelling ("Alice" and "Alice.com", "Blaze" and "The
    # Blaze" on the Crunchbase export) share one normalised name, and so one account key when
    # they have no website: a name is ambiguous when it stands for more than one account row
    # (by website, else by spelling), before those rows collapse into one key.
    spellings = (
        a.unique(["adom", "araw"]).drop_nulls("aname").group_by("aname").agg(pl.len().alias("n"))
    )
    a = a.unique("account")
    by_dom = r.filter(pl.col("rdom").is_not_null()).join(
        a.select("adom", "account").drop_nulls("adom").unique("adom"),
        left_on="rdom",
        right_on="adom",
    )
    names = (
        a.drop_nulls("aname")
        .group_by("aname")
        .agg(pl.col("account").first())
        .join(spellings, on="aname", how="left")
    )
    ambiguous = names.filter(pl.col("n") > 1)
    unique_names = names.filter(pl.col("n") == 1)
    rest = r.join(by_dom.select("rdom").unique(), on="rdom", how="anti", nulls_equal=False)
    by_name = rest.filter(pl.col("rname").is_not_null()).join(
        unique_names.select("aname", "account"), left_on="rname", right_on="aname"
    )
    cols = ["account", pl.col("day").alias("announced_on"), "round_type", "amount"]
    matched = pl.concat([by_dom.select(cols), by_name.select(cols)]).unique(
        ["account", "announced_on", "round_type"], keep="first", maintain_order=True
    )
    n_amb = rest.join(ambiguous.select("aname"), left_on="rname", right_on="aname").height
    report = FundingReport(
        rounds=r.height,
        by_domain=by_dom.height,
        by_name=by_name.height,
        unmatched=r.height - by_dom.height - by_name.height,
        ambiguous_names=n_amb,
        added=0,
    )
    return matched.sort("account", "announced_on"), report


def import_rounds(
    store: SignalsStore,
    path: str | os.PathLike[str],
    accounts: pl.DataFrame,
    observed_on: date,
    *,
    account_domain: str | None = None,
    account_name: str | None = None,
) -> FundingReport:
    """Read a rounds file, match it to ``accounts`` and add the rounds to the store."""
    from dataclasses import replace

    from icpkit.io import read_table

    rounds = read_table(path)
    matched, report = match_rounds(
        rounds,
        accounts,
        file=str(path),
        account_domain=account_domain,
        account_name=account_name,
    )
    frame = matched.with_columns(
        pl.lit(f"rounds:{Path(path).name}").alias("source"),
        pl.lit(observed_on).alias("observed_on"),
    )
    added = store.append({"funding": frame})["funding"]
    return replace(report, added=added)


__all__ = ["FundingReport", "domain_expr", "import_rounds", "match_rounds", "name_expr"]
