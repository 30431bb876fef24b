"""Synthetic B2B data with a planted ground truth.

Discovery can only be tested honestly against data whose answer is known. This module builds a
realistic, messy customer export (HubSpot-style headers, inconsistent casing, thousands
separators, "$12M" revenues, missing values, a multi-valued tech stack) in which a few planted
segments drive a latent account quality, and every outcome column is derived from that quality
plus noise. Tests then check that discovery recovers :class:`PlantedTruth` and that it finds
nothing once the outcomes are shuffled.

Everything is vectorised numpy/polars and driven by one ``np.random.default_rng(seed)``, so a
seed always yields the same frame and a million prospects take a couple of seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl

from icpkit.errors import InputError

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "CUSTOMER_ONLY_COLUMNS",
    "OUTCOME_COLUMNS",
    "TECH_CATEGORIES",
    "WIDE_PLANTED",
    "PlantedCriterion",
    "PlantedSegment",
    "PlantedTruth",
    "SampleData",
    "generate_customers",
    "generate_prospects",
    "generate_wide",
    "write_demo_files",
]


@dataclass(frozen=True)
class PlantedCriterion:
    """One planted condition, phrased on the canonical columns ``icpkit.columns.prepare`` yields.

    ``values`` are normalised (lower-case) categories or tool names; ``low``/``high`` bound a
    numeric band ``[low, high)``; ``lacks_category`` means "no tool of this category". For a date
    column the band is in days *before the reference date* (the close date for customers).
    """

    column: str
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    lacks_category: str | None = None


@dataclass(frozen=True)
class PlantedSegment:
    """A conjunction of criteria that raises account quality."""

    name: str
    criteria: tuple[PlantedCriterion, ...]


@dataclass(frozen=True)
class PlantedTruth:
    """What discovery should find: good segments, one anti-signal and behavioural boosters."""

    segments: tuple[PlantedSegment, ...]
    anti_signal: PlantedCriterion
    boosters: tuple[PlantedCriterion, ...]


@dataclass(frozen=True)
class SampleData:
    """A generated customer export together with the truth planted in it."""

    customers: pl.DataFrame
    truth: PlantedTruth


# --------------------------------------------------------------------------------------------
# Vocabulary

_TOOLS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "ecommerce": (
        "Shopify",
        "Shopify Plus",
        "Magento",
        "WooCommerce",
        "BigCommerce",
        "Salesforce Commerce Cloud",
    ),
    "live chat": ("Intercom", "Drift", "Zendesk Chat", "LiveChat", "Tidio", "Gorgias"),
    "marketing automation": ("HubSpot", "Marketo", "Pardot", "Klaviyo", "Mailchimp"),
    "analytics": ("Google Analytics", "Segment", "Mixpanel", "Amplitude", "Hotjar"),
    "crm": ("Salesforce",),
    "payments": ("Stripe", "Adyen", "PayPal"),
    "cms": ("WordPress", "Webflow", "Contentful"),
}

TECH_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {tool: category for category, tools in _TOOLS_BY_CATEGORY.items() for tool in tools}
)
"""Tool display name -> category, for every tool the generator writes into ``Tech Stack``."""

_INDUSTRIES = (
    "SaaS",
    "Fintech",
    "E-commerce",
    "Retail",
    "Healthcare",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
    "Professional Services",
    "Real Estate",
)
_INDUSTRY_P = (0.20, 0.09, 0.15, 0.10, 0.08, 0.09, 0.06, 0.06, 0.06, 0.07, 0.04)
# Messy spellings that normalise (strip, collapse whitespace, lower-case) to the same value.
_INDUSTRY_ALT = {"Fintech": "FinTech", "E-commerce": "E-Commerce", "SaaS": "Saas"}

_COUNTRIES = (
    "United States",
    "United Kingdom",
    "Germany",
    "France",
    "Canada",
    "Australia",
    "Netherlands",
    "India",
    "Brazil",
    "Spain",
)
_COUNTRY_P = (0.40, 0.12, 0.09, 0.07, 0.07, 0.06, 0.05, 0.05, 0.05, 0.04)
_COUNTRY_TLD = (".com", ".co.uk", ".de", ".fr", ".ca", ".com.au", ".nl", ".in", ".com.br", ".es")

_NAME_HEADS = (
    "Blue", "North", "Bright", "Silver", "Iron", "Green", "Red", "Swift", "Clear", "Deep",
    "True", "Open", "High", "Bold", "Quiet", "Rapid", "Solid", "Prime", "Lumen", "Nova",
    "Atlas", "Orbit", "Pixel", "Vector", "Cedar", "Maple", "Harbor", "Summit", "River", "Stone",
    "Cloud", "Signal", "Beacon", "Falcon", "Copper", "Amber", "Polar", "Zenith", "Echo", "Kite",
)  # fmt: skip
_NAME_TAILS = (
    "wave", "stack", "leaf", "path", "forge", "works", "point", "bridge", "field", "line",
    "gate", "loop", "base", "mark", "shift", "grid", "scale", "craft", "flow", "spark",
    "ly", "io", "hub", "labs", "nest", "port", "sense", "wise", "ware", "cast",
)  # fmt: skip
_NAME_SUFFIXES = (
    "", "", "", " Inc.", " Ltd", " GmbH", " Group", " Technologies", " Co.", " Systems",
    " Solutions", " Partners", " AI", " Health", " Logistics", " Media",
)  # fmt: skip

# Public column groups, so tests and callers need not hard-code the header list.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "Lifecycle Stage",
    "Churned",
    "ARR",
    "Expansion (%)",
    "Retention (months)",
    "Support Tickets (12m)",
    "Sales Cycle (days)",
    "Onboarding (days)",
)
"""Customer columns derived from the latent quality (shuffled jointly by ``shuffle_outcomes``)."""

CUSTOMER_ONLY_COLUMNS: tuple[str, ...] = ("Close Date",)
"""Attribute columns that only exist once a company has bought (absent from prospects)."""

ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "Record ID",
    "Company name",
    "Company Domain Name",
    "Industry",
    "Number of Employees",
    "Annual Revenue",
    "Country/Region",
    "Business Model",
    "Deployment",
    "Tech Stack",
    "Last Funding Date",
    "Create Date",
    "Hiring Growth 6m (%)",
    "Intent Score",
    "Leadership Change (12m)",
)
"""Columns shared by customers and prospects, in prospect column order."""

_CUSTOMER_COLUMNS = (
    *ATTRIBUTE_COLUMNS[:11],
    "Close Date",
    *ATTRIBUTE_COLUMNS[11:],
    *OUTCOME_COLUMNS,
)

_TRUTH = PlantedTruth(
    segments=(
        PlantedSegment(
            name="saas-fintech-midmarket",
            criteria=(
                PlantedCriterion("industry", values=("saas", "fintech")),
                PlantedCriterion("employees", low=200.0, high=1000.0),
            ),
        ),
        PlantedSegment(
            name="shopify-plus-no-chat",
            criteria=(
                PlantedCriterion("tech_stack", values=("shopify plus",)),
                PlantedCriterion("tech_stack", lacks_category="live chat"),
            ),
        ),
    ),
    anti_signal=PlantedCriterion("deployment", values=("on-prem",)),
    boosters=(PlantedCriterion("last_funding_date", low=0.0, high=180.0),),
)

# Effect sizes on the latent quality (standard-normal noise).
_EFFECT_SEGMENT = 2.2
_EFFECT_ANTI = -2.0
_EFFECT_BOOSTER = 0.7

_EPOCH = date(1970, 1, 1)


def _days(d: date) -> int:
    return (d - _EPOCH).days


# --------------------------------------------------------------------------------------------
# Small vectorised helpers


def _pick(
    rng: np.random.Generator,
    n: int,
    probs: np.ndarray | tuple[float, ...],
    *,
    where: np.ndarray | None = None,
    otherwise: np.ndarray | tuple[float, ...] | None = None,
) -> np.ndarray:
    """Draw category codes from ``probs`` (rows in ``where``) or ``otherwise`` (other rows)."""
    u = rng.random(n)

    def codes(p: np.ndarray | tuple[float, ...]) -> np.ndarray:
        cum = np.cumsum(np.asarray(p, dtype=np.float64))
        return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)

    if where is None or otherwise is None:
        return codes(probs)
    return np.where(where, codes(probs), codes(otherwise))


def _labels(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes)


def _thousands(expr: pl.Expr) -> pl.Expr:
    """Format a non-negative integer expression with comma thousands separators (< 10**12)."""
    x = expr.cast(pl.Int64)

    def group(e: pl.Expr) -> pl.Expr:
        return (e % 1000).cast(pl.String).str.zfill(3)

    return (
        pl.when(x >= 1_000_000_000)
        .then(
            pl.format(
                "{},{},{},{}", x // 1_000_000_000, group(x // 1_000_000), group(x // 1000), group(x)
            )
        )
        .when(x >= 1_000_000)
        .then(pl.format("{},{},{}", x // 1_000_000, group(x // 1000), group(x)))
        .when(x >= 1000)
        .then(pl.format("{},{}", x // 1000, group(x)))
        .otherwise(x.cast(pl.String))
    )


def _variants(
    raw: pl.DataFrame, name: str, code_col: str, base: pl.Expr, variants: Mapping[int, pl.Expr]
) -> pl.Series:
    """``base`` for every row, replaced by ``variants[code]`` where ``code_col`` equals code."""
    out = raw.select(base.alias(name)).to_series()
    codes = raw.get_column(code_col).cast(pl.Int64).to_numpy()
    for code, expr in variants.items():
        idx = np.flatnonzero(codes == code)
        if idx.size:
            out = out.scatter(idx, raw[idx].select(expr).to_series().cast(out.dtype))
    return out


def _messy_industry(raw: pl.DataFrame) -> pl.Series:
    """The industry as CRM exports spell it: case, padding, alternative spellings (by the
    ``industry_mess`` code of each row)."""
    ind = pl.col("industry")
    return _variants(
        raw,
        "industry",
        "industry_mess",
        ind,
        {
            1: ind.str.to_lowercase(),
            2: pl.format(" {} ", ind),
            3: ind.str.to_uppercase(),
            4: ind.replace(_INDUSTRY_ALT),
            5: pl.format("{}  ", ind.str.replace(" ", "  ")),
        },
    )


def _null_where(expr: pl.Expr, mask_col: str) -> pl.Expr:
    return pl.when(pl.col(mask_col)).then(None).otherwise(expr)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


# --------------------------------------------------------------------------------------------
# Attributes shared by customers and prospects


@dataclass(frozen=True)
class _Latent:
    """Clean, latent facts behind the messy columns (used to plant the truth)."""

    in_segment_a: np.ndarray
    in_segment_b: np.ndarray
    on_prem: np.ndarray
    booster: np.ndarray
    employees: np.ndarray


@dataclass(frozen=True)
class _Firmographics:
    """Category codes and sizes drawn first: the stack, the mess and the latent facts read them."""

    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    country: np.ndarray
    business_model: np.ndarray
    deployment: np.ndarray

    @property
    def saas_fin(self) -> np.ndarray:
        return self.industry <= 1

    @property
    def ecom(self) -> np.ndarray:
        return (self.industry == 2) | (self.industry == 3)


@dataclass(frozen=True)
class _Funding:
    """Whether each company is funded and how many days before the reference date."""

    funded: np.ndarray
    lag: np.ndarray
    days: np.ndarray


def _draw_firmographics(rng: np.random.Generator, n: int) -> _Firmographics:
    """Industry first, then size, country, model and deployment conditioned on it, as in life."""
    industry = _pick(rng, n, np.asarray(_INDUSTRY_P))
    saas_fin = industry <= 1
    ecom = (industry == 2) | (industry == 3)
    log_mu = np.where(saas_fin, np.log(300.0), np.where(ecom, np.log(120.0), np.log(180.0)))
    log_sd = np.where(saas_fin, 1.3, 1.5)
    employees = np.clip(np.exp(rng.normal(log_mu, log_sd)), 5, 50_000).round().astype(np.int64)
    revenue = employees * np.exp(rng.normal(np.log(140_000.0), 0.5, n))

    country = _pick(rng, n, np.asarray(_COUNTRY_P))
    business_model = _pick(rng, n, (0.15, 0.65, 0.20), where=ecom, otherwise=(0.75, 0.10, 0.15))
    deployment = _pick(
        rng,
        n,
        (0.62, 0.20, 0.18),
        where=(industry == 4) | (industry == 5),
        otherwise=(0.72, 0.19, 0.09),
    )
    return _Firmographics(industry, employees, revenue, country, business_model, deployment)


def _draw_stack(rng: np.random.Generator, n: int, firm: _Firmographics) -> dict[str, np.ndarray]:
    """At most one tool per category, 0-6 tools in all, adoption depending on the industry.

    ``stack_codes[category]`` is the index of the tool used, or ``len(tools)`` for none, so the
    planted "Shopify Plus without live chat" segment can be read off the codes.
    """
    ecom, saas_fin = firm.ecom, firm.saas_fin
    adoption = {
        "ecommerce": np.where(ecom, 0.93, 0.07),
        "live chat": np.where(ecom, 0.35, 0.40),
        "marketing automation": np.full(n, 0.6),
        "analytics": np.full(n, 0.65),
        "crm": np.where(saas_fin, 0.45, 0.25),
        "payments": np.where(ecom | (firm.industry == 1), 0.6, 0.2),
        "cms": np.full(n, 0.3),
    }
    weights: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {  # (ecommerce, other)
        "ecommerce": ((0.09, 0.75, 0.04, 0.04, 0.04, 0.04), (0.35, 0.30, 0.10, 0.15, 0.10, 0.0)),
        "marketing automation": ((0.15, 0.05, 0.05, 0.55, 0.20), (0.45, 0.20, 0.15, 0.05, 0.15)),
    }
    stack_codes: dict[str, np.ndarray] = {}
    n_tools = np.zeros(n, dtype=np.int64)
    for category, tools in _TOOLS_BY_CATEGORY.items():
        has = rng.random(n) < adoption[category]
        if category in weights:
            for_ecom, for_other = weights[category]
            choice = _pick(rng, n, for_ecom, where=ecom, otherwise=for_other)
        else:
            choice = rng.integers(0, len(tools), n)
        if category == "cms":
            has &= n_tools < 6  # keep the stack at six tools or fewer
        n_tools += has
        stack_codes[category] = np.where(has, choice, len(tools))
    return stack_codes


def _draw_funding(
    rng: np.random.Generator,
    n: int,
    reference_days: np.ndarray,
    as_of_days: int,
    funding_after_reference: bool,
) -> _Funding:
    """~40% funded: recently, long ago, or (customers only) after the close date.

    The reference date is the close date for customers and ``as_of`` for prospects, so "funded
    in the last 180 days" means the same thing for both.
    """
    funded = rng.random(n) < 0.40
    kind = _pick(rng, n, np.array([0.32, 0.55, 0.13]))
    lag_recent = rng.integers(0, 180, n)
    lag_old = rng.integers(180, 1800, n)
    room = np.maximum(as_of_days - reference_days, 0)
    lag_after = -(np.floor(rng.random(n) * room).astype(np.int64) + 1)
    if not funding_after_reference:
        kind = np.where(kind == 2, 1, kind)
    kind = np.where((kind == 2) & (room < 1), 1, kind)
    lag = np.select([kind == 0, kind == 1], [lag_recent, lag_old], lag_after)
    return _Funding(funded=funded, lag=lag, days=reference_days - lag)


def _draw_activity(rng: np.random.Generator, n: int, reference_days: np.ndarray) -> dict[str, Any]:
    """Raw columns for the behavioural signals: record creation, hiring, intent, leadership."""
    create_days = reference_days - (14 + rng.exponential(220.0, n)).astype(np.int64)
    return {
        "create": _dates(create_days),
        "hiring": np.round(rng.normal(6.0, 14.0, n), 1),
        "intent": np.clip(np.round(rng.beta(2.0, 3.0, n) * 100), 0, 100).astype(np.int64),
        "leadership": rng.random(n) < 0.22,
    }


def _draw_identity(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """Raw columns a company name and domain are assembled from (one or two heads, a tail)."""
    name_head = rng.integers(0, len(_NAME_HEADS), n)
    name_tail = rng.integers(0, len(_NAME_TAILS), n)
    name_head2 = rng.integers(0, len(_NAME_HEADS), n)
    two_word = rng.random(n) < 0.45
    name_suffix = rng.integers(0, len(_NAME_SUFFIXES), n)
    domain_style = _pick(rng, n, np.array([0.70, 0.12, 0.08, 0.05, 0.05]))
    return {
        "head": _labels(_NAME_HEADS, name_head),
        "head2": _labels(_NAME_HEADS, name_head2),
        "tail": _labels(_NAME_TAILS, name_tail),
        "two_word": two_word,
        "suffix": _labels(_NAME_SUFFIXES, name_suffix),
        "domain_style": domain_style,
    }


def _draw_mess(rng: np.random.Generator, n: int, employees: np.ndarray) -> dict[str, Any]:
    """Variant codes and missingness masks, all drawn up front so the seed fixes them.

    About 5% of employee counts are written with thousands separators, which only counts of
    1,000 or more can carry.
    """
    industry_mess = _pick(rng, n, np.array([0.90, 0.03, 0.025, 0.02, 0.015, 0.01]))
    emp_comma_p = min(1.0, 0.05 / max(float((employees >= 1000).mean()), 1e-9))
    emp_comma = (employees >= 1000) & (rng.random(n) < emp_comma_p)
    revenue_style = _pick(rng, n, np.array([0.95, 0.03, 0.02]))
    deploy_mess = rng.random(n) < 0.03
    stack_lower = rng.random(n) < 0.03
    miss = {
        "industry": rng.random(n) < 0.03,
        "employees": rng.random(n) < 0.04,
        "revenue": rng.random(n) < 0.05,
        "country": rng.random(n) < 0.02,
        "business_model": rng.random(n) < 0.03,
        "deployment": rng.random(n) < 0.03,
        "stack": rng.random(n) < 0.05,
        "hiring": rng.random(n) < 0.06,
        "intent": rng.random(n) < 0.08,
        "leadership": rng.random(n) < 0.05,
    }
    return {
        "industry_mess": industry_mess,
        "emp_comma": emp_comma,
        "revenue_style": revenue_style,
        "deploy_mess": deploy_mess,
        "stack_lower": stack_lower,
        **{f"miss_{k}": v for k, v in miss.items()},
    }


def _messy_columns(raw: pl.DataFrame) -> pl.DataFrame:
    """Industry, employees, revenue, deployment, stack and domain as CRM exports spell them.

    Messy spellings touch a few percent of rows, so each variant is computed on its rows only
    and scattered into the clean column (when/then would format every row for every variant).
    """
    rev = pl.col("revenue")
    bare_domain = pl.concat_str(
        [
            pl.col("head").str.to_lowercase(),
            pl.when(pl.col("two_word"))
            .then(pl.col("head2").str.to_lowercase())
            .otherwise(pl.lit("")),
            pl.col("tail"),
            pl.col("tld"),
        ]
    )
    stack = pl.concat_str(
        [pl.col(f"stack_{category}") for category in _TOOLS_BY_CATEGORY],
        separator="; ",
        ignore_nulls=True,
    )
    return pl.DataFrame(
        [
            _messy_industry(raw),
            _variants(
                raw,
                "employees",
                "emp_comma",
                pl.col("employees").cast(pl.String),
                {1: _thousands(pl.col("employees"))},
            ),
            _variants(
                raw,
                "revenue",
                "revenue_style",
                ((rev / 1e3).round(0) * 1000).cast(pl.Int64).cast(pl.String),
                {
                    1: pl.when(rev >= 1e6)
                    .then(pl.format("${}M", (rev / 1e6).round(0).cast(pl.Int64)))
                    .otherwise(pl.format("${}K", (rev / 1e3).round(0).cast(pl.Int64))),
                    2: _thousands((rev / 1e3).round(0) * 1000),
                },
            ),
            _variants(
                raw,
                "deployment",
                "deploy_mess",
                pl.col("deployment"),
                {1: pl.col("deployment").str.to_uppercase()},
            ),
            _variants(raw, "stack", "stack_lower", stack, {1: stack.str.to_lowercase()}),
            _variants(
                raw,
                "domain",
                "domain_style",
                bare_domain,
                {
                    1: pl.format("https://www.{}/", bare_domain),
                    2: pl.format("http://{}/about", bare_domain),
                    3: pl.format("www.{}", bare_domain).str.to_uppercase(),
                    4: pl.lit(None, dtype=pl.String),
                },
            ),
        ]
    )


def _export_columns() -> list[pl.Expr]:
    """The raw frame's columns under HubSpot headers, with the drawn cells made missing."""
    name_expr = pl.concat_str(
        [
            pl.col("head"),
            pl.when(pl.col("two_word"))
            .then(pl.format(" {}", pl.col("head2")))
            .otherwise(pl.lit("")),
            pl.col("tail"),
            pl.col("suffix"),
        ]
    )
    return [
        pl.col("id").alias("Record ID"),
        name_expr.alias("Company name"),
        pl.col("messy_domain").alias("Company Domain Name"),
        _null_where(pl.col("messy_industry"), "miss_industry").alias("Industry"),
        _null_where(pl.col("messy_employees"), "miss_employees").alias("Number of Employees"),
        _null_where(pl.col("messy_revenue"), "miss_revenue").alias("Annual Revenue"),
        _null_where(pl.col("country"), "miss_country").alias("Country/Region"),
        _null_where(pl.col("business_model"), "miss_business_model").alias("Business Model"),
        _null_where(pl.col("messy_deployment"), "miss_deployment").alias("Deployment"),
        _null_where(pl.col("messy_stack"), "miss_stack").alias("Tech Stack"),
        pl.when(pl.col("funded")).then(pl.col("funding")).alias("Last Funding Date"),
        pl.col("create").alias("Create Date"),
        _null_where(pl.col("hiring"), "miss_hiring").alias("Hiring Growth 6m (%)"),
        _null_where(pl.col("intent"), "miss_intent").alias("Intent Score"),
        _null_where(
            pl.when(pl.col("leadership")).then(pl.lit("Yes")).otherwise(pl.lit("No")),
            "miss_leadership",
        ).alias("Leadership Change (12m)"),
    ]


