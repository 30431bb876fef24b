"""Discovery: from labelled customers to segments, disqualifiers, timing signals and a points
model.
"""

from __future__ import annotations

from icpkit.discovery.config import SearchConfig
from icpkit.discovery.profile import Discovery, discover, evidence_table
from icpkit.discovery.search import FoundSegment, Subgroup, beam_search, prune, quality, refine
from icpkit.discovery.weights import BONUS_MIN_ACCOUNTS, TIER_ODDS, fit_weights, tier_thresholds

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
