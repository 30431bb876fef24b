"""A segment that calibration proposes to add gets a believable bonus.

Found on a Telco cohort: a trait every win shared had OR 1.3e5 [2.5e3–6.5e6], and the proposed
segment's bonus was its log, +11.8 — more than twice the largest weight the fitted ICP gives
anything (+4.86), so one marginal cohort figure would have outranked the whole points table.
"""

from __future__ import annotations

import math

import pytest

from icpkit.criteria import Criterion, Evidence
from icpkit.icp import ICP
from icpkit.living.cohort import load_cohort
from icpkit.living.proposal import _addition, _largest_weight, propose
from icpkit.living.review import IgnoredTrait, review_cohort
from tests.living.conftest import drift_cohort


def _trait(odds: float, low: float) -> IgnoredTrait:
    ev = Evidence(
        best_share=0.9, worst_share=0.1, all_share=0.5, lift=1.8, odds_ratio=odds,
        ci_low=low, ci_high=odds * 10, p_value=1e-9, q_value=1e-8, n=200, n_best=150, n_worst=50,
    )  # fmt: skip
    crit = Criterion.model_validate({"column": "country", "in": ["germany"]})
    return IgnoredTrait(crit, ev, win_rate=0.9, share_of_missed_wins=0.8)


@pytest.mark.parametrize(
    ("odds", "low", "cap", "want"),
    [
        (1.3e5, 2.5e3, 4.858, 4.858),  # the Telco case: capped
        (8.0, 4.9, 4.858, math.log(4.9)),  # the lower bound, under the cap
        (8.0, 4.9, None, math.log(4.9)),  # an ICP with no weights: no cap
        (1.2, 0.8, 2.0, 0.0),  # a lower bound under 1 adds nothing
    ],
)
def test_bonus_is_lower_bound_capped(
    odds: float, low: float, cap: float | None, want: float
) -> None:
    ch = _addition(_trait(odds, low), cap)
    assert ch.weight == pytest.approx(want, abs=1e-3)
    assert f"bonus {want:+.2f}" in ch.reason


def test_planted_addition_never_outweighs_the_icp(fitted_icp: ICP) -> None:
    co = load_cohort(fitted_icp, drift_cohort(201))
    prop = propose(fitted_icp, review_cohort(fitted_icp, co, cohort="drift"), cohort=co)
    adds = [c for c in prop.changes if c.action == "add"]
    assert adds  # Germany starts predicting in this cohort
    cap = _largest_weight(fitted_icp)
    assert cap is not None
    for ch in adds:
        assert ch.after is not None and ch.weight is not None
        assert 0 <= ch.weight <= cap + 1e-9
        assert ch.weight <= math.log(ch.after.evidence.ci_low) + 1e-3  # type: ignore[union-attr]
