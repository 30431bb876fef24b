"""icp diff shows the points table, the part of the ICP that fit_score adds up.

Found on the Crunchbase export: two ICPs whose 45 points differed (weights moved, ten traits
gone) were reported as differing only in segment bonuses, one disqualifier and tier thresholds.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.versions import diff


def _icp(points: list[dict[str, object]], version: int) -> ICP:
    return ICP.model_validate(
        {
            "version": version,
            "columns": {"id": "id"},
            "scoring": {"intercept": -1.0, "points": points},
        }
    )


OLD = [
    {"column": "total_charges", "between": [1000, None], "weight": 5.2},
    {"column": "total_charges", "between": [6000, None], "weight": 4.5},
    {"column": "contract", "in": ["two year"], "weight": 0.5},
]
NEW = [
    {"column": "total_charges", "between": [1000, None], "weight": 5.2},
    {"column": "total_charges", "between": [3000, None], "weight": 3.1},
    {"column": "contract", "in": ["two year"], "weight": 1.25},
]


def test_diff_lists_point_changes() -> None:
    d = diff(_icp(OLD, 1), _icp(NEW, 2))
    points = [str(e) for e in d.sections()["Points"]]
    assert points == [
        "~ points for contract is two year: weight +0.5 → +1.25",
        "- points for total charges ≥ $6K",
        "+ points for total charges ≥ $3K: weight +3.1",
    ], points


def test_diff_cli_shows_points(tmp_path: Path) -> None:
    old, new = tmp_path / "icp.v1.yaml", tmp_path / "icp.yaml"
    _icp(OLD, 1).save(old)
    _icp(NEW, 2).save(new)
    r = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert r.exit_code == 0, r.output
    assert "Points" in r.output and "total charges ≥ $6K" in r.output
    same = CliRunner().invoke(app, ["diff", str(old), str(old)])
    assert same.exit_code == 0 and "no differences" in same.output
