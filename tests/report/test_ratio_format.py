"""Odds ratios read as numbers, never in exponent notation.

On the Telco export the evidence of "contract is two year" read "OR 83 [64–1.1e+02]" in the
terminal, the Markdown one-pager and the HTML appendix; a disqualifier's interval started at
"1.4e-05".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from icpkit.criteria import Evidence
from icpkit.icp import ICP
from icpkit.report import render_markdown
from icpkit.report.table import format_ratio


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (107.138, "110"),
        (82.581, "83"),
        (1234.5, "1,200"),
        (1.4e-05, "0.000014"),
        (0.0095, "0.0095"),
        (1.0, "1"),
        (6.6, "6.6"),
        (float("inf"), "∞"),
    ],
)
def test_format_ratio(x: float, text: str) -> None:
    assert format_ratio(x) == text


def test_the_one_pager_appendix_has_no_exponents(tmp_path: Path) -> None:
    ev = Evidence.model_validate(
        {
            "best_share": 0.71, "worst_share": 0.03, "all_share": 0.24, "lift": 2.95,
            "odds_ratio": 82.581, "ci_low": 63.65, "ci_high": 107.138, "p_value": 1e-200,
            "q_value": 1e-200, "n": 1695, "n_best": 1000, "n_worst": 72,
        }
    )  # fmt: skip
    icp = ICP.model_validate(
        {
            "segments": [
                {
                    "id": "seg-1",
                    "name": "two-year contracts",
                    "must": [{"column": "contract", "in": ["two year"], "evidence": ev}],
                }
            ]
        }
    )
    path = tmp_path / "icp.yaml"
    icp.save(path)
    text = render_markdown(ICP.load(path))
    assert "OR 83 [64–110]" in text
    assert "e+0" not in text and "e-0" not in text
