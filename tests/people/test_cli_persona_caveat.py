"""``icp personas`` shows a persona's caveat as a warning, not as markup text.

Found on contacts of Crunchbase companies (100 won and 9 lost deals): the table read
"[yellow]⚠ small sample: 100 won and 9 lost deals[/]" — the markup was escaped with the text.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP

runner = CliRunner()


def test_caveat_is_rendered(tmp_path: Path) -> None:
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "scoring": {"intercept": 3.0, "tiers": {"A": 40, "B": 25, "C": 15}},
        }
    )
    icp.save(tmp_path / "icp.yaml")
    n_won, n_lost = 12, 3  # fewer than 30 of each: a small-sample caveat
    ids = [f"a{i}" for i in range(n_won + n_lost)]
    pl.DataFrame({"id": ids, "industry": ["saas"] * len(ids)}).write_csv(tmp_path / "acc.csv")
    pl.DataFrame(
        {
            "Email": [f"vp{i}@a{i}.com" for i in range(len(ids))],
            "Job Title": ["VP Marketing"] * len(ids),
            "Company ID": ids,
            "Deal ID": [f"d{i}" for i in range(len(ids))],
            "Deal Stage": ["closed won"] * n_won + ["closed lost"] * n_lost,
            "Deal Role": ["champion"] * len(ids),
        }
    ).write_csv(tmp_path / "contacts.csv")
    r = runner.invoke(
        app,
        [
            *("personas", str(tmp_path / "contacts.csv")),
            *("--accounts", str(tmp_path / "acc.csv"), "--icp", str(tmp_path / "icp.yaml")),
        ],
        env={"COLUMNS": "250"},
    )
    assert r.exit_code == 0, r.output
    assert "vp · marketing" in r.output and "small sample" in r.output
    assert "[yellow]" not in r.output and "[/]" not in r.output
