"""Item 15: the number convention is decided per column, applied alike, and always reported.

Real files in tmp_path: a European Excel CSV export (semicolon, cp1252, ``.`` thousands, ``,``
decimals) and an ``.xlsx`` whose cells are text. Ambiguous columns (only ``6.515``-like values)
are read by the file's other number columns and reported, never guessed silently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icpkit.columns.infer import infer_schema
from icpkit.columns.parsing import NumberConventionWarning, number_conventions, parse_number
from icpkit.columns.preparation import prepare
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment
from icpkit.io import read_table
from icpkit.scoring import score

EURO_CSV = (
    "Firma;Mitarbeiter;Umsatz;Branche\r\n"
    "Müller GmbH;6.515;1.234.567,50 €;Software\r\n"
    "Größe AG;12.000;980.000,00 €;Handel\r\n"
    "Café Süd;250;45.000,75 €;Gastronomie\r\n"
    "Bäckerei Nord;1.200;2.500,00 €;Handel\r\n"
)


def _euro_csv(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(EURO_CSV.encode("cp1252"))
    return path


def test_european_excel_csv_is_read_as_european_and_said_so(tmp_path: Path) -> None:
    df = read_table(_euro_csv(tmp_path))
    assert df["Firma"][1] == "Größe AG"  # cp1252 decoded, semicolons split
    prepared = prepare(df, infer_schema(df, file="export.csv"), file="export.csv")
    out = prepared.frame
    # "Mitarbeiter" alone is ambiguous (6.515 could be 6.515); Umsatz's "1.234.567,50" is not.
    assert out["mitarbeiter"].to_list() == [6515.0, 12000.0, 250.0, 1200.0]
    assert out["umsatz"].to_list() == [1234567.5, 980000.0, 45000.75, 2500.0]
    notes = [w for w in prepared.warnings if "Mitarbeiter" in w or "Umsatz" in w]
    assert any("'Umsatz' read as European" in w for w in notes), notes
    assert any("'Mitarbeiter'" in w and "ambiguous" in w and "European" in w for w in notes)


def _icp() -> ICP:
    band = Criterion(column="mitarbeiter", between=(5000.0, None), weight=2.0)
    rev = Criterion(column="umsatz", between=(1_000_000.0, None), weight=1.0)
    return ICP(segments=[Segment(id="big", name="Big", must=[band], nice=[rev])])


def test_scoring_engine_reads_the_export_like_prepare(tmp_path: Path) -> None:
    df = read_table(_euro_csv(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = score(df, _icp(), reasons="none")
    said = [str(w.message) for w in caught if issubclass(w.category, NumberConventionWarning)]
    assert any("'Mitarbeiter'" in m and "ambiguous" in m for m in said), said
    assert any("'Umsatz' read as European" in m for m in said), said
    # 6.515 and 12.000 employees are big companies; read as decimals none would be.
    assert out["segment"].to_list() == ["big", "big", None, None]


def test_xlsx_text_cells_follow_the_same_rule(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    rows = [["Firma", "Mitarbeiter", "Umsatz"], ["A", "6.515", "1.234,5"], ["B", "250", "0,5"]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)  # text cells, as a pasted export leaves them
    wb.close()
    df = read_table(path)
    assert df.schema["Mitarbeiter"] == pl.String
    out = prepare(df, infer_schema(df)).frame
    assert out["mitarbeiter"].to_list() == [6515.0, 250.0]
    assert out["umsatz"].to_list() == [1234.5, 0.5]


def test_ambiguous_column_alone_is_reported_and_read_as_us() -> None:
    plain = [str(i) for i in range(50, 5000, 7)]  # many distinct values, none ambiguous
    conv, notes = number_conventions({"Employees": pl.Series([*plain, "6.515", "1,200"])})
    assert conv == {"Employees": "us"}
    assert len(notes) == 1 and "ambiguous" in notes[0] and "US" in notes[0]
    assert "'1,200'" in notes[0]  # the example shown is an ambiguous value, not any value


def test_us_file_resolves_ambiguous_columns_as_us_and_plain_columns_say_nothing() -> None:
    conv, notes = number_conventions(
        {
            "employees": pl.Series(["1,200", "50"]),
            "revenue": pl.Series(["$1,234,567.50", "2.5M"]),
            "age": pl.Series(["12", "3"]),
        }
    )
    assert conv == {"employees": "us", "revenue": "us", "age": "us"}
    assert [n for n in notes if "'age'" in n or "'revenue'" in n] == []
    assert any("'employees'" in n and "ambiguous" in n for n in notes)


def test_mixed_column_is_reported_and_read_value_by_value() -> None:
    s = pl.Series(["1,234,567.5", "2,5", "1.234.567,8"])
    conv, notes = number_conventions({"x": s})
    assert conv == {"x": "mixed"}
    assert "mixes number conventions" in notes[0]
    got = s.to_frame("v").select(parse_number(pl.col("v"), "mixed")).to_series().to_list()
    assert got == [1234567.5, 2.5, 1234567.8]


def test_conflicting_files_leave_ambiguous_columns_us_and_say_so() -> None:
    conv, notes = number_conventions(
        {"a": pl.Series(["6.515"]), "b": pl.Series(["1.234,5"]), "c": pl.Series(["2.75"])}
    )
    assert conv == {"a": "us", "b": "eu", "c": "us"}
    assert any("'a'" in n and "ambiguous" in n for n in notes)


def _fmt(whole: int, cents: int, convention: str) -> str:
    thou, dec = (".", ",") if convention == "eu" else (",", ".")
    return f"{whole:,}".replace(",", thou) + (f"{dec}{cents:02d}" if cents else "")


@given(
    values=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 99)), min_size=1, max_size=8),
    convention=st.sampled_from(["us", "eu"]),
)
def test_formatted_numbers_parse_back_when_the_convention_is_unambiguous(
    values: list[tuple[int, int]], convention: str
) -> None:
    # A column holding one unambiguous value (1,234,567.89 / 1.234.567,89) decides the rest.
    anchor = (1_234_567, 89)
    texts = [_fmt(w, c, convention) for w, c in [*values, anchor]]
    series = pl.Series("n", texts)
    conv, _ = number_conventions({"n": series})
    assert conv == {"n": convention}
    got = series.to_frame().select(parse_number(pl.col("n"), conv["n"])).to_series().to_list()
    want = [w + c / 100 for w, c in [*values, anchor]]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-9)
