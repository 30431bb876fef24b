"""``icp calibrate`` reviews the points table, the part of the ICP that ranks the accounts.

Found on the Crunchbase export: an ICP of one segment and twelve points criteria was reviewed
on the 2007 cohort with a table of the segment's two must-haves only; how the twelve criteria
that make up every fit_score held up was not shown anywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.proposal import review_file

runner = CliRunner()


def _files(tmp_path: Path) -> tuple[Path, Path, pl.DataFrame]:
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {
                "intercept": -1.0,
                "points": [
                    {"column": "industry", "in": ["saas"], "weight": 1.5},
                    {"column": "employees", "between": [None, 20], "weight": -1.0},
                    {"column": "country", "in": ["fr"], "weight": 0.8},
                ],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
        }
    )
    p = tmp_path / "icp.yaml"
    icp.save(p)
    rng = np.random.default_rng(5)
    n = 400
    saas = rng.random(n) < 0.4
    small = rng.random(n) < 0.3
    fr = rng.random(n) < 0.5
    won = rng.random(n) < np.where(saas, 0.7, 0.35) - np.where(small, 0.2, 0.0)
    df = pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "industry": np.where(saas, "saas", "retail"),
            "employees": np.where(small, 10, 500),
            "country": np.where(fr, "fr", "de"),
            "outcome": np.where(won, "won", "lost"),
        }
    )
    out = tmp_path / "deals.csv"
    df.write_csv(out)
    return p, out, df


def test_points_criteria_are_reviewed_with_hand_counts(tmp_path: Path) -> None:
    icp_path, deals, df = _files(tmp_path)
    run = review_file(icp_path, deals)
    pts = [r for r in run.report.criteria if r.role == "points"]
    assert [r.criterion.column for r in pts] == ["industry", "employees", "country"]
    w = df["outcome"] == "won"
    for r, met in zip(
        pts,
        [df["industry"] == "saas", df["employees"] < 20, df["country"] == "fr"],
        strict=True,
    ):
        assert r.accounts == int(met.sum()) and r.won == int((met & w).sum())
    saas, small, _ = pts
    assert saas.discriminates  # planted: saas wins more
    assert small.discriminates  # negative points: small companies win less, as they should
    # The points table is left to discovery: no proposal edits it, whatever the cohort says.
    assert all(c.where != "points" for c in run.proposal.changes)
    assert run.revised.scoring.points == ICP.load(icp_path).scoring.points


def test_calibrate_cli_shows_points(tmp_path: Path) -> None:
    icp_path, deals, _ = _files(tmp_path)
    r = runner.invoke(
        app, ["calibrate", "--icp", str(icp_path), "--outcomes", str(deals)], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "points +1.50" in r.output and "points -1.00" in r.output
    assert "industry is saas" in r.output
