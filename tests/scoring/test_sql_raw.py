"""Item 16: `icp sql --raw --columns-from` scores the raw prospects table like `icp score`.

A European export (semicolon, cp1252, export headers, "$"/"€", "1.234,5", " SaaS ", "N/A",
"Shopify | Klaviyo") is loaded into DuckDB as text, exactly as read; the SQL the CLI prints
must give the polars engine's scores on the same table, column for column.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment
from icpkit.io import read_table
from icpkit.scoring import OUTPUT_COLUMNS, compile_sql, score

AS_OF = date(2024, 6, 1)
EXPORT = (
    "Company;Number of Employees;Annual Revenue;Industry;Tech Stack;Hiring;Founded\r\n"
    "Müller GmbH;6.515;1.234.567,50 €; SaaS ;Shopify | Klaviyo;ja;2024-03-01\r\n"
    "Größe AG;12.000;980.000,00 €;RETAIL;HubSpot;yes;2020-01-15\r\n"
    "Café Süd;250;N/A;saas;none;no;\r\n"
    "Bäckerei Nord;N/A;2.500,00 €;N/A;;-;2024-05\r\n"
    "Nordlicht;1.200;12,5 Mio;Saas;klaviyo;y;2023-11-30T08:00:00\r\n"
)


def _icp() -> ICP:
    seg = Segment(
        id="big",
        name="Big SaaS",
        must=[Criterion(column="industry", **{"in": ["saas"]})],
        nice=[
            Criterion(column="employees", between=(1000.0, None), weight=1.5),
            Criterion(column="revenue", between=(100_000.0, None), weight=1.0),
            Criterion(column="tech_stack", has_any=["klaviyo"], weight=0.5),
        ],
    )
    scoring = Scoring(
        points=[Criterion(column="hiring", **{"is": True}, weight=0.75)],
        timing=[Criterion(column="founded", within_days=365, weight=1.0)],
    )
    return ICP(segments=[seg], scoring=scoring)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    csv = tmp_path / "prospects.csv"
    csv.write_bytes(EXPORT.encode("cp1252"))
    return csv, _icp().save(tmp_path / "icp.yaml")


def _rows(df: pl.DataFrame) -> list[tuple]:
    return df.select(["Company", *OUTPUT_COLUMNS]).sort("Company").rows()


def test_cli_sql_on_the_raw_table_equals_icp_score(tmp_path: Path) -> None:
    csv, icp_path = _files(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "sql",
            "--icp",
            str(icp_path),
            "--table",
            "prospects",
            "--raw",
            "--columns-from",
            str(csv),
            "--as-of",
            AS_OF.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    raw = read_table(csv)  # every column text, as a warehouse staging table holds it
    con = duckdb.connect()
    con.register("prospects", raw.to_arrow())
    got = pl.from_arrow(con.sql(result.stdout).to_arrow_table())
    assert got.columns == [*raw.columns, *OUTPUT_COLUMNS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = score(raw, ICP.load(icp_path), as_of=AS_OF)
    assert _rows(got) == _rows(want)
    # The numbers were read as European (6.515 employees is big), and the ICP saw that.
    by_name = dict(zip(got["Company"], got["segment"], strict=True))
    assert by_name["Müller GmbH"] == "big"
    assert (
        got.filter(pl.col("Company") == "Müller GmbH")["fit_score"][0]
        > got.filter(pl.col("Company") == "Café Süd")["fit_score"][0]
    )


def test_without_raw_the_sql_expects_a_prepared_table(tmp_path: Path) -> None:
    csv, _ = _files(tmp_path)
    con = duckdb.connect()
    con.register("prospects", read_table(csv).to_arrow())
    sql = compile_sql(_icp(), table="prospects", as_of=AS_OF)
    try:
        con.sql(sql).fetchall()
    except duckdb.Error as exc:  # typed columns under icpkit's names are the contract
        assert "employees" in str(exc) or "Binder" in type(exc).__name__
    else:  # pragma: no cover - would mean the raw table was scored without parsing
        raise AssertionError("the prepared-table SQL ran on raw text")


def test_columns_from_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    _, icp_path = _files(tmp_path)
    missing = tmp_path / "nope.csv"
    result = CliRunner().invoke(
        app,
        ["sql", "--icp", str(icp_path), "--table", "p", "--columns-from", str(missing)],
    )
    assert result.exit_code == 1
    shown = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "nope.csv" in shown or "nope.csv" in str(result.exception)
    assert "Traceback" not in shown
