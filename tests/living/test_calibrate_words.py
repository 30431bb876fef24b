"""icp calibrate says only what the cohort supports.

Found on the Crunchbase export (ICP fitted on companies founded 2000–2006, cohort = later
companies, acquired/ipo = won, closed = lost): "founded year < 2000" was met by none of the 833
cohort accounts yet was flagged "did not discriminate"; disqualifier rows read "disqualifiers
disqualifier"; and with tiers out of order the proposal said "the cohort is consistent with the
ICP".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.review import review_cohort

runner = CliRunner()

ICP_DICT = {
    "name": "Test ICP",
    "columns": {"id": "id"},
    "segments": [
        {
            "id": "seg-1",
            "name": "old and funded",
            "must": [
                {"column": "founded_year", "between": [None, 2000]},
                {"column": "funding", "between": [3_000_000, None]},
            ],
        }
    ],
    "disqualifiers": [{"column": "funding", "between": [None, 1_000_000]}],
    "scoring": {"intercept": -2.0},
}


def _cohort(path: Path) -> pl.DataFrame:
    """400 decided deals founded 2007–2009: none meets "founded before 2000"; funding predicts."""
    rng = np.random.default_rng(5)
    n = 400
    funding = rng.choice([500_000.0, 2_000_000.0, 5_000_000.0], size=n)
    p_won = np.where(funding >= 3_000_000, 0.8, np.where(funding < 1_000_000, 0.2, 0.5))
    won = rng.random(n) < p_won
    df = pl.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "founded_year": rng.integers(2007, 2010, size=n),
            "funding": funding,
            "outcome": np.where(won, "won", "lost"),
        }
    )
    df.write_csv(path)
    return df


def test_unmet_criterion_is_not_judged(tmp_path: Path) -> None:
    icp = ICP.model_validate(ICP_DICT)
    df = _cohort(tmp_path / "outcomes.csv")
    rep = review_cohort(icp, df, outcome_column="outcome")
    by_col = {(r.where, r.criterion.column): r for r in rep.criteria}
    old = by_col[("seg-1", "founded_year")]
    assert old.accounts == 0 and not old.judged
    assert old.verdict == "too few accounts to judge"
    assert old not in rep.not_discriminating and old in rep.unjudged
    funded = by_col[("seg-1", "funding")]
    assert funded.judged and funded.discriminates and funded.verdict is None
    disq = by_col[("disqualifiers", "funding")]
    assert disq.judged and disq.discriminates


def test_calibrate_cli_words(tmp_path: Path) -> None:
    icp_path = tmp_path / "icp.yaml"
    ICP.model_validate(ICP_DICT).save(icp_path)
    _cohort(tmp_path / "outcomes.csv")
    r = runner.invoke(
        app,
        ["calibrate", "--icp", str(icp_path), "--outcomes", str(tmp_path / "outcomes.csv")],
        env={"COLUMNS": "250"},
    )
    assert r.exit_code == 0, r.output
    out = r.output
    assert "disqualifiers disqualifier" not in out
    assert "too few accounts to judge" in out
    assert "did not discriminate" not in out
    assert "consistent with the ICP" not in out
    # No rate, interval or odds ratio is made up for a criterion no account meets.
    row = next(line for line in out.splitlines() if "founded year < 2000" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[2:8] == ["0", "–", "56%", "–", "–", "–"], cells
    assert "[–––]" not in out


def test_tier_inversion_is_named_with_intervals(tmp_path: Path) -> None:
    """The Crunchbase cohort printed only "Tiers do not convert in order": here C (90%) beats
    B (50%), and the line says which tiers and with what intervals."""
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {
                "intercept": 0.0,
                "points": [
                    {"column": "band", "in": ["a"], "weight": 3.0},
                    {"column": "band", "in": ["b"], "weight": 1.0},
                    {"column": "band", "in": ["d"], "weight": -3.0},
                ],
                "tiers": {"A": 90, "B": 70, "C": 40},
            },
        }
    )
    icp_path = tmp_path / "icp.yaml"
    icp.save(icp_path)
    # band a -> A (95.3), b -> B (73.1), c -> C (50), d -> D (4.7); 20 deals each.
    won = {"a": 18, "b": 10, "c": 18, "d": 2}
    rows = [
        f"{band}{i},{band},{'won' if i < won[band] else 'lost'}"
        for band in "abcd"
        for i in range(20)
    ]
    (tmp_path / "o.csv").write_text("id,band,outcome\n" + "\n".join(rows) + "\n", encoding="utf-8")
    r = runner.invoke(
        app,
        ["calibrate", "--icp", str(icp_path), "--outcomes", str(tmp_path / "o.csv")],
        env={"COLUMNS": "250"},
    )
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if "Tiers do not convert in order" in ln)
    assert "C 90% [" in line and "above B 50% [" in line, line
    page = tmp_path / "r.html"
    args = ["report", str(icp_path), "-o", str(page), "--outcomes", str(tmp_path / "o.csv")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "(A ≥ B ≥ C ≥ D fails): C 90% [" in page.read_text(encoding="utf-8")


def test_calibration_gap_from_a_different_base_rate_is_said(tmp_path: Path) -> None:
    """On the Crunchbase cohort (win rate 60%, 11% best at fit) "mean |predicted − observed|
    53%" read as a badly calibrated score; most of it is the two base rates."""
    icp_path = tmp_path / "icp.yaml"
    ICP.model_validate({**ICP_DICT, "validation": {"in_sample": {"base_rate": 0.11}}}).save(
        icp_path
    )
    _cohort(tmp_path / "outcomes.csv")
    args = ["calibrate", "--icp", str(icp_path), "--outcomes", str(tmp_path / "outcomes.csv")]
    r = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if ln.startswith("Calibration:"))
    assert "this cohort's win rate is 56% where 11% of the fit accounts were best" in line
