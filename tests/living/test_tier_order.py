"""Tiers out of order is a claim, made only when a lower tier converts significantly better.

Found on the Telco export: "Tiers do not convert in order (A ≥ B ≥ C ≥ D fails): C 92% [83%–96%]
above B 92% [78%–97%]" — 68 of 74 against 33 of 36, a difference of 0.2 points.
"""

from __future__ import annotations

import pytest

from icpkit.evidence import wilson
from icpkit.living.review import GroupResult, tier_inversions


def _tier(name: str, won: int, n: int) -> GroupResult:
    lo, hi = wilson(won, n)
    return GroupResult(name, n, won, won / n, float(lo), float(hi), 1.0)


@pytest.mark.parametrize(
    ("b", "c", "inverted"),
    [
        ((33, 36), (68, 74), False),  # Telco cohort 1: 91.7% vs 91.9%
        ((30, 36), (57, 60), False),  # 83% vs 95%: p = 0.064, a hint not a finding
        ((10, 20), (18, 20), True),  # 50% vs 90%: p < 0.01
        ((100, 200), (140, 200), True),
        ((140, 200), (100, 200), False),  # in order
    ],
)
def test_inversion_needs_significance(
    b: tuple[int, int], c: tuple[int, int], inverted: bool
) -> None:
    tiers = [_tier("A", 90, 100), _tier("B", *b), _tier("C", *c), _tier("D", 5, 100)]
    found = tier_inversions(tiers)
    assert bool(found) is inverted
    if inverted:
        assert [(lo.name, hi.name) for lo, hi in found] == [("C", "B")]


def test_small_tiers_are_not_compared() -> None:
    tiers = [_tier("A", 1, 9), _tier("B", 0, 9), _tier("C", 9, 9), _tier("D", 0, 100)]
    assert tier_inversions(tiers) == []
