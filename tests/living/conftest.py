"""Shared fixtures: one ICP fitted on planted sample data, and cohorts built from it.

The drift cohort keeps the Shopify-Plus segment, the on-prem anti-signal and the funding booster
but makes the SaaS/fintech mid-market segment stop predicting and Germany start predicting.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.icp import ICP
from icpkit.outcomes import OutcomeSpec, label_outcomes
from icpkit.pipeline import discover_file
from icpkit.sample.customers import generate_customers

FIT_DAY = date(2026, 1, 1)
CHAT = ["intercom", "drift", "zendesk chat", "livechat", "tidio", "gorgias"]


@pytest.fixture(scope="session")
def fitted_icp() -> ICP:
    run = discover_file(
        generate_customers(4000, seed=7).customers, baseline=False, folds=2, today=FIT_DAY
    )
    return run.icp


@pytest.fixture(scope="session")
def icp_file(tmp_path_factory: pytest.TempPathFactory, fitted_icp: ICP) -> Path:
    p = tmp_path_factory.mktemp("icp") / "icp.yaml"
    fitted_icp.save(p)
    return p


def null_cohort(seed: int, n: int = 3000) -> pl.DataFrame:
    """Same distribution and outcome definition as the fit data: won = best, lost = worst."""
    raw = generate_customers(n, seed=seed).customers
    pf = prepare(raw, infer_schema(raw))
    o = label_outcomes(pf.frame, pf.schema, OutcomeSpec())
    won = np.where(o.best, "won", np.where(o.worst, "lost", "open"))
    return raw.with_columns(pl.Series("Won", won.tolist()))


def drift_cohort(seed: int, n: int = 3000) -> pl.DataFrame:
    """Segment A (saas/fintech, 200-1,000 employees) stops predicting; Germany starts."""
    raw = generate_customers(n, seed=seed).customers
    f = prepare(raw, infer_schema(raw)).frame
    chat = pl.col("tech_stack").list.eval(pl.element().is_in(CHAT)).list.any()
    x = f.select(
        (pl.col("tech_stack").list.contains("shopify plus") & ~chat).fill_null(False).alias("b"),
        (pl.col("country") == "germany").fill_null(False).alias("de"),
        (pl.col("deployment") == "on-prem").fill_null(False).alias("op"),
        (pl.col("close_date") - pl.col("last_funding_date"))
        .dt.total_days()
        .is_between(0, 179)
        .fill_null(False)
        .alias("fund"),
    )
    rng = np.random.default_rng(seed)
    q = (
        2.2 * (x["b"].to_numpy() | x["de"].to_numpy())
        - 2.0 * x["op"].to_numpy()
        + 0.7 * x["fund"].to_numpy()
        + rng.normal(0, 1, n)
    )
    won = q >= np.quantile(q, 0.7)
    return raw.with_columns(pl.Series("Won", np.where(won, "won", "lost").tolist()))
