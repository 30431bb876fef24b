"""The layers are one-way and every module has a place in them (.importlinter, checked in CI)."""

from __future__ import annotations

import configparser
import pkgutil
import subprocess
import sys
from pathlib import Path

import icpkit

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
# Not layers: the package's own lazy-export helper, and the CLI's entry module.
UNLAYERED = {"icpkit._lazy", "icpkit.__main__"}


def _layered() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    lines = parser["importlinter:contract:layers"]["layers"].split("\n")
    return {m.strip() for line in lines for m in line.replace(":", "|").split("|") if m.strip()}


def test_import_contracts_hold() -> None:
    """import-linter: no lower layer imports a higher one; no library module imports typer/rich."""
    proc = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         str(CONFIG), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout


def test_every_module_has_a_layer() -> None:
    """A new top-level module must be placed in the layers contract, or nothing checks it."""
    top = {f"icpkit.{m.name}" for m in pkgutil.iter_modules(icpkit.__path__)}
    missing = sorted(top - _layered() - UNLAYERED)
    assert not missing, f"add these to the layers contract in .importlinter: {missing}"