def _attributes(
    rng: np.random.Generator,
    n: int,
    *,
    id_base: int,
    reference_days: np.ndarray,
    funding_after_reference: bool,
    as_of: date,
) -> tuple[pl.DataFrame, _Latent]:
    """Draw the attribute columns (HubSpot headers, messy) and the latent facts behind them.

    The steps draw from ``rng`` in a fixed order (ids, firmographics, stack, funding, activity,
    identity, mess): reordering them would change every frame a seed has ever produced.
    """
    ids = id_base + np.cumsum(rng.integers(1, 40, n, dtype=np.int64))
    firm = _draw_firmographics(rng, n)
    stack_codes = _draw_stack(rng, n, firm)
    funding = _draw_funding(rng, n, reference_days, _days(as_of), funding_after_reference)
    activity = _draw_activity(rng, n, reference_days)
    identity = _draw_identity(rng, n)
    mess = _draw_mess(rng, n, firm.employees)

    raw = pl.DataFrame(
        {
            "id": ids,
            "industry": _labels(_INDUSTRIES, firm.industry),
            "employees": firm.employees,
            "revenue": firm.revenue,
            "country": _labels(_COUNTRIES, firm.country),
            "tld": _labels(_COUNTRY_TLD, firm.country),
            "business_model": _labels(("B2B", "B2C", "B2B2C"), firm.business_model),
            "deployment": _labels(("Cloud", "Hybrid", "On-prem"), firm.deployment),
            "funded": funding.funded,
            "funding": _dates(funding.days),
            **activity,
            **identity,
            **mess,
            **{
                f"stack_{category}": pl.Series([*tools, None], dtype=pl.String).gather(
                    stack_codes[category]
                )
                for category, tools in _TOOLS_BY_CATEGORY.items()
            },
        }
    )
    raw = raw.with_columns(_messy_columns(raw).rename(lambda c: f"messy_{c}"))
    frame = raw.select(_export_columns())

    has_shopify_plus = stack_codes["ecommerce"] == _TOOLS_BY_CATEGORY["ecommerce"].index(
        "Shopify Plus"
    )
    has_chat = stack_codes["live chat"] < len(_TOOLS_BY_CATEGORY["live chat"])
    employees = firm.employees
    latent = _Latent(
        in_segment_a=firm.saas_fin & (employees >= 200) & (employees < 1000),
        in_segment_b=has_shopify_plus & ~has_chat,
        on_prem=firm.deployment == 2,
        booster=funding.funded & (funding.lag >= 0) & (funding.lag < 180),
        employees=employees,
    )
    return frame, latent


