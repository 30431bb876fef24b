"""Rendering for output that is read later: files, CI logs, pipes.

A terminal has a width, so rich fits tables to it. A file or a CI log has none, and fitting to
rich's fallback of 80 columns cuts cells ("in-sam…") or folds words mid-word ("behavio/ural").
:class:`OutputConsole` keeps terminal output as it is and, when the output is not a terminal,
prints each table at its natural width and plain text without inserted line breaks.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

# Measuring against this width gives a table's natural (unwrapped) width.
UNBOUNDED = 100_000


class OutputConsole(Console):
    """A rich console that never cuts or mid-word-wraps tables when not writing to a terminal."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if self.is_terminal or kwargs.get("width") is not None:
            super().print(*objects, **kwargs)
            return
        tables = [o for o in objects if isinstance(o, Table)]
        if not tables:
            if all(isinstance(o, str) for o in objects):
                kwargs.setdefault("soft_wrap", True)  # a log line stays one line
            super().print(*objects, **kwargs)
            return
        options = self.options.update_width(UNBOUNDED)
        natural = max(Measurement.get(self, options, t).maximum for t in tables)
        if natural <= self.width:
            super().print(*objects, **kwargs)
            return
        saved = self._width
        self.width = natural  # print() caps any requested width at the console's own
        # A centred title over a table 1,000 characters wide (icp score's reasons column) is a
        # line of 500 spaces before "top 20 accounts": titles of widened tables go left.
        for t in tables:
            if t.title_justify == "center":
                t.title_justify = "left"
        try:
            super().print(*objects, **kwargs)
        finally:
            self._width = saved


__all__ = ["UNBOUNDED", "OutputConsole"]
