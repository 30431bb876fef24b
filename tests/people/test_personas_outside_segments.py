"""Personas are learned from every fitting account, not only those inside a segment.

Found on the Crunchbase export: the points table put 253 accounts in tiers A and B, 144 of them
in no segment, and ``icp personas`` learned only from the 109 deals of the segment's accounts —
the other fitting accounts' contacts never counted and never matched a persona.
"""

from __future__ import annotations

import polars as pl

from icpkit.icp import ICP
from icpkit.people.personas import analyze_personas, rank_contacts


def _icp() -> ICP:
    return ICP.model_validate(
        {
            "columns": {"id": "id"},
            "segments": [
                {"id": "seg-1", "name": "saas", "must": [{"column": "industry", "in": ["saas"]}]}
            ],
            "scoring": {"intercept": 3.0, "tiers": {"A": 40, "B": 25, "C": 15}},
        }
    )


def _data() -> tuple[pl.DataFrame, pl.DataFrame]:
    n = 80  # 40 saas (seg-1), 40 retail (no segment); every account in tier A
    ids = [f"a{i}" for i in range(n)]
    industry = ["saas" if i < 40 else "retail" for i in range(n)]
    won = [i % 4 != 0 for i in range(n)]  # 60 won, 20 lost deals
    accounts = pl.DataFrame({"id": ids, "industry": industry})
    # Retail won deals have a head of sales as champion; everyone else a marketing manager.
    title = [
        "Head of Sales" if ind == "retail" and w else "Marketing Manager"
        for ind, w in zip(industry, won, strict=True)
    ]
    contacts = pl.DataFrame(
        {
            "Email": [f"p@{i}.com" for i in ids],
            "Job Title": title,
            "Company ID": ids,
            "Deal ID": [f"d-{i}" for i in ids],
            "Deal Stage": ["closed won" if w else "closed lost" for w in won],
            "Deal Role": ["champion"] * n,
        }
    )
    return accounts, contacts


def test_fitting_accounts_outside_segments_have_personas() -> None:
    accounts, contacts = _data()
    found = analyze_personas(contacts, accounts, _icp())
    # Hand counts: 30 won and 10 lost deals in each half.
    assert found.deals == {"all": {"won": 30, "lost": 10}, "seg-1": {"won": 30, "lost": 10}}
    outside = [p for p in found.personas if p.segment is None]
    assert any(p.department == "sales" and p.deal_role == "champion" for p in outside), [
        (p.department, p.seniority) for p in outside
    ]
    ev = next(p.evidence for p in outside if p.department == "sales")
    assert ev is not None and ev.won_deals == 30 and ev.lost_deals == 0


def test_contacts_outside_segments_match_a_persona() -> None:
    accounts, contacts = _data()
    icp = _icp()
    found = analyze_personas(contacts, accounts, icp)
    icp = icp.model_copy(update={"personas": found.personas})
    scored = accounts.with_columns(
        pl.lit("A").alias("tier"),
        pl.lit(False).alias("disqualified"),
        pl.when(pl.col("industry") == "saas").then(pl.lit("seg-1")).alias("segment"),
        pl.lit(95.0).alias("fit_score"),
        pl.lit(50.0).alias("priority"),
        pl.int_range(1, pl.len() + 1).alias("rank"),
    )
    ranked = rank_contacts(contacts, scored, icp)
    retail_sales = ranked.filter(pl.col("title") == "Head of Sales")
    assert retail_sales.height == 30 and retail_sales["persona"].is_not_null().all()
