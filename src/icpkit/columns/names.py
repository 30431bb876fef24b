"""Header names: the CRM/warehouse header map, snake_case, and the name patterns that hint at
roles, layers and outcomes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import polars as pl

from icpkit.columns.schema import OutcomeKind

# Export headers (HubSpot, Salesforce, common warehouse names) keyed by their snake_case form.
_HEADER_MAP: dict[str, str] = {
    # HubSpot
    "record_id": "id",
    "company_name": "name",
    "company_domain_name": "domain",
    "website_url": "website",
    "number_of_employees": "employees",
    "annual_revenue": "revenue",
    "country_region": "country",
    "state_region": "region",
    "close_date": "close_date",
    "create_date": "created_date",
    "lifecycle_stage": "lifecycle_stage",
    "lead_status": "lead_status",
    "total_revenue": "total_revenue",
    "type": "account_type",
    "company_type": "account_type",
    "time_zone": "time_zone",
    "became_a_customer_date": "customer_since",
    # Salesforce
    "account_id": "id",
    "account_name": "name",
    "employees": "employees",
    "annualrevenue": "revenue",
    "billing_country": "country",
    "billingcountry": "country",
    "billing_state_province": "region",
    "billingstate": "region",
    "billing_city": "city",
    "billingcity": "city",
    "opportunity_stage": "stage",
    "stage_name": "stage",
    "stagename": "stage",
    "is_won": "won",
    "iswon": "won",
    "is_closed": "is_closed",
    "isclosed": "is_closed",
    "closedate": "close_date",
    "created_date": "created_date",
    "createddate": "created_date",
    # warehouse
    "company_id": "id",
    "customer_id": "id",
    "company_domain": "domain",
    "website_domain": "domain",
    "employee_count": "employees",
    "num_employees": "employees",
    "headcount": "employees",
    "company_size": "employees",
    "revenue_usd": "revenue",
    "state": "region",
    "state_province": "region",
    "technologies": "tech_stack",
}

TECHNOGRAPHIC_NAMES = re.compile(
    r"(^|_)(tech\w*|stack|technolog\w*|platforms?|cms|crm|esp|tools?|tooling|integrations?)($|_)"
    r"|^uses_"
    # `icp enrich` writes has_<category> flags; the categories are technology categories.
    r"|^has_(live_chat|ecommerce|analytics|marketing_automation|tag_managers?|crm|cms|"
    r"payment\w*|a_b_testing|ab_testing|customer_data_platform|cookie_compliance|reviews|"
    r"email|hosting|cdn|paas|web_servers?|javascript\w*|web_frameworks|advertising|"
    r"retargeting|surveys|widgets|loyalty\w*|referral\w*|search\w*|personali[sz]ation)$"
)

# Behavioural = what a company is doing now. Growth and intent measures are behavioural
# whatever their type; event words (funding, leadership change ...) only on the event itself:
# its date, a recency ("days since"), or a flag. The size of the event (funding_total_usd,
# funding_rounds) is firmographic: it describes what the company is, not a moment to act on.
BEHAVIOURAL_NAMES = re.compile(
    r"growth|intent|hiring|hires|job_post|engagement|web_traffic|visits|surge|trend|momentum"
)

EVENT = re.compile(r"funding|funded|raised|trigger|leader|replatform|signal|launch")

# A change is an event even when its subject is technographic: "added_tech_90d" and
# "stack_change_90d" say what a company is doing now, not what it runs.
CHANGE = re.compile(r"(^|_)(added|removed|adopted|dropped|change|changes|changed)($|_)")

# The type of the latest round (icp signals export's funding_stage) belongs to the event.
EVENT_TYPE = re.compile(r"^(last_|latest_)?(funding|round)_(stage|type)$")

RECENCY = re.compile(r"(^|_)(days_since|months_since|recent|recently|last_\w*_days)($|_)")

SIZE = re.compile(r"(^|_)(employees|headcount|staff|seats|company_size|size|revenue)($|_)")

MONEY_UNITS = ("money", "count", "year")

#: Header patterns that mark outcome columns, by outcome kind (first match wins).
OUTCOME_PATTERNS: tuple[tuple[OutcomeKind, re.Pattern[str]], ...] = (
    (OutcomeKind.LABEL, re.compile(r"^(label|icp_label|best_worst|outcome|outcome_label)$")),
    (OutcomeKind.CHURNED, re.compile(r"(^|_)(churn|churned|is_churned|churn_date|churned_at)$")),
    (OutcomeKind.WON, re.compile(r"^(won|is_won|closed_won|win|stage|deal_stage|deal_won)$")),
    (
        OutcomeKind.STATUS,
        re.compile(
            r"^(status|lifecycle_stage|lead_status|account_status|customer_status|is_closed)$"
        ),
    ),
    (
        OutcomeKind.EXPANSION,
        re.compile(r"(^|_)(nrr|net_revenue_retention|net_retention|expansion\w*|upsell\w*)"),
    ),
    (
        OutcomeKind.VALUE,
        re.compile(
            r"(^|_)(ltv|clv|arr|mrr|acv|tcv)($|_)|lifetime_value|contract_value"
            r"|^deal_(amount|value|size)|^amount$|^total_revenue$"
        ),
    ),
    (OutcomeKind.RETENTION, re.compile(r"tenure|retention|months_active|customer_months")),
    (OutcomeKind.SUPPORT, re.compile(r"support_tickets?|^tickets?($|_)|ticket_count")),
    (OutcomeKind.SALES_CYCLE, re.compile(r"sales_cycle|days_to_close|cycle_days")),
    (OutcomeKind.ONBOARDING, re.compile(r"onboarding|time_to_value|ttv|implementation_days")),
)

#: Headers read as the purchase / close date that timing windows count back from.
REFERENCE_DATES = (
    "close_date",
    "closed_date",
    "won_date",
    "closed_won_date",
    "purchase_date",
    "first_purchase_date",
    "customer_since",
    "contract_start_date",
    "closed_at",
    "won_at",
)

BOOKKEEPING_DATES = re.compile(r"^(created|modified|updated|last_modified)(_date|_at)?$")

ID_NAMES = re.compile(r"^(id|uuid|permalink|record_id|external_id)$")

# Names that say "identifier": ``*_id``, ``*_uuid``, ``sellerid``-style run-together names.
IDLIKE_NAME = re.compile(
    r"(^|_)(id|ids|uuid|guid)$|^(account|customer|company|seller|user|order|org|contact|lead"
    r"|deal|record|external|client|vendor|partner|product|opportunity|owner|parent)id$"
)

DOMAIN_NAMES = ("domain", "website", "url", "website_url", "homepage")

LIST_HINT = re.compile(r"tech|stack|tools?|tags?|integrations?|categories|_list$|platforms")


def snake_case(header: str) -> str:
    """ASCII snake_case of a header (``Company Name`` -> ``company_name``), no CRM mapping."""
    s = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", s.strip())  # camelCase -> camel_Case
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    s = re.sub(r"_+", "_", s)
    if not s:
        return "column"
    return f"c_{s}" if s[0].isdigit() else s


def canonical_name(header: str) -> str:
    """The name a header gets downstream: the CRM/warehouse map first, else snake_case ASCII."""
    plain = re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")
    return _HEADER_MAP.get(plain) or _HEADER_MAP.get(snake_case(header)) or snake_case(header)


def canonical_headers(headers: Sequence[str]) -> dict[str, str]:
    """canonical -> source, suffixing ``_2``, ``_3`` where two headers map to one name."""
    out: dict[str, str] = {}
    for h in headers:
        base = canonical_name(h)
        name, i = base, 2
        while name in out:
            name, i = f"{base}_{i}", i + 1
        out[name] = h
    return out


def canonical_frame(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every header renamed as :func:`canonical_headers` names it."""
    return df.rename({src: name for name, src in canonical_headers(df.columns).items()})


def resolve_columns(names: Sequence[str], wanted: Sequence[str]) -> dict[str, str]:
    """Map each wanted canonical column to an input column: exact name first, then by header."""
    out: dict[str, str] = {}
    for w in wanted:
        if w in names:
            out[w] = w
    for n in names:
        canon = canonical_name(n)
        if canon in wanted and canon not in out:
            out[canon] = n
    return out


__all__ = [
    "OUTCOME_PATTERNS",
    "REFERENCE_DATES",
    "canonical_frame",
    "canonical_headers",
    "canonical_name",
    "resolve_columns",
    "snake_case",
]
