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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from icpkit.columns import ColumnInfo, OutcomeKind, Schema
from icpkit.errors import OutcomeError
from icpkit.icp import OutcomeDefinition

BEST_LABELS = frozenset(
    {"true", "1", "yes", "y", "best", "good", "won", "win", "closed won", "positive", "ideal"}
)
WORST_LABELS = frozenset(
    {"false", "0", "no", "n", "worst", "bad", "lost", "loss", "closed lost", "negative", "churned"}
)
BEST_STATUS = frozenset(
    {"won", "closed won", "acquired", "ipo", "promoter", "champion", "expanded", "expansion"}
)
WORST_STATUS = frozenset(
    {
        "churned",
        "churn",
        "former customer",
        "closed lost",
        "lost",
        "closed",
        "cancelled",
        "canceled",
        "bankrupt",
        "dead",
        "disqualified",
    }
)
MIN_BEST = 30


@dataclass(frozen=True)
class OutcomeSpec:
    """How to define best and worst customers; the defaults are documented in the module."""

    label: str | None = None
    best_share: float = 0.2
    worst_share: float = 0.2
    best_labels: frozenset[str] = BEST_LABELS
    worst_labels: frozenset[str] = WORST_LABELS

    def __post_init__(self) -> None:
        for name in ("best_share", "worst_share"):
            v = getattr(self, name)
            if not 0 < v < 1:
                raise ValueError(f"{name} must be between 0 and 1, got {v}")


@dataclass(frozen=True)
class Outcomes:
    """Per-account outcome labels, aligned with the frame they were computed from."""

    best: np.ndarray
    worst: np.ndarray
    definition: OutcomeDefinition
    composite: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def labelled(self) -> np.ndarray:
        return self.best | self.worst

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

    worst_flag = np.zeros(n, dtype=bool)
    best_flag = np.zeros(n, dtype=bool)
    flag_parts: list[str] = []
    status_best_parts: list[str] = []
    for c in outcome_cols:
        s = frame.get_column(c.name)
        if c.outcome is OutcomeKind.CHURNED:
            flag = _truthy(s)
            worst_flag |= flag
            flag_parts.append(f"{c.name} (n={int(flag.sum()):,})")
        elif c.outcome is OutcomeKind.WON:
            won = _truthy(s)
            lost = _falsy(s)
            worst_flag |= lost
            best_flag |= won
            flag_parts.append(f"{c.name} = lost (n={int(lost.sum()):,})")
            status_best_parts.append(f"{c.name} = won (n={int(won.sum()):,})")
        elif c.outcome is OutcomeKind.STATUS:
            vals = s.cast(pl.String).str.strip_chars().str.to_lowercase()
            wf = vals.is_in(list(WORST_STATUS)).fill_null(False).to_numpy()
            bf = vals.is_in(list(BEST_STATUS)).fill_null(False).to_numpy()
            worst_flag |= wf
            best_flag |= bf
            seen_w = sorted(set(vals.filter(vals.is_in(list(WORST_STATUS))).unique().to_list()))
            seen_b = sorted(set(vals.filter(vals.is_in(list(BEST_STATUS))).unique().to_list()))
            if seen_w:
                flag_parts.append(f"{c.name} in {seen_w} (n={int(wf.sum()):,})")
            if seen_b:
                status_best_parts.append(f"{c.name} in {seen_b} (n={int(bf.sum()):,})")

    metrics = [
        c
        for c in outcome_cols
        if c.outcome
        in (
            OutcomeKind.VALUE,
            OutcomeKind.RETENTION,
            OutcomeKind.EXPANSION,
            OutcomeKind.SUPPORT,
            OutcomeKind.SALES_CYCLE,
            OutcomeKind.ONBOARDING,
        )
        and frame.schema[c.name].is_numeric()
    ]
    composite = _composite(frame, metrics) if metrics else None
    warnings: list[str] = []

    if composite is not None:
        eligible = ~worst_flag & ~np.isnan(composite)
        best = _top_share(composite, eligible, spec.best_share)
        low = _top_share(-composite, ~np.isnan(composite), spec.worst_share)
        worst = (worst_flag | low) & ~best
        metric_txt = ", ".join(
            f"{c.name} ({'higher' if higher_is_better(c) else 'lower'} is better)" for c in metrics
        )
        best_txt = (
            f"top {spec.best_share:.0%} of an outcome composite (mean percentile rank of "
            f"{metric_txt})" + (" among accounts not lost or churned" if flag_parts else "")
        )
        worst_txt = " or ".join([*flag_parts, f"bottom {spec.worst_share:.0%} of the composite"])
        used = [c.name for c in metrics] + [
            c.name for c in outcome_cols if c.outcome in _FLAG_KINDS
        ]
    elif best_flag.any() and worst_flag.any():
        best = best_flag & ~worst_flag
        worst = worst_flag
        best_txt = " or ".join(status_best_parts)
        worst_txt = " or ".join(flag_parts)
        used = [c.name for c in outcome_cols if c.outcome in _FLAG_KINDS]
    else:
        names = ", ".join(c.name for c in outcome_cols)
        what = "no success" if not best_flag.any() else "no failure"
        raise OutcomeError(
            f"outcome column(s) {names} give {what} cases and no numeric outcome metric to rank "
            "by, so best and worst cannot both be defined; pass --label with a column holding "
            "both outcomes",
            file=file,
            column=outcome_cols[0].source,
        )
    return _finish(best, worst, best_txt, worst_txt, used, composite, warnings, n)


