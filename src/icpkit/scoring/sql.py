"""The SQL engine: an ICP compiled to one ``SELECT`` for the user's warehouse.

The query is written once in DuckDB's dialect from the same :class:`~icpkit.scoring.plan.Plan`
the polars engine uses, parsed with sqlglot and generated for the target dialect. Every number is
a ``DOUBLE`` literal and every sum runs in the same order as in polars, so scores agree exactly
(tests check DuckDB and a real PostgreSQL server against polars).

What the table must hold (the warehouse equivalent of a prepared frame): numbers as numeric
columns, booleans as booleans, dates as ``DATE``, multi-valued columns as arrays of normalised
(lower-case, trimmed) strings. Categorical columns are lower-cased and trimmed by the query
itself (once per column; ``normalize_text=False`` skips it for clean tables); inner whitespace
must already be single spaces. ``raw=True`` lifts all of this: the query then parses a table of
text columns (the export as loaded) exactly as the polars engine parses the same frame.

The output keeps every column of the table and appends the score columns. Dialects drop the
query's helper columns with ``* EXCLUDE`` / ``* EXCEPT`` (DuckDB, Snowflake, BigQuery, Spark 3.5+
/ Databricks); PostgreSQL, which has neither, scores each row in a ``LATERAL`` subquery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import cast, get_args

import sqlglot
from sqlglot import exp

from icpkit import columns as C
from icpkit.criteria import Criterion, Operator
from icpkit.errors import UsageError
from icpkit.icp import ICP
from icpkit.scoring.plan import (
    MIN_QUALIFIED_FIT,
    OUTPUT_COLUMNS,
    RAW_CLIP,
    Dialect,
    Plan,
    ValueType,
    build_plan,
    kind_of,
)

DIALECTS: tuple[str, ...] = get_args(Dialect)
_P = "__icp_"
_HAS_ANY = "ICPKIT_HAS_ANY"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _s(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _d(x: float) -> str:
    return f"CAST({float(x)!r} AS DOUBLE)"


def _round(sql: str, decimals: int) -> str:
    f = 10**decimals
    return f"(FLOOR(({sql}) * {f} + {_d(0.5)}) / {f})"


# -- parsing raw text columns exactly as icpkit.columns does ----------------------------------

#: Unicode White_Space: what polars' ``\s`` and ``strip_chars()`` mean (RE2's ``\s`` is ASCII).
_WS = "[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _matches(sql: str, pattern: str) -> str:
    return f"REGEXP_MATCHES({sql}, {_s(pattern)})"


def _norm_text(sql: str) -> str:
    """:func:`icpkit.columns.normalize_text`: lower-case, whitespace runs to one space, strip."""
    return f"TRIM(REGEXP_REPLACE(LOWER(CAST({sql} AS VARCHAR)), {_s(_WS + '+')}, ' ', 'g'))"


def _in(sql: str, values: Sequence[str]) -> str:
    return f"{sql} IN ({', '.join(_s(v) for v in values)})"


def _multiplier(s: str) -> str:
    # Longest suffix first: the same match as polars' leftmost alternation anchored at the end.
    order = sorted(C.NUMBER_MULTIPLIERS, key=len, reverse=True)
    # '^.*': Snowflake's REGEXP_LIKE matches whole strings (numbers hold no newline by now).
    whens = " ".join(
        f"WHEN {_matches(s, '^.*' + k + '$')} THEN {_d(C.NUMBER_MULTIPLIERS[k])}" for k in order
    )
    return f"CASE {whens} ELSE {_d(1.0)} END"


def _rewrite(s: str, convention: str) -> str:
    """:func:`icpkit.columns._parse_number_series`'s separator rewrite for one convention."""
    dots = f"REPLACE(REPLACE({s}, '.', ''), ',', '.')"
    commas = f"REPLACE({s}, ',', '')"
    comma = f"REPLACE({s}, ',', '.')"
    if convention == "us":
        return f"CASE WHEN {_matches(s, C.US_GROUPED)} THEN {commas} ELSE {s} END"
    if convention == "eu":
        return (
            f"CASE WHEN {_matches(s, C.EU_GROUPED)} THEN {dots} "
            f"WHEN {_matches(s, C.EU_DECIMAL)} THEN {comma} ELSE {s} END"
        )
    return (
        f"CASE WHEN {_matches(s, C.US_GROUPED)} THEN {commas} "
        f"WHEN {_matches(s, C.EU_PER_VALUE)} THEN {dots} "
        f"WHEN {_matches(s, C.DEC_COMMA_PER_VALUE)} THEN {comma} ELSE {s} END"
    )


