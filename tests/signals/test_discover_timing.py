"""Planted truth: winners were hiring in the solution area shortly before they bought.

The history is recorded in a signals store (one look per posting's first sighting, as repeated
collections would leave it), exported as of a date with ``--roles``, joined onto the customer
base, and given to discovery exactly as ``icp discover`` does (``discover_file``). The effect is
weak: a tenth of winners had such a posting in the 90 days before buying, and everyone posts
such roles now and then. Discovery must name the signal as timing; with the outcomes shuffled
it must not.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from icpkit.pipeline import discover_file
from icpkit.signals.export import join_accounts, signal_columns
from icpkit.signals.store import SignalsStore

AS_OF = date(2026, 12, 1)
START = date(2024, 6, 1)


def _base(seed: int, n: int = 4000) -> tuple[pl.DataFrame, list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    won = rng.random(n) < 0.3
    close = [date(2025, 6, 1) + timedelta(days=int(d)) for d in rng.integers(0, 480, n)]
    accounts = pl.DataFrame(
        {
            "website": [f"https://www.c{i}.com/" for i in range(n)],
            "Industry": rng.choice(["SaaS", "Retail", "Health", "Media", "Logistics"], n),
            "Number of Employees": np.round(rng.lognormal(5, 1, n)).astype(int),
            "Close Date": close,
            "Outcome": np.where(won, "won", "lost"),
        }
    )
    postings, visits = [], []
    span = (AS_OF - START).days
    for i in range(n):
        account = f"c{i}.com"
        seen: list[tuple[date, str]] = []
        if won[i] and rng.random() < 0.10:  # the planted trigger: hired SEO before buying
            seen.append((close[i] - timedelta(days=int(rng.integers(5, 85))), "SEO Manager"))
        if rng.random() < 0.5:  # everyone hires content people now and then
            seen.append((START + timedelta(days=int(rng.integers(0, span))), "Content Writer"))
        if rng.random() < 0.6:  # and other roles, which must not matter
            seen.append((START + timedelta(days=int(rng.integers(0, span))), "Account Executive"))
        for k, (day, title) in enumerate(seen):
            postings.append(
                {"account": account, "observed_on": day, "source": "greenhouse",
                 "posting_id": f"{i}-{k}", "title": title, "department": None,
                 "seniority": None, "posted_on": day}
            )  # fmt: skip
        visits.append(
            {"account": account, "observed_on": AS_OF, "source": "hiring", "ok": True,
             "detail": "greenhouse", "unseen": None}
        )  # fmt: skip
    return accounts, postings, visits


def _export(tmp_path: Path, seed: int, shuffle: bool) -> Path:
    accounts, postings, visits = _base(seed)
    if shuffle:
        accounts = accounts.with_columns(pl.col("Outcome").shuffle(seed=seed + 1))
    with SignalsStore(tmp_path / "s.duckdb") as store:
        store.append(
            {
                "postings": pl.DataFrame(postings),
                "visits": pl.DataFrame(
                    visits,
                    schema={
                        "account": pl.String,
                        "observed_on": pl.Date,
                        "source": pl.String,
                        "ok": pl.Boolean,
                        "detail": pl.String,
                        "unseen": pl.List(pl.String),
                    },
                ),
            }
        )
        signals = signal_columns(store, AS_OF, roles="seo|content")
    frame = join_accounts(signals, accounts, "website").select(
        "website",
        "Industry",
        "Number of Employees",
        "Close Date",
        "Outcome",
        "hiring_roles_last_date",
    )
    path = tmp_path / "customers.csv"
    frame.write_csv(path)
    return path


def test_hiring_in_the_solution_area_is_found_as_a_timing_signal(tmp_path: Path) -> None:
    run = discover_file(_export(tmp_path, seed=11, shuffle=False))
    timing = run.icp.scoring.timing
    hits = [c for c in timing if c.column == "hiring_roles_last_date"]
    assert hits, [c.describe() for c in timing]
    assert hits[0].before == "close_date" and hits[0].within_days is not None
    assert hits[0].within_days <= 180
    assert hits[0].evidence is not None and hits[0].evidence.odds_ratio > 1.5


@pytest.mark.parametrize("seed", [11, 12])
def test_shuffled_outcomes_give_no_hiring_timing_signal(tmp_path: Path, seed: int) -> None:
    run = discover_file(_export(tmp_path, seed=seed, shuffle=True))
    assert not any(c.column == "hiring_roles_last_date" for c in run.icp.scoring.timing)
