"""The ``icp`` command line: a thin layer that parses arguments, calls the library and renders.

Each command group lives in its own module and registers itself on the one Typer app.
"""

from __future__ import annotations

import gc
import sys
import warnings

import typer

from icpkit.cli import _app
from icpkit.cli._app import app, console, err_console, escape
from icpkit.errors import IcpkitError

# Command modules register their commands on import; the order is the order in `icp --help`.
from icpkit.cli import discover as _discover  # noqa: F401  isort: skip
from icpkit.cli import score as _score  # noqa: F401  isort: skip
from icpkit.cli import tech as _tech  # noqa: F401  isort: skip
from icpkit.cli import living as _living  # noqa: F401  isort: skip
from icpkit.cli import people as _people  # noqa: F401  isort: skip
from icpkit.cli import source as _source  # noqa: F401  isort: skip
from icpkit.cli import signals as _signals  # noqa: F401  isort: skip
from icpkit.cli import interviews as _interviews  # noqa: F401  isort: skip


# Library messages name Python parameters; at the command line the user needs the flag.
_FLAG_WORDING = (
    ("pass missing='unknown'", "pass --missing unknown"),
    ("pass strict=False", "pass --lenient"),
)


def cli_message(exc: BaseException) -> str:
    """One line for the terminal: the error's text with Python parameters named as CLI flags."""
    text = str(exc).strip() or type(exc).__name__
    for python, flag in _FLAG_WORDING:
        text = text.replace(python, flag)
    return " ".join(text.split())


def _fail(message: str, code: int) -> None:
    err_console.print(f"[bold red]error:[/] {_app.escape(message)}", soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Entry point of the ``icp`` script: every failure becomes one line and an exit code.

    Errors exit 1 (an unusable input, an invalid ICP file, a read-only or full output directory,
    the network); usage mistakes exit 2, as click does for a bad option (a file that does not
    exist, an output that exists without ``--force`` or would overwrite an input, a format icpkit
    cannot read, a bad flag value); Ctrl-C exits 130.
    No traceback reaches the user: an unexpected exception is reported in one line too, and so
    is a warning (``note:`` / ``warning:``, never Python's file-and-source lines).
    """
    with warnings.catch_warnings():  # restores the caller's hook (tests call main in-process)
        warnings.showwarning = _show_warning
        _main()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """A warning is one line on stderr, never Python's two lines of file, number and source:
    icpkit's reading notices (number conventions) as ``note:``, anything else as ``warning:``."""
    from icpkit.columns.parsing import NumberConventionWarning

    if issubclass(category, NumberConventionWarning):
        err_console.print(f"note: {escape(str(message))}", soft_wrap=True)
    else:
        err_console.print(f"warning: {escape(str(message))}", soft_wrap=True)


def _main() -> None:
    try:
        # Non-standalone mode returns a command's exit code instead of exiting: pass it on.
        code = app(standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into Exit(130): said as the handler below says it
            err_console.print("aborted")
        if isinstance(code, int) and code:
            sys.exit(code)
    except IcpkitError as exc:
        _fail(cli_message(exc), int(getattr(exc, "exit_code", 1)))
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except SystemExit:
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _fail(f"{where}{exc.strerror or exc}", 1)
    except Exception as exc:
        # Usage errors (bad option values) arrive here in non-standalone mode. Typer vendors
        # click, so match the click exception protocol rather than one class path.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        _fail(f"unexpected {type(exc).__name__}: {cli_message(exc)} (please report this)", 1)


def run() -> None:
    """The ``icp`` script: :func:`main`, then a quick exit.

    After scikit-learn, SciPy and pandas were imported, the cyclic collector's sweeps while the
    interpreter tears them down cost ~0.2-0.4 s of every such command. The process is ending,
    so its objects are frozen out of the collector first (tests call :func:`main` in-process and
    keep collecting).
    """
    try:
        main()
    finally:
        gc.freeze()


__all__ = ["app", "cli_message", "console", "err_console", "main", "run"]
