"""Technology history: first/last seen, and changes only between looks that could see them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.signals.collect import CollectConfig, collect
from icpkit.signals.export import signal_columns
from icpkit.signals.stack import record_stack, tech_changes, tech_history
from icpkit.signals.store import SignalsStore
from icpkit.technographics.fetch import FetchConfig
from tests.signals.ats import Company, World

D1, D2, D3 = date(2026, 6, 1), date(2026, 9, 1), date(2026, 11, 20)
AS_OF = date(2026, 12, 1)
WORDPRESS = '<meta name="generator" content="WordPress 6.4.2">'
HUBSPOT = '<script src="https://js.hs-scripts.com/4711.js"></script>'
JQUERY = '<script src="https://cdn.example.net/jquery-3.7.1.min.js"></script>'


def _collect(world: World, store: SignalsStore, on: date) -> None:
    config = CollectConfig(
        observed_on=on,
        fetch=FetchConfig(allow_private=True, retries=0),
        feeds=world.feeds(),
        guess_careers=False,
    )
    collect([world.website("shop.localhost")], store, config)


def test_planted_stack_change_is_recovered_with_its_date(tmp_path: Path) -> None:
    shop = Company("shop.localhost", mode="none", tech_html=WORDPRESS + JQUERY)
    with World([shop]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        _collect(world, store, D1)
        shop.home_status = 503  # down: this look is unknown, nothing is "removed" on D2
        _collect(world, store, D2)
        shop.home_status = 200
        shop.tech_html = HUBSPOT + JQUERY  # replatformed: WordPress gone, HubSpot added
        _collect(world, store, D3)
        changes = tech_changes(store, AS_OF)
        history = tech_history(store)
        row = signal_columns(store, AS_OF).row(0, named=True)
        before_change = signal_columns(store, D3 - timedelta(days=1)).row(0, named=True)
    by_tech = {(r["technology"], r["change"]): r["changed_on"] for r in changes.to_dicts()}
    assert by_tech[("hubspot", "added")] == D3
    assert by_tech[("wordpress", "removed")] == D3
    assert set(changes["changed_on"].to_list()) == {D3}
    assert not any(t == "jquery" for t, _ in by_tech)
    jq = history.filter(pl.col("technology") == "jquery").row(0, named=True)
    assert (jq["first_seen"], jq["last_seen"], jq["looks"]) == (D1, D3, 2)
    assert "hubspot" in row["added_tech_90d"] and "wordpress" in row["removed_tech_90d"]
    assert row["stack_change_90d"] is True
    # as of the day before the change only the D1 look succeeded: nothing to compare, unknown
    assert before_change["stack_change_90d"] is None and before_change["added_tech_90d"] is None


def test_enrich_output_recorded_as_history_unknown_when_not_read(tmp_path: Path) -> None:
    stack = pl.DataFrame(
        {
            "domain": ["a.com", "b.com"],
            "tech": [["wordpress", "php"], None],
            "fetch_error": [None, "timeout"],
        },
        schema={"domain": pl.String, "tech": pl.List(pl.String), "fetch_error": pl.String},
    )
    later = pl.DataFrame(
        {"domain": ["a.com", "b.com"], "tech": [["php"], ["shopify"]], "fetch_error": [None, None]},
        schema={"domain": pl.String, "tech": pl.List(pl.String), "fetch_error": pl.String},
    )
    with SignalsStore(tmp_path / "s.duckdb") as store:
        record_stack(store, stack, D2)
        record_stack(store, later, D3)
        changes = tech_changes(store, AS_OF)
        visits = store.frame("SELECT account, observed_on, ok, detail FROM visits ORDER BY 1, 2")
    assert changes.select("account", "technology", "change").rows() == [
        ("a.com", "wordpress", "removed")
    ]
    assert visits.filter(pl.col("account") == "b.com")["ok"].to_list() == [False, True]


# A look at one technology: "P" present, "A" absent and observable, "U" its category unseen,
# "F" the page failed to load.
LOOK = st.sampled_from("PAUF")


def _reference(looks: list[str], days: list[date]) -> list[tuple[date, str]]:
    """Changes by the rule stated in the issue, written out plainly for one technology."""
    out, before = [], None
    if "P" not in looks:
        return []  # a technology never seen has no history
    for look, day in zip(looks, days, strict=True):
        if look in ("U", "F"):
            continue
        now = look == "P"
        if before is not None and now != before:
            out.append((day, "added" if now else "removed"))
        before = now
    return out


@settings(max_examples=60, deadline=None)
@given(looks=st.lists(LOOK, min_size=1, max_size=8))
def test_changes_follow_the_rule_for_any_sequence_of_looks(tmp_path_factory, looks) -> None:
    days = [date(2026, 1, 1) + timedelta(days=30 * i) for i in range(len(looks))]
    visits, tech = [], []
    for look, day in zip(looks, days, strict=True):
        visits.append(
            {
                "account": "x.com",
                "observed_on": day,
                "source": "stack",
                "ok": look != "F",
                "detail": "timeout" if look == "F" else None,
                "unseen": ["Live chat"] if look == "U" else ["Webmail"],
            }
        )
        if look == "P":
            tech.append(
                {"account": "x.com", "observed_on": day, "technology": "intercom",
                 "category": "Live chat"}
            )  # fmt: skip
    path = tmp_path_factory.mktemp("stack") / "s.duckdb"
    with SignalsStore(path) as store:
        store.append(
            {
                "visits": pl.DataFrame(visits),
                "tech": pl.DataFrame(
                    tech,
                    schema={
                        "account": pl.String,
                        "observed_on": pl.Date,
                        "technology": pl.String,
                        "category": pl.String,
                    },
                ),
            }
        )
        got = tech_changes(store, date(2030, 1, 1))
    assert [(r["changed_on"], r["change"]) for r in got.to_dicts()] == _reference(looks, days)


def test_icp_enrich_adds_its_run_to_the_technology_history(tmp_path: Path) -> None:
    import subprocess
    import sys

    shop = Company("shop.localhost", mode="none", tech_html=WORDPRESS + JQUERY)
    down = Company("down.localhost", mode="none", home_status=503)
    with World([shop, down]) as world:
        accounts = tmp_path / "accounts.csv"
        pl.DataFrame(
            {"website": [world.website("shop.localhost"), world.website("down.localhost")]}
        ).write_csv(accounts)
        store = tmp_path / "s.duckdb"
        code = "import sys; from icpkit.cli import main; sys.argv[0] = 'icp'; main()"
        done = subprocess.run(
            [sys.executable, "-c", code, "enrich", str(accounts), "-o", str(tmp_path / "o.parquet"),
             "--allow-private", "--no-cache", "--signals-store", str(store)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "technology history:" in done.stdout
    with SignalsStore(store) as history:
        tech = history.frame("SELECT account, technology, category FROM tech ORDER BY 2")
        looks = dict(history.frame("SELECT account, ok FROM visits WHERE source = 'stack'").rows())
    assert looks == {"shop.localhost": True, "down.localhost": False}
    rows = {r["technology"]: r["category"] for r in tech.to_dicts()}
    assert rows["wordpress"] == "CMS" and rows["jquery"] == "JavaScript libraries"


def test_stack_only_collection_marks_its_own_looks(tmp_path: Path) -> None:
    shop = Company("shop.localhost", tech_html=WORDPRESS, jobs=[])
    with World([shop]) as world, SignalsStore(tmp_path / "s.duckdb") as store:
        config = CollectConfig(
            observed_on=D3,
            fetch=FetchConfig(allow_private=True, retries=0),
            feeds=world.feeds(),
            hiring=False,
        )
        first = collect([world.website("shop.localhost")], store, config)
        again = collect([world.website("shop.localhost")], store, config)
        sources = store.frame("SELECT DISTINCT source FROM visits")["source"].to_list()
        feed_hits = sum(n for (host, _), n in world.server.hits.items() if "feeds" in host)
    assert (first.read, first.unknown, again.already_done) == (1, 0, 1)
    assert sources == ["stack"] and feed_hits == 0


TECHS = (("intercom", "Live chat"), ("wordpress", "CMS"), ("hubspot", "Marketing automation"))


@settings(max_examples=40, deadline=None)
@given(
    accounts=st.lists(
        st.tuples(
            st.lists(st.sampled_from(["ok", "ok", "fail", "blind"]), min_size=1, max_size=7),
            st.lists(st.lists(st.booleans(), min_size=7, max_size=7), min_size=3, max_size=3),
        ),
        min_size=1,
        max_size=6,
    ),
    as_of_look=st.integers(0, 7),
)
def test_export_stack_columns_equal_the_exact_rule(tmp_path_factory, accounts, as_of_look) -> None:
    """The export's counting shortcut (accounts with no blind look) and its exact path
    (accounts with one) give what the rule gives through tech_changes, window and as-of
    included, for histories with several looks in the window."""
    days = [date(2026, 1, 1) + timedelta(days=25 * i) for i in range(8)]
    as_of = days[as_of_look]
    visits, tech = [], []
    for a, (looks, present) in enumerate(accounts):
        for i, look in enumerate(looks):
            visits.append(
                {"account": f"a{a}.com", "observed_on": days[i], "source": "stack",
                 "ok": look != "fail", "detail": None,
                 "unseen": ["Live chat"] if look == "blind" else []}
            )  # fmt: skip
            for (name, category), seen in zip(TECHS, present, strict=True):
                if look != "fail" and seen[i] and not (look == "blind" and category == "Live chat"):
                    tech.append(
                        {"account": f"a{a}.com", "observed_on": days[i], "technology": name,
                         "category": category}
                    )  # fmt: skip
    schema = {"account": pl.String, "observed_on": pl.Date, "technology": pl.String,
              "category": pl.String}  # fmt: skip
    path = tmp_path_factory.mktemp("export") / "s.duckdb"
    with SignalsStore(path) as store:
        store.append({"visits": pl.DataFrame(visits), "tech": pl.DataFrame(tech, schema=schema)})
        got = signal_columns(store, as_of)
        rule = tech_changes(store, as_of)
    since = as_of - timedelta(days=90)
    for a, (looks, _) in enumerate(accounts):
        row = got.filter(pl.col("domain") == f"a{a}.com").to_dicts()
        ok_days = [days[i] for i, look in enumerate(looks) if look != "fail" and days[i] <= as_of]
        comparable = len(ok_days) >= 2 and max(ok_days) > since
        if not row:  # no look on or before as-of: the account is not in the export
            assert not ok_days and all(days[i] > as_of for i in range(len(looks)))
            continue
        changes = rule.filter((pl.col("account") == f"a{a}.com") & (pl.col("changed_on") > since))
        added = sorted(set(changes.filter(pl.col("change") == "added")["technology"]))
        removed = sorted(set(changes.filter(pl.col("change") == "removed")["technology"]))
        want = (added, removed, bool(added or removed)) if comparable else (None, None, None)
        have = (row[0]["added_tech_90d"], row[0]["removed_tech_90d"], row[0]["stack_change_90d"])
        assert have == want, (a, looks)
