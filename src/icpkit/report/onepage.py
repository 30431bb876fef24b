"""The one-page ICP as data: what the page says, before any HTML, Markdown or slide is drawn.

The page answers, per segment and in plain words: who they are, why they are worth it, how to
recognise one (a checklist, strongest first), what to say, and (only when asked) example
accounts; and for the whole ICP: who not to sell to and why, when to call, who to talk to, and
how sure we are. Statistics stay in the appendix; on the page, confidence is one word (see
:mod:`icpkit.report.confidence`). Every renderer (:mod:`~icpkit.report.html`,
:mod:`~icpkit.report.markdown`, :mod:`~icpkit.report.slides`) reads this one model, so the
formats cannot drift apart.

Lengths are capped (:data:`LIMITS`) so that up to :data:`MAX_SEGMENTS` segments fit on one A4 or
Letter page; what is cut is counted and the appendix has it all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from icpkit.criteria import Criterion
from icpkit.icp import ICP, TIER_WORDS, Persona, Segment
from icpkit.report.confidence import (
    RANK,
    Confidence,
    criterion_confidence,
    segment_confidence,
)
from icpkit.report.messaging import Pointer, messaging_pointers, real_difference
from icpkit.report.plain import criterion_text, proper, segment_phrase, segment_title

#: Segments drawn on the page; more are listed by name and detailed in the appendix.
MAX_SEGMENTS = 3
#: How many lines each part of the page may take.
LIMITS = {
    "checklist": 5,
    "worth": 3,
    "pointers": 3,
    "disqualifiers": 4,
    "timing": 3,
    # With customer interviews a card also says "In their words". "What to say" keeps two
    # pointers (the strongest interview theme first, then the data's), and "In their words"
    # quotes the next themes: two on a page of one or two segments, one on a page of three,
    # so that three segments still fit one page at the normal type size.
    "their_words": 2,
    "their_words_three_segments": 1,
    "pointers_with_interviews": 2,
}
#: Example accounts per segment shown on the page at most, whatever ``--examples`` asks.
MAX_EXAMPLES_ON_PAGE = 5


@dataclass(frozen=True)
class CheckItem:
    """One line of a checklist: the test in plain words, a confidence word and a reason."""

    text: str
    confidence: Confidence
    reason: str = ""
    optional: bool = False


@dataclass(frozen=True)
class SegmentCard:
    """Everything the page says about one segment."""

    id: str
    name: str  # the heading: a name a person gave, else the plain phrase (see report.plain)
    who: str
    confidence: Confidence
    worth: list[str]
    checklist: list[CheckItem]
    pointers: list[Pointer]
    personas: list[str]
    examples: list[str]
    more_criteria: int = 0


@dataclass(frozen=True)
class OnePage:
    """The page: a title line, one card per segment, and what applies to every segment."""

    title: str
    subtitle: str
    segments: list[SegmentCard]
    hidden_segments: list[str]
    disqualifiers: list[CheckItem]
    timing: list[CheckItem]
    personas: list[str]
    how_sure: str
    definitions: str
    examples_asked: int = 0
    insights: dict[str, Any] = field(default_factory=dict)


# -- wording ---------------------------------------------------------------------------------


def _ratio_words(x: float) -> str:
    if x >= 1.95:
        return f"{x:.1f} times as likely as average"
    return f"{(x - 1) * 100:.0f}% more likely than average"


def who_sentence(seg: Segment, total: int | None = None) -> str:
    """Who they are, as a salesperson would say it: the must-haves and how much they matter.

    Under a heading that already is the plain phrase (a segment discovery named), the sentence
    gives the size and the odds; under a name a person gave, it says what the name means.
    """
    ev = seg.evidence
    phrase = segment_phrase(seg)
    if ev is None:
        return f"{phrase}."
    odds = f"{_ratio_words(ev.lift)} to become a best customer."
    if segment_title(seg) == phrase:
        share = f" ({ev.accounts / total:.0%} of ours)" if total else ""
        return f"{ev.accounts:,} accounts{share}, {odds}"
    share = f" ({ev.accounts / total:.0%} of our accounts)" if total else ""
    return f"{phrase}: {ev.accounts:,} of them{share}, {odds}"


_ORDER = ("value", "retention", "sales_cycle", "expansion", "onboarding", "support")


def worth_lines(seg: Segment) -> list[str]:
    """Why they are worth it: value, retention, cycle and expansion against everyone else.

    Only real differences are listed: the segment's figure and everyone else's must be at least
    :data:`~icpkit.report.messaging.MIN_RELATIVE_GAIN` (25%) of the larger one apart, the rule
    the messaging pointers use, so the page never offers "3% against 3%" as a reason.
    """
    shown = [v for v in seg.value if real_difference(v)]
    ranked = sorted(
        (v for v in shown if v.unit != "share"),
        key=lambda v: _ORDER.index(v.kind) if v.kind in _ORDER else len(_ORDER),
    )
    out = [f"{v.phrase()} for everyone else" for v in ranked]
    for v in shown:
        if v.unit == "share" and v.metric == "worst customers":
            out.append(f"{v.segment:.0%} end up among the worst customers, against {v.others:.0%}")
        elif v.unit == "share" and v.metric == "best customers":
            out.append(f"{v.segment:.0%} become best customers, against {v.others:.0%}")
    return out


def _reason(c: Criterion, role: str) -> str:
    ev = c.evidence
    if ev is None:
        return "set by hand"
    if role == "disqualifier":
        return f"{ev.worst_share:.0%} of our worst customers, {ev.best_share:.0%} of our best"
    if role == "timing":
        return f"{ev.best_share:.0%} of best customers showed it, {ev.worst_share:.0%} of the worst"
    return f"{ev.best_share:.0%} of best customers, {ev.worst_share:.0%} of the worst"


def _strength(c: Criterion) -> tuple[int, float]:
    ev = c.evidence
    sep = abs(math.log(max(ev.odds_ratio, 1e-9))) if ev is not None else 0.0
    return (RANK[criterion_confidence(ev)], -sep)


def _items(criteria: Sequence[Criterion], role: str, optional: bool = False) -> list[CheckItem]:
    ordered = sorted(criteria, key=_strength)  # strongest first; sorted() keeps file order on ties
    return [
        CheckItem(criterion_text(c), criterion_confidence(c.evidence), _reason(c, role), optional)
        for c in ordered
    ]


def _persona_line(p: Persona) -> str:
    titles = ", ".join(p.example_titles[:3])
    role = f" — {p.deal_role}" if p.deal_role else ""
    what = f"{p.seniority} of {p.department}".strip()
    return f"{what[:1].upper()}{what[1:]}{f' ({titles})' if titles else ''}{role}"


def how_sure_line(validation: Mapping[str, Any]) -> str:
    """One line: 'validated on 17,727 past accounts (held out): picks 48% of … screens out …'."""
    for key, how in (
        ("time_split", "on later accounts it never saw"),
        ("kfold", "out of sample"),
        ("in_sample", "on the data it was fitted on"),
    ):
        m = validation.get(key) if validation else None
        if m and m.get("accounts"):
            line = (
                f"Validated on {m['accounts']:,} past accounts, {how}: picks "
                f"{m.get('recall', 0):.0%} of the best customers and screens out "
                f"{m.get('worst_screened_out', 0):.0%} of the worst"
            )
            if m.get("top_tier_lift"):
                line += f"; tier A is {m['top_tier_lift']:.1f}x as rich in best customers"
            return line + "."
    return "Not validated yet: treat it as a hypothesis until it has been checked on past deals."


_COMPOSITE = re.compile(
    r"top (?P<share>\d+%) of an outcome composite \(mean percentile rank of (?P<metrics>.*)\)"
    r"(?P<rest>(?: among .*)?)$"
)


def _composite_words(text: str) -> str:
    """The outcome composite as a reader says it: "the top 20% on ARR, expansion and low
    support tickets combined", not "mean percentile rank of … (higher is better)"."""
    m = _COMPOSITE.match(text)
    if m is None:
        return text
    items = re.findall(r"([^,()]+?) \((higher|lower) is better\)", m["metrics"])
    if not items:
        return text
    names = [
        ("low " if how == "lower" else "") + proper(name.strip().replace("_", " "))
        for name, how in items
    ]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    together = " combined" if len(names) > 1 else ""
    return f"the top {m['share']} on {listed}{together}{m['rest'] or ''}"