# --------------------------------------------------------------------------------------------
# Public generators


def generate_customers(
    n: int = 6000,
    *,
    seed: int = 7,
    shuffle_outcomes: bool = False,
    as_of: date = date(2026, 6, 30),
) -> SampleData:
    """A messy HubSpot-style customer export whose outcomes follow a planted truth.

    Segment membership, the on-prem anti-signal and the recent-funding booster set a latent
    quality; ARR, churn, expansion, retention, support load, sales cycle and onboarding are all
    derived from it with noise. ``shuffle_outcomes=True`` permutes the outcome columns jointly
    across rows, keeping their marginals but destroying every signal (the null check).
    """
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    rng = np.random.default_rng(seed)
    start_days = _days(date(2021, 1, 1))
    as_of_days = _days(as_of)
    if as_of_days <= start_days:
        raise InputError(f"as_of must be after 2021-01-01, got {as_of}")
    close_days = rng.integers(start_days, as_of_days + 1, n)

    frame, latent = _attributes(
        rng,
        n,
        id_base=1_000_000_000,
        reference_days=close_days,
        funding_after_reference=True,
        as_of=as_of,
    )
    quality = (
        _EFFECT_SEGMENT * (latent.in_segment_a | latent.in_segment_b)
        + _EFFECT_ANTI * latent.on_prem
        + _EFFECT_BOOSTER * latent.booster
        + rng.normal(0.0, 1.0, n)
    )
    outcomes = _outcomes(rng, quality, latent, close_days, as_of_days)
    if shuffle_outcomes:
        outcomes = outcomes[rng.permutation(n)]

    customers = pl.concat(
        [frame.with_columns(_dates(close_days).alias("Close Date")), outcomes],
        how="horizontal",
    ).select(_CUSTOMER_COLUMNS)
    return SampleData(customers=customers, truth=_TRUTH)


