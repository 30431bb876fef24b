"""``icp report --examples N``: names only when asked, N of them, and clear usage errors.

Typer (0.29) builds its own option class and does not pass click's ``flag_value`` through, so a
bare ``--examples`` cannot mean 5; it is a usage error naming the option, and the docs say to
write ``--examples 5``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl
import pytest

from icpkit.cli import main
from icpkit.icp import ICP
from tests.report.test_onepage_parts import ICP_DATA, _accounts


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["icp", *map(str, args)])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ICP.model_validate(ICP_DATA).save(tmp_path / "icp.yaml")
    _accounts().write_parquet(tmp_path / "accounts.parquet")  # tech_stack is a list column
    return {
        "icp": tmp_path / "icp.yaml",
        "accounts": tmp_path / "accounts.parquet",
        "dir": tmp_path,
    }


def _examples(md: str) -> list[str]:
    m = re.search(r"^\*\*Examples:\*\* (.*)$", md, re.M)
    assert m is not None, md[:2000]
    return m.group(1).split(" · ")


@pytest.mark.parametrize("n", [1, 3, 5])
def test_examples_n_names_n_accounts(
    n: int,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = files["dir"] / f"icp-{n}.md"
    code, _, err = _run(
        monkeypatch, capsys, "report", files["icp"], "-o", out,
        "--accounts", files["accounts"], "--examples", str(n), "--no-appendix",
    )  # fmt: skip
    assert code == 0, err
    names = _examples(out.read_text())
    assert len(names) == n and all(x.startswith(("typical-", "elsewhere-")) for x in names)


def test_no_names_without_the_option(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = files["dir"] / "anonymous.md"
    code, _, err = _run(
        monkeypatch, capsys, "report", files["icp"], "-o", out, "--accounts", files["accounts"]
    )
    assert code == 0, err
    text = out.read_text()
    assert "**Examples:**" not in text and "typical-" not in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--examples"], "'--examples' requires an argument"),
        (["--examples", "--paper", "letter"], "'--examples'"),
        (["--examples", "five"], "'--examples'"),
    ],
)
def test_examples_without_a_number_is_a_usage_error(
    args: list[str],
    says: str,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = files["dir"] / "never.md"
    code, _, err = _run(
        monkeypatch, capsys, "report", files["icp"], "-o", out, "--accounts", files["accounts"],
        *args,
    )  # fmt: skip
    assert code == 2 and says in err and "Traceback" not in err
    assert not out.exists()


def test_examples_needs_accounts(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = files["dir"] / "never.md"
    code, _, err = _run(monkeypatch, capsys, "report", files["icp"], "-o", out, "--examples", "5")
    assert code == 2 and "--examples needs --accounts" in err
    assert not out.exists()


def test_report_says_how_numbers_were_read_as_a_note(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'1,003' employees is ambiguous: the report notes how it read it, never a raw Python
    warning (an error here, so a stray one fails the command)."""
    import warnings

    csv = files["dir"] / "accounts.csv"
    _accounts().drop("tech_stack", "last_funding_date").with_columns(
        employees=pl.Series(["1,003", "2,500", "1,200", "950"] * 5 + ["1,100"])
    ).write_csv(csv)
    out = files["dir"] / "noted.md"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, stdout, err = _run(
            monkeypatch, capsys, "report", files["icp"], "-o", out,
            "--accounts", csv, "--examples", "2",
        )  # fmt: skip
    assert code == 0, err
    assert "NumberConventionWarning" not in stdout + err
    notes = [ln for ln in stdout.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and "column 'employees'" in notes[0]
    assert out.exists()
