"""The two figures of an outcome comparison are written with the same precision."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from icpkit.icp import OutcomeComparison

KINDS = ["onboarding", "sales_cycle", "expansion", "retention", "support"]


def test_days_compare_whole_numbers_rounded_half_up() -> None:
    c = OutcomeComparison(metric="sales_cycle_days", segment=52, others=88.5, kind="sales_cycle")
    assert c.phrase() == "close in 52 days vs 89"


def test_small_figures_keep_one_decimal_on_both_sides() -> None:
    c = OutcomeComparison(metric="support_tickets", segment=2.5, others=4.0, kind="support")
    assert c.phrase() == "2.5 support tickets vs 4.0"
    whole = OutcomeComparison(metric="support_tickets", segment=2, others=5, kind="support")
    assert whole.phrase() == "2 support tickets vs 5"


@given(
    kind=st.sampled_from(KINDS),
    s=st.floats(0, 5000, allow_nan=False),
    o=st.floats(0, 5000, allow_nan=False),
)
def test_both_figures_share_their_decimals(kind: str, s: float, o: float) -> None:
    text = OutcomeComparison(metric="m", segment=s, others=o, kind=kind).phrase()
    figures = re.findall(r"\d[\d,]*(?:\.\d+)?", text)
    assert len(figures) == 2
    decimals = {len(f.split(".")[1]) if "." in f else 0 for f in figures}
    assert len(decimals) == 1, text
