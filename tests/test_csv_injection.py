"""CSV/Excel outputs never carry a cell a spreadsheet would run as a formula (OWASP), unless asked."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.io import neutralize_cells, raw_cells, write_table

DANGER = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = [
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1",
    "\r=1",
]


def _cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _plain_number(s: str) -> bool:
    import re

    return re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s) is not None


text = st.text(
    alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "a", "1", " ", ".", "(", '"', ";"]),
    max_size=8,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), text), min_size=1, max_size=8))
def test_no_written_csv_cell_starts_a_formula(tmp_path: Path, values: list[str | None]) -> None:
    out = tmp_path / "o.csv"
    df = pl.DataFrame(
        {"name": values, "n": [-1.5] * len(values)}, schema={"name": pl.String, "n": pl.Float64}
    )
    write_table(df, out, force=True)
    rows = _cells(out)[1:]
    for (cell, number), original in zip(rows, values, strict=True):
        assert not cell.startswith(DANGER) or _plain_number(cell), cell
        if original and original.startswith(DANGER) and not _plain_number(original):
            assert cell == "'" + original
        elif original:
            assert cell == original
        assert number == "-1.5"  # numbers stay numbers
    # Opting out writes the cells verbatim.
    write_table(df, out, force=True, raw_cells=True)
    assert [r[0] for r in _cells(out)[1:]] == [v or "" for v in values]


def test_lists_and_reasons_are_neutralised_numbers_untouched(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "company": PAYLOADS,
            "tech": [["=cmd", "x"]] * len(PAYLOADS),
            "fit_score": [-5.0] * len(PAYLOADS),
            "delta": ["-5"] * len(PAYLOADS),  # a plain number in a text column stays as is
        }
    )
    out = tmp_path / "o.csv"
    write_table(df, out)
    rows = _cells(out)[1:]
    assert [r[0] for r in rows] == ["'" + p for p in PAYLOADS]
    assert {r[1] for r in rows} == {"'=cmd; x"}
    assert {r[2] for r in rows} == {"-5.0"} and {r[3] for r in rows} == {"-5"}
    with raw_cells():
        write_table(df, out, force=True)
    assert [r[0] for r in _cells(out)[1:]] == PAYLOADS


def test_excel_cells_are_text_not_formulas(tmp_path: Path) -> None:
    out = tmp_path / "o.xlsx"
    write_table(pl.DataFrame({"company": ["=1+1", "ok"], "n": [-3, 4]}), out)
    back = pl.read_excel(out)
    assert back["company"].to_list() == ["'=1+1", "ok"]
    assert back["n"].to_list() == [-3, 4]


def test_neutralize_leaves_non_text_columns_alone() -> None:
    df = pl.DataFrame({"n": [-1, 2], "b": [True, False], "s": ["=a", "b"]})
    out = neutralize_cells(df)
    assert out["n"].to_list() == [-1, 2] and out.schema == df.schema
    assert out["s"].to_list() == ["'=a", "b"]


@pytest.mark.parametrize("raw", [False, True])
def test_export_crm_cli_neutralises_company_values(tmp_path: Path, raw: bool) -> None:
    from typer.testing import CliRunner

    from icpkit.cli import app
    from icpkit.criteria import Criterion
    from icpkit.icp import ICP, Segment

    icp = ICP(
        segments=[
            Segment(
                id="s1",
                name='=HYPERLINK("http://x","SaaS")',
                must=[Criterion(column="industry", **{"in": ["saas"]})],
            )
        ]
    )
    icp.save(tmp_path / "icp.yaml")
    src = tmp_path / "p.csv"
    pl.DataFrame(
        {
            "domain": ["a.com", "b.com"],
            "name": ['=HYPERLINK("x")', "@evil"],
            "industry": ["saas", "=1+2"],
        }
    ).write_csv(src)
    out = tmp_path / "hubspot.csv"
    args = [
        "export-crm",
        str(src),
        "--icp",
        str(tmp_path / "icp.yaml"),
        "--crm",
        "hubspot",
        "-o",
        str(out),
    ]
    res = CliRunner().invoke(app, args + (["--raw-cells"] if raw else []))
    assert res.exit_code == 0, res.output
    cells = [c for row in _cells(out) for c in row]
    dangerous = [c for c in cells if c.startswith(DANGER) and not _plain_number(c)]
    if raw:
        assert dangerous  # the opt-out really writes them verbatim
    else:
        assert dangerous == []


def test_header_cells_are_neutralised_too(tmp_path: Path) -> None:
    """Column names come from the input file: a header can carry a formula as well."""
    df = pl.DataFrame({'=HYPERLINK("http://x")': ["a"], "-5": ["b"], "name": ["c"]})
    out = tmp_path / "h.csv"
    write_table(df, out)
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(("\"'=HYPERLINK", "'=HYPERLINK"))
    assert ",-5," in f",{header}," and header.endswith(",name")
    raw = tmp_path / "raw.csv"
    write_table(df, raw, raw_cells=True)
    assert raw.read_text(encoding="utf-8").splitlines()[0].startswith('"=HYPERLINK')
