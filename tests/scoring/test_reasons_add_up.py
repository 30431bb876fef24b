"""The points an account's reasons list under "met", plus the intercept, are its score.

On the Telco export every account of seg-1 scored 2.3 log-odds more than its reasons said: the
segment's bonus was in the score and nowhere in the text.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import polars as pl

from icpkit.icp import ICP
from icpkit.scoring import score_file

ICP_DICT = {
    "columns": {"id": "id"},
    "segments": [
        {
            "id": "seg-1",
            "name": "two-year saas",
            "bonus": 2.0,
            "must": [
                {"column": "contract", "in": ["two year"], "weight": 0},
                {"column": "industry", "in": ["saas"], "weight": 0},
            ],
        }
    ],
    "scoring": {
        "intercept": -3.0,
        "points": [
            {"column": "industry", "in": ["saas"], "weight": 1.5},
            {"column": "seats", "between": [50, None], "weight": 0.5},
        ],
    },
}


def test_met_points_add_up_to_the_score(tmp_path: Path) -> None:
    src, out = tmp_path / "accounts.csv", tmp_path / "scored.csv"
    src.write_text(
        "id,contract,industry,seats\n"
        "1,two year,saas,80\n"  # segment complete: -3 + 1.5 + 0.5 + 2
        "2,two year,retail,80\n"  # segment incomplete: -3 + 0.5
        "3,monthly,saas,\n"  # -3 + 1.5, seats unknown
        "4,two year,saas,10\n",  # -3 + 1.5 + 2
        encoding="utf-8",
    )
    score_file(src, ICP.model_validate(ICP_DICT), out, reasons="text")
    scored = pl.read_csv(out).sort("id")
    expected_raw = {1: 1.0, 2: -2.5, 3: -1.5, 4: 0.5}
    for row in scored.iter_rows(named=True):
        met = row["reasons"].split(" | ")[0]
        listed = sum(float(x) for x in re.findall(r"\(([+-][\d.]+) pts\)", met))
        raw = -3.0 + listed
        assert raw == expected_raw[row["id"]], row["reasons"]
        assert row["fit_score"] == round(100 / (1 + math.exp(-raw)), 1), row
    assert scored["reasons"][0].startswith("met: segment seg-1: every must-have met (+2 pts)")
    assert "segment seg-1" not in scored["reasons"][1]