_FLAG_KINDS = (OutcomeKind.CHURNED, OutcomeKind.WON, OutcomeKind.STATUS)


def _from_label(frame: pl.DataFrame, col: str, spec: OutcomeSpec, *, file: str | None) -> Outcomes:
    if col not in frame.columns:
        raise OutcomeError(
            f"label column {col!r} not found; columns are {', '.join(frame.columns)}", file=file
        )
    s = frame.get_column(col)
    if s.dtype == pl.Boolean:
        vals = s.cast(pl.String)
    else:
        vals = s.cast(pl.String).str.strip_chars().str.to_lowercase()
    best = vals.is_in(list(spec.best_labels)).fill_null(False).to_numpy()
    worst = vals.is_in(list(spec.worst_labels)).fill_null(False).to_numpy()
    known = vals.drop_nulls().unique().to_list()
    if not known:
        raise OutcomeError("label column is empty", file=file, column=col)
    if not best.any() or not worst.any():
        present = sorted(str(v) for v in known)[:10]
        missing = "best" if not best.any() else "worst"
        raise OutcomeError(
            f"label column has no {missing} accounts (values seen: {present}); labels need both "
            f"outcomes, e.g. {sorted(spec.best_labels)[:4]} for best and "
            f"{sorted(spec.worst_labels)[:4]} for worst",
            file=file,
            column=col,
        )
    return _finish(
        best,
        worst,
        f"{col} in {sorted({v for v in known if v in spec.best_labels})}",
        f"{col} in {sorted({v for v in known if v in spec.worst_labels})}",
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
    definition = OutcomeDefinition(
        best=best_txt, worst=worst_txt, best_count=nb, worst_count=nw, total=n, columns=used
    )
    return Outcomes(
        best=best, worst=worst, definition=definition, composite=composite, warnings=warnings
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


def _truthy(s: pl.Series) -> np.ndarray:
    if s.dtype == pl.Boolean:
        return s.fill_null(False).to_numpy()
    if s.dtype.is_numeric():
        return (s.fill_null(0) != 0).to_numpy()
    if s.dtype == pl.Date or s.dtype == pl.Datetime:
        return s.is_not_null().to_numpy()  # a churn date means churned
    v = s.cast(pl.String).str.strip_chars().str.to_lowercase()
    return v.is_in(list(BEST_LABELS | {"churned"})).fill_null(False).to_numpy()


def _falsy(s: pl.Series) -> np.ndarray:
    if s.dtype == pl.Boolean:
        return (~s).fill_null(False).to_numpy()
    if s.dtype.is_numeric():
        return (s == 0).fill_null(False).to_numpy()
    v = s.cast(pl.String).str.strip_chars().str.to_lowercase()
    return v.is_in(list(WORST_LABELS)).fill_null(False).to_numpy()


__all__ = ["MIN_BEST", "OutcomeSpec", "Outcomes", "higher_is_better", "label_outcomes"]
