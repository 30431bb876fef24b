"""The layers are one-way and every module has a place in them (.importlinter, checked in CI)."""

from __future__ import annotations

import ast
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


# -- function length (issue 13) ---------------------------------------------------------------

SRC = ROOT / "src" / "icpkit"
MAX_BODY = 80  # lines, from the first statement after the docstring to the end
#: Functions allowed a longer body, ``"module:qualname": "reason"``; none needs one today.
LONG_FUNCTIONS: dict[str, str] = {}


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the last statement."""
    body = fn.body
    first = body[0]
    if (
        len(body) > 1
        and isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def _function_lengths() -> dict[str, int]:
    """``{"module:Qual.name": body lines}`` for every function and method in the package."""
    out: dict[str, int] = {}

    def walk(node: ast.AST, module: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                out[f"{module}:{name}"] = _body_lines(child)
                walk(child, module, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, module, prefix + child.name + ".")

    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        walk(ast.parse(path.read_text(encoding="utf-8")), module, "")
    return out


def test_body_lines_counts_from_after_the_docstring() -> None:
    """The measure itself: docstring and signature are free, comments inside count."""
    code = 'def f(\n    a: int,\n) -> int:\n    """Doc.\n\n    More."""\n    x = a\n    # c\n    return x\n'
    fn = ast.parse(code).body[0]
    assert isinstance(fn, ast.FunctionDef) and _body_lines(fn) == 3
    only_doc = ast.parse('def g():\n    """Just a docstring."""\n').body[0]
    assert isinstance(only_doc, ast.FunctionDef) and _body_lines(only_doc) == 1


def test_no_function_body_over_80_lines() -> None:
    """A long function hides its seams; split it, or allowlist it here with the reason."""
    long = {k: n for k, n in _function_lengths().items() if n > MAX_BODY}
    unexplained = sorted(f"{k} ({n} lines)" for k, n in long.items() if k not in LONG_FUNCTIONS)
    assert not unexplained, f"split these (or allowlist them with a reason): {unexplained}"
    assert all(reason.strip() for reason in LONG_FUNCTIONS.values())


def test_allowlist_is_exact() -> None:
    """Every allowlisted function still exists and is still long, so the list stays honest."""
    lengths = _function_lengths()
    stale = sorted(
        f"{k} ({'gone' if k not in lengths else f'{lengths[k]} lines'})"
        for k in LONG_FUNCTIONS
        if lengths.get(k, 0) <= MAX_BODY
    )
    assert not stale, f"remove these from LONG_FUNCTIONS: {stale}"
