"""Applying an ICP at scale: in-process (polars), in the warehouse (SQL), and back to the CRM.

The scoring rules live in the :mod:`icpkit.icp` module docstring; every engine here implements
them with the same arithmetic (see :mod:`icpkit.scoring.plan`) and tests prove they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.scoring.asof import DataAsOf, infer_as_of, latest_date, stale_dates_note
    from icpkit.scoring.engine import calibration_table, score, score_lazy
    from icpkit.scoring.explain import decode, expand_reasons
    from icpkit.scoring.plan import OUTPUT_COLUMNS, QUADRANTS
    from icpkit.scoring.result import ScoreResult, score_file, summarize
    from icpkit.scoring.sql import DIALECTS, compile_sql

# Public name → defining module, loaded on first access (PEP 562):
# the SQL compiler needs sqlglot, in-process scoring does not.
_LAZY = {
    **dict.fromkeys(
        ("DataAsOf", "infer_as_of", "latest_date", "stale_dates_note"), "icpkit.scoring.asof"
    ),
    **dict.fromkeys(("calibration_table", "score", "score_lazy"), "icpkit.scoring.engine"),
    **dict.fromkeys(("decode", "expand_reasons"), "icpkit.scoring.explain"),
    **dict.fromkeys(("OUTPUT_COLUMNS", "QUADRANTS"), "icpkit.scoring.plan"),
    **dict.fromkeys(("ScoreResult", "score_file", "summarize"), "icpkit.scoring.result"),
    **dict.fromkeys(("DIALECTS", "compile_sql"), "icpkit.scoring.sql"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "DIALECTS",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "DataAsOf",
    "ScoreResult",
    "calibration_table",
    "compile_sql",
    "decode",
    "expand_reasons",
    "infer_as_of",
    "latest_date",
    "score",
    "score_file",
    "score_lazy",
    "stale_dates_note",
    "summarize",
]
