"""Calibration: a planted change is found, the same distribution yields no change, bad input fails."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.columns.parsing import normalize_domain
from icpkit.errors import IcpFileError, InputError, OutcomeError, OutputExistsError
from icpkit.evidence import wilson
from icpkit.icp import ICP
from icpkit.living.cohort import load_cohort
from icpkit.living.proposal import apply, propose, review_file, write_revision
from icpkit.living.review import review_cohort
from tests.living.conftest import drift_cohort, null_cohort


@pytest.fixture(scope="module")
def drift(fitted_icp: ICP):  # type: ignore[no-untyped-def]
    df = drift_cohort(201)
    co = load_cohort(fitted_icp, df)
    rep = review_cohort(fitted_icp, co, cohort="drift")
    return df, co, rep, propose(fitted_icp, rep, cohort=co)


def _segment_with(icp: ICP, column: str):  # type: ignore[no-untyped-def]
    return next(s for s in icp.segments if any(c.column == column for c in s.must))


def test_planted_change_drop_first_add_second(fitted_icp: ICP, drift) -> None:  # type: ignore[no-untyped-def]
    _, _, rep, prop = drift
    seg_a = _segment_with(fitted_icp, "industry")
    drops = [c for c in prop.changes if c.action == "drop"]
    dropped_cols = {c.before.column for c in drops if c.before is not None and c.where == seg_a.id}
    assert {"industry", "employees"} <= dropped_cols
    assert any(c.role == "segment" and c.where == seg_a.id for c in drops)
    adds = [c for c in prop.changes if c.action == "add"]
    assert any(
        c.after is not None and c.after.column == "country" and c.after.in_ == ("germany",)
        for c in adds
    )
    # The segment that still predicts is kept, and so is the anti-signal.
    seg_b = _segment_with(fitted_icp, "tech_stack")
    assert not any(c.where == seg_b.id and c.action == "drop" for c in prop.changes)
    assert not any(c.where == "disqualifiers" for c in prop.changes)
    # The report says so too: segment A's criteria did not discriminate.
    nd = {r.criterion.column for r in rep.not_discriminating}
    assert {"industry", "employees"} <= nd
    assert rep.ignored[0].criterion.column == "country"


def test_apply_bumps_version_and_logs_every_change(fitted_icp: ICP, drift) -> None:  # type: ignore[no-untyped-def]
    _, _, _, prop = drift
    new = apply(fitted_icp, prop, cohort="Q2 deals", today=date(2026, 6, 1))
    assert new.version == fitted_icp.version + 1
    assert not any(c.column == "industry" for s in new.segments for c in s.must)
    assert any(c.column == "country" for s in new.segments for c in s.must)
    entry = new.changelog[-1]
    assert entry.version == new.version and entry.cohort == "Q2 deals"
    assert entry.date == date(2026, 6, 1)
    assert len(entry.changes) == len(prop.changes)
    assert any("industry is fintech or saas" in c for c in entry.changes)
    assert new.review_by == date(2027, 6, 1)
    # The result is a valid ICP file that round-trips.
    text = new.to_yaml()
    assert ICP.from_yaml(text).to_yaml() == text


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_same_distribution_proposes_nothing(fitted_icp: ICP, seed: int) -> None:
    df = null_cohort(seed)
    co = load_cohort(fitted_icp, df)
    rep = review_cohort(fitted_icp, co, cohort=f"null-{seed}")
    prop = propose(fitted_icp, rep, cohort=co)
    assert prop.changes == [], [c.describe() for c in prop.changes]
    assert co.undecided > 0 and rep.accounts == co.n
    assert rep.tiers_ordered
    # Every must-have still discriminates on a fresh sample of the same world.
    assert all(r.discriminates for r in rep.criteria if r.role == "must")


def test_report_figures_match_hand_counts(fitted_icp: ICP, drift) -> None:  # type: ignore[no-untyped-def]
    _, co, rep, _ = drift
    won = co.won
    assert rep.won == int(won.sum()) and rep.accounts == len(won)
    tier_a = next(t for t in rep.tiers if t.name == "A")
    mask = co.tier == "A"
    assert tier_a.accounts == int(mask.sum())
    assert tier_a.win_rate == pytest.approx(won[mask].mean())
    assert tier_a.low <= tier_a.win_rate <= tier_a.high
    r = next(r for r in rep.criteria if r.criterion.column == "industry")
    met = (
        co.frame.select(pl.col("industry").is_in(["fintech", "saas"]).fill_null(False))
        .to_series()
        .to_numpy()
    )
    assert r.accounts == int(met.sum())
    assert r.win_rate == pytest.approx(won[met].mean())
    assert r.fit_odds_ratio == r.criterion.evidence.odds_ratio  # type: ignore[union-attr]
    assert sum(b.accounts for b in rep.calibration) == rep.accounts


def test_outcomes_joined_to_accounts_by_domain(tmp_path: Path, icp_file: Path) -> None:
    df = drift_cohort(202, n=1500)
    # Outcomes carry only a messy domain and the result; the attributes come from the accounts.
    clean = normalize_domain(pl.col("Company Domain Name"))
    outcomes = df.select(
        ("https://www." + clean.str.to_uppercase() + "/about").alias("Website"),
        pl.col("Won").replace({"won": "Closed Won", "lost": "Closed Lost"}).alias("Deal Stage"),
    )
    outcomes.write_csv(tmp_path / "deals.csv")
    df.drop("Won").write_parquet(tmp_path / "accounts.parquet")
    run = review_file(icp_file, tmp_path / "deals.csv", accounts_path=tmp_path / "accounts.parquet")
    has_domain = df.select(clean.is_not_null()).to_series()
    assert run.report.accounts == int(has_domain.sum()) > 0.9 * df.height
    assert run.report.won == int((df.filter(has_domain)["Won"] == "won").sum())
    assert any("matched no account" in n for n in run.report.notes)


def test_write_revision_keeps_previous_version(tmp_path: Path, fitted_icp: ICP, drift) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "icp.yaml"
    fitted_icp.save(target)
    before = target.read_text()
    new = apply(fitted_icp, drift[3], cohort="c", today=date(2026, 6, 1))
    paths = write_revision(fitted_icp, new, target)
    assert (tmp_path / "icp.v1.yaml").read_text() == before
    assert ICP.load(target).version == 2
    assert [p.name for p in paths] == ["icp.v1.yaml", "icp.yaml"]
    # A different file already holding v1 is never overwritten silently.
    target.write_text(before)
    (tmp_path / "icp.v1.yaml").write_text(before + "# edited\n")
    with pytest.raises(OutputExistsError):
        write_revision(fitted_icp, new, target)


# -- bad input ---------------------------------------------------------------------------------


def test_outcomes_matching_no_account(tmp_path: Path, icp_file: Path) -> None:
    df = drift_cohort(203, n=300)
    pl.DataFrame({"Record ID": ["nope-1", "nope-2"], "Won": ["won", "lost"]}).write_csv(
        tmp_path / "o.csv"
    )
    df.drop("Won").write_csv(tmp_path / "a.csv")
    with pytest.raises(InputError, match="none of the 2 outcomes matches an account"):
        review_file(icp_file, tmp_path / "o.csv", accounts_path=tmp_path / "a.csv")


def test_outcomes_without_attributes_need_accounts(tmp_path: Path, icp_file: Path) -> None:
    pl.DataFrame({"Record ID": ["1", "2"], "Won": ["won", "lost"]}).write_csv(tmp_path / "o.csv")
    with pytest.raises(InputError, match="--accounts"):
        review_file(icp_file, tmp_path / "o.csv")


def test_outcomes_without_won_lost_column(tmp_path: Path, icp_file: Path) -> None:
    df = drift_cohort(204, n=300).drop("Won")
    df.write_csv(tmp_path / "o.csv")
    with pytest.raises(OutcomeError, match="no won/lost column") as e:
        review_file(icp_file, tmp_path / "o.csv")
    assert e.value.file is not None and e.value.file.endswith("o.csv")


def test_won_column_with_no_usable_values(tmp_path: Path, icp_file: Path) -> None:
    df = drift_cohort(205, n=300).with_columns(pl.lit("maybe").alias("Won"))
    df.write_csv(tmp_path / "o.csv")
    with pytest.raises(OutcomeError, match="no row says won or lost"):
        review_file(icp_file, tmp_path / "o.csv")


def test_icp_from_a_newer_format(tmp_path: Path, icp_file: Path) -> None:
    newer = tmp_path / "icp.yaml"
    newer.write_text(icp_file.read_text().replace("format: 1", "format: 2", 1))
    drift_cohort(206, n=200).write_csv(tmp_path / "o.csv")
    with pytest.raises(IcpFileError, match="newer than this icpkit understands") as e:
        review_file(newer, tmp_path / "o.csv")
    assert e.value.line == 4


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), frac=st.floats(0, 1))
def test_wilson_interval_holds_the_rate(n: int, frac: float) -> None:
    k = round(frac * n)
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n + 1e-12 <= hi + 2e-12 <= 1.0 + 2e-12
