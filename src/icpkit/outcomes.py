"""Outcomes: who counts as a best and who as a worst customer.

The default composite, used when no explicit label is given:

* **worst** = accounts flagged as lost or churned (a churned / won=false flag, or a status such as
  "churned", "former customer", "closed lost", "closed") **plus** the bottom ``worst_share`` (20%)
  of the outcome composite;
* **best** = the top ``best_share`` (20%) of the outcome composite among accounts not flagged
  worst; with no numeric outcome metrics, accounts whose status is a success ("won",
  "acquired", "ipo", ...) are best;
* the **composite** is the mean of the percentile ranks of every numeric outcome metric the data
  has, each turned so that higher is better: lifetime/contract value, retention, expansion
  (higher is better), support tickets, sales-cycle days and onboarding days (lower is better).

An explicit label column (``label=`` / ``--label``) overrides all of it: values such as
true/false, won/lost, 1/0, yes/no, best/worst, good/bad; anything else is "neither".

What counts as a success or a failure in a cell is one vocabulary, :data:`WON_WORDS` and
:data:`LOST_WORDS`, read through :func:`won_lost` by every module that meets outcomes (labels,
won flags, statuses, the living cohort's deals, personas' deal stages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from icpkit.columns.parsing import FALSE_WORDS, TRUE_WORDS
from icpkit.columns.schema import ColumnInfo, OutcomeKind, Schema
from icpkit.errors import OutcomeError, UsageError

# -- the one won/lost vocabulary ----------------------------------------------------------------
# Every module that reads a success or a failure from a cell (labels, won flags, statuses, deal
# stages, personas' deal outcomes, the living cohort) classifies it with :func:`won_lost`, so a
# spelling counts the same everywhere. Words are compared after :func:`outcome_text`.

#: Spellings of a success: a won deal, a good customer, a company outcome investors call one.
WON_WORDS = frozenset(
    {
        *TRUE_WORDS,
        "won",
        "win",
        "closed won",
        "closedwon",
        "success",
        "successful",
        "signed",
        "customer",
        "best",
        "good",
        "positive",
        "ideal",
        "acquired",
        "ipo",
        "promoter",
        "champion",
        "expanded",
        "expansion",
    }
)
#: Spellings of a failure: a lost deal, a churned or closed customer, a disqualified account.
LOST_WORDS = frozenset(
    {
        *FALSE_WORDS,
        "lost",
        "lose",
        "loss",
        "closed lost",
        "closedlost",
        "worst",
        "bad",
        "negative",
        "churned",
        "churn",
        "former customer",
        "closed",
        "cancelled",
        "canceled",
        "bankrupt",
        "dead",
        "disqualified",
    }
)
#: Values of a churn flag that mean "churned" (a yes, or the word itself).
CHURN_WORDS = frozenset({*TRUE_WORDS, "churned", "churn"})


def outcome_text(expr: pl.Expr) -> pl.Expr:
    """Lower case, ``-``/``_``/whitespace runs as one space: "Closed-Won" reads "closed won"."""
    return (
        expr.cast(pl.String).str.to_lowercase().str.replace_all(r"[\s_-]+", " ").str.strip_chars()
    )


def won_lost(expr: pl.Expr) -> pl.Expr:
    """``True`` for a success spelling, ``False`` for a failure, null for anything else."""
    s = outcome_text(expr)
    return (
        pl.when(s.is_in(list(WON_WORDS)))
        .then(True)
        .when(s.is_in(list(LOST_WORDS)))
        .then(False)
        .otherwise(None)
    )


MIN_BEST = 30


@dataclass(frozen=True)
class OutcomeSpec:
    """How to define best and worst customers; the defaults are documented in the module."""

    label: str | None = None
    best_share: float = 0.2
    worst_share: float = 0.2
    best_labels: frozenset[str] = WON_WORDS
    worst_labels: frozenset[str] = LOST_WORDS

    def __post_init__(self) -> None:
        for name in ("best_share", "worst_share"):
            v = getattr(self, name)
            if not 0 < v < 1:
                raise UsageError(f"{name} must be between 0 and 1 (exclusive), got {v}")


@dataclass(frozen=True)
class Outcomes:
    """Per-account outcome labels, aligned with the frame they were computed from."""

    best: np.ndarray
    worst: np.ndarray
    best_rule: str  # who is best, in words ("top 20% of an outcome composite ...")
    worst_rule: str
    columns: list[str]  # the columns the rules read
    composite: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def labelled(self) -> np.ndarray:
        return self.best | self.worst

    def describe(self) -> dict[str, Any]:
        """The rules and counts as the ICP file's ``outcomes`` section records them."""
        return {
            "best": self.best_rule,
            "worst": self.worst_rule,
            "best_count": int(self.best.sum()),
            "worst_count": int(self.worst.sum()),
            "total": len(self.best),
            "columns": list(self.columns),
        }

    def series(self) -> pl.Series:
        """``best`` / ``worst`` / null per account, handy for joins and reports."""
        out = np.full(len(self.best), None, dtype=object)
        out[self.worst] = "worst"
        out[self.best] = "best"
        return pl.Series("outcome", out, dtype=pl.String)


