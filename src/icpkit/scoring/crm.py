"""CRM write-back: scored accounts in the shape HubSpot and Salesforce imports expect.

* **HubSpot** company import (CSV): ``Record ID`` and ``Company Domain Name`` (HubSpot matches an
  import row to an existing company by either) plus the custom properties ``icp_fit_score``,
  ``icp_tier``, ``icp_segment`` and ``icp_reasons``. Create those four company properties once
  (number, single-line text ×3) before the first import.
* **Salesforce** Account update (CSV for Data Loader / Data Import Wizard, operation *update*):
  ``Id`` plus the custom fields ``ICP_Fit_Score__c``, ``ICP_Tier__c``, ``ICP_Segment__c`` and
  ``ICP_Reasons__c``. An update needs the Account Id, so rows without one are left out and
  counted in :attr:`CrmExport.unmatched`.

Scored prospects are matched to CRM records by id when they carry one of the CRM's shape
(:data:`ID_PATTERNS`), otherwise by normalised domain (scheme, ``www.``, path, port and case
stripped) against a CRM export passed as ``records``. A domain that two CRM records share is
ambiguous and is not matched. Ids of another shape are counted in ``foreign_ids``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from icpkit.columns.names import resolve_columns
from icpkit.errors import InputError, UsageError
from icpkit.icp import ICP
from icpkit.scoring.explain import expand_reasons

Target = Literal["hubspot", "salesforce"]

FIELDS: dict[str, dict[str, str]] = {
    "hubspot": {
        "id": "Record ID",
        "domain": "Company Domain Name",
        "fit_score": "icp_fit_score",
        "tier": "icp_tier",
        "segment": "icp_segment",
        "reasons": "icp_reasons",
    },
    "salesforce": {
        "id": "Id",
        "fit_score": "ICP_Fit_Score__c",
        "tier": "ICP_Tier__c",
        "segment": "ICP_Segment__c",
        "reasons": "ICP_Reasons__c",
    },
}


#: What a record id looks like in each CRM: Salesforce's 15- or 18-character ids, HubSpot's
#: numeric Record IDs. An id of another shape (a billing system's "7590-VHVEG") matches nothing.
ID_PATTERNS: dict[str, str] = {
    "salesforce": r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$",
    "hubspot": r"^[0-9]+$",
}


@dataclass(frozen=True)
class CrmExport:
    """The import file's rows plus how many scored accounts could not be matched to a record.

    ``foreign_ids`` counts written rows whose id has not the CRM's shape (:data:`ID_PATTERNS`):
    an update keyed on them matches no record, so the caller should say so.
    """

    frame: pl.DataFrame
    matched: int
    unmatched: int
    ambiguous: int
    foreign_ids: int = 0


def normalize_domain(expr: pl.Expr) -> pl.Expr:
    """``https://www.Acme.com/about`` → ``acme.com`` (vectorised)."""
    from icpkit.columns.parsing import normalize_domain as _nd

    return _nd(expr)


def _key_columns(names: list[str], icp: ICP) -> tuple[str | None, str | None]:
    wanted = {"id": icp.columns.get("id", "id"), "domain": icp.columns.get("domain", "domain")}
    found = resolve_columns(names, list(wanted.values()))
    id_col = found.get(wanted["id"])
    dom_col = found.get(wanted["domain"])
    if dom_col is None:
        dom_col = resolve_columns(names, ["website"]).get("website")
    return id_col, dom_col


def crm_export(
    scored: pl.DataFrame,
    icp: ICP,
    *,
    target: Target,
    records: pl.DataFrame | None = None,
) -> CrmExport:
    """Rows for a CRM import; ``records`` is a CRM export used to look ids up by domain."""
    if target not in FIELDS:
        raise UsageError(f"unknown CRM {target!r}; choose hubspot or salesforce")
    fields = FIELDS[target]
    id_col, dom_col = _key_columns(scored.columns, icp)
    if id_col is None and dom_col is None:
        raise InputError(
            "the scored file has neither an id nor a domain column to match CRM records by"
        )
    reasons = scored["reasons"]
    if reasons.dtype != pl.String or reasons.str.contains(r"^[+?-]*$").all():
        reasons = expand_reasons(reasons, icp)
    segment_names = {s.id: s.name for s in icp.segments}
    base = pl.DataFrame(
        {
            "id": scored[id_col].cast(pl.String)
            if id_col
            else pl.Series([None] * scored.height, dtype=pl.String),
            "domain": scored[dom_col].cast(pl.String)
            if dom_col
            else pl.Series([None] * scored.height, dtype=pl.String),
            "fit_score": scored["fit_score"],
            "tier": scored["tier"],
            "segment": scored["segment"].replace_strict(
                list(segment_names),
                list(segment_names.values()),
                default=None,
                return_dtype=pl.String,
            ),
            "reasons": reasons,
        }
    ).with_columns(normalize_domain(pl.col("domain")).alias("domain"))
    ambiguous = 0
    if records is not None:
        rid, rdom = _key_columns(records.columns, ICP())
        if rid is None or rdom is None:
            raise InputError("the CRM export needs an id and a domain (or website) column")
        lookup = records.select(
            pl.col(rid).cast(pl.String).alias("crm_id"),
            normalize_domain(pl.col(rdom).cast(pl.String)).alias("domain"),
        ).drop_nulls("domain")
        dup = lookup["domain"].is_duplicated()
        ambiguous_domains = lookup.filter(dup)["domain"].unique()
        lookup = lookup.filter(~dup)
        ambiguous = (
            int(base["domain"].is_in(ambiguous_domains.implode()).sum())
            if len(ambiguous_domains)
            else 0
        )
        base = (
            base.join(lookup, on="domain", how="left", maintain_order="left")
            # A file id of the CRM's shape wins; another system's id ("7590-VHVEG") gives way
            # to the record found by domain, and is kept only where none is.
            .with_columns(
                pl.coalesce(
                    pl.when(pl.col("id").str.strip_chars().str.contains(ID_PATTERNS[target])).then(
                        "id"
                    ),
                    "crm_id",
                    "id",
                ).alias("id")
            )
            .drop("crm_id")
        )
    if target == "salesforce":
        keep = base["id"].is_not_null()
    else:
        keep = base["id"].is_not_null() | base["domain"].is_not_null()
    out = base.filter(keep)
    matched = out.height
    cols = [pl.col(k).alias(v) for k, v in fields.items()]
    ids = out["id"].drop_nulls().str.strip_chars()
    foreign = int((~ids.str.contains(ID_PATTERNS[target])).sum())
    return CrmExport(
        frame=out.select(cols),
        matched=matched,
        unmatched=scored.height - matched,
        ambiguous=ambiguous,
        foreign_ids=foreign,
    )


__all__ = ["FIELDS", "ID_PATTERNS", "CrmExport", "Target", "crm_export", "normalize_domain"]
