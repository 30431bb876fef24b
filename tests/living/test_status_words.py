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


def test_notes_name_the_file_the_columns_came_from(tmp_path: Path) -> None:
    """With --accounts, the recent wins' attributes come from the accounts file; on the
    Crunchbase export every note about them was headed with the ids-only file's name."""
    icp_path, _ = _files(tmp_path)
    ids = tmp_path / "recent_ids.csv"
    ids.write_text("id\n" + "\n".join(f"r{i}" for i in range(40)) + "\n", encoding="utf-8")
    accounts = tmp_path / "accounts.csv"
    rows = [f"r{i},{'saas' if i < 10 else 'retail'},same" for i in range(40)]
    accounts.write_text("id,industry,country\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["status", str(icp_path), "--recent", str(ids), "--accounts", str(accounts)]
    r = runner.invoke(app, [*args, "--today", "2026-12-05"], env={"COLUMNS": "300"})
    assert r.exit_code == 3, r.output
    notes = [ln for ln in r.output.splitlines() if "column 'country'" in ln]
    assert notes and all("recent_ids.csv + " in ln and "accounts.csv" in ln for ln in notes), notes
