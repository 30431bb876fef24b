"""A calibration that proposes nothing keeps the version number.

Found on the Telco export: two successive cohorts each gave "No change proposed", yet
``icp calibrate --write`` wrote v2 and then v3, with ``icp diff`` reporting "v1 → v2: no
differences" — a version number that says nothing changed. The review is still recorded (a
changelog entry under the same version) and restarts the review clock.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.proposal import Proposal, apply, write_revision
from tests.living.conftest import null_cohort

runner = CliRunner()


def test_apply_without_changes_keeps_the_version(fitted_icp: ICP) -> None:
    empty = Proposal(from_version=fitted_icp.version, cohort="q3", changes=[])
    new = apply(fitted_icp, empty, cohort="q3", today=date(2026, 9, 1))
    assert new.version == fitted_icp.version
    assert new.segments == fitted_icp.segments and new.scoring == fitted_icp.scoring
    entry = new.changelog[-1]
    assert entry.version == fitted_icp.version and entry.changes == []
    assert entry.date == date(2026, 9, 1) and entry.cohort == "q3"
    assert new.review_by == date(2027, 9, 1)  # the clock restarts with the file's cadence
    assert new.notes == fitted_icp.notes  # no "validation figures are from v…" note


def test_write_without_changes_keeps_no_backup(tmp_path: Path, fitted_icp: ICP) -> None:
    target = tmp_path / "icp.yaml"
    fitted_icp.save(target)
    new = apply(fitted_icp, Proposal(fitted_icp.version, "q3", []), today=date(2026, 9, 1))
    assert write_revision(fitted_icp, new, target) == [target]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["icp.yaml"]
    assert ICP.load(target).version == fitted_icp.version


def test_calibrate_write_with_nothing_to_change(tmp_path: Path, icp_file: Path) -> None:
    icp = tmp_path / "icp.yaml"
    shutil.copy(icp_file, icp)
    v = ICP.load(icp).version
    null_cohort(101).write_csv(tmp_path / "q3.csv")
    args = ["calibrate", "--icp", str(icp), "--outcomes", str(tmp_path / "q3.csv")]
    args += ["--today", "2026-09-01"]
    r = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "No change proposed" in r.output
    assert f"the version stays {v}" in r.output and f"version {v + 1}" not in r.output
    r = runner.invoke(app, [*args, "--write", str(icp)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert f"version stays {v}" in r.output
    new = ICP.load(icp)
    assert new.version == v and new.changelog[-1].date == date(2026, 9, 1)
    assert not list(tmp_path.glob("icp.v*.yaml"))
    r = runner.invoke(app, ["diff", str(icp_file), str(icp)])
    assert r.exit_code == 0, r.output
    assert f"v{v} → v{v}" in r.output and "review by" in r.output
