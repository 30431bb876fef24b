"""Hypothesis strategies: random prepared frames and random valid ICPs over their columns."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import strategies as st

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Scoring, Segment

CATS = ["saas", "fintech", "retail", "health care", "media"]
TAGS = ["shopify plus", "klaviyo", "intercom", "zendesk", "hubspot"]
BASE = date(2024, 6, 1)

#: Column name → kind, the schema of every random frame.
SCHEMA: dict[str, pl.DataType] = {
    "industry": pl.String(),
    "region": pl.String(),
    "employees": pl.Float64(),
    "revenue": pl.Float64(),
    "hiring": pl.Boolean(),
    "tech_stack": pl.List(pl.String()),
    "funded_on": pl.Date(),
    "close_date": pl.Date(),
}
TEXT = ["industry", "region"]
NUMBERS = ["employees", "revenue"]

# Weights on a coarse grid keep sums exact often (ties, boundaries) and inexact sometimes.
weights = st.one_of(
    st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0]),
    st.floats(-4, 4, allow_nan=False).map(lambda x: round(x, 3)),
)


@st.composite
def criteria(draw: Any, *, weighted: bool = True) -> Criterion:
    kind = draw(st.sampled_from(["in", "between", "is", "has_any", "has_none", "within_days"]))
    w = draw(st.one_of(st.none(), weights)) if weighted else None
    if kind == "in":
        col = draw(st.sampled_from(TEXT))
        vals = draw(st.lists(st.sampled_from(CATS), min_size=1, max_size=3, unique=True))
        return Criterion(column=col, **{"in": vals}, weight=w)
    if kind == "between":
        col = draw(st.sampled_from(NUMBERS))
        lo = draw(st.one_of(st.none(), st.sampled_from([0.0, 10.0, 50.0, 200.0, 1000.0])))
        hi = draw(st.one_of(st.none(), st.sampled_from([20.0, 100.0, 500.0, 5000.0])))
        if lo is None and hi is None:
            hi = 100.0
        if lo is not None and hi is not None and lo >= hi:
            lo, hi = hi, lo + hi + 1.0
        return Criterion(column=col, between=(lo, hi), weight=w)
    if kind == "is":
        return Criterion(column="hiring", **{"is": draw(st.booleans())}, weight=w)
    if kind in ("has_any", "has_none"):
        vals = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3, unique=True))
        return Criterion(column="tech_stack", **{kind: vals}, weight=w)
    days = draw(st.sampled_from([1, 30, 90, 180, 365]))
    before = draw(st.sampled_from([None, "close_date"]))
    return Criterion(column="funded_on", within_days=days, before=before, weight=w)


@st.composite
def icps(draw: Any) -> ICP:
    n_seg = draw(st.integers(0, 3))
    segments = []
    for k in range(n_seg):
        must = draw(st.lists(criteria(), min_size=1, max_size=3))
        nice = draw(st.lists(criteria(), max_size=3))
        bonus = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
        segments.append(
            Segment(id=f"s{k + 1}", name=f"Segment {k + 1}", must=must, nice=nice, bonus=bonus)
        )
    disq = draw(st.lists(criteria(weighted=False), max_size=2))
    timing = draw(st.lists(criteria(), max_size=3))
    timing = [t.model_copy(update={"weight": abs(t.weight or 1.0) or 1.0}) for t in timing]
    c = draw(st.sampled_from([0.0, 10.0, 15.0]))
    b = c + draw(st.sampled_from([5.0, 20.0, 25.0]))
    a = b + draw(st.sampled_from([5.0, 25.0]))
    points = draw(st.lists(criteria(), max_size=4))
    scoring = Scoring(
        intercept=draw(weights),
        points=points,
        tiers={"A": a, "B": b, "C": c},
        timing=timing,
        in_market_at=draw(st.sampled_from([0.0, 30.0, 50.0, 100.0])),
    )
    return ICP(segments=segments, disqualifiers=disq, scoring=scoring)


def _maybe(draw: Any, inner: st.SearchStrategy[Any]) -> Any:
    return draw(st.one_of(st.none(), inner))


@st.composite
def frames(draw: Any, *, max_rows: int = 25) -> pl.DataFrame:
    """A prepared frame (normalised values, typed columns) with nulls everywhere."""
    n = draw(st.integers(0, max_rows))
    nums = st.one_of(
        st.sampled_from([0.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0]),
        st.floats(-10, 10_000, allow_nan=False),
    )
    days = st.integers(-400, 400).map(lambda d: BASE - timedelta(days=d))
    rows = {
        "industry": [_maybe(draw, st.sampled_from(CATS)) for _ in range(n)],
        "region": [_maybe(draw, st.sampled_from(CATS)) for _ in range(n)],
        "employees": [_maybe(draw, nums) for _ in range(n)],
        "revenue": [_maybe(draw, nums) for _ in range(n)],
        "hiring": [_maybe(draw, st.booleans()) for _ in range(n)],
        "tech_stack": [
            _maybe(draw, st.lists(st.sampled_from(TAGS), max_size=3, unique=True)) for _ in range(n)
        ],
        "funded_on": [_maybe(draw, days) for _ in range(n)],
        "close_date": [_maybe(draw, days) for _ in range(n)],
    }
    return pl.DataFrame(rows, schema=SCHEMA)


#: Raw headers as exports spell them (mapped to the ICP's names by canonical_name / columns=).
RAW_HEADERS = {
    "industry": "Industry",
    "employees": "Number of Employees",
    "tech_stack": "Tech Stack",
}
_PLACEHOLDERS = ["N/A", "n/a", "", "-", "null", "#N/A", " "]
_JUNK_NUMBERS = [
    "11-50",
    "abc",
    "(500)",
    "10,000+",
    "12%",
    "1.2bn",
    "usd 10m",
    "6.515",
    "1,200",
    "2,5",
    "1.234.567,8",
    "1\u00a0200",
    "1e5",
    "$1.2M",
    "€2.5k",
    "3 MM",
    "0.5",
    ".5",
    "+7",
    "1.",
]


def _group(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def _render_number(draw: Any, x: float, convention: str) -> str:
    """A number as a person or a spreadsheet export types it, in one convention."""
    style = draw(st.sampled_from(["plain", "grouped", "money", "suffix", "decimals"]))
    neg = "-" if x < 0 else ""
    x = abs(x)
    whole, frac = int(x), round(x - int(x), 2)
    dec, thou = (",", ".") if convention == "eu" else (".", ",")
    if style == "plain":
        text = str(whole) if frac == 0 else f"{x:.2f}".replace(".", dec)
    elif style == "grouped":
        text = _group(whole, thou) + (f"{dec}{round(frac * 100):02d}" if frac else "")
    elif style == "money":
        text = "$" + _group(whole, thou)
    elif style == "suffix":
        text = f"{whole / 1000:g}".replace(".", dec) + draw(st.sampled_from(["k", "K", " k"]))
    else:
        text = f"{x:.3f}".replace(".", dec)
    return (
        draw(st.sampled_from(["", " ", "\u00a0"])) + neg + text + draw(st.sampled_from(["", " "]))
    )


def _messy_text(draw: Any, value: str) -> str:
    case = draw(st.sampled_from([str, str.upper, str.title]))
    inner = value.replace(" ", draw(st.sampled_from([" ", "  ", "\t", "\u00a0"])))
    return draw(st.sampled_from(["", " ", "  "])) + case(inner) + draw(st.sampled_from(["", " "]))


@st.composite
def raw_frames(draw: Any, *, max_rows: int = 25) -> pl.DataFrame:
    """The frames of :func:`frames` as a raw export has them: every column text, messy.

    Categoricals in any case with stray whitespace, placeholders for missing values, numbers
    with currency, suffixes and thousands separators in a convention drawn per column (sometimes
    mixed, sometimes junk), yes/no spellings, ``;``/``|`` lists, ISO dates and datetimes.
    """
    df = draw(frames(max_rows=max_rows))
    out: dict[str, list[str | None]] = {}

    def missing() -> str | None:
        return draw(st.one_of(st.none(), st.sampled_from(_PLACEHOLDERS)))

    for col in TEXT:
        out[col] = [missing() if v is None else _messy_text(draw, v) for v in df[col].to_list()]
    for col in NUMBERS:
        convention = draw(st.sampled_from(["us", "eu", "mixed"]))
        vals: list[str | None] = []
        for v in df[col].to_list():
            if v is None:
                vals.append(missing())
            elif draw(st.integers(0, 9)) == 0:
                vals.append(draw(st.sampled_from(_JUNK_NUMBERS)))
            else:
                conv = draw(st.sampled_from(["us", "eu"])) if convention == "mixed" else convention
                vals.append(_render_number(draw, v, conv))
        out[col] = vals
    yes = ["yes", "Yes", "TRUE", " y", "1", "x", "t"]
    no = ["no", "No", "false", "N", "0", "f ", "0.0"]
    out["hiring"] = [
        missing() if v is None else draw(st.sampled_from(yes if v else [*no, "maybe"]))
        for v in df["hiring"].to_list()
    ]
    tags: list[str | None] = []
    for v in df["tech_stack"].to_list():
        if v is None:
            tags.append(None)
        elif not v:
            tags.append(draw(st.sampled_from(["", "none", "N/A"])))
        else:
            sep = draw(st.sampled_from(["; ", ";", " | ", "|", " ;  "]))
            tags.append(sep.join(_messy_text(draw, t) for t in v))
    out["tech_stack"] = tags
    for col in ("funded_on", "close_date"):
        fmt = draw(st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT10:30:00", " %Y-%m-%d", "%Y-%m"]))
        out[col] = [
            draw(st.one_of(st.none(), st.sampled_from(["not a date", "2024-13-45", ""])))
            if v is None
            else v.strftime(fmt)
            for v in df[col].to_list()
        ]
    return pl.DataFrame(out, schema=dict.fromkeys(out, pl.String))


__all__ = ["BASE", "RAW_HEADERS", "SCHEMA", "criteria", "frames", "icps", "raw_frames"]