def _shape(key: str) -> str:
    """:data:`icpkit.columns.DATE_SHAPES` in portable regex: Unicode whitespace spelled out,
    ``.`` as "not a newline" (Rust's meaning), plain groups (Snowflake has no ``(?:``)."""
    p = C.DATE_SHAPES[key].replace("[T\\s]", "(T|\\s)").replace("(?:", "(")
    return p.replace("\\s", _WS).replace(".*", "[^\n]*")


def _date_shape(t: str) -> str:
    """Which of the date shapes a trimmed text has: a one-letter code, or null."""
    whens = " ".join(f"WHEN {_matches(t, _shape(key))} THEN {_s(key[0])}" for key in C.DATE_SHAPES)
    return f"CASE {whens} END"


def _valid_date(y: str, m: str, d: str) -> str:
    """Whether text parts make a real date (PostgreSQL has no TRY_CAST; year 0 is no date)."""
    y, m, d = (f"CAST({x} AS INT)" for x in (y, m, d))
    leap = f"(({y}) % 4 = 0 AND ({y}) % 100 <> 0) OR ({y}) % 400 = 0"
    last = (
        f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN "
        f"CASE WHEN {leap} THEN 29 ELSE 28 END ELSE 31 END"
    )
    return f"({y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {last})"


class _Compiler:
    def __init__(
        self,
        plan: Plan,
        col: Mapping[str, str],
        as_of: date | None,
        prefix: str,
        *,
        normalize: bool = True,
        raw: bool = False,
    ):
        self.plan = plan
        self.raw = raw
        self.col = col
        self.as_of = as_of
        self.ref_date = f"DATE {_s(as_of.isoformat())}" if as_of else "CURRENT_DATE"
        self.prefix = prefix  # how source columns are referenced (qualifier or "")
        # Categorical columns are lower-cased and trimmed once each, however many tests use them.
        text = [t.column for t in plan.tests if t.operator is Operator.IN]
        self.norm = {c: f"{_P}n{j}" for j, c in enumerate(dict.fromkeys(text))} if normalize else {}
        kinds = list(plan.kinds())
        # Raw tables: every (column, kind) the plan reads gets a parsed column __icp_r{j}; text
        # number columns are numbered by source column, their convention decided together.
        self.prep = {ck: f"{_P}r{j}" for j, ck in enumerate(kinds)} if raw else {}
        nums = dict.fromkeys(self.col.get(c, c) for c, k in kinds if k == "number")
        self.num = {src: n for n, src in enumerate(nums)} if raw else {}
        if raw:
            self.norm = {}

    def c(self, name: str, prefix: str | None = None) -> str:
        return (self.prefix if prefix is None else prefix) + _q(self.col.get(name, name))

    def ref(self, name: str, kind: ValueType) -> str:
        """The column a test reads: the parsed one on raw tables, else the table's own."""
        if self.raw:
            return _q(self.prep[(name, kind)])
        return self.c(name)

    # -- raw tables: the stages of icpkit.columns' parsing, one derived table each ---------------

    def raw_first(self, prefix: str) -> list[tuple[str, str]]:
        """Text, list, boolean and date columns parsed; numbers cleaned of symbols and spaces."""
        out: list[tuple[str, str]] = []
        for src, n in self.num.items():
            col = prefix + _q(src)
            text = f"LOWER(CAST({col} AS VARCHAR))"
            for ch in C.NUMBER_DROP:
                text = f"REPLACE({text}, {_s(ch)}, '')"
            # "Has a digit" without a regex: Snowflake's REGEXP_LIKE matches whole strings only.
            v = f"CAST({col} AS VARCHAR)"
            digit = f"LENGTH(TRANSLATE({v}, '0123456789', '')) < LENGTH({v})"
            out.append((f"{_P}a{n}", f"CASE WHEN {digit} THEN {text} END"))
        for (name, kind), tmp in self.prep.items():
            col = self.c(name, prefix)
            t = _norm_text(col)
            if kind == "category":
                e = f"CASE WHEN {_in(t, C.TEXT_NULL_TOKENS)} THEN NULL ELSE {t} END"
            elif kind == "bool":
                e = f"CASE WHEN {_in(t, C.TRUE_WORDS)} THEN TRUE WHEN {_in(t, C.FALSE_WORDS)} THEN FALSE END"
            elif kind == "list":
                # ';item;item;' with items normalised: membership is a substring test, the same
                # answer as splitting on ; and | and normalising each item (null items never match).
                items = _norm_text(f"REPLACE(CAST({col} AS VARCHAR), '|', ';')")
                joined = f"REGEXP_REPLACE({items}, ' ?; ?', ';', 'g')"
                e = f"CASE WHEN {col} IS NULL THEN NULL ELSE ';' || {joined} || ';' END"
            elif kind == "date":
                # Stage 1 of :func:`icpkit.columns.parse_date`: the shape and the date part with
                # '-' between its numbers; raw_dates() reads them as year, month and day.
                t = f"REGEXP_REPLACE(CAST({col} AS VARCHAR), {_s('^' + _WS + '+|' + _WS + '+$')}, '', 'g')"
                part = f"REGEXP_REPLACE({t}, {_s('(T|' + _WS + ')[^' + chr(10) + ']*$')}, '')"
                out.append((f"{tmp}k", _date_shape(t)))
                e = f"REPLACE(REPLACE({part}, '/', '-'), '.', '-')"
                tmp = f"{tmp}e"
            else:
                continue
            out.append((tmp, e))
        return out

    def raw_dates(self) -> list[list[tuple[str, str]]]:
        """Stages 2 and 3 of date parsing: year/month/day text by shape (a slashed date
        month-first), then the date, day-first only when month-first is impossible."""
        parts, dates = [], []
        for (_, kind), tmp in self.prep.items():
            if kind != "date":
                continue
            k, e = _q(f"{tmp}k"), _q(f"{tmp}e")
            p1, p2, p3 = (f"SPLIT_PART({e}, '-', {i})" for i in (1, 2, 3))
            yearlast = f"{k} IN ('s', 'd')"
            parts += [
                (f"{tmp}y", f"CASE WHEN {yearlast} THEN {p3} WHEN {k} IS NOT NULL THEN {p1} END"),
                (f"{tmp}m", f"CASE WHEN {k} = 's' THEN {p1} WHEN {k} IS NOT NULL THEN {p2} END"),
                (
                    f"{tmp}d",
                    f"CASE WHEN {k} = 'm' THEN '1' WHEN {k} = 's' THEN {p2} "
                    f"WHEN {k} = 'd' THEN {p1} WHEN {k} IS NOT NULL THEN {p3} END",
                ),
            ]
            y, m, d = (_q(f"{tmp}{x}") for x in "ymd")
            dates.append(
                (
                    tmp,
                    f"CASE WHEN {_valid_date(y, m, d)} THEN CAST({y} || '-' || {m} || '-' || {d} AS DATE) "
                    f"WHEN {k} = 's' AND {_valid_date(y, d, m)} "
                    f"THEN CAST({y} || '-' || {d} || '-' || {m} AS DATE) END",
                )
            )
        return [parts, dates]

    def raw_numbers(self) -> list[list[tuple[str, str]]]:
        """Currency words, brackets, sign and percent, then the magnitude suffix."""
        b, c, s, m = [], [], [], []
        for n in self.num.values():
            a = _q(f"{_P}a{n}")
            b.append(
                (
                    f"{_P}b{n}",
                    f"REGEXP_REPLACE(REGEXP_REPLACE({a}, {_s(C.NUMBER_STRIP[0])}, ''), "
                    f"{_s(C.NUMBER_STRIP[1])}, '')",
                )
            )
            bb = _q(f"{_P}b{n}")
            neg = f"CASE WHEN {_matches(bb, '^[(].*[)]$')} THEN '-' || SUBSTRING({bb}, 2, LENGTH({bb}) - 2) ELSE {bb} END"
            c.append((f"{_P}c{n}x", f"REGEXP_REPLACE(REGEXP_REPLACE({neg}, '[+]$', ''), '%$', '')"))
            cc = _q(f"{_P}c{n}x")
            s.append((f"{_P}s{n}", f"REGEXP_REPLACE({cc}, {_s(C.NUMBER_SUFFIX)}, '')"))
            m.append((f"{_P}m{n}", _multiplier(cc)))
        first, second = self.raw_dates()
        return [b + first, c + second, s + m]

    def flags(self, q: str) -> str:
        """One row: which conventions each text number column shows (1/0), over every row."""
        parts = []
        for n in self.num.values():
            sn = _q(f"{_P}s{n}")
            amb = f"NOT {_matches(sn, C.NUMBER_AMBIGUOUS)}"
            for side, pattern in (("us", C.US_EVIDENCE), ("eu", C.EU_EVIDENCE)):
                hit = f"CASE WHEN {_matches(sn, pattern)} AND {amb} THEN 1 ELSE 0 END"
                parts.append(f"COALESCE(MAX({hit}), 0) AS {_q(f'{_P}{side}{n}')}")
        return f"SELECT {', '.join(parts)} FROM ({q}) AS {_q(_P + 'l')}"

    def raw_parse(self) -> list[list[tuple[str, str]]]:
        """:func:`icpkit.columns.decide_convention` per column, then the value as a DOUBLE."""
        only = {
            side: " OR ".join(
                f"({_q(f'{_P}{side}{n}')} = 1 AND {_q(f'{_P}{other}{n}')} = 0)"
                for n in self.num.values()
            )
            for side, other in (("us", "eu"), ("eu", "us"))
        }
        x, v = [], []
        for n in self.num.values():
            sn = _q(f"{_P}s{n}")
            us, eu = _q(f"{_P}us{n}"), _q(f"{_P}eu{n}")
            x.append(
                (
                    f"{_P}x{n}",
                    f"CASE WHEN {us} = 1 AND {eu} = 1 THEN {_rewrite(sn, 'mixed')} "
                    f"WHEN {us} = 1 THEN {_rewrite(sn, 'us')} WHEN {eu} = 1 THEN {_rewrite(sn, 'eu')} "
                    f"WHEN ({only['eu']}) AND NOT ({only['us']}) THEN {_rewrite(sn, 'eu')} "
                    f"ELSE {_rewrite(sn, 'us')} END",
                )
            )
        for (name, kind), tmp in self.prep.items():
            if kind == "number":
                n = self.num[self.col.get(name, name)]
                xn, mn = _q(f"{_P}x{n}"), _q(f"{_P}m{n}")
                v.append(
                    (
                        tmp,
                        f"CASE WHEN {_matches(xn, C.NUMBER_VALID)} THEN CAST({xn} AS DOUBLE) * {mn} END",
                    )
                )
        return [x, v]

    def normalised(self) -> list[tuple[str, str]]:
        return [(n, f"LOWER(TRIM({self.c(c)}))") for c, n in self.norm.items()]

    def test(self, t: Criterion) -> str:
        c = self.ref(t.column, kind_of(t))
        op = t.operator
        if op is Operator.IN:
            ref = _q(self.norm[t.column]) if t.column in self.norm else c
            return f"{ref} IN ({', '.join(_s(v) for v in t.in_ or ())})"
        if op is Operator.BETWEEN:
            lo, hi = t.between or (None, None)
            parts = []
            if lo is not None:
                parts.append(f"{c} >= {_d(lo)}")
            if hi is not None:
                parts.append(f"{c} < {_d(hi)}")
            return f"CASE WHEN {c} IS NULL THEN NULL ELSE ({' AND '.join(parts)}) END"
        if op is Operator.IS:
            return f"({c} = {'TRUE' if t.is_ else 'FALSE'})"
        if op in (Operator.HAS_ANY, Operator.HAS_NONE) and self.raw:
            keys = [v for v in (t.has_any or t.has_none or ()) if v not in C.NULL_TOKENS]
            hit = " OR ".join(f"STRPOS({c}, {_s(';' + v + ';')}) > 0" for v in keys) or "FALSE"
            body = f"({hit})" if op is Operator.HAS_ANY else f"NOT ({hit})"
            return f"CASE WHEN {c} IS NULL THEN NULL ELSE {body} END"
        if op in (Operator.HAS_ANY, Operator.HAS_NONE):
            values = ", ".join(_s(v) for v in (t.has_any or t.has_none or ()))
            hit = f"{_HAS_ANY}({c}, [{values}])"
            body = hit if op is Operator.HAS_ANY else f"NOT {hit}"
            return f"CASE WHEN {c} IS NULL THEN NULL ELSE ({body}) END"
        days = int(t.within_days or 0)
        if not t.before and self.as_of is not None:
            # Both ends are known dates: compare DATE to DATE, no per-row interval arithmetic.
            first = _s((self.as_of - timedelta(days=days)).isoformat())
            return (
                f"CASE WHEN {c} IS NULL THEN NULL "
                f"ELSE ({c} <= {self.ref_date} AND {c} >= DATE {first}) END"
            )
        ref = self.ref(t.before, "date") if t.before else self.ref_date
        return (
            f"CASE WHEN {c} IS NULL OR {ref} IS NULL THEN NULL "
            f"ELSE ({c} <= {ref} AND {c} >= {ref} - INTERVAL {days} DAY) END"
        )

    # the stages, mirroring icpkit.scoring.engine.score_exprs
    def tests(self) -> list[tuple[str, str]]:
        return [(f"{_P}t{i}", self.test(t)) for i, t in enumerate(self.plan.tests)]

    def points(self) -> list[tuple[str, str]]:
        out = []
        for k, s in enumerate(self.plan.segments):
            terms = [
                f"CASE WHEN {_q(f'{_P}t{i}')} THEN {_d(w)} ELSE {_d(0.0)} END" for i, w in s.items
            ]
            complete = " AND ".join(f"COALESCE({_q(f'{_P}t{i}')}, FALSE)" for i in s.must)
            terms.append(f"CASE WHEN {complete} THEN {_d(s.bonus)} ELSE {_d(0.0)} END")
            out.append((f"{_P}p{k}", " + ".join(terms)))
        if self.plan.points:
            terms = [
                f"CASE WHEN {_q(f'{_P}t{i}')} THEN {_d(w)} ELSE {_d(0.0)} END"
                for i, w in self.plan.points
            ]
            out.append((f"{_P}p{len(self.plan.segments)}", " + ".join(terms)))
        for k, s in enumerate(self.plan.segments):
            complete = " AND ".join(f"COALESCE({_q(f'{_P}t{i}')}, FALSE)" for i in s.must)
            out.append((f"{_P}c{k}", f"({complete})"))
        return out

    def stage2(self) -> list[tuple[str, str]]:
        plan = self.plan
        p = [_q(f"{_P}p{k}") for k in range(len(plan.segments))]
        t = [_q(f"{_P}t{i}") for i in range(len(plan.tests))]
        extra = [_q(f"{_P}p{len(plan.segments)}")] if plan.points else []
        raw = " + ".join([_d(plan.intercept), *extra, *p])
        raw = f"LEAST(GREATEST({raw}, {_d(-RAW_CLIP)}), {_d(RAW_CLIP)})"
        fit = _round(f"{_d(100.0)} * ({_d(1.0)} / ({_d(1.0)} + EXP(-({raw}))))", 1)
        fit = f"GREATEST({fit}, {_d(MIN_QUALIFIED_FIT)})"
        if plan.disqualifiers:
            disq = "(" + " OR ".join(f"COALESCE({t[i]}, FALSE)" for i in plan.disqualifiers) + ")"
            whens = " ".join(
                f"WHEN {t[i]} THEN {_s(plan.tests[i].describe())}" for i in plan.disqualifiers
            )
            disq_by = f"CASE {whens} ELSE CAST(NULL AS VARCHAR) END"
            fit = f"CASE WHEN {disq} THEN {_d(0.0)} ELSE {fit} END"
        else:
            disq, disq_by = "FALSE", "CAST(NULL AS VARCHAR)"
        if p:
            cm = [_q(f"{_P}c{k}") for k in range(len(plan.segments))]
            branches = []
            for j, s in enumerate(plan.segments):
                cond = [cm[j]]
                cond += [f"(NOT {cm[i]} OR {p[j]} > {p[i]})" for i in range(j)]
                cond += [f"(NOT {cm[k]} OR {p[j]} >= {p[k]})" for k in range(j + 1, len(p))]
                branches.append(f"WHEN {' AND '.join(cond)} THEN {_s(s.id)}")
            segment = f"CASE {' '.join(branches)} ELSE CAST(NULL AS VARCHAR) END"
        else:
            segment = "CAST(NULL AS VARCHAR)"
        if t:
            known = " + ".join(f"CASE WHEN {x} IS NULL THEN 0 ELSE 1 END" for x in t)
            completeness = _round(f"CAST({known} AS DOUBLE) * {_d(1.0 / len(t))}", 3)
        else:
            completeness = _d(1.0)
        if plan.timing and plan.timing_total > 0:
            tsum = " + ".join(
                f"CASE WHEN {t[i]} THEN {_d(w)} ELSE {_d(0.0)} END" for i, w in plan.timing
            )
            timing = _round(f"{_d(100.0)} * ({tsum}) * {_d(1.0 / plan.timing_total)}", 1)
        else:
            timing = _d(0.0)
        if not t:
            codes = "CAST(0 AS BIGINT)"
        elif plan.packed_codes:
            codes = " + ".join(
                f"(CASE WHEN {x} THEN 1 WHEN {x} IS NULL THEN 2 ELSE 0 END) * CAST({4**i} AS BIGINT)"
                for i, x in enumerate(t)
            )
        else:
            codes = " || ".join(
                f"(CASE WHEN {x} THEN '+' WHEN {x} IS NULL THEN '?' ELSE '-' END)" for x in t
            )
        return [
            ("fit_score", fit),
            ("disqualified", disq),
            ("disqualified_by", disq_by),
            ("segment", segment),
            ("data_completeness", completeness),
            ("timing_score", timing),
            ("reasons", codes),
        ]

    def stage3(self) -> list[tuple[str, str]]:
        a, b, c = self.plan.tiers
        fit = _q("fit_score")
        tier = (
            f"CASE WHEN {_q('disqualified')} THEN 'D' WHEN {fit} >= {_d(a)} THEN 'A' "
            f"WHEN {fit} >= {_d(b)} THEN 'B' WHEN {fit} >= {_d(c)} THEN 'C' ELSE 'D' END"
        )
        prio = _round(f"{fit} * ({_d(1.0)} + {_q('timing_score')} * {_d(0.01)}) * {_d(0.5)}", 2)
        return [
            ("tier", tier),
            ("in_market", f"({_q('timing_score')} >= {_d(self.plan.in_market_at)})"),
            ("priority", f"CASE WHEN {_q('disqualified')} THEN {_d(0.0)} ELSE {prio} END"),
        ]

    @staticmethod
    def stage4() -> list[tuple[str, str]]:
        fitq = f"{_q('tier')} IN ('A', 'B')"
        avg = f"{_q('tier')} = 'C'"
        im = _q("in_market")
        return [
            (
                "quadrant",
                f"CASE WHEN {fitq} AND {im} THEN 'fit + in-market' WHEN {fitq} THEN "
                f"'fit + dormant' WHEN {avg} AND {im} THEN 'average + in-market' "
                f"WHEN {avg} THEN 'average' "
                f"WHEN {im} THEN 'poor fit + in-market' ELSE 'poor fit' END",
            )
        ]


