"""A disqualified account ranks below every qualified one, in every engine.

On the Telco export 231 qualified accounts had a modelled share that rounds to 0.0: fit_score 0,
priority 0 and the same rank as the 4,243 disqualified accounts, so "disqualifiers put an account
below every qualified one" was not true of the output.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from icpkit.icp import ICP
from icpkit.scoring import compile_sql, score_file

ICP_DICT = {
    "columns": {"id": "id"},
    "disqualifiers": [{"column": "deployment", "in": ["on-prem"]}],
    "scoring": {
        # A very low intercept: a qualified account without the point rounds to 0.0%.
        "intercept": -9.0,
        "points": [{"column": "industry", "in": ["saas"], "weight": 3.0}],
    },
}


def _write_accounts(path: Path) -> None:
    path.write_text(
        "id,industry,deployment\n"
        "1,saas,cloud\n"
        "2,retail,cloud\n"
        "3,retail,on-prem\n"
        "4,saas,on-prem\n"
        "5,retail,\n",
        encoding="utf-8",
    )


def _check(scored: pl.DataFrame) -> None:
    qualified = scored.filter(~pl.col("disqualified"))
    disqualified = scored.filter(pl.col("disqualified"))
    assert qualified.height == 3 and disqualified.height == 2
    assert qualified["fit_score"].min() > 0.0  # type: ignore[operator]
    assert (disqualified["fit_score"] == 0.0).all()
    assert qualified["rank"].max() < disqualified["rank"].min()  # type: ignore[operator]
    assert qualified["priority"].min() > 0.0  # type: ignore[operator]


def test_polars_engine_ranks_disqualified_last(tmp_path: Path) -> None:
    src, out = tmp_path / "accounts.csv", tmp_path / "scored.parquet"
    _write_accounts(src)
    score_file(src, ICP.model_validate(ICP_DICT), out)
    scored = pl.read_parquet(out)
    _check(scored)
    # The qualified accounts without the point sit at the floor, not at 0.
    assert scored.filter(pl.col("id").cast(pl.String).is_in(["2", "5"]))["fit_score"].to_list() == [
        0.1,
        0.1,
    ]


def test_sql_ranks_disqualified_last(tmp_path: Path) -> None:
    src = tmp_path / "accounts.csv"
    _write_accounts(src)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{src}', all_varchar=true)")
    sql = compile_sql(ICP.model_validate(ICP_DICT), table="t", raw=True)
    scored = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(scored, pl.DataFrame)
    _check(scored)
