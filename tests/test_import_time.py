"""`import icpkit` and `icp --help` load no heavy library (checked by module, not by clock).

Each check runs a fresh interpreter and lists the modules it ended up with: timing would flake on
a shared machine, the module list does not. bench/bench_import.py prints the times themselves.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Libraries that cost a noticeable part of a second to import and that no start-up path needs.
HEAVY = ("sklearn", "scipy", "duckdb", "httpx", "jinja2", "pyarrow", "pandas", "selectolax")

_REPORT = """
import atexit, sys
atexit.register(lambda: print("MODULES=" + ",".join(sorted(sys.modules)), file=sys.stderr))
"""


def _modules(code: str) -> tuple[set[str], str]:
    """Top-level packages imported by ``code`` in a fresh interpreter, and its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")]
    assert lines, proc.stderr
    names = lines[-1].removeprefix("MODULES=").split(",")
    return {n.split(".")[0] for n in names}, proc.stdout


def test_import_icpkit_loads_no_heavy_library() -> None:
    mods, _ = _modules("import icpkit")
    assert "icpkit" in mods
    assert sorted(mods & set(HEAVY)) == []


def test_public_names_still_resolve_on_use() -> None:
    """Laziness must not lose a name: touching one loads its module (and what it needs)."""
    mods, out = _modules("import icpkit; print(icpkit.read_table.__module__)")
    assert out.strip() == "icpkit.io"
    assert sorted(mods & set(HEAVY)) == []


@pytest.mark.parametrize("argv", [["--help"], ["discover", "--help"], ["score", "--help"]])
def test_cli_help_loads_no_heavy_library(argv: list[str]) -> None:
    code = f"import sys; sys.argv = ['icp', *{argv!r}]\nfrom icpkit.cli import main\nmain()"
    mods, out = _modules(code)
    assert "Usage" in out  # the help was printed, so the CLI really ran
    assert sorted(mods & set(HEAVY)) == []
