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

import difflib
import math
import re
from contextvars import ContextVar
from datetime import date
from enum import StrEnum
from typing import Any, Literal, Self

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from icpkit.errors import IcpFileError

# Set while a file model validates, so models pydantic builds inside it let the raw error travel
# up and the outermost one names the whole dotted path ("segments.0.must.1").
_ENCLOSED: ContextVar[bool] = ContextVar("icpkit_file_model_enclosed", default=False)


class FileModel(BaseModel):
    """Base of every model read from an ICP file (criteria, evidence, segments, the ICP itself).

    Building one from bad data (the constructor, ``model_validate``, ``model_validate_json``,
    ``model_validate_strings``) raises :class:`~icpkit.errors.IcpFileError` naming the field,
    never a raw pydantic ``ValidationError``: a hand-edited file is user input. Only these entry
    points translate; pydantic validates nested models without calling them, so the outermost
    model's error names the whole dotted path ("segments.0.must.1").
    """

    def __init__(self, /, **data: Any) -> None:
        # pydantic calls a custom __init__ for nested models too; only the outermost translates.
        if _ENCLOSED.get():
            super().__init__(**data)
            return
        token = _ENCLOSED.set(True)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        finally:
            _ENCLOSED.reset(token)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        if _ENCLOSED.get():
            return super().model_validate(obj, *args, **kwargs)
        token = _ENCLOSED.set(True)
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise validation_error(exc) from None
        finally:
            _ENCLOSED.reset(token)

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        if _ENCLOSED.get():
            return super().model_validate_json(json_data, *args, **kwargs)
        token = _ENCLOSED.set(True)
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise validation_error(exc) from None
        finally:
            _ENCLOSED.reset(token)

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        if _ENCLOSED.get():
            return super().model_validate_strings(obj, *args, **kwargs)
        token = _ENCLOSED.set(True)
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise validation_error(exc) from None
        finally:
            _ENCLOSED.reset(token)


def _model_names(cls: type[BaseModel] = FileModel) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _model_names(sub)
    return names


def validation_error(exc: ValidationError) -> IcpFileError:
    """The first of pydantic's errors in the words and dotted field path of the ICP file; the
    message counts the others. A required field reported missing beside a key that is no
    field at the same place is read as a typo and said as one (``colum:`` for ``column:``)."""
    errors = exc.errors()
    err = errors[0]
    loc = _file_loc(err)
    msg = err["msg"].removeprefix("Value error, ")
    used = 1
    if err["type"] == "missing" and loc:
        stray = [
            _file_loc(e)[-1]
            for e in errors
            if e["type"] == "extra_forbidden" and _file_loc(e)[:-1] == loc[:-1]
        ]
        if stray:
            used += 1
            close = difflib.get_close_matches(str(stray[0]), [str(loc[-1])], n=1, cutoff=0.6)
            msg += f"; {str(stray[0])!r} is not a field here" + (
                f" (a typo of {close[0]!r}?)" if close else ""
            )
    more = len(errors) - used
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return IcpFileError(msg, field=".".join(str(p) for p in loc) or None)


def _file_loc(err: Any) -> list[Any]:
    """pydantic's error location without the validator and model names it adds
    ("function-wrap[...]", "Segment")."""
    models = _model_names()
    return [
        p
        for p in err["loc"]
        if not (isinstance(p, str) and (p.startswith("function-") or p in models))
    ]


class Layer(StrEnum):
    """What a trait says about a company: who it is, what it runs, what it is doing now."""

    FIRMOGRAPHIC = "firmographic"
    TECHNOGRAPHIC = "technographic"
    BEHAVIOURAL = "behavioural"


# What a number *is*, so that it is written the way people read it: a year (2000, not 2,000), a
# count (2 rounds, not $2), money ($2M), a percentage (12%), a share (0.12 as 12%), a duration.
Unit = Literal["money", "count", "year", "percent", "share", "days", "months", "plain"]
UNITS: tuple[str, ...] = ("money", "count", "year", "percent", "share", "days", "months", "plain")


class Operator(StrEnum):
    """The operators a criterion may use; exactly one per criterion."""

    IN = "in"
    BETWEEN = "between"
    IS = "is"
    HAS_ANY = "has_any"
    HAS_NONE = "has_none"
    WITHIN_DAYS = "within_days"


