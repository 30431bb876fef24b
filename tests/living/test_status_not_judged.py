"""``icp status`` says when it cannot judge drift, and why, instead of "ok".

Found on the Crunchbase export: a recent-wins file with none of the ICP's columns printed
"recent wins not compared" and then "ok"; eight recent wins whose share could be anything from
chance to a collapse were judged on the point estimate; a file lacking one of the two columns
an account needs to reach tier B read as drift (exit 3), the missing column counting as "not met".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.versions import status

runner = CliRunner()
TODAY = ["--today", "2026-12-05"]


def _icp(tmp_path: Path) -> Path:
    """Selected (tier A/B) only when both points are met: -6 + 4 + 4 = +2 (88%); one alone
    gives -2 (12%, tier D)."""
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {
                "intercept": -6.0,
                "points": [
                    {"column": "industry", "in": ["saas"], "weight": 4.0},
                    {"column": "employees", "between": [200, None], "weight": 4.0},
                ],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
            "validation": {"in_sample": {"recall": 0.6}},
        }
    )
    p = tmp_path / "icp.yaml"
    icp.save(p)
    return p


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _status(icp: Path, recent: Path) -> tuple[int, str]:
    r = runner.invoke(app, ["status", str(icp), "--recent", str(recent), *TODAY])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.output


def test_no_icp_column_is_not_ok(tmp_path: Path) -> None:
    recent = _csv(tmp_path / "recent.csv", "id,colour", [f"r{i},red" for i in range(50)])
    code, out = _status(_icp(tmp_path), recent)
    assert code == 0, out
    assert "drift not judged" in out and "none of the attributes" in out
    assert "industry" in out  # names what it looked for
    assert "ok" not in out.split()


def test_too_few_wins_to_tell(tmp_path: Path) -> None:
    # 3 of 5 selected: 60% [23%–88%] holds both 60% (no change) and < 45% (drift).
    rows = [f"r{i},saas,{500 if i < 3 else 50}" for i in range(5)]
    recent = _csv(tmp_path / "recent.csv", "id,industry,employees", rows)
    code, out = _status(_icp(tmp_path), recent)
    assert code == 0, out
    assert "drift not judged" in out and "only 5 recent wins" in out
    assert "ok" not in out.split()


def test_few_wins_can_still_show_drift(tmp_path: Path) -> None:
    # 0 of 12 selected: 0% [0%–24%], wholly below 60% - 15 points.
    rows = [f"r{i},retail,50" for i in range(12)]
    recent = _csv(tmp_path / "recent.csv", "id,industry,employees", rows)
    code, out = _status(_icp(tmp_path), recent)
    assert code == 3, out
    assert "drift not judged" not in out and "needs attention" in out


def test_many_wins_are_judged(tmp_path: Path) -> None:
    rows = [f"r{i},saas,{500 if i < 30 else 50}" for i in range(50)]  # 60%, as at fit
    recent = _csv(tmp_path / "recent.csv", "id,industry,employees", rows)
    code, out = _status(_icp(tmp_path), recent)
    assert code == 0 and "ok" in out.split() and "not judged" not in out, out


def test_a_missing_column_is_not_read_as_drift(tmp_path: Path) -> None:
    # Every win is saas; without employees none reaches tier B, which is the missing data.
    recent = _csv(tmp_path / "recent.csv", "id,industry", [f"r{i},saas" for i in range(50)])
    code, out = _status(_icp(tmp_path), recent)
    assert code == 0, out
    assert "drift not judged" in out and "employees" in out
    assert "needs attention" not in out


def test_library_says_why() -> None:
    icp = ICP.model_validate({"scoring": {"intercept": 0.0, "tiers": {"A": 40, "B": 25, "C": 15}}})
    st = status(icp, recent=pl.DataFrame({"x": [1, 2]}), today=date(2026, 1, 1))
    # No fit-time recall recorded: nothing to compare with.
    assert st.not_judged is not None and "fit-time recall" in st.not_judged
    assert not st.drifted and st.exit_code == 0
    empty = status(icp, recent=pl.DataFrame({"x": []}), today=date(2026, 1, 1))
    assert empty.not_judged == "no recent wins to compare"


@pytest.mark.parametrize("k", [0, 1, 2])
def test_interval_outside_the_boundary_is_judged(tmp_path: Path, k: int) -> None:
    # k of 20 selected is at most 10%, and its interval tops out below 45%.
    rows = [f"r{i},saas,{500 if i < k else 50}" for i in range(20)]
    recent = _csv(tmp_path / f"recent{k}.csv", "id,industry,employees", rows)
    code, out = _status(_icp(tmp_path), recent)
    assert code == 3 and "not judged" not in out, out
