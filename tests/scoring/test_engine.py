"""The polars engine against hand-computed scores, messy input and bad input."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.errors import InputError, MissingColumnsError
from icpkit.icp import ICP
from icpkit.scoring import QUADRANTS, calibration_table, decode, expand_reasons, score, score_lazy
from icpkit.scoring.engine import rank_desc
from tests.scoring.strategies import BASE, frames, icps

AS_OF = date(2024, 6, 1)

ICP_DICT = {
    "columns": {"id": "id"},
    "segments": [
        {
            "id": "saas",
            "name": "SaaS mid-market",
            "bonus": 1.0,
            "must": [
                {"column": "industry", "in": ["saas"], "weight": 1.5},
                {"column": "employees", "between": [200, 1000], "weight": 0.5},
            ],
            "nice": [{"column": "tech_stack", "has_any": ["shopify plus"], "weight": 0.7}],
        },
        {"id": "retail", "name": "Retail", "must": [{"column": "industry", "in": ["retail"]}]},
    ],
    "disqualifiers": [{"column": "is_student", "is": True}],
    "scoring": {
        "intercept": -2.0,
        "timing": [
            {"column": "last_funding_date", "within_days": 180, "weight": 2},
            {"column": "hiring", "is": True},
        ],
    },
}


@pytest.fixture
def icp() -> ICP:
    return ICP.model_validate(ICP_DICT)


def prepared() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "industry": ["saas", "retail", None, "saas"],
            "employees": [1200.0, 300.0, None, 250.0],
            "tech_stack": [["shopify plus"], [], None, ["shopify plus"]],
            "is_student": [False, None, True, False],
            "last_funding_date": [date(2024, 1, 1), None, date(2024, 5, 1), date(2023, 1, 1)],
            "hiring": [True, False, None, True],
        }
    )


def _fit(raw: float) -> float:
    return math.floor(100 / (1 + math.exp(-raw)) * 10 + 0.5) / 10


def test_hand_computed_scores(icp: ICP) -> None:
    out = score(prepared(), icp, as_of=AS_OF)
    r = out.rows(named=True)
    # Account 4: every saas criterion met + bonus: -2 + 1.5 + 0.5 + 0.7 + 1.0.
    assert r[3]["fit_score"] == _fit(1.7) == 84.6
    assert r[3]["segment"] == "saas" and r[3]["tier"] == "A"
    # Funding 2023 is outside 180 days; hiring (weight 1 by default) is met: 1/3 of timing.
    assert r[3]["timing_score"] == 33.3 and r[3]["in_market"] is False
    assert r[3]["quadrant"] == "fit + dormant"
    assert r[3]["priority"] == round(84.6 * (1 + 0.333) / 2, 2)
    # Account 1: 1,200 employees fails a must, so no bonus: -2 + 1.5 + 0.7.
    assert r[0]["fit_score"] == _fit(0.2) and r[0]["quadrant"] == "fit + in-market"
    # Account 2: retail segment's own points (1) beat saas (0.0).
    assert r[1]["segment"] == "retail" and r[1]["fit_score"] == _fit(-2 + 0.5 + 1)
    # Account 3: disqualifiers win over any score.
    assert r[2]["disqualified"] is True and r[2]["tier"] == "D"
    assert r[2]["disqualified_by"] == "is student" and r[2]["priority"] == 0.0
    assert r[2]["segment"] is None
    assert out["rank"].to_list() == [2, 3, 4, 1]
    assert set(out["quadrant"]) <= set(QUADRANTS)


def test_unknown_is_not_failed(icp: ICP) -> None:
    out = score(prepared(), icp, as_of=AS_OF, reasons="codes")
    states = {r.criterion.column: r.state for r in decode(out["reasons"][2], icp)}
    assert states["industry"] == "unknown" and states["employees"] == "unknown"
    assert states["is_student"] == "met"
    states = {r.criterion.describe(): r.state for r in decode(out["reasons"][1], icp)}
    assert states["industry is saas"] == "failed"
    assert states["is student"] == "unknown"
    # 7 distinct tests; account 3 has industry ×2, employees, tech stack, hiring unknown.
    assert out["data_completeness"].to_list() == [1.0, round(5 / 7, 3), round(2 / 7, 3), 1.0]
    text = score(prepared(), icp, as_of=AS_OF, reasons="text")["reasons"]
    assert text[2].startswith("disqualified: is student")
    assert "unknown: industry is saas" in text[2]
    assert "failed: employees 200–1,000" in text[0]
    assert text.to_list() == expand_reasons(out["reasons"], icp).to_list()


def test_messy_crm_export_is_coerced(icp: ICP) -> None:
    raw = pl.DataFrame(
        {
            "Record ID": ["1", "2", "3"],
            "Industry": ["  SaaS ", "RETAIL", "N/A"],
            "Number of Employees": ["1,200", "300", "N/A"],
            "Tech Stack": ["Shopify Plus; Klaviyo", "", None],
            "is_student": ["no", "", "yes"],
            "Last Funding Date": ["2024-01-01", None, "2024-05-01"],
            "hiring": ["Yes", "No", None],
        }
    )
    out = score(raw, icp, as_of=AS_OF)
    assert out.columns[:7] == raw.columns  # input columns kept as given
    assert out["Industry"].to_list() == raw["Industry"].to_list()
    expected = score(
        prepared()
        .head(3)
        .with_columns(
            pl.Series("industry", ["saas", "retail", None]),
            pl.Series("tech_stack", [["shopify plus", "klaviyo"], [], None]),
        ),
        icp,
        as_of=AS_OF,
    )
    for col in ("fit_score", "tier", "segment", "disqualified", "reasons"):
        assert out[col].to_list() == expected[col].to_list(), col


def test_missing_columns(icp: ICP) -> None:
    df = prepared().drop("hiring", "tech_stack")
    with pytest.raises(MissingColumnsError) as err:
        score(df, icp, as_of=AS_OF)
    assert err.value.missing == ["tech_stack", "hiring"]
    out = score(df, icp, as_of=AS_OF, missing="unknown")
    assert out["data_completeness"][0] == round(5 / 7, 3)
    assert "hiring" not in out.columns


def test_duplicate_ids_name_rows(icp: ICP) -> None:
    df = prepared().with_columns(pl.Series("id", [1, 2, 1, 2]))
    with pytest.raises(InputError, match=r"rows 1, 2, 3, 4") as err:
        score(df, icp, as_of=AS_OF)
    assert err.value.row == 1


def test_pandas_in_pandas_out(icp: ICP) -> None:
    pd = pytest.importorskip("pandas")
    pdf = pd.DataFrame(
        {
            "id": [10, 20],
            "industry": ["SaaS", None],
            "employees": [250.0, float("nan")],
            "tech_stack": ["shopify plus", None],
            "is_student": [False, True],
            "last_funding_date": ["2024-05-01", None],
            "hiring": [True, False],
        },
        index=[7, 9],
    )
    out = score(pdf, icp, as_of=AS_OF)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [7, 9]
    assert list(out["tier"]) == ["A", "D"]


def test_lazy_equals_eager_and_rescoring_replaces(icp: ICP) -> None:
    eager = score(prepared(), icp, as_of=AS_OF)
    lazy = score_lazy(prepared().lazy(), icp, as_of=AS_OF)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(eager)
    again = score(eager, icp, as_of=AS_OF)
    assert again.columns == eager.columns and again.equals(eager)


def test_empty_frame(icp: ICP) -> None:
    out = score(prepared().head(0), icp, as_of=AS_OF)
    assert out.height == 0 and "fit_score" in out.columns


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(icp=icps(), df=frames())
def test_invariants(icp: ICP, df: pl.DataFrame) -> None:
    out = score(df, icp, as_of=BASE)
    assert out.height == df.height
    assert out["fit_score"].is_between(0, 100).all()
    assert (out.filter(pl.col("disqualified"))["tier"] == "D").all()
    assert (out.filter(pl.col("disqualified"))["priority"] == 0).all()
    assert out["data_completeness"].is_between(0, 1).all()
    assert set(out["quadrant"]) <= set(QUADRANTS)
    seg_ids = {s.id for s in icp.segments}
    assert set(out["segment"].drop_nulls()) <= seg_ids
    if out.height:
        # Rank follows priority: a higher priority never ranks behind a lower one.
        s = out.sort("rank")
        assert s["priority"].is_sorted(descending=True)
        assert s["rank"][0] == 1


def test_calibration_table() -> None:
    scored = pl.DataFrame(
        {
            "fit_score": [5.0, 8.0, 55.0, 52.0, 58.0, 95.0, 100.0],
            "best": [False, None, True, False, True, True, True],
        }
    )
    table = calibration_table(scored, "best")
    assert table["score_from"].to_list() == [0.0, 50.0, 90.0]
    assert table["accounts"].to_list() == [2, 3, 2]
    assert table["observed"].to_list() == [0.0, round(2 / 3, 4), 1.0]
    assert table["predicted"][2] == 0.975


def test_score_file_round_trip(icp: ICP, tmp_path: Path) -> None:
    from icpkit.scoring import score_file

    src = tmp_path / "p.parquet"
    prepared().write_parquet(src)
    res = score_file(src, icp, tmp_path / "out.parquet", as_of=AS_OF, top=2)
    assert res.rows == 4 and res.tiers == {"A": 1, "B": 2, "C": 0, "D": 1}
    assert res.top["rank"].to_list() == [1, 2]
    assert "met:" in res.top["reasons"][0]
    written = pl.read_parquet(tmp_path / "out.parquet")
    assert written.drop("reasons").equals(score(prepared(), icp, as_of=AS_OF).drop("reasons"))


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.integers(0, 10_000).map(lambda k: round(k / 100, 2)),
            st.floats(-5, 200),
            st.just(float("nan")),
        ),
        max_size=60,
    )
)
def test_fast_rank_equals_sorting_rank(values: list[float]) -> None:
    """The histogram rank agrees with polars' sorting rank on and off the 0.01 grid."""
    s = pl.Series("priority", values, dtype=pl.Float64)
    want = s.rank(method="min", descending=True).cast(pl.Int64)
    assert rank_desc(s).to_list() == want.to_list()


