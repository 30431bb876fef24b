"""The trait matrices are assembled in column groups and row blocks: nothing moves or is lost.

Expected values are built cell by cell from Python lists, independently of the blocked copies.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.criteria import Criterion
from icpkit.discovery import traits


@st.composite
def _bool_frames(draw: st.DrawFn) -> list[list[bool | None]]:
    n = draw(st.integers(0, 40))
    k = draw(st.integers(0, 9))
    cell = st.sampled_from([True, False, None])
    return [draw(st.lists(cell, min_size=n, max_size=n)) for _ in range(k)]


@settings(max_examples=80, deadline=None)
@given(_bool_frames(), st.integers(1, 4), st.integers(1, 7))
def test_bool_matrix_is_the_frame_cell_for_cell(
    columns: list[list[bool | None]], group: int, block: int
) -> None:
    df = pl.DataFrame({f"c{j}": pl.Series(col, dtype=pl.Boolean) for j, col in enumerate(columns)})
    n = len(columns[0]) if columns else 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traits, "_GROUP_COLS", group)
        mp.setattr(traits, "_BLOCK_ROWS", block)
        got = traits._bool_matrix(df)
    assert got.shape == (n, len(columns))
    assert got.dtype == np.bool_ and got.flags["C_CONTIGUOUS"]
    for j, col in enumerate(columns):
        for i, v in enumerate(col):
            assert bool(got[i, j]) is (v is True)


def test_evaluate_and_matrix_agree_with_the_criteria() -> None:
    frame = pl.DataFrame(
        {
            "industry": ["saas", "retail", None, "saas", "fintech", "saas"],
            "employees": [10.0, None, 300.0, 45.0, 80.0, 5.0],
        }
    )
    crits = [
        Criterion(column="industry", in_=("saas",)),
        Criterion(column="employees", between=(50.0, None)),
        Criterion(column="industry", in_=("saas", "fintech")),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traits, "_GROUP_COLS", 2)
        mp.setattr(traits, "_BLOCK_ROWS", 4)
        ts = traits.evaluate(frame, crits)
        full = ts.matrix()
        picked = ts.matrix([2, 0])
    saas = [True, False, False, True, False, True]
    big = [False, False, True, False, True, False]
    group = [True, False, False, True, True, True]
    assert ts.has.tolist() == [list(r) for r in zip(saas, big, group, strict=True)]
    known_ind = [True, True, False, True, True, True]
    known_emp = [True, False, True, True, True, True]
    assert ts.known.tolist() == [list(r) for r in zip(known_ind, known_emp, known_ind, strict=True)]
    assert full.dtype == np.float32
    assert full.tolist() == [[float(x) for x in r] for r in zip(saas, big, group, strict=True)]
    assert picked.tolist() == [[float(x) for x in r] for r in zip(group, saas, strict=True)]


def test_known_factored_by_column_and_stats_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """known == known_by_column[:, known_index], and ts.stats counts as trait_stats does."""
    from icpkit.evidence import trait_stats

    rng = np.random.default_rng(8)
    n = 3_000
    industry = rng.choice(["saas", "retail", "fintech", None], n).tolist()
    employees = np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 500, n)).tolist()
    frame = pl.DataFrame({"industry": industry, "employees": employees}).with_columns(
        pl.col("employees").fill_nan(None)
    )
    crits = [
        Criterion(column="industry", in_=("saas",)),
        Criterion(column="employees", between=(50.0, None)),
        Criterion(column="industry", in_=("retail", "fintech")),
        Criterion(column="employees", between=(None, 20.0)),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traits, "_BLOCK_ROWS", 700)
        ts = traits.evaluate(frame, crits)
    assert ts.known_by_column is not None and ts.known_index is not None
    assert ts.known_by_column.shape == (n, 2)
    assert np.array_equal(ts.known, ts.known_by_column[:, ts.known_index])
    best = rng.random(n) < 0.2
    worst = ~best & (rng.random(n) < 0.3)
    rows = rng.random(n) < 0.4
    from icpkit import evidence

    monkeypatch.setattr(evidence, "_BLOCK_ROWS", 500)  # several blocks, a short last one
    for got, want in (
        (ts.stats(best, worst), trait_stats(ts.has, ts.known, best, worst)),
        (
            ts.stats(best, worst, rows=rows),
            trait_stats(ts.has[rows], ts.known[rows], best[rows], worst[rows]),
        ),
    ):
        for name in ("n", "n_best", "n_worst", "best_known", "worst_known", "all_known"):
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