class GivenOthers(FileModel):
    """What a segment must-have adds to the segment's other must-haves: among the accounts that
    meet every other must-have, how many meet this one, and how many of those and of the rest
    are best customers. A must-have is chosen for what it adds to the others, so this, not its
    share of best and worst on its own, says why it is in the segment: on the Crunchbase export
    "funding rounds < 4" reads 86% of best / 94% of worst on its own (odds ratio 0.37), yet among
    accounts meeting the segment's other two must-haves 23% of those with it are best against 9%
    of those without."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accounts_with: int = Field(description="accounts meeting this and every other must-have")
    best_with: int = Field(description="best customers among them")
    accounts_without: int = Field(
        description="accounts meeting every other must-have but not this one (or unknown)"
    )
    best_without: int = Field(description="best customers among them")

    @property
    def rate_with(self) -> float:
        return self.best_with / self.accounts_with if self.accounts_with else math.nan

    @property
    def rate_without(self) -> float:
        return self.best_without / self.accounts_without if self.accounts_without else math.nan


class Evidence(FileModel):
    """How a criterion (or a segment) separated best from worst customers when it was fitted.

    Shares are fractions (0-1) of each group that meet the criterion; ``lift`` is the share among
    best over the share among every account (best, worst and neither; known values only); ``odds_ratio`` compares best against worst
    with its 95% confidence interval; ``p_value`` is Fisher's exact test and ``q_value`` the
    Benjamini-Hochberg adjusted value across every trait that was tried.

    Criteria that discovery *selected* on the outcome (segment must-haves with their refined
    edges and value sets, disqualifiers, timing signals) carry selection-adjusted values instead:
    ``p_value`` and ``q_value`` then account for everything the search looked at, refinement
    included (see :mod:`icpkit.discovery.significance`), ``raw_p_value`` keeps the unadjusted Fisher
    p-value and ``adjustment`` says how the adjustment was made. Files without these two fields
    read as before.

    A segment must-have also carries ``given_others`` (:class:`GivenOthers`): what it adds among
    the accounts meeting the segment's other must-haves. The shares above are the criterion's
    own, over every labelled account.
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
    raw_p_value: float | None = None
    adjustment: str | None = None
    given_others: GivenOthers | None = None

    @field_validator("lift", "odds_ratio", "ci_low", "ci_high", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        # YAML has no infinity literal that survives hand edits well; cap instead.
        if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
            return 1e6 if v > 0 else 0.0
        return v


class Criterion(FileModel):
    """One explicit test on one column. See the module docstring for the file syntax."""

    # use_enum_values: the layer is kept as its plain string, so frames and YAML built from
    # criteria hold text, not enum members.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_enum_values=True
    )

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
    unit: Unit | None = Field(
        default=None, description="what the number is (display only); absent: read from the name"
    )
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
        windowed = _windowed(self)
        if windowed is not None:
            return windowed
        if op is Operator.IN:
            return f"{col} is {_join(self.in_ or ())}"
        if op is Operator.BETWEEN:
            lo, hi = self.between or (None, None)
            return f"{col} {format_band(lo, hi, column=self.column, unit=self.unit)}"
        if op is Operator.IS:
            return f"{col}" if self.is_ else f"no {col}"
        if op is Operator.HAS_ANY:
            return f"{col} has {_join(self.has_any or ())}"
        if op is Operator.HAS_NONE:
            if self.category:
                return f"no {self.category} tool"
            return f"{col} has none of {_join(self.has_none or ())}"
        event = _event_words(self.column)
        span = day_span(self.within_days or 0)
        if not self.before and (self.within_days or 0) >= ON_RECORD_DAYS:
            return f"{event or _date_subject(self.column)} on record"
        if event is not None and not self.before:
            return f"{event} in the last {span}"
        if not self.before:
            return f"{_date_subject(self.column)} in the last {span}"
        return f"{event or col} within {span} before {self.before.replace('_', ' ')}"

    def ideal_fit(self) -> str:
        """The value part of :meth:`describe`, for the 'Ideal fit' column of the criteria table."""
        op = self.operator
        if op is Operator.IN:
            return ", ".join(self.in_ or ())
        if op is Operator.BETWEEN:
            lo, hi = self.between or (None, None)
            return format_band(lo, hi, column=self.column, unit=self.unit)
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
        span = day_span(self.within_days or 0)
        if not self.before and (self.within_days or 0) >= ON_RECORD_DAYS:
            return "on record"
        if not self.before:
            return f"in the last {span}"
        return f"within {span} before {self.before.replace('_', ' ')}"

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


