"""Outreach: suppression always applied, every exclusion counted, regimes per row."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.errors import InputError, MissingColumnsError
from icpkit.icp import ICP
from icpkit.people.outreach import PERSONAL_COLUMNS, build_outreach, load_suppression


def _accounts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4"],
            "domain": ["acme.com", "beta.io", "gamma.de", "delta.ca"],
            "name": ["Acme", "Beta", "Gamma", "Delta"],
            "tier": ["A", "B", "C", "A"],
            "disqualified": [False, False, False, False],
            "segment": ["s1", "s1", None, "s1"],
            "fit_score": [90.0, 50.0, 20.0, 80.0],
            "priority": [45.0, 25.0, 10.0, 40.0],
            "rank": [1, 3, 4, 2],
        }
    )


def _contacts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Email": [
                "ceo@acme.com", "vp@acme.com", "optout@acme.com", "cmo@beta.io", "bad at beta.io",
                "x@gamma.de", "ann@sub.acme.com", "nokey@gmail.com", "ghost@unknown.org",
                "cfo@delta.ca", "cmo@delta.ca", "dup1@acme.com", "dup2@acme.com", None,
            ],
            "Job Title": [
                "CEO", "VP Marketing", "CMO", "CMO", "CEO", "CEO", "Marketing Manager", "CEO",
                "CEO", "CFO", "CMO", "Intern", "Intern", "CEO",
            ],
            "Country": [
                "US", "Deutschland", "US", "Mars", "US", "DE", "UK", "US", "US", "Canada",
                "Canada", "US", "US", "US",
            ],
            "Company ID": [
                "a1", "a1", "a1", "a2", "a2", "a3", None, None, None, "a4", "a4", "a1", "a1",
                "a2",
            ],
            "Unsubscribed": [
                "no", "no", "yes", "no", "no", "no", "no", "no", "no", "no", "no", "no", "no",
                "no",
            ],
            "Consent": [
                None, None, None, None, None, None, None, None, None, None, "yes", None, None,
                None,
            ],
        }
    )  # fmt: skip


def test_every_contact_is_exported_or_counted(icp: ICP) -> None:
    res = build_outreach(
        _accounts(), _contacts(), icp, suppression=["sub.acme.com", "cmo@beta.io"], per_account=2
    )
    assert res.contacts_in == 14
    assert res.rows + sum(res.excluded.values()) == res.contacts_in
    assert res.excluded == {
        "suppressed: listed": 2,
        "suppressed: opted out (contacts file)": 1,
        "account not in tiers A, B (or disqualified)": 1,
        "no account key (id, domain or work email)": 1,
        "account not in the scored file": 1,
        "malformed email": 1,
        "no email": 1,
        "CASL: no consent on record": 1,
        "beyond 2 contacts per account": 2,
    }
    assert res.suppressed == {"listed": 2, "opted out (contacts file)": 1}
    emails = res.frame["email"].to_list()
    # Priority order: account a1 (rank 1), then a4 (rank 2); best contacts first.
    assert emails == ["ceo@acme.com", "vp@acme.com", "cmo@delta.ca"]
    assert res.frame["regime"].to_list() == ["CAN-SPAM", "GDPR", "CASL"]
    assert res.regimes == {"CAN-SPAM": 1, "CASL": 1, "GDPR": 1}
    assert res.flagged == {"national rules: consent likely needed": 1}
    assert set(res.personal_columns) <= set(PERSONAL_COLUMNS)
    assert "email" in res.personal_columns and "title" in res.personal_columns


def test_casl_flag_and_unknown_country_options(icp: ICP) -> None:
    res = build_outreach(
        _accounts(),
        _contacts(),
        icp,
        tiers=("A", "B"),
        per_account=5,
        casl_without_consent="flag",
        unknown_country="exclude",
    )
    assert "CASL: no consent on record" not in res.excluded
    assert res.excluded["country unknown"] == 1
    casl = res.frame.filter(pl.col("regime") == "CASL")
    assert casl.height == 2
    assert casl["flags"].str.contains("CASL").sum() == 1  # the one without consent
    assert res.rows + sum(res.excluded.values()) == res.contacts_in


def test_unknown_country_is_flagged_by_default(icp: ICP) -> None:
    res = build_outreach(_accounts(), _contacts(), icp, per_account=5)
    beta = res.frame.filter(pl.col("email") == "cmo@beta.io")
    assert beta["regime"].to_list() == ["unknown"]
    assert "country unknown" in beta["flags"][0]
    assert res.flagged["country unknown: check first"] == 1


def test_bad_arguments(icp: ICP) -> None:
    with pytest.raises(MissingColumnsError):
        build_outreach(_accounts().drop("tier"), _contacts(), icp)
    with pytest.raises(InputError):
        build_outreach(_accounts(), _contacts(), icp, tiers=("Z",))
    with pytest.raises(InputError):
        build_outreach(_accounts(), _contacts(), icp, per_account=0)


def test_suppression_entries_parsed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "sup.csv"
    p.write_text("Email,Reason\n@Rival.com,competitor\nBob@Acme.com,opt-out\nnot valid,\n")
    s = load_suppression(p)
    assert s.select("kind", "value", "reason").rows() == [
        ("domain", "rival.com", "competitor"),
        ("email", "bob@acme.com", "opt-out"),
        ("invalid", "not valid", "listed"),
    ]


def test_generated_contacts_end_to_end(
    scored: pl.DataFrame, contacts: pl.DataFrame, icp: ICP
) -> None:
    doms = scored.filter(pl.col("tier") == "A")["Company Domain Name"].drop_nulls().head(20)
    res = build_outreach(scored, contacts, icp, suppression=doms.to_list())
    assert res.rows > 100
    assert res.rows + sum(res.excluded.values()) == res.contacts_in
    assert res.suppressed["listed"] > 0
    assert (res.frame["tier"].is_in(["A", "B"])).all()
    out_domains = res.frame["email"].str.extract(r"@(.+)$", 1)
    clean = doms.str.replace(r"^(https?://)?(www\.)?", "").str.to_lowercase()
    assert not out_domains.is_in(clean.str.replace(r"/.*$", "").to_list()).any()
    assert res.frame.group_by("account_id").len()["len"].max() <= 3  # type: ignore[operator]
    assert set(res.frame["regime"].unique()) <= {"GDPR", "CAN-SPAM", "CASL", "other", "unknown"}


_EMAILS = st.sampled_from(
    ["ceo@acme.com", "vp@acme.com", "a@sub.acme.com", "cmo@beta.io", "x@beta.io", "bad at x",
     "z@delta.ca", "q@gmail.com", None]
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    emails=st.lists(_EMAILS, min_size=1, max_size=12),
    suppressed=st.lists(
        st.sampled_from(["acme.com", "sub.acme.com", "cmo@beta.io", "delta.ca", "@beta.io"]),
        max_size=3,
    ),
)
def test_output_never_contains_suppressed(
    icp: ICP, emails: list[str | None], suppressed: list[str]
) -> None:
    n = len(emails)
    contacts = pl.DataFrame(
        {
            "Email": emails,
            "Job Title": ["CEO"] * n,
            "Country": ["US"] * n,
            "Company ID": [None] * n,
        },
        schema_overrides={"Email": pl.String, "Company ID": pl.String},
    )
    res = build_outreach(_accounts(), contacts, icp, suppression=suppressed, per_account=50)
    assert res.rows + sum(res.excluded.values()) == n
    sup = load_suppression(suppressed)
    for email in res.frame["email"].to_list():
        dom = email.split("@")[1]
        assert email not in sup.filter(pl.col("kind") == "email")["value"].to_list()
        for d in sup.filter(pl.col("kind") == "domain")["value"].to_list():
            assert dom != d and not dom.endswith("." + d)
