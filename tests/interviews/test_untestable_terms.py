"""With no term mentioned in enough interviews to test, the bar is not printed as z ≥ 0.00.

Found on five hand-written notes for Crunchbase companies: "a term is distinctive at z ≥ 0.00"
— a bar every term that leans one way would clear — when no term was mentioned in the three
interviews a test needs, so nothing could be distinctive at all.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.interviews.analyze import distinctive_terms

from .conftest import two_segment_icp

runner = CliRunner()


def test_no_testable_term_has_no_threshold() -> None:
    d = distinctive_terms([], [], [], ["seg-1"], permutations=20)
    assert math.isinf(d.threshold) and d.table.height == 0


def test_cli_says_nothing_can_be_tested(tmp_path: Path) -> None:
    icp = tmp_path / "icp.yaml"
    two_segment_icp().save(icp)
    pl.DataFrame(
        {"account_id": ["a1", "a2", "a3", "a4"], "industry": ["software"] * 2 + ["retail"] * 2}
    ).write_csv(tmp_path / "accounts.csv")
    pl.DataFrame(
        {
            "account": ["a1", "a2", "a3", "a4"],
            "challenges": ["spreadsheets", "late reports", "slow onboarding", "support tickets"],
            "aha": ["dashboard", "alerts", "checklist", "templates"],
            "results": ["hours saved", "trust", "faster starts", "fewer tickets"],
        }
    ).write_csv(tmp_path / "sheet.csv")
    r = runner.invoke(
        app,
        [
            *("interviews", "analyze", str(tmp_path / "sheet.csv"), "--icp", str(icp)),
            *("--accounts", str(tmp_path / "accounts.csv"), "--permutations", "20"),
        ],
        env={"COLUMNS": "250"},
    )
    assert r.exit_code == 0, r.output
    assert "4 of 4 interviews linked" in r.output
    assert "z ≥ 0.00" not in r.output
    assert "no term is mentioned in enough interviews to be tested" in r.output
