"""Shared fixtures: a hand-written ICP matching the planted segments, customers and contacts."""

from __future__ import annotations

import polars as pl
import pytest

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment
from icpkit.sample.customers import TECH_CATEGORIES, generate_customers
from icpkit.sample.people import generate_contacts

SEGMENT_OF = {"saas-fintech-midmarket": "s1", "shopify-plus-no-chat": "s2"}


def planted_icp() -> ICP:
    chat = sorted(t.lower() for t, c in TECH_CATEGORIES.items() if c == "live chat")
    return ICP(
        segments=[
            Segment(
                id="s1",
                name="SaaS and fintech mid-market",
                bonus=2,
                must=[
                    Criterion(column="industry", **{"in": ["saas", "fintech"]}),
                    Criterion(column="employees", between=(200, 1000)),
                ],
            ),
            Segment(
                id="s2",
                name="Shopify Plus without live chat",
                bonus=2,
                must=[
                    Criterion(column="tech_stack", has_any=["shopify plus"]),
                    Criterion(column="tech_stack", has_none=chat, category="live chat"),
                ],
            ),
        ],
        scoring=Scoring(intercept=-3),
    )


@pytest.fixture(scope="session")
def icp() -> ICP:
    return planted_icp()


@pytest.fixture(scope="session")
def customers() -> pl.DataFrame:
    return generate_customers(3000, seed=11).customers


@pytest.fixture(scope="session")
def contacts(customers: pl.DataFrame) -> pl.DataFrame:
    return generate_contacts(customers, 11)


@pytest.fixture(scope="session")
def scored(customers: pl.DataFrame, icp: ICP) -> pl.DataFrame:
    from icpkit.scoring import score

    return score(customers, icp)