def _sel(items: list[tuple[str, str]]) -> str:
    return ", ".join(f"{e} AS {_q(n)}" for n, e in items)


def _has_any(node: exp.Expression, dialect: str) -> exp.Expression:
    """Constructs sqlglot cannot transpile: array overlap in every dialect, BigQuery's missing
    SPLIT_PART, and the regex flag Snowflake and BigQuery would misread."""
    if isinstance(node, exp.SplitPart) and dialect == "bigquery":
        # BigQuery has no SPLIT_PART; a 1-based part past the end is NULL as in the others.
        index = int(node.args["part_index"].name) - 1
        text = node.this.sql(dialect)
        delimiter = node.args["delimiter"].sql(dialect)
        return cast(
            exp.Expression,
            sqlglot.parse_one(f"SPLIT({text}, {delimiter})[SAFE_OFFSET({index})]", read=dialect),
        )
    if isinstance(node, exp.RegexpReplace) and dialect in ("snowflake", "bigquery"):
        # They replace every match by default; a 'g' would be read as a position (Snowflake).
        node.set("modifiers", None)
        return node
    if not (isinstance(node, exp.Anonymous) and node.name.upper() == _HAS_ANY):
        return node
    col, arr = node.expressions
    values = list(arr.expressions)
    c = col.sql(dialect)
    v = ", ".join(x.sql(dialect) for x in values)
    text = {
        "duckdb": f"list_has_any({c}, [{v}])",
        "postgres": f"{c} && ARRAY[{v}]::TEXT[]",
        "snowflake": f"ARRAYS_OVERLAP({c}, ARRAY_CONSTRUCT({v}))",
        "bigquery": f"EXISTS(SELECT 1 FROM UNNEST({c}) AS icp_v WHERE icp_v IN ({v}))",
        "spark": f"ARRAYS_OVERLAP({c}, ARRAY({v}))",
    }[dialect]
    return cast(exp.Expression, sqlglot.parse_one(text, read=dialect))


