"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

``python -m icpkit.cli._reference > docs/cli.md`` rewrites it; a test regenerates it and compares,
so the reference cannot drift from the code. Help is rendered at a fixed width with colour and
terminal detection off, so the text does not depend on who runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner

WIDTH = 100
_ENV = {"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}

HEADER = """# `icp` command reference

Generated from each command's `--help` by `python -m icpkit.cli._reference > docs/cli.md`;
`tests/test_cli_reference.py` fails when this file and the commands disagree.
"""


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path, groups before their subcommands, in registration order."""
    yield path
    for name, sub in getattr(cmd, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            yield from _commands(sub, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """``icp <path> --help`` as plain text at :data:`WIDTH` columns."""
    from icpkit.cli import app

    saved = {k: os.environ.get(k) for k in ("_TYPER_FORCE_DISABLE_TERMINAL",)}
    os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
    try:
        result = CliRunner().invoke(app, [*path, "--help"], env=_ENV, color=False)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    lines = [line.rstrip() for line in result.output.splitlines()]
    return "\n".join(lines).strip("\n")


def render_reference() -> str:
    """docs/cli.md: one section per command with its ``--help`` verbatim."""
    from icpkit.cli import app

    parts = [HEADER]
    for path in _commands(typer.main.get_command(app)):
        title = " ".join(("icp", *path))
        parts.append(f"## `{title}`\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover - the documented way to refresh docs/cli.md
    import sys

    sys.stdout.write(render_reference())
