"""Inferring each column's role, kind, layer, unit and outcome kind from its header and values;
calendar artefacts; header resolution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

import polars as pl

from icpkit.columns.names import (
    BEHAVIOURAL_NAMES,
    BOOKKEEPING_DATES,
    CHANGE,
    DOMAIN_NAMES,
    EVENT,
    EVENT_TYPE,
    ID_NAMES,
    IDLIKE_NAME,
    LIST_HINT,
    MONEY_UNITS,
    OUTCOME_PATTERNS,
    RECENCY,
    REFERENCE_DATES,
    SIZE,
    TECHNOGRAPHIC_NAMES,
    canonical_headers,
    canonical_name,
)
from icpkit.columns.parsing import clean_text, normalize_text, parse_bool, parse_date, parse_number
from icpkit.columns.schema import (
    HIGHER_IS_BETTER,
    ColumnInfo,
    Kind,
    OutcomeKind,
    Role,
    Schema,
    SchemaOverrides,
)
from icpkit.criteria import Criterion, Layer, unit_from_name
from icpkit.errors import InputError

# Values that look like identifiers rather than words: uuids, hex digests, opaque codes that
# mix letters and digits without spaces (``0015g00000XyZab``, ``CUST-00123``).
_IDLIKE_VALUE = (
    r"^(?i:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{8,64}"
    r"|(?:[a-z_-]*\d[a-z0-9_-]*[a-z][a-z0-9_-]*|[a-z0-9_-]*[a-z][a-z0-9_-]*\d[a-z0-9_-]*))$"
)

IDLIKE_SHARE = 0.9  # share of values that must look like ids

NEAR_UNIQUE = 0.95  # distinct share above which an id-looking column is an identifier

MAX_CATEGORIES = 200

NUMERIC_SHARE = 0.95

MIXED_SHARE = 0.5

MULTI_SHARE = 0.1

INFER_SAMPLE = 100_000


#: How users set each override: the flag where there is one, else the columns config key.
_SETTING = {
    "id": "--id (columns config: id)",
    "name": "the columns config's name",
    "domain": "--domain (columns config: domain)",
    "reference_date": "--reference-date (columns config: reference_date)",
    "label": "--label (columns config: label)",
}


def _resolve(
    keys: Mapping[str, Any] | list[str],
    sources: dict[str, str],
    file: str | None,
    setting: str = "an override",
) -> Any:
    """Map override keys (source header or canonical name) to canonical names; a key that
    names no column is an error naming the ``setting`` it came from."""
    by_any: dict[str, str] = {}
    for canon, src in sources.items():
        by_any[src] = canon
        by_any[canon] = canon
        by_any.setdefault(canonical_name(src), canon)
    out: dict[str, Any] = {}
    for k in keys:
        if k not in by_any and canonical_name(k) in by_any:
            by_any[k] = by_any[canonical_name(k)]
        if k not in by_any:
            raise InputError(
                f"{setting} names column {k!r}, which is not in the data "
                f"(columns: {', '.join(sources.values())})",
                file=file,
                column=k,
            )
        out[by_any[k]] = keys[k] if isinstance(keys, Mapping) else True
    return out


def _stats(df: pl.DataFrame, names: list[str]) -> dict[str, dict[str, float]]:
    """Per-column value statistics in one vectorised pass over the frame."""
    strings = [n for n in names if df.schema[n] == pl.String]
    # Clean text once up front: every statistic below reads it, and polars would otherwise
    # re-run the cleaning inside each of them.
    df = df.with_columns(clean_text(pl.col(n)).alias(n) for n in strings)
    exprs: list[pl.Expr] = []
    for n in names:
        dt = df.schema[n]
        c = pl.col(n)
        if dt == pl.String:
            clean = c
            norm = normalize_text(c)
            exprs += [
                clean.count().alias(f"{n}\0nonnull"),
                norm.n_unique().alias(f"{n}\0unique"),
                parse_number(clean).count().alias(f"{n}\0num"),
                parse_date(clean).count().alias(f"{n}\0date"),
                parse_bool(clean).count().alias(f"{n}\0bool"),
                clean.str.contains(r"[;|]").sum().alias(f"{n}\0multi"),
                clean.str.contains(",", literal=True).sum().alias(f"{n}\0comma"),
                clean.str.len_chars().mean().alias(f"{n}\0len"),
                clean.str.contains(r"^[-+]?\d+(\.\d+)?$").sum().alias(f"{n}\0plain"),
                clean.str.contains(r"^(https?://|www\.)").sum().alias(f"{n}\0url"),
                (clean.str.contains(_IDLIKE_VALUE) & (clean.str.len_chars() >= 6))
                .sum()
                .alias(f"{n}\0idlike"),
            ]
        else:
            exprs += [c.count().alias(f"{n}\0nonnull")]
            if not isinstance(dt, (pl.List, pl.Struct, pl.Array, pl.Object)):
                exprs.append(c.n_unique().alias(f"{n}\0unique"))
            if dt.is_numeric():
                exprs.append(((c == 0) | (c == 1)).sum().alias(f"{n}\0bool"))
    row = df.select(exprs).row(0, named=True) if exprs else {}
    out: dict[str, dict[str, float]] = {n: {} for n in names}
    for key, value in row.items():
        col, stat = key.split("\0")
        out[col][stat] = float(value) if value is not None else 0.0
    for n in names:  # n_unique counts null as a value
        st = out[n]
        if "unique" in st and st["nonnull"] < df.height:
            st["unique"] -= 1
    return out


def _kind_of(
    dtype: pl.DataType, st: dict[str, float], name: str, height: int
) -> tuple[Kind, str | None]:
    """Kind (and multi separator) from a column's dtype and value statistics."""
    nn = st["nonnull"]
    if dtype == pl.Boolean:
        return Kind.BOOLEAN, None
    if isinstance(dtype, (pl.List, pl.Array)):
        return Kind.MULTI, None
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return Kind.DATE, None
    if dtype.is_temporal():  # a time of day or a duration is no calendar date: keep as text
        return Kind.TEXT, None
    if dtype.is_numeric():
        if st.get("bool", 0) == nn and st.get("unique", 0) == 2:
            return Kind.BOOLEAN, None
        return Kind.NUMERIC, None
    if dtype != pl.String:
        return Kind.TEXT, None
    unique = st["unique"]
    if st["bool"] == nn and unique <= 2:
        return Kind.BOOLEAN, None
    if st["date"] >= NUMERIC_SHARE * nn and st["plain"] < nn:
        return Kind.DATE, None
    if st["num"] >= MIXED_SHARE * nn:
        return Kind.NUMERIC, None
    if st["multi"] >= MULTI_SHARE * nn and st["len"] < 200:
        return Kind.MULTI, None
    if LIST_HINT.search(name) and st["comma"] >= MULTI_SHARE * nn and st["len"] < 200:
        return Kind.MULTI, ","
    if st["url"] > 0.5 * nn or st["len"] > 60:
        return Kind.TEXT, None
    if unique == nn and nn >= 10:  # no value repeats: names, notes, identifiers
        return Kind.TEXT, None
    if unique <= MAX_CATEGORIES or unique <= 0.5 * nn:
        return Kind.CATEGORICAL, None
    return Kind.TEXT, None


