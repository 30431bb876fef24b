"""One calibration table: the ICP file's equal-count bands, the living review's fixed bands and
calibration_table all come from scoring.engine.calibration_rows (checked by hand here)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.icp import CalibrationRow
from icpkit.scoring.engine import calibration_rows, calibration_table


def test_equal_count_bands_merge_identical_score_ranges() -> None:
    score = np.array([10, 10, 10, 10, 20, 20, 30, 30, 40, 50], dtype=float)
    won = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], dtype=float)
    rows = calibration_rows(score, won, bands=5)
    assert all(isinstance(r, CalibrationRow) for r in rows)
    # (10,10) and (10,10) are one range: merged into four accounts, 3 of them won
    assert [(r.score_from, r.score_to, r.accounts) for r in rows] == [
        (10, 10, 4),
        (20, 20, 2),
        (30, 30, 2),
        (40, 50, 2),
    ]
    assert [r.observed for r in rows] == [0.75, 0.0, 0.5, 1.0]
    assert rows[-1].predicted == 0.45


def test_fixed_bands_half_open_last_closed_and_neither_not_observed() -> None:
    score = np.array([0.0, 9.9, 10.0, 55.0, 100.0])
    won = np.array([0.0, 1.0, np.nan, 1.0, 1.0])
    rows = calibration_rows(score, won, edges=range(0, 101, 10))
    assert [(r.score_from, r.score_to, r.accounts) for r in rows] == [
        (0, 10, 2),
        (10, 20, 1),
        (50, 60, 1),
        (90, 100, 1),
    ]
    assert rows[0].observed == 0.5 and math.isnan(rows[1].observed)


def test_calibration_table_is_the_same_rows_as_a_frame() -> None:
    scored = pl.DataFrame({"fit_score": [5.0, 8.0, 55.0, 100.0], "best": [False, None, None, True]})
    table = calibration_table(scored, "best", edges=(0, 50, 100))
    assert table.to_dicts() == [
        {"score_from": 0.0, "score_to": 50.0, "accounts": 2, "predicted": 0.065, "observed": 0.0},
        {"score_from": 50.0, "score_to": 100.0, "accounts": 2, "predicted": 0.775, "observed": 1.0},
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=300),
    st.integers(0, 2**31 - 1),
    st.integers(1, 12),
)
def test_bands_keep_every_account(scores: list[int], seed: int, bands: int) -> None:
    """Both band rules count every account once, and observed is the won share of known ones."""
    score = np.array(scores, dtype=float) / 10.0
    won = np.random.default_rng(seed).integers(0, 2, len(score)).astype(float)
    for rows in (
        calibration_rows(score, won, bands=bands),
        calibration_rows(score, won, edges=range(0, 101, 10)),
    ):
        assert sum(r.accounts for r in rows) == len(score)
        total_won = sum(r.observed * r.accounts for r in rows)
        assert abs(total_won - won.sum()) < 1e-3 * len(rows) * len(score)
