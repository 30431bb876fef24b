"""Shared helpers: an ICP whose segment ids match the synthetic interviews' segments."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment


def two_segment_icp() -> ICP:
    """Segments seg-1 and seg-2, as the planted interview generator labels its accounts."""
    return ICP(
        segments=[
            Segment(
                id="seg-1",
                name="mid-market software",
                must=[Criterion(column="industry", **{"in": ["software"]})],
            ),
            Segment(
                id="seg-2",
                name="regulated finance",
                must=[Criterion(column="industry", **{"in": ["finance"]})],
            ),
        ]
    )


@pytest.fixture
def icp() -> ICP:
    return two_segment_icp()


def write_accounts(accounts: pl.DataFrame, path: Path) -> Path:
    accounts.write_csv(path)
    return path
