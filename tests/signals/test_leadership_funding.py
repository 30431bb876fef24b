"""Leadership changes from contacts snapshots; funding rounds matched by domain or name (on the
real 2013 Crunchbase export)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from icpkit.errors import InputError
from icpkit.io import read_table
from icpkit.signals.export import signal_columns
from icpkit.signals.funding import import_rounds, match_rounds, name_expr
from icpkit.signals.leadership import import_contacts, new_leaders
from icpkit.signals.store import SignalsStore
from tests.helpers import shared_file

D1, D2 = date(2026, 6, 1), date(2026, 9, 1)


def _snapshot(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    pl.DataFrame(
        rows, schema=["Email", "First Name", "Title", "Company Website"], orient="row"
    ).write_csv(path)
    return path


@pytest.fixture
def snapshots(tmp_path: Path) -> tuple[Path, Path]:
    first = _snapshot(
        tmp_path / "contacts_june.csv",
        [
            ("alice@acme.com", "Alice", "Chief Marketing Officer", "https://www.acme.com"),
            ("bob@acme.com", "Bob", "Sales Manager", "acme.com"),
            ("carl@beta.io", "Carl", "VP Engineering", "beta.io"),
        ],
    )
    second = _snapshot(
        tmp_path / "contacts_sept.csv",
        [
            ("dana@acme.com", "Dana", "CMO", "acme.com"),  # the new CMO replaces Alice
            ("bob@acme.com", "Bob", "Sales Manager", "acme.com"),
            ("carl@beta.io", "Carl", "VP Engineering", "beta.io"),
            ("erin@beta.io", "Erin", "Director, Demand Generation", "beta.io"),
            ("finn@gamma.org", "Finn", "VP Marketing", "gamma.org"),  # first seen: unknown
        ],
    )
    return first, second


def test_new_leaders_are_found_with_the_snapshot_date(tmp_path: Path, snapshots) -> None:
    first, second = snapshots
    with SignalsStore(tmp_path / "s.duckdb") as store:
        import_contacts(store, first, D1)
        import_contacts(store, second, D2)
        found = new_leaders(store, date(2026, 12, 1))
        cols = {r["domain"]: r for r in signal_columns(store, date(2026, 12, 1)).to_dicts()}
        late = {r["domain"]: r for r in signal_columns(store, date(2027, 6, 1)).to_dicts()}
        texts = [
            str(v)
            for table in ("leaders", "visits", "meta")
            for row in store.frame(f"SELECT * FROM {table}").rows()
            for v in row
        ]
    assert found.select("account", "arrived_on", "department", "seniority").rows() == [
        ("acme.com", D2, "marketing", "c-level/owner"),
        ("beta.io", D2, "marketing", "head/director"),
    ]
    assert cols["acme.com"]["new_marketing_leader_180d"] is True
    assert cols["beta.io"]["new_marketing_leader_180d"] is True
    assert cols["gamma.org"]["new_marketing_leader_180d"] is None  # one snapshot: unknown
    assert cols["acme.com"]["leadership_change_date"] == D2
    assert late["acme.com"]["new_marketing_leader_180d"] is False  # D2 is > 180 days before
    # no names or e-mail addresses in the store; managers are not kept at all
    words = set(" ".join(texts).lower().split())
    assert not words & {"alice", "dana", "erin", "bob", "finn", "manager"}
    assert not any("@" in w for w in words)


def test_snapshot_with_different_columns_is_refused_in_one_line(tmp_path: Path, snapshots) -> None:
    first, _ = snapshots
    other = tmp_path / "contacts_oct.csv"
    pl.DataFrame({"contact_id": ["c1"], "title": ["CMO"], "domain": ["acme.com"]}).write_csv(other)
    with SignalsStore(tmp_path / "s.duckdb") as store:
        import_contacts(store, first, D1)
        before = store.counts()
        with pytest.raises(InputError) as err:
            import_contacts(store, other, D2)
        assert store.counts() == before  # nothing of the refused snapshot was stored
    message = str(err.value)
    assert "\n" not in message and "contacts_oct.csv" in message
    assert "different columns" in message and "'Email'" in message and "'contact_id'" in message


def test_rounds_match_by_domain_first_then_unambiguous_name() -> None:
    rounds = pl.DataFrame(
        {
            "company": ["Acme, Inc.", "Beta GmbH", "Twin", "Delta"],
            "website": [None, "https://beta.io/about", None, None],
            "announced_on": ["2026-03-01", "2026-05-05", "2026-01-01", "not a date"],
            "round_type": ["Series A", "seed", "series-b", "series-c"],
            "amount": ["5,000,000", "750000", "", "1"],
        }
    )
    accounts = pl.DataFrame(
        {
            "website": ["acme.com", "beta.io", "twin-a.com", "twin-b.com", "delta.com"],
            "name": ["ACME", "Beta Labs", "Twin", "Twin Inc", "Delta"],
        }
    )
    matched, report = match_rounds(rounds, accounts, account_domain="website", account_name="name")
    assert matched.select("account", "round_type", "amount").rows() == [
        ("acme.com", "series a", 5_000_000.0),
        ("beta.io", "seed", 750_000.0),
    ]
    assert (report.rounds, report.by_domain, report.by_name) == (3, 1, 1)
    assert report.ambiguous_names == 1 and report.unmatched == 1


def test_crunchbase_rounds_give_each_companys_last_funding_date(tmp_path: Path) -> None:
    rounds_path = shared_file("data", "crunchbase-2013", "crunchbase-rounds.csv")
    companies = read_table(shared_file("data", "crunchbase-2013", "crunchbase-companies.csv"))
    with SignalsStore(tmp_path / "s.duckdb") as store:
        report = import_rounds(
            store, rounds_path, companies.select("name"), date(2014, 1, 1), account_name="name"
        )
        out = signal_columns(store, date(2014, 1, 1))
        waywire = store.timeline("waywire")
    lines = [x for x in rounds_path.read_bytes().replace(b"\r", b"\n").split(b"\n") if x]
    assert report.rounds == len(lines) - 1  # every round has a date and a type
    assert report.by_name > 0.9 * report.rounds
    # The companies file states each company's last funding date on its own: the rounds
    # matched by name must reproduce it for (nearly) every company with an unambiguous name.
    truth = companies.select(
        name_expr(pl.col("name")).alias("domain"),
        pl.col("last_funding_at").str.to_date(strict=False).alias("want"),
    ).filter(pl.col("domain").is_unique())
    both = truth.join(out, on="domain").drop_nulls(["want", "last_funding_date"])
    agree = (both["want"] == both["last_funding_date"]).mean()
    assert both.height > 10_000 and agree > 0.97, (both.height, agree)
    assert waywire.filter(pl.col("kind") == "funding")["what"].to_list() == [
        "series a, 1750000 USD"
    ]
    assert out.filter(pl.col("domain") == "waywire")["funding_stage"].to_list() == ["series a"]
