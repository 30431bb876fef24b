"""icp status gives drift in percentage points and refuses a threshold that is not a fraction.

Found on the Crunchbase export: "18% ... vs 54% at fit; change -37% (drift, threshold 15%)" —
a fall of 37 percentage points (a 67% relative fall) printed as a percent, and
``--drift-threshold 15`` (meant as 15%) was accepted and could never flag drift.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP

runner = CliRunner()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {
                "intercept": -3.0,
                "points": [{"column": "industry", "in": ["saas"], "weight": 5.0}],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
            "validation": {"in_sample": {"recall": 0.6}},
        }
    )
    icp_path = tmp_path / "icp.yaml"
    icp.save(icp_path)
    recent = tmp_path / "recent.csv"
    rows = [f"r{i},{'saas' if i < 10 else 'retail'}" for i in range(40)]
    recent.write_text("id,industry\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return icp_path, recent


def test_status_drift_in_points(tmp_path: Path) -> None:
    icp_path, recent = _files(tmp_path)
    args = ["status", str(icp_path), "--recent", str(recent), "--today", "2026-12-05"]
    r = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert r.exit_code == 3, r.output
    # 10 of 40 = 25% selected now against 60% at fit: 35 points down.
    assert "10 of 40 = 25%" in r.output
    assert "-35 percentage points" in r.output
    assert "-35%" not in r.output


def test_status_threshold_must_be_a_fraction(tmp_path: Path) -> None:
    icp_path, recent = _files(tmp_path)
    r = runner.invoke(
        app, ["status", str(icp_path), "--recent", str(recent), "--drift-threshold", "15"]
    )
    assert r.exit_code == 2
    assert "--drift-threshold" in r.output
