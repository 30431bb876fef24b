"""``icp personas`` and ``icp export`` end to end on real files."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from icpkit.cli import main
from icpkit.icp import ICP


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def icp_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``icp`` in-process (as the console script does) and capture what it prints."""

    def run(*args: str, cwd: Path) -> Run:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["icp", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_personas_then_export(
    tmp_path: Path,
    customers: pl.DataFrame,
    contacts: pl.DataFrame,
    scored: pl.DataFrame,
    icp: ICP,
    icp_cli,  # type: ignore[no-untyped-def]
) -> None:
    _icp = icp_cli
    customers.write_csv(tmp_path / "customers.csv")
    contacts.write_csv(tmp_path / "contacts.csv")
    scored.write_parquet(tmp_path / "scored.parquet")
    icp.save(tmp_path / "icp.yaml")
    sup = contacts["Email"].drop_nulls().str.strip_chars().str.to_lowercase().head(200)
    pl.DataFrame({"email": sup, "reason": ["opt-out"] * sup.len()}).write_csv(tmp_path / "sup.csv")

    r = _icp(
        "personas", "contacts.csv", "--accounts", "customers.csv", "--icp", "icp.yaml", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "champion" in r.stdout and "dry run" in r.stdout
    # the sample's ambiguous '1,009' headcounts: a one-line note, not Python's warning lines
    assert "note: column 'Number of Employees': numbers like" in r.stderr
    assert "NumberConventionWarning" not in r.stderr and ".py:" not in r.stderr
    assert ICP.load(tmp_path / "icp.yaml").personas == []
    r = _icp(
        "personas",
        "contacts.csv",
        "--accounts",
        "customers.csv",
        "--icp",
        "icp.yaml",
        "--write",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    saved = ICP.load(tmp_path / "icp.yaml")
    assert {p.segment for p in saved.personas} == {"s1", "s2"}
    assert "@" not in (tmp_path / "icp.yaml").read_text().split("personas:")[1]

    args = ["export", "scored.parquet", "--contacts", "contacts.csv", "--icp", "icp.yaml",
            "-o", "out.csv", "--tiers", "A,B", "--suppress", "sup.csv"]  # fmt: skip
    r = _icp(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "personal data" in r.stdout and "email" in r.stdout
    assert "not legal advice" in r.stdout
    assert "suppressed:" in r.stdout and "opt-out" in r.stdout
    out = pl.read_csv(tmp_path / "out.csv", infer_schema_length=0)
    assert out.height > 100
    assert not out["email"].is_in(sup.to_list()).any()
    assert set(out["tier"].unique()) <= {"A", "B"}
    assert {"regime", "regime_basis", "flags", "reasons", "contact_rank"} <= set(out.columns)
    rows = out.height
    assert f"{rows:,} contacts" in r.stdout

    # Refuses to overwrite without --force, and never writes onto an input even with it.
    r = _icp(*args, cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr
    r = _icp(*args[:-4], "-o", "contacts.csv", "--force", cwd=tmp_path)
    assert r.returncode == 2 and "inputs" in r.stderr
    r = _icp(*args[:-4], "-o", "out2.csv", "--tiers", "Q", cwd=tmp_path)
    assert r.returncode == 2 and "--tiers" in r.stderr
    assert not (tmp_path / "out2.csv").exists()
