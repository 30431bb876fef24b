"""Wide inputs (thousands of columns) are screened by an outcome-blind rule and say so."""

from __future__ import annotations

import numpy as np
import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.columns.schema import SchemaOverrides
from icpkit.pipeline import screen_columns
from icpkit.sample.customers import generate_customers


def _widen(frame: pl.DataFrame, extra: int, seed: int = 0) -> pl.DataFrame:
    """Append ``extra`` pure-noise columns (half numeric, half categorical) after the real ones."""
    rng = np.random.default_rng(seed)
    n = frame.height
    noise = {
        (f"Custom {i}"): (
            rng.normal(size=n).round(3)
            if i % 2 == 0
            else rng.choice(["alpha", "beta", "gamma"], size=n)
        )
        for i in range(extra)
    }
    return pl.concat([frame, pl.DataFrame(noise)], how="horizontal")


def test_narrow_inputs_are_left_alone() -> None:
    frame = pl.DataFrame({f"c{i}": [1, 2, 3] for i in range(10)})
    out, message = screen_columns(frame, max_columns=10)
    assert message is None and out.columns == frame.columns


def test_screen_keeps_named_columns_and_drops_constant_and_empty_ones_first() -> None:
    n = 50
    cols: dict[str, list] = {
        "Account ID": list(range(n)),
        "Churned": [i % 2 == 0 for i in range(n)],
        "Close Date": ["2024-01-01"] * n,
        "constant": ["x"] * n,
        "mostly empty": [None] * 40 + ["a"] * 10,
    }
    cols |= {f"f{i}": [float(i + j) for j in range(n)] for i in range(10)}
    cols["My Segment"] = ["a", "b"] * (n // 2)  # named only in the overrides, placed last
    frame = pl.DataFrame(cols)
    out, message = screen_columns(
        frame, SchemaOverrides(kinds={"My Segment": "categorical"}), max_columns=8
    )
    # Account ID, Churned, Close Date and the override are kept whatever the budget says; the
    # four slots left go to f0..f3 in file order, never to the constant or mostly empty column.
    assert out.columns == [
        "Account ID",
        "Churned",
        "Close Date",
        "f0",
        "f1",
        "f2",
        "f3",
        "My Segment",
    ]
    assert message is not None
    assert "16 columns is wider than discovery examines (8)" in message
    assert "did not examine 8" in message


def test_screen_never_looks_at_outcomes() -> None:
    """Shuffling or replacing the outcome values leaves the kept columns unchanged."""
    base = generate_customers(300, seed=5).customers
    wide = _widen(base, 400)
    kept, _ = screen_columns(wide, max_columns=60)
    outcome_cols = [c for c in base.columns if "churn" in c.lower() or "revenue" in c.lower()]
    assert outcome_cols
    shuffled = wide.with_columns([pl.col(c).shuffle(seed=1) for c in outcome_cols]).with_columns(
        pl.col(outcome_cols[0]).reverse()
    )
    kept2, _ = screen_columns(shuffled, max_columns=60)
    assert kept.columns == kept2.columns


def test_a_3000_column_file_finishes_and_reports_the_screening(tmp_path) -> None:
    sample = generate_customers(600, seed=11)
    wide = _widen(sample.customers, 3000)
    path = tmp_path / "wide.csv"
    wide.write_csv(path)
    result = CliRunner().invoke(
        app,
        ["discover", str(path), "-o", str(tmp_path / "icp.yaml"), "--folds", "2"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "3,0" in flat and "columns is wider than discovery examines" in flat
    assert "did not examine" in flat
    assert (tmp_path / "icp.yaml").exists()