def _layer_of(name: str, kind: Kind | None = None, unit: str | None = None) -> Layer:
    """Behavioural for changes (even of technology); technographic by name; behavioural for
    growth/intent and for dated or flagged events; firmographic otherwise, and always for
    amounts, counts, years and sizes."""
    if CHANGE.search(name) and kind is not Kind.DATE:  # not a record's "last changed" date
        return Layer.BEHAVIOURAL
    if TECHNOGRAPHIC_NAMES.search(name):
        return Layer.TECHNOGRAPHIC
    if BEHAVIOURAL_NAMES.search(name) or EVENT_TYPE.search(name):
        return Layer.BEHAVIOURAL
    if unit in MONEY_UNITS or SIZE.search(name):
        return Layer.FIRMOGRAPHIC
    if EVENT.search(name) and (kind in (Kind.DATE, Kind.BOOLEAN) or RECENCY.search(name)):
        return Layer.BEHAVIOURAL
    if RECENCY.search(name) and unit in ("days", "months"):
        return Layer.BEHAVIOURAL
    return Layer.FIRMOGRAPHIC


def _outcome_of(name: str) -> OutcomeKind | None:
    for kind, pattern in OUTCOME_PATTERNS:
        if pattern.search(name):
            return kind
    return None


_YEAR_WORD = re.compile(r"(^|_)(year|yr)(?=$|_)")

_SHARE_NAME = re.compile(r"(^|_)(rate|ratio|share|fraction|probability|prob)($|_)")

