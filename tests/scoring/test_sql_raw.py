"""Item 16: `icp sql --raw --columns-from` scores the raw prospects table like `icp score`.

A European export (semicolon, cp1252, export headers, "$"/"€", "1.234,5", " SaaS ", "N/A",
"Shopify | Klaviyo") is loaded into DuckDB as text, exactly as read; the SQL the CLI prints
must give the polars engine's scores on the same table, column for column.
"""

from __future__ import annotations

import os
import warnings
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.columns.parsing import parse_date
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment
from icpkit.io import read_table
from icpkit.scoring import OUTPUT_COLUMNS, compile_sql, score
from icpkit.scoring.sql import header_map

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


# -- dates: every spelling icpkit reads, parsed alike by both engines -------------------------

#: Spellings of a date icpkit reads (columns.DATE_SHAPES) and their meaning. ``{D}``/``{M}`` are
#: unpadded day/month; a time, a zone or an AM/PM may follow.
_READ = [
    "{Y}-{m}-{d}",
    "{Y}-{M}-{D}",
    "{Y}-{m}-{d}T10:30:00",
    "{Y}-{m}-{d}T10:30:00Z",
    "{Y}-{m}-{d} 10:30",
    "{Y}/{m}/{d}",
    "{Y}/{M}/{D} 08:00",
    "{m}/{d}/{Y}",
    "{M}/{D}/{Y}",
    "{M}/{D}/{Y} 3:45 PM",
    "{d}.{m}.{Y}",
    "{D}.{M}.{Y}",
    "{d}.{m}.{Y} 14:00",
]
#: Day-first slashed dates: read day-first only when month-first is impossible.
_DAY_FIRST = ["{d}/{m}/{Y}", "{D}/{M}/{Y}", "{D}/{M}/{Y}\t09:15"]
#: Near misses both engines must leave null (two-digit years, other separators, junk).
_NOT_READ = [
    "{M}/{D}/{y}",
    "{d}.{m}.{y}",
    "{Y}.{m}.{d}",
    "{m}-{d}-{Y}",
    "{Y}-{m}-{d}x",
    "+{Y}-{m}-{d}",
    "{Y}-0{m}-{d}",
    "{m}/{d}/{Y}/",
    "{m} /{d}/{Y}",
]
_IMPOSSIBLE = ["2023-02-29", "2024-13-01", "02/30/2024", "31.02.2024", "13/13/2024", "0000-01-05"]
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u3000"])


def _spell(fmt: str, d: date) -> str:
    return fmt.format(
        Y=f"{d.year:04d}",
        y=f"{d.year % 100:02d}",
        m=f"{d.month:02d}",
        d=f"{d.day:02d}",
        M=str(d.month),
        D=str(d.day),
    )


def _meaning(fmt: str, d: date) -> date | None:
    """What the text means by icpkit's rule: month-first wins for an ambiguous slashed date."""
    if fmt in _NOT_READ:
        return None
    if fmt in _DAY_FIRST and d.day <= 12:
        return date(d.year, d.day, d.month)  # read month-first: always a real date
    return d


@st.composite
def date_texts(draw: Any, *, near: date = AS_OF, days: int = 800) -> tuple[str | None, date | None]:
    """A date cell as exports spell it, with the date it means (None: not a date)."""
    kind = draw(st.sampled_from(["read", "read", "read", "day_first", "not_read", "junk"]))
    if kind == "junk":
        text = draw(st.sampled_from([*_IMPOSSIBLE, "not a date", "", "N/A", "2024", "soon"]))
        return draw(st.one_of(st.none(), st.just(text))), None
    d = near + timedelta(days=draw(st.integers(-days, days)))
    fmt = draw(
        st.sampled_from({"read": _READ, "day_first": _DAY_FIRST, "not_read": _NOT_READ}[kind])
    )
    text = draw(_SPACE) + _spell(fmt, d) + draw(_SPACE)
    return text, _meaning(fmt, d)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(date_texts(), min_size=1, max_size=40))
def test_polars_reads_each_spelling_as_meant(cells: list[tuple[str | None, date | None]]) -> None:
    texts = [t for t, _ in cells]
    frame = pl.DataFrame({"d": texts}, schema={"d": pl.String})
    got = frame.select(parse_date(pl.col("d"))).to_series().to_list()
    assert got == [m for _, m in cells]


def _date_icp() -> ICP:
    """Timing windows on two date columns, one comparing them (a day apart at most)."""
    windows = [
        Criterion(column="founded", within_days=n, weight=w)
        for n, w in ((1, 0.5), (30, 1.0), (365, 1.5), (2000, 0.25))
    ]
    same_day = Criterion(column="founded", within_days=1, before="close_date", weight=2.0)
    return ICP(
        segments=[],
        scoring=Scoring(
            intercept=-1.0,
            points=[same_day, Criterion(column="close_date", within_days=90, weight=0.75)],
            timing=[*windows, Criterion(column="close_date", within_days=30, weight=1.0)],
        ),
    )


