"""The ICP as a value: its file format, validation on load with line numbers, and saving.

The ICP file (``icp.yaml``) is the project's contract. It is plain YAML, written with a stable key
order so that versions diff cleanly, and validated on load: an error names the file, the line and
the field. The format is documented in ``docs/icp-file.md``; its version is ``format``.

How an ICP scores an account (the same in every engine, polars or SQL):

* every criterion is evaluated three-valued (met / failed / unknown, see :mod:`icpkit.criteria`);
  a criterion without ``weight`` counts 1 point;
* ``raw = scoring.intercept + Σ weight of every met criterion of scoring.points + Σ weight of
  every met segment criterion (musts and nice-to-haves) + Σ segment.bonus for every segment whose
  musts are all met``; failed and unknown add nothing. A criterion listed twice counts twice.
  ``raw`` is clipped to [-40, 40] (beyond that the score rounds to 0 or 100 anyway, and SQL
  ``EXP`` would overflow). Discovery writes the fitted points into ``scoring.points`` and sets
  segment criteria to weight 0 (segments are named groups for people; their fitted interaction
  effect is the bonus);
* ``fit_score = round(100 · 1 / (1 + e^-raw), 1)`` for a qualified account: the weights are a
  logistic model fitted on the customer base, so the score is the modelled share of best
  customers among accounts like this one (the calibration table in the file shows predicted
  against observed), and at least 0.1 (``MIN_QUALIFIED_FIT``). A disqualified account's
  ``fit_score`` is 0: it ranks below every qualified account. Every rounding is half up,
  ``floor(x · 10^d + 0.5) / 10^d``, spelled identically in polars and SQL;
* ``segment`` is the segment (its ``id``) with the largest own points (bonus if complete + its met
  criteria weights), null when no segment has positive points; ties go to the first in the file;
* ``disqualified`` is true when any disqualifier is met (unknown does not disqualify);
  ``disqualified_by`` names the first one in file order that fired; disqualifiers win: the tier is
  then ``D`` and the priority 0;
* ``tier`` is A/B/C/D by ``scoring.tiers`` thresholds on ``fit_score`` (``>=``); discovery sets
  them relative to the base rate (see :data:`TIER_WORDS`), so an account at the base rate is C,
  "average";
* ``timing_score`` is 100 · (Σ weights of met timing signals) / (Σ all timing weights), rounded to
  0.1, and 0 when there are no timing signals; ``in_market`` is ``timing_score >=
  scoring.in_market_at``; ``priority = fit_score · (1 + timing_score / 100) / 2`` rounded to 0.01,
  0 when disqualified; ``rank`` is 1 for the highest priority, ties share the lowest rank (SQL
  ``RANK()``);
* ``quadrant``: the tier's fit word — *fit* (A or B), *average* (C) or *poor fit* (D, and every
  disqualified account) — with "+ in-market" or, for fit, "+ dormant": "fit + in-market",
  "fit + dormant", "average + in-market", "average", "poor fit + in-market", "poor fit";
* ``data_completeness`` is the share (0–1, rounded to 0.001) of the ICP's distinct criteria (same
  test counted once, timing and disqualifiers included) that could be judged, i.e. were not unknown.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, model_validator

from icpkit.criteria import Criterion, FileModel, format_number
from icpkit.errors import IcpFileError, MissingIcpFileError

FORMAT_VERSION = 1

#: What each tier means, in the words the CLI and reports use. Discovery sets the thresholds by
#: odds relative to the base rate: A at twice the base odds, B at 1.3×, C at 1/1.3×.
TIER_WORDS = {"A": "strong fit", "B": "good fit", "C": "average", "D": "poor fit"}


class _Model(FileModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OutcomeComparison(_Model):
    """An outcome metric inside a segment against the rest of the customer base."""

    metric: str
    segment: float
    others: float
    unit: str = ""
    higher_is_better: bool = True
    kind: str | None = Field(default=None, description="outcome kind: value, retention, …")
    outcome: str | None = Field(
        default=None,
        description="the best/worst definition actually used (outcomes.best / outcomes.worst)",
    )

    def phrase(self, outcome: str | None = None) -> str:
        """Outcome terms people use: 'onboard in 15 days vs 28', 'ARR $61K vs $18K'.

        Best/worst shares name the definition actually used (``outcome`` or the stored field),
        so "worst" reads "status closed" for Crunchbase, not a churn it never measured.
        """
        s, o = self.segment, self.others
        if self.unit == "share":
            what = _outcome_words(outcome or self.outcome)
            if self.metric == "best customers":
                return f"{s:.0%} become best customers{what} vs {o:.0%} of others"
            if self.metric == "worst customers":
                return f"{s:.0%} end up among the worst{what} vs {o:.0%}"
            return f"{self.metric}: {s:.0%} vs {o:.0%}"
        n = self.metric.replace("_", " ")
        kind = self.kind or ""
        a, b = _same_precision(s, o)
        if kind == "onboarding":
            return f"onboard in {a} days vs {b}"
        if kind == "sales_cycle":
            return f"close in {a} days vs {b}"
        if kind == "expansion":
            return f"expand {a}% vs {b}%"
        if kind == "retention":
            return f"stay {a} months vs {b}"
        if kind == "support":
            return f"{a} support tickets vs {b}"
        if kind == "value":
            return (
                f"{n.upper() if len(n) <= 4 else n} {format_number(s, money=True)} vs "
                f"{format_number(o, money=True)}"
            )
        return f"{n} {format_number(s)} vs {format_number(o)}"


def _same_precision(a: float, b: float) -> tuple[str, str]:
    """Two figures of one comparison written alike: whole numbers from 10 up ('52 days vs 89',
    not 'vs 88.5'), else one decimal for both unless both are whole ('2.5 vs 4.0' -> '2.5 vs 4')."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return format_number(a), format_number(b)
    if max(abs(a), abs(b)) >= 10:
        # Half up, as people round (round() would give 88 for 88.5).
        return f"{math.floor(a + 0.5):,}", f"{math.floor(b + 0.5):,}"
    if float(a).is_integer() and float(b).is_integer():
        return f"{int(a)}", f"{int(b)}"
    return f"{a:.1f}", f"{b:.1f}"


