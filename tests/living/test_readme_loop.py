"""The README's loop (score → calibrate/report/status) with a timing signal relative to close_date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment
from icpkit.living.proposal import review_file

runner = CliRunner()


def _files(tmp_path: Path) -> dict[str, Path]:
    icp = ICP(
        segments=[
            Segment(
                id="s1",
                name="SaaS",
                must=[Criterion(column="industry", **{"in": ["saas"]})],
                nice=[Criterion(column="tech_stack", has_any=["hubspot"])],
            )
        ],
        scoring=Scoring(
            timing=[Criterion(column="last_funding_date", within_days=365, before="close_date")]
        ),
    )
    icp.save(tmp_path / "icp.yaml")
    n = 120
    funding = [date(2020, 1, 1) + timedelta(days=10 * i) for i in range(n)]
    pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "industry": ["saas" if i % 2 else "retail" for i in range(n)],
            "tech_stack": ["HubSpot; Stripe" if i % 3 else "" for i in range(n)],
            "last_funding_date": funding,
        }
    ).write_csv(tmp_path / "prospects.csv")
    # Deals closed 100 days after each account's funding: inside the 365-day window, although
    # all fundings are years before today.
    pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "outcome": ["won" if i % 2 else "lost" for i in range(n)],
            "close_date": [f + timedelta(days=100 + (i % 7)) for i, f in enumerate(funding)],
        }
    ).write_csv(tmp_path / "deals.csv")
    pl.read_csv(tmp_path / "deals.csv").select("id", "outcome").write_csv(
        tmp_path / "deals_no_dates.csv"
    )
    return {"icp": tmp_path / "icp.yaml", "dir": tmp_path}


def test_calibrate_report_status_readme_commands(tmp_path: Path) -> None:
    f = _files(tmp_path)
    d = f["dir"]
    res = runner.invoke(
        app,
        [
            "score",
            str(d / "prospects.csv"),
            "--icp",
            str(f["icp"]),
            "-o",
            str(d / "scored.parquet"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "close_date" not in pl.read_parquet(d / "scored.parquet").columns
    for deals in ("deals.csv", "deals_no_dates.csv"):
        res = runner.invoke(
            app,
            [
                *("calibrate", "--icp", str(f["icp"]), "--outcomes", str(d / deals)),
                *("--accounts", str(d / "scored.parquet")),
            ],
        )
        assert res.exit_code == 0, (deals, res.output, res.exception)
        out = tmp_path / f"r-{deals}.html"
        res = runner.invoke(
            app,
            [
                *("report", str(f["icp"]), "-o", str(out), "--outcomes", str(d / deals)),
                *("--accounts", str(d / "scored.parquet")),
            ],
        )
        assert res.exit_code == 0, (deals, res.output, res.exception)
        assert out.stat().st_size > 1000


def test_the_outcomes_close_date_is_the_timing_reference(tmp_path: Path) -> None:
    f = _files(tmp_path)
    d = f["dir"]
    runner.invoke(
        app,
        [
            "score",
            str(d / "prospects.csv"),
            "--icp",
            str(f["icp"]),
            "-o",
            str(d / "scored.parquet"),
        ],
    )

    def timing_met(deals: str) -> int:
        run = review_file(f["icp"], d / deals, accounts_path=d / "scored.parquet")
        (row,) = [r for r in run.report.criteria if "funding" in r.label]
        return row.accounts

    # With close dates every deal is within a year of its funding; without, the scoring date
    # (today) is the reference and no funding from 2020–2023 is within the last year.
    assert timing_met("deals.csv") == 120
    assert timing_met("deals_no_dates.csv") == 0


def test_status_with_ids_and_outcomes_only(tmp_path: Path) -> None:
    f = _files(tmp_path)
    d = f["dir"]
    runner.invoke(
        app,
        [
            "score",
            str(d / "prospects.csv"),
            "--icp",
            str(f["icp"]),
            "-o",
            str(d / "scored.parquet"),
        ],
    )
    pl.read_csv(d / "deals.csv").filter(pl.col("outcome") == "won").select(
        "id", "outcome"
    ).write_csv(d / "wins.csv")
    res = runner.invoke(app, ["status", str(f["icp"]), "--recent", str(d / "wins.csv")])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "--accounts" in res.output and "drift not judged" in res.output
    assert res.exit_code == 0 and "needs attention" not in res.output
    res = runner.invoke(
        app,
        [
            *("status", str(f["icp"]), "--recent", str(d / "wins.csv")),
            *("--accounts", str(d / "scored.parquet")),
        ],
    )
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "recent wins selected: 60 of 60" in res.output