def test_prepared_skips_the_normalisation_check(icp: ICP) -> None:
    """prepared=True scores a clean frame identically and trusts, not fixes, dirty values."""
    df = prepared()
    assert score(df, icp, as_of=AS_OF, prepared=True).equals(score(df, icp, as_of=AS_OF))
    dirty = df.with_columns(pl.lit(" SaaS ").alias("industry"))
    fixed = score(dirty, icp, as_of=AS_OF)
    trusted = score(dirty, icp, as_of=AS_OF, prepared=True)
    # Row 0 (employees 1,200) meets "industry is saas" only once " SaaS " is normalised.
    assert trusted["fit_score"][0] < fixed["fit_score"][0]
    assert fixed["fit_score"][0] == score(df, icp, as_of=AS_OF)["fit_score"][0]


def test_reference_date_absent_means_scoring_date():
    """A window fitted as 'before close_date' counts back from as_of on prospects."""
    from datetime import date

    import polars as pl

    from icpkit.criteria import Criterion
    from icpkit.icp import ICP, Scoring, Segment
    from icpkit.scoring import score

    crit = Criterion(column="last_funding_date", within_days=180, before="close_date")
    icp = ICP(
        segments=[Segment(id="s", name="s", must=[Criterion(column="industry", in_=("saas",))])],
        scoring=Scoring(timing=[crit.model_copy(update={"weight": 1.0})]),
    )
    prospects = pl.DataFrame(
        {
            "industry": ["saas", "saas", "saas"],
            "last_funding_date": [date(2026, 10, 1), date(2025, 1, 1), None],
        }
    )
    out = score(prospects, icp, as_of=date(2026, 11, 1), rank=False)
    assert out["in_market"].to_list() == [True, False, False]
    # With the column present, it is used as the reference instead.
    customers = prospects.with_columns(close_date=pl.lit(date(2025, 3, 1)))
    out2 = score(customers, icp, as_of=date(2026, 11, 1), rank=False)
    assert out2["in_market"].to_list() == [False, True, False]