@st.composite
def _date_rows(draw: Any) -> pl.DataFrame:
    """Rows of two date cells; half the rows spell one date twice (the same-day test holds)."""
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        founded = draw(date_texts())
        if founded[1] is not None and draw(st.booleans()):  # the same date, spelled otherwise
            rows.append((founded[0], _spell(draw(st.sampled_from(_READ)), founded[1])))
        else:
            rows.append((founded[0], draw(date_texts())[0]))
    return pl.DataFrame(
        {
            "Company": [f"c{i}" for i in range(len(rows))],
            "Founded": [a for a, _ in rows],
            "Close Date": [b for _, b in rows],
        },
        schema={"Company": pl.String, "Founded": pl.String, "Close Date": pl.String},
    )


def _polars_scores(df: pl.DataFrame) -> list[tuple]:
    return _rows(score(df, _date_icp(), as_of=AS_OF))


def _sql(dialect: str, table: str, df: pl.DataFrame) -> str:
    return compile_sql(
        _date_icp(),
        table=table,
        dialect=dialect,
        as_of=AS_OF,
        raw=True,
        columns=header_map(_date_icp(), df.columns),
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(df=_date_rows())
def test_duckdb_raw_sql_reads_dates_like_polars(df: pl.DataFrame) -> None:
    con = duckdb.connect()
    con.register("p", df.to_arrow())
    got = pl.from_arrow(con.sql(_sql("duckdb", "p", df)).to_arrow_table())
    assert _rows(got) == _polars_scores(df)


PG_DSN = os.environ.get("ICPKIT_PG_DSN")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_DSN, reason='ICPKIT_PG_DSN is not set: eval "$(.ci/postgres.sh)"')
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(df=_date_rows())
def test_postgres_raw_sql_reads_dates_like_polars(df: pl.DataFrame) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn, conn.cursor() as cur:
        cols = ", ".join(f'"{c}" TEXT' for c in df.columns)
        cur.execute(f"CREATE TEMP TABLE p ({cols})")
        names = ", ".join(f'"{c}"' for c in df.columns)
        cur.executemany(f"INSERT INTO p ({names}) VALUES (%s, %s, %s)", df.rows())
        cur.execute(_sql("postgres", "p", df))
        got = pl.DataFrame(cur.fetchall(), schema=[d.name for d in cur.description], orient="row")
    assert _rows(got) == _polars_scores(df)


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "spark"])
def test_raw_date_sql_parses_back_in_every_dialect(dialect: str) -> None:
    df = pl.DataFrame({"Founded": ["1/5/2024"], "Close Date": ["05.01.2024"]})
    sqlglot.parse_one(_sql(dialect, "analytics.p", df), read=dialect)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(df=_date_rows())
def test_bigquery_raw_sql_splits_dates_without_split_part(df: pl.DataFrame) -> None:
    """BigQuery has no SPLIT_PART: its SQL splits with SPLIT(...)[SAFE_OFFSET(i)], and that SQL,
    read as BigQuery and run in DuckDB, still reads every date spelling as polars does."""
    sql = _sql("bigquery", "p", df)
    assert "SPLIT_PART" not in sql.upper()
    assert "SAFE_OFFSET" in sql.upper()
    con = duckdb.connect()
    con.register("p", df.to_arrow())
    back = sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]
    got = pl.from_arrow(con.sql(back).to_arrow_table())
    assert _rows(got) == _polars_scores(df)


def test_raw_sql_keeps_non_ascii_letters_and_strips_unicode_spaces() -> None:
    """Whitespace is Unicode White_Space only: 'ß', 'ä', 'é' are letters, U+3000 is a space."""
    icp = ICP(
        segments=[
            Segment(
                id="b",
                name="Bakeries",
                must=[Criterion(column="industry", **{"in": ["bäckerei straße café"]})],
            )
        ]
    )
    df = pl.DataFrame(
        {
            "Company": ["a", "b", "c"],
            "Industry": ["\u3000Bäckerei  Straße\u00a0Café ", "bäckerei straße café", "Bäckerei"],
        }
    )
    con = duckdb.connect()
    con.register("p", df.to_arrow())
    sql = compile_sql(icp, table="p", raw=True, columns=header_map(icp, df.columns))
    got = pl.from_arrow(con.sql(sql).to_arrow_table()).sort("Company")
    assert got["segment"].to_list() == ["b", "b", None]
    assert _rows(got) == _rows(score(df, icp))
