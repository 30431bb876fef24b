"""diff reads like a review; status flags an overdue review and drift, with an exit code."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment
from icpkit.living.versions import diff, status
from tests.living.conftest import null_cohort


def _icp(**kw) -> ICP:  # type: ignore[no-untyped-def]
    base = {
        "created": date(2025, 1, 1),
        "segments": [
            Segment(
                id="seg-1",
                name="saas mid-market",
                bonus=1.0,
                must=[
                    Criterion(column="industry", in_=("saas",), weight=0.5),
                    Criterion(column="employees", between=(200, 1000), weight=0.4),
                ],
            )
        ],
        "disqualifiers": [Criterion(column="deployment", in_=("on-prem",))],
        "scoring": Scoring(intercept=-2.0, tiers={"A": 60, "B": 35, "C": 15}),
    }
    base.update(kw)
    return ICP(**base)


def test_diff_names_criteria_weights_thresholds_and_segments() -> None:
    old = _icp()
    seg = old.segments[0].model_copy(deep=True)
    seg.must = [
        Criterion(column="industry", in_=("saas",), weight=0.9),  # re-weighted
        Criterion(column="employees", between=(200, 750), weight=0.4),  # tightened
    ]
    new = _icp(
        version=2,
        segments=[
            seg,
            Segment(
                id="seg-2", name="germany", must=[Criterion(column="country", in_=("germany",))]
            ),
        ],
        disqualifiers=[],
        scoring=Scoring(intercept=-2.0, tiers={"A": 70, "B": 35, "C": 15}),
    )
    d = diff(old, new)
    text = str(d)
    assert "~ must-have industry is saas: weight +0.5 → +0.9" in text
    assert "~ must-have employees 200–750: 200–1,000 → 200–750" in text
    assert "+ segment seg-2: country is germany" in text
    assert "- disqualifier deployment is on-prem" in text
    assert "~ tier A: fit score ≥ 60 → ≥ 70" in text
    assert set(d.sections()) == {"Segment seg-1", "Segments", "Disqualifiers", "Thresholds"}
    assert "tier B" not in text  # unchanged things are not listed


def test_diff_of_identical_icps_is_empty(fitted_icp: ICP) -> None:
    d = diff(fitted_icp, fitted_icp.model_copy(deep=True))
    assert not d and d.entries == []
    assert "no differences" in d.render()


@settings(max_examples=30, deadline=None)
@given(
    w=st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 2)),
    a=st.integers(40, 90),
)
def test_diff_is_symmetric_in_what_it_reports(w: float, a: int) -> None:
    old = _icp()
    seg = old.segments[0].model_copy(deep=True)
    seg.must[0] = seg.must[0].model_copy(update={"weight": w})
    new = _icp(segments=[seg], scoring=Scoring(intercept=-2.0, tiers={"A": a, "B": 35, "C": 15}))
    fwd, back = diff(old, new), diff(new, old)
    assert len(fwd.entries) == len(back.entries)
    assert len(fwd.entries) == int(w != 0.5) + int(a != 60)


def test_status_overdue_by_date_and_by_cadence() -> None:
    icp = _icp()  # review_by defaults to a year after created
    ok = status(icp, today=date(2025, 6, 1))
    assert not ok.overdue and ok.exit_code == 0 and ok.days_to_review == 214
    late = status(icp, today=date(2026, 1, 2))
    assert late.overdue and late.exit_code == 3 and late.age_days == 366
    quarterly = status(icp, today=date(2025, 6, 1), review_days=90)
    assert quarterly.review_by == date(2025, 4, 1) and quarterly.overdue


def test_status_drift_on_recent_wins(fitted_icp: ICP) -> None:
    fit = fitted_icp.validation["in_sample"]
    # Best customers were a top share of a composite: recent wins are compared with the fit
    # accounts not among the worst, the wins the ICP was fitted on (see test_status_baseline).
    fit_share = (fit["selected"] - fit["selected_worst"]) / (fit["accounts"] - fit["worst"])
    today = date(2026, 3, 1)
    # Same world: the accounts that were not lost or churned, marked won.
    same_world = null_cohort(111).with_columns(
        pl.when(pl.col("Won") == "lost").then(pl.lit("lost")).otherwise(pl.lit("won")).alias("Won")
    )
    same = status(fitted_icp, recent=same_world, today=today)
    assert same.recent_wins is not None and same.recent_wins > 1500  # only rows marked won
    assert same.fit_share == pytest.approx(fit_share)
    assert abs(same.drift) < 0.1 and not same.drifted and same.exit_code == 0  # type: ignore[arg-type]
    # The market moved: the new wins look like the accounts that were lost or churned at fit.
    moved_world = null_cohort(211).with_columns(
        pl.when(pl.col("Won") == "lost").then(pl.lit("won")).otherwise(pl.lit("lost")).alias("Won")
    )
    moved = status(fitted_icp, recent=moved_world, today=today)
    assert moved.drift is not None and moved.drift > 0.15
    assert moved.drifted and moved.exit_code == 3
    assert moved.recent_low <= moved.recent_share <= moved.recent_high  # type: ignore[operator]


def test_status_without_fit_recall_reports_no_drift() -> None:
    icp = _icp()
    recent = pl.DataFrame({"industry": ["saas"] * 5, "employees": [300] * 5})
    st_ = status(icp, recent=recent, today=date(2025, 2, 1))
    assert st_.recent_share == pytest.approx(st_.recent_selected / 5)  # type: ignore[operator]
    assert st_.drift is None and not st_.drifted
    assert st_.not_judged is not None and "no fit-time recall" in st_.not_judged
