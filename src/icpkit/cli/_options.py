"""Options several commands share, defined once so their flag, help and parsing agree."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` flag value; anything else is a usage error naming the expected form."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def day_option(flag: str, help: str) -> typer.models.OptionInfo:
    """A ``--flag YYYY-MM-DD`` option parsed into a :class:`datetime.date`."""
    return typer.Option(flag, parser=parse_day, metavar="YYYY-MM-DD", help=help)


IcpOpt = Annotated[Path, typer.Option("--icp", help="The ICP file (icp.yaml).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
AsOfOpt = Annotated[
    date | None, day_option("--as-of", "Reference date for timing windows (default: today).")
]
TodayOpt = Annotated[date | None, day_option("--today", "Treat this date as today.")]
RawCellsOpt = Annotated[
    bool,
    typer.Option(
        "--raw-cells",
        help="Write CSV/Excel cells verbatim: no ' before cells starting with = + - @ "
        "(formula-injection guard off).",
    ),
]

__all__ = ["AsOfOpt", "ForceOpt", "IcpOpt", "RawCellsOpt", "TodayOpt", "day_option", "parse_day"]
