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


def test_discovery_without_points_loads_no_scikit_learn(tmp_path) -> None:
    """``icp discover``'s main process needs scikit-learn only for the points model's solver.

    Shuffled outcomes (the points gate stays shut on this fixed seed): preparing, the complete
    calibrated search, the folds' split and the AUC run without scikit-learn, SciPy's
    statistics or pandas (about a second of CPU to import; the fold worker loads them for the
    black box).
    """
    from icpkit.sample.customers import weak_signal_customers

    path = tmp_path / "customers.csv"
    weak_signal_customers(300, seed=2, shuffle_outcomes=True)[0].write_csv(path)
    code = f"""
import numpy as np
from icpkit.discovery.fitting import DiscoverySetup
from icpkit.discovery.validation import roc_auc_score, stratified_folds
from icpkit.io import read_table
setup = DiscoverySetup(category_map={{}})
prepared = setup.prepare(read_table({str(path)!r}))
outcomes = setup.outcomes_of(prepared)
found = setup.discover(prepared.frame, prepared.schema, outcomes)
folds = stratified_folds(outcomes.best, 5, 0)
import sys
print(found.icp.scoring.points == [], roc_auc_score(outcomes.best, np.arange(300.0)) > 0)
print("scipy.stats" in sys.modules)
"""
    mods, out = _modules(code)
    assert out.split() == ["True", "True", "False"]  # no points, discovery ran, no scipy.stats
    assert sorted(mods & {"sklearn", "pandas"}) == []
    assert "scipy" in mods  # sparse matrices and log-factorials are fine
