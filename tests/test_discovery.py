"""Discovery recovers what was planted, and finds nothing where nothing was planted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.criteria import Operator
from icpkit.discovery.profile import discover
from icpkit.io import read_table, write_table
from icpkit.outcomes import label_outcomes
from icpkit.sample.customers import TECH_CATEGORIES, generate_customers

CATEGORY_MAP = {k.lower(): [v] for k, v in TECH_CATEGORIES.items()}


def _discover_csv(path: Path):
    raw = read_table(path)
    schema = infer_schema(raw, file=str(path))
    prepared = prepare(raw, schema, file=str(path))
    outcomes = label_outcomes(prepared.frame, prepared.schema)
    return discover(prepared.frame, prepared.schema, outcomes, category_map=CATEGORY_MAP)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    data = generate_customers(6000, seed=7)
    path = tmp_path_factory.mktemp("planted") / "customers.csv"
    write_table(data.customers, path)
    return data.truth, _discover_csv(path)


def test_recovers_saas_fintech_midmarket_segment(planted):
    truth, found = planted
    want = truth.segments[0]
    industry = next(c for c in want.criteria if c.column == "industry")
    size = next(c for c in want.criteria if c.column == "employees")
    matches = []
    for seg in found.icp.segments:
        cols = {c.column: c for c in seg.must}
        if set(cols) == {"industry", "employees"}:
            matches.append(cols)
    assert len(matches) == 1, [s.name for s in found.icp.segments]
    cols = matches[0]
    assert set(cols["industry"].in_ or ()) == set(industry.values)
    lo, hi = cols["employees"].between or (None, None)
    # Numeric edges within tolerance of the planted 200–1,000.
    assert lo is not None and abs(lo - size.low) / size.low <= 0.25
    assert hi is not None and abs(hi - size.high) / size.high <= 0.25


def test_recovers_shopify_plus_without_live_chat_segment(planted):
    _, found = planted
    hits = [
        s
        for s in found.icp.segments
        if any(c.has_any == ("shopify plus",) for c in s.must)
        and any(c.operator is Operator.HAS_NONE and c.category == "live chat" for c in s.must)
    ]
    assert len(hits) == 1, [s.name for s in found.icp.segments]
    assert len(hits[0].must) == 2


def test_recovers_the_anti_signal_and_nothing_spurious(planted):
    truth, found = planted
    disq = found.icp.disqualifiers
    assert [(c.column, c.in_) for c in disq] == [("deployment", truth.anti_signal.values)]
    assert disq[0].evidence is not None and disq[0].evidence.worst_share > 0.2
    assert disq[0].weight is None  # a rule, not points: disqualifiers win over any score


def test_planted_booster_becomes_a_timing_signal(planted):
    _, found = planted
    timing = found.icp.scoring.timing
    assert any(c.column == "last_funding_date" and c.within_days == 180 for c in timing), timing


def test_no_more_segments_than_planted_plus_one(planted):
    _, found = planted
    assert 2 <= len(found.icp.segments) <= 3
    for seg in found.icp.segments:
        assert seg.evidence is not None and seg.evidence.lift >= 1.5


def test_evidence_is_attached_to_every_criterion(planted):
    _, found = planted
    for seg in found.icp.segments:
        for c in seg.must + seg.nice:
            assert c.evidence is not None
            assert 0 <= c.evidence.best_share <= 1
            assert c.evidence.ci_low <= c.evidence.odds_ratio <= c.evidence.ci_high
            assert c.weight is not None and c.weight >= 0


def test_must_haves_say_what_they_add_to_the_other_must_haves(planted, tmp_path):
    # Counted here with polars from each criterion's own expression, not by discovery's masks.
    import polars as pl

    data = generate_customers(6000, seed=7)
    path = tmp_path / "customers.csv"
    write_table(data.customers, path)
    raw = read_table(path)
    schema = infer_schema(raw, file=str(path))
    prepared = prepare(raw, schema, file=str(path))
    best = label_outcomes(prepared.frame, prepared.schema).best
    frame = prepared.frame.with_columns(pl.Series("__best", best))
    _, found = planted
    checked = 0
    for seg in found.icp.segments:
        if len(seg.must) < 2:
            assert all(c.evidence.given_others is None for c in seg.must)
            continue
        for i, c in enumerate(seg.must):
            others = pl.all_horizontal(
                [m.expr().fill_null(False) for j, m in enumerate(seg.must) if j != i]
            )
            me = c.expr().fill_null(False)
            counts = frame.select(
                aw=(others & me).sum(),
                bw=(others & me & pl.col("__best")).sum(),
                awo=(others & ~me).sum(),
                bwo=(others & ~me & pl.col("__best")).sum(),
            ).row(0)
            g = c.evidence.given_others
            assert (g.accounts_with, g.best_with, g.accounts_without, g.best_without) == counts
            # Every must-have of a planted segment earns its place among the others.
            assert g.rate_with > g.rate_without, (seg.name, c.describe())
            checked += 1
    assert checked >= 2


def test_scores_rank_best_customers_first(planted):
    _, found = planted
    cal = found.icp.scoring.calibration
    assert len(cal) >= 3
    assert cal[-1].observed > 3 * cal[0].observed
    # Calibrated: predicted and observed shares agree in every band within 10 points.
    assert all(abs(r.predicted - r.observed) < 0.10 for r in cal)


@pytest.mark.parametrize("seed", [7, 2024])
def test_finds_nothing_when_outcomes_are_shuffled(tmp_path, seed):
    data = generate_customers(6000, seed=seed, shuffle_outcomes=True)
    path = tmp_path / "shuffled.csv"
    write_table(data.customers, path)
    found = _discover_csv(path)
    assert found.icp.segments == []
    assert found.icp.disqualifiers == []
    assert found.icp.scoring.timing == []
    q = found.evidence_table.get_column("q_value").to_numpy()
    assert np.nanmin(q) > 0.05
    assert any("no segment passed" in w for w in found.warnings)


def test_time_split_validation_reports_out_of_time_figures(tmp_path):
    from datetime import date

    from icpkit.pipeline import discover_file

    data = generate_customers(5000, seed=11)
    path = tmp_path / "c.parquet"
    write_table(data.customers, path)
    run = discover_file(path, category_map=CATEGORY_MAP, folds=0, holdout_after=date(2025, 1, 1))
    v = run.validation
    assert v is not None and v.time_split is not None and v.time_split_baseline is not None
    assert v.time_split.accounts < 5000
    assert v.time_split.auc is not None and v.time_split.auc > 0.7
    # Selected accounts are far richer in best customers than the base.
    assert v.time_split.precision > 2 * v.time_split.base_rate


def test_scoring_engine_agrees_with_the_learner(planted, tmp_path):
    """The discovered ICP scores the same in the production engine as during validation."""
    from icpkit.discovery.validation import predict
    from icpkit.scoring import score

    _, found = planted
    data = generate_customers(3000, seed=99)
    path = tmp_path / "c.csv"
    write_table(data.customers, path)
    raw = read_table(path)
    prepared = prepare(raw, infer_schema(raw)).frame
    mine = predict(found.icp, prepared)
    theirs = score(prepared, found.icp, reasons="none")
    np.testing.assert_allclose(theirs.get_column("fit_score").to_numpy(), mine.fit_score, atol=0.1)
    assert (theirs.get_column("tier").to_numpy() == mine.tier).all()
    assert (theirs.get_column("disqualified").to_numpy() == mine.disqualified).all()


def test_enriched_tech_columns_feed_discovery_directly(tmp_path):
    """The columns `icp enrich` writes (a `tech` list, `has_<category>` flags) need no config."""
    import polars as pl

    from icpkit.pipeline import discover_file

    data = generate_customers(5000, seed=5).customers
    tech = pl.col("Tech Stack").str.split(";").list.eval(pl.element().str.strip_chars())
    chat = [k.lower() for k, v in TECH_CATEGORIES.items() if v == "live chat"]
    enriched = data.with_columns(
        tech.alias("tech"),
        tech.list.eval(pl.element().str.to_lowercase().is_in(chat))
        .list.any()
        .alias("has_live_chat"),
    ).drop("Tech Stack")
    path = tmp_path / "enriched.parquet"
    enriched.write_parquet(path)
    run = discover_file(path, category_map=CATEGORY_MAP, folds=0, baseline=False)
    layers = {c.column: c.layer for s in run.icp.segments for c in s.must}
    assert layers.get("tech") == "technographic", layers
    assert run.schema.get("has_live_chat").layer == "technographic"


# --------------------------------------------------------------------------------------------
# word rules for timing signals and disqualifiers (issue 10, point 6)


def _trait_set(frame, crits, kinds):
    from icpkit.discovery.traits import evaluate

    return evaluate(frame, crits, kinds=kinds)


def test_timing_signals_are_recent_dated_events_met_by_a_minority():
    import polars as pl

    from icpkit.criteria import Criterion
    from icpkit.discovery.config import SearchConfig
    from icpkit.discovery.timing import find_timing
    from icpkit.evidence import trait_stats

    rng = np.random.default_rng(0)
    n = 3000
    age = rng.integers(0, 720, n)  # days since the last funding round
    common = rng.random(n) < 0.9  # an "event" nearly everybody had recently
    money = rng.lognormal(15, 1, n)
    signal = (age <= 180).astype(float) + (money > np.exp(15.5)) + common * 0.8
    best = rng.random(n) < 1 / (1 + np.exp(-(signal * 1.2 - 2)))
    worst = ~best & (rng.random(n) < 0.5)
    frame = pl.DataFrame(
        {"age": age, "event_age": np.where(common, 10, 400), "funding_total": money}
    ).select(
        pl.lit(date(2025, 6, 1)).alias("close_date"),
        (pl.lit(date(2025, 6, 1)) - pl.duration(days=pl.col("age"))).alias("last_funding_date"),
        (pl.lit(date(2025, 6, 1)) - pl.duration(days=pl.col("event_age"))).alias("last_event_date"),
        pl.col("funding_total"),
    )
    crits = [
        Criterion(
            column="last_funding_date", within_days=180, before="close_date", layer="behavioural"
        ),
        Criterion(
            column="last_event_date", within_days=90, before="close_date", layer="behavioural"
        ),
        Criterion(column="funding_total", between=(float(np.exp(15.5)), None), layer="behavioural"),
    ]
    ts = _trait_set(frame, crits, ["recent", "recent", "ge"])
    st = trait_stats(ts.has, ts.known, best, worst)
    # All three separate best from worst on their own; only the first is a timing signal.
    assert (st.p_value < 1e-6).all(), st.p_value
    cfg = SearchConfig()
    got = find_timing(ts, st, best, worst, [], cfg, np.random.default_rng(1))
    assert [c.column for c in got] == ["last_funding_date"]
    ev = got[0].evidence
    assert ev is not None and ev.adjustment and ev.raw_p_value is not None
    assert ev.p_value >= ev.raw_p_value
    # A column that disqualifies is never also a trigger.
    disq = [Criterion(column="last_funding_date", within_days=365, before="close_date")]
    assert find_timing(ts, st, best, worst, disq, cfg, np.random.default_rng(1)) == []


def test_overlapping_disqualifiers_on_one_column_are_merged():
    import polars as pl

    from icpkit.criteria import Criterion
    from icpkit.discovery.disqualifiers import _merge_disqualifiers
    from icpkit.evidence import trait_stats

    rng = np.random.default_rng(3)
    n = 2000
    frame = pl.DataFrame(
        {
            "funding": rng.lognormal(13, 1.5, n),
            "region": rng.choice(["a", "b", "c"], n),
        }
    )
    best = rng.random(n) < 0.3
    worst = ~best
    small = Criterion(column="funding", between=(None, 150_000.0))
    smallish = Criterion(column="funding", between=(None, 500_000.0))
    high = Criterion(column="funding", between=(5_000_000.0, None))
    region = Criterion(column="region", in_=("a",))
    st = trait_stats(np.zeros((n, 1), bool), np.ones((n, 1), bool), best, worst)
    merged = _merge_disqualifiers(frame, [small, region, smallish, high], best, worst, st)
    bands = [c.between for c in merged if c.column == "funding"]
    # "< 150K" and "< 500K" are one disqualifier, "< 500K"; the disjoint "≥ 5M" stays apart.
    assert sorted(bands, key=str) == sorted([(None, 500_000.0), (5_000_000.0, None)], key=str)
    assert [c.in_ for c in merged if c.column == "region"] == [("a",)]
    # The merged criterion's evidence describes the merged band.
    m = next(c for c in merged if c.between == (None, 500_000.0))
    assert m.evidence is not None
    assert m.evidence.n == int((frame.get_column("funding") < 500_000).sum())


def test_the_same_data_gives_the_same_icp_file(tmp_path):
    """Discovery is deterministic: the scorecard's solver and the shuffles are seeded."""
    data = generate_customers(1500, seed=11)
    path = tmp_path / "customers.csv"
    write_table(data.customers, path)
    first, second = _discover_csv(path), _discover_csv(path)
    assert first.icp.scoring.points, "the planted base should give a scorecard"
    assert first.icp.to_yaml() == second.icp.to_yaml()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 300),
    k=st.integers(1, 40),
    density=st.floats(0.02, 0.6),
    share=st.floats(0.1, 0.6),
    log_c=st.floats(-3.0, 2.0),
    seed=st.integers(0, 2**31),
)
def test_scorecard_solver_gives_the_estimators_coefficients_bit_for_bit(
    n: int, k: int, density: float, share: float, log_c: float, seed: int
) -> None:
    """The direct liblinear call behind the penalty path changes speed, never a point."""
    from scipy import sparse

    from icpkit.discovery.scorecard import _fit_l1, _fit_l1_sklearn, _liblinear

    assert _liblinear().train is not None, "the fast path's self-check failed"
    rng = np.random.default_rng(seed)
    X = sparse.csr_matrix((rng.random((n, k)) < density).astype(np.float64))
    y = (rng.random(n) < share).astype(np.int64)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    fast, slow = _fit_l1(X, y, 10.0**log_c), _fit_l1_sklearn(X, y, 10.0**log_c)
    assert np.array_equal(fast[0], slow[0]) and fast[1] == slow[1]