def _definition(text: str) -> str:
    text = _composite_words(text.strip()).replace("_", " ")
    text = text.replace("of the composite", "on the same measures")
    text = re.sub(r"\s*\(n=[\d,]+\)", "", text)
    text = re.sub(
        r"\bin \[([^\]]*)\]",
        lambda m: " or ".join(v.strip().strip("'\"") for v in m.group(1).split(",")),
        text,
    )
    return text.strip()


# -- examples --------------------------------------------------------------------------------


def example_accounts(icp: ICP, accounts: pl.DataFrame, segment_id: str, n: int) -> list[str]:
    """The ``n`` most typical qualified tier-A accounts of one segment, by name.

    Only accounts the ICP itself scores tier A, not disqualified and assigned to this segment
    are candidates (the table is re-scored with ``icp``, so a stale score column cannot leak a
    tier-D account in). Typical means closest to the segment's centroid: each candidate's
    profile is the criteria of the scorecard and the segment (met 1, failed 0, unknown ½), and
    the distance is the L1 distance to the candidates' mean profile. Ties go to more complete
    data, then the higher fit score, then the name (a stable order).
    """
    return _typical(icp, _scored_frame(icp, accounts), segment_id, n)


def _typical(icp: ICP, frame: pl.DataFrame, segment_id: str, n: int) -> list[str]:
    """:func:`example_accounts` on a frame :func:`_scored_frame` already prepared."""
    cand = frame.filter(
        (pl.col("__tier") == "A")
        & ~pl.col("__disqualified").fill_null(True)
        & (pl.col("__segment") == segment_id)
    )
    if cand.height == 0 or n <= 0:
        return []
    seg = next(s for s in icp.segments if s.id == segment_id)
    crit = _distinct([*seg.must, *seg.nice, *icp.scoring.points])
    prof = [
        pl.when(c.expr()).then(1.0).when(~c.expr()).then(0.0).otherwise(0.5).alias(f"__p{i}")
        for i, c in enumerate(crit)
        if c.column in cand.columns and (c.before is None or c.before in cand.columns)
    ]
    cand = cand.with_columns(prof) if prof else cand.with_columns(pl.lit(0.0).alias("__p0"))
    pcols = [c for c in cand.columns if c.startswith("__p")]
    dist = pl.sum_horizontal([(pl.col(c) - pl.col(c).mean()).abs() for c in pcols])
    ranked = cand.with_columns(dist.round(9).alias("__dist")).sort(
        ["__dist", "__complete", "__fit", "__name"],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    return [str(v) for v in ranked["__name"].head(n).to_list()]


def _distinct(criteria: Sequence[Criterion]) -> list[Criterion]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for c in criteria:
        if c.key() not in seen:
            seen.add(c.key())
            out.append(c)
    return out


def _scored_frame(icp: ICP, accounts: pl.DataFrame) -> pl.DataFrame:
    """The prepared account table with this ICP's tier, segment, disqualification and a name."""
    from icpkit.columns.names import canonical_frame
    from icpkit.living.cohort import SCORE_COLUMNS, prepare_accounts
    from icpkit.scoring import score

    raw = accounts.drop([c for c in accounts.columns if c in SCORE_COLUMNS])
    scored = score(raw, icp, missing="unknown", reasons="none", rank=False)
    frame, _, _ = prepare_accounts(icp, raw, repeats=True)
    names = canonical_frame(raw)
    key = next(
        (
            c
            for c in (icp.columns.get("name"), "name", "company_name", "company", "account_name")
            if c and c in names.columns
        ),
        None,
    ) or next(
        (
            c
            for c in (icp.columns.get("domain"), "domain", icp.columns.get("id"), "id")
            if c and c in names.columns
        ),
        None,
    )
    row_no = pl.format("row {}", pl.int_range(1, raw.height + 1))
    name = pl.col(key).cast(pl.String) if key else row_no
    label = names.select(name.alias("__name")).to_series()
    return frame.with_columns(
        scored["tier"].alias("__tier"),
        scored["segment"].alias("__segment"),
        scored["disqualified"].alias("__disqualified"),
        scored["fit_score"].alias("__fit"),
        scored["data_completeness"].alias("__complete"),
        label,
    )


# -- the page --------------------------------------------------------------------------------


def build_onepage(
    icp: ICP,
    *,
    accounts: pl.DataFrame | None = None,
    examples: int = 0,
    interview_themes: Mapping[str, Sequence[str]] | None = None,
    insights: Mapping[str, Any] | None = None,
) -> OnePage:
    """The page's content for an ICP.

    ``examples`` > 0 (with ``accounts``) lists that many example accounts per segment by name
    (at most :data:`MAX_EXAMPLES_ON_PAGE`); at 0 the page names no company, since it may be
    forwarded outside the company. ``interview_themes`` (segment id → theme sentences) and
    ``insights`` (segment id → whatever the interviews module stores, for the template's "In
    their words" block) come from customer interviews.
    """
    order = sorted(
        icp.segments,
        key=lambda s: -(s.evidence.share_of_best if s.evidence else 0.0),
    )
    shown = order[:MAX_SEGMENTS]
    if icp.insights is not None:  # customers' own words, from `icp interviews analyze`
        from icpkit.interviews.words import in_their_words
        from icpkit.interviews.words import interview_themes as _themes

        interview_themes = _themes(icp) if interview_themes is None else interview_themes
        quotes = LIMITS["their_words_three_segments" if len(shown) >= 3 else "their_words"]
        insights = in_their_words(icp, per_segment=quotes, skip=1) if insights is None else insights
    shown = [s for s in icp.segments if s in shown]  # keep the file's order on the page
    per_page = min(examples, MAX_EXAMPLES_ON_PAGE)
    frame = (
        _scored_frame(icp, accounts) if accounts is not None and per_page > 0 and shown else None
    )
    cards = [
        _card(
            icp,
            s,
            names=_typical(icp, frame, s.id, per_page) if frame is not None else [],
            interviewed=bool((insights or {}).get(s.id) or (interview_themes or {}).get(s.id)),
            interview_themes=interview_themes,
        )
        for s in shown
    ]
    return OnePage(
        title=icp.name,
        subtitle=_subtitle(icp),
        segments=cards,
        hidden_segments=[segment_title(s) for s in order[MAX_SEGMENTS:]],
        disqualifiers=_items(icp.disqualifiers, "disqualifier")[: LIMITS["disqualifiers"]],
        timing=_items(icp.scoring.timing, "timing")[: LIMITS["timing"]],
        personas=[_persona_line(p) for p in icp.personas if p.segment is None],
        how_sure=how_sure_line(icp.validation),
        definitions=_definitions_line(icp),
        examples_asked=examples,
        insights=dict(insights or {}),
    )


def _card(
    icp: ICP,
    s: Segment,
    *,
    names: list[str],
    interviewed: bool,
    interview_themes: Mapping[str, Sequence[str]] | None,
) -> SegmentCard:
    """One segment's card, each list cut to its :data:`LIMITS` so the page stays one page.

    A segment customers were interviewed about gets more pointers: their words earn the room.
    """
    total = icp.source.rows if icp.source else None
    checklist = _items(s.must, "must") + _items(s.nice, "nice", optional=True)
    return SegmentCard(
        id=s.id,
        name=segment_title(s),
        who=who_sentence(s, total),
        confidence=segment_confidence(s.evidence),
        worth=worth_lines(s)[: LIMITS["worth"]],
        checklist=checklist[: LIMITS["checklist"]],
        more_criteria=max(0, len(checklist) - LIMITS["checklist"]),
        pointers=messaging_pointers(
            icp,
            s,
            interview_themes=interview_themes,
            limit=LIMITS["pointers_with_interviews" if interviewed else "pointers"],
        ),
        personas=[_persona_line(p) for p in icp.personas if p.segment == s.id],
        examples=names,
    )


def _subtitle(icp: ICP) -> str:
    """Version, when and on how many accounts it was fitted, and when it is due for review."""
    meta = f"Version {icp.version}"
    if icp.source:
        meta += f" · fitted {icp.created.isoformat()} on {icp.source.rows:,} accounts"
    return meta + f" · review by {icp.review_by.isoformat() if icp.review_by else '?'}"


def _definitions_line(icp: ICP) -> str:
    """The footnote: what best and worst mean in this file, and what tier A means."""
    definitions = ""
    if icp.outcomes:
        definitions = (
            f"Best customers: {_definition(icp.outcomes.best)}. "
            f"Worst: {_definition(icp.outcomes.worst)}."
        )
    t = icp.scoring.tiers
    tiers = f"Tier A (fit score ≥ {t['A']:g}) is a {TIER_WORDS['A']}."
    return (definitions + " " + tiers).strip()


__all__ = [
    "LIMITS",
    "MAX_EXAMPLES_ON_PAGE",
    "MAX_SEGMENTS",
    "CheckItem",
    "OnePage",
    "SegmentCard",
    "build_onepage",
    "example_accounts",
    "how_sure_line",
    "who_sentence",
    "worth_lines",
]