def _postgres_select(
    plan: Plan,
    col: dict[str, str],
    as_of: date | None,
    src: str,
    keep: Sequence[str] | None,
    *,
    normalize: bool,
    raw: bool,
) -> str:
    """PostgreSQL has no ``* EXCLUDE``: each row's scores come from a LATERAL subquery."""
    scores = [c for c in OUTPUT_COLUMNS if c != "rank"]
    lvl = _q(_P + "l")
    comp = _Compiler(plan, col, as_of, prefix='"__icp_src".', normalize=normalize, raw=raw)
    stages = []
    flags = ""
    # PostgreSQL pulls subqueries up into one expression tree, copying each parsing step
    # into every use: exponential in the stages. OFFSET 0 keeps each stage a fence.
    fence = " OFFSET 0" if raw else ""
    if raw:
        stages = [comp.raw_first(comp.prefix), *comp.raw_numbers()]
        if comp.num:
            flags = f" CROSS JOIN ({comp.flags(_chain(comp, src, fence))}) AS {_q(_P + 'f')}"
            stages += comp.raw_parse()
    stages += [comp.normalised(), comp.tests(), comp.points()]
    stages += [comp.stage2(), comp.stage3(), comp.stage4()]
    stages = [x for x in stages if x]
    q = f"SELECT {_sel(stages[0])}"
    for stage in stages[1:]:
        q = f"SELECT *, {_sel(stage)} FROM ({q}{fence}) AS {lvl}"
    inner = ", ".join(_q(c) for c in scores)
    sc, row = _q(_P + "sc"), _q(_P + "src")
    outer = ", ".join(f"{sc}.{_q(c)}" for c in scores)
    kept = f"{row}.*" if keep is None else ", ".join(f"{row}.{_q(k)}" for k in keep)
    return (
        f"SELECT {kept}{', ' if kept else ''}{outer} FROM {src} AS {row}{flags} CROSS JOIN LATERAL "
        f"(SELECT {inner} FROM ({q}) AS {lvl}) AS {sc}"
    )


