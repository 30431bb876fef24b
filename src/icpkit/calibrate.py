"""The calibration loop: look back at a cohort of won and lost deals and propose the next ICP.

An ICP is a hypothesis. After a cohort of deals closes, :func:`calibrate` measures how each
criterion, segment and tier actually converted (win rates with Wilson intervals, lift, odds
ratios, the change since the ICP was fitted, caveats where the sample is small), how well the
fit score was calibrated, which criteria no longer discriminate and which traits the ICP ignores
but the new winners share. :func:`propose` turns that into explicit, evidenced changes (drop,
add, tighten, re-weight) and :func:`apply` writes the next version with a changelog entry.

The bar for a proposal is deliberately high: a criterion is dropped only when the cohort shows
with confidence that its effect is gone (not merely that the cohort is too small to see it), a
trait is added only when it survives Benjamini-Hochberg across every trait tried, and a weight
changes only when the odds ratio moved beyond what both samples' uncertainty allows (Bonferroni
over the criteria tested). A cohort from the same distribution as the fit data should therefore
yield no proposals beyond what chance allows.

Outcomes are matched to accounts by id, else by normalised domain (``https://www.Acme.com`` and
``acme.com`` are one account). Note that the fit-time evidence compares *best* with *worst*
customers while a cohort compares *won* with *lost* deals: similar questions, not identical ones,
and the reports say so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats as _st

from icpkit.columns import (
    Kind,
    Role,
    Schema,
    SchemaOverrides,
    canonical_frame,
    canonical_name,
    infer_schema,
    normalize_domain,
    prepare,
)
from icpkit.criteria import Criterion, Evidence, Layer, Operator
from icpkit.errors import IcpkitError, InputError, MissingColumnsError, OutcomeError
from icpkit.evidence import SMALL_GROUP, TraitStats, fisher_two_sided, trait_stats, wilson
from icpkit.icp import ICP, CalibrationRow, ChangeEntry, Segment
from icpkit.outcomes import won_lost
from icpkit.scoring.engine import calibration_rows
from icpkit.scoring.plan import OUTPUT_COLUMNS
from icpkit.traits import TraitConfig, build_traits, nice_grid
from icpkit.validation import SELECTED_TIERS, predict

# -- reading a cohort --------------------------------------------------------------------------

#: Canonical column names read as the won/lost outcome, in order of preference.
WON_COLUMNS = (
    "won",
    "is_won",
    "closed_won",
    "win",
    "outcome",
    "deal_outcome",
    "result",
    "deal_result",
    "deal_status",
    "status",
    "deal_stage",
    "stage",
)
VALUE_COLUMNS = ("value", "deal_value", "amount", "deal_amount", "acv", "arr", "contract_value")
CYCLE_COLUMNS = ("cycle_days", "sales_cycle_days", "cycle_length", "sales_cycle", "days_to_close")
CHURN_COLUMNS = ("churned", "churn", "is_churned")
#: Fit-score bands of the cohort's calibration table: 0-10, 10-20, ... 90-100.
SCORE_BANDS = tuple(range(0, 101, 10))
# Columns a scoring run appends are predictions made then, never traits.
SCORE_COLUMNS = OUTPUT_COLUMNS

_KIND_OF_OP = {
    Operator.IN: Kind.CATEGORICAL,
    Operator.BETWEEN: Kind.NUMERIC,
    Operator.IS: Kind.BOOLEAN,
    Operator.HAS_ANY: Kind.MULTI,
    Operator.HAS_NONE: Kind.MULTI,
    Operator.WITHIN_DAYS: Kind.DATE,
}


@dataclass
class Cohort:
    """Decided deals (won or lost) joined to their accounts, prepared, with the ICP's verdict.

    ``fit_score``/``tier`` are the scores recorded when the accounts were scored, when the file
    carries them (``score_source == "as scored"``), else what the ICP says now (``"re-scored"``).
    """

    frame: pl.DataFrame
    schema: Schema
    won: np.ndarray
    fit_score: np.ndarray
    tier: np.ndarray
    disqualified: np.ndarray
    score_source: str
    outcome_column: str
    outcomes_rows: int
    matched: int
    undecided: int
    value_column: str | None = None
    cycle_column: str | None = None
    churn_column: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.won.shape[0])


def find_outcome_column(df: pl.DataFrame, *, file: str | None = None) -> str:
    """The won/lost column of a (canonically named) outcomes frame, or :class:`OutcomeError`.

    Only recognised names count: guessing from values would read a yes/no ``churned`` or
    ``leadership_change`` column as won/lost.
    """
    for name in WON_COLUMNS:
        if name in df.columns:
            return name
    raise OutcomeError(
        "no won/lost column: name one of "
        + ", ".join(WON_COLUMNS[:6])
        + " … with values won/lost (or closed won/closed lost, true/false), or pass "
        "outcome_column (--outcome-column)",
        file=file,
    )


def _kind_overrides(icp: ICP) -> SchemaOverrides:
    kinds: dict[str, Kind] = {}
    roles: dict[str, Role] = {}
    layers: dict[str, Layer] = {}
    for c in icp.criteria():
        kinds[c.column] = _KIND_OF_OP[c.operator]
        roles[c.column] = Role.DATE if c.operator is Operator.WITHIN_DAYS else Role.ATTRIBUTE
        if c.layer:
            layers[c.column] = Layer(c.layer)
        if c.before:
            kinds[c.before] = Kind.DATE
    ref = next((c.before for c in icp.criteria() if c.before), None)
    return SchemaOverrides(kinds=kinds, roles=roles, layers=layers, reference_date=ref)


def _first(names: Sequence[str], columns: Sequence[str]) -> str | None:
    return next((n for n in names if n in columns), None)


def join_accounts(
    icp: ICP,
    rows: pl.DataFrame,
    accounts: pl.DataFrame,
    *,
    keep: Sequence[str],
    file: str | None = None,
    accounts_file: str | None = None,
    what: str = "outcomes",
) -> tuple[pl.DataFrame, list[str]]:
    """Attach account attributes to ``rows`` (deals, wins) by id, else normalised domain.

    ``rows`` has canonical headers; its ``keep`` columns are kept over the accounts' columns of
    the same name. Raises :class:`InputError` when no row matches an account.
    """
    out = rows
    rows_n = out.height
    notes: list[str] = []
    id_col = icp.columns.get("id", "id")
    dom_col = icp.columns.get("domain", "domain")
    acc = canonical_frame(accounts)
    ids = (id_col, "id", "account_id", "company_id", "record_id")
    doms = (dom_col, "domain", "website", "company_domain", "company_website", "url")
    oid, aid = _first(ids, out.columns), _first(ids, acc.columns)
    odom, adom = _first(doms, out.columns), _first(doms, acc.columns)
    if oid is not None and aid is not None:
        key, how = oid, "id"
        lk = pl.col(oid).cast(pl.String).str.strip_chars()
        rk = pl.col(aid).cast(pl.String).str.strip_chars()
    elif odom is not None and adom is not None:
        key, how = odom, "domain"
        lk, rk = normalize_domain(pl.col(odom)), normalize_domain(pl.col(adom))
    else:
        raise InputError(
            f"{what} and accounts share neither an id ({id_col!r}) nor a domain "
            f"({dom_col!r}, website) column to match on",
            file=file,
        )
    keep = [c for c in keep if c in out.columns]
    left = out.select([*keep, lk.alias("__key")])
    right = acc.with_columns(rk.alias("__key")).drop([c for c in keep if c in acc.columns])
    right = right.filter(pl.col("__key").is_not_null()).unique("__key", keep="first")
    joined = left.join(right, on="__key", how="inner").drop("__key")
    if joined.height == 0:
        raise InputError(
            f"none of the {rows_n:,} {what} matches an account of "
            f"{accounts_file or 'the accounts'} by {how}",
            file=file,
            column=key,
        )
    if joined.height < rows_n:
        notes.append(f"{rows_n - joined.height:,} of {rows_n:,} {what} matched no account")
    return joined, notes


def load_cohort(
    icp: ICP,
    outcomes: pl.DataFrame,
    *,
    accounts: pl.DataFrame | None = None,
    outcome_column: str | None = None,
    file: str | None = None,
    accounts_file: str | None = None,
    as_of: date | None = None,
) -> Cohort:
    """Join outcomes to accounts (id, else normalised domain), prepare them, score them.

    Raises :class:`OutcomeError` when there is no usable won/lost column and
    :class:`InputError` when no outcome matches an account or the ICP's columns are absent.
    """
    out = canonical_frame(outcomes)
    if outcome_column is not None:
        oc = canonical_name(outcome_column)
        if oc not in out.columns:
            raise MissingColumnsError([outcome_column], file=file, why="the won/lost column")
    else:
        oc = find_outcome_column(out, file=file)
    out = out.with_columns(won_lost(pl.col(oc)).alias("__won"))
    if out.height == 0:
        raise OutcomeError("has no rows", file=file)
    if int(out["__won"].is_not_null().sum()) == 0:
        sample = out[oc].drop_nulls().unique().head(3).to_list()
        raise OutcomeError(
            f"no row says won or lost (values seen: {sample}); use won/lost, closed won/closed "
            "lost or true/false",
            file=file,
            column=oc,
        )
    rows = out.height
    notes: list[str] = []
    if accounts is not None:
        # A deal's own date (close_date…) is the reference of the ICP's timing windows: the
        # outcomes file's value wins over anything the accounts file says.
        refs = {c.before for c in icp.criteria() if c.before}
        keep = [
            c
            for c in out.columns
            if c == "__won"
            or c == oc
            or c in SCORE_COLUMNS
            or c in refs
            or c in VALUE_COLUMNS + CYCLE_COLUMNS + CHURN_COLUMNS
        ]
        out, joined_notes = join_accounts(
            icp, out, accounts, keep=keep, file=file, accounts_file=accounts_file
        )
        notes += joined_notes
    needed = icp.required_columns()
    if needed and not any(c in out.columns for c in needed):
        raise InputError(
            "has none of the columns the ICP reads ("
            + ", ".join(needed[:5])
            + "); pass the scored accounts file (--accounts) to join on id or domain",
            file=file,
        )
    undecided = int(out["__won"].is_null().sum())
    if undecided:
        notes.append(f"{undecided:,} rows are neither won nor lost (open deals) and were left out")
    out = out.filter(pl.col("__won").is_not_null())
    won = out["__won"].to_numpy().astype(bool)
    aside = [c for c in out.columns if c in SCORE_COLUMNS or c in (oc, "__won")]
    frame, schema, warnings = prepare_accounts(icp, out.drop(aside), file=file, repeats=True)
    pred = predict(icp, frame)
    if "fit_score" in out.columns and "tier" in out.columns:
        fs = out["fit_score"].cast(pl.Float64, strict=False)
        if fs.null_count() < out.height:
            score = fs.fill_null(0.0).to_numpy()
            tier = out["tier"].cast(pl.String).fill_null("D").to_numpy().astype(str)
            disq = (
                out["disqualified"].cast(pl.Boolean, strict=False).fill_null(False).to_numpy()
                if "disqualified" in out.columns
                else pred.disqualified
            )
            source = "as scored"
        else:
            score, tier, disq, source = pred.fit_score, pred.tier, pred.disqualified, "re-scored"
    else:
        score, tier, disq, source = pred.fit_score, pred.tier, pred.disqualified, "re-scored"
    return Cohort(
        frame=frame,
        schema=schema,
        won=won,
        fit_score=np.asarray(score, dtype=float),
        tier=np.asarray(tier).astype(str),
        disqualified=np.asarray(disq, dtype=bool),
        score_source=source,
        outcome_column=oc,
        outcomes_rows=rows,
        matched=out.height + undecided,
        undecided=undecided,
        value_column=_first(VALUE_COLUMNS, frame.columns),
        cycle_column=_first(CYCLE_COLUMNS, frame.columns),
        churn_column=_first(CHURN_COLUMNS, frame.columns),
        notes=notes + warnings,
    )


def prepare_accounts(
    icp: ICP, df: pl.DataFrame, *, file: str | None = None, repeats: bool = False
) -> tuple[pl.DataFrame, Schema, list[str]]:
    """Type an account table for the ICP: its criteria columns get the kinds they need.

    Inference alone could read a small cohort's ``industry`` as free text; the ICP says what
    each column it reads is. Columns the ICP reads but the table lacks are added as unknown.
    ``repeats=True`` allows an account to appear in several rows (several deals).
    """
    attrs = canonical_frame(df)
    attrs = attrs.drop([c for c in attrs.columns if c in SCORE_COLUMNS])
    overrides = _kind_overrides(icp)
    overrides = SchemaOverrides(
        **{**overrides.__dict__, "ignore": [c for c in attrs.columns if c.startswith("__")]}
    )
    if repeats:
        id_col = icp.columns.get("id", "id")
        roles = {
            **overrides.roles,
            **{c: Role.IGNORE for c in (id_col, "id") if c in attrs.columns},
        }
        overrides = SchemaOverrides(**{**overrides.__dict__, "roles": roles})
    overrides = _drop_absent(overrides, attrs.columns)
    schema = infer_schema(attrs, overrides, file=file)
    prepared = prepare(attrs, schema, file=file, strict=False)
    frame = prepared.frame
    warnings = list(prepared.warnings)
    needed = icp.required_columns()
    missing_cols = [c for c in needed if c not in frame.columns]
    if missing_cols:
        warnings.append(
            "columns the ICP reads are absent (their criteria count as unknown): "
            + ", ".join(missing_cols)
        )
    # Absent columns, and columns left without a type because every value was empty, get the
    # type their criteria read (a Null-typed column breaks list and date operations).
    dtypes = _criterion_dtypes(icp)
    frame = frame.with_columns(
        pl.lit(None, dtype=dtypes.get(c, pl.String)).alias(c)
        for c in needed
        if c not in frame.columns or frame.schema[c] == pl.Null
    )
    return frame, prepared.schema, warnings


_DTYPE_OF_KIND: dict[Kind, pl.DataType] = {
    Kind.CATEGORICAL: pl.String(),
    Kind.NUMERIC: pl.Float64(),
    Kind.BOOLEAN: pl.Boolean(),
    Kind.MULTI: pl.List(pl.String),
    Kind.DATE: pl.Date(),
}


def _criterion_dtypes(icp: ICP) -> dict[str, pl.DataType]:
    """The prepared dtype each column the ICP reads must have (see docs/dev/conventions.md)."""
    out: dict[str, pl.DataType] = {}
    for c in icp.criteria():
        out[c.column] = _DTYPE_OF_KIND[_KIND_OF_OP[c.operator]]
        if c.before:
            out[c.before] = pl.Date()
    return out


def _drop_absent(o: SchemaOverrides, columns: Sequence[str]) -> SchemaOverrides:
    """Overrides may only name columns the frame has (infer_schema refuses unknown names)."""
    cols = set(columns)
    ref = o.reference_date if o.reference_date in cols else None
    return SchemaOverrides(
        kinds={k: v for k, v in o.kinds.items() if k in cols},
        roles={k: v for k, v in o.roles.items() if k in cols},
        layers={k: v for k, v in o.layers.items() if k in cols},
        ignore=[c for c in o.ignore if c in cols],
        reference_date=ref,
    )


# -- statistics ----------------------------------------------------------------------------------


Role_ = Literal["must", "nice", "disqualifier", "timing"]


@dataclass(frozen=True)
class CriterionResult:
    """How one criterion of the ICP did in the cohort, next to its fit-time evidence."""

    where: str  # segment id, "disqualifiers" or "timing"
    role: Role_
    index: int
    criterion: Criterion
    accounts: int  # cohort accounts meeting it (known values)
    won: int
    lost: int
    known: int
    win_rate: float  # among accounts meeting it
    win_rate_low: float
    win_rate_high: float
    win_rate_without: float  # among accounts known not to meet it
    lift: float  # win rate when met / overall win rate
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    fit_lift: float | None
    fit_odds_ratio: float | None
    change_p: float | None  # test that the odds ratio changed since the fit
    discriminates: bool
    caveat: str | None

    @property
    def label(self) -> str:
        return self.criterion.describe()


@dataclass(frozen=True)
class GroupResult:
    """Win rate of a group of accounts (a tier or a segment)."""

    name: str
    accounts: int
    won: int
    win_rate: float
    low: float
    high: float
    lift: float
    caveat: str | None = None


@dataclass(frozen=True)
class IgnoredTrait:
    """A trait outside the ICP that the winners the ICP missed share."""

    criterion: Criterion
    evidence: Evidence
    win_rate: float
    share_of_missed_wins: float


@dataclass
class CalibrationReport:
    """Everything :func:`calibrate` measured; :func:`propose` reads it."""

    icp_version: int
    cohort: str
    accounts: int
    won: int
    lost: int
    win_rate: float
    score_source: str
    criteria: list[CriterionResult]
    tiers: list[GroupResult]
    segments: list[GroupResult]
    calibration: list[CalibrationRow]
    calibration_gap: float | None  # mean |predicted - observed| weighted by accounts
    tiers_ordered: bool  # A ≥ B ≥ C ≥ D in win rate
    ignored: list[IgnoredTrait]
    outcome_values: dict[str, dict[str, float]]
    selected_recall: float  # share of wins the ICP selected (tiers A/B, not disqualified)
    notes: list[str] = field(default_factory=list)
    # per account, for charts: fit_score and won
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def not_discriminating(self) -> list[CriterionResult]:
        return [r for r in self.criteria if not r.discriminates]


def _criteria_of(icp: ICP) -> list[tuple[str, Role_, int, Criterion]]:
    out: list[tuple[str, Role_, int, Criterion]] = []
    for s in icp.segments:
        out += [(s.id, "must", i, c) for i, c in enumerate(s.must)]
        out += [(s.id, "nice", i, c) for i, c in enumerate(s.nice)]
    out += [("disqualifiers", "disqualifier", i, c) for i, c in enumerate(icp.disqualifiers)]
    out += [("timing", "timing", i, c) for i, c in enumerate(icp.scoring.timing)]
    return out


def _log_se(ev: Evidence) -> float | None:
    if ev.ci_low <= 0 or ev.ci_high <= 0 or ev.ci_high >= 1e6:
        return None
    return (math.log(ev.ci_high) - math.log(ev.ci_low)) / (2 * 1.96)


def _masks(frame: pl.DataFrame, crits: Sequence[Criterion], as_of: date | None) -> np.ndarray:
    """n × k three-valued evaluation as two bool matrices stacked: (met, known)."""
    if not crits:
        z = np.zeros((frame.height, 0), dtype=bool)
        return np.stack([z, z])
    # The scoring rule (icpkit.scoring.plan.bind_reference_dates): a window measured back from
    # a reference date the data lacks is measured back from the scoring date instead.
    crits = [
        c.model_copy(update={"before": None}) if c.before and c.before not in frame.columns else c
        for c in crits
    ]
    res = frame.select(c.expr(as_of=as_of).alias(f"c{i}") for i, c in enumerate(crits))
    met = res.select(pl.all().fill_null(False)).to_numpy().astype(bool)
    known = res.select(pl.all().is_not_null()).to_numpy().astype(bool)
    return np.stack([met, known])


def _fmt_caveat(st: TraitStats, i: int, won_label: str = "won") -> str | None:
    c = st.caveat(i)
    if c is None:
        return None
    return c.replace("best or worst", f"{won_label} or lost").replace("best", "won")


def calibrate(
    icp: ICP,
    outcomes: pl.DataFrame | Cohort,
    *,
    accounts: pl.DataFrame | None = None,
    outcome_column: str | None = None,
    cohort: str | None = None,
    file: str | None = None,
    accounts_file: str | None = None,
    as_of: date | None = None,
    alpha: float = 0.01,
) -> CalibrationReport:
    """Evaluate the ICP on a cohort of won/lost deals (see the module docstring)."""
    co = (
        outcomes
        if isinstance(outcomes, Cohort)
        else load_cohort(
            icp,
            outcomes,
            accounts=accounts,
            outcome_column=outcome_column,
            file=file,
            accounts_file=accounts_file,
            as_of=as_of,
        )
    )
    won = co.won
    lost = ~won
    n = co.n
    n_won = int(won.sum())
    if n_won == 0 or n_won == n:
        raise OutcomeError(
            f"the cohort has {n_won} won and {n - n_won} lost deals; calibration needs both",
            file=file,
        )
    base = n_won / n
    notes = list(co.notes)
    if co.score_source == "re-scored":
        notes.append("scores recomputed with the current ICP (the file had no fit_score/tier)")
    if n_won < SMALL_GROUP or n - n_won < SMALL_GROUP:
        notes.append(
            f"small cohort ({n_won} won, {n - n_won} lost): intervals are wide and no change "
            "should be made on this cohort alone"
        )

    # -- criteria --
    items = _criteria_of(icp)
    crits = [c for *_, c in items]
    mk = _masks(co.frame, crits, as_of)
    met, known = mk[0], mk[1]
    st = trait_stats(met, known, won, lost)
    results: list[CriterionResult] = []
    for i, (where, role, idx, c) in enumerate(items):
        k_known = int(st.all_known[i])
        n_met = int(st.n[i])
        lo, hi = wilson(st.n_best[i], n_met)
        without_n = k_known - n_met
        without_won = int(st.best_known[i] - st.n_best[i])
        fit_ev = c.evidence
        change_p = None
        if fit_ev is not None:
            se_f = _log_se(fit_ev)
            se_c = _cohort_log_se(st, i)
            if se_f is not None and se_c is not None and fit_ev.odds_ratio > 0:
                z = (math.log(st.odds_ratio[i]) - math.log(fit_ev.odds_ratio)) / math.hypot(
                    se_f, se_c
                )
                change_p = float(2 * _st.norm.sf(abs(z)))
        if role == "disqualifier":
            disc = bool(st.ci_high[i] < 1.0 and st.p_value[i] < 0.05)
        else:
            disc = bool(st.ci_low[i] > 1.0 and st.p_value[i] < 0.05)
        results.append(
            CriterionResult(
                where=where,
                role=role,
                index=idx,
                criterion=c,
                accounts=n_met,
                won=int(st.n_best[i]),
                lost=int(st.n_worst[i]),
                known=k_known,
                win_rate=_f(st.n_best[i] / n_met) if n_met else float("nan"),
                win_rate_low=_f(lo),
                win_rate_high=_f(hi),
                win_rate_without=without_won / without_n if without_n else float("nan"),
                lift=_f(st.lift[i]),
                odds_ratio=_f(st.odds_ratio[i]),
                ci_low=_f(st.ci_low[i]),
                ci_high=_f(st.ci_high[i]),
                p_value=float(st.p_value[i]),
                fit_lift=fit_ev.lift if fit_ev else None,
                fit_odds_ratio=fit_ev.odds_ratio if fit_ev else None,
                change_p=change_p,
                discriminates=disc,
                caveat=_fmt_caveat(st, i),
            )
        )

    # -- tiers and segments --
    tiers = [_group(t, co.tier == t, won, base) for t in ("A", "B", "C", "D")]
    rates = [t.win_rate for t in tiers if t.accounts >= 10]
    ordered = all(a >= b - 1e-12 for a, b in itertools.pairwise(rates))
    seg_masks = _segment_masks(icp, co.frame, as_of)
    segments = [_group(s.id, m, won, base) for s, m in zip(icp.segments, seg_masks, strict=True)]
    if seg_masks:
        outside = ~np.logical_or.reduce(seg_masks)
        segments.append(_group("no segment", outside, won, base))

    # -- calibration --
    bands = calibration_rows(co.fit_score, won, edges=SCORE_BANDS)
    tot = sum(b.accounts for b in bands)
    gap = sum(abs(b.predicted - b.observed) * b.accounts for b in bands) / tot if tot else None
    selected = np.isin(co.tier, SELECTED_TIERS) & ~co.disqualified
    recall = float((selected & won).sum() / max(n_won, 1))

    ignored = _ignored_traits(icp, co, seg_masks, alpha=alpha)
    values = _outcome_values(co)
    return CalibrationReport(
        icp_version=icp.version,
        cohort=cohort or (file or "cohort"),
        accounts=n,
        won=n_won,
        lost=n - n_won,
        win_rate=base,
        score_source=co.score_source,
        criteria=results,
        tiers=tiers,
        segments=segments,
        calibration=bands,
        calibration_gap=gap,
        tiers_ordered=ordered,
        ignored=ignored,
        outcome_values=values,
        selected_recall=recall,
        notes=notes,
        scores=co.fit_score,
        outcomes=won,
    )


def _f(x: Any) -> float:
    v = float(x)
    return v if math.isfinite(v) else float("nan")


def _cohort_log_se(st: TraitStats, i: int) -> float | None:
    a = st.n_best[i] + 0.5
    b = st.best_known[i] - st.n_best[i] + 0.5
    c = st.n_worst[i] + 0.5
    d = st.worst_known[i] - st.n_worst[i] + 0.5
    if min(st.best_known[i], st.worst_known[i]) == 0:
        return None
    return float(math.sqrt(1 / a + 1 / b + 1 / c + 1 / d))


def _group(name: str, mask: np.ndarray, won: np.ndarray, base: float) -> GroupResult:
    n = int(mask.sum())
    k = int((mask & won).sum())
    lo, hi = wilson(k, n)
    rate = k / n if n else float("nan")
    caveat = f"small sample: {n} accounts" if n < SMALL_GROUP else None
    return GroupResult(
        name=name,
        accounts=n,
        won=k,
        win_rate=rate,
        low=_f(lo),
        high=_f(hi),
        lift=rate / base if n and base else float("nan"),
        caveat=caveat,
    )


def _segment_masks(icp: ICP, frame: pl.DataFrame, as_of: date | None) -> list[np.ndarray]:
    out = []
    for s in icp.segments:
        mk = _masks(frame, s.must, as_of)
        out.append(np.logical_and.reduce(mk[0], axis=1))
    return out


def _segment_possible(icp: ICP, frame: pl.DataFrame, as_of: date | None) -> np.ndarray:
    """Accounts that meet or might meet (unknown) every must of some segment."""
    poss = np.zeros(frame.height, dtype=bool)
    for s in icp.segments:
        mk = _masks(frame, s.must, as_of)
        poss |= np.logical_and.reduce(mk[0] | ~mk[1], axis=1)
    return poss


def _outcome_values(co: Cohort) -> dict[str, dict[str, float]]:
    """Median deal value / cycle length and churn share among won deals, per tier."""
    out: dict[str, dict[str, float]] = {}
    cols = {
        "value": co.value_column,
        "cycle_days": co.cycle_column,
        "churned": co.churn_column,
    }
    f = co.frame.with_columns(pl.Series("__tier", co.tier), pl.Series("__won", co.won))
    for label, col in cols.items():
        if col is None or col not in f.columns:
            continue
        s = f.get_column(col)
        if s.dtype == pl.Boolean:
            expr = pl.col(col).cast(pl.Float64).mean()
        elif s.dtype.is_numeric():
            expr = pl.col(col).median()
        else:
            continue
        g = f.filter(pl.col("__won")).group_by("__tier").agg(expr.alias("v")).sort("__tier")
        out[label] = {t: float(v) for t, v in g.iter_rows() if v is not None}
    return out


def _ignored_traits(
    icp: ICP, co: Cohort, seg_masks: list[np.ndarray], *, alpha: float, top: int = 5
) -> list[IgnoredTrait]:
    """Traits on columns no segment, disqualifier or timing signal reads that the winners it
    missed share, unless the scorecard already gives that very trait points.

    Looked for among accounts no segment could hold (unknown values count as "could"), so a
    proxy for a segment criterion with missing data does not pose as a new trait. The scorecard
    (``scoring.points``) reads most columns with small weights; a trait it rewards is not
    ignored, but one it gives no or negative points while the new winners share it is.
    """
    named = [
        *(c for s in icp.segments for c in (*s.must, *s.nice)),
        *icp.disqualifiers,
        *icp.scoring.timing,
    ]
    used = {c.column for c in named} | {c.before for c in named if c.before}
    used |= set(VALUE_COLUMNS + CYCLE_COLUMNS + CHURN_COLUMNS)
    rewarded = {c.key() for c in icp.scoring.points if (c.weight or 0) > 0}
    cols = [
        c
        for c in co.schema.columns
        if c.name not in used and c.name in co.frame.columns and c.name not in SCORE_COLUMNS
    ]
    if not cols:
        return []
    schema = Schema(tuple(cols), co.schema.reference_date, ())
    population = ~_segment_possible(icp, co.frame, None) & ~co.disqualified
    if population.sum() < 2 * SMALL_GROUP:
        return []
    frame = co.frame.filter(pl.Series(population))
    won = co.won[population]
    ts = build_traits(frame, schema, best=None, config=TraitConfig(min_count=20))
    ts_cols = list(ts.columns)
    keep = [
        i for i, c in enumerate(ts_cols) if c not in used and ts.criteria[i].key() not in rewarded
    ]
    if not keep:
        return []
    has, known = ts.has[:, keep], ts.known[:, keep]
    crits = [ts.criteria[i] for i in keep]
    st = trait_stats(has, known, won, ~won)
    ok = (
        (st.q_value < alpha)
        & (st.ci_low > 1.5)
        & (st.lift >= 1.3)
        & (st.n_best >= 2 * 10)
        & (st.best_known >= SMALL_GROUP)
    )
    cand = np.flatnonzero(ok)
    order = cand[np.argsort(-np.log(st.odds_ratio[cand]) * np.sqrt(st.n_best[cand]))]
    out: list[IgnoredTrait] = []
    seen: set[str] = set()
    n_won = max(int(won.sum()), 1)
    for i in order:
        c = crits[i]
        if c.column in seen:
            continue
        seen.add(c.column)
        ev = Evidence(
            best_share=_z(st.best_share[i]),
            worst_share=_z(st.worst_share[i]),
            all_share=_z(st.all_share[i]),
            lift=_z(st.lift[i]),
            odds_ratio=_z(st.odds_ratio[i]),
            ci_low=_z(st.ci_low[i]),
            ci_high=_z(st.ci_high[i]),
            p_value=float(st.p_value[i]),
            q_value=float(st.q_value[i]),
            n=int(st.n[i]),
            n_best=int(st.n_best[i]),
            n_worst=int(st.n_worst[i]),
            caveat=_fmt_caveat(st, int(i)),
        )
        out.append(
            IgnoredTrait(
                criterion=c,
                evidence=ev,
                win_rate=float(st.n_best[i] / max(st.n[i], 1)),
                share_of_missed_wins=float(st.n_best[i] / n_won),
            )
        )
        if len(out) >= top:
            break
    return out


def _z(x: Any) -> float:
    v = float(x)
    return v if math.isfinite(v) else 0.0


# -- proposals ---------------------------------------------------------------------------------

Action = Literal["drop", "add", "tighten", "reweight"]


@dataclass(frozen=True)
class Change:
    """One proposed edit with the evidence for it, in words a reviewer can check."""

    action: Action
    where: str  # segment id, "disqualifiers", "timing" or "new segment"
    role: str  # must, nice, disqualifier, timing, segment
    index: int | None
    before: Criterion | None
    after: Criterion | None
    weight: float | None
    reason: str

    def describe(self) -> str:
        what = (
            self.before.describe() if self.before else (self.after.describe() if self.after else "")
        )
        if self.action == "drop" and self.role == "segment":
            return f"drop segment {self.where}: {self.reason}"
        if self.action == "drop":
            return f"drop {self.role} '{what}' ({self.where}): {self.reason}"
        if self.action == "add":
            return f"add {self.role} '{what}' ({self.where}): {self.reason}"
        if self.action == "tighten":
            after = self.after.describe() if self.after else ""
            return f"tighten '{what}' to '{after}' ({self.where}): {self.reason}"
        return f"re-weight '{what}' ({self.where}) to {self.weight:+.3f}: {self.reason}"


@dataclass
class Proposal:
    """The changes :func:`propose` suggests; empty when the ICP holds up."""

    from_version: int
    cohort: str
    changes: list[Change]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return "no change: the cohort is consistent with the ICP"
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.action] = counts.get(c.action, 0) + 1
        return ", ".join(f"{v} {k}" for k, v in counts.items())


def _fmt_or(r: CriterionResult) -> str:
    fit = f"{r.fit_odds_ratio:.2g} at fit" if r.fit_odds_ratio is not None else "no fit evidence"
    return (
        f"win rate {r.win_rate:.0%} when met vs {r.win_rate_without:.0%} when not; OR "
        f"{r.odds_ratio:.2g} [{r.ci_low:.2g}–{r.ci_high:.2g}] vs {fit} (n={r.accounts:,})"
    )


def propose(
    icp: ICP,
    report: CalibrationReport,
    *,
    cohort: Cohort | None = None,
    min_effect: float = 1.5,
    alpha: float = 0.01,
    max_add: int = 3,
) -> Proposal:
    """Turn a calibration report into explicit, evidenced changes.

    * **drop** a must, nice-to-have or timing signal when the cohort's odds ratio is confidently
      below ``min_effect`` (upper 95% bound) and below its fit-time lower bound; a disqualifier
      when its odds ratio is confidently above 1/``min_effect``; a segment when all its musts go;
    * **add** a trait the ICP ignores that the missed winners share (q < ``alpha``), as a new
      one-criterion segment;
    * **tighten** an ``in`` list by the values that convert significantly worse than the rest,
      or a ``between`` band by a part that does (needs ``cohort``, Bonferroni over splits);
    * **re-weight** a weighted criterion whose odds ratio moved beyond both samples' error
      (Bonferroni over criteria) by more than a factor 1.5 in log-odds.
    """
    changes: list[Change] = []
    dropped: dict[str, set[int]] = {}
    for r in report.criteria:
        if r.known < 2 * SMALL_GROUP or (r.caveat and "fewer than 30" in r.caveat):
            continue
        fit = r.criterion.evidence
        if r.role == "disqualifier":
            bar = max(1 / min_effect, fit.ci_high if fit else 0.0)
            if r.ci_low > bar:
                changes.append(
                    Change("drop", r.where, r.role, r.index, r.criterion, None, None, _fmt_or(r))
                )
            continue
        bar = min(min_effect, fit.ci_low if fit else min_effect)
        if r.ci_high < bar:
            changes.append(
                Change("drop", r.where, r.role, r.index, r.criterion, None, None, _fmt_or(r))
            )
            if r.role == "must":
                dropped.setdefault(r.where, set()).add(r.index)
    for s in icp.segments:
        if len(dropped.get(s.id, ())) == len(s.must):
            changes.append(
                Change(
                    "drop",
                    s.id,
                    "segment",
                    None,
                    None,
                    None,
                    None,
                    "none of its must-haves predicts winning in this cohort",
                )
            )
    dropped_keys = {(c.where, c.role, c.index) for c in changes if c.action == "drop"}

    # re-weight
    testable = [
        r
        for r in report.criteria
        if r.change_p is not None
        and r.criterion.weight not in (None, 0)
        and r.role in ("must", "nice", "timing")
        and (r.where, r.role, r.index) not in dropped_keys
    ]
    for r in testable:
        if r.change_p is None or r.change_p * len(testable) >= alpha:
            continue
        lf, lc = math.log(r.fit_odds_ratio or 1.0), math.log(max(r.odds_ratio, 1e-6))
        if lf <= 0 or lc <= 0:
            continue
        ratio = lc / lf
        if 1 / 1.5 <= ratio <= 1.5:
            continue
        w = round(float(r.criterion.weight or 0.0) * ratio, 3)
        changes.append(
            Change(
                "reweight",
                r.where,
                r.role,
                r.index,
                r.criterion,
                None,
                w,
                f"odds ratio moved from {r.fit_odds_ratio:.2g} to {r.odds_ratio:.2g} "
                f"(p={r.change_p:.2g}); weight scaled by the ratio of log-odds",
            )
        )

    # tighten
    if cohort is not None:
        for r in report.criteria:
            if r.role not in ("must", "nice") or (r.where, r.role, r.index) in dropped_keys:
                continue
            new, why = _tighten(r.criterion, cohort, alpha)
            if new is not None:
                changes.append(
                    Change("tighten", r.where, r.role, r.index, r.criterion, new, None, why)
                )

    # add
    for t in report.ignored[:max_add]:
        w = round(math.log(max(t.evidence.odds_ratio, 1.0)), 3)
        changes.append(
            Change(
                "add",
                "new segment",
                "must",
                None,
                None,
                t.criterion.model_copy(update={"evidence": t.evidence}),
                w,
                f"{t.share_of_missed_wins:.0%} of the wins outside every segment have it; win "
                f"rate {t.win_rate:.0%}, OR {t.evidence.odds_ratio:.2g} "
                f"[{t.evidence.ci_low:.2g}–{t.evidence.ci_high:.2g}], q={t.evidence.q_value:.2g}",
            )
        )
    return Proposal(report.icp_version, report.cohort, changes)


def _tighten(c: Criterion, co: Cohort, alpha: float) -> tuple[Criterion | None, str]:
    """A narrower version of ``c`` when part of it converts significantly worse."""
    if c.operator is Operator.IN and c.in_ and len(c.in_) > 1:
        s = co.frame.get_column(c.column) if c.column in co.frame.columns else None
        if s is None:
            return None, ""
        df = pl.DataFrame({"v": s, "w": co.won}).filter(pl.col("v").is_in(list(c.in_)))
        by_value = df.group_by("v").agg(pl.len().alias("n"), pl.col("w").sum().alias("k"))
        if by_value.height < 2:
            return None, ""
        n = by_value["n"].to_numpy().astype(np.int64)
        k = by_value["k"].to_numpy().astype(np.int64)
        N, K = int(n.sum()), int(k.sum())
        p = fisher_two_sided(k, n - k, K - k, (N - K) - (n - k))
        worse = (k / n < (K - k) / np.maximum(N - n, 1)) & (p * len(n) < alpha) & (n >= 20)
        if not worse.any() or worse.all():
            return None, ""
        values = by_value["v"].to_list()
        keep = tuple(sorted(v for v, w in zip(values, worse, strict=True) if not w))
        gone = sorted(v for v, w in zip(values, worse, strict=True) if w)
        rates = ", ".join(
            f"{v} {kk / nn:.0%} of {nn}"
            for v, kk, nn, w in zip(values, k, n, worse, strict=True)
            if w
        )
        return (
            c.model_copy(update={"in_": keep, "label": None, "evidence": None}),
            f"{', '.join(gone)} converted worse than the other values ({rates} vs "
            f"{(K - k[worse].sum()) / max(N - n[worse].sum(), 1):.0%})",
        )
    if c.operator is Operator.BETWEEN and c.column in co.frame.columns:
        lo, hi = c.between or (None, None)
        new_between: tuple[float | None, float | None]
        x = co.frame.get_column(c.column).cast(pl.Float64).to_numpy()
        inside = ~np.isnan(x)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x < hi
        if inside.sum() < 2 * SMALL_GROUP:
            return None, ""
        xs, ys = x[inside], co.won[inside]
        grid = np.asarray(nice_grid(float(np.quantile(xs, 0.1)), float(np.quantile(xs, 0.9))))
        if len(grid) == 0:
            return None, ""
        below = xs[None, :] < grid[:, None]  # g × m
        n1 = below.sum(axis=1)
        k1 = (below & ys[None, :]).sum(axis=1)
        N, K = len(xs), int(ys.sum())
        n2, k2 = N - n1, K - k1
        ok = (n1 >= 20) & (n2 >= 20)
        p = fisher_two_sided(k1, n1 - k1, k2, n2 - k2)
        p = np.where(ok, p * len(grid), 1.0)
        j = int(np.argmin(p))
        if p[j] >= alpha:
            return None, ""
        r1, r2 = k1[j] / n1[j], k2[j] / n2[j]
        # Only tighten when the dropped part is no better than accounts outside the band.
        outside = ~inside & ~np.isnan(x)
        r_out = float(co.won[outside].mean()) if outside.any() else 0.0
        g = float(grid[j])
        if r1 < r2 and r1 <= r_out + 0.05:
            new_between = (g, hi)
            part = f"below {g:g}: {r1:.0%} of {n1[j]} vs {r2:.0%}"
        elif r2 < r1 and r2 <= r_out + 0.05:
            new_between = (lo, g)
            part = f"from {g:g}: {r2:.0%} of {n2[j]} vs {r1:.0%}"
        else:
            return None, ""
        return (
            c.model_copy(update={"between": new_between, "label": None, "evidence": None}),
            f"the part of the band {part} converted significantly worse "
            f"(p={float(p[j]):.2g} after Bonferroni)",
        )
    return None, ""


# -- applying ----------------------------------------------------------------------------------


def apply(
    icp: ICP, proposal: Proposal, *, cohort: str | None = None, today: date | None = None
) -> ICP:
    """The next version of ``icp`` with ``proposal`` applied and a changelog entry appended.

    The entry lists every change in words, including the full text of each criterion removed,
    so the previous version can be read from the changelog; ``icp calibrate --write`` also keeps
    the previous file beside the new one (``icp.v<N>.yaml``).
    """
    today = today or date.today()
    segs = {s.id: s.model_copy(deep=True) for s in icp.segments}
    disq = list(icp.disqualifiers)
    timing = list(icp.scoring.timing)
    drop_idx: dict[tuple[str, str], set[int]] = {}
    drop_segments: set[str] = set()
    for ch in proposal.changes:
        if ch.action == "drop" and ch.role == "segment":
            drop_segments.add(ch.where)
        elif ch.action == "drop" and ch.index is not None:
            drop_idx.setdefault((ch.where, ch.role), set()).add(ch.index)
        elif ch.action in ("tighten", "reweight") and ch.index is not None:
            upd: dict[str, Any] = {}
            if ch.action == "tighten" and ch.after is not None:
                new = ch.after
            else:
                new = (ch.before or ch.after).model_copy(update={"weight": ch.weight})  # type: ignore[union-attr]
            upd = {"new": new}
            if ch.where == "timing":
                timing[ch.index] = upd["new"]
            elif ch.where == "disqualifiers":
                disq[ch.index] = upd["new"]
            elif ch.where in segs:
                seg = segs[ch.where]
                lst = seg.must if ch.role == "must" else seg.nice
                if ch.action == "tighten":
                    new = new.model_copy(update={"weight": lst[ch.index].weight})
                lst[ch.index] = new
    # drops, by index, after in-place edits
    for (where, role), idxs in drop_idx.items():
        if where == "timing":
            timing = [c for i, c in enumerate(timing) if i not in idxs]
        elif where == "disqualifiers":
            disq = [c for i, c in enumerate(disq) if i not in idxs]
        elif where in segs:
            seg = segs[where]
            if role == "must":
                seg.must = [c for i, c in enumerate(seg.must) if i not in idxs]
                if not seg.must:
                    drop_segments.add(where)
            else:
                seg.nice = [c for i, c in enumerate(seg.nice) if i not in idxs]
            seg.name = "; ".join(c.describe() for c in seg.must) or seg.name
    new_segments: list[Segment] = [s for sid, s in segs.items() if sid not in drop_segments]
    taken = {s.id for s in icp.segments}
    k = len(icp.segments) + 1
    for ch in proposal.changes:
        if ch.action == "add" and ch.after is not None:
            while f"seg-{k}" in taken:
                k += 1
            sid = f"seg-{k}"
            taken.add(sid)
            new_segments.append(
                Segment(
                    id=sid,
                    name=ch.after.describe(),
                    bonus=ch.weight or 0.0,
                    must=[ch.after.model_copy(update={"weight": 0.0})],
                    messaging=[f"added from cohort {cohort or proposal.cohort}: {ch.reason}"],
                )
            )
    version = icp.version + 1
    entry = ChangeEntry(
        version=version,
        date=today,
        summary=proposal.summary(),
        cohort=cohort or proposal.cohort,
        changes=[c.describe() for c in proposal.changes],
    )
    notes = list(icp.notes)
    if proposal.changes:
        notes.append(
            f"v{version}: validation figures are from v{icp.version}; re-run discovery or "
            "calibration to refresh them"
        )
    scoring = icp.scoring.model_copy(update={"timing": timing})
    from icpkit.interviews.words import flag_dropped

    insights = flag_dropped(  # interviews of a surviving segment stay; a dropped one's are flagged
        icp.insights,
        {s.id for s in new_segments},
        f"segment dropped by calibration in v{version}; kept as a record",
    )
    # A review restarts the review clock with the ICP's own cadence (a year by default).
    cadence = (icp.review_by - icp.created).days if icp.review_by else 365
    return icp.model_copy(
        update={
            "version": version,
            "review_by": today + timedelta(days=max(cadence, 1)),
            "segments": new_segments,
            "disqualifiers": disq,
            "scoring": scoring,
            "notes": notes,
            "changelog": [*icp.changelog, entry],
            "insights": insights,
        }
    )


# -- files -------------------------------------------------------------------------------------


@dataclass
class CalibrationRun:
    """One calibration from files: the report, the proposal and the next version it implies."""

    icp: ICP
    cohort: Cohort
    report: CalibrationReport
    proposal: Proposal
    revised: ICP
    inputs: list[str]


def calibrate_file(
    icp_path: str | Path,
    outcomes_path: str | Path,
    *,
    accounts_path: str | Path | None = None,
    outcome_column: str | None = None,
    cohort_name: str | None = None,
    today: date | None = None,
    as_of: date | None = None,
) -> CalibrationRun:
    """Read the ICP, the outcomes (and accounts) files; calibrate, propose and apply (in memory)."""
    from icpkit.io import read_table

    icp = ICP.load(icp_path)
    outcomes = read_table(outcomes_path)
    accounts = read_table(accounts_path) if accounts_path is not None else None
    name = cohort_name or Path(outcomes_path).name
    co = load_cohort(
        icp,
        outcomes,
        accounts=accounts,
        outcome_column=outcome_column,
        file=str(outcomes_path),
        accounts_file=str(accounts_path) if accounts_path else None,
        as_of=as_of,
    )
    report = calibrate(icp, co, cohort=name, file=str(outcomes_path), as_of=as_of)
    proposal = propose(icp, report, cohort=co)
    revised = apply(icp, proposal, cohort=name, today=today)
    inputs = [str(outcomes_path)] + ([str(accounts_path)] if accounts_path else [])
    return CalibrationRun(icp, co, report, proposal, revised, inputs)


def previous_version_path(target: str | Path, version: int) -> Path:
    """Where ``--write`` keeps the version it replaces: ``icp.yaml`` → ``icp.v1.yaml``."""
    t = Path(target)
    return t.with_name(f"{t.stem}.v{version}{t.suffix or '.yaml'}")


def write_revision(
    old: ICP,
    new: ICP,
    target: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    force: bool = False,
) -> list[Path]:
    """Write ``new`` to ``target``, keeping whatever ``target`` held as ``<stem>.v<N>.yaml``.

    Nothing is lost: the file being replaced (or ``old`` when ``target`` is new) is written
    beside it first; an existing, different backup is never overwritten without ``force``.
    """
    from icpkit.errors import OutputExistsError
    from icpkit.io import atomic_write_text

    t = Path(target)
    written: list[Path] = []
    prior_text = t.read_text(encoding="utf-8") if t.is_file() else old.to_yaml()
    try:
        prior = ICP.from_yaml(prior_text, file=t)
    except IcpkitError:
        prior = old
    backup = previous_version_path(t, prior.version)
    if backup.exists() and backup.read_text(encoding="utf-8") != prior_text and not force:
        raise OutputExistsError(backup)
    if not backup.exists() or force:
        written.append(atomic_write_text(backup, prior_text, force=True, inputs=inputs))
    written.append(atomic_write_text(t, new.to_yaml(), force=True, inputs=inputs))
    return written


__all__ = [
    "CHURN_COLUMNS",
    "CYCLE_COLUMNS",
    "VALUE_COLUMNS",
    "WON_COLUMNS",
    "CalibrationReport",
    "CalibrationRun",
    "Change",
    "Cohort",
    "CriterionResult",
    "GroupResult",
    "IgnoredTrait",
    "Proposal",
    "apply",
    "calibrate",
    "calibrate_file",
    "find_outcome_column",
    "join_accounts",
    "load_cohort",
    "prepare_accounts",
    "previous_version_path",
    "propose",
    "write_revision",
]
