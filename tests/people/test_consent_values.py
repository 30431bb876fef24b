"""A consent column is read as consent, not as an opt-out flag.

Found on a contacts file for Crunchbase companies: consent was parsed with the opt-out
vocabulary, so "express" and "implied" (CASL's two kinds of consent, as CRMs record them) were
read as no consent — every consenting Canadian contact was left out — while "opted out" and
"unsubscribed" in a consent column were read as consent given, and such contacts were exported.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from icpkit.icp import ICP
from icpkit.people.outreach import build_outreach, export_outreach
from icpkit.people.personas import prepare_contacts

VALUES = [
    ("express", True), ("Implied", True), ("opted-in", True), ("Yes", True),
    ("opted out", False), ("Unsubscribed", False), ("withdrawn", False), ("no", False),
    ("", None), ("maybe later", None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "consent"), VALUES)
def test_consent_words(raw: str, consent: bool | None) -> None:
    c = prepare_contacts(pl.DataFrame({"Email": ["a@b.ca"], "CASL Consent": [raw]})).frame
    assert c["consent"].item() is consent


def test_values_not_understood_are_named() -> None:
    df = pl.DataFrame({"Email": ["a@b.ca", "c@b.ca"], "Consent": ["maybe later", "express"]})
    w = prepare_contacts(df, file="contacts.csv").warnings
    assert any("'maybe later'" in x and "no consent on record" in x for x in w), w


def test_casl_export_follows_consent(tmp_path: Path, icp: ICP) -> None:
    accounts = pl.DataFrame(
        {
            "id": ["a1"],
            "domain": ["delta.ca"],
            "name": ["Delta"],
            "tier": ["A"],
            "disqualified": [False],
            "segment": ["s1"],
            "fit_score": [80.0],
            "priority": [40.0],
            "rank": [1],
        }
    )
    raws = [raw for raw, _ in VALUES]
    contacts = pl.DataFrame(
        {
            "Email": [f"p{i}@delta.ca" for i in range(len(raws))],
            "Job Title": ["CMO"] * len(raws),
            "Country": ["Canada"] * len(raws),
            "Company ID": ["a1"] * len(raws),
            "Consent": raws,
        }
    )
    accounts.write_parquet(tmp_path / "scored.parquet")
    contacts.write_csv(tmp_path / "contacts.csv")
    res = export_outreach(
        tmp_path / "scored.parquet",
        tmp_path / "contacts.csv",
        icp,
        tmp_path / "out.csv",
        per_account=len(raws),
    )
    out = pl.read_csv(tmp_path / "out.csv")
    sent = {raws[int(e[1:].split("@")[0])] for e in out["email"].to_list()}
    assert sent == {raw for raw, ok in VALUES if ok}
    assert res.excluded["CASL: no consent on record"] == sum(ok is not True for _, ok in VALUES)
    # The same rows through the library, without files.
    again = build_outreach(accounts, contacts, icp, per_account=len(raws))
    assert again.rows == len(sent)
