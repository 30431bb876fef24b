"""The synthetic data must be messy, deterministic and carry the truth it claims to plant.

Effects are measured here with plain polars on the raw (messy) columns, parsing numbers by
hand, so these tests do not depend on the icpkit pipeline they are meant to check.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.errors import IcpkitError
from icpkit.sample.customers import (
    ATTRIBUTE_COLUMNS,
    CUSTOMER_ONLY_COLUMNS,
    OUTCOME_COLUMNS,
    TECH_CATEGORIES,
    WIDE_PLANTED,
    PlantedTruth,
    SampleData,
    generate_customers,
    generate_prospects,
    generate_wide,
    write_demo_files,
)

INDUSTRIES = {
    "saas",
    "fintech",
    "e-commerce",
    "retail",
    "healthcare",
    "manufacturing",
    "education",
    "media",
    "logistics",
    "professional services",
    "real estate",
}
CHAT_TOOLS = sorted(t.lower() for t, c in TECH_CATEGORIES.items() if c == "live chat")


def _norm(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()


def _measured(customers: pl.DataFrame) -> pl.DataFrame:
    """Planted memberships and outcome flags, recomputed from the raw export."""
    employees = pl.col("Number of Employees").str.replace_all(",", "").cast(pl.Float64)
    stack = pl.col("Tech Stack").str.to_lowercase().str.split("; ")
    return customers.select(
        seg_a=(
            _norm("Industry").is_in(["saas", "fintech"]) & (employees >= 200) & (employees < 1000)
        ).fill_null(False),
        seg_b=(
            stack.list.contains("shopify plus")
            & ~stack.list.eval(pl.element().is_in(CHAT_TOOLS)).list.any()
        ).fill_null(False),
        on_prem=(_norm("Deployment") == "on-prem").fill_null(False),
        booster=(pl.col("Close Date") - pl.col("Last Funding Date"))
        .dt.total_days()
        .is_between(0, 179)
        .fill_null(False),
        top_arr=pl.col("ARR") >= pl.col("ARR").quantile(0.8),
        churned=pl.col("Churned") == "Yes",
    ).with_columns(segment=pl.col("seg_a") | pl.col("seg_b"))


def _rate(m: pl.DataFrame, where: str, what: str) -> tuple[float, float]:
    """Mean of ``what`` inside and outside the ``where`` rows."""
    inside = m.filter(pl.col(where))[what].mean()
    outside = m.filter(~pl.col(where))[what].mean()
    return float(inside), float(outside)


@pytest.fixture(scope="module")
def sample() -> SampleData:
    return generate_customers()


# ---------------------------------------------------------------------------------------------
# Shape, determinism, messiness


def test_default_customers_have_hubspot_headers_and_6000_unique_ids(sample: SampleData) -> None:
    c = sample.customers
    assert c.height == 6000
    assert set(OUTCOME_COLUMNS) <= set(c.columns)
    assert set(ATTRIBUTE_COLUMNS) | set(CUSTOMER_ONLY_COLUMNS) | set(OUTCOME_COLUMNS) == set(
        c.columns
    )
    assert c["Record ID"].null_count() == 0
    assert c["Record ID"].n_unique() == c.height
    assert c["Company name"].n_unique() > 0.8 * c.height


def test_same_seed_same_data_and_other_seed_differs() -> None:
    a = generate_customers(700, seed=5)
    b = generate_customers(700, seed=5)
    other = generate_customers(700, seed=6)
    assert a.customers.equals(b.customers)
    assert a.truth == b.truth
    assert not a.customers.equals(other.customers)
    assert generate_prospects(500, seed=1).equals(generate_prospects(500, seed=1))
    assert not generate_prospects(500, seed=1).equals(generate_prospects(500, seed=2))
    assert generate_wide(500, 12, seed=4).equals(generate_wide(500, 12, seed=4))


def test_industry_is_messy_but_normalises_to_the_eleven_industries(sample: SampleData) -> None:
    industry = sample.customers["Industry"]
    normalised = sample.customers.select(_norm("Industry"))["Industry"]
    assert set(normalised.drop_nulls().unique()) == INDUSTRIES
    canonical = {"SaaS", "Fintech", "E-commerce", "Retail", "Healthcare", "Manufacturing"}
    canonical |= {"Education", "Media", "Logistics", "Professional Services", "Real Estate"}
    messy_share = float((~industry.is_in(list(canonical)) & industry.is_not_null()).mean())
    assert 0.06 < messy_share < 0.14
    values = set(industry.drop_nulls())
    assert "saas" in values
    assert "SAAS" in values or "FINTECH" in values
    assert any(v != v.strip() for v in values)
    assert "FinTech" in values
    assert 0.015 < industry.null_count() / industry.len() < 0.05


def test_numbers_are_written_like_a_crm_export(sample: SampleData) -> None:
    c = sample.customers
    employees = c["Number of Employees"]
    assert employees.dtype == pl.String
    with_commas = employees.str.contains(",").fill_null(False).mean()
    assert 0.02 < with_commas < 0.08
    parsed = employees.str.replace_all(",", "").cast(pl.Int64)
    assert parsed.min() >= 5
    assert parsed.max() <= 50_000
    assert 0.02 < employees.null_count() / c.height < 0.07

    revenue = c["Annual Revenue"].drop_nulls()
    assert revenue.str.contains(r"^\$\d+[MK]$").any()
    assert revenue.str.contains(r"^\d{1,3}(,\d{3})+$").any()
    plain = revenue.str.contains(r"^\d+$").mean()
    assert 0.9 < plain < 0.98
    # Revenue tracks company size (plain-number rows only).
    pairs = c.filter(pl.col("Annual Revenue").str.contains(r"^\d+$")).select(
        emp=pl.col("Number of Employees").str.replace_all(",", "").cast(pl.Float64).log(),
        rev=pl.col("Annual Revenue").cast(pl.Float64).log(),
    )
    assert pairs.select(pl.corr("emp", "rev")).item() > 0.7

    domains = c["Company Domain Name"]
    assert domains.str.starts_with("https://www.").any()
    assert (domains.str.to_uppercase() == domains).any()
    assert 0.02 < domains.null_count() / c.height < 0.1


def test_tech_stack_uses_known_tools_with_empty_and_unknown_stacks(sample: SampleData) -> None:
    stack = sample.customers["Tech Stack"]
    known = {t.lower() for t in TECH_CATEGORIES}
    tools = stack.drop_nulls().str.split("; ").explode().drop_nulls()
    tools = tools.filter(tools != "").str.to_lowercase()
    assert set(tools.unique()) <= known
    assert len(set(tools.unique())) >= 28
    counts = stack.drop_nulls().str.split("; ").list.eval(pl.element().filter(pl.element() != ""))
    assert counts.list.len().max() <= 6
    assert (stack == "").sum() > 0
    assert 0.03 < stack.null_count() / stack.len() < 0.07
    assert set(TECH_CATEGORIES.values()) == {
        "ecommerce",
        "live chat",
        "marketing automation",
        "analytics",
        "crm",
        "payments",
        "cms",
    }


def test_ecommerce_companies_usually_run_an_ecommerce_platform(sample: SampleData) -> None:
    platforms = sorted(t.lower() for t, c in TECH_CATEGORIES.items() if c == "ecommerce")
    has_platform = (
        pl.col("Tech Stack")
        .str.to_lowercase()
        .str.split("; ")
        .list.eval(pl.element().is_in(platforms))
        .list.any()
    )
    rates = (
        sample.customers.filter(pl.col("Tech Stack").is_not_null())
        .with_columns(ecom=_norm("Industry").is_in(["e-commerce", "retail"]))
        .group_by("ecom")
        .agg(has_platform.mean())
    )
    by = dict(zip(rates["ecom"], rates["Tech Stack"], strict=True))
    assert by[True] > 0.85
    assert by[False] < 0.15


def test_dates_and_outcomes_are_consistent(sample: SampleData) -> None:
    c = sample.customers
    assert (c["Create Date"] < c["Close Date"]).all()
    assert c["Close Date"].min() >= date(2021, 1, 1)
    assert c["Close Date"].max() <= date(2026, 6, 30)
    assert c["Last Funding Date"].max() <= date(2026, 6, 30)
    assert 0.35 < 1 - c["Last Funding Date"].null_count() / c.height < 0.45
    churned = c["Churned"] == "Yes"
    assert ((c["Lifecycle Stage"] == "Former customer") == churned).all()
    assert set(c["Lifecycle Stage"].unique()) == {"Customer", "Former customer"}
    assert set(c["Leadership Change (12m)"].drop_nulls().unique()) == {"Yes", "No"}
    assert c["Hiring Growth 6m (%)"].min() < 0
    assert c["Intent Score"].drop_nulls().is_between(0, 100).all()
    assert c["ARR"].null_count() == 0
    assert (c["ARR"] > 0).all()
    assert (c["Retention (months)"] >= 0).all()


def test_on_prem_share_and_segment_sizes(sample: SampleData) -> None:
    m = _measured(sample.customers)
    # Observed shares are a little below the latent ones because of missing values.
    assert 0.08 < m["seg_a"].mean() < 0.16
    assert 0.08 < m["seg_b"].mean() < 0.16
    assert 0.08 < m["on_prem"].mean() < 0.13
    assert (m["seg_a"] & m["seg_b"]).mean() < 0.01  # two distinct sets of companies


# ---------------------------------------------------------------------------------------------
# The planted truth


def test_truth_is_phrased_in_canonical_normalised_terms(sample: SampleData) -> None:
    truth = sample.truth
    assert isinstance(truth, PlantedTruth)
    assert [s.name for s in truth.segments] == ["saas-fintech-midmarket", "shopify-plus-no-chat"]
    a, b = truth.segments
    assert {c.column for c in a.criteria} == {"industry", "employees"}
    assert next(c for c in a.criteria if c.column == "employees").low == 200
    assert next(c for c in a.criteria if c.column == "employees").high == 1000
    assert set(next(c for c in a.criteria if c.column == "industry").values) <= INDUSTRIES
    assert all(c.column == "tech_stack" for c in b.criteria)
    tools = {t.lower() for t in TECH_CATEGORIES}
    assert {v for c in b.criteria for v in c.values} <= tools
    assert {c.lacks_category for c in b.criteria} - {None} <= set(TECH_CATEGORIES.values())
    assert truth.anti_signal.column == "deployment"
    assert truth.anti_signal.values == ("on-prem",)
    assert [c.column for c in truth.boosters] == ["last_funding_date"]
    for criterion in [*a.criteria, *b.criteria, truth.anti_signal, *truth.boosters]:
        assert all(v == v.lower() for v in criterion.values)


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_planted_segments_hold_most_top_arr_accounts(seed: int) -> None:
    m = _measured(generate_customers(seed=seed).customers)
    inside, outside = _rate(m, "segment", "top_arr")
    assert 0.45 < inside < 0.75
    assert outside < 0.14
    for segment in ("seg_a", "seg_b"):
        seg_in, seg_out = _rate(m, segment, "top_arr")
        assert seg_in > 2.5 * seg_out
    booster_in, booster_out = _rate(m, "booster", "top_arr")
    assert booster_in > booster_out + 0.05  # moderate, behavioural


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_on_prem_concentrates_churn(seed: int) -> None:
    m = _measured(generate_customers(seed=seed).customers)
    inside, outside = _rate(m, "on_prem", "churned")
    assert 0.5 < inside < 0.75
    assert outside < 0.2
    assert _rate(m, "on_prem", "top_arr")[0] < 0.07
    seg_churn, rest_churn = _rate(m, "segment", "churned")
    assert seg_churn < rest_churn


def test_shuffled_outcomes_keep_marginals_and_remove_every_effect() -> None:
    real = generate_customers(seed=7)
    shuffled = generate_customers(seed=7, shuffle_outcomes=True)
    attributes = [c for c in real.customers.columns if c not in OUTCOME_COLUMNS]
    assert shuffled.customers.select(attributes).equals(real.customers.select(attributes))
    for col in OUTCOME_COLUMNS:
        assert (
            shuffled.customers[col]
            .sort(nulls_last=True)
            .equals(real.customers[col].sort(nulls_last=True))
        )
    assert not shuffled.customers["ARR"].equals(real.customers["ARR"])
    # Rows stay internally consistent: outcomes move together.
    c = shuffled.customers
    assert ((c["Lifecycle Stage"] == "Former customer") == (c["Churned"] == "Yes")).all()

    m = _measured(c)
    for where in ("segment", "seg_a", "seg_b", "on_prem", "booster"):
        inside, outside = _rate(m, where, "top_arr")
        assert abs(inside - outside) < 0.06, where
        inside, outside = _rate(m, where, "churned")
        assert abs(inside - outside) < 0.06, where


def test_attributes_without_planted_effect_stay_flat(sample: SampleData) -> None:
    by_country = (
        sample.customers.with_columns(top=_measured(sample.customers)["top_arr"])
        .filter(pl.col("Country/Region").is_not_null())
        .group_by("Country/Region")
        .agg(pl.col("top").mean(), pl.len())
        .filter(pl.col("len") >= 200)
    )
    assert by_country.height >= 5
    assert by_country["top"].max() - by_country["top"].min() < 0.08


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1), shuffle=st.booleans())
def test_customer_invariants_hold_for_any_seed(n: int, seed: int, shuffle: bool) -> None:
    c = generate_customers(n, seed=seed, shuffle_outcomes=shuffle).customers
    assert c.height == n
    assert c["Record ID"].n_unique() == n
    assert (c["Create Date"] < c["Close Date"]).all()
    assert ((c["Lifecycle Stage"] == "Former customer") == (c["Churned"] == "Yes")).all()
    tools = c["Tech Stack"].drop_nulls().str.split("; ").explode()
    tools = tools.filter(tools != "")
    assert set(tools.str.to_lowercase().unique()) <= {t.lower() for t in TECH_CATEGORIES}


def test_bad_sizes_raise_icpkit_errors() -> None:
    with pytest.raises(IcpkitError, match="positive"):
        generate_customers(0)
    with pytest.raises(IcpkitError, match="positive"):
        generate_prospects(0)
    with pytest.raises(IcpkitError, match="at least 2"):
        generate_wide(10, 1)
    with pytest.raises(IcpkitError, match="as_of"):
        generate_customers(10, as_of=date(2020, 1, 1))


# ---------------------------------------------------------------------------------------------
# Prospects


def test_prospects_share_attribute_headers_and_carry_no_outcomes(sample: SampleData) -> None:
    prospects = generate_prospects(5000)
    assert prospects.columns == list(ATTRIBUTE_COLUMNS)
    customer_attrs = [
        c
        for c in sample.customers.columns
        if c not in OUTCOME_COLUMNS and c not in CUSTOMER_ONLY_COLUMNS
    ]
    assert prospects.columns == customer_attrs
    assert not set(prospects.columns) & set(OUTCOME_COLUMNS)
    assert prospects.schema == sample.customers.select(customer_attrs).schema
    assert prospects["Record ID"].n_unique() == prospects.height
    assert not set(prospects["Record ID"]) & set(sample.customers["Record ID"])
    assert prospects["Last Funding Date"].max() <= date(2026, 11, 1)
    assert prospects["Create Date"].max() <= date(2026, 11, 1)
    assert prospects["Industry"].str.to_lowercase().is_in(["saas"]).any()
    assert (
        prospects["Industry"].drop_nulls() != prospects["Industry"].drop_nulls().str.strip_chars()
    ).any()


def test_a_million_prospects_generate_quickly() -> None:
    start = time.perf_counter()
    prospects = generate_prospects(1_000_000)
    elapsed = time.perf_counter() - start
    print(f"generate_prospects(1_000_000): {elapsed:.2f} s")  # timing is asserted in bench/
    assert prospects.height == 1_000_000
    assert prospects["Record ID"].n_unique() == 1_000_000


# ---------------------------------------------------------------------------------------------
# Wide benchmark frame


def test_wide_frame_has_requested_shape_and_type_mix() -> None:
    wide = generate_wide(20_000, 40)
    assert wide.shape == (20_000, 42)
    assert wide["id"].n_unique() == 20_000
    kinds = {
        "cat": sum(d == pl.String for d in wide.schema.values()),
        "num": sum(d == pl.Float64 for d in wide.schema.values()),
        "bool": sum(d == pl.Boolean for n, d in wide.schema.items() if n != "best"),
    }
    assert kinds == {"cat": 16, "num": 20, "bool": 4}
    assert wide.null_count().sum_horizontal().item() == 0


def test_wide_label_follows_the_planted_conjunction() -> None:
    wide = generate_wide(50_000, 40, seed=3)
    cat, num = WIDE_PLANTED.criteria
    rule = pl.col(cat.column).is_in(list(cat.values)) & (pl.col(num.column) >= num.low)
    rates = wide.group_by(rule.alias("rule")).agg(pl.col("best").mean(), pl.len())
    by = dict(zip(rates["rule"], rates["best"], strict=True))
    assert by[True] > 0.65
    assert by[False] < 0.1
    # Either condition alone is much weaker than both together.
    alone = wide.filter(pl.col(cat.column).is_in(list(cat.values)))["best"].mean()
    assert alone < by[True] - 0.15
    assert 0.1 < wide.select(rule.mean()).item() < 0.2


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 200), n_attributes=st.integers(2, 60), seed=st.integers(0, 1000))
def test_wide_shape_for_any_size(n: int, n_attributes: int, seed: int) -> None:
    wide = generate_wide(n, n_attributes, seed=seed)
    assert wide.shape == (n, n_attributes + 2)
    assert wide.columns[0] == "id"
    assert wide.schema["best"] == pl.Boolean
    assert {WIDE_PLANTED.criteria[0].column, WIDE_PLANTED.criteria[1].column} <= set(wide.columns)


# ---------------------------------------------------------------------------------------------
# Demo files


def test_write_demo_files_writes_readable_csvs_and_replaces_them(tmp_path) -> None:
    target = tmp_path / "demo"
    paths = write_demo_files(target, n=400, seed=3)
    assert set(paths) == {"customers", "prospects"}
    customers = pl.read_csv(paths["customers"], infer_schema=False)
    prospects = pl.read_csv(paths["prospects"], infer_schema=False)
    assert customers.height == 400
    assert prospects.height == 20_000
    expected = generate_customers(400, seed=3).customers
    assert customers.columns == expected.columns
    assert prospects.columns == list(ATTRIBUTE_COLUMNS)
    assert customers["Record ID"].cast(pl.Int64).equals(expected["Record ID"])
    # Empty stacks survive the round trip as "" and unknown ones as null.
    assert customers["Tech Stack"].null_count() == expected["Tech Stack"].null_count()

    again = write_demo_files(target, n=300, seed=3)
    assert pl.read_csv(again["customers"], infer_schema=False).height == 300
    assert sorted(p.name for p in target.iterdir()) == ["customers.csv", "prospects.csv"]


def test_sample_effect_sizes_are_reported(sample: SampleData) -> None:
    """Not a threshold check: prints the measured effects so reviewers can see them (-s)."""
    m = _measured(sample.customers)
    rows = {
        where: (_rate(m, where, "top_arr"), _rate(m, where, "churned"), float(m[where].mean()))
        for where in ("seg_a", "seg_b", "segment", "on_prem", "booster")
    }
    for where, ((t_in, t_out), (c_in, c_out), share) in rows.items():
        print(
            f"{where:8s} share={share:.3f} top20%ARR {t_in:.3f} vs {t_out:.3f}"
            f"  churn {c_in:.3f} vs {c_out:.3f}"
        )
    assert np.isclose(m["top_arr"].mean(), 0.2, atol=0.01)
