"""export-crm and ids from another system: warn, and let a CRM export's ids win.

Found exporting the Telco base for Salesforce: all 7,043 rows went out with Id = customerID
("7590-VHVEG"), which no Salesforce record has, and nothing said so; and with --records the
file's own ids still won over the Account Ids found by domain.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP

ICP_DICT = {
    "columns": {"id": "id", "domain": "domain"},
    "scoring": {"intercept": -1.0, "points": [{"column": "industry", "in": ["saas"], "weight": 2}]},
}
SF_IDS = ["0015g00000AbCdEAAV", "0015g00000AbCdFAAV"]


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    icp_path, src, records = tmp_path / "icp.yaml", tmp_path / "p.csv", tmp_path / "sf.csv"
    ICP.model_validate(ICP_DICT).save(icp_path)
    src.write_text(
        "id,domain,industry\n7590-VHVEG,acme.com,saas\n5575-GNVDE,beta.io,retail\n"
        "3668-QPYBK,gamma.org,saas\n",
        encoding="utf-8",
    )
    records.write_text(
        f"Account ID,Website\n{SF_IDS[0]},https://www.acme.com\n{SF_IDS[1]},beta.io\n",
        encoding="utf-8",
    )
    return icp_path, src, records


def test_foreign_ids_are_reported(tmp_path: Path) -> None:
    icp_path, src, _ = _files(tmp_path)
    out = tmp_path / "out.csv"
    args = ["export-crm", str(src), "--icp", str(icp_path), "--crm", "salesforce", "-o", str(out)]
    r = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "3 of the ids written are not salesforce record ids" in r.output
    assert "--records" in r.output


def test_crm_ids_found_by_domain_replace_foreign_ones(tmp_path: Path) -> None:
    icp_path, src, records = _files(tmp_path)
    out = tmp_path / "out.csv"
    args = ["export-crm", str(src), "--icp", str(icp_path), "--crm", "salesforce", "-o", str(out)]
    r = CliRunner().invoke(app, [*args, "--records", str(records)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    ids = pl.read_csv(out)["Id"].to_list()
    # acme and beta get their Account Ids; gamma has no record and keeps its own (warned).
    assert ids == [*SF_IDS, "3668-QPYBK"]
    assert "1 of the ids written are not salesforce record ids" in r.output
    assert "pass --records" not in r.output
