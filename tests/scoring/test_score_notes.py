"""Item 15 in `icp score`: how numbers were read is part of the result, not a stray warning.

A European export (semicolon, cp1252, ``6.515`` employees, ``1.234.567,50 €``) is scored from a
real file; the result's ``warnings`` name each column's convention (and the ambiguous one), the
CLI prints them as notes, and no :class:`NumberConventionWarning` leaks out of either.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.columns.parsing import NumberConventionWarning
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment
from icpkit.io import read_table
from icpkit.scoring import score_file

EURO_CSV = (
    "Firma;Mitarbeiter;Umsatz;Branche\r\n"
    "Müller GmbH;6.515;1.234.567,50 €;Software\r\n"
    "Größe AG;12.000;980.000,00 €;Handel\r\n"
    "Café Süd;250;45.000,75 €;Gastronomie\r\n"
    "Bäckerei Nord;1.200;2.500,00 €;Handel\r\n"
)
US_CSV = 'Company,Employees,Revenue\nAcme,6515,"$1,234,567.50"\nBeta,250,"$45,000"\n'


def _icp() -> ICP:
    band = Criterion(column="mitarbeiter", between=(5000.0, None), weight=2.0)
    rev = Criterion(column="umsatz", between=(1_000_000.0, None), weight=1.0)
    return ICP(segments=[Segment(id="big", name="Big", must=[band], nice=[rev])])


def _euro(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(EURO_CSV.encode("cp1252"))
    return path


@pytest.mark.parametrize("parquet", [False, True], ids=["csv", "parquet-stream"])
def test_score_file_reports_each_columns_number_convention(tmp_path: Path, parquet: bool) -> None:
    src = _euro(tmp_path)
    if parquet:  # the streaming path: text columns in Parquet, scored lazily
        src = tmp_path / "export.parquet"
        read_table(_euro(tmp_path)).write_parquet(src)
    out = tmp_path / ("scored.parquet" if parquet else "scored.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumberConventionWarning)
        result = score_file(src, _icp(), out)
    said = result.warnings
    assert any("'Umsatz' read as European" in w for w in said), said
    assert any("'Mitarbeiter'" in w and "ambiguous" in w and "European" in w for w in said), said
    assert len(said) == len(set(said)) == 2
    scored = pl.read_parquet(out) if parquet else pl.read_csv(out)
    # The convention was applied, not just reported: 6.515 and 12.000 employees are big.
    assert scored["segment"].to_list() == ["big", "big", None, None]


def test_plain_us_numbers_say_nothing(tmp_path: Path) -> None:
    src = tmp_path / "us.csv"
    src.write_text(US_CSV)
    icp = ICP(
        segments=[
            Segment(
                id="big",
                name="Big",
                must=[Criterion(column="employees", between=(5000.0, None))],
            )
        ]
    )
    result = score_file(src, icp, tmp_path / "scored.csv")
    assert result.warnings == ()
    assert result.frame is not None and result.frame["segment"].to_list() == ["big", None]


def test_other_warnings_still_reach_the_caller(tmp_path: Path, monkeypatch) -> None:
    """Only number-convention notes are taken into the result; anything else goes on."""
    import icpkit.scoring.result as result_mod

    real = result_mod.score

    def noisy(*args, **kwargs):
        warnings.warn("something else", RuntimeWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(result_mod, "score", noisy)
    with pytest.warns(RuntimeWarning, match="something else"):
        result = score_file(_euro(tmp_path), _icp(), tmp_path / "scored.csv")
    assert len(result.warnings) == 2


def test_cli_prints_the_convention_as_a_note(tmp_path: Path) -> None:
    src = _euro(tmp_path)
    icp_path = _icp().save(tmp_path / "icp.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumberConventionWarning)  # a leak would fail the command
        result = CliRunner().invoke(
            app, ["score", str(src), "--icp", str(icp_path), "-o", str(tmp_path / "out.csv")]
        )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich may wrap long notes
    assert "note:" in text and "column 'Umsatz' read as European" in text
    assert "'Mitarbeiter'" in text and "ambiguous" in text
    assert "NumberConventionWarning" not in result.output
