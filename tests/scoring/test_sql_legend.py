"""icp sql says how to read its reasons column, and the legend decodes the codes correctly.

Found comparing `icp sql` in DuckDB with `icp score` on the Crunchbase export: every number
matched, but the SQL's reasons were '----++-+-+-+…' (or an integer on smaller ICPs) with nothing
anywhere saying which criterion each position stands for.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP

POINTS = [
    {"column": "industry", "in": ["saas"], "weight": 1.0},
    {"column": "seats", "between": [50, None], "weight": 0.5},
    {"column": "region", "in": ["emea"], "weight": -0.3},
]


def _icp(n_extra: int) -> ICP:
    # Past 31 criteria the code is a string; up to 31 a base-4 integer.
    extra = [{"column": "seats", "between": [k, None], "weight": 0.01} for k in range(n_extra)]
    return ICP.model_validate(
        {
            "columns": {"id": "id"},
            "disqualifiers": [{"column": "region", "in": ["mars"]}],
            "scoring": {"intercept": -1.0, "points": POINTS + extra},
        }
    )


def _states(code: object, n: int) -> list[str]:
    if isinstance(code, str):
        return [{"+": "met", "-": "failed", "?": "unknown"}[ch] for ch in code]
    value = int(code)  # type: ignore[call-overload]
    return [{0: "failed", 1: "met", 2: "unknown"}[(value >> (2 * i)) & 3] for i in range(n)]


@pytest.mark.parametrize("n_extra", [0, 40])
def test_legend_decodes_the_sql_reasons(tmp_path: Path, n_extra: int) -> None:
    icp_path, src = tmp_path / "icp.yaml", tmp_path / "p.csv"
    _icp(n_extra).save(icp_path)
    src.write_text("id,industry,seats,region\n1,SaaS,80,\n2,retail,10,mars\n", encoding="utf-8")
    r = CliRunner().invoke(
        app, ["sql", "--icp", str(icp_path), "--table", "t", "--raw", "--columns-from", str(src)]
    )
    assert r.exit_code == 0, r.output
    legend = dict(re.findall(r"^--\s+(\d+): (.+)$", r.output, flags=re.M))
    assert legend["0"] == "industry is saas" and legend["2"] == "region is emea"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{src}', all_varchar=true)")
    rows = dict(con.execute(f"SELECT id, reasons FROM ({r.output}) ORDER BY id").fetchall())
    n = len(legend)
    by_row = {
        i: {legend[str(k)]: st for k, st in enumerate(_states(code, n))} for i, code in rows.items()
    }
    assert by_row["1"]["industry is saas"] == "met" and by_row["1"]["seats ≥ 50"] == "met"
    assert by_row["1"]["region is emea"] == "unknown"
    assert by_row["2"]["industry is saas"] == "failed"
    assert by_row["2"]["region is mars (disqualifier)"] == "met"