_CURRENCY = r"[$€£¥₹]|\b(?i:usd|eur|gbp|chf|cad|aud|jpy)\b"


def _units(
    df: pl.DataFrame, sources: dict[str, str], stats: dict[str, dict[str, float]]
) -> dict[str, str]:
    """What each numeric-looking column's numbers are, from its name and its values.

    One vectorised pass: min, max and whether all values are whole, plus how many raw values
    carry ``%`` or a currency. The name decides between count and money ("funding_rounds" is a
    count however "funding" it sounds); values confirm years (whole, 1800-2100), percentages
    and money typed with a currency.
    """
    exprs: list[pl.Expr] = []
    cands: list[str] = []
    for canon, src in sources.items():
        dt, st = df.schema[src], stats[src]
        if dt.is_numeric() and dt != pl.Boolean:
            v = pl.col(src).cast(pl.Float64)
            exprs += [pl.lit(0).alias(f"{canon}\0pct"), pl.lit(0).alias(f"{canon}\0cur")]
        elif dt == pl.String and st.get("num", 0) >= MIXED_SHARE * max(st["nonnull"], 1) > 0:
            raw = clean_text(pl.col(src))
            v = parse_number(raw)
            exprs += [
                raw.str.contains("%", literal=True).sum().alias(f"{canon}\0pct"),
                raw.str.contains(_CURRENCY).sum().alias(f"{canon}\0cur"),
            ]
        else:
            continue
        cands.append(canon)
        exprs += [
            v.min().alias(f"{canon}\0min"),
            v.max().alias(f"{canon}\0max"),
            (v == v.floor()).all().alias(f"{canon}\0int"),
            v.count().alias(f"{canon}\0n"),
        ]
    if not exprs:
        return {}
    row = df.select(exprs).row(0, named=True)
    out: dict[str, str] = {}
    for canon in cands:
        mn, mx, n = row[f"{canon}\0min"], row[f"{canon}\0max"], row[f"{canon}\0n"] or 0
        whole = bool(row[f"{canon}\0int"])
        if not n or mn is None or mx is None:
            continue
        guess = unit_from_name(canon)
        if guess == "year" and not (whole and mn >= 1800 and mx <= 2100):
            guess = unit_from_name(_YEAR_WORD.sub("", canon).strip("_") or "x")
        if row[f"{canon}\0pct"] >= 0.5 * n:
            out[canon] = "percent"
        elif guess == "percent" or (_SHARE_NAME.search(canon) and guess is None):
            out[canon] = "share" if mn >= 0 and mx <= 1 else "percent"
        elif guess is None and row[f"{canon}\0cur"] >= 0.5 * n:
            out[canon] = "money"
        else:
            out[canon] = guess or "plain"
    return out


ARTEFACT_MIN = 30  # values needed before a calendar position can be called over-represented

ARTEFACT_YEARS = 4  # ... and the distinct years it must recur in

