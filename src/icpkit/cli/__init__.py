"""The ``icp`` command line: a thin layer that parses arguments, calls the library and renders.

Each command group lives in its own module and registers itself on the one Typer app.
"""

from __future__ import annotations

import sys

import typer

from icpkit.cli import _app
from icpkit.cli._app import app, console, err_console
from icpkit.errors import IcpkitError

# Command modules register their commands on import; the order is the order in `icp --help`.
from icpkit.cli import discover as _discover  # noqa: F401  isort: skip
from icpkit.cli import score as _score  # noqa: F401  isort: skip
from icpkit.cli import tech as _tech  # noqa: F401  isort: skip
from icpkit.cli import living as _living  # noqa: F401  isort: skip
from icpkit.cli import people as _people  # noqa: F401  isort: skip


def main() -> None:
    """Entry point of the ``icp`` script: maps library errors to a clear message and exit 2."""
    try:
        # Non-standalone mode returns a command's exit code instead of exiting: pass it on.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except IcpkitError as exc:
        err_console.print(f"[bold red]error:[/] {_app.escape(str(exc))}")
        sys.exit(2)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors (bad option values) arrive here in non-standalone mode. Typer vendors
        # click, so match the click exception protocol rather than one class path.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


__all__ = ["app", "console", "err_console", "main"]