# Name tokens that say what a number is. Counts are checked before money so that
# ``funding_rounds`` is a count although it shares "funding" with ``funding_total_usd``.
_COUNT_NAME = re.compile(
    r"(^|_)(count|counts|cnt|num|number|rounds?|tickets?|visits?|sessions?|employees|headcount"
    r"|staff|seats|users|locations|offices|jobs|openings|hires|contacts|deals|orders|customers"
    r"|products|investors|pages|members|accounts|stores|subscribers|followers)($|_)"
    r"|^n_|^nb_"
)
_YEAR_NAME = re.compile(r"(^|_)(year|yr|yob|vintage)($|_)|^(founded|established|incorporated)$")
_PERCENT_NAME = re.compile(r"(^|_)(pct|percent|percentage|perc)($|_)|%")
_DAYS_NAME = re.compile(r"(^|_)days?($|_)")
# Signal columns counted over a window (icp signals export): hiring_sales_roles_90d …
_WINDOW_NAME = re.compile(r"^(?P<what>[a-z][a-z0-9_]*?)_(?P<days>\d+)d$")


#: A window back from the scoring date this long (a century) is "any date on record": discovery
#: writes it where having a date at all is what matters (no milestone on record at all).
ON_RECORD_DAYS = 36_500


def day_span(days: int) -> str:
    """A window as people say it: ``90 days`` up to a year, then years (``14 years``, ``1.5
    years``) — "in the last 5110 days" asks the reader to divide by 365."""
    if days <= 365:
        return f"{days} day" if days == 1 else f"{days} days"
    halves = round(days / 182.5)
    if abs(days - halves * 182.5) <= 7:
        years = halves / 2
        return f"{years:g} years"
    return f"{days:,} days"


# "last_milestone_at" is said as "last milestone": the suffix names the column's type.
_DATE_SUFFIX = re.compile(r"_(at|on|date|dt)$")


def _date_subject(column: str) -> str:
    return _DATE_SUFFIX.sub("", column).replace("_", " ")


def _windowed(c: Criterion) -> str | None:
    """Words for a test on a windowed signal column: "hiring ≥ 4 sales roles in the last 90
    days", "new marketing leader in the last 180 days"; None for other columns."""
    m = _WINDOW_NAME.match(c.column)
    if m is None or c.operator not in (Operator.BETWEEN, Operator.IS, Operator.HAS_ANY):
        return None
    what, tail = m["what"].replace("_", " "), f"in the last {m['days']} days"
    if c.operator is Operator.IS:
        return f"{what} {tail}" if c.is_ else f"no {what} {tail}"
    if c.operator is Operator.HAS_ANY:
        return f"{what} {tail}: {_join(c.has_any or ())}"
    lo, hi = c.between or (None, None)
    band = format_band(lo, hi, column=c.column, unit=c.unit or "count")
    if what.startswith("hiring ") and what.endswith(" roles"):
        return f"hiring {band} {what[len('hiring ') :]} {tail}"
    return f"{what} {band} {tail}"


# Event dates (icp signals export, funding dates in CRM exports) said as what happened.
_EVENT_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^hiring_roles_last_(date|on)$"), "hired for a chosen role"),
    (re.compile(r"^leadership_change_(date|on|at)$"), "new leader (director or above)"),
    (re.compile(r"^(last_)?(funding|funded|raised)_(date|on|at)$"), "raised funding"),
)


def _event_words(column: str) -> str | None:
    """What a dated event column says happened ("raised funding"); None for other columns."""
    return next((words for pattern, words in _EVENT_DATES if pattern.match(column)), None)