def _outcomes(
    rng: np.random.Generator,
    quality: np.ndarray,
    latent: _Latent,
    close_days: np.ndarray,
    as_of_days: int,
) -> pl.DataFrame:
    """Derive every outcome metric from the latent quality plus independent noise."""
    n = quality.shape[0]
    on_prem = latent.on_prem.astype(np.float64)
    churn_logit = -1.9 - 0.9 * quality + 1.0 * on_prem
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-churn_logit))

    arr = np.exp(
        np.log(9_000.0) + 0.12 * np.log(latent.employees) + 0.55 * quality + rng.normal(0, 0.4, n)
    )
    arr = np.round(arr, -1)
    expansion = np.round(8.0 + 12.0 * quality - 10.0 * churned + rng.normal(0, 10.0, n), 1)
    tenure = np.maximum((as_of_days - close_days) / 30.4375, 0.0)
    kept_share = np.clip(rng.beta(2.0, 3.0, n) + 0.08 * quality, 0.05, 0.95)
    retention = np.floor(np.where(churned, tenure * kept_share, tenure)).astype(np.int64)
    tickets = rng.poisson(np.exp(1.6 - 0.45 * quality + 0.9 * on_prem))
    sales_cycle = np.round(
        np.exp(
            np.log(55.0) - 0.3 * quality + 0.1 * np.log(latent.employees) + rng.normal(0, 0.35, n)
        )
    ).astype(np.int64)
    onboarding = np.round(
        np.exp(np.log(28.0) - 0.3 * quality + 0.5 * on_prem + rng.normal(0, 0.3, n))
    ).astype(np.int64)
    miss_expansion = np.asarray(rng.random(n) < 0.02)
    miss_onboarding = np.asarray(rng.random(n) < 0.03)

    return pl.DataFrame(
        {
            "Lifecycle Stage": np.where(churned, "Former customer", "Customer"),
            "Churned": np.where(churned, "Yes", "No"),
            "ARR": arr,
            "Expansion (%)": expansion,
            "Retention (months)": retention,
            "Support Tickets (12m)": tickets.astype(np.int64),
            "Sales Cycle (days)": sales_cycle,
            "Onboarding (days)": onboarding,
        }
    ).with_columns(
        pl.when(pl.Series(miss_expansion))
        .then(None)
        .otherwise(pl.col("Expansion (%)"))
        .alias("Expansion (%)"),
        pl.when(pl.Series(miss_onboarding))
        .then(None)
        .otherwise(pl.col("Onboarding (days)"))
        .alias("Onboarding (days)"),
    )


