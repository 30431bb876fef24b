"""Numbers in criteria are written in their unit, and outcome phrases name the outcome used.

The same ``Criterion.describe`` / ``ideal_fit`` / ``format_number`` text reaches the terminal,
Markdown, HTML and CRM reasons, so these tests pin it once for every unit and operator.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.columns.parsing import parse_number
from icpkit.criteria import UNITS, Criterion, format_band, format_number, unit_from_name
from icpkit.icp import OutcomeComparison


def _parse(text: str) -> float:
    """Read a formatted number back with the library's own input parser (an independent path)."""
    value = pl.select(parse_number(pl.lit(text))).item()
    assert value is not None, text
    return float(value)


# -- what Crunchbase showed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        # Names alone decide when no unit was recorded (hand-written or older ICP files).
        (Criterion(column="founded_year", between=(None, 2000)), "founded year < 2000"),
        (Criterion(column="funding_rounds", between=(2, None)), "funding rounds ≥ 2"),
        (Criterion(column="funding_total_usd", between=(2e6, None)), "funding total usd ≥ $2M"),
        (Criterion(column="employees", between=(200, 1000)), "employees 200–1,000"),
        (Criterion(column="support_tickets", between=(None, 12)), "support tickets < 12"),
        (Criterion(column="sales_cycle_days", between=(30, 90)), "sales cycle days 30–90 days"),
        (Criterion(column="churn_pct", between=(None, 12.5)), "churn pct < 12.5%"),
        # A recorded unit wins over the name.
        (Criterion(column="x", between=(0.25, None), unit="share"), "x ≥ 25%"),
        (
            Criterion(column="vintage_code", between=(1999, None), unit="year"),
            "vintage code ≥ 1999",
        ),
        (Criterion(column="amount", between=(None, 3), unit="count"), "amount < 3"),
        (Criterion(column="score", between=(1500, None), unit="plain"), "score ≥ 1,500"),
    ],
)
def test_describe_writes_each_unit(criterion: Criterion, expected: str) -> None:
    assert criterion.describe() == expected
    assert expected.endswith(criterion.ideal_fit())


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("funding_total_usd", "money"),
        ("funding_rounds", "count"),  # "funding" does not make a count money
        ("num_locations", "count"),
        ("n_employees", "count"),
        ("ticket_count", "count"),
        ("founded_year", "year"),
        ("year_founded", "year"),
        ("years_in_business", None),  # a duration, not a calendar year
        ("revenue", "money"),
        ("annual_revenue_usd", "money"),
        ("arr", "money"),
        ("monthly_charges", "money"),  # Telco
        ("total_charges", "money"),
        ("carrier", None),  # "arr" inside a word is not ARR
        ("discount_pct", "percent"),
        ("days_to_close", "days"),
        ("tenure_months", "months"),
        ("industry_score", None),
    ],
)
def test_unit_from_name(name: str, unit: str | None) -> None:
    assert unit_from_name(name) == unit


# -- properties over every unit ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(1800, 2100))
def test_years_have_no_separator_and_no_currency(year: int) -> None:
    text = format_number(year, unit="year")
    assert text == str(year)
    assert Criterion(column="founded_year", between=(None, year)).describe().endswith(f"< {year}")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9))
def test_counts_are_never_money_and_read_back_exactly(n: int) -> None:
    text = format_number(n, unit="count")
    assert "$" not in text and not text.endswith(("K", "M", "B"))
    assert _parse(text) == n


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 5e11, allow_nan=False, allow_infinity=False))
def test_money_reads_back_within_rounding(x: float) -> None:
    text = format_number(x, unit="money")
    assert text.startswith("$")
    assert not re.search(r"\d{4}[KMB]$", text), text  # $1M, never $1000K
    # One decimal of K/M/B (or whole units below 100 of them) is at most a 5% rounding.
    assert _parse(text) == pytest.approx(x, rel=0.05, abs=0.5)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1, allow_nan=False))
def test_shares_are_percentages(x: float) -> None:
    text = format_number(x, unit="share")
    assert re.fullmatch(r"\d+(\.\d)?%", text), text
    assert _parse(text) == pytest.approx(x * 100, abs=0.051)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 500, allow_nan=False))
def test_percentages_keep_their_scale(x: float) -> None:
    text = format_number(x, unit="percent")
    assert text.endswith("%") and _parse(text) == pytest.approx(x, abs=0.051)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(UNITS),
    st.one_of(st.none(), st.integers(-(10**7), 10**7)),
    st.one_of(st.none(), st.integers(-(10**7), 10**7)),
)
def test_bands_for_every_unit(unit: str, lo: int | None, hi: int | None) -> None:
    if (lo is None and hi is None) or (lo is not None and hi is not None and lo >= hi):
        return
    band = format_band(lo, hi, unit=unit)
    if lo is not None and hi is not None:
        assert "–" in band
    else:
        assert band.startswith("≥ " if lo is not None else "< ")
    assert ("$" in band) == (unit == "money")
    assert band.endswith("%") == (unit in ("percent", "share"))
    assert band.endswith((" days", " months")) == (unit in ("days", "months"))
    if unit == "year":
        assert "," not in band


