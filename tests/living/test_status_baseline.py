"""Recent wins are compared with fit accounts like them, not with the recall of best customers.

Found on the Telco export: the ICP's best customers were the top 20% of an outcome composite,
and its fit-time recall 71%. Won (not churned) customers from the very data it was fitted on were
selected at 24% — "drift, -47 percentage points", exit 3 — because most wins are not best
customers by that rule. Among the fit accounts not among the worst, the ICP selected 27%
((631 - 32) / (3,477 - 1,248)): the fair comparison, within threshold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.living.versions import status

runner = CliRunner()
FIT = {"accounts": 3477, "best": 695, "worst": 1248, "selected": 631, "selected_best": 496}
FIT |= {"selected_worst": 32, "recall": 0.7137}


def _icp(best: str) -> ICP:
    return ICP.model_validate(
        {
            "columns": {"id": "id"},
            "outcomes": {
                "best": best,
                "worst": "churn (n=930) or bottom 20% of the composite",
                "best_count": 695,
                "worst_count": 1248,
                "total": 3477,
            },
            "scoring": {
                "intercept": -3.0,
                "points": [{"column": "contract", "in": ["two year"], "weight": 5.0}],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
            "validation": {"in_sample": FIT},
        }
    )


COMPOSITE = "top 20% of an outcome composite (mean percentile rank of tenure) among accounts"


def _recent(tmp_path: Path, selected: int, n: int = 200) -> Path:
    rows = [f"r{i},{'two year' if i < selected else 'month-to-month'}" for i in range(n)]
    p = tmp_path / "recent.csv"
    p.write_text("id,contract\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_composite_best_compares_with_accounts_not_worst(tmp_path: Path) -> None:
    icp = tmp_path / "icp.yaml"
    _icp(COMPOSITE).save(icp)
    args = ["status", str(icp), "--today", "2026-12-05", "--recent"]
    r = runner.invoke(app, [*args, str(_recent(tmp_path, 48))], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output  # 24% against 27%: within threshold
    assert "vs 27% at fit (accounts not among the worst)" in r.output
    assert "-3 percentage points" in r.output and "not among the worst" in r.output
    r = runner.invoke(app, [*args, str(_recent(tmp_path, 10))], env={"COLUMNS": "250"})
    assert r.exit_code == 3, r.output  # 5% against 27%: drift


def test_won_best_compares_with_recall() -> None:
    import polars as pl

    recent = pl.DataFrame({"id": [f"r{i}" for i in range(200)], "contract": ["two year"] * 200})
    st = status(_icp("outcome in ['won'] (n=695)"), recent=recent, today=date(2026, 12, 5))
    assert st.fit_share == pytest.approx(0.7137) and st.fit_basis == "best customers"
    st = status(_icp(COMPOSITE), recent=recent, today=date(2026, 12, 5))
    assert st.fit_share == pytest.approx((631 - 32) / (3477 - 1248))