def _outcome_words(definition: str | None) -> str:
    """`` (status closed)`` from ``status in ['closed'] (n=553)``; empty without a definition."""
    import re  # local: this module's imports are shared with concurrent edits

    if not definition:
        return ""
    txt = re.sub(r"\s*\(n=[\d,]+\)", "", definition)
    txt = re.sub(
        r"\bin \[([^\]]*)\]",
        lambda m: " or ".join(v.strip().strip("'\"") for v in m.group(1).split(",")),
        txt,
    )
    return f" ({txt.strip()})"


class SegmentEvidence(_Model):
    accounts: int
    best: int
    worst: int
    best_rate: float = Field(description="share of best among the segment's accounts")
    base_rate: float = Field(description="share of best among all accounts")
    lift: float
    p_value: float = Field(
        description="selection-adjusted p: the segment's statistic against the largest one the "
        "whole search (beam, refinement, pruning) produced on shuffled outcomes"
    )
    share_of_best: float = Field(description="share of all best customers the segment covers")


class Segment(_Model):
    """A distinct group of winners: must-haves (all must hold) plus weighted nice-to-haves."""

    id: str
    name: str
    summary: str | None = None
    bonus: float = 0.0
    must: list[Criterion]
    nice: list[Criterion] = Field(default_factory=list)
    evidence: SegmentEvidence | None = None
    value: list[OutcomeComparison] = Field(default_factory=list)
    messaging: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _needs_must(self) -> Segment:
        if not self.must:
            raise ValueError("a segment needs at least one must-have criterion")
        return self


class CalibrationRow(_Model):
    score_from: float
    score_to: float
    accounts: int
    predicted: float
    observed: float