_QUARTERS = ("Q1", "Q2", "Q3", "Q4")

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _calendar_artefact(s: pl.Series, kind: Kind) -> tuple[str, float, int] | None:
    """``(position, share, years)`` when one calendar position is heavily over-represented.

    Exports that only knew a year fill in a default: quarter Q1, month January, 1 January or
    the 1st of the month. Such a position recurring over many years is a data artefact, not a
    trait. Thresholds: Q1-style >= 50% (25% expected), a month >= 25% (8%), 1 January >= 20%
    (0.3%), the 1st of the month >= 40% (3%).
    """
    if s.dtype.is_temporal():
        return _date_artefact(s.cast(pl.Date).drop_nulls())
    if s.dtype != pl.String:
        return None
    t = s.str.strip_chars().drop_nulls()
    t = t.filter(t != "")
    if t.len() < ARTEFACT_MIN:
        return None
    for pattern, names, threshold in (
        (r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$", _QUARTERS, 0.5),
        (r"^(\d{4})[-/](\d{1,2})$", _MONTHS, 0.25),
    ):
        g = t.str.extract_groups(pattern).struct.unnest()
        g = g.filter(pl.col("1").is_not_null())
        if g.height < 0.9 * t.len():
            continue
        pos = g.get_column("2").cast(pl.Int32, strict=False)
        top = pos.mode().sort()[0]
        at = pos == top
        share = float(cast(float, at.mean()) or 0.0)
        years = g.get_column("1").filter(at).n_unique()
        if share >= threshold and years >= ARTEFACT_YEARS and 1 <= top <= len(names):
            return names[top - 1], share, years
        return None
    if kind is not Kind.DATE:
        return None
    return _date_artefact(pl.select(parse_date(pl.lit(t))).to_series().drop_nulls())


def _date_artefact(d: pl.Series) -> tuple[str, float, int] | None:
    if d.len() < ARTEFACT_MIN:
        return None
    day1 = d.dt.day() == 1
    for at, name, threshold in (
        (day1 & (d.dt.month() == 1), "1 January", 0.2),
        (day1, "the 1st of the month", 0.4),
    ):
        share = float(cast(float, at.mean()) or 0.0)
        years = d.filter(at).dt.year().n_unique()
        if share >= threshold and years >= ARTEFACT_YEARS:
            return name, share, years
    return None


_ARTEFACT_VALUE: dict[str, str] = {
    **{q: rf"{q.lower()}$" for q in _QUARTERS},
    **{m: rf"^\d{{4}}[-/]0?{i}$" for i, m in enumerate(_MONTHS, start=1)},
}


def _at(position: str) -> str:
    """``in Q1`` / ``in January`` / ``on 1 January``: the preposition the position takes."""
    return f"{'on' if position[0].isdigit() or position.startswith('the') else 'in'} {position}"


def artefact_warning(criteria: Iterable[Criterion], schema: Schema) -> str | None:
    """A warning for a segment whose criteria rest on a likely default-date artefact, else None.

    A criterion on a column flagged by :func:`infer_schema` (e.g. ``founded_quarter`` with Q1
    over-represented) counts when at least half of its values sit on the flagged position
    (``2000-q1, 2001-q1, 2002-q1``), or when it is a window/band on a flagged date column.
    """
    notes: list[str] = []
    for c in criteria:
        info = next((i for i in schema.columns if c.column in (i.name, i.source)), None)
        if info is None or not info.artefact:
            continue
        col = c.column.replace("_", " ")
        share = f"{info.artefact_share:.0%} of" if info.artefact_share is not None else "many"
        values = c.in_ or c.has_any or ()
        pattern = _ARTEFACT_VALUE.get(info.artefact)
        if values and pattern:
            hits = [v for v in values if re.search(pattern, v)]
            if not hits or 2 * len(hits) < len(values):
                continue
            notes.append(
                f"{col} {', '.join(hits)}: {info.artefact} in {len(hits)} different "
                f"year{'s' if len(hits) > 1 else ''}, and {share} {col} values in the data "
                f"fall {_at(info.artefact)} (default dates where only the year was known); this "
                "segment may rest on a data artefact"
            )
        elif c.between is not None or c.within_days is not None:
            notes.append(
                f"{share} {col} values fall {_at(info.artefact)} (default dates), so a window "
                "on them is imprecise"
            )
    return "; ".join(notes) or None


@dataclass(frozen=True)
class _Inputs:
    """What every per-column decision reads: headers, value statistics and the overrides,
    already mapped to canonical names."""

    sample: pl.DataFrame
    dtypes: Mapping[str, pl.DataType]
    sources: dict[str, str]
    stats: dict[str, dict[str, float]]
    where: str
    roles: dict[str, Role]
    kinds: dict[str, Kind]
    layers: dict[str, Layer]
    outcomes: dict[str, OutcomeKind]
    ignore: set[str]
    seps: dict[str, str]
    picked: dict[str, str]

    @property
    def height(self) -> int:
        return self.sample.height

    def complete_unique(self, c: str) -> bool:
        st = self.stats[self.sources[c]]
        return st["nonnull"] == self.height and st.get("unique", 0) == self.height

    def idlike(self, c: str) -> bool:
        """Named like an id, or (nearly) unique values that look like codes, not words."""
        st = self.stats[self.sources[c]]
        if IDLIKE_NAME.search(c) or ID_NAMES.match(c):
            return True
        nn = st["nonnull"]
        return (
            nn >= 10
            and st.get("idlike", 0) >= IDLIKE_SHARE * nn
            and st.get("unique", 0) >= NEAR_UNIQUE * nn
        )

    def pick(self, role: Role, candidates: list[str]) -> str | None:
        """The column given ``role`` by an override, else the first free candidate."""
        chosen = [c for c, r in self.roles.items() if r is role]
        if chosen:
            return chosen[0]
        for c in candidates:
            if c in self.sources and c not in self.roles and c not in self.ignore:
                return c
        return None


def _inputs(df: pl.DataFrame, overrides: SchemaOverrides | None, file: str | None) -> _Inputs:
    """Sample the frame, compute value statistics and resolve every override to a canonical name."""
    ov = overrides or SchemaOverrides()
    sources = canonical_headers(df.columns)
    # Kinds are shares of values, so a large sample decides them as well as the whole frame
    # does (duplicate ids are still caught on every row by prepare).
    sample = df if df.height <= INFER_SAMPLE else df.sample(INFER_SAMPLE, seed=0)
    roles = _resolve(ov.roles, sources, file, "the columns config's roles")
    kinds = _resolve(ov.kinds, sources, file, "the columns config's kinds")
    layers = _resolve(ov.layers, sources, file, "the columns config's layers")
    outcomes = _resolve(ov.outcomes, sources, file, "the columns config's outcomes")
    ignore = set(_resolve(ov.ignore, sources, file, "the columns config's ignore"))
    seps = _resolve(ov.multi_separators, sources, file, "the columns config's multi_separators")
    picked = {
        key: next(iter(_resolve([getattr(ov, key)], sources, file, _SETTING[key])))
        for key in ("id", "name", "domain", "reference_date", "label")
        if getattr(ov, key)
    }
    for key, special_role in (("id", Role.ID), ("name", Role.NAME), ("domain", Role.DOMAIN)):
        if key in picked:
            roles[picked[key]] = special_role
    if "label" in picked:
        outcomes[picked["label"]] = OutcomeKind.LABEL
    return _Inputs(
        sample=sample,
        dtypes=df.schema,
        sources=sources,
        stats=_stats(sample, list(sources.values())),
        where=f"{file}: " if file else "",
        roles=roles,
        kinds=kinds,
        layers=layers,
        outcomes=outcomes,
        ignore=ignore,
        seps=seps,
        picked=picked,
    )


def _special_columns(inp: _Inputs) -> tuple[dict[str, Role], str | None]:
    """The id / name / domain columns (an override, the canonical name, else a recognised
    pattern), and the id column alone."""
    sources, unique = inp.sources, inp.complete_unique
    id_candidates = (
        ["id"]
        + [c for c in sources if ID_NAMES.match(c) and unique(c)]
        + [c for c in sources if IDLIKE_NAME.search(c) and unique(c)]
        + [c for c in sources if inp.idlike(c) and unique(c)]
    )
    id_col = inp.pick(Role.ID, id_candidates)
    special = {
        id_col: Role.ID,
        inp.pick(Role.NAME, ["name"]): Role.NAME,
        inp.pick(Role.DOMAIN, list(DOMAIN_NAMES)): Role.DOMAIN,
    }
    return {c: r for c, r in special.items() if c is not None}, id_col


def _role_of(
    inp: _Inputs,
    canon: str,
    kind: Kind,
    special: dict[str, Role],
    id_col: str | None,
    warnings: list[str],
) -> tuple[Role, Kind, OutcomeKind | None]:
    """Role (and the kind and outcome it implies) of one column, before the emptiness checks."""
    src, st = inp.sources[canon], inp.stats[inp.sources[canon]]
    outcome = inp.outcomes.get(canon) or _outcome_of(canon)
    if canon in special:
        return special[canon], inp.kinds.get(canon, Kind.TEXT), None
    if canon in inp.roles:
        role = inp.roles[canon]
    elif canon in inp.ignore:
        role = Role.IGNORE
    elif outcome is not None:
        role = Role.OUTCOME
    elif inp.idlike(canon) and kind is not Kind.DATE:
        # Identifiers are never traits, and never "free text" either.
        role, kind = Role.IGNORE, Kind.TEXT
        if st.get("unique", 0) >= NEAR_UNIQUE * st["nonnull"] > 0:
            warnings.append(
                f"{inp.where}column {src!r} looks like an identifier "
                f"({int(st.get('unique', 0))} distinct values)"
                + (f" besides the id column {inp.sources[id_col]!r}" if id_col else "")
                + "; ignored"
            )
    elif kind is Kind.DATE:
        role = Role.DATE
    elif kind is Kind.TEXT:
        role = Role.IGNORE
        if st["nonnull"]:
            warnings.append(
                f"{inp.where}column {src!r} looks like free text "
                f"({int(st.get('unique', 0))} distinct values); not used as a trait"
            )
    else:
        role = Role.ATTRIBUTE
    return role, kind, outcome if role is Role.OUTCOME else None


def _degenerate(inp: _Inputs, canon: str, role: Role, warnings: list[str]) -> Role:
    """Ignore a column that is empty or holds one value throughout, unless an override named it."""
    src, st = inp.sources[canon], inp.stats[inp.sources[canon]]
    explicit = canon in inp.roles or canon in inp.ignore
    if st["nonnull"] == 0 and not explicit and role is not Role.ID:
        warnings.append(f"{inp.where}column {src!r} is empty (every value missing); ignored")
        return Role.IGNORE
    if (
        st.get("unique", 2) <= 1
        and st["nonnull"] == inp.height  # one value plus blanks is still a flag
        and role in (Role.ATTRIBUTE, Role.OUTCOME, Role.DATE)
        and not explicit
        and inp.height > 1
    ):
        warnings.append(f"{inp.where}column {src!r} has a single value throughout; ignored")
        return Role.IGNORE
    return role


def _column_info(
    inp: _Inputs,
    canon: str,
    special: dict[str, Role],
    id_col: str | None,
    units: dict[str, str],
    warnings: list[str],
) -> ColumnInfo:
    """Everything inferred about one column, with its warnings appended to ``warnings``."""
    src = inp.sources[canon]
    kind, sep = _kind_of(inp.dtypes[src], inp.stats[src], canon, inp.height)
    sep = inp.seps.get(canon, sep)
    if canon in inp.seps:
        kind = Kind.MULTI
    kind = inp.kinds.get(canon, kind)
    role, kind, outcome = _role_of(inp, canon, kind, special, id_col, warnings)
    # The outcome a role implies stays even when the column is then ignored as degenerate.
    role = _degenerate(inp, canon, role, warnings)
    layer = None
    unit = units.get(canon) if kind is Kind.NUMERIC else None
    if role is Role.ATTRIBUTE or (role is Role.DATE and not BOOKKEEPING_DATES.match(canon)):
        layer = inp.layers.get(canon) or _layer_of(canon, kind, unit)
    artefact = (
        _calendar_artefact(inp.sample.get_column(src), kind)
        if role in (Role.ATTRIBUTE, Role.DATE) and kind in (Kind.CATEGORICAL, Kind.DATE)
        else None
    )
    if artefact is not None:
        warnings.append(
            f"{inp.where}column {src!r}: {artefact[1]:.0%} of values fall {_at(artefact[0])} "
            f"across {artefact[2]} different years: typical of default dates where only "
            "the year was known, so segments built on it may be a data artefact"
        )
    return ColumnInfo(
        name=canon,
        source=src,
        role=role,
        kind=kind,
        layer=layer,
        outcome=outcome,
        higher_is_better=HIGHER_IS_BETTER.get(outcome) if outcome else None,
        separator=sep if kind is Kind.MULTI else None,
        unit=unit,
        artefact=artefact[0] if artefact else None,
        artefact_share=round(artefact[1], 3) if artefact else None,
    )


def infer_schema(
    df: pl.DataFrame, overrides: SchemaOverrides | None = None, *, file: str | None = None
) -> Schema:
    """Infer every column's role, kind, layer and outcome kind; apply ``overrides`` last."""
    inp = _inputs(df, overrides, file)
    special, id_col = _special_columns(inp)
    units = _units(inp.sample, inp.sources, inp.stats)
    warnings: list[str] = []
    columns = [_column_info(inp, c, special, id_col, units, warnings) for c in inp.sources]
    reference = inp.picked.get("reference_date") or next(
        (c for c in REFERENCE_DATES if c in inp.sources), None
    )
    if reference is not None:
        columns = [
            replace(c, role=Role.DATE, kind=Kind.DATE, layer=None, outcome=None)
            if c.name == reference
            else c
            for c in columns
        ]
    return Schema(tuple(columns), reference, tuple(warnings))


__all__ = [
    "ARTEFACT_MIN",
    "ARTEFACT_YEARS",
    "IDLIKE_SHARE",
    "INFER_SAMPLE",
    "MAX_CATEGORIES",
    "MIXED_SHARE",
    "MULTI_SHARE",
    "NEAR_UNIQUE",
    "NUMERIC_SHARE",
    "artefact_warning",
    "infer_schema",
]
