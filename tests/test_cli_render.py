"""Tables written to a file, CI log or pipe are neither cut ("in-sam…") nor folded mid-word."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from rich.table import Table
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.cli._render import OutputConsole
from icpkit.icp import ICP

runner = CliRunner()

LONG_NAME = "Consolidated Intercontinental Widget Manufacturing And Distribution Holdings Limited"
LONG_WORD = "supercalifragilisticexpialidocious-enterprise-resource-planning-platform"
LONG_SEGMENT = "Mid-market software companies in regulated industries with a modern stack"


def _icp_file(tmp_path: Path) -> Path:
    icp = ICP.model_validate(
        {
            "columns": {"id": "id"},
            "segments": [
                {
                    "id": "seg-1",
                    "name": LONG_SEGMENT,
                    "must": [{"column": "industry", "in": [LONG_WORD], "weight": 1.5}],
                }
            ],
            "scoring": {"intercept": -1.0},
        }
    )
    path = tmp_path / "icp.yaml"
    path.write_text(icp.to_yaml(), encoding="utf-8")
    return path


def test_score_table_is_whole_when_output_is_not_a_terminal(tmp_path: Path) -> None:
    src = tmp_path / "prospects.csv"
    pl.DataFrame(
        {
            "id": ["1", "2", "3"],
            "name": [LONG_NAME, "Acme", "Beta"],
            "industry": [LONG_WORD, "retail", LONG_WORD],
        }
    ).write_csv(src)
    out = tmp_path / "scored.csv"
    # CliRunner's stdout is not a terminal; COLUMNS=80 is rich's usual fallback width.
    r = runner.invoke(
        app,
        ["score", str(src), "--icp", str(_icp_file(tmp_path)), "-o", str(out)],
        env={"COLUMNS": "80"},
    )
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "…" not in r.output
    # Each long value is on one line, whole: not cut, not folded mid-word.
    for value in (LONG_NAME, LONG_WORD):
        assert any(value in line for line in lines), value
    row = next(line for line in lines if LONG_NAME in line)
    assert "seg-1" in row  # the row's other cells stay on the same line
    assert max(len(line) for line in lines) > 80  # rendered wide rather than squeezed


def test_terminal_output_still_fits_the_terminal() -> None:
    buf = io.StringIO()
    console = OutputConsole(file=buf, force_terminal=True, width=60, color_system=None)
    t = Table("name", "industry")
    t.add_row(LONG_NAME, LONG_WORD)
    console.print(t)
    assert max(len(line) for line in buf.getvalue().splitlines()) <= 60


def test_non_terminal_table_at_natural_width_and_text_unwrapped() -> None:
    buf = io.StringIO()
    console = OutputConsole(file=buf, width=80)  # a StringIO is not a terminal
    t = Table("View", "Accounts", title="Validation")
    t.add_row("in-sample", "17,727")
    t.add_row(LONG_NAME + " " + LONG_NAME, "1")
    console.print(t)
    sentence = " ".join([LONG_SEGMENT] * 4)
    console.print(sentence)
    text = buf.getvalue()
    assert "in-sample" in text and "…" not in text
    assert any(LONG_NAME + " " + LONG_NAME in line for line in text.splitlines())
    assert sentence in text.splitlines()
    # A table that fits is printed exactly as before.
    small, plain = io.StringIO(), io.StringIO()
    s = Table("a", "b")
    s.add_row("1", "2")
    OutputConsole(file=small, width=80).print(s)
    from rich.console import Console

    Console(file=plain, width=80).print(s)
    assert small.getvalue() == plain.getvalue()


def test_a_widened_table_keeps_its_title_at_the_left() -> None:
    """icp score's top-20 table on the Telco export was ~1,100 characters wide (the reasons
    column) and its centred title came after ~540 spaces."""
    buf = io.StringIO()
    console = OutputConsole(file=buf, width=80, force_terminal=False)
    table = Table(title="top 20 accounts")
    table.add_column("reasons")
    table.add_row("met: " + "; ".join(f"criterion {i} (+0.5 pts)" for i in range(40)))
    console.print(table)
    first = buf.getvalue().splitlines()[0]
    assert first.strip() == "top 20 accounts"
    assert first.startswith("top 20 accounts")
