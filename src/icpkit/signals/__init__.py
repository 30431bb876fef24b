"""Timing signals over time: hiring, leadership changes, funding and stack changes.

The ICP says *who* to sell to; timing signals say *when*. ``collect`` reads open roles from
public job boards and careers pages (and the technologies on the same home pages) into a
:class:`SignalsStore`, an append-only DuckDB history with one timeline per account;
``import_contacts`` adds a contacts snapshot (leadership changes), ``import_rounds`` a rounds
file (funding), ``record_stack`` the output of ``icp enrich``. ``signal_columns`` turns the
history into one row per account of derived columns as of a date, which ``icp discover`` and
``icp score`` read as behavioural and timing traits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:
    from icpkit.signals.collect import CollectConfig, CollectReport, collect
    from icpkit.signals.export import (
        COLUMN_DOCS,
        ExportResult,
        column_metadata,
        join_accounts,
        signal_columns,
        write_signals,
    )
    from icpkit.signals.funding import FundingReport, import_rounds, match_rounds
    from icpkit.signals.hiring import FeedError, Posting, parse_feed
    from icpkit.signals.leadership import import_contacts, new_leaders
    from icpkit.signals.stack import record_stack, tech_changes, tech_history
    from icpkit.signals.store import SignalsStore, account_key

_LAZY = {
    **dict.fromkeys(("CollectConfig", "CollectReport", "collect"), "icpkit.signals.collect"),
    **dict.fromkeys(
        (
            "COLUMN_DOCS",
            "ExportResult",
            "column_metadata",
            "join_accounts",
            "signal_columns",
            "write_signals",
        ),
        "icpkit.signals.export",
    ),
    **dict.fromkeys(("FundingReport", "import_rounds", "match_rounds"), "icpkit.signals.funding"),
    **dict.fromkeys(("FeedError", "Posting", "parse_feed"), "icpkit.signals.hiring"),
    **dict.fromkeys(("import_contacts", "new_leaders"), "icpkit.signals.leadership"),
    **dict.fromkeys(("record_stack", "tech_changes", "tech_history"), "icpkit.signals.stack"),
    **dict.fromkeys(("SignalsStore", "account_key"), "icpkit.signals.store"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), submodules=True)

__all__ = [
    "COLUMN_DOCS",
    "CollectConfig",
    "CollectReport",
    "ExportResult",
    "FeedError",
    "FundingReport",
    "Posting",
    "SignalsStore",
    "account_key",
    "collect",
    "column_metadata",
    "import_contacts",
    "import_rounds",
    "join_accounts",
    "match_rounds",
    "new_leaders",
    "parse_feed",
    "record_stack",
    "signal_columns",
    "tech_changes",
    "tech_history",
    "write_signals",
]