def _exclude_select(
    plan: Plan,
    col: dict[str, str],
    as_of: date | None,
    src: str,
    keep: Sequence[str] | None,
    *,
    normalize: bool,
    raw: bool,
) -> str:
    """Every other dialect: stages nest as subqueries; the temporaries go with ``* EXCLUDE``."""
    scores = [c for c in OUTPUT_COLUMNS if c != "rank"]
    lvl = _q(_P + "l")
    comp = _Compiler(plan, col, as_of, prefix="", normalize=normalize, raw=raw)
    q = f"SELECT * FROM {src}"
    temps: list[str] = []
    if raw:
        q = _chain(comp, src)
        temps += [n for stage in _raw_stages(comp) for n, _ in stage]
        if comp.num:
            f = comp.flags(q)
            q = f"SELECT * FROM ({q}) AS {lvl} CROSS JOIN ({f}) AS {_q(_P + 'f')}"
            temps += [f"{_P}{side}{n}" for n in comp.num.values() for side in ("us", "eu")]
            for stage in comp.raw_parse():
                if stage:
                    q = f"SELECT *, {_sel(stage)} FROM ({q}) AS {lvl}"
                    temps += [n for n, _ in stage]
    for stage in (
        comp.normalised(),
        comp.tests(),
        comp.points(),
        comp.stage2(),
        comp.stage3(),
        comp.stage4(),
    ):
        if stage:
            q = f"SELECT *, {_sel(stage)} FROM ({q}) AS {lvl}"
            temps += [n for n, _ in stage if n.startswith(_P)]
    if keep is None:
        drop = ", ".join(_q(c) for c in [*temps, *scores])
        kept = f"* EXCLUDE ({drop}), "
    else:
        kept = "".join(f"{_q(k)}, " for k in keep)
    return f"SELECT {kept}{', '.join(_q(c) for c in scores)} FROM ({q}) AS {lvl}"


