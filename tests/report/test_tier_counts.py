"""The one-pager's tier chart marks fit-time tier counts as estimates.

They are read from the calibration table's score bands (each band put in the tier of its
midpoint): on the Crunchbase export the chart printed "2,620" accounts in tier A where scoring
the same file gives 2,129.
"""

from __future__ import annotations

import re
from pathlib import Path

from icpkit.icp import ICP
from icpkit.report import render_html

BANDS = [(0.4, 3.2), (3.2, 5.4), (5.4, 7.1), (7.1, 9.0), (9.0, 11.5), (11.5, 14.0),
         (14.0, 17.0), (17.0, 21.0), (21.0, 27.0), (27.0, 60.0)]  # fmt: skip


def test_tier_counts_from_bands_are_marked_approximate(tmp_path: Path) -> None:
    calibration = [
        {"score_from": lo, "score_to": hi, "accounts": 1310, "predicted": (lo + hi) / 200,
         "observed": (lo + hi) / 200}
        for lo, hi in BANDS
    ]  # fmt: skip
    icp = ICP.model_validate(
        {"scoring": {"tiers": {"A": 24.8, "B": 17.7, "C": 11.3}, "calibration": calibration}}
    )
    path = tmp_path / "icp.yaml"
    icp.save(path)
    page = render_html(ICP.load(path))
    counts = re.findall(r">(≈?[\d,]+)</text>", page)
    tier_counts = [c for c in counts if c.replace("≈", "").replace(",", "").isdigit()]
    assert "≈2,600" in tier_counts and "≈6,600" in tier_counts, tier_counts
    assert "2,620" not in page and "6,550" not in page