def label_outcomes(
    frame: pl.DataFrame,
    schema: Schema,
    spec: OutcomeSpec | None = None,
    *,
    file: str | None = None,
) -> Outcomes:
    """Mark best and worst customers in a prepared frame; raises :class:`OutcomeError`."""
    spec = spec or OutcomeSpec()
    n = frame.height
    if n == 0:
        raise OutcomeError("no rows to label", file=file)
    label_col = spec.label or next(
        (c.name for c in schema.outcomes if c.outcome is OutcomeKind.LABEL), None
    )
    if label_col is not None:
        return _from_label(frame, label_col, spec, file=file)

    outcome_cols = list(schema.outcomes)
    if not outcome_cols:
        raise OutcomeError(
            "no outcome column found: the data needs a won/lost or churned flag, a status, or "
            "outcome metrics (LTV/ARR, retention, expansion, support tickets, sales-cycle or "
            "onboarding days); name a label column with --label or declare outcome columns in "
            "the columns config",
            file=file,
        )

    flags = _flags(frame, outcome_cols)
    metrics = [
        c for c in outcome_cols if c.outcome in _METRIC_KINDS and frame.schema[c.name].is_numeric()
    ]
    composite = _composite(frame, metrics) if metrics else None
    echoes: list[str] = []
    if composite is not None:
        best, worst, best_txt, worst_txt = _by_composite(composite, flags, metrics, spec)
        used = [c.name for c in metrics] + [
            c.name for c in outcome_cols if c.outcome in _FLAG_KINDS
        ]
        echoes = outcome_echoes(frame, schema, metrics)
    elif flags.best.any() and flags.worst.any():
        best = flags.best & ~flags.worst
        worst = flags.worst
        best_txt = " or ".join(flags.best_parts)
        worst_txt = " or ".join(flags.worst_parts)
        used = [c.name for c in outcome_cols if c.outcome in _FLAG_KINDS]
    else:
        names = ", ".join(c.name for c in outcome_cols)
        what = "no success" if not flags.best.any() else "no failure"
        raise OutcomeError(
            f"outcome column(s) {names} give {what} cases and no numeric outcome metric to rank "
            "by, so best and worst cannot both be defined; pass --label with a column holding "
            "both outcomes",
            file=file,
            column=outcome_cols[0].source,
        )
    return _finish(best, worst, best_txt, worst_txt, used, composite, echoes, n)


#: An attribute whose rank correlation with an outcome metric reaches this is reported as
#: possibly restating the outcome.
ECHO_RHO = 0.8


def outcome_echoes(frame: pl.DataFrame, schema: Schema, metrics: list[ColumnInfo]) -> list[str]:
    """Warnings for numeric attributes that move with an outcome metric best customers are
    ranked by (|Spearman| ≥ ``ECHO_RHO`` over the accounts that have both).

    Such a column may be a consequence of the outcome rather than a sign of it: on the Telco
    export, total charges (0.89 with tenure, the default outcome) is tenure times the monthly
    charge, and a model reading it "predicts" long tenure from spend that long tenure caused.
    Whether it is known before the deal is the user's call, so this warns and does not drop.
    """
    attrs = [
        c
        for c in schema.attributes
        if frame.schema[c.name].is_numeric() and frame.schema[c.name] != pl.Boolean
    ]
    numeric = [m for m in metrics if frame.schema[m.name].is_numeric()]
    if not attrs or not numeric:
        return []
    exprs = []
    for i, a in enumerate(attrs):
        for j, m in enumerate(numeric):
            both = pl.col(a.name).is_not_null() & pl.col(m.name).is_not_null()
            x, y = pl.col(a.name).filter(both), pl.col(m.name).filter(both)
            exprs.append(pl.corr(x, y, method="spearman").alias(f"{i}/{j}"))
    row = frame.select(exprs).row(0, named=True)
    out = []
    for key, rho in row.items():
        if rho is None or not abs(rho) >= ECHO_RHO:  # (NaN: a constant column)
            continue
        i, j = (int(v) for v in key.split("/"))
        a, m = attrs[i], numeric[j]
        out.append(
            f"column {a.source!r} moves with {m.source!r}, which ranks best customers (rank "
            f"correlation {rho:.2f}): it may restate the outcome rather than predict it; if it "
            f'is only known after the fact, leave it out (columns config: ignore = ["{a.source}"])'
        )
    return out


