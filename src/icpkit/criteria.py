"""Criteria: the explicit, checkable statements an ICP is made of.

A criterion tests one column of a prepared frame (see :mod:`icpkit.columns`) with exactly one
operator. In the ICP file each criterion is a small mapping that anyone can read and edit::

    - column: industry
      in: [saas, fintech]
    - column: employees
      between: [200, 1000]          # 200 <= employees < 1000; null means open-ended
    - column: leadership_change
      is: true
    - column: tech_stack
      has_any: [shopify plus]
    - column: tech_stack
      has_none: [intercom, drift, zendesk chat]
      category: live chat           # "has no tool in category live chat"
    - column: last_funding_date
      within_days: 180
      before: close_date            # reference date column; absent -> the scoring date

Evaluation is three-valued: ``True`` (met), ``False`` (failed) and ``null`` (unknown because the
data is missing). Unknown is never counted as failed: it is reported as unknown.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Layer = Literal["firmographic", "technographic", "behavioural"]


class Operator(StrEnum):
    """The operators a criterion may use; exactly one per criterion."""

    IN = "in"
    BETWEEN = "between"
    IS = "is"
    HAS_ANY = "has_any"
    HAS_NONE = "has_none"
    WITHIN_DAYS = "within_days"


class Evidence(BaseModel):
    """How a criterion (or a segment) separated best from worst customers when it was fitted.

    Shares are fractions (0-1) of each group that meet the criterion; ``lift`` is the share among
    best over the share among all labelled accounts; ``odds_ratio`` compares best against worst
    with its 95% confidence interval; ``p_value`` is Fisher's exact test and ``q_value`` the
    Benjamini-Hochberg adjusted value across every trait that was tried.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    best_share: float
    worst_share: float
    all_share: float
    lift: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float | None = None
    n: int = Field(description="accounts meeting the criterion (known values only)")
    n_best: int
    n_worst: int
    caveat: str | None = None

    @field_validator("lift", "odds_ratio", "ci_low", "ci_high", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        # YAML has no infinity literal that survives hand edits well; cap instead.
        if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
            return 1e6 if v > 0 else 0.0
        return v


class Criterion(BaseModel):
    """One explicit test on one column. See the module docstring for the file syntax."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    column: str
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    between: tuple[float | None, float | None] | None = None
    is_: bool | None = Field(default=None, alias="is")
    has_any: tuple[str, ...] | None = None
    has_none: tuple[str, ...] | None = None
    category: str | None = None
    within_days: int | None = None
    before: str | None = None
    layer: Layer | None = None
    label: str | None = None
    weight: float | None = None
    evidence: Evidence | None = None

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> Criterion:
        ops = [op for op in Operator if getattr(self, _FIELD[op]) is not None]
        if len(ops) != 1:
            names = ", ".join(o.value for o in Operator)
            found = ", ".join(o.value for o in ops) or "none"
            raise ValueError(f"a criterion needs exactly one operator of {names}; found {found}")
        if self.between is not None:
            lo, hi = self.between
            if lo is None and hi is None:
                raise ValueError("between needs at least one bound")
            if lo is not None and hi is not None and lo >= hi:
                raise ValueError(f"between lower bound {lo} must be below upper bound {hi}")
        if self.within_days is not None and self.within_days <= 0:
            raise ValueError("within_days must be a positive number of days")
        if self.category is not None and self.has_none is None:
            raise ValueError("category goes with has_none (a category gap)")
        if self.before is not None and self.within_days is None:
            raise ValueError("before goes with within_days")
        for name in ("in_", "has_any", "has_none"):
            values = getattr(self, name)
            if values is not None and len(values) == 0:
                raise ValueError(f"{name.rstrip('_')} needs at least one value")
        return self

    @field_validator("in_", "has_any", "has_none", mode="before")
    @classmethod
    def _normalise_values(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, str):
            v = [v]
        return tuple(sorted({normalize_value(str(x)) for x in v}))

    @property
    def operator(self) -> Operator:
        return next(op for op in Operator if getattr(self, _FIELD[op]) is not None)

    def key(self) -> tuple[Any, ...]:
        """Identity of the test itself, ignoring label, weight and evidence."""
        return (
            self.column,
            self.in_,
            self.between,
            self.is_,
            self.has_any,
            self.has_none,
            self.within_days,
            self.before,
        )

    def same_test(self, other: Criterion) -> bool:
        return self.key() == other.key()

    def describe(self) -> str:
        """A human sentence for the test, e.g. ``employees 200–1,000``."""
        if self.label:
            return self.label
        col = self.column.replace("_", " ")
        op = self.operator
        if op is Operator.IN:
            return f"{col} is {_join(self.in_ or ())}"
        if op is Operator.BETWEEN:
            return f"{col} {format_band(*(self.between or (None, None)), column=self.column)}"
        if op is Operator.IS:
            return f"{col}" if self.is_ else f"no {col}"
        if op is Operator.HAS_ANY:
            return f"{col} has {_join(self.has_any or ())}"
        if op is Operator.HAS_NONE:
            if self.category:
                return f"no {self.category} tool"
            return f"{col} has none of {_join(self.has_none or ())}"
        ref = self.before.replace("_", " ") if self.before else "today"
        return f"{col} within {self.within_days} days before {ref}"

    def ideal_fit(self) -> str:
        """The value part of :meth:`describe`, for the 'Ideal fit' column of the criteria table."""
        op = self.operator
        if op is Operator.IN:
            return ", ".join(self.in_ or ())
        if op is Operator.BETWEEN:
            return format_band(*(self.between or (None, None)), column=self.column)
        if op is Operator.IS:
            return "yes" if self.is_ else "no"
        if op is Operator.HAS_ANY:
            return "runs " + " or ".join(self.has_any or ())
        if op is Operator.HAS_NONE:
            return (
                f"no {self.category} tool"
                if self.category
                else "none of " + ", ".join(self.has_none or ())
            )
        ref = self.before.replace("_", " ") if self.before else "today"
        return f"within {self.within_days} days before {ref}"

    def expr(self, *, as_of: date | None = None) -> pl.Expr:
        """A polars expression: True (met), False (failed) or null (unknown).

        Assumes a prepared frame: categoricals normalised, multi-valued columns as lists.
        ``as_of`` is the reference date for ``within_days`` without ``before``.
        """
        c = pl.col(self.column)
        op = self.operator
        if op is Operator.IN:
            return c.is_in(list(self.in_ or ()))
        if op is Operator.BETWEEN:
            lo, hi = self.between or (None, None)
            parts = []
            if lo is not None:
                parts.append(c >= lo)
            if hi is not None:
                parts.append(c < hi)
            out = parts[0]
            for p in parts[1:]:
                # Both sides are null exactly when the value is, so unknown stays unknown.
                out = out & p
            return out
        if op is Operator.IS:
            return c == self.is_
        if op in (Operator.HAS_ANY, Operator.HAS_NONE):
            values = list(self.has_any or self.has_none or ())
            hit = c.list.eval(pl.element().is_in(values)).list.any()
            hit = pl.when(c.is_null()).then(None).otherwise(hit)
            return hit if op is Operator.HAS_ANY else ~hit
        ref = pl.col(self.before) if self.before else pl.lit(as_of or date.today())
        days = (ref - c).dt.total_days()
        return (days >= 0) & (days <= (self.within_days or 0))

    def to_file(self) -> dict[str, Any]:
        """The mapping written to the ICP file (aliases, no empty fields, stable key order)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


_FIELD = {
    Operator.IN: "in_",
    Operator.BETWEEN: "between",
    Operator.IS: "is_",
    Operator.HAS_ANY: "has_any",
    Operator.HAS_NONE: "has_none",
    Operator.WITHIN_DAYS: "within_days",
}


def normalize_value(value: str) -> str:
    """Categorical values are compared stripped, whitespace-collapsed and lower-cased."""
    return " ".join(value.split()).lower()


def _join(values: tuple[str, ...] | list[str]) -> str:
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " or " + values[-1]


_MONEY_HINTS = ("revenue", "arr", "mrr", "ltv", "funding", "amount", "value", "usd", "raised")


def format_number(x: float, *, money: bool = False) -> str:
    """Human-readable number: 1,000 / 12.5K / $10M."""
    sign = "-" if x < 0 else ""
    a = abs(x)
    if money:
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if a >= div:
                v = a / div
                txt = f"{v:.1f}".rstrip("0").rstrip(".") if v < 100 else f"{v:.0f}"
                return f"{sign}${txt}{suffix}"
        return f"{sign}${a:,.0f}"
    if a >= 1e6:
        v = a / 1e6
        return f"{sign}{v:.1f}".rstrip("0").rstrip(".") + "M"
    if a == int(a):
        return f"{sign}{int(a):,}"
    return f"{sign}{a:,.2f}".rstrip("0").rstrip(".")


def format_band(lo: float | None, hi: float | None, *, column: str = "") -> str:
    """``200–1,000`` / ``≥ 1,000`` / ``< 50``; money columns get currency units."""
    money = any(h in column.lower() for h in _MONEY_HINTS)
    if lo is not None and hi is not None:
        return f"{format_number(lo, money=money)}–{format_number(hi, money=money)}"
    if lo is not None:
        return f"≥ {format_number(lo, money=money)}"
    return f"< {format_number(hi or 0.0, money=money)}"


__all__ = [
    "Criterion",
    "Evidence",
    "Layer",
    "Operator",
    "format_band",
    "format_number",
    "normalize_value",
]
