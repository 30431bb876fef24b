"""Discovery measures every date window from its own reference date, disqualifiers included.

Traits were built from the data's "now" (an export ending 2014), but the masks that apply a
disqualifier, confirm it and attach its evidence evaluated it from the real today: a recency
disqualifier ("incident in the last 180 days") then disqualified nobody and read n = 0.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.discovery.profile import discover
from icpkit.outcomes import label_outcomes

AS_OF = date(2014, 6, 30)


def _export(n: int = 3000, seed: int = 4) -> pl.DataFrame:
    # A fifth of the accounts had an incident in the 180 days before the export: 3% of them
    # were won, against 45% of the others. Industry carries nothing.
    rng = np.random.default_rng(seed)
    recent = rng.random(n) < 0.2
    ago = np.where(recent, rng.integers(5, 170, n), rng.integers(400, 2500, n))
    won = rng.random(n) < np.where(recent, 0.03, 0.45)
    return pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "industry": rng.choice(["software", "retail", "health"], n).tolist(),
            "last_incident_at": [AS_OF - timedelta(days=int(d)) for d in ago],
            "outcome": np.where(won, "won", "lost").tolist(),
        }
    )


def test_a_recency_disqualifier_is_applied_and_evidenced_from_discoverys_date() -> None:
    raw = _export()
    schema = infer_schema(raw)
    prepared = prepare(raw, schema)
    outcomes = label_outcomes(prepared.frame, prepared.schema)
    icp = discover(prepared.frame, prepared.schema, outcomes, today=AS_OF).icp
    disq = [c for c in icp.disqualifiers if c.column == "last_incident_at"]
    assert len(disq) == 1 and disq[0].within_days is not None, icp.disqualifiers
    c = disq[0]
    # Counted here from the raw dates, not by discovery's masks.
    met = raw.select(
        (pl.lit(AS_OF) - pl.col("last_incident_at")).dt.total_days().is_between(0, c.within_days)
    ).to_series()
    won = raw.get_column("outcome") == "won"
    assert c.evidence is not None
    assert c.evidence.n == int(met.sum())
    assert c.evidence.n_best == int((met & won).sum())
    # The points model was fitted on the accounts still in play: a disqualified account's
    # window trait carries no points (it would be constant among qualified accounts).
    assert all(
        p.column != "last_incident_at" or p.within_days != c.within_days for p in icp.scoring.points
    )
