"""The weak-signal generator must plant what it claims: weak, real, messy and reproducible.

Effects are measured on the raw export with plain polars (and the AUC with scikit-learn), not
through the icpkit pipeline the benchmark built on this generator is meant to judge.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

import icpkit
from icpkit.errors import IcpkitError
from icpkit.sample.customers import WeakTruth, weak_signal_customers


def _norm(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()


def _won_rate(frame: pl.DataFrame, mask: pl.Expr) -> float:
    sub = frame.filter(mask.fill_null(False))
    return float((sub.get_column("Outcome") == "won").mean())  # type: ignore[arg-type]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), signal=st.floats(0.7, 1.4))
def test_bayes_auc_is_weak_but_real(seed: int, signal: float) -> None:
    frame, truth = weak_signal_customers(2000, seed=seed, signal=signal)
    won = (frame.get_column("Outcome") == "won").to_numpy()
    assert np.array_equal(won, truth.won)
    auc = roc_auc_score(won, truth.probability)
    assert auc == pytest.approx(truth.bayes_auc, abs=1e-9)
    assert 0.62 <= auc <= 0.80
    assert 0.24 <= won.mean() <= 0.36  # base_rate 0.3 by default


def test_signal_orders_the_bayes_auc() -> None:
    aucs = [weak_signal_customers(2000, seed=5, signal=s)[1].bayes_auc for s in (0.6, 1.0, 1.5)]
    assert aucs[0] < aucs[1] < aucs[2]


def test_conjunction_and_anti_signal_are_planted() -> None:
    frame, truth = weak_signal_customers(20_000, seed=3)
    saas_fin = _norm("Industry").is_in(["saas", "fintech"])
    hubspot = pl.col("Tech Stack").str.to_lowercase().str.contains("hubspot")
    inside = _won_rate(frame, saas_fin & hubspot)
    only_industry = _won_rate(frame, saas_fin & ~hubspot)
    only_tool = _won_rate(frame, ~saas_fin & hubspot)
    # Each part alone helps a little; together clearly more than either (the interaction).
    assert inside > max(only_industry, only_tool) + 0.08
    b2c = _won_rate(frame, _norm("Business Model") == "b2c")
    b2b = _won_rate(frame, _norm("Business Model") == "b2b")
    assert b2c < b2b - 0.08
    assert truth.conjunction.criteria[0].column == "industry"
    assert truth.anti_signal.values == ("b2c",)
    # No single planted effect is strong: the biggest one is below 1 on the log-odds scale.
    assert max(abs(v) for v in truth.effects.values()) < 1.0


def test_export_is_messy_with_missing_values() -> None:
    frame, _ = weak_signal_customers(2000, seed=11)
    for col in (
        "Industry",
        "Number of Employees",
        "Annual Revenue",
        "Country/Region",
        "Business Model",
        "Tech Stack",
        "Last Funding Date",
        "Hiring Growth 6m (%)",
    ):
        share = frame.get_column(col).null_count() / frame.height
        assert 0.02 < share < 0.6, col
    raw = frame.get_column("Industry").drop_nulls().n_unique()
    clean = frame.select(_norm("Industry")).to_series().drop_nulls().n_unique()
    assert raw > clean + 10  # case, whitespace and alternative spellings of 11 industries
    revenue = frame.get_column("Annual Revenue").drop_nulls()
    assert revenue.str.contains(r"^\$[\d.]+M$").any()
    assert revenue.str.contains(r"^\d{1,3}(,\d{3})+$").any()
    assert frame.get_column("Number of Employees").drop_nulls().str.contains(",").any()
    assert frame.get_column("Tech Stack").drop_nulls().str.contains("; ").any()


def test_icpkit_reads_the_export_as_intended() -> None:
    frame, truth = weak_signal_customers(1500, seed=2, n_noise_columns=6)
    schema = icpkit.infer_schema(frame)
    kinds = {c.name: (str(c.role), str(c.kind)) for c in schema.columns}
    assert kinds["outcome"] == ("outcome", "categorical")
    assert kinds["tech_stack"][1] == "multi"
    assert kinds["employees"] == ("attribute", "numeric")
    assert kinds["revenue"] == ("attribute", "numeric")
    assert schema.reference_date == "close_date"
    prepared = icpkit.prepare(frame, schema)
    outcomes = icpkit.label_outcomes(prepared.frame, prepared.schema)
    assert np.array_equal(outcomes.best, truth.won)
    assert np.array_equal(outcomes.worst, ~truth.won)
    assert prepared.frame.get_column("industry").drop_nulls().n_unique() == 11


def test_deterministic_by_seed_and_noise_columns_are_added() -> None:
    a, ta = weak_signal_customers(800, seed=9, n_noise_columns=3)
    b, tb = weak_signal_customers(800, seed=9, n_noise_columns=3)
    c, _ = weak_signal_customers(800, seed=10, n_noise_columns=3)
    assert a.equals(b)
    assert np.array_equal(ta.probability, tb.probability)
    assert not a.equals(c)
    wide, _ = weak_signal_customers(300, seed=9, n_noise_columns=100)
    assert wide.width == a.width + 97


def test_shuffled_outcomes_carry_no_signal() -> None:
    frame, truth = weak_signal_customers(2000, seed=4, shuffle_outcomes=True)
    assert isinstance(truth, WeakTruth)
    assert truth.bayes_auc == pytest.approx(0.5)
    won = (frame.get_column("Outcome") == "won").to_numpy()
    _, unshuffled = weak_signal_customers(2000, seed=4)
    # The latent probability of the same attributes no longer ranks the outcome.
    assert abs(roc_auc_score(won, unshuffled.probability) - 0.5) < 0.05


@pytest.mark.parametrize(
    "kwargs", [{"n": 1}, {"n": 100, "base_rate": 1.0}, {"n": 100, "n_noise_columns": -1}]
)
def test_bad_arguments_are_input_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(IcpkitError):
        weak_signal_customers(**kwargs)  # type: ignore[arg-type]
