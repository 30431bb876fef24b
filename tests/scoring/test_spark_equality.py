"""Spark scoring equals the polars engine: the SQL of ``icp sql --dialect spark`` run for real.

Random ICPs (tests/scoring/strategies.py) over random prepared frames, and over raw messy text
tables, are scored by the polars engine and by Spark SQL in a local[2] session; every output
column must match exactly, as the DuckDB and PostgreSQL equality tests require. One Spark
session serves the whole test session (starting one takes seconds); few examples keep the
runtime modest. Skips when PySpark or Java is missing (.ci/java.sh installs Java).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from icpkit.icp import ICP
from icpkit.scoring import OUTPUT_COLUMNS, score
from tests.scoring.strategies import BASE, RAW_HEADERS, frames, icps, raw_frames

pytest.importorskip("pyspark")


@pytest.fixture(scope="session")
def spark():
    from icpkit.scoring.spark import SparkUnavailable, spark_session

    try:
        return spark_session("local[2]", "icpkit-tests")
    except SparkUnavailable as exc:
        pytest.skip(str(exc))


def _rows(df: pl.DataFrame) -> list[tuple]:
    return df.select(OUTPUT_COLUMNS).rows()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=frames())
def test_spark_sql_equals_polars(spark, icp: ICP, df: pl.DataFrame) -> None:
    from icpkit.scoring.spark import score_spark

    got = score_spark(df, icp, as_of=BASE, spark=spark)
    assert got.columns == [*df.columns, *OUTPUT_COLUMNS]
    assert _rows(got) == _rows(score(df, icp, as_of=BASE))


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=raw_frames())
def test_spark_raw_sql_equals_polars_on_messy_text(spark, icp: ICP, df: pl.DataFrame) -> None:
    from icpkit.scoring.engine import resolve_columns
    from icpkit.scoring.spark import score_spark

    df = df.rename(RAW_HEADERS)
    columns = resolve_columns(df.columns, list(RAW_HEADERS))
    got = score_spark(df, icp, as_of=BASE, spark=spark, raw=True, columns=columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # number-convention notices: the point is the values
        want = score(df, icp, as_of=BASE)
    assert _rows(got) == _rows(want)


def test_icp_score_engine_spark_equals_polars_on_a_file(spark, tmp_path: Path) -> None:
    """The CLI path: the same file scored by both engines gives the same scores and ranks."""
    from typer.testing import CliRunner

    from icpkit.cli import app

    icp = ICP.model_validate(
        {
            "segments": [
                {"id": "s", "name": "S", "must": [{"column": "industry", "in": ["saas"]}]}
            ],
            "scoring": {
                "points": [
                    {"column": "employees", "between": [50, 500], "weight": 1.2},
                    {"column": "tech_stack", "has_any": ["shopify plus"], "weight": 0.7},
                ]
            },
        }
    )
    (tmp_path / "icp.yaml").write_text(icp.to_yaml())
    src = tmp_path / "prospects.csv"
    src.write_text(
        "Company,Industry,Employees,Tech Stack\n"
        "a, SaaS ,120,Shopify Plus; Klaviyo\n"
        'b,retail,"1,200",\n'
        "c,saas,30,shopify plus\n"
        "d,,n/a,intercom\n"
    )
    runner = CliRunner()
    for engine in ("polars", "spark"):
        res = runner.invoke(
            app,
            ["score", str(src), "--icp", str(tmp_path / "icp.yaml"), "-o",
             str(tmp_path / f"{engine}.parquet"), "--as-of", "2024-06-01", "--engine", engine],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
    a = pl.read_parquet(tmp_path / "polars.parquet")
    b = pl.read_parquet(tmp_path / "spark.parquet")
    assert a.columns == b.columns
    assert a.select(OUTPUT_COLUMNS).rows() == b.select(OUTPUT_COLUMNS).rows()
    assert a["tier"].to_list() != ["D"] * 4  # the file exercises the rules


def test_icp_sql_dialect_spark_output_runs_in_spark(spark, tmp_path: Path) -> None:
    """The text `icp sql --dialect spark` prints, run as is in Spark, scores like polars."""
    from datetime import timedelta

    from typer.testing import CliRunner

    from icpkit.cli import app

    icp = ICP.model_validate(
        {
            "segments": [
                {"id": "s", "name": "S", "must": [{"column": "industry", "in": ["saas", "media"]}]}
            ],
            "disqualifiers": [{"column": "tech_stack", "has_any": ["intercom"]}],
            "scoring": {
                "points": [{"column": "revenue", "between": [None, 500], "weight": 0.8}],
                "timing": [{"column": "funded_on", "within_days": 90}],
            },
        }
    )
    (tmp_path / "icp.yaml").write_text(icp.to_yaml())
    df = pl.DataFrame(
        {
            "industry": ["saas", "media", "retail", None, "saas", "fintech"],
            "revenue": [100.0, 900.0, 20.0, 400.0, None, 499.99],
            "tech_stack": [["hubspot"], ["intercom"], [], None, ["klaviyo", "intercom"], ["zendesk"]],
            "funded_on": [BASE - timedelta(days=d) if d is not None else None
                          for d in (10, 200, 89, 90, None, 0)],
        }
    )  # fmt: skip
    res = CliRunner().invoke(
        app,
        ["sql", "--icp", str(tmp_path / "icp.yaml"), "--table", "prospects", "--dialect",
         "spark", "--as-of", BASE.isoformat()],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    spark.createDataFrame(df.to_arrow()).createOrReplaceTempView("prospects")
    got = pl.from_arrow(spark.sql(res.output).toArrow())
    want = score(df, icp, as_of=BASE)
    key = [c for c in df.columns if c != "tech_stack"]
    cols = [*key, *OUTPUT_COLUMNS]  # Spark returns rows in its own order: compare as sets
    assert sorted(got.select(cols).rows(), key=repr) == sorted(want.select(cols).rows(), key=repr)
    assert len(set(got["tier"])) > 1
