"""Scoring reasons name the signals: "hiring ≥ 4 sales roles in the last 90 days"."""

from __future__ import annotations

from datetime import date

import polars as pl

from icpkit.icp import ICP
from icpkit.scoring import score

ICP_DICT = {
    "columns": {"id": "domain"},
    "segments": [{"id": "all", "name": "Everyone", "must": [{"column": "employees",
                                                             "between": [0, None]}]}],
    "scoring": {
        "intercept": -1.0,
        "timing": [
            {"column": "hiring_sales_roles_90d", "between": [4, None], "weight": 1.0},
            {"column": "new_marketing_leader_180d", "is": True, "weight": 1.0},
            {"column": "added_tech_90d", "has_any": ["hubspot"], "weight": 1.0},
        ],
    },
}  # fmt: skip


def test_reasons_name_the_signal_and_its_window() -> None:
    icp = ICP.model_validate(ICP_DICT)
    frame = pl.DataFrame(
        {
            "domain": ["a.com", "b.com"],
            "employees": [50.0, 60.0],
            "hiring_sales_roles_90d": [4, 1],
            "new_marketing_leader_180d": [True, None],
            "added_tech_90d": [["hubspot"], []],
        }
    )
    out = score(frame, icp, as_of=date(2026, 12, 1), reasons="text")
    met, other = out.sort("domain")["reasons"].to_list()
    assert "hiring ≥ 4 sales roles in the last 90 days" in met
    assert "new marketing leader in the last 180 days" in met
    assert "added tech in the last 90 days: hubspot" in met
    # unknown stays unknown (one contacts snapshot), and says which signal it is
    assert "unknown: new marketing leader in the last 180 days" in other
    assert "sales roles" not in other
    assert (
        out.sort("domain")["timing_score"].to_list()[0]
        > out.sort("domain")["timing_score"].to_list()[1]
    )


def test_reasons_on_signal_dates_say_what_happened_in_plain_words() -> None:
    """Date windows on signal columns read as events, not "… last date within 90 days before
    today"; a date outside the window is not met, and a missing date is unknown."""
    icp = ICP.model_validate(
        {
            **ICP_DICT,
            "scoring": {
                "intercept": -1.0,
                "timing": [
                    {"column": "hiring_roles_last_date", "within_days": 90, "weight": 1.0},
                    {"column": "leadership_change_date", "within_days": 180, "weight": 1.0},
                    {"column": "last_funding_date", "within_days": 365, "weight": 1.0},
                ],
            },
        }
    )
    frame = pl.DataFrame(
        {
            "domain": ["a.com", "b.com"],
            "employees": [50.0, 60.0],
            "hiring_roles_last_date": [date(2026, 10, 1), date(2026, 1, 1)],
            "leadership_change_date": [date(2026, 9, 1), None],
            "last_funding_date": [date(2026, 3, 1), date(2020, 1, 1)],
        }
    )
    out = score(frame, icp, as_of=date(2026, 12, 1), reasons="text").sort("domain")
    met, other = out["reasons"].to_list()
    assert "hired for a chosen role in the last 90 days" in met
    assert "new leader (director or above) in the last 180 days" in met
    assert "raised funding in the last 365 days" in met
    assert "unknown: new leader (director or above) in the last 180 days" in other
    assert "hired for a chosen role" not in other.replace("unknown: ", "")
    for text in (met, other):
        assert "last date" not in text and "before today" not in text