_MONTHS_NAME = re.compile(r"(^|_)months?($|_)")
_MONEY_NAME = re.compile(
    r"revenue|(^|_)(arr|mrr|ltv|clv|acv|tcv|usd|eur|gbp|amount|value|raised|funding|funded"
    r"|valuation|price|spend|spending|budget|cost|costs|salary|income|turnover|sales_volume"
    r"|capital|investment|gmv|charges?|fees?|billing|billed|paid)($|_)"
)


def unit_from_name(column: str) -> Unit | None:
    """What a column's numbers are, read from its name alone (``None`` if the name is silent).

    Used for criteria without a recorded unit (hand-written or older ICP files);
    :func:`icpkit.columns.infer_schema` refines it with the values.
    """
    name = column.lower()
    if _PERCENT_NAME.search(name):
        return "percent"
    if _YEAR_NAME.search(name):
        return "year"
    if _DAYS_NAME.search(name):
        return "days"
    if _MONTHS_NAME.search(name):
        return "months"
    if _COUNT_NAME.search(name):
        return "count"
    if _MONEY_NAME.search(name):
        return "money"
    return None


def _trim(txt: str) -> str:
    return txt.rstrip("0").rstrip(".") if "." in txt else txt


def format_number(x: float, *, money: bool = False, unit: str | None = None) -> str:
    """A number the way people write it for its unit.

    money ``$2.5M``; year ``2000``; count ``1,200`` / ``2.5``; percent ``12.5%``; share (a
    fraction) ``12%``; days ``30 days``; plain ``1,000`` / ``12.5`` / ``1.5M``. ``money=True`` is
    ``unit="money"``. Every rendering (terminal, Markdown, HTML, CRM reasons) goes through here.
    """
    if money:
        unit = "money"
    if not math.isfinite(x):
        return str(x)
    if unit == "days":
        return f"{_bare(x, 'count')} day{'' if x == 1 else 's'}"
    if unit == "months":
        return f"{_bare(x, 'count')} month{'' if x == 1 else 's'}"
    return _bare(x, unit)


def _bare(x: float, unit: str | None) -> str:
    """The number without a trailing unit word (bands put the word once, after both ends)."""
    sign = "-" if x < 0 else ""
    a = abs(x)
    if unit == "money":
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            # 999,960 is $1M, not $1000K: switch up where rounding reaches the next unit.
            if a >= div * 0.9995:
                v = a / div
                txt = _trim(f"{v:.1f}") if v < 100 else f"{v:.0f}"
                return f"{sign}${txt}{suffix}"
        return f"{sign}${a:,.0f}" if a == int(a) or a >= 100 else f"{sign}${_trim(f'{a:.2f}')}"
    if unit == "year":
        return f"{sign}{a:.0f}" if a == int(a) else f"{sign}{_trim(f'{a:.1f}')}"
    if unit == "percent":
        return f"{sign}{_trim(f'{a:.1f}')}%"
    if unit == "share":
        return f"{sign}{_trim(f'{a * 100:.1f}')}%"
    if unit in ("count", "days", "months"):
        if a == int(a):
            return f"{sign}{int(a):,}"
        return f"{sign}{_trim(f'{a:,.1f}')}"
    if a >= 1e6:
        return f"{sign}{_trim(f'{a / 1e6:.1f}')}M"
    if a == int(a):
        return f"{sign}{int(a):,}"
    return f"{sign}{_trim(f'{a:,.2f}')}"


def format_band(
    lo: float | None, hi: float | None, *, column: str = "", unit: str | None = None
) -> str:
    """``200–1,000`` / ``≥ $2M`` / ``< 2000`` / ``30–90 days``, in the column's unit.

    ``unit`` is what the trait builder recorded; without it the column name decides.
    """
    u = unit or unit_from_name(column) or "plain"
    word = {"days": " days", "months": " months"}.get(u, "")
    if lo is not None and hi is not None:
        return f"{_bare(lo, u)}–{_bare(hi, u)}{word}"
    if lo is not None:
        return f"≥ {_bare(lo, u)}{word}"
    return f"< {_bare(hi or 0.0, u)}{word}"


__all__ = [
    "UNITS",
    "Criterion",
    "Evidence",
    "GivenOthers",
    "Layer",
    "Operator",
    "Unit",
    "format_band",
    "format_number",
    "normalize_value",
    "unit_from_name",
]
