"""Equality is tested, not assumed: polars, DuckDB SQL and PostgreSQL give the same scores.

Random ICPs (tests/scoring/strategies.py) over random prepared frames with nulls everywhere are
scored by the polars engine and by the SQL :func:`compile_sql` emits, run in DuckDB and, when
``ICPKIT_PG_DSN`` points at a server (``.ci/postgres.sh`` starts one), in PostgreSQL. Every
output column must match exactly, floats included: the engines share one arithmetic plan.
Raw, messy text tables (``raw_frames``: "$1.2M", "1.234,5", " SaaS ", "N/A", "Shopify | Klaviyo",
real export headers, dates spelled ``2024-06-01T10:00``, ``6/1/2024``, ``13/05/2024``, ``01.06.2024``
and near misses like ``6/1/24``) are scored by the polars engine and ``compile_sql(raw=True)`` alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.errors import IcpkitError, UsageError
from icpkit.icp import ICP
from icpkit.scoring import OUTPUT_COLUMNS, compile_sql, score
from tests.scoring.strategies import BASE, RAW_HEADERS, frames, icps, raw_frames
from tests.scoring.test_sql_raw import date_texts

COMPARED = ["row_id", *OUTPUT_COLUMNS]


def _with_ids(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))


def _polars_rows(df: pl.DataFrame, icp: ICP) -> list[tuple]:
    out = score(df, icp, as_of=BASE)
    return sorted(out.select(COMPARED).rows())


def _duckdb_rows(
    df: pl.DataFrame,
    icp: ICP,
    tmp: Path,
    sql: str | None = None,
    *,
    normalize: bool = True,
    keep: list[str] | None = None,
) -> list[tuple]:
    path = tmp / "p.parquet"
    df.write_parquet(path)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_parquet('{path}')")
    sql = sql or compile_sql(
        icp, table="p", dialect="duckdb", as_of=BASE, normalize_text=normalize, keep=keep
    )
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    want = [*(df.columns if keep is None else keep), *OUTPUT_COLUMNS]
    assert names == want
    idx = [names.index(c) for c in COMPARED]
    return sorted(tuple(r[i] for i in idx) for r in cur.fetchall())


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=frames(), normalize=st.booleans(), slim=st.booleans())
def test_duckdb_sql_equals_polars(
    icp: ICP, df: pl.DataFrame, normalize: bool, slim: bool, tmp_path: Path
) -> None:
    # The frames are prepared, so skipping the SQL-side LOWER(TRIM()) must change nothing;
    # keeping only the id must change nothing but the columns returned.
    df = _with_ids(df)
    keep = ["row_id"] if slim else None
    got = _duckdb_rows(df, icp, tmp_path, normalize=normalize, keep=keep)
    assert got == _polars_rows(df, icp)


@st.composite
def messy_raw_frames(draw: Any) -> pl.DataFrame:
    """``raw_frames`` with date cells in every spelling icpkit reads (and near misses)."""
    df = draw(raw_frames())
    dates = {
        col: [draw(date_texts(near=BASE))[0] for _ in range(df.height)]
        for col in ("funded_on", "close_date")
    }
    return df.with_columns(pl.Series(c, v, dtype=pl.String) for c, v in dates.items())


def _raw(df: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """The raw frame under its export headers, and the columns= map icp sql would pass."""
    from icpkit.scoring.engine import resolve_columns

    df = _with_ids(df).rename(RAW_HEADERS)
    return df, resolve_columns(df.columns, list(RAW_HEADERS))


def _polars_raw_rows(df: pl.DataFrame, icp: ICP) -> list[tuple]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # number-convention notices: the point is the values
        return _polars_rows(df, icp)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=messy_raw_frames(), slim=st.booleans())
def test_duckdb_raw_sql_equals_polars_on_messy_text(
    icp: ICP, df: pl.DataFrame, slim: bool, tmp_path: Path
) -> None:
    df, columns = _raw(df)
    keep = ["row_id"] if slim else None
    sql = compile_sql(
        icp, table="p", dialect="duckdb", as_of=BASE, raw=True, columns=columns, keep=keep
    )
    assert _duckdb_rows(df, icp, tmp_path, sql, keep=keep) == _polars_raw_rows(df, icp)


def test_duckdb_scores_a_registered_arrow_table_in_place() -> None:
    """The bench's path: DuckDB reads the polars frame's Arrow buffers and returns Arrow."""
    icp = ICP.model_validate(
        {
            "segments": [
                {"id": "s", "name": "S", "must": [{"column": "industry", "in": ["saas"]}]}
            ],
            "scoring": {"timing": [{"column": "funded_on", "within_days": 30}]},
        }
    )
    df = pl.DataFrame(
        {
            "industry": ["saas", " SaaS ", "retail", None],
            "funded_on": [BASE, BASE, None, BASE],
        }
    ).with_row_index("row_id")
    con = duckdb.connect()
    con.register("p", df.to_arrow())
    got = pl.from_arrow(con.sql(compile_sql(icp, table="p", as_of=BASE)).to_arrow_table())
    got = got.sort("row_id")
    # " SaaS " is lower-cased and trimmed by the query, so rows 0 and 1 score alike.
    assert got["fit_score"][0] == got["fit_score"][1] > got["fit_score"][2]
    assert got["rank"].to_list() == [1, 1, 4, 3]
    raw = compile_sql(icp, table="p", as_of=BASE, normalize_text=False)
    got = pl.from_arrow(con.sql(raw).to_arrow_table()).sort("row_id")
    assert got["fit_score"][1] == got["fit_score"][2] < got["fit_score"][0]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=frames(), dialect=st.sampled_from(["spark", "snowflake", "bigquery"]))
def test_other_dialects_transpile_and_parse_back(
    icp: ICP, df: pl.DataFrame, dialect: str, tmp_path: Path
) -> None:
    sql = compile_sql(icp, table="analytics.prospects", dialect=dialect, as_of=BASE)
    tree = sqlglot.parse_one(sql, read=dialect)
    assert tree.find(sqlglot.exp.Window) is not None  # the rank survived
    if dialect == "spark":
        # Spark's SQL, read back into DuckDB's dialect, still computes the same scores.
        df = _with_ids(df)
        back = sqlglot.transpile(
            compile_sql(icp, table="p", dialect="spark", as_of=BASE), read="spark", write="duckdb"
        )[0]
        # sqlglot reads Spark's arrays_overlap as an unknown function; DuckDB spells it so:
        back = back.replace("ARRAYS_OVERLAP(", "list_has_any(")
        assert _duckdb_rows(df, icp, tmp_path, back) == _polars_rows(df, icp)


def test_view_and_qualified_table() -> None:
    icp = ICP.model_validate(
        {"segments": [{"id": "s", "name": "S", "must": [{"column": "industry", "in": ["saas"]}]}]}
    )
    sql = compile_sql(icp, table="db.sales.prospects", dialect="snowflake", view="db.sales.scored")
    assert sql.startswith("CREATE OR REPLACE VIEW db.sales.scored AS")
    assert "db.sales.prospects" in sql
    with pytest.raises(UsageError, match="unknown dialect") as caught:
        compile_sql(icp, table="p", dialect="oracle")
    assert isinstance(caught.value, IcpkitError) and caught.value.exit_code == 2


# -- PostgreSQL --------------------------------------------------------------------------------

PG_DSN = os.environ.get("ICPKIT_PG_DSN")
_PG_TYPES = {
    "row_id": "BIGINT",
    "industry": "TEXT",
    "region": "TEXT",
    "employees": "DOUBLE PRECISION",
    "revenue": "DOUBLE PRECISION",
    "hiring": "BOOLEAN",
    "tech_stack": "TEXT[]",
    "funded_on": "DATE",
    "close_date": "DATE",
}


@pytest.fixture(scope="module")
def pg():
    if not PG_DSN:
        pytest.skip('ICPKIT_PG_DSN is not set: start a server with `eval "$(.ci/postgres.sh)"`')
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cols = ", ".join(f'"{c}" {t}' for c, t in _PG_TYPES.items())
        conn.execute(f"CREATE TEMP TABLE p ({cols})")
        yield conn


@pytest.mark.postgres
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=frames(), slim=st.booleans())
def test_postgres_sql_equals_polars(pg, icp: ICP, df: pl.DataFrame, slim: bool) -> None:
    df = _with_ids(df)
    pg.execute("TRUNCATE p")
    cols = list(_PG_TYPES)
    with pg.cursor() as cur:
        if df.height:
            placeholders = ", ".join(["%s"] * len(cols))
            cur.executemany(
                f"INSERT INTO p ({', '.join(cols)}) VALUES ({placeholders})",
                df.select(cols).rows(),
            )
        keep = ["row_id"] if slim else None
        cur.execute(compile_sql(icp, table="p", dialect="postgres", as_of=BASE, keep=keep))
        names = [d.name for d in cur.description]
        assert names == [*(cols if keep is None else keep), *OUTPUT_COLUMNS]
        idx = [names.index(c) for c in COMPARED]
        got = sorted(tuple(r[i] for i in idx) for r in cur.fetchall())
    assert got == _polars_rows(df, icp)


@pytest.mark.postgres
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(icp=icps(), df=messy_raw_frames())
def test_postgres_raw_sql_equals_polars_on_messy_text(pg, icp: ICP, df: pl.DataFrame) -> None:
    df, columns = _raw(df)
    pg.execute('DROP TABLE IF EXISTS "raw_p"')
    cols = ", ".join(f'"{c}" {"BIGINT" if c == "row_id" else "TEXT"}' for c in df.columns)
    pg.execute(f'CREATE TEMP TABLE "raw_p" ({cols})')
    with pg.cursor() as cur:
        if df.height:
            names = ", ".join(f'"{c}"' for c in df.columns)
            cur.executemany(
                f"INSERT INTO raw_p ({names}) VALUES ({', '.join(['%s'] * df.width)})", df.rows()
            )
        sql = compile_sql(
            icp, table="raw_p", dialect="postgres", as_of=BASE, raw=True, columns=columns
        )
        cur.execute(sql)
        names = [d.name for d in cur.description]
        assert names == [*df.columns, *OUTPUT_COLUMNS]
        idx = [names.index(c) for c in COMPARED]
        got = sorted(tuple(r[i] for i in idx) for r in cur.fetchall())
    assert got == _polars_raw_rows(df, icp)


@settings(max_examples=30, deadline=None)
@given(icp=icps(), dialect=st.sampled_from(["spark", "snowflake", "bigquery"]))
def test_raw_sql_transpiles_without_duckdb_only_regex_flags(icp: ICP, dialect: str) -> None:
    # Snowflake would read REGEXP_REPLACE's 'g' as a position; BigQuery refuses it. Both
    # replace every match by default, as the polars engine does.
    sql = compile_sql(icp, table="analytics.prospects", dialect=dialect, as_of=BASE, raw=True)
    sqlglot.parse_one(sql, read=dialect)
    assert ", 'g')" not in sql