def generate_prospects(
    n: int = 100_000, *, seed: int = 11, as_of: date = date(2026, 11, 1)
) -> pl.DataFrame:
    """A messy prospect list with the customers' attribute headers and no outcome columns.

    Funding dates are relative to ``as_of`` (the scoring date), so "funded in the last 180 days"
    means the same thing here as "funded within 180 days before the close date" for customers.
    """
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    rng = np.random.default_rng(seed)
    reference = np.full(n, _days(as_of), dtype=np.int64)
    frame, _ = _attributes(
        rng,
        n,
        id_base=20_000_000_000,
        reference_days=reference,
        funding_after_reference=False,
        as_of=as_of,
    )
    return frame.select(ATTRIBUTE_COLUMNS)


WIDE_PLANTED: PlantedSegment = PlantedSegment(
    name="wide-conjunction",
    criteria=(
        PlantedCriterion("cat_00", values=("v0",)),
        PlantedCriterion("num_00", low=0.25, high=None),
    ),
)
"""The conjunction behind ``best`` in :func:`generate_wide`."""


def generate_wide(n: int = 100_000, n_attributes: int = 40, *, seed: int = 3) -> pl.DataFrame:
    """A clean, wide benchmark frame: ``id``, mixed attributes and a planted ``best`` label.

    About 40% categorical (``cat_NN``, ``pl.String``), 10% boolean (``flag_NN``) and the rest
    numeric (``num_NN``, ``pl.Float64``). ``best`` is true for ~75% of rows matching
    :data:`WIDE_PLANTED` and ~6% of the others, so a search has one clear answer to find.
    """
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    if n_attributes < 2:
        raise InputError(f"n_attributes must be at least 2, got {n_attributes}")
    rng = np.random.default_rng(seed)
    n_cat = max(1, round(0.4 * n_attributes))
    n_bool = min(round(0.1 * n_attributes), n_attributes - n_cat - 1)
    n_num = n_attributes - n_cat - n_bool

    columns: dict[str, Any] = {"id": np.arange(1, n + 1, dtype=np.int64)}
    for i in range(n_cat):
        k = 4 if i == 0 else int(rng.integers(2, 13))
        p = np.array([0.35, 0.30, 0.20, 0.15]) if i == 0 else rng.dirichlet(np.full(k, 1.5))
        values = tuple(f"v{j}" for j in range(k))
        columns[f"cat_{i:02d}"] = _labels(values, _pick(rng, n, p))
    for i in range(n_num):
        shape = 0 if i == 0 else int(rng.integers(0, 3))
        if shape == 0:
            x = rng.normal(0.0, 1.0, n)
        elif shape == 1:
            x = np.exp(rng.normal(3.0, 1.0, n))
        else:
            x = rng.uniform(0.0, 100.0, n)
        columns[f"num_{i:02d}"] = x.astype(np.float64)
    for i in range(n_bool):
        columns[f"flag_{i:02d}"] = rng.random(n) < rng.uniform(0.1, 0.6)

    planted = (columns["cat_00"] == "v0").to_numpy() & (columns["num_00"] >= 0.25)
    best = rng.random(n) < np.where(planted, 0.75, 0.06)
    columns["best"] = best
    return pl.DataFrame(columns)


