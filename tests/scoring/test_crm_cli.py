"""CRM write-back files and the `icp score` / `icp sql` / `icp export-crm` commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.scoring import score
from icpkit.scoring.crm import crm_export
from tests.scoring.test_engine import ICP_DICT, prepared

AS_OF = date(2024, 6, 1)
runner = CliRunner()


@pytest.fixture
def icp_file(tmp_path: Path) -> Path:
    path = tmp_path / "icp.yaml"
    path.write_text(ICP.model_validate(ICP_DICT).to_yaml(), encoding="utf-8")
    return path


def test_hubspot_and_salesforce_shapes() -> None:
    icp = ICP.model_validate(ICP_DICT)
    scored = score(
        prepared()
        .drop("id")
        .with_columns(
            pl.Series(
                "website", ["https://www.Acme.com/about", "beta.io", None, "HTTP://gamma.com"]
            )
        ),
        icp,
        as_of=AS_OF,
    )
    hub = crm_export(scored, icp, target="hubspot")
    assert hub.frame.columns == [
        "Record ID",
        "Company Domain Name",
        "icp_fit_score",
        "icp_tier",
        "icp_segment",
        "icp_reasons",
    ]
    assert hub.frame["Company Domain Name"].to_list() == ["acme.com", "beta.io", "gamma.com"]
    assert hub.unmatched == 1
    # Acme (1,200 employees) fails a must of SaaS mid-market, so it belongs to no segment.
    assert hub.frame["icp_segment"].to_list() == [None, "Retail", "SaaS mid-market"]
    assert hub.frame["icp_reasons"][0].startswith("met:")
    records = pl.DataFrame(
        {
            "Account ID": ["001A", "001B", "001C", "001D"],
            "Website": ["acme.com/", "www.beta.io", "gamma.com", "gamma.com"],
        }
    )
    sf = crm_export(scored, icp, target="salesforce", records=records)
    assert sf.frame.columns == [
        "Id",
        "ICP_Fit_Score__c",
        "ICP_Tier__c",
        "ICP_Segment__c",
        "ICP_Reasons__c",
    ]
    assert sf.frame["Id"].to_list() == ["001A", "001B"]  # gamma.com is ambiguous, row 3 has none
    assert (sf.matched, sf.unmatched, sf.ambiguous) == (2, 2, 1)


def test_cli_score_sql_and_export(tmp_path: Path, icp_file: Path) -> None:
    src = tmp_path / "prospects.csv"
    prepared().with_columns(
        pl.col("tech_stack").list.join("; "),
        pl.Series("domain", ["a.com", "b.com", "c.com", "d.com"]),
    ).write_csv(src)
    out = tmp_path / "scored.parquet"
    args = [
        "score",
        str(src),
        "--icp",
        str(icp_file),
        "-o",
        str(out),
        "--as-of",
        "2024-06-01",
        "--top",
        "2",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "4 accounts scored" in res.output and "top 2 accounts" in res.output
    assert pl.read_parquet(out)["tier"].to_list() == ["B", "B", "D", "A"]
    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0

    res = runner.invoke(
        app, ["sql", "--icp", str(icp_file), "--table", "p", "--as-of", "2024-06-01"]
    )
    assert res.exit_code == 0, res.output
    con = duckdb.connect()
    prep = tmp_path / "prep.parquet"
    prepared().write_parquet(prep)
    con.execute(f"CREATE TABLE p AS SELECT * FROM '{prep}'")
    cur = con.execute(res.stdout)
    tier = [d[0] for d in cur.description].index("tier")
    by_id = {r[0]: r[tier] for r in cur.fetchall()}
    assert [by_id[i] for i in (1, 2, 3, 4)] == pl.read_parquet(out)["tier"].to_list()

    crm_out = tmp_path / "hubspot.csv"
    res = runner.invoke(
        app,
        ["export-crm", str(out), "--icp", str(icp_file), "--crm", "hubspot", "-o", str(crm_out)],
    )
    assert res.exit_code == 0, res.output
    written = pl.read_csv(crm_out)
    assert written["Record ID"].to_list() == [1, 2, 3, 4]
    assert written["icp_tier"].to_list() == ["B", "B", "D", "A"]


def test_cli_missing_columns_and_empty(tmp_path: Path, icp_file: Path) -> None:
    src = tmp_path / "p.csv"
    prepared().drop("hiring", "tech_stack").write_csv(src)
    res = runner.invoke(
        app, ["score", str(src), "--icp", str(icp_file), "-o", str(tmp_path / "o.csv")]
    )
    assert res.exit_code != 0 and "tech_stack" in str(res.exception)
    res = runner.invoke(
        app,
        [
            "score",
            str(src),
            "--icp",
            str(icp_file),
            "-o",
            str(tmp_path / "o.csv"),
            "--missing",
            "unknown",
        ],
    )
    assert res.exit_code == 0, res.output
    empty = tmp_path / "empty.csv"
    empty.write_text("id,industry\n", encoding="utf-8")
    res = runner.invoke(
        app, ["score", str(empty), "--icp", str(icp_file), "-o", str(tmp_path / "e.csv")]
    )
    assert res.exit_code != 0 and "no data rows" in str(res.exception)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "segments:\n  - id: s\n    name: S\n    must:\n      - column: x\n        between: [5, 1]\n"
    )
    res = runner.invoke(app, ["score", str(src), "--icp", str(bad), "-o", str(tmp_path / "b.csv")])
    assert res.exit_code != 0 and "bad.yaml:5" in str(res.exception)
    assert "segments.0.must.0" in str(res.exception)