def compile_sql(
    icp: ICP,
    *,
    table: str,
    dialect: str = "duckdb",
    view: str | None = None,
    as_of: date | None = None,
    columns: Mapping[str, str] | None = None,
    pretty: bool = True,
    rank: bool = True,
    normalize_text: bool = True,
    keep: Sequence[str] | None = None,
    raw: bool = False,
) -> str:
    """A ``SELECT`` (or ``CREATE VIEW``) scoring every row of ``table`` in ``dialect``.

    ``table`` may be qualified (``db.schema.prospects``). ``columns`` maps ICP column names to
    the table's where they differ. Without ``as_of``, timing windows end at ``CURRENT_DATE``.
    ``rank=False`` leaves out the file-wide ``rank`` column. ``normalize_text=False`` is for
    tables whose categorical columns are already normalised (lower-case, trimmed, as
    :func:`icpkit.columns.prepare` leaves them): it drops the per-row ``LOWER(TRIM())``, which in
    DuckDB costs more than all the scoring arithmetic together. ``keep`` names the table's
    columns to return before the score columns (default: all of them); returning only an id
    saves the warehouse copying every input column into the result.

    ``raw=True`` scores a table as loaded from the prospects file, every ICP column text (a CSV
    staged as VARCHAR): the query parses values as :func:`icpkit.scoring.score` does on the
    same file (numbers with currency, ``M``/``k`` suffixes, thousands separators and each
    column's number convention, categoricals normalised, ``;``/``|`` lists, yes/no values, dates
    in every shape of :data:`icpkit.columns.DATE_SHAPES`), so both give identical scores.
    """
    dialect = dialect.lower()
    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    plan = build_plan(icp)
    col = dict(columns or {})
    src = exp.to_table(table, dialect=dialect).sql("duckdb")
    select = _postgres_select if dialect == "postgres" else _exclude_select
    sql = select(plan, col, as_of, src, keep, normalize=normalize_text, raw=raw)
    if rank:
        # Only DuckDB and PostgreSQL spell it; DuckDB would otherwise score every row twice.
        sql = _with_rank(sql, materialized=dialect in ("duckdb", "postgres"))
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(lambda n: _has_any(n, dialect))
    if view:
        tree = exp.Create(
            this=exp.to_table(view, dialect=dialect), kind="VIEW", expression=tree, replace=True
        )
    return tree.sql(dialect=dialect, pretty=pretty)


