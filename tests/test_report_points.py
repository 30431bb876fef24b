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


def test_rungs_of_one_column_stand_together_in_ladder_order() -> None:
    # Crunchbase's table read "last funding in the last 2 years -0.77" 1st, "2.5 years -0.53"
    # 3rd and "3 years -0.41" 6th, with unrelated lines between the rungs that add up.
    icp = ICP.model_validate(
        {
            "scoring": {
                "intercept": -2.0,
                "points": [
                    {"column": "last_funding_at", "within_days": 730, "weight": -0.77},
                    {"column": "last_milestone_at", "within_days": 36500, "weight": 0.71},
                    {"column": "last_funding_at", "within_days": 912, "weight": -0.53},
                    {"column": "city", "in": ["los angeles"], "weight": -0.44},
                    {"column": "funding_total_usd", "between": [40e6, None], "weight": 0.26},
                    {"column": "last_funding_at", "within_days": 1095, "weight": -0.41},
                    {"column": "funding_total_usd", "between": [2e6, None], "weight": 0.34},
                    {"column": "funding_total_usd", "between": [None, 5e5], "weight": -0.1},
                ],
            }
        }
    )
    rows = points_rows(icp)
    assert [(r.criterion, r.points) for r in rows] == [
        ("Last funding at", "-0.77"),
        ("Last funding at", "-0.53"),
        ("Last funding at", "-0.41"),
        ("Last milestone at", "+0.71"),
        ("City", "-0.44"),
        ("Funding total usd", "-0.10"),
        ("Funding total usd", "+0.34"),
        ("Funding total usd", "+0.26"),
    ]


def test_anti_signal_and_timing_tables_head_their_values_when_not_ideal_fit() -> None:
    # A disqualifier's "< $1M" stood under "Ideal fit" in icp.md and the HTML report.
    from icpkit.report import render_html

    ev = {
        "best_share": 0.08,
        "worst_share": 0.43,
        "all_share": 0.25,
        "lift": 0.29,
        "odds_ratio": 0.12,
        "ci_low": 0.09,
        "ci_high": 0.15,
        "p_value": 1e-6,
        "n": 4386,
        "n_best": 160,
        "n_worst": 240,
    }
    icp = ICP.model_validate(
        {
            **SCORED,
            "disqualifiers": [
                {"column": "funding_total_usd", "between": [None, 1e6], "evidence": ev}
            ],
        }
    )
    md = render_markdown(icp)
    anti = md[md.index("anti-signals") :]
    assert "| Layer | Criterion | When | Best customers |" in anti
    assert "Ideal fit" not in anti
    html = render_html(icp)
    disq = html[html.index("<h2>Disqualifiers</h2>") :]
    assert "<th>When</th>" in disq[: disq.index("</thead>")]