def test_points_add_to_the_score_and_disqualified_accounts_score_zero() -> None:
    """scoring.points add their weights when met; unknown adds nothing; disqualified → 0."""
    data = dict(ICP_DICT)
    data["segments"] = []
    data["scoring"] = {
        **ICP_DICT["scoring"],  # type: ignore[dict-item]
        "points": [
            {"column": "industry", "in": ["saas"], "weight": 0.8},
            {"column": "employees", "between": [1000, None], "weight": -0.4},
        ],
    }
    icp = ICP.model_validate(data)
    out = score(prepared(), icp, as_of=AS_OF, reasons="text")
    r = out.rows(named=True)
    assert r[0]["fit_score"] == _fit(-2 + 0.8 - 0.4)  # saas, 1,200 employees
    assert r[1]["fit_score"] == _fit(-2)  # retail, 300 employees: no points
    assert r[3]["fit_score"] == _fit(-2 + 0.8)
    # Account 3 is disqualified: its score says so, whatever its points.
    assert r[2]["disqualified"] is True and r[2]["fit_score"] == 0.0
    assert "industry is saas (+0.8 pts)" in r[0]["reasons"]
    # Failing a criterion that costs points is no reason against the account.
    assert "failed: employees" not in (r[3]["reasons"] or "")
    assert out["segment"].to_list() == [None, None, None, None]


def test_quadrant_words_follow_the_tier() -> None:
    data = dict(ICP_DICT)
    data["segments"] = []
    data["scoring"] = {
        **ICP_DICT["scoring"],  # type: ignore[dict-item]
        "intercept": 0.0,
        "tiers": {"A": 80, "B": 60, "C": 40},
    }
    out = score(prepared(), ICP.model_validate(data), as_of=AS_OF)
    # Every qualified account scores 50: tier C, "average" — never "poor fit".
    qualified = out.filter(~pl.col("disqualified"))
    assert set(qualified["tier"]) == {"C"}
    assert set(qualified["quadrant"]) <= {"average", "average + in-market"}
    assert out.filter(pl.col("disqualified"))["quadrant"].to_list()[0].startswith("poor fit")
