"""The shared Typer app and consoles; command modules import from here."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="icp",
    help="Evidence-based Ideal Customer Profiles: discover, validate, score and explain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

__all__ = ["app", "console", "err_console", "escape"]