OPERATORS = [
    {"in": ["saas", "fintech"]},
    {"between": [200, 1000]},
    {"between": [None, 50]},
    {"is": True},
    {"is": False},
    {"has_any": ["shopify plus"]},
    {"has_none": ["intercom", "drift"]},
    {"has_none": ["intercom"], "category": "live chat"},
    {"within_days": 180, "before": "close_date"},
    {"within_days": 90},
]


@pytest.mark.parametrize("op", OPERATORS, ids=lambda o: "-".join(map(str, o)))
@pytest.mark.parametrize("unit", [None, *UNITS])
def test_every_operator_describes_and_round_trips(op: dict, unit: str | None) -> None:
    data = {"column": "some_column", **op} | ({"unit": unit} if unit else {})
    c = Criterion.model_validate(data)
    text = c.describe()
    assert text and "None" not in text
    assert c.ideal_fit() and "None" not in c.ideal_fit()
    if "category" not in op:
        assert "some column" in text
    # The unit is display only: the test itself is unchanged ...
    assert c.same_test(Criterion.model_validate({"column": "some_column", **op}))
    # ... and the file keeps it only when set (older files without it still load).
    written = c.model_dump(by_alias=True, exclude_none=True, mode="json")  # as ICP.to_yaml
    back = Criterion.model_validate(yaml.safe_load(yaml.safe_dump(written)))
    assert back == c
    assert ("unit" in written) == (unit is not None)


def test_unknown_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="unit"):
        Criterion.model_validate({"column": "x", "between": [1, None], "unit": "parsecs"})


# -- outcome wording ---------------------------------------------------------------------------


def _worst(outcome: str | None) -> OutcomeComparison:
    return OutcomeComparison(
        metric="worst customers", segment=0.01, others=0.03, unit="share", outcome=outcome
    )


def test_worst_wording_follows_the_outcome_used() -> None:
    closed = _worst("status in ['closed'] (n=553)").phrase()
    assert closed == "1% end up among the worst (status closed) vs 3%"
    assert "churn" not in closed and "lost" not in closed
    churn = _worst("churn (n=1,869)").phrase()
    assert churn == "1% end up among the worst (churn) vs 3%"
    composite = _worst("churned (n=12) or bottom 20% of the composite").phrase()
    assert "(churned or bottom 20% of the composite)" in composite
    # Without a recorded definition nothing is claimed about what "worst" was.
    assert _worst(None).phrase() == "1% end up among the worst vs 3%"
    # The caller may pass the definition instead of storing it.
    assert "(status closed)" in _worst(None).phrase("status in ['closed']")


def test_best_wording_follows_the_outcome_used() -> None:
    best = OutcomeComparison(
        metric="best customers", segment=0.26, others=0.1, unit="share", outcome=None
    )
    assert best.phrase() == "26% become best customers vs 10% of others"
    assert best.phrase("status in ['acquired', 'ipo'] (n=2,017)") == (
        "26% become best customers (status acquired or ipo) vs 10% of others"
    )


def test_stored_outcome_survives_the_file() -> None:
    v = _worst("status in ['closed'] (n=553)")
    back = OutcomeComparison.model_validate(yaml.safe_load(yaml.safe_dump(v.model_dump())))
    assert back.phrase() == v.phrase()


# -- date windows read in the units people use (Crunchbase: "within 25550 days before today") --


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (
            Criterion(column="last_milestone_at", within_days=25550),
            "last milestone in the last 70 years",
        ),
        (
            Criterion(column="last_funding_at", within_days=5110),
            "raised funding in the last 14 years",
        ),
        (Criterion(column="founded_on", within_days=545), "founded in the last 1.5 years"),
        (Criterion(column="renewal_date", within_days=90), "renewal in the last 90 days"),
        (Criterion(column="last_milestone_at", within_days=36500), "last milestone on record"),
        (Criterion(column="last_funding_at", within_days=36865), "raised funding on record"),
        (Criterion(column="signup", within_days=400), "signup in the last 400 days"),
        (
            Criterion(column="demo_at", within_days=730, before="close_date"),
            "demo at within 2 years before close date",
        ),
    ],
)
def test_date_windows_read_as_spans(criterion: Criterion, expected: str) -> None:
    assert criterion.describe() == expected
    assert expected.endswith(criterion.ideal_fit())


@given(st.integers(min_value=1, max_value=40_000))
def test_day_span_reads_back_to_the_window(days: int) -> None:
    """Whatever the words, they name the window to within a week (a year is 365 days)."""
    from icpkit.criteria import day_span

    words = day_span(days)
    number, unit = words.split(" ")
    value = float(number.replace(",", ""))
    back = value * 365 if unit == "years" else value
    assert unit in {"day", "days", "years"}
    assert abs(back - days) <= 7
    # Years exactly when past a year and within a week of a whole or half year.
    near_half_year = min(abs(days - k * 182.5) for k in range(1, 222)) <= 7
    assert (unit == "years") == (days > 365 and near_half_year)
