"""Applying an ICP at scale: in-process (polars), in the warehouse (SQL), and back to the CRM.

The scoring rules live in the :mod:`icpkit.icp` module docstring; every engine here implements
them with the same arithmetic (see :mod:`icpkit.scoring.plan`) and tests prove they agree.
"""

from __future__ import annotations

from icpkit.scoring.engine import calibration_table, score, score_lazy
from icpkit.scoring.explain import decode, expand_reasons
from icpkit.scoring.plan import OUTPUT_COLUMNS, QUADRANTS
from icpkit.scoring.result import ScoreResult, score_file, summarize
from icpkit.scoring.sql import DIALECTS, compile_sql

__all__ = [
    "DIALECTS",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "ScoreResult",
    "calibration_table",
    "compile_sql",
    "decode",
    "expand_reasons",
    "score",
    "score_file",
    "score_lazy",
    "summarize",
]
