"""Reasons: compact per-account codes, expanded to sentences only on request.

Building a sentence for each of ten million accounts costs more than scoring them, so the engines
emit a code: criterion ``i`` of the ICP's distinct tests (segment criteria in file order, then
the scorecard's points, disqualifiers, then timing signals; a test used twice counts once) gets
two bits worth
``4**i``::

    0 = failed      1 = met      2 = unknown (the data was missing)

An ICP with more than 31 distinct tests does not fit 64 bits; its code is then a string with one
character per test: ``-`` failed, ``+`` met, ``?`` unknown. :func:`expand_reasons` turns codes
into text by working on the distinct codes only and joining back, for example::

    met: industry is saas (+0.6 pts); employees 200–1,000 (+0.4 pts) | failed: region is emea (+0.3 pts) | unknown: tech stack has shopify plus

A criterion that carries points shows them (log-odds, as in the ICP file); failing a criterion
with negative points is not listed as a reason against. A segment whose must-haves are all met
shows its bonus first among the met ("segment seg-1: every must-have met (+2.3 pts)"), so the
points listed under ``met`` plus the intercept are the score's log-odds.

Disqualifiers show under ``disqualified`` when they fire and timing signals under ``timing`` when
met; a disqualifier that did not fire, or a timing signal that is absent, is not a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from icpkit.criteria import Criterion
from icpkit.icp import ICP
from icpkit.scoring.plan import Plan, build_plan

State = Literal["met", "failed", "unknown"]
_STATE: dict[int, State] = {0: "failed", 1: "met", 2: "unknown"}
_CHAR = {"-": 0, "+": 1, "?": 2}
#: The largest code of k tests is 2·(4^k − 1)/3: below 2^31 up to k = 15.
_INT32_CRITERIA = 15


def codes_expr(tests: list[pl.Expr], *, packed: bool) -> pl.Expr:
    """The reason code of each row from its three-valued test columns."""
    if not tests:
        return pl.lit(0, dtype=pl.Int64)
    if not packed:
        chars = [
            pl.when(t).then(pl.lit("+")).when(t.is_null()).then(pl.lit("?")).otherwise(pl.lit("-"))
            for t in tests
        ]
        return pl.concat_str(chars)
    # One when/then per test into the narrowest integer that holds every code (a 32-bit sum
    # moves half the bytes of a 64-bit one), summed in one horizontal pass, widened once.
    dtype = pl.Int32 if len(tests) <= _INT32_CRITERIA else pl.Int64
    terms = [
        pl.when(t)
        .then(pl.lit(4**i, dtype=dtype))
        .when(t.is_null())
        .then(pl.lit(2 * 4**i, dtype=dtype))
        .otherwise(pl.lit(0, dtype=dtype))
        for i, t in enumerate(tests)
    ]
    out = pl.sum_horizontal(terms) if len(terms) > 1 else terms[0]
    return out.cast(pl.Int64)


@dataclass(frozen=True)
class Reason:
    """One criterion's verdict for one account."""

    criterion: Criterion
    role: Literal["fit", "disqualifier", "timing"]
    state: State

    def text(self) -> str:
        return self.criterion.describe()


def decode(code: int | str, icp: ICP) -> list[Reason]:
    """The verdicts behind one code (for showing a handful of accounts, not for whole files)."""
    plan = build_plan(icp)
    out = []
    for i, (c, role) in enumerate(zip(plan.tests, plan.roles, strict=True)):
        s = _CHAR[code[i]] if isinstance(code, str) else (int(code) >> (2 * i)) & 3
        out.append(Reason(c, role, _STATE[s]))
    return out


def test_points(plan: Plan) -> dict[int, float]:
    """Points (log-odds) a met test adds to the score: scorecard and segment items summed."""
    out: dict[int, float] = {}
    for i, w in plan.points:
        out[i] = out.get(i, 0.0) + w
    for s in plan.segments:
        for i, w in s.items:
            out[i] = out.get(i, 0.0) + w
    return {i: w for i, w in out.items() if w}


def _state_expr(code: pl.Expr, i: int, packed: bool) -> pl.Expr:
    if packed:
        return (code // (4**i)) % 4
    ch = code.str.slice(i, 1)
    return pl.when(ch == "+").then(1).when(ch == "?").then(2).otherwise(0)


def _text_expr(code: pl.Expr, icp: ICP) -> pl.Expr:
    plan = build_plan(icp)
    groups: dict[str, list[pl.Expr]] = {
        "disqualified": [],
        "met": [],
        "failed": [],
        "unknown": [],
        "timing": [],
    }
    points = test_points(plan)
    for i, (c, role) in enumerate(zip(plan.tests, plan.roles, strict=True)):
        st = _state_expr(code, i, plan.packed_codes)
        w = points.get(i, 0.0)
        label = pl.lit(f"{c.describe()} ({w:+.2g} pts)" if w else c.describe())
        if role == "fit":
            groups["met"].append(pl.when(st == 1).then(label))
            if w >= 0:  # failing a criterion that costs points is no reason against
                groups["failed"].append(pl.when(st == 0).then(label))
        elif role == "disqualifier":
            groups["disqualified"].append(pl.when(st == 1).then(label))
        else:
            groups["timing"].append(pl.when(st == 1).then(label))
        groups["unknown"].append(pl.when(st == 2).then(label))
    # A segment's bonus is points too: without it the reasons of a segment's accounts do not add
    # up to their score (seg-1 on the Telco export: +2.3 log-odds nowhere in the text).
    for sp in plan.segments:
        if not sp.bonus or not sp.must:
            continue
        complete = pl.all_horizontal(
            [_state_expr(code, i, plan.packed_codes) == 1 for i in sp.must]
        )
        label = pl.lit(f"segment {sp.id}: every must-have met ({sp.bonus:+.2g} pts)")
        groups["met"].insert(0, pl.when(complete).then(label))
    parts = []
    for name, items in groups.items():
        if not items:
            continue
        body = pl.concat_str(items, separator="; ", ignore_nulls=True)
        parts.append(pl.when(body != "").then(pl.lit(f"{name}: ") + body))
    if not parts:
        return pl.lit("", dtype=pl.String)
    return pl.concat_str(parts, separator=" | ", ignore_nulls=True)


def expand_reasons(codes: pl.Series, icp: ICP) -> pl.Series:
    """Codes → sentences, computed once per distinct code and joined back."""
    uniq = codes.unique().drop_nulls().to_frame("code")
    text = uniq.select(_text_expr(pl.col("code"), icp).alias("text"))["text"]
    return codes.replace_strict(uniq["code"], text, default=None, return_dtype=pl.String).alias(
        codes.name
    )


def expand_reasons_expr(codes: pl.Expr, icp: ICP) -> pl.Expr:
    """:func:`expand_reasons` as an expression (works in lazy and streaming queries)."""
    return codes.map_batches(lambda s: expand_reasons(s, icp), return_dtype=pl.String)


__all__ = ["Reason", "State", "codes_expr", "decode", "expand_reasons", "expand_reasons_expr"]