def write_demo_files(directory: Path, *, n: int = 6000, seed: int = 7) -> dict[str, Path]:
    """Write ``customers.csv`` and ``prospects.csv`` (20,000 rows) for demos and docs.

    Existing files are replaced, atomically, so a reader never sees half a file.
    """
    from icpkit.io import write_table  # deferred: generating data needs no I/O machinery

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    frames = {
        "customers": generate_customers(n, seed=seed).customers,
        "prospects": generate_prospects(20_000, seed=seed + 4),
    }
    paths: dict[str, Path] = {}
    for name, frame in frames.items():
        path = directory / f"{name}.csv"
        write_table(frame, path, force=True)
        paths[name] = path
    return paths


# --------------------------------------------------------------------------------------------
# Weak-signal customer bases (benchmarks of ranking quality and the null test)


@dataclass(frozen=True)
class WeakTruth:
    """The latent model behind :func:`weak_signal_customers`.

    ``probability`` is each row's true chance of ``won``; its ROC AUC against the drawn outcome
    (``bayes_auc``) is the best any score can reach on that sample. ``effects`` lists the planted
    log-odds terms by name (before ``signal`` scaling) so a reader can see how small each is.
    """

    probability: np.ndarray
    won: np.ndarray
    bayes_auc: float
    conjunction: PlantedSegment
    anti_signal: PlantedCriterion
    effects: Mapping[str, float]


