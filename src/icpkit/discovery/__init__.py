"""Discovery: from labelled customers to segments, disqualifiers, timing signals and a points
model.

Public names load on first use: the search and the points model pull in SciPy and
scikit-learn, which a worker process or ``icp --help`` should not wait for just to read
:class:`SearchConfig` (see :mod:`icpkit._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:
    from icpkit.discovery.config import SearchConfig
    from icpkit.discovery.profile import Discovery, discover, evidence_table
    from icpkit.discovery.search import FoundSegment, Subgroup, beam_search, prune, quality, refine
    from icpkit.discovery.weights import (
        BONUS_MIN_ACCOUNTS,
        TIER_ODDS,
        fit_weights,
        tier_thresholds,
    )

_EXPORTS = {
    "SearchConfig": "icpkit.discovery.config",
    **dict.fromkeys(("Discovery", "discover", "evidence_table"), "icpkit.discovery.profile"),
    **dict.fromkeys(
        ("FoundSegment", "Subgroup", "beam_search", "prune", "quality", "refine"),
        "icpkit.discovery.search",
    ),
    **dict.fromkeys(
        ("BONUS_MIN_ACCOUNTS", "TIER_ODDS", "fit_weights", "tier_thresholds"),
        "icpkit.discovery.weights",
    ),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), submodules=True)

__all__ = [
    "BONUS_MIN_ACCOUNTS",
    "TIER_ODDS",
    "Discovery",
    "FoundSegment",
    "SearchConfig",
    "Subgroup",
    "beam_search",
    "discover",
    "evidence_table",
    "fit_weights",
    "prune",
    "quality",
    "refine",
    "tier_thresholds",
]
