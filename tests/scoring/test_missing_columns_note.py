"""Scoring a file that lacks some of the ICP's columns (``--missing unknown``) says so.

Found scoring the Crunchbase export with the Telco ICP: all 15 columns absent, every account
tier D "poor fit", and nothing printed to say the scores were low for want of data.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.scoring import score_file

ICP_DICT = {
    "columns": {"id": "id"},
    "scoring": {
        "intercept": -2.0,
        "points": [
            {"column": "industry", "in": ["saas"], "weight": 2.0},
            {"column": "seats", "between": [50, None], "weight": 1.0},
            {"column": "contract", "in": ["annual"], "weight": 1.0},
        ],
    },
}
FRAME = pl.DataFrame({"id": [1, 2, 3], "Industry": ["SaaS", "retail", "saas"]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_absent_columns_are_named(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / f"p{suffix}"
    FRAME.write_csv(src) if suffix == ".csv" else FRAME.write_parquet(src)
    icp = ICP.model_validate(ICP_DICT)
    res = score_file(src, icp, tmp_path / f"out{suffix}", missing="unknown")
    notes = [w for w in res.warnings if "columns the ICP reads" in w]
    assert len(notes) == 1
    assert notes[0].startswith("2 of the 3 columns the ICP reads are not in the file")
    assert "'seats'" in notes[0] and "'contract'" in notes[0] and "'industry'" not in notes[0]

    icp_path = tmp_path / "icp.yaml"
    icp.save(icp_path)
    args = ["score", str(src), "--icp", str(icp_path), "-o", str(tmp_path / f"cli{suffix}")]
    r = CliRunner().invoke(app, [*args, "--missing", "unknown"], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "note: 2 of the 3 columns the ICP reads are not in the file" in r.output


def test_no_note_when_every_column_is_there(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    FRAME.with_columns(seats=pl.lit(60), contract=pl.lit("annual")).write_csv(src)
    res = score_file(src, ICP.model_validate(ICP_DICT), tmp_path / "o.csv", missing="unknown")
    assert not any("columns the ICP reads" in w for w in res.warnings)
