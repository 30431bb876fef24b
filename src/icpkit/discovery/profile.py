"""discover(): the whole ICP from labelled customers: disqualifiers first, then segments by
sequential covering, timing signals, and the points model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from icpkit.columns.infer import artefact_warning
from icpkit.columns.schema import Schema
from icpkit.criteria import Criterion, GivenOthers
from icpkit.discovery.config import SearchConfig
from icpkit.discovery.disqualifiers import confirm_disqualifiers, find_disqualifiers
from icpkit.discovery.masks import criteria_mask, possible_mask, with_evidence
from icpkit.discovery.search import sequential_covering
from icpkit.discovery.segments import (
    merge_segments,
    nice_to_haves,
    segment_messaging,
    segment_name,
    segment_value,
)
from icpkit.discovery.timing import find_timing
from icpkit.discovery.traits import TraitConfig, TraitSet, build_traits
from icpkit.discovery.weights import fit_weights
from icpkit.evidence import TraitStats, trait_stats
from icpkit.icp import (
    ICP,
    OutcomeDefinition,
    Scoring,
    Segment,
    SegmentEvidence,
    Source,
)
from icpkit.outcomes import Outcomes

if TYPE_CHECKING:
    from icpkit.discovery.search import FoundSegment


@dataclass
class Discovery:
    """Everything discovery learnt, beyond the ICP itself (for reports and validation)."""

    icp: ICP
    traits: TraitSet
    stats: TraitStats
    evidence_table: pl.DataFrame
    segments_found: list[FoundSegment]
    evaluated: int
    warnings: list[str] = field(default_factory=list)


def discover(
    frame: pl.DataFrame,
    schema: Schema,
    outcomes: Outcomes,
    *,
    search: SearchConfig | None = None,
    traits: TraitConfig | None = None,
    category_map: Mapping[str, Sequence[str]] | None = None,
    name: str = "Ideal Customer Profile",
    review_days: int = 365,
    source_file: str | Path | None = None,
    today: date | None = None,
) -> Discovery:
    """Discover segments, disqualifiers, timing signals and scoring weights."""
    cfg = search or SearchConfig()
    today = today or date.today()
    best, worst = outcomes.best, outcomes.worst
    # No outcome-ordered value groups: a trait built by looking at the outcome would escape the
    # calibration below. Value sets are grown by refinement, which the calibration re-runs.
    ts = build_traits(
        frame, schema, best=None, category_map=category_map, config=traits, as_of=today
    )
    warnings = list(outcomes.warnings)
    st = trait_stats(ts.has, ts.known, best, worst)
    rng = np.random.default_rng(cfg.seed)

    # Anti-signals first: disqualified accounts are out before any segment is sought, so a
    # segment never has to spell out "not on-prem" to look good.
    disq = find_disqualifiers(frame, ts, best, worst, st, cfg, rng)
    disqualified = np.zeros(frame.height, dtype=bool)
    for c in disq:
        disqualified |= criteria_mask(frame, [c], as_of=today)
    found, total_eval = _find_segments(frame, ts, best, worst, st, disqualified, cfg)
    disq = confirm_disqualifiers(frame, disq, found, best, worst, as_of=today)

    # Timing: dated events whose recency raises the share of best customers.
    timing = find_timing(ts, st, best, worst, disq, cfg, rng)
    segments = _segments(frame, schema, outcomes, ts, st, found, cfg, warnings, disqualified)
    icp = ICP(
        name=name,
        version=1,
        created=today,
        review_by=date.fromordinal(today.toordinal() + review_days),
        source=Source(
            file=str(source_file) if source_file else None,
            rows=frame.height,
            sha256=_sha256(source_file),
            fitted=today,
        ),
        outcomes=OutcomeDefinition(**outcomes.describe()),
        columns={
            k: v
            for k, v in (("id", schema.id), ("domain", schema.domain), ("name", schema.name))
            if v
        },
        segments=segments,
        disqualifiers=[with_evidence(frame, c, best, worst, st, as_of=today) for c in disq],
        scoring=Scoring(timing=timing),
    )
    icp = fit_weights(icp, frame, best, worst, traits=ts, stats=st, random_state=cfg.seed)
    warnings += _verdicts(icp, segments)
    table = evidence_table(ts, st)
    return Discovery(icp, ts, st, table, found, total_eval, warnings)


def _find_segments(
    frame: pl.DataFrame,
    ts: TraitSet,
    best: np.ndarray,
    worst: np.ndarray,
    st: TraitStats,
    disqualified: np.ndarray,
    cfg: SearchConfig,
) -> tuple[list[FoundSegment], int]:
    """Sequential covering over the segment layers, every step calibrated on shuffled
    outcomes, then overlapping segments merged; returns them and the conjunctions evaluated."""
    seg_idx = np.array(
        [
            i
            for i, c in enumerate(ts.criteria)
            # Date windows measure time, not who a company is: they are points and timing.
            if (c.layer or "firmographic") in cfg.segment_layers and ts.kinds[i] != "recent"
        ],
        dtype=np.int64,
    )
    found, total_eval = sequential_covering(frame, ts, seg_idx, best, worst, st, disqualified, cfg)
    return merge_segments(frame, found, best, worst, st, cfg), total_eval


def _segments(
    frame: pl.DataFrame,
    schema: Schema,
    outcomes: Outcomes,
    ts: TraitSet,
    st: TraitStats,
    found: list[FoundSegment],
    cfg: SearchConfig,
    warnings: list[str],
    disqualified: np.ndarray,
) -> list[Segment]:
    """The ICP's segments from what the search found: musts with evidence (and what each adds
    to the others), nice-to-haves, value and messaging; artefact warnings and idle must-haves
    are appended to ``warnings``."""
    best, worst = outcomes.best, outcomes.worst
    p_all = float(best.mean())
    segments: list[Segment] = []
    outside = ~disqualified  # the accounts the search looked among, as it set segments aside
    for i, fs in enumerate(found):
        inside = fs.cover
        nice = nice_to_haves(ts, inside, best, worst, fs.criteria, cfg)
        musts, idle = _given_others(
            frame,
            [with_evidence(frame, c, best, worst, st) for c in fs.criteria],
            best,
            outside,
            [s.id for s in segments],
        )
        warnings.extend(f"seg-{i + 1}: {n}" for n in idle)
        outside = outside & ~possible_mask(frame, musts)
        note = artefact_warning(musts, schema)
        if note:
            warnings.append(f"seg-{i + 1}: {note}")
        nb, nn = int((inside & best).sum()), int(inside.sum())
        seg_ev = SegmentEvidence(
            accounts=nn,
            best=nb,
            worst=int((inside & worst).sum()),
            best_rate=nb / max(nn, 1),
            base_rate=p_all,
            lift=(nb / max(nn, 1)) / max(p_all, 1e-12),
            p_value=fs.p_value,
            share_of_best=nb / max(int(best.sum()), 1),
        )
        value = segment_value(frame, schema, inside, outcomes)
        segments.append(
            Segment(
                id=f"seg-{i + 1}",
                name=segment_name(musts),
                summary=None,
                must=musts,
                nice=nice,
                evidence=seg_ev,
                value=value,
                messaging=segment_messaging(musts, nice, value),
            )
        )
    return segments


def _given_others(
    frame: pl.DataFrame,
    musts: list[Criterion],
    best: np.ndarray,
    outside: np.ndarray | None = None,
    earlier: Sequence[str] = (),
) -> tuple[list[Criterion], list[str]]:
    """Each must-have's evidence with what it adds to the segment's other must-haves (see
    :class:`icpkit.criteria.GivenOthers`), and a caveat on one that adds nothing there.

    Sequential covering picks a segment among the accounts ``outside`` the ``earlier`` ones
    (and not disqualified), so a must-have can earn its place only there: on the Telco export
    seg-2's "monthly charges < $75" (73% best with it, 77% without, given its other
    must-haves) separates it from seg-1. The ICP file applies every segment to every account,
    so the reader must know. Returns the must-haves and one note per idle one; a segment of
    one must-have has no others.
    """
    if len(musts) < 2:
        return musts, []
    met = [criteria_mask(frame, [c]) for c in musts]
    out: list[Criterion] = []
    notes: list[str] = []
    for i, c in enumerate(musts):
        if c.evidence is None:
            out.append(c)
            continue
        others = np.logical_and.reduce([m for j, m in enumerate(met) if j != i])
        w, wo = others & met[i], others & ~met[i]
        g = GivenOthers(
            accounts_with=int(w.sum()),
            best_with=int((w & best).sum()),
            accounts_without=int(wo.sum()),
            best_without=int((wo & best).sum()),
        )
        update: dict[str, object] = {"given_others": g}
        if g.accounts_without and not g.rate_with > g.rate_without:
            note = (
                f"does not raise the share of best among accounts meeting the other must-haves "
                f"({g.rate_with:.0%} with it, {g.rate_without:.0%} without)"
            )
            if earlier and outside is not None:
                w, wo = w & outside, wo & outside
                if w.any() and wo.any() and best[w].mean() > best[wo].mean():
                    note += (
                        f"; it was chosen among accounts outside {', '.join(earlier)}, where it "
                        f"does ({best[w].mean():.0%} against {best[wo].mean():.0%})"
                    )
            notes.append(f"must-have '{c.describe()}' {note}")
            update["caveat"] = "; ".join(x for x in (c.evidence.caveat, note) if x)
        out.append(c.model_copy(update={"evidence": c.evidence.model_copy(update=update)}))
    return out, notes


def _verdicts(icp: ICP, segments: list[Segment]) -> list[str]:
    """Plain warnings when the points model or the segment search found nothing."""
    out = []
    if not icp.scoring.points and not any(s.bonus for s in icp.segments):
        out.append(
            "no trait predicts the best customers out of sample (cross-validated points "
            "model): every qualified account gets the base rate as its fit score"
        )
    if not segments:
        out.append(
            "no segment passed the significance test (the whole search, refinements included, "
            "calibrated on shuffled outcomes): no group of accounts stands out from the base "
            "rate by more than chance (or there are too few best customers)"
        )
    return out


def evidence_table(ts: TraitSet, st: TraitStats) -> pl.DataFrame:
    """Every trait tried, with its statistics: the raw material behind each criterion."""
    return pl.DataFrame(
        {
            "layer": [c.layer for c in ts.criteria],
            "column": ts.columns,
            "trait": [c.describe() for c in ts.criteria],
            "kind": ts.kinds,
            "best_share": st.best_share,
            "worst_share": st.worst_share,
            "all_share": st.all_share,
            "lift": st.lift,
            "odds_ratio": st.odds_ratio,
            "ci_low": st.ci_low,
            "ci_high": st.ci_high,
            "p_value": st.p_value,
            "q_value": st.q_value,
            "n": st.n,
            "n_best": st.n_best,
            "n_worst": st.n_worst,
        },
        strict=False,
    ).sort("q_value")


def _sha256(path: str | Path | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        return None
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["Discovery", "discover", "evidence_table"]
