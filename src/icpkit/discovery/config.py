"""The knobs of discovery's search, with the defaults icp discover uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the subgroup search; defaults are what ``icp discover`` uses."""

    max_segments: int = 3
    max_depth: int = 3
    beam_width: int = 20
    min_support: float = 0.02
    min_best: int = 20
    # The chance of claiming any signal at all when the outcomes are unrelated to the attributes
    # is 5%, one budget split by a union bound. The search's families (a segment, a disqualifier
    # or a timing signal) get ``alpha``: disqualifiers and timing signals 14% of it each
    # (0.00504: their max-T test over ``trait_permutations`` = 199 shuffles cannot go below
    # 1/200), segments the rest (0.0259: their search re-run on ``max_permutations`` = 39
    # shuffles cannot go below 1/40). A points table that is not flat (a fit score that ranks
    # accounts) gets the rest, the level of the scorecard's gate
    # (icpkit.discovery.scorecard.ALPHA): 0.036 + 0.014 = 0.05.
    alpha: float = 0.036
    merge_overlap: float = 0.5
    max_nice: int = 4
    max_disqualifiers: int = 5
    max_timing: int = 4
    # Segments say who a company is; behavioural traits say when to reach it (timing signals and
    # nice-to-haves), so by default they do not define segments.
    segment_layers: tuple[str, ...] = ("firmographic", "technographic")
    prune_alpha: float = 0.01
    # A segment must at least this many times the base rate of best customers: a group that is
    # merely somewhat better than average is not an ideal customer.
    min_lift: float = 1.5
    # A disqualifier ranks its accounts below every qualified one, so it must be close to a deal
    # breaker: among accounts with the trait, best customers at most this share of the base rate.
    # Milder anti-signals cost points in the scorecard instead.
    disqualifier_max_lift: float = 1 / 3
    # Permutation calibration (see icpkit.discovery.significance.PermutationConfig for their meaning).
    max_permutations: int = 39
    stop_after: int = 3
    trait_permutations: int = 199
    shortcut: float = 1e-3
    seed: int = 20240611
    # Share of alpha per family (segments get the rest).
    disqualifier_share: float = 0.14
    timing_share: float = 0.14
    # A timing signal most accounts meet tells a seller nothing about when to call.
    timing_max_share: float = 0.5
    timing_max_best_share: float = 0.9


__all__ = ["SearchConfig"]
