"""The shared Typer app and consoles; command modules import from here."""

from __future__ import annotations

import typer
from rich.markup import escape

from icpkit.cli._render import OutputConsole

app = typer.Typer(
    name="icp",
    help="Evidence-based Ideal Customer Profiles: discover, validate, score and explain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables are printed whole (not cut to 80 columns) when output is a file, CI log or pipe.
console = OutputConsole()
err_console = OutputConsole(stderr=True)


def _show_version(value: bool) -> None:
    if value:
        from icpkit import __version__

        console.print(f"icpkit {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Show the icpkit version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
) -> None:
    """Evidence-based Ideal Customer Profiles: discover, validate, score and explain."""


__all__ = ["app", "console", "err_console", "escape"]
