"""``plan_interviews`` picks typical members on the segment's own criteria, read from raw files.

CRM exports have headers such as "Number of Employees", numbers such as "1,010" and "$10.1M" and
categories in any case; the plan reads them as ``icp score`` does, so "typical" means close to
the segment's median on its numeric criteria and sharing its usual category and stack.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment
from icpkit.interviews import plan_interviews
from icpkit.io import read_table

ICP_MID = ICP(
    segments=[
        Segment(
            id="mid",
            name="mid-market software",
            must=[Criterion(column="industry", **{"in": ["software", "fintech"]})],
            nice=[
                Criterion(column="employees", between=(200, None)),
                Criterion(column="revenue", between=(1_000_000, None)),
                Criterion(column="tech_stack", has_any=["salesforce", "hubspot"]),
            ],
        )
    ]
)

#: (id, employees, revenue, industry, stack, stage). Ten typical customers spread around 1,005
#: employees and $10.05M; four outliers that fit the segment just as well (same fit score), each
#: atypical on one criterion only, named to sort first so a plan blind to them would pick them.
ROWS = [
    ("a1-huge", "90,000", "$10M", "Software", "Salesforce; Slack", "Closed Won"),
    ("a2-rich", "1,000", "$2B", "Software", "Salesforce; Slack", "Closed Won"),
    ("a3-fintech", "1,010", "$10.1M", "Fintech", "Salesforce; Slack", "Closed Won"),
    ("a4-stack", "1,000", "$10M", "software", "HubSpot; Zendesk | Marketo", "Closed Won"),
    *[
        (
            f"t{e}",
            f"{e // 1000},{e % 1000:03d}",
            f"${e / 100:.1f}M",
            ["Software", " software ", "SOFTWARE", "software"][k % 4],
            ["Salesforce; Slack", "salesforce;slack ", "Salesforce | Slack"][k % 3],
            "Closed Won",
        )
        for k, e in enumerate((960, 1030, 1000, 970, 1050, 1010, 980, 1040, 990, 1020))
    ],
    ("x-lost1", "1,000", "$10M", "Software", "Salesforce", "Closed Lost"),
    ("x-lost2", "1,200", "$12M", "Software", "Salesforce", "Closed Lost"),
]
TYPICAL = {"t990", "t1000", "t1010", "t1020"}  # the four closest to the median on every criterion


def raw_accounts(path: Path) -> Path:
    headers = ["Account ID", "Number of Employees", "Annual Revenue", "Industry", "Tech Stack"]
    pl.DataFrame([list(r) for r in ROWS], schema=[*headers, "Stage"], orient="row").write_csv(path)
    return path


def test_typical_members_chosen_on_raw_header_criteria(tmp_path: Path) -> None:
    accounts = read_table(raw_accounts(tmp_path / "crm export.csv"))
    assert accounts.schema["Number of Employees"] == pl.String  # raw text, as exported
    plan = plan_interviews(ICP_MID, accounts, per_segment=4, contrasts=2)
    reps = plan.rows.filter(pl.col("kind") == "representative")["account_id"].to_list()
    # each outlier sits near the median on every criterion but one, so a plan blind to that
    # one (unparsed numbers, raw-case categories, lists) would pick it: its id sorts first
    assert set(reps) == TYPICAL, reps
    contrasts = plan.rows.filter(pl.col("kind") == "contrast")["account_id"].to_list()
    assert contrasts == ["x-lost1", "x-lost2"]
    why = plan.rows["why"][0]
    assert "employees, revenue" in why and "usual industry, tech_stack" in why


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(len(ROWS))))
def test_choice_does_not_depend_on_row_order(order: list[int]) -> None:
    headers = ["Account ID", "Number of Employees", "Annual Revenue", "Industry", "Tech Stack"]
    accounts = pl.DataFrame(
        [list(ROWS[i]) for i in order], schema=[*headers, "Stage"], orient="row"
    )
    plan = plan_interviews(ICP_MID, accounts, per_segment=4, contrasts=0)
    assert set(plan.rows["account_id"]) == TYPICAL
