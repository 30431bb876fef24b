"""Every malformed input of the fuzz corpus ends in success or a one-line error (issue 11, 11).

Each case goes through ``icp discover`` and ``icp score`` in process (typer's CliRunner): the
command may succeed (exit 0) or refuse the input, but only with an ``IcpkitError`` (which the
``icp`` entry point prints as one line) or a usage exit, never with any other exception, and
within the per-case time limit (pytest-timeout), so a hang fails the case instead of CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from icpkit.cli import app, cli_message
from icpkit.errors import IcpkitError
from icpkit.io import write_table
from icpkit.pipeline import discover_file

from .fuzz_corpus import CASES, base_frame, write_case

runner = CliRunner()


@pytest.fixture(scope="module")
def icp_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ICP discovered from the corpus's valid base table, for ``icp score``."""
    directory = tmp_path_factory.mktemp("fuzz-icp")
    source = write_table(base_frame(), directory / "base.csv")
    run = discover_file(source, folds=0, baseline=False)
    path = directory / "icp.yaml"
    path.write_text(run.icp.to_yaml())
    return path


def _check(result: Result, what: str) -> None:
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        assert result.exit_code in (0, 1, 2), f"{what}: exit {result.exit_code}"
    else:
        assert isinstance(exc, IcpkitError), (
            f"{what}: {type(exc).__name__} escaped instead of an IcpkitError: {str(exc)[:300]}"
        )
        message = cli_message(exc)
        assert message and "\n" not in message, f"{what}: {message[:300]!r}"
        assert len(message) < 2000, f"{what}: a {len(message):,}-character message"
    assert "Traceback" not in result.output, result.output[-2000:]


def test_the_corpus_is_big_and_deterministic(tmp_path: Path) -> None:
    assert len(CASES) >= 200
    first = write_case("bitflip-05-parquet", tmp_path / "a").read_bytes()
    again = write_case("bitflip-05-parquet", tmp_path / "b").read_bytes()
    assert first == again


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES)
def test_malformed_input_ends_in_success_or_one_line_error(
    case: str, tmp_path: Path, icp_file: Path
) -> None:
    path = write_case(case, tmp_path / "in")
    found = runner.invoke(
        app,
        ["discover", str(path), "-o", str(tmp_path / "icp.yaml"), "--folds", "2", "--no-baseline"],
    )
    _check(found, f"discover {case}")
    score = ["score", str(path), "--icp", str(icp_file)]
    scored = runner.invoke(app, [*score, "-o", str(tmp_path / "s.csv")])
    _check(scored, f"score {case}")
    lenient = runner.invoke(app, [*score, "-o", str(tmp_path / "u.csv"), "--missing", "unknown"])
    _check(lenient, f"score --missing unknown {case}")