_WEAK_INDUSTRY_EFFECT = (0.30, 0.20, 0.10, -0.10, -0.05, 0.0, -0.20, -0.15, 0.05, 0.10, -0.25)
_WEAK_COUNTRY_EFFECT = (0.10, 0.05, 0.10, -0.05, 0.05, 0.0, 0.0, -0.15, -0.20, -0.05)
_WEAK_MODELS = ("B2B", "B2C", "Marketplace", "B2B2C")
_WEAK_MODEL_P = (0.55, 0.18, 0.12, 0.15)
_WEAK_MODEL_EFFECT = (0.15, -0.75, 0.0, 0.05)  # B2C carries the anti-signal
_WEAK_TOOLS = (
    "Shopify",
    "Klaviyo",
    "HubSpot",
    "Salesforce",
    "Intercom",
    "Stripe",
    "Segment",
    "Mailchimp",
    "WordPress",
    "Zendesk",
    "Marketo",
    "Google Analytics",
)
_WEAK_TOOL_P = (0.25, 0.15, 0.30, 0.25, 0.20, 0.35, 0.12, 0.30, 0.35, 0.20, 0.08, 0.70)
_WEAK_TOOL_EFFECT = (0.10, 0.15, 0.20, 0.15, 0.10, 0.10, 0.15, -0.15, -0.10, 0.0, 0.10, 0.0)
_WEAK_EFFECTS: Mapping[str, float] = MappingProxyType(
    {
        "industry (per value)": 0.30,
        "country (per value)": 0.20,
        "business model B2C (anti-signal)": _WEAK_MODEL_EFFECT[1],
        "log employees (per sd, inverted U)": 0.20,
        "revenue per employee (per sd)": 0.10,
        "tech stack tool (each)": 0.20,
        "funded within 365 days of close": 0.30,
        "hiring growth (per sd)": 0.12,
        "saas/fintech AND uses hubspot (conjunction)": 0.70,
    }
)
_WEAK_CONJUNCTION = PlantedSegment(
    name="saas-fintech-on-hubspot",
    criteria=(
        PlantedCriterion("industry", values=("saas", "fintech")),
        PlantedCriterion("tech_stack", values=("hubspot",)),
    ),
)
_WEAK_ANTI = PlantedCriterion("business_model", values=("b2c",))
_WEAK_SCALE = 1.45  # sets signal=1.0 at a Bayes AUC of about 0.70


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (average ranks for ties); NaN without both classes."""
    from scipy.stats import rankdata  # deferred: keeps ``import icpkit`` light

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass(frozen=True)
class _WeakDraws:
    """The clean attributes of a weak-signal base, before any effect or mess is applied."""

    industry: np.ndarray
    country: np.ndarray
    model: np.ndarray
    employees: np.ndarray
    z_emp: np.ndarray
    rev_per_emp: np.ndarray
    revenue: np.ndarray
    tools: np.ndarray
    funded: np.ndarray
    funding_lag: np.ndarray
    hiring: np.ndarray


def _draw_weak(rng: np.random.Generator, n: int) -> _WeakDraws:
    """Draw every attribute independently: the planted effects, not correlations, carry signal."""
    industry = _pick(rng, n, np.asarray(_INDUSTRY_P))
    country = _pick(rng, n, np.asarray(_COUNTRY_P))
    model = _pick(rng, n, np.asarray(_WEAK_MODEL_P))
    log_emp = rng.normal(np.log(150.0), 1.4, n)
    employees = np.clip(np.exp(log_emp), 2, 80_000).round()
    rev_per_emp = rng.normal(0.0, 1.0, n)
    tools = rng.random((n, len(_WEAK_TOOLS))) < np.asarray(_WEAK_TOOL_P)
    funded = rng.random(n) < 0.55
    funding_lag = np.where(funded, np.floor(rng.exponential(700.0, n)), 0).astype(np.int64)
    return _WeakDraws(
        industry=industry,
        country=country,
        model=model,
        employees=employees,
        z_emp=(np.log(employees) - np.log(150.0)) / 1.4,
        rev_per_emp=rev_per_emp,
        revenue=employees * np.exp(np.log(120_000.0) + 0.45 * rev_per_emp),
        tools=tools,
        funded=funded,
        funding_lag=funding_lag,
        hiring=rng.normal(8.0, 15.0, n),
    )


def _weak_effects(d: _WeakDraws) -> np.ndarray:
    """The planted log-odds per row: the sum of many small terms (see ``_WEAK_EFFECTS``)."""
    conj = (d.industry <= 1) & d.tools[:, _WEAK_TOOLS.index("HubSpot")]
    return np.asarray(
        np.asarray(_WEAK_INDUSTRY_EFFECT)[d.industry]
        + np.asarray(_WEAK_COUNTRY_EFFECT)[d.country]
        + np.asarray(_WEAK_MODEL_EFFECT)[d.model]
        + 0.20 * d.z_emp
        - 0.12 * d.z_emp**2
        + 0.10 * d.rev_per_emp
        + d.tools @ np.asarray(_WEAK_TOOL_EFFECT)
        + 0.30 * (d.funded & (d.funding_lag < 365))
        + 0.12 * (d.hiring - 8.0) / 15.0
        + 0.70 * conj
    )


def _probability_at_base_rate(logit: np.ndarray, base_rate: float) -> np.ndarray:
    """Each row's chance of a win, with the intercept solved so the expected share is ``base_rate``.

    A few Newton steps on the intercept: the mean of a logistic is monotone in it.
    """
    b = float(np.log(base_rate / (1 - base_rate)))
    for _ in range(20):
        p = 1.0 / (1.0 + np.exp(-(logit + b)))
        b -= (p.mean() - base_rate) / max(float((p * (1 - p)).mean()), 1e-9)
    return np.asarray(1.0 / (1.0 + np.exp(-(logit + b))))


def _weak_messy_columns(raw: pl.DataFrame) -> dict[str, pl.Series]:
    """Industry, employees, revenue and business model as exports spell them (by variant code)."""
    rev = pl.col("revenue")
    return {
        "Industry": _messy_industry(raw),
        "Number of Employees": _variants(
            raw,
            "employees",
            "emp_comma",
            pl.col("employees").cast(pl.String),
            {1: _thousands(pl.col("employees"))},
        ),
        "Annual Revenue": _variants(
            raw,
            "revenue",
            "revenue_style",
            ((rev / 1e3).round(0) * 1000).cast(pl.Int64).cast(pl.String),
            {
                1: pl.when(rev >= 1e6)
                .then(pl.format("${}M", (rev / 1e5).round(0) / 10))
                .otherwise(pl.format("${}K", (rev / 1e3).round(0).cast(pl.Int64))),
                2: _thousands((rev / 1e3).round(0) * 1000),
            },
        ),
        "Business Model": _variants(
            raw, "model", "model_mess", pl.col("model"), {1: pl.col("model").str.to_lowercase()}
        ),
    }


def _weak_stack(tools: np.ndarray, lower: np.ndarray) -> pl.Series:
    """The tech stack: tools joined by "; " (``lower`` rows lower-cased); no tools stays ""."""
    has_tool = pl.DataFrame({f"t{j}": tools[:, j] for j in range(len(_WEAK_TOOLS))})
    return (
        has_tool.select(
            pl.concat_str(
                [pl.when(pl.col(f"t{j}")).then(pl.lit(t)) for j, t in enumerate(_WEAK_TOOLS)],
                separator="; ",
                ignore_nulls=True,
            ).alias("s")
        )
        .to_series()
        .to_frame()
        .select(
            pl.when(pl.Series(lower)).then(pl.col("s").str.to_lowercase()).otherwise(pl.col("s"))
        )
        .to_series()
    )


def _weak_export(rng: np.random.Generator, d: _WeakDraws, close_days: np.ndarray) -> pl.DataFrame:
    """The drawn attributes as a messy export: HubSpot headers, variant spellings, gaps."""
    n = len(close_days)
    missing = {
        name: np.asarray(rng.random(n) < share)
        for name, share in (
            ("industry", 0.06),
            ("employees", 0.10),
            ("revenue", 0.22),
            ("country", 0.04),
            ("model", 0.12),
            ("stack", 0.15),
            ("hiring", 0.30),
        )
    }
    raw = pl.DataFrame(
        {
            "id": 5_000_000 + np.arange(n, dtype=np.int64) * 7,
            "industry": _labels(_INDUSTRIES, d.industry),
            "industry_mess": _pick(rng, n, (0.70, 0.08, 0.06, 0.04, 0.07, 0.05)),
            "employees": d.employees.astype(np.int64),
            "emp_comma": rng.random(n) < 0.4,
            "revenue": d.revenue,
            "revenue_style": _pick(rng, n, (0.5, 0.3, 0.2)),
            "country": _labels(_COUNTRIES, d.country),
            "model": _labels(_WEAK_MODELS, d.model),
            "model_mess": _pick(rng, n, (0.85, 0.15)),
            "hiring": np.round(d.hiring, 1),
        }
    )
    messy = _weak_messy_columns(raw)
    stack = _weak_stack(d.tools, np.asarray(rng.random(n) < 0.2))
    frame = pl.DataFrame(
        {
            "Record ID": raw.get_column("id"),
            "Industry": messy["Industry"],
            "Number of Employees": messy["Number of Employees"],
            "Annual Revenue": messy["Annual Revenue"],
            "Country/Region": raw.get_column("country"),
            "Business Model": messy["Business Model"],
            "Tech Stack": stack,
            "Close Date": _dates(close_days),
            "Last Funding Date": _dates(close_days - d.funding_lag),
            "Hiring Growth 6m (%)": raw.get_column("hiring"),
        }
    )
    masks: dict[str, np.ndarray] = {
        "Industry": missing["industry"],
        "Number of Employees": missing["employees"],
        "Annual Revenue": missing["revenue"],
        "Country/Region": missing["country"],
        "Business Model": missing["model"],
        "Tech Stack": missing["stack"],
        "Hiring Growth 6m (%)": missing["hiring"],
        "Last Funding Date": ~d.funded,
    }
    return frame.with_columns(
        pl.when(pl.Series(mask)).then(None).otherwise(pl.col(name)).alias(name)
        for name, mask in masks.items()
    )


def _noise_columns(rng: np.random.Generator, n: int, k: int) -> dict[str, pl.Series]:
    """``k`` unrelated columns, alternately categorical and numeric, some cells missing."""
    noise: dict[str, pl.Series] = {}
    for i in range(k):
        if i % 2 == 0:
            k_values = int(rng.integers(2, 9))
            values = tuple(f"Group {chr(65 + j)}" for j in range(k_values))
            col = _labels(values, _pick(rng, n, rng.dirichlet(np.full(k_values, 2.0))))
            miss = rng.random(n) < rng.uniform(0.0, 0.15)
            noise[f"Attribute {i + 1:02d}"] = col.scatter(np.flatnonzero(miss), None)
        else:
            x = np.round(np.exp(rng.normal(2.0, 1.0, n)), 2)
            x[rng.random(n) < rng.uniform(0.0, 0.15)] = np.nan
            noise[f"Metric {i + 1:02d}"] = pl.Series(x).fill_nan(None)
    return noise


def weak_signal_customers(
    n: int = 5000,
    *,
    seed: int = 0,
    signal: float = 1.0,
    base_rate: float = 0.3,
    n_noise_columns: int = 4,
    shuffle_outcomes: bool = False,
    as_of: date = date(2026, 6, 30),
) -> tuple[pl.DataFrame, WeakTruth]:
    """A messy customer export whose won/lost outcome follows many *small* additive effects.

    Real customer data rarely holds one strong segment; it holds a dozen weak tendencies, an
    interaction or two and a group that rarely works out. This generator plants exactly that on
    the latent log-odds: per-value industry and country effects, an inverted U in company size,
    revenue per employee, a dozen tools of a ``"Shopify; Klaviyo"`` tech stack, recent funding
    (``Last Funding Date`` relative to ``Close Date``), hiring growth, one conjunction (SaaS or
    fintech *and* on HubSpot) and one anti-signal (B2C). ``signal`` scales every effect:
    1.0 gives a Bayes AUC of about 0.71, 0.6 about 0.64 and 1.5 about 0.78. ``base_rate`` sets
    the share won. ``n_noise_columns`` adds unrelated columns (alternately categorical and
    numeric, some with missing values) so wide data can be built for null tests;
    ``shuffle_outcomes`` permutes ``Outcome``, destroying all signal (``probability`` is then the
    share won for every row).

    Columns are messy as exports are: industry spelled in several cases and with stray
    whitespace, employees with thousands separators, revenue partly as ``"$1.2M"``, missing
    values in most attributes. ``Outcome`` holds ``won``/``lost``, which
    :func:`icpkit.label_outcomes` reads as the label.
    """
    if n < 2:
        raise InputError(f"n must be at least 2, got {n}")
    if not 0 < base_rate < 1:
        raise InputError(f"base_rate must be between 0 and 1, got {base_rate}")
    if n_noise_columns < 0:
        raise InputError(f"n_noise_columns must be non-negative, got {n_noise_columns}")
    # The steps draw from ``rng`` in a fixed order: reordering them changes every seed's frame.
    rng = np.random.default_rng(seed)
    close_days = rng.integers(_days(date(2022, 1, 1)), _days(as_of) + 1, n)
    draws = _draw_weak(rng, n)
    effects = _weak_effects(draws)
    prob = _probability_at_base_rate(_WEAK_SCALE * signal * (effects - effects.mean()), base_rate)
    won = rng.random(n) < prob
    if shuffle_outcomes:  # no attribute says anything now: the truth is the base rate
        won = won[rng.permutation(n)]
        prob = np.full(n, float(won.mean()))

    frame = _weak_export(rng, draws, close_days)
    noise = _noise_columns(rng, n, n_noise_columns)
    if noise:
        frame = frame.with_columns(**noise)
    frame = frame.with_columns(pl.Series("Outcome", np.where(won, "won", "lost"), dtype=pl.String))
    truth = WeakTruth(
        probability=prob,
        won=won,
        bayes_auc=_auc(prob, won),
        conjunction=_WEAK_CONJUNCTION,
        anti_signal=_WEAK_ANTI,
        effects=_WEAK_EFFECTS,
    )
    return frame, truth


__all__ += ["WeakTruth", "weak_signal_customers"]
