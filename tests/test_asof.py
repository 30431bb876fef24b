"""Issue 10: windows measured from the data's own "now", not from today.

An export taken in mid-2014 and mined years later: "funded within 180 days" measured back from
today is met by nobody, so a real timing signal cannot be found. Discovery infers where the
export's dates end (robust to typed years), says so in one notice, measures from there and
records the date in icp.yaml; scoring warns when a file's dates end too long before the scoring
date for the ICP's windows to be met. Real files in tmp_path; dates are fixed, and "today" is
passed where a test needs it (the CLI tests use the real today, which is long after 2014).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.criteria import Criterion
from icpkit.discovery.config import SearchConfig
from icpkit.icp import ICP, Scoring, Source
from icpkit.io import read_table, write_table
from icpkit.pipeline import discover_file
from icpkit.scoring import score, score_file
from icpkit.scoring.asof import REACH_MIN, infer_as_of, latest_date, stale_dates_note

EXPORT_END = date(2014, 6, 30)  # the last day any account's dates reach in the planted export
TODAY = date(2026, 12, 5)


def _export(n: int, seed: int, *, shuffle: bool = False, end: date = EXPORT_END) -> pl.DataFrame:
    """A Crunchbase-like export ending on ``end``, with a realistic, weak timing effect.

    A quarter of the companies raised money in the 180 days before the export; they were won
    31% of the time, the others 17%. Founding dates and industry carry nothing. The first
    ten accounts' last funding falls on each of the last ten days up to ``end`` (no other date
    comes within twenty days of it), so the tenth latest account date is nine days before it.
    """
    rng = np.random.default_rng(seed)
    recent = rng.random(n) < 0.25
    ago = np.where(recent, rng.integers(20, 180, n), rng.integers(200, 3000, n))
    ago[:REACH_MIN] = np.arange(REACH_MIN)  # ten accounts funded on each of the last ten days
    recent[:REACH_MIN] = True
    won = rng.random(n) < np.where(recent, 0.31, 0.17)
    if shuffle:
        won = rng.permutation(won)
    founded_ago = ago + rng.integers(200, 4000, n)
    return pl.DataFrame(
        {
            "account_id": [f"a{i:05d}" for i in range(n)],
            "industry": rng.choice(["software", "retail", "health", "media"], n).tolist(),
            "employees": rng.integers(5, 5000, n).astype(float),
            "last_funding_at": [end - timedelta(days=int(d)) for d in ago],
            "founded_at": [end - timedelta(days=int(d)) for d in founded_ago],
            "won": np.where(won, "won", "lost").tolist(),
        }
    )


def _prepared(frame: pl.DataFrame, tmp_path: Path, name: str = "export.csv"):
    path = tmp_path / name
    write_table(frame, path)
    raw = read_table(path)
    return prepare(raw, infer_schema(raw)), path


# -- the inference ----------------------------------------------------------------------------


def test_inferred_from_dates_that_end_years_ago(tmp_path):
    p, _ = _prepared(_export(600, 1), tmp_path)
    found = infer_as_of(p.frame, p.schema, today=TODAY)
    assert found is not None
    # Ten accounts reach the last ten days: the tenth latest account date is 9 days before.
    assert found.latest == EXPORT_END - timedelta(days=REACH_MIN - 1)
    assert set(found.columns) == {"last_funding_at", "founded_at"}
    assert found.notice() == (
        f"dates in this export end {found.latest.isoformat()}; windows are measured from there "
        "(--as-of to change)"
    )


def _typed(frame: pl.DataFrame, rows: list[int], typed: date) -> pl.DataFrame:
    """``frame`` with the founding date of ``rows`` mistyped as ``typed``."""
    return (
        frame.with_row_index()
        .with_columns(
            pl.when(pl.col("index").is_in(rows))
            .then(pl.lit(typed))
            .otherwise(pl.col("founded_at"))
            .alias("founded_at")
        )
        .drop("index")
    )


def test_one_far_future_typo_does_not_move_it(tmp_path):
    typo = _typed(_export(600, 1), [500], date(2031, 5, 1))  # 2031 typed for 2013: after today
    p, _ = _prepared(typo, tmp_path)
    assert p.frame["founded_at"].max() == date(2031, 5, 1)  # the typo is in the data
    found = infer_as_of(p.frame, p.schema, today=TODAY)
    assert found is not None
    assert found.latest == EXPORT_END - timedelta(days=REACH_MIN - 1)


def test_a_few_past_typos_move_it_by_days_not_years(tmp_path):
    typos = _typed(_export(600, 1), [501, 502, 503], date(2024, 1, 1))  # before today
    p, _ = _prepared(typos, tmp_path)
    found = infer_as_of(p.frame, p.schema, today=TODAY)
    assert found is not None
    # Three accounts more reach past the tenth latest: it is now the seventh latest real date.
    assert found.latest == EXPORT_END - timedelta(days=REACH_MIN - 1 - 3)


def test_latest_date_reads_text_dates_lazily():
    lf = pl.LazyFrame({"d": [f"2014-06-{day:02d}" for day in range(1, 31)] + ["2099-01-01"]})
    assert latest_date(lf, ["d"], today=TODAY) == date(2014, 6, 30 - REACH_MIN + 1)
    assert latest_date(lf.head(REACH_MIN - 1), ["d"], today=TODAY) is None  # too few dates


def test_no_inference_with_recent_dates_or_a_purchase_date(tmp_path):
    p, _ = _prepared(_export(600, 1, end=TODAY - timedelta(days=200)), tmp_path)
    assert infer_as_of(p.frame, p.schema, today=TODAY) is None  # within a year: a live export
    with_close = _export(600, 1).with_columns(close_date=pl.col("last_funding_at"))
    p, _ = _prepared(with_close, tmp_path, "closed.csv")
    assert p.schema.reference_date == "close_date"
    assert infer_as_of(p.frame, p.schema, today=TODAY) is None


# -- discovery --------------------------------------------------------------------------------

FAST = {"folds": 0, "baseline": False, "search": SearchConfig(max_segments=1), "label": "won"}


def _timing(icp: ICP) -> list[Criterion]:
    return [c for c in icp.scoring.timing if c.column == "last_funding_at"]


def test_discovery_measures_from_the_exports_end_and_finds_the_timing_signal(tmp_path):
    _, path = _prepared(_export(2000, 5), tmp_path)
    run = discover_file(path, today=TODAY, **FAST)
    inferred = EXPORT_END - timedelta(days=REACH_MIN - 1)
    assert run.as_of == inferred
    assert run.notices == [
        f"dates in this export end {inferred.isoformat()}; windows are measured from there "
        "(--as-of to change)"
    ]
    timing = _timing(run.icp)
    assert timing and all(c.within_days is not None and c.within_days <= 365 for c in timing)
    # The file says what the windows were measured from, and is dated by the day it was fitted.
    loaded = ICP.from_yaml(run.icp.to_yaml())
    assert loaded.source is not None
    assert loaded.source.as_of == inferred and loaded.source.fitted == TODAY
    assert loaded.created == TODAY and loaded.review_by == TODAY + timedelta(days=365)


def test_shuffled_outcomes_give_no_timing_signal(tmp_path):
    _, path = _prepared(_export(2000, 5, shuffle=True), tmp_path)
    run = discover_file(path, today=TODAY, **FAST)
    assert run.as_of is not None
    assert _timing(run.icp) == []


def test_given_as_of_wins_and_says_nothing(tmp_path):
    _, path = _prepared(_export(600, 1), tmp_path)
    given = date(2014, 3, 31)
    run = discover_file(path, today=TODAY, as_of=given, **FAST)
    assert run.as_of == given and run.notices == []
    assert run.icp.source is not None and run.icp.source.as_of == given


def test_fresh_data_leaves_the_icp_as_before(tmp_path):
    _, path = _prepared(_export(600, 1, end=TODAY - timedelta(days=20)), tmp_path)
    run = discover_file(path, today=TODAY, **FAST)
    assert run.as_of is None and run.notices == []
    assert run.icp.source is not None and run.icp.source.as_of is None
    assert "as_of" not in run.icp.to_yaml()


# -- scoring ----------------------------------------------------------------------------------


def _window_icp(as_of: date | None = None) -> ICP:
    recent = Criterion(column="last_funding_at", within_days=180, weight=1.0)
    source = Source(rows=1, fitted=TODAY, as_of=as_of)
    return ICP(scoring=Scoring(points=[recent], timing=[recent]), source=source)


def test_validation_scores_from_the_icps_own_date_and_score_from_today(tmp_path):
    """Validation replays discovery's frame from the date the ICP was measured from; scoring
    (even a prepared frame: a library user's prospects) measures from today unless told."""
    from icpkit.discovery.validation import predict

    p, _ = _prepared(_export(300, 2), tmp_path)
    recent = (p.frame["last_funding_at"] >= EXPORT_END - timedelta(days=179)).to_numpy()
    icp = _window_icp(as_of=EXPORT_END)
    dated = predict(icp, p.frame).fit_score
    assert len(set(dated.tolist())) == 2
    assert dated[recent].min() > dated[~recent].max()
    assert predict(_window_icp(), p.frame).fit_score.tolist().count(dated[~recent][0]) == 300
    today = score(p.frame, icp, prepared=True, rank=False)
    assert today["fit_score"].n_unique() == 1  # from today nobody is within 180 days
    explicit = score(p.frame, icp, prepared=True, rank=False, as_of=EXPORT_END)
    assert explicit["fit_score"].n_unique() == 2


def test_score_warns_once_when_the_files_dates_end_long_before(tmp_path):
    _, path = _prepared(_export(300, 2), tmp_path)
    icp = _window_icp()
    result = score_file(path, icp, tmp_path / "scored.csv", as_of=TODAY)
    stale = [w for w in result.warnings if "--as-of" in w]
    end = EXPORT_END - timedelta(days=REACH_MIN - 1)
    assert stale == [
        f"the file's dates end {end.isoformat()}, {(TODAY - end).days:,} days before the "
        f"scoring date {TODAY.isoformat()}: no account can meet the ICP's 180-day window, and "
        "every date window is measured from the scoring date; to score the file as of its own "
        f"dates, pass --as-of {end.isoformat()}"
    ]
    again = score_file(path, icp, tmp_path / "dated.csv", as_of=EXPORT_END)
    assert not [w for w in again.warnings if "--as-of" in w]


def test_no_warning_for_fresh_files_or_icps_without_windows(tmp_path):
    fresh = _export(300, 2, end=TODAY - timedelta(days=3))
    _, path = _prepared(fresh, tmp_path)
    assert stale_dates_note(read_table(path), _window_icp(), as_of=TODAY) is None
    _, old = _prepared(_export(300, 2), tmp_path, "old.csv")
    flat = ICP(scoring=Scoring(points=[Criterion(column="employees", between=(100.0, None))]))
    assert stale_dates_note(read_table(old), flat, as_of=TODAY) is None


def test_parquet_streaming_path_warns_too(tmp_path):
    frame = _export(300, 2)
    src = tmp_path / "export.parquet"
    frame.write_parquet(src)
    result = score_file(src, _window_icp(), tmp_path / "out.parquet", as_of=TODAY)
    assert sum("--as-of" in w for w in result.warnings) == 1


# -- the CLI ----------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_discover_notice_and_recorded_date(tmp_path):
    _, path = _prepared(_export(600, 1), tmp_path)
    out = tmp_path / "icp.yaml"
    r = runner.invoke(
        app,
        ["discover", str(path), "-o", str(out), "--label", "won", "--folds", "0", "--no-baseline"],
    )
    assert r.exit_code == 0, r.output
    inferred = EXPORT_END - timedelta(days=REACH_MIN - 1)
    notice = f"dates in this export end {inferred.isoformat()}; windows are measured from there"
    assert " ".join(r.output.split()).count(notice) == 1
    assert ICP.load(out).source.as_of == inferred  # type: ignore[union-attr]


def test_cli_discover_as_of_flag(tmp_path):
    _, path = _prepared(_export(600, 1), tmp_path)
    out = tmp_path / "icp.yaml"
    args = ["discover", str(path), "-o", str(out), "--label", "won", "--folds", "0"]
    r = runner.invoke(app, [*args, "--no-baseline", "--as-of", "2014-01-31"])
    assert r.exit_code == 0, r.output
    assert "dates in this export end" not in r.output
    assert ICP.load(out).source.as_of == date(2014, 1, 31)  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["discover", "score"])
