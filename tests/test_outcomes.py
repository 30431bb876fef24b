from __future__ import annotations

import polars as pl
import pytest

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.errors import OutcomeError
from icpkit.outcomes import OutcomeSpec, label_outcomes


def _prep(df: pl.DataFrame, label: str | None = None):
    from icpkit.columns.schema import SchemaOverrides

    raw = df.with_columns(pl.all().cast(pl.String))
    schema = infer_schema(raw, SchemaOverrides(label=label) if label else None)
    p = prepare(raw, schema)
    return p.frame, p.schema


def test_explicit_label_overrides_everything():
    df = pl.DataFrame(
        {"id": range(100), "result": ["won", "lost", "open", "won"] * 25, "arr": list(range(100))}
    )
    frame, schema = _prep(df, label="result")
    o = label_outcomes(frame, schema, OutcomeSpec(label="result"))
    assert o.best.sum() == 50 and o.worst.sum() == 25
    assert "result" in o.best_rule


def test_label_with_one_value_is_an_error_naming_the_column():
    df = pl.DataFrame({"id": range(40), "result": ["won"] * 40})
    frame, schema = _prep(df, label="result")
    with pytest.raises(OutcomeError) as exc:
        label_outcomes(frame, schema, OutcomeSpec(label="result"), file="deals.csv")
    assert exc.value.column == "result" and "deals.csv" in str(exc.value)


def test_no_outcome_column_is_a_clear_error():
    df = pl.DataFrame({"id": range(50), "industry": ["saas", "retail"] * 25})
    frame, schema = _prep(df)
    with pytest.raises(OutcomeError, match="no outcome column"):
        label_outcomes(frame, schema, file="x.csv")


def test_composite_top_share_and_churn_are_worst():
    n = 1000
    df = pl.DataFrame(
        {
            "id": range(n),
            "arr": [float(i) for i in range(n)],
            "support_tickets": [float(n - i) for i in range(n)],
            "churned": ["yes" if i % 10 == 0 else "no" for i in range(n)],
        }
    )
    frame, schema = _prep(df)
    o = label_outcomes(frame, schema)
    assert o.best.sum() == 200
    assert not (o.best & o.worst).any()
    churned = frame.get_column("churned").to_numpy()
    assert o.worst[churned].all()  # every churned account is worst
    assert not o.best[churned].any()
    # Best are the highest-ARR, lowest-ticket accounts.
    arr = frame.get_column("arr").to_numpy()
    assert arr[o.best].min() > arr[~o.best & ~churned].mean()


def test_few_best_customers_warn_and_say_why():
    df = pl.DataFrame({"id": range(60), "won": ["yes"] * 10 + ["no"] * 50})
    frame, schema = _prep(df)
    o = label_outcomes(frame, schema)
    assert o.best.sum() == 10
    assert any("fewer than 30" in w and "unstable" in w for w in o.warnings)


def _telco_like(n: int = 2_000, seed: int = 0) -> pl.DataFrame:
    """Tenure decides who is best; total charges is tenure times the monthly charge (as on the
    Telco export), monthly charges and headcount are only loosely related to it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    monthly = rng.uniform(50, 110, n).round(2)
    total = (tenure * monthly * rng.uniform(0.95, 1.05, n)).round(2)
    employees = (tenure * 3 + rng.integers(0, 400, n)).astype(int)  # rank corr ~0.45
    return pl.DataFrame(
        {
            "id": range(n),
            "tenure": tenure,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
            "employees": employees,
            "churned": rng.random(n) < 0.2,
        }
    )


def test_an_attribute_that_restates_the_outcome_metric_is_named_in_a_warning():
    frame, schema = _prep(_telco_like())
    assert "tenure" in [c.name for c in schema.outcomes]  # the metric best customers rank by
    o = label_outcomes(frame, schema)
    echoes = [w for w in o.warnings if "may restate the outcome" in w]
    # total charges is tenure x monthly charge; headcount moves with tenure only loosely
    assert len(echoes) == 1
    assert "'TotalCharges' moves with 'tenure'" in echoes[0]
    assert 'ignore = ["TotalCharges"]' in echoes[0]


def test_no_echo_warning_when_the_attributes_are_independent_of_the_outcome():
    df = _telco_like(seed=1)
    import numpy as np

    shuffled = np.random.default_rng(1).permutation(df.height)
    df = df.with_columns(pl.Series("TotalCharges", df["TotalCharges"].to_numpy()[shuffled]))
    frame, schema = _prep(df)
    o = label_outcomes(frame, schema)
    assert not [w for w in o.warnings if "may restate the outcome" in w]
