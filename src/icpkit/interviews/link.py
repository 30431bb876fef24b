"""Linking interviews to accounts: by account id, then domain, then name, then the file name.

An interview is only evidence about a segment once we know whose interview it is. Notes name
their account in a header (``Account: acme.com``), a CSV column, or only in the file name
(``acme-corp.md``). Each reference is tried as an id, a domain and a company name against the
accounts; the file name is the last resort. An interview that links to nothing is reported, not
guessed; when accounts are given and no interview links, that is an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

import polars as pl

from icpkit.columns.infer import infer_schema
from icpkit.columns.parsing import normalize_domain
from icpkit.columns.schema import OutcomeKind
from icpkit.errors import InputError
from icpkit.icp import ICP
from icpkit.interviews.read import Interview

#: Outcome kinds compared between interviewed accounts that mention a theme and those that do not.
OUTCOME_KINDS: tuple[OutcomeKind, ...] = (
    OutcomeKind.VALUE,
    OutcomeKind.RETENTION,
    OutcomeKind.EXPANSION,
)


def _norm(expr: pl.Expr) -> pl.Expr:
    return (
        expr.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def _name_key(expr: pl.Expr) -> pl.Expr:
    """Company names compared without punctuation and legal suffixes: 'Acme, Inc.' = 'acme'."""
    s = _norm(expr).str.replace_all(r"[^\w\s]", " ")
    s = s.str.replace_all(r"\b(inc|llc|ltd|gmbh|corp|corporation|co|plc|sa|ag|bv)\b", " ")
    return s.str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)


def _stem(source: str) -> str:
    name = PurePath(source.split("#row")[0]).name
    stem = re.sub(r"\.[^.]+$", "", name)
    return re.sub(r"[_\s]+", " ", stem).strip()


def account_keys(accounts: pl.DataFrame, icp: ICP) -> pl.DataFrame:
    """Key, segment and outcome columns of accounts; unscored accounts are scored first."""
    from icpkit.scoring import score
    from icpkit.scoring.engine import resolve_columns

    scored = accounts
    if "segment" not in accounts.columns:
        scored = score(accounts, icp, missing="unknown")
    id_want = icp.columns.get("id", "id")
    dom_want = icp.columns.get("domain", "domain")
    name_want = icp.columns.get("name", "name")
    found = resolve_columns(scored.columns, [id_want, dom_want, "website", name_want])
    null = pl.lit(None, dtype=pl.String)
    id_col, dom_col = found.get(id_want), found.get(dom_want) or found.get("website")
    name_col = found.get(name_want)
    schema = infer_schema(accounts)
    metrics = {
        c.source: c.outcome.value
        for c in schema.outcomes
        if c.outcome in OUTCOME_KINDS and c.source in scored.columns
    }
    return scored.select(
        (_norm(pl.col(id_col)) if id_col else null).alias("account_id"),
        (normalize_domain(pl.col(dom_col).cast(pl.String)) if dom_col else null).alias(
            "account_domain"
        ),
        (pl.col(name_col).cast(pl.String) if name_col else null).alias("account_name"),
        (_name_key(pl.col(name_col)) if name_col else null).alias("_name_key"),
        pl.col("segment").cast(pl.String).alias("account_segment"),
        *[
            pl.col(src).cast(pl.Float64, strict=False).alias(f"outcome:{kind}:{src}")
            for src, kind in metrics.items()
        ],
    )


def link_interviews(
    interviews: Sequence[Interview], accounts: pl.DataFrame | None, icp: ICP
) -> pl.DataFrame:
    """One row per interview: ``file``, ``account_id``, ``segment``, ``link`` and outcomes.

    ``file`` is the interview's shareable reference (``file #3 (.md)``, or ``interview #n`` by
    position when it has none), never its file name, which may name the interviewee; the file
    name is still used to link.

    ``link`` says which key matched (``id``, ``domain``, ``name``, ``file name``) or, without
    accounts, ``segment header`` for notes that name their segment; null when nothing matched.
    A segment named in the notes must be one of the ICP's segment ids or names.
    """
    refs = _interview_refs(interviews, icp)
    if accounts is None:
        return refs.select(
            "row",
            "file",
            pl.col("ref").alias("account_id"),
            pl.lit(None, dtype=pl.String).alias("account_name"),
            pl.lit(None, dtype=pl.String).alias("account_domain"),
            pl.col("segment_note_id").alias("segment"),
            pl.when(pl.col("segment_note_id").is_not_null())
            .then(pl.lit("segment header"))
            .alias("link"),
        )
    acc = account_keys(accounts, icp).with_row_index("account_row")
    out = (
        refs.join(_match_accounts(refs, acc), on="row", maintain_order="left")
        .join(acc, on="account_row", how="left", maintain_order="left")
        .with_columns(pl.coalesce("segment_note_id", "account_segment").alias("segment"))
    )
    metric_cols = [c for c in out.columns if c.startswith("outcome:")]
    return out.select(
        "row",
        "file",
        pl.coalesce("account_id", "account_domain").alias("account_id"),
        "account_name",
        "account_domain",
        "segment",
        "link",
        *metric_cols,
    )


def _interview_refs(interviews: Sequence[Interview], icp: ICP) -> pl.DataFrame:
    """Per interview: its shareable reference, the account it names, its file stem and the
    segment id its notes name (matched on the ICP's segment ids or names, any case)."""
    refs = pl.DataFrame(
        {
            "row": list(range(len(interviews))),
            "file": [iv.ref or f"interview #{i}" for i, iv in enumerate(interviews, start=1)],
            "ref": [iv.account for iv in interviews],
            "stem": [_stem(iv.source) for iv in interviews],
            "segment_note": [iv.segment for iv in interviews],
        },
        schema={
            "row": pl.Int64,
            "file": pl.String,
            "ref": pl.String,
            "stem": pl.String,
            "segment_note": pl.String,
        },
    )
    seg_ids = {s.id.lower(): s.id for s in icp.segments} | {
        s.name.lower(): s.id for s in icp.segments
    }
    return refs.with_columns(
        _norm(pl.col("segment_note"))
        .replace_strict(seg_ids, default=None, return_dtype=pl.String)
        .alias("segment_note_id")
    )


#: (interview key, account key, link name) in order of trust: the account the notes name by id,
#: domain (or an email's domain) or name, then the same keys read from the file name.
_JOINS = (
    ("k_id", "account_id", "id"),
    ("k_dom", "account_domain", "domain"),
    ("k_name", "_name_key", "name"),
    ("f_id", "account_id", "file name"),
    ("f_dom", "account_domain", "file name"),
    ("f_name", "_name_key", "file name"),
)


def _match_accounts(refs: pl.DataFrame, acc: pl.DataFrame) -> pl.DataFrame:
    """``row``, the matched ``account_row`` and ``link`` (the first key in :data:`_JOINS` that
    matched); one vectorised join per key, each account key taken from its first account."""
    ref_email_domain = pl.col("ref").str.extract(r"@([\w.-]+)$")
    keys = refs.with_columns(
        _norm(pl.col("ref")).alias("k_id"),
        normalize_domain(pl.coalesce(ref_email_domain, pl.col("ref"))).alias("k_dom"),
        _name_key(pl.col("ref")).alias("k_name"),
        _norm(pl.col("stem")).alias("f_id"),
        normalize_domain(pl.col("stem").str.replace_all(" ", "-")).alias("f_dom"),
        _name_key(pl.col("stem").str.replace_all(r"[-.]", " ")).alias("f_name"),
    )
    found = keys.select("row")
    for i, (left, right, _) in enumerate(_JOINS):
        table = (
            acc.filter(pl.col(right).is_not_null())
            .unique(right, keep="first", maintain_order=True)
            .select(pl.col(right).alias(left), pl.col("account_row").alias(f"_m{i}"))
        )
        matched = keys.select("row", left).join(table, on=left, how="left", maintain_order="left")
        found = found.with_columns(matched[f"_m{i}"])
    hit = [pl.col(f"_m{i}") for i in range(len(_JOINS))]
    how = pl.lit(None, dtype=pl.String)
    for i in reversed(range(len(_JOINS))):
        how = pl.when(hit[i].is_not_null()).then(pl.lit(_JOINS[i][2])).otherwise(how)
    return found.select("row", pl.coalesce(hit).alias("account_row"), how.alias("link"))


def require_links(links: pl.DataFrame, *, notes: str, with_accounts: bool) -> None:
    """Refuse an analysis in which no interview links to an account (or names a segment)."""
    if links.filter(pl.col("link").is_not_null()).height == 0:
        what = "an account in --accounts" if with_accounts else "a segment (pass --accounts)"
        raise InputError(
            f"none of the {links.height} interview(s) links to {what}; name the account "
            "in a header line such as 'Account: acme.com', a CSV account column or the file name",
            file=notes,
        )


__all__ = ["OUTCOME_KINDS", "account_keys", "link_interviews", "require_links"]