def test_cli_bad_as_of_is_a_usage_error_naming_the_flag(tmp_path, command):
    _, path = _prepared(_export(50, 1), tmp_path)
    icp_path = tmp_path / "icp.yaml"
    _window_icp().save(icp_path)
    args = {
        "discover": ["discover", str(path), "-o", str(tmp_path / "x.yaml")],
        "score": ["score", str(path), "--icp", str(icp_path), "-o", str(tmp_path / "s.csv")],
    }[command]
    r = runner.invoke(app, [*args, "--as-of", "2014-13-45"])
    assert r.exit_code == 2
    assert "--as-of" in r.output and "YYYY-MM-DD" in r.output
    assert "Traceback" not in r.output


def test_cli_score_prints_the_warning_once(tmp_path):
    _, path = _prepared(_export(300, 2), tmp_path)
    icp_path = tmp_path / "icp.yaml"
    _window_icp().save(icp_path)
    r = runner.invoke(
        app, ["score", str(path), "--icp", str(icp_path), "-o", str(tmp_path / "s.csv")]
    )
    assert r.exit_code == 0, r.output
    assert " ".join(r.output.split()).count("no account can meet the ICP's 180-day window") == 1


def test_the_real_crunchbase_export_ends_in_late_2013():
    """The 2013 export: nine milestones dated 2014 (after it was taken) do not move its end."""
    from .helpers import shared_file

    src = shared_file("data", "crunchbase-2013", "crunchbase-companies.csv")
    raw = read_table(src)
    p = prepare(raw, infer_schema(raw), strict=False)
    assert p.frame["last_milestone_at"].max() == date(2014, 9, 17)
    found = infer_as_of(p.frame, p.schema, today=TODAY)
    assert found is not None and found.latest == date(2013, 11, 1)
    assert found.notice().startswith("dates in this export end 2013-11-01;")
