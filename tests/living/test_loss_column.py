"""An outcome column named for the loss reads its "Yes" as lost.

Found on the Telco export: ``icp calibrate --outcome-column Churn`` reported "930 won, 2,547
lost" for a file where 930 customers churned — every churned customer counted as a win, and the
whole review was read upside down.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from icpkit.icp import ICP
from icpkit.living.cohort import load_cohort
from icpkit.living.proposal import review_file
from tests.helpers import shared_file


def _icp(tmp_path: Path) -> Path:
    icp = ICP.model_validate(
        {
            "columns": {"id": "customerID"},
            "scoring": {
                "intercept": -1.0,
                "points": [{"column": "contract", "in": ["two year"], "weight": 2.0}],
                "tiers": {"A": 40, "B": 25, "C": 15},
            },
        }
    )
    p = tmp_path / "icp.yaml"
    icp.save(p)
    return p


def test_telco_churn_column(tmp_path: Path) -> None:
    telco = shared_file("data", "telco-churn", "Telco-Customer-Churn.csv")
    raw = pl.read_csv(telco, infer_schema_length=0)
    stayed = int((raw["Churn"] == "No").sum())
    run = review_file(_icp(tmp_path), telco, outcome_column="Churn")
    assert run.report.won == stayed and run.report.lost == raw.height - stayed
    # Two-year contracts churn least (hand count): the criterion must read as a positive one.
    two = raw["Contract"] == "Two year"
    rate = float((raw.filter(two)["Churn"] == "No").mean())  # type: ignore[arg-type]
    pts = next(r for r in run.report.criteria if r.role == "points")
    assert pts.win_rate == pytest.approx(rate) and pts.discriminates


@pytest.mark.parametrize(
    ("column", "values", "won"),
    [
        ("Churned", ["yes", "no", "TRUE", "0", None], [False, True, False, True, None]),
        ("is_lost", ["1", "0"], [False, True]),
        ("Churn", ["won", "churned"], [True, False]),  # words mean what they say
        ("Won", ["yes", "no"], [True, False]),
    ],
)
def test_loss_columns_invert_yes_no(
    column: str, values: list[str | None], won: list[bool | None]
) -> None:
    icp = ICP.model_validate({"scoring": {"intercept": 0.0, "tiers": {"A": 40, "B": 25, "C": 15}}})
    df = pl.DataFrame({"id": [f"a{i}" for i in range(len(values))], column: values})
    decided = [w for w in won if w is not None]
    co = load_cohort(icp, df, outcome_column=column)
    assert co.won.tolist() == decided
