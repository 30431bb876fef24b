"""Discovery says when a signal has too little history to judge: the caveat sits on the
criterion's evidence in the ICP file and in discovery's warnings."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from icpkit.icp import ICP
from icpkit.signals.export import history_caveat, history_notes, with_history_caveats

EVIDENCE = {
    "best_share": 0.4, "worst_share": 0.2, "all_share": 0.3, "lift": 1.3, "odds_ratio": 2.1,
    "ci_low": 1.2, "ci_high": 3.5, "p_value": 0.001, "n": 300, "n_best": 120, "n_worst": 60,
}  # fmt: skip


def _icp(timing: list[dict], must: list[dict] | None = None) -> ICP:
    return ICP.model_validate(
        {
            "columns": {"id": "domain"},
            "segments": [
                {
                    "id": "all",
                    "name": "Everyone",
                    "must": must
                    or [{"column": "employees", "between": [0, None], "evidence": EVIDENCE}],
                }
            ],
            "scoring": {"intercept": -1.0, "timing": timing},
        }
    )


def _frame(n: int, known: int, start: date) -> pl.DataFrame:
    close = [date(2026, 1, 1) + timedelta(days=i % 300) for i in range(n)]
    return pl.DataFrame(
        {
            "domain": [f"c{i}.com" for i in range(n)],
            "employees": [50.0] * n,
            "hiring_sales_roles_90d": [i % 3 if i < known else None for i in range(n)],
            "close_date": close,
            "hiring_roles_last_date": [start + timedelta(days=i % 200) for i in range(n)],
        }
    )


def test_windowed_signal_known_for_under_half_the_accounts_gets_a_caveat() -> None:
    icp = _icp([{"column": "hiring_sales_roles_90d", "between": [2, None], "weight": 1.0,
                 "evidence": EVIDENCE}])  # fmt: skip
    out, notes = with_history_caveats(icp, _frame(1000, known=300, start=date(2024, 1, 1)))
    caveat = out.scoring.timing[0].evidence.caveat
    assert caveat == (
        "too little signal history to judge: hiring_sales_roles_90d known for 300 of 1,000 "
        "accounts (30%)"
    )
    assert notes == ["hiring ≥ 2 sales roles in the last 90 days: " + caveat]
    # the other criterion is untouched, and the caveat survives the ICP file
    assert out.segments[0].must[0].evidence.caveat is None
    assert ICP.from_yaml(out.to_yaml()).scoring.timing[0].evidence.caveat == caveat
    enough, none = with_history_caveats(icp, _frame(1000, known=600, start=date(2024, 1, 1)))
    assert enough.scoring.timing[0].evidence.caveat is None and none == []


def test_date_window_before_the_history_starts_gets_a_caveat() -> None:
    crit = {"column": "hiring_roles_last_date", "within_days": 90, "before": "close_date",
            "weight": 1.0, "evidence": {**EVIDENCE, "caveat": "small sample: x"}}  # fmt: skip
    icp = _icp([crit])
    late = _frame(400, known=400, start=date(2026, 2, 1))  # windows from Oct 2025 on
    out, notes = with_history_caveats(icp, late)
    assert len(notes) == 1 and notes[0].startswith("hired for a chosen role within 90 days")
    caveat = out.scoring.timing[0].evidence.caveat
    assert caveat.startswith("small sample: x; too little signal history to judge: ")
    assert "recorded from 2026-02-01" in caveat and "90-day window" in caveat
    # 2026-01-01 + (i % 300) days: windows start before 2026-02-01 for close dates before
    # 2026-05-02, i.e. i % 300 < 121
    assert f"for {sum(1 for i in range(400) if i % 300 < 121):,} of 400 accounts" in caveat
    early = _frame(400, known=400, start=date(2025, 1, 1))
    assert with_history_caveats(icp, early)[1] == []


def test_event_dates_and_other_columns_get_no_known_share_caveat() -> None:
    """An event date's null means no event was seen: no history note for it."""
    frame = pl.DataFrame(
        {
            "leadership_change_date": [date(2026, 5, 1)] + [None] * 9,
            "hiring_growth_90d": [1] + [None] * 9,
            "employees": [None] * 10,
        },
        schema={"leadership_change_date": pl.Date, "hiring_growth_90d": pl.Int64,
                "employees": pl.Float64},
    )  # fmt: skip
    notes = history_notes(frame)
    assert len(notes) == 1 and notes[0].startswith("hiring_growth_90d: known for 1 of 10")
    icp = _icp([{"column": "employees", "between": [10, None], "evidence": EVIDENCE}])
    assert history_caveat(frame, icp.scoring.timing[0]) is None
