"""``icp signals export --accounts`` reaches accounts whose signals were collected by name.

Found on the 2013 Crunchbase export (no websites; ``collect --funding rounds.csv --name-column
name`` matched 994 rounds to 400 companies by name): the export joined by website only, so every
account got an empty ``last_funding_date`` — "Known for 0" — and nothing said why.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.io import read_table
from tests.helpers import shared_file

runner = CliRunner()
AS_OF = date(2008, 1, 1)


def _accounts(tmp_path: Path) -> Path:
    companies = read_table(shared_file("data", "crunchbase-2013", "crunchbase-companies.csv"))
    # Unique names among the first 300 with a permalink (never a website) and a name.
    acc = companies.filter(pl.col("name").is_unique()).head(300).select("permalink", "name")
    path = tmp_path / "accounts.csv"
    acc.write_csv(path)
    return path


def test_export_joins_by_name(tmp_path: Path) -> None:
    accounts = _accounts(tmp_path)
    rounds = shared_file("data", "crunchbase-2013", "crunchbase-rounds.csv")
    store = tmp_path / "s.duckdb"
    common = ["--store", str(store)]
    r = runner.invoke(
        app,
        [
            *("signals", "collect", str(accounts), "--domain-column", "permalink", *common),
            *("--funding", str(rounds), "--name-column", "name", "--date", "2013-12-01"),
            *("--no-hiring", "--no-stack", "--no-leadership"),
        ],
    )
    assert r.exit_code == 0, r.output
    out = tmp_path / "signals.parquet"
    export = [
        *("signals", "export", "-o", str(out), *common, "--as-of", AS_OF.isoformat()),
        *("--accounts", str(accounts), "--domain-column", "permalink"),
    ]
    r = runner.invoke(app, export, env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "300 of 300 accounts have nothing in the store" in r.output
    assert "--name-column" in r.output
    r = runner.invoke(app, [*export, "--name-column", "name", "--force"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out).select("permalink", "last_funding_date")
    # By hand: each company's latest round on or before the as-of date, by permalink.
    want = (
        read_table(rounds)
        .select(
            pl.col("company_permalink").alias("permalink"),
            pl.col("funded_at").cast(pl.String).str.to_date(strict=False).alias("day"),
        )
        .filter(pl.col("day") <= AS_OF)
        .group_by("permalink")
        .agg(pl.col("day").max().alias("want"))
    )
    both = got.join(want, on="permalink", how="left")
    assert both["want"].drop_nulls().len() > 50
    assert (both["want"].eq_missing(both["last_funding_date"])).all()
