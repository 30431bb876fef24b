"""Two companies whose names normalise alike never share funding rounds.

Found on the 2013 Crunchbase export (no websites, matched by name): "Alice" and "Alice.com",
"Auction Holdings" and "Auction.com", "Blaze" and "The Blaze" (22 such pairs) collapsed into one
account key before the ambiguity check, so the report said "0 on names two accounts share" and
71 rounds of one company were put on the record of both.
"""

from __future__ import annotations

import polars as pl

from icpkit.io import read_table
from icpkit.signals.funding import match_rounds, name_expr
from tests.helpers import shared_file


def test_homonyms_are_left_unmatched() -> None:
    accounts = pl.DataFrame({"name": ["Alice", "Alice.com", "Acme Inc", "Acme Inc"]})
    rounds = pl.DataFrame(
        {
            "company_name": ["Alice", "alice.com", "ACME", "Acme, Inc."],
            "funded_at": ["2012-01-01", "2012-02-01", "2012-03-01", "2013-03-01"],
            "funding_round_type": ["seed", "series-a", "seed", "series-a"],
        }
    )
    matched, rep = match_rounds(rounds, accounts, account_name="name")
    assert rep.ambiguous_names == 2 and rep.by_name == 2 and rep.unmatched == 2
    # The same account listed twice is one account, not two: its rounds match.
    assert matched["account"].to_list() == ["acme", "acme"]


def test_crunchbase_homonyms() -> None:
    companies = read_table(shared_file("data", "crunchbase-2013", "crunchbase-companies.csv"))
    rounds = read_table(shared_file("data", "crunchbase-2013", "crunchbase-rounds.csv"))
    _, rep = match_rounds(rounds, companies.select("name"), account_name="name")
    # By hand: rounds whose name normalises to one that two differently spelled companies share.
    spellings = companies.select(
        name_expr(pl.col("name")).alias("k"), pl.col("name").str.strip_chars().alias("raw")
    ).unique()
    shared = spellings.filter(pl.col("k").is_duplicated() & pl.col("k").is_not_null())["k"]
    want = rounds.select(name_expr(pl.col("company_name")).alias("k")).filter(
        pl.col("k").is_in(shared.unique().implode())
    )
    assert want.height > 0 and rep.ambiguous_names == want.height