class Scoring(_Model):
    """How fit and timing are scored: the points model, tiers, timing signals, calibration."""

    intercept: float = 0.0
    points: list[Criterion] = Field(
        default_factory=list,
        description="additive points: each criterion met adds its weight (log-odds) to the score",
    )
    tiers: dict[str, float] = Field(default_factory=lambda: {"A": 60.0, "B": 35.0, "C": 15.0})
    timing: list[Criterion] = Field(default_factory=list)
    in_market_at: float = 50.0
    calibration: list[CalibrationRow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tiers_ordered(self) -> Scoring:
        if set(self.tiers) != {"A", "B", "C"}:
            raise ValueError(
                "tiers needs exactly the thresholds A, B and C (D is everything below C)"
            )
        if not (self.tiers["A"] > self.tiers["B"] > self.tiers["C"] >= 0):
            raise ValueError("tier thresholds must fall strictly: A > B > C >= 0")
        return self


class OutcomeDefinition(_Model):
    best: str
    worst: str
    best_count: int
    worst_count: int
    total: int
    columns: list[str] = Field(default_factory=list)


class Source(_Model):
    file: str | None = None
    rows: int
    sha256: str | None = None
    fitted: date
    #: The date discovery measured "within N days" windows back from when it was not the day it
    #: fitted (``icp discover --as-of``, or inferred from an export whose dates end long ago).
    as_of: date | None = None


class ChangeEntry(_Model):
    version: int
    date: date
    summary: str
    cohort: str | None = None
    changes: list[str] = Field(default_factory=list)


class PersonaEvidence(_Model):
    """How often the persona took part in won deals of fitting accounts, against lost ones."""

    won_deals: int
    lost_deals: int = 0
    share_of_won: float
    share_of_lost: float | None = None
    lift: float | None = None
    p_value: float | None = None
    caveat: str | None = None


class Persona(_Model):
    """People-level: who to reach inside a fitting account. Describes roles, never persons."""

    id: str
    segment: str | None = Field(default=None, description="segment id, or null for all")
    department: str
    seniority: str
    deal_role: str | None = Field(default=None, description="champion, decision maker, user…")
    example_titles: list[str] = Field(default_factory=list)
    evidence: PersonaEvidence | None = None
    notes: list[str] = Field(default_factory=list)


class InsightTerm(_Model):
    """A word or phrase one segment's interviews use more than the others (log-odds, max-T p)."""

    term: str
    question: str = Field(default="all", description="all, challenges, aha or results")
    mentions: int = Field(description="segment interviews (that answered) mentioning it")
    interviews: int = Field(description="segment interviews in the comparison")
    others_mentions: int
    others_interviews: int
    log_odds: float
    ci: list[float] = Field(description="95% interval of the log-odds ratio")
    z: float
    p_value: float = Field(
        description="selection-adjusted: max-T over every term, question, segment"
    )


class InsightQuote(_Model):
    """A representative quote, scrubbed of personal data; the account stays out of the text."""

    text: str
    interview: str
    account: str | None = None


class ThemeOutcome(_Model):
    """An outcome among interviewed accounts that mention a theme against those that do not."""

    metric: str
    kind: str | None = None
    mentioning: float
    others: float
    n_mentioning: int
    n_others: int
    p_value: float | None = None
    caveat: str | None = None


class InsightTheme(_Model):
    """A recurring theme: distinctive terms that go together, with counts, evidence and quotes."""

    id: str
    label: str
    question: str = "all"
    terms: list[str]
    interviews: int = Field(description="segment interviews mentioning the theme")
    accounts: int = Field(description="segment accounts whose interviews mention it")
    of_interviews: int
    others: int = Field(description="other interviews mentioning it")
    of_others: int
    evidence: InsightTerm | None = None
    outcomes: list[ThemeOutcome] = Field(default_factory=list)
    quotes: list[InsightQuote] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="interview ids")


class SegmentInsights(_Model):
    """What one segment's customers say, from `icp interviews analyze`."""

    segment: str
    interviews: int
    accounts: int
    themes: list[InsightTheme] = Field(default_factory=list)
    words: list[InsightTerm] = Field(default_factory=list)
    caveat: str | None = None
    flagged: str | None = Field(default=None, description="set when calibrate dropped the segment")


class Insights(_Model):
    """The interviews section: themes per segment with evidence and scrubbed quotes."""

    analysed: date
    interviews: int
    linked: int
    accounts: int
    method: str
    permutations: int
    alpha: float
    segments: list[SegmentInsights] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="every analysed interview id")
    notes: list[str] = Field(default_factory=list)

    def for_segment(self, segment_id: str) -> SegmentInsights | None:
        return next((s for s in self.segments if s.segment == segment_id), None)


