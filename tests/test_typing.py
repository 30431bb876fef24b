"""mypy finds no error in the package (configuration in pyproject.toml), and it ships py.typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_package_is_typed() -> None:
    assert (ROOT / "src" / "icpkit" / "py.typed").is_file()


def test_mypy_reports_no_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "src/icpkit"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