_METRIC_KINDS = (
    OutcomeKind.VALUE,
    OutcomeKind.RETENTION,
    OutcomeKind.EXPANSION,
    OutcomeKind.SUPPORT,
    OutcomeKind.SALES_CYCLE,
    OutcomeKind.ONBOARDING,
)


@dataclass
class _Flags:
    """Accounts the flag columns (churned, won/lost, status) call won or lost, and how."""

    best: np.ndarray
    worst: np.ndarray
    best_parts: list[str] = field(default_factory=list)
    worst_parts: list[str] = field(default_factory=list)


def _flags(frame: pl.DataFrame, outcome_cols: list[ColumnInfo]) -> _Flags:
    """Or every churned, won/lost and status column into one best and one worst flag."""
    out = _Flags(np.zeros(frame.height, dtype=bool), np.zeros(frame.height, dtype=bool))
    for c in outcome_cols:
        s = frame.get_column(c.name)
        if c.outcome is OutcomeKind.CHURNED:
            flag = _churned(s)
            out.worst |= flag
            out.worst_parts.append(f"{c.name} (n={int(flag.sum()):,})")
        elif c.outcome is OutcomeKind.WON:
            won, lost = _won_and_lost(s)
            out.worst |= lost
            out.best |= won
            out.worst_parts.append(f"{c.name} = lost (n={int(lost.sum()):,})")
            out.best_parts.append(f"{c.name} = won (n={int(won.sum()):,})")
        elif c.outcome is OutcomeKind.STATUS:
            vals = s.to_frame("v").select(outcome_text(pl.col("v"))).to_series()
            wf = vals.is_in(list(LOST_WORDS)).fill_null(False).to_numpy()
            bf = vals.is_in(list(WON_WORDS)).fill_null(False).to_numpy()
            out.worst |= wf
            out.best |= bf
            seen_w = sorted(set(vals.filter(vals.is_in(list(LOST_WORDS))).unique().to_list()))
            seen_b = sorted(set(vals.filter(vals.is_in(list(WON_WORDS))).unique().to_list()))
            if seen_w:
                out.worst_parts.append(f"{c.name} in {seen_w} (n={int(wf.sum()):,})")
            if seen_b:
                out.best_parts.append(f"{c.name} in {seen_b} (n={int(bf.sum()):,})")
    return out


