"""The scorecard is visible: in icp.md and in the terminal summary, strongest points first."""

from __future__ import annotations

from icpkit.icp import ICP
from icpkit.report.markdown import render_markdown
from icpkit.report.table import points_rows

SCORED = {
    "segments": [
        {
            "id": "seg-1",
            "name": "industry is saas",
            "bonus": 0.9,
            "must": [{"column": "industry", "in": ["saas"], "weight": 0}],
        }
    ],
    "scoring": {
        "intercept": -1.0,
        "points": [
            {"column": "employees", "between": [200, None], "weight": 0.4},
            {"column": "region", "in": ["emea"], "weight": -1.2},
        ],
    },
}


def test_points_rows_are_strongest_first_with_signed_points() -> None:
    rows = points_rows(ICP.model_validate(SCORED))
    assert [r.points for r in rows] == ["-1.20", "+0.90", "+0.40"]
    assert rows[1].layer == "Segment" and rows[1].ideal_fit == "every must-have met"
    assert rows[2].ideal_fit == "≥ 200"


def test_markdown_shows_the_scorecard_or_says_there_is_none() -> None:
    md = render_markdown(ICP.model_validate(SCORED))
    assert "Points each criterion adds when met" in md
    assert "| -1.20 |" in md and "| +0.40 |" in md
    flat = render_markdown(ICP.model_validate({"scoring": {"intercept": -1.0}}))
    assert "No criterion earned points out of sample" in flat
