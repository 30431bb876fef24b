"""``icp status --today`` measures the ICP's windows from that day.

Found replaying the Crunchbase export: ``--today`` moved the review clock but "raised funding in
the last N days" was still measured back from the real today, so wins from the replayed period
could never meet a recency criterion and read as drift.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP

runner = CliRunner()


def test_windows_end_on_the_status_day(tmp_path: Path) -> None:
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {
                "intercept": -3.0,
                "points": [{"column": "last_funding_at", "within_days": 365, "weight": 5.0}],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
            "validation": {"in_sample": {"recall": 0.8}},
        }
    )
    icp.save(tmp_path / "icp.yaml")
    rows = [f"r{i},2013-{1 + i % 12:02d}-15" for i in range(40)]
    recent = tmp_path / "recent.csv"
    recent.write_text("id,last_funding_at\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["status", str(tmp_path / "icp.yaml"), "--recent", str(recent), "--review-days", "99999"]
    r = runner.invoke(app, [*args, "--today", "2013-12-31"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "40 of 40 = 100%" in r.output
    # The ICP file is dated today; a replayed status date before it is said so, not "-N days ago".
    assert (
        "days after 2013-12-31, the status date" in r.output
        and "-" not in r.output.split("days")[0].split("(")[-1]
    )
    r = runner.invoke(app, [*args, "--today", "2016-12-31"], env={"COLUMNS": "250"})
    assert r.exit_code == 3 and "0 of 40 = 0%" in r.output, r.output