def header_map(icp: ICP, headers: Sequence[str]) -> dict[str, str]:
    """ICP column → the table's header, matched as the polars engine matches them.

    For ``compile_sql(columns=...)`` when the table keeps the export's headers ("Number of
    Employees" for ``employees``); ICP columns without a header are left out.
    """
    from icpkit.scoring.engine import resolve_columns

    wanted = list(build_plan(icp).columns())
    return {k: v for k, v in resolve_columns(list(headers), wanted).items() if k != v}


def _raw_stages(comp: _Compiler) -> list[list[tuple[str, str]]]:
    return [comp.raw_first(""), *comp.raw_numbers()]


def _chain(comp: _Compiler, src: str, fence: str = "") -> str:
    """The table with the raw parsing stages up to the number conventions' evidence."""
    q = f"SELECT * FROM {src}"
    for stage in _raw_stages(comp):
        if stage:
            q = f"SELECT *, {_sel(stage)} FROM ({q}{fence}) AS {_q(_P + 'l')}"
    return q


def _with_rank(scored: str, *, materialized: bool) -> str:
    """Append ``rank`` (SQL ``RANK()`` by priority, descending) without sorting every row.

    A window over all rows sorts the whole table, every column carried along. Priorities take
    few distinct values, so the rank is computed over those (one small window over their
    counts: rank = 1 + the number of rows with a higher priority) and joined back by value.
    """
    s, c, r, n = (_q(_P + x) for x in ("s", "c", "r", "n"))
    p = _q("priority")
    return (
        f"WITH {s} AS {'MATERIALIZED ' if materialized else ''}({scored}), "
        f"{c} AS (SELECT {p}, COUNT(*) AS {n} FROM {s} GROUP BY {p}), "
        f"{r} AS (SELECT {p}, CAST(SUM({n}) OVER (ORDER BY {p} DESC) - {n} + 1 AS BIGINT) "
        f"AS {_q('rank')} FROM {c}) "
        f"SELECT {s}.*, {r}.{_q('rank')} FROM {s} JOIN {r} ON {s}.{p} = {r}.{p}"
    )


def reasons_legend(icp: ICP) -> str:
    """SQL comment lines saying how to read the query's ``reasons`` column.

    The warehouse gets the compact code (sentences for every row would cost more than the
    scoring); without this legend a reader of ``icp sql`` output sees ``'--++-?'`` or a large
    integer under "reasons" and no way to tell what it says.
    """
    plan = build_plan(icp)
    if not plan.tests:
        return "-- reasons: 0 (the ICP has no criteria)"
    if plan.packed_codes:
        head = (
            "-- reasons: an integer, the sum over criteria i (numbered from 0) of state_i * 4^i, "
            "state 1 = met, 2 = unknown, 0 = failed; criterion i:"
        )
    else:
        head = (
            "-- reasons: one character per criterion (the i-th, numbered from 0), "
            "'+' met, '?' unknown, '-' failed; criterion i:"
        )
    lines = [head]
    for i, (c, role) in enumerate(zip(plan.tests, plan.roles, strict=True)):
        what = "" if role == "fit" else f" ({role})"
        text = " ".join(c.describe().split())  # one line each, whatever the label holds
        lines.append(f"--   {i}: {text}{what}")
    return "\n".join(lines)


__all__ = ["DIALECTS", "compile_sql", "header_map", "reasons_legend"]