def _by_composite(
    composite: np.ndarray, flags: _Flags, metrics: list[ColumnInfo], spec: OutcomeSpec
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Best: the top share of the metric composite among accounts not flagged lost; worst:
    flagged lost, or the bottom share. Returns the two masks and their descriptions."""
    eligible = ~flags.worst & ~np.isnan(composite)
    best = _top_share(composite, eligible, spec.best_share)
    low = _top_share(-composite, ~np.isnan(composite), spec.worst_share)
    worst = (flags.worst | low) & ~best
    metric_txt = ", ".join(
        f"{c.name} ({'higher' if higher_is_better(c) else 'lower'} is better)" for c in metrics
    )
    best_txt = (
        f"top {spec.best_share:.0%} of an outcome composite (mean percentile rank of "
        f"{metric_txt})" + (" among accounts not lost or churned" if flags.worst_parts else "")
    )
    worst_txt = " or ".join([*flags.worst_parts, f"bottom {spec.worst_share:.0%} of the composite"])
    return best, worst, best_txt, worst_txt


_FLAG_KINDS = (OutcomeKind.CHURNED, OutcomeKind.WON, OutcomeKind.STATUS)


def _from_label(frame: pl.DataFrame, col: str, spec: OutcomeSpec, *, file: str | None) -> Outcomes:
    if col not in frame.columns:
        raise OutcomeError(
            f"label column {col!r} not found; columns are {', '.join(frame.columns)}", file=file
        )
    vals = frame.select(outcome_text(pl.col(col))).to_series()
    best_labels = _normalised(spec.best_labels)
    worst_labels = _normalised(spec.worst_labels)
    best = vals.is_in(list(best_labels)).fill_null(False).to_numpy()
    worst = vals.is_in(list(worst_labels)).fill_null(False).to_numpy() & ~best
    known = vals.drop_nulls().unique().to_list()
    if not known:
        raise OutcomeError("label column is empty", file=file, column=col)
    if not best.any() or not worst.any():
        present = sorted(str(v) for v in known)[:10]
        missing = "best" if not best.any() else "worst"
        raise OutcomeError(
            f"label column has no {missing} accounts (values seen: {present}); labels need both "
            f"outcomes, e.g. {sorted(best_labels - set(TRUE_WORDS))[:4]} for best and "
            f"{sorted(worst_labels - set(FALSE_WORDS))[:4]} for worst",
            file=file,
            column=col,
        )
    return _finish(
        best,
        worst,
        f"{col} in {sorted({v for v in known if v in best_labels})}",
        f"{col} in {sorted({v for v in known if v in worst_labels})}",
        [col],
        None,
        [],
        frame.height,
    )


def _finish(
    best: np.ndarray,
    worst: np.ndarray,
    best_txt: str,
    worst_txt: str,
    used: list[str],
    composite: np.ndarray | None,
    warnings: list[str],
    n: int,
) -> Outcomes:
    nb, nw = int(best.sum()), int(worst.sum())
    if nb < MIN_BEST:
        warnings.append(
            f"only {nb} best customers (fewer than {MIN_BEST}): shares and tests on so few "
            "accounts are unstable, so criteria found are weak and carry small-sample caveats"
        )
    if nw < MIN_BEST:
        warnings.append(
            f"only {nw} worst customers (fewer than {MIN_BEST}): anti-signals cannot be "
            "established reliably"
        )
    return Outcomes(
        best=best,
        worst=worst,
        best_rule=best_txt,
        worst_rule=worst_txt,
        columns=used,
        composite=composite,
        warnings=warnings,
    )


def higher_is_better(c: ColumnInfo) -> bool:
    """Whether a larger value of this outcome metric is better (support, cycle, onboarding: no)."""
    if c.higher_is_better is not None:
        return bool(c.higher_is_better)
    return c.outcome not in (OutcomeKind.SUPPORT, OutcomeKind.SALES_CYCLE, OutcomeKind.ONBOARDING)


def _composite(frame: pl.DataFrame, metrics: list[ColumnInfo]) -> np.ndarray:
    """Mean percentile rank (0-1, higher = better) over the metrics each account has."""
    exprs = []
    for c in metrics:
        col = pl.col(c.name).cast(pl.Float64)
        col = col if higher_is_better(c) else -col
        exprs.append((col.rank("average") / col.count()).alias(c.name))
    ranks = frame.select(exprs)
    comp = ranks.select(pl.mean_horizontal(pl.all()).alias("c")).get_column("c")
    return comp.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _top_share(score: np.ndarray, eligible: np.ndarray, share: float) -> np.ndarray:
    """The top ``share`` of all scored accounts, chosen among the eligible ones."""
    scored = ~np.isnan(score)
    k = round(share * scored.sum())
    out = np.zeros(len(score), dtype=bool)
    if k == 0:
        return out
    idx = np.flatnonzero(eligible)
    order = idx[np.argsort(-score[idx], kind="stable")]
    out[order[:k]] = True
    return out


def _normalised(words: frozenset[str]) -> frozenset[str]:
    v = pl.Series("v", sorted(words), dtype=pl.String).to_frame()
    return frozenset(v.select(outcome_text(pl.col("v"))).to_series().to_list())


def _churned(s: pl.Series) -> np.ndarray:
    """A churn flag: true, non-zero, a churn date, or a yes/"churned" word."""
    if s.dtype == pl.Boolean:
        return s.fill_null(False).to_numpy()
    if s.dtype.is_numeric():
        return (s.fill_null(0) != 0).to_numpy()
    if s.dtype == pl.Date or s.dtype == pl.Datetime:
        return s.is_not_null().to_numpy()  # a churn date means churned
    v = s.to_frame("v").select(outcome_text(pl.col("v"))).to_series()
    return v.is_in(list(CHURN_WORDS)).fill_null(False).to_numpy()


def _won_and_lost(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A won flag or stage: (won, lost) masks by :func:`won_lost` (numbers: non-zero is won)."""
    if s.dtype.is_numeric():
        return (s.fill_null(0) != 0).to_numpy(), (s == 0).fill_null(False).to_numpy()
    v = s.to_frame("v").select(won_lost(pl.col("v"))).to_series()
    return v.fill_null(False).to_numpy(), (~v).fill_null(False).to_numpy()


__all__ = [
    "CHURN_WORDS",
    "LOST_WORDS",
    "MIN_BEST",
    "WON_WORDS",
    "OutcomeSpec",
    "Outcomes",
    "higher_is_better",
    "label_outcomes",
    "outcome_text",
    "won_lost",
]
