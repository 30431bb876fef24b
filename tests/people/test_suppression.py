"""Suppression suppresses what a person means: every spelling of a listed person or domain."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.cli import main
from icpkit.icp import ICP
from icpkit.people.outreach import build_outreach, load_suppression

UNICODE = {"bücher.de": "xn--bcher-kva.de", "müller.ch": "xn--mller-kva.ch"}


def _scored(domains: list[str]) -> pl.DataFrame:
    n = len(domains)
    return pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "domain": domains,
            "tier": ["A"] * n,
            "disqualified": [False] * n,
            "segment": ["s1"] * n,
            "fit_score": [90.0] * n,
            "priority": [40.0] * n,
            "rank": list(range(1, n + 1)),
        }
    )


def _contacts(emails: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"Email": emails, "Job Title": ["CEO"] * len(emails), "Country": ["US"] * len(emails)}
    )


@st.composite
def person_and_entry(draw: st.DrawFn) -> tuple[str, str, str]:
    """A contact email, its account domain, and a list entry that means the same person/domain."""
    local = draw(st.sampled_from(["bob", "ann.lee", "j_doe"]))
    base = draw(st.sampled_from(["acme.com", "bücher.de", "müller.ch", "beta.co.uk"]))
    depth = draw(st.integers(0, 11))  # subdomains deeper than 8 labels too
    sub = ".".join(f"s{i}" for i in range(depth))
    host = f"{sub}.{base}" if sub else base
    tag = draw(st.sampled_from(["", "+news", "+a.b"]))
    contact = f"{local}{tag}@{host}"
    ascii_base = UNICODE.get(base, base)
    form = draw(st.sampled_from(["email", "email+tag", "domain", "wild", "at", "dot", "url"]))
    dom = draw(st.sampled_from([base, ascii_base]))
    hostlist = f"{sub}.{dom}" if sub else dom
    entry = {
        "email": f"{local}@{hostlist}",
        "email+tag": f"{local}+other@{hostlist}",  # plus-addressing the other way round
        "domain": dom,
        "wild": f"*.{dom}",
        "at": f"@{dom}",
        "dot": f"{dom}.",
        "url": f"https://www.{dom}/about",
    }[form]
    if draw(st.booleans()):
        entry = f"  {entry.upper()} "
    return contact, base, entry


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(person_and_entry(), min_size=1, max_size=6))
def test_no_suppressed_person_is_ever_exported(cases: list[tuple[str, str, str]]) -> None:
    icp = ICP()
    contacts = [c for c, _, _ in cases] + ["keep@other.org"]
    accounts = sorted({b for _, b, _ in cases} | {"other.org"})
    res = build_outreach(
        _scored(accounts),
        _contacts(contacts),
        icp,
        suppression=[e for _, _, e in cases],
        per_account=50,
    )
    exported = set(res.frame["email"].to_list())
    for contact, _, entry in cases:
        assert contact.lower() not in exported, (contact, entry)
    assert "keep@other.org" in exported  # suppression does not overreach
    assert res.rows + sum(res.excluded.values()) == res.contacts_in


def test_plus_addressing_does_not_reach_other_people() -> None:
    res = build_outreach(
        _scored(["acme.com"]),
        _contacts(["bob+x@acme.com", "bobby@acme.com", "bob@acme.co"]),
        ICP(),
        suppression=["bob@acme.com"],
    )
    assert sorted(res.frame["email"].to_list()) == ["bobby@acme.com"]


def test_invalid_entries_are_listed_by_line(tmp_path: Path) -> None:
    p = tmp_path / "sup.csv"
    p.write_text("email,reason\nbob@acme.com,opt-out\nnot an entry,\nann@acme.com,\nfoo@@bar,\n")
    sup = load_suppression(p)
    assert sup.filter(pl.col("kind") == "invalid")["row"].to_list() == [2, 4]
    res = build_outreach(_scored(["acme.com"]), _contacts(["x@acme.com"]), ICP(), suppression=p)
    (warning,) = [w for w in res.warnings if "suppression" in w]
    assert "line 3" in warning and "line 5" in warning and "not an entry" in warning


def test_every_email_and_domain_column_is_used(tmp_path: Path) -> None:
    p = tmp_path / "list.csv"
    pl.DataFrame(
        {
            "email": ["a@one.com", None, None],
            "domain": ["two.com", "three.com", "four.com"],
            "reason": ["opt-out", "customer", "competitor"],
        }
    ).write_csv(p)
    sup = load_suppression(p)
    assert sorted(sup.filter(pl.col("kind") == "domain")["value"].to_list()) == [
        "four.com",
        "three.com",
        "two.com",
    ]
    assert sup.filter(pl.col("kind") == "email")["value"].to_list() == ["a@one.com"]
    # Unnamed columns are used when their values look like emails or domains.
    q = tmp_path / "plain.csv"
    pl.DataFrame({"who": ["x@five.com"], "site": ["six.com"], "note": ["hello there"]}).write_csv(q)
    assert sorted(load_suppression(q)["value"].to_list()) == ["six.com", "x@five.com"]


def test_export_cli_uses_the_domain_column_and_prints_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    domains = ["one.com", "two.com", "three.com", "four.com"]
    _scored(domains).write_parquet(tmp_path / "scored.parquet")
    emails = [f"p{i}@{d}" for d in domains for i in range(3)]
    _contacts(emails).write_csv(tmp_path / "contacts.csv")
    pl.DataFrame(
        {"email": ["p0@four.com", None, None], "domain": ["one.com", "two.com", "three.com"]}
    ).write_csv(tmp_path / "list.csv")
    ICP().save(tmp_path / "icp.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(
        sys,
        "argv",
        [
            *("icp", "export", "scored.parquet", "--contacts", "contacts.csv", "--icp"),
            *("icp.yaml", "-o", "out.csv", "--suppress", "list.csv", "--per-account", "5"),
        ],
    )
    main()
    out = capsys.readouterr().out
    exported = pl.read_csv(tmp_path / "out.csv")["email"].to_list()
    assert sorted(exported) == ["p1@four.com", "p2@four.com"]
    assert "read 1 emails and 3 domains" in out
    assert "from 12 contacts in contacts.csv" in out
