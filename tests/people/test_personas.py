"""Persona discovery recovers the planted buying committee; contacts are ranked with reasons."""

from __future__ import annotations

import numpy as np
import polars as pl

from icpkit.icp import ICP
from icpkit.people.personas import (
    analyze_personas,
    normalize_deal_role,
    prepare_contacts,
    rank_contacts,
    with_personas,
)
from icpkit.sample.people import PLANTED_PERSONAS, generate_contacts
from tests.people.conftest import SEGMENT_OF


def test_recovers_planted_personas(
    contacts: pl.DataFrame, customers: pl.DataFrame, icp: ICP
) -> None:
    found = analyze_personas(contacts, customers, icp)
    by_key = {(p.segment, p.deal_role): p for p in found.personas}
    for planted in PLANTED_PERSONAS:
        p = by_key[(SEGMENT_OF[planted.segment], planted.deal_role)]
        assert p.department == planted.department
        assert p.seniority in planted.seniorities
        ev = p.evidence
        assert ev is not None
        assert ev.share_of_won > ev.share_of_lost  # type: ignore[operator]
        assert ev.p_value is not None and ev.p_value < 1e-4
        assert ev.caveat is None
    for seg in ("s1", "s2"):
        assert 1 <= sum(p.segment == seg for p in found.personas) <= 3
    assert found.deals["s1"]["won"] > 100 and found.deals["s1"]["lost"] > 30


def test_personas_hold_no_personal_data(
    contacts: pl.DataFrame, customers: pl.DataFrame, icp: ICP
) -> None:
    found = analyze_personas(contacts, customers, icp)
    text = with_personas(icp, found.personas).to_yaml()
    assert "personas:" in text
    assert "@" not in text.split("personas:")[1]
    for col in ("First Name", "Last Name"):
        names = {n.lower() for n in contacts[col].unique().to_list()}
        words = set(text.lower().replace(",", " ").replace("[", " ").replace("]", " ").split())
        assert not names & words
    for p in found.personas:
        assert all(t == t.lower() and not any(ch.isdigit() for ch in t) for t in p.example_titles)
    loaded = ICP.from_yaml(text).personas
    assert [p.model_dump(exclude={"evidence"}) for p in loaded] == [
        p.model_dump(exclude={"evidence"}) for p in found.personas
    ]


def test_shuffled_outcomes_give_caveats_not_claims(customers: pl.DataFrame, icp: ICP) -> None:
    c = generate_contacts(customers, 5)
    # Shuffle deal stages across deals: who took part no longer says anything about winning.
    deals = c.select("Deal ID", "Deal Stage").drop_nulls().unique("Deal ID", maintain_order=True)
    perm = np.random.default_rng(0).permutation(deals.height)
    shuffled = deals.with_columns(pl.Series("Deal Stage", deals["Deal Stage"].to_numpy()[perm]))
    c = c.drop("Deal Stage").join(shuffled, on="Deal ID", how="left", maintain_order="left")
    found = analyze_personas(c, customers, icp)
    for p in found.personas:
        assert p.deal_role is not None  # no "involved" persona without significant lift
        assert p.evidence is not None and p.evidence.caveat is not None


def test_without_deal_stages_every_deal_counts_as_won(
    contacts: pl.DataFrame, customers: pl.DataFrame, icp: ICP
) -> None:
    found = analyze_personas(contacts.drop("Deal Stage"), customers, icp)
    assert any("every deal counts as won" in w for w in found.warnings)
    assert found.personas
    for p in found.personas:
        assert p.evidence is not None
        assert (
            p.evidence.lost_deals == 0 and p.evidence.caveat == "no lost deals to compare against"
        )


def test_deal_roles_normalised() -> None:
    s = pl.Series(
        [
            "Champion ",
            "economic-buyer",
            "Signer",
            "End User",
            "Technical Evaluator",
            "Owner",
            "?",
            None,
            "",
        ]
    )
    out = pl.select(normalize_deal_role(pl.lit(s))).to_series().to_list()
    assert out == [
        "champion",
        "decision maker",
        "decision maker",
        "user",
        "influencer",
        "other",
        None,  # "?" is a placeholder, as in every other column icpkit reads
        None,
        None,
    ]


def test_prepare_contacts_counts_and_keys() -> None:
    df = pl.DataFrame(
        {
            "E-Mail": [" Ann@Acme.COM ", "bob at acme.com", None, "x@gmail.com"],
            "Job Title": ["VP Marketing", "CEO", None, "Intern"],
            "Country/Region": ["Deutschland", "usa", "Atlantis", None],
            "Company ID": ["1", None, None, None],
            "Unsubscribed": ["No", "yes", None, "TRUE"],
        }
    )
    c = prepare_contacts(df).frame
    assert c["email"].to_list() == ["ann@acme.com", "bobatacme.com", None, "x@gmail.com"]
    assert c["email_valid"].to_list() == [True, False, False, True]
    assert c["country_code"].to_list() == ["DE", "US", None, None]
    assert c["department"].to_list() == ["marketing", "executive", None, "other"]
    assert c["opted_out"].to_list() == [False, True, False, True]
    assert c["row"].to_list() == [1, 2, 3, 4]


def test_rank_contacts_puts_persona_matches_first(
    contacts: pl.DataFrame, scored: pl.DataFrame, customers: pl.DataFrame, icp: ICP
) -> None:
    icp2 = with_personas(icp, analyze_personas(contacts, customers, icp).personas)
    ranked = rank_contacts(contacts, scored, icp2)
    assert ranked.height == contacts.height  # nobody dropped
    linked = ranked.filter(pl.col("account_row").is_not_null())
    # Ranks are 1..n within every account, without gaps or ties.
    check = linked.group_by("account_row").agg(
        (pl.col("contact_rank").sort() == pl.int_range(1, pl.len() + 1)).all().alias("ok")
    )
    assert check["ok"].all()
    # Within an account, a better score never ranks below a worse one.
    bad = linked.sort("account_row", "contact_rank").with_columns(
        (pl.col("contact_score").diff().over("account_row") > 0).alias("up")
    )
    assert not bad["up"].any()
    top = linked.filter((pl.col("segment") == "s1") & (pl.col("contact_rank") == 1))
    share = (top["persona"].is_not_null()).mean()
    assert share is not None and share > 0.8
    assert top["reasons"].str.contains("persona").mean() > 0.8  # type: ignore[operator]
    opted = ranked.filter(pl.col("opted_out"))
    assert (opted["contact_score"] == 0).all()
    assert opted["reasons"].str.contains("opted out").all()
    # The file's account order: a lower account rank never comes after a higher one.
    ranks = ranked["account_rank"].drop_nulls()
    assert (ranks.diff().drop_nulls() >= 0).all()