class ICP(_Model):
    """An Ideal Customer Profile: explicit criteria, evidence, scoring rules and history."""

    format: int = FORMAT_VERSION
    name: str = "Ideal Customer Profile"
    version: int = 1
    created: date = Field(default_factory=date.today)
    review_by: date | None = None
    source: Source | None = None
    outcomes: OutcomeDefinition | None = None
    columns: dict[str, str] = Field(
        default_factory=dict, description="roles the scoring engines need: id, domain, name"
    )
    segments: list[Segment] = Field(default_factory=list)
    disqualifiers: list[Criterion] = Field(default_factory=list)
    personas: list[Persona] = Field(
        default_factory=list, description="people-level section, kept apart from the criteria"
    )
    insights: Insights | None = Field(
        default=None, description="customer interviews: themes per segment (icp interviews)"
    )
    scoring: Scoring = Field(default_factory=Scoring)
    validation: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    changelog: list[ChangeEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> ICP:
        if self.format > FORMAT_VERSION:
            raise ValueError(
                f"this ICP file uses format {self.format}, newer than this icpkit understands "
                f"({FORMAT_VERSION}); upgrade icpkit"
            )
        ids = [s.id for s in self.segments]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"segment ids must be unique; repeated: {sorted(dupes)}")
        if self.review_by is None:
            self.review_by = self.created + timedelta(days=365)
        return self

    # -- convenience ------------------------------------------------------------------------

    def criteria(self) -> Iterator[Criterion]:
        """Every criterion in the file: segment musts and nice-to-haves, disqualifiers, timing."""
        for s in self.segments:
            yield from s.must
            yield from s.nice
        yield from self.scoring.points
        yield from self.disqualifiers
        yield from self.scoring.timing

    def required_columns(self) -> list[str]:
        """Columns the ICP reads, in first-use order (reference date columns included)."""
        out: dict[str, None] = {}
        for c in self.criteria():
            out[c.column] = None
        return list(out)

    def is_stale(self, today: date | None = None) -> bool:
        return (today or date.today()) > (self.review_by or self.created)

    # -- file format ------------------------------------------------------------------------

    def to_yaml(self) -> str:
        """Deterministic, diff-friendly YAML (stable key order, no anchors, wide lines)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        _round_floats(data)
        header = (
            "# Ideal Customer Profile written by icpkit. Edit by hand freely: it is validated on\n"
            "# load. Format reference: docs/icp-file.md. Criteria syntax: column + one of\n"
            "# in / between [lo, hi) / is / has_any / has_none (+ category) / within_days (+ before).\n"
        )
        return header + yaml.dump(
            data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )

    @classmethod
    def from_yaml(cls, text: str, *, file: str | Path | None = None) -> ICP:
        """Parse and validate; errors name the file, line and field."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            # One line: PyYAML's str() spans several, quoting the source with a caret.
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and cmark is not None:
                what += f" ({context} that starts on line {cmark.line + 1})"
            raise IcpFileError(f"not valid YAML: {what}", file=file, line=line) from None
        if not isinstance(data, dict):
            raise IcpFileError("an ICP file must be a mapping at the top level", file=file, line=1)
        try:
            return cls.model_validate(data)
        except IcpFileError as exc:  # from FileModel: add the file and the line
            loc = [int(p) if p.isdigit() else p for p in (exc.field or "").split(".") if p]
            line = _line_of(node, loc)
            raise IcpFileError(exc.message, file=file, line=line, field=exc.field) from None

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        from icpkit.io import atomic_write_text

        return atomic_write_text(path, self.to_yaml(), force=force)

    @classmethod
    def load(cls, path: str | Path) -> ICP:
        p = Path(path)
        if not p.is_file():
            raise MissingIcpFileError("no such ICP file", file=p)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise IcpFileError(f"cannot read: {exc}", file=p) from None
        return cls.from_yaml(text, file=p)


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """Line (1-based) of the deepest YAML node along a pydantic error location."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if (
                    k.value == str(part)
                    or (part == "in_" and k.value == "in")
                    or (part == "is_" and k.value == "is")
                ):
                    nxt = v
                    best = k.start_mark.line + 1
                    break
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            break
    return best


def _round_floats(obj: Any) -> None:
    """Round floats in place so files stay readable and stable across platforms."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, float):
                obj[k] = _r(v)
            else:
                _round_floats(v)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, float):
                obj[i] = _r(v)
            else:
                _round_floats(v)


def _r(v: float) -> float | int:
    if math.isnan(v) or math.isinf(v):
        return v
    if v == int(v) and abs(v) < 1e15:
        return int(v)
    if abs(v) < 1e-3:
        return float(f"{v:.3g}")
    return round(v, 4)


class _Dumper(yaml.SafeDumper):
    """Block style for mappings, flow style for short scalar lists ([saas, fintech])."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _repr_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data) and len(data) <= 12
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _repr_list)


__all__ = [
    "FORMAT_VERSION",
    "ICP",
    "TIER_WORDS",
    "CalibrationRow",
    "ChangeEntry",
    "InsightQuote",
    "InsightTerm",
    "InsightTheme",
    "Insights",
    "OutcomeComparison",
    "OutcomeDefinition",
    "Persona",
    "PersonaEvidence",
    "Scoring",
    "Segment",
    "SegmentEvidence",
    "SegmentInsights",
    "Source",
    "ThemeOutcome",
]
