"""Every error a user can cause is an IcpkitError; CLI choices are typed, so --help lists them
and a bad value is a usage error (exit 2) naming the choices, with no hand-written check."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from icpkit.cli import main
from icpkit.errors import IcpkitError, UsageError
from icpkit.icp import ICP
from icpkit.outcomes import OutcomeSpec
from icpkit.scoring import score
from icpkit.scoring.crm import crm_export


@pytest.mark.parametrize("share", [0.0, 1.0, -0.1, 1.5])
def test_bad_shares_are_usage_errors(share: float) -> None:
    with pytest.raises(UsageError, match="between 0 and 1"):
        OutcomeSpec(best_share=share)
    with pytest.raises(IcpkitError):
        OutcomeSpec(worst_share=share)


def test_wrong_input_type_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="polars or pandas DataFrame, not ndarray"):
        score(np.zeros((3, 2)), ICP())


def test_unknown_crm_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown CRM 'pipedrive'"):
        crm_export(pl.DataFrame({"id": ["1"]}), ICP(), target="pipedrive")  # type: ignore[arg-type]


def _icp(tmp_path: Path, *args: str, monkeypatch, capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["icp", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (["score", "p.csv", "--icp", "icp.yaml", "-o", "o.csv", "--missing", "skip"], "unknown"),
        (["score", "p.csv", "--icp", "icp.yaml", "-o", "o.csv", "--reasons", "all"], "codes"),
        (["score", "p.csv", "--icp", "icp.yaml", "-o", "o.csv", "--engine", "dask"], "spark"),
        (["export-crm", "p.csv", "--icp", "icp.yaml", "-o", "o.csv", "--crm", "zoho"], "hubspot"),
        (["export", "p.csv", "--contacts", "c.csv", "-o", "o.csv", "--casl", "keep"], "flag"),
    ],
)
def test_bad_choice_is_exit_2_naming_the_choices(
    tmp_path: Path, monkeypatch, capsys, args: list[str], choices: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    code, text = _icp(tmp_path, *args, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and choices in text and "Traceback" not in text


@pytest.mark.parametrize(
    "args",
    [
        ["score", "p.csv", "--icp", "icp.yaml", "-o", "o.csv", "--as-of", "30/06/2024"],
        ["status", "icp.yaml", "--today", "tomorrow"],
        ["discover", "c.csv", "--holdout-after", "2024-13-01"],
    ],
)
def test_bad_date_flag_is_exit_2(tmp_path: Path, monkeypatch, capsys, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    code, text = _icp(tmp_path, *args, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "is not a date (YYYY-MM-DD)" in text
