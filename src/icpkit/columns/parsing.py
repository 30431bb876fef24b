"""Reading raw cells, vectorised: text, numbers (both conventions), yes/no, dates, lists, domains.

The SQL compiler (icpkit.scoring.sql) spells the same patterns, so both engines read a cell alike;
docs/icp-file.md states the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import polars as pl

NULL_TOKENS = ("", "n/a", "na", "null", "none", "nan", "-", "--", "—", "#n/a", "#name?", "?")

TEXT_NULL_TOKENS = ("", "n/a", "null", "nan", "-", "--", "—", "#n/a", "#name?")

#: The yes/no vocabulary of every boolean value icpkit reads (after :func:`normalize_text`).
TRUE_WORDS = ("yes", "y", "true", "t", "1", "1.0", "x")

FALSE_WORDS = ("no", "n", "false", "f", "0", "0.0")


def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Lower-case, collapse inner whitespace and strip: how categorical values are compared."""
    return expr.cast(pl.String).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


_SUFFIX = r"(thousand|million|billion|trillion|mm|mn|bn|k|m|b|t)"

NUMBER_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}

# The number grammar below is shared with the warehouse SQL (icpkit.scoring.sql), so every
# pattern avoids what regex engines disagree on: no \d (Unicode in polars, ASCII in RE2), no \s,
# no \b, no backslash escapes at all (Snowflake and BigQuery string literals eat them).
#: Characters dropped from a number anywhere: whitespace (with the no-break and thin spaces of
#: French/Swiss thousands), apostrophes and underscores used as separators, currency symbols.
NUMBER_DROP = " \t\n\r\f\v'_\u00a0\u2009\u202f$€£¥₹"

_CURRENCY_WORDS = "(usd|eur|gbp|chf|cad|aud|jpy)"

NUMBER_STRIP = ("^" + _CURRENCY_WORDS, _CURRENCY_WORDS + "$")  # ISO codes before or after

NUMBER_SUFFIX = _SUFFIX + "$"

_SIGN = "^[-+]?"

#: One separator followed by exactly three digits: "6.515", "1,200" read either way.
NUMBER_AMBIGUOUS = _SIGN + "[0-9]{1,3}[.,][0-9]{3}$"

US_GROUPED = _SIGN + "[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?$"

EU_GROUPED = _SIGN + "[0-9]{1,3}([.][0-9]{3})+(,[0-9]+)?$"

EU_DECIMAL = _SIGN + "[0-9]*,[0-9]+$"

US_EVIDENCE = US_GROUPED + "|" + _SIGN + "[0-9]*[.][0-9]+$"

EU_EVIDENCE = EU_GROUPED + "|" + EU_DECIMAL

# Per value, when a column has no single convention (the historical reading).
EU_PER_VALUE = (
    _SIGN + "[0-9]{1,3}([.][0-9]{3}){2,}(,[0-9]+)?$|" + _SIGN + "[0-9]{1,3}([.][0-9]{3})+,[0-9]+$"
)

DEC_COMMA_PER_VALUE = _SIGN + "[0-9]+,([0-9]{1,2}|[0-9]{4,})$"

NUMBER_VALID = _SIGN + "([0-9]+[.]?[0-9]*|[.][0-9]+)(e[-+]?[0-9]{1,2})?$"


class NumberConventionWarning(UserWarning):
    """Which number convention a text column was read with, when it was not plain US."""


#: How a column writes its numbers: ``us`` (``1,234.5``), ``eu`` (``1.234,5``) or ``mixed``
#: (both appear; each value is then read on its own, as :func:`parse_number` does by default).
Convention = Literal["us", "eu", "mixed"]


def parse_number(expr: pl.Expr, convention: Convention = "mixed") -> pl.Expr:
    """Numbers as people type them: ``"1,200"``, ``"$10M"``, ``"€2.5k"``, ``"1.2bn"``, ``"12%"``.

    Percentages keep their scale (``"12%"`` is 12), ``"(500)"`` is -500, a trailing ``+`` is
    dropped (``"10,000+"``). ``convention`` is the column's (see :func:`number_conventions`):
    ``"eu"`` reads ``"6.515"`` as 6515 and ``"2,5"`` as 2.5, ``"us"`` reads ``"1,200"`` as 1200
    and ``"6.515"`` as 6.515. ``"mixed"`` decides per value: unambiguous European
    ``"1.234.567,8"`` and decimal-comma ``"2,5"`` are read as such, ``"1,200"`` is twelve
    hundred. Placeholders (``N/A``, ``-``, ``none`` ...) and anything else become null.
    """
    return expr.map_batches(
        lambda v: _on_distinct(v, lambda x: _parse_number_series(x, convention), pl.Float64()),
        return_dtype=pl.Float64,
        is_elementwise=True,
    )


def _clean_numbers(values: pl.Series) -> pl.DataFrame:
    """``s``: the value stripped to sign, digits and separators; ``mult``: its suffix's factor."""
    # Staged on a frame so every step runs once: as one expression tree the many branches would
    # each re-evaluate the whole cleaning chain (polars does not share it), ~10x slower.
    s = pl.col("s")
    f = values.cast(pl.String).to_frame("s")
    # Only values with a digit can be numbers (placeholders have none): text columns are cheap.
    f = f.select(pl.when(s.str.contains("[0-9]")).then(s.str.to_lowercase()).alias("s"))
    f = f.select(s.str.replace_all(f"[{NUMBER_DROP}]", ""))
    f = f.select(s.str.replace(NUMBER_STRIP[0], "").str.replace(NUMBER_STRIP[1], ""))
    f = f.select(
        pl.when(s.str.contains("^[(].*[)]$"))
        .then(pl.lit("-") + s.str.slice(1, s.str.len_chars() - 2))
        .otherwise(s)
        .str.replace("[+]$", "")
        .str.replace("%$", "")
        .alias("s")
    )
    return f.with_columns(
        mult=s.str.extract(NUMBER_SUFFIX, 1).replace_strict(
            NUMBER_MULTIPLIERS, default=1.0, return_dtype=pl.Float64
        ),
        s=s.str.replace(NUMBER_SUFFIX, ""),
    )


def _parse_number_series(values: pl.Series, convention: Convention = "mixed") -> pl.Series:
    f = _clean_numbers(values)
    s = pl.col("s")
    dots = s.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    commas = s.str.replace_all(",", "", literal=True)
    if convention == "us":
        fixed = pl.when(s.str.contains(US_GROUPED)).then(commas).otherwise(s)
    elif convention == "eu":
        fixed = (
            pl.when(s.str.contains(EU_GROUPED))
            .then(dots)
            .when(s.str.contains(EU_DECIMAL))
            .then(s.str.replace(",", ".", literal=True))
            .otherwise(s)
        )
    else:
        fixed = (
            pl.when(s.str.contains(US_GROUPED))
            .then(commas)
            .when(s.str.contains(EU_PER_VALUE))
            .then(dots)
            .when(s.str.contains(DEC_COMMA_PER_VALUE))
            .then(s.str.replace(",", ".", literal=True))
            .otherwise(s)
        )
    f = f.with_columns(fixed.alias("s"))
    out = f.select(
        pl.when(s.str.contains(NUMBER_VALID))
        .then(s.cast(pl.Float64, strict=False) * pl.col("mult"))
        .otherwise(None)
    )
    return out.to_series().alias(values.name)


def number_evidence(values: pl.Series) -> tuple[str | None, str | None, str | None]:
    """One example each of a value only US, only European and either way readable (or None)."""
    raw = values.drop_nulls().unique().cast(pl.String)  # once: unique() has no fixed order
    s = _clean_numbers(raw)["s"]
    amb = s.str.contains(NUMBER_AMBIGUOUS).fill_null(False)
    out: list[str | None] = []
    for mask in (s.str.contains(US_EVIDENCE) & ~amb, s.str.contains(EU_EVIDENCE) & ~amb, amb):
        hit = raw.filter(mask.fill_null(False))
        out.append(hit.sort()[0] if len(hit) else None)
    return out[0], out[1], out[2]


def decide_convention(us: bool, eu: bool, file_us: bool, file_eu: bool) -> Convention:
    """The rule both engines follow (the SQL spells it as a CASE over the same flags).

    A column's own unambiguous values decide; both kinds make it ``mixed``; a column with
    neither follows the file's other number columns when those agree on European, else US.
    """
    if us and eu:
        return "mixed"
    if us or eu:
        return "us" if us else "eu"
    return "eu" if file_eu and not file_us else "us"


def number_conventions(
    columns: Mapping[str, pl.Series], *, file: str | None = None
) -> tuple[dict[str, Convention], list[str]]:
    """Each text column's number convention and notices saying which one was used and why.

    Evidence comes from every distinct value; ambiguous columns (only values like ``6.515``)
    follow the other columns passed (the file's number columns) when they are unambiguously
    European, and are reported either way: never guessed silently.
    """
    where = f"{file}: " if file else ""
    ev = {name: number_evidence(s) for name, s in columns.items()}
    # Columns with one convention only vote for the file (mixed columns do not).
    file_us = any(u is not None and e is None for u, e, _ in ev.values())
    file_eu = any(e is not None and u is None for u, e, _ in ev.values())
    out: dict[str, Convention] = {}
    notes: list[str] = []
    for name, (us, eu, amb) in ev.items():
        conv = decide_convention(us is not None, eu is not None, file_us, file_eu)
        out[name] = conv
        if conv == "mixed":
            notes.append(
                f"{where}column {name!r} mixes number conventions ({us!r} is US, {eu!r} is "
                "European); each value was read on its own"
            )
        elif eu is not None:
            notes.append(
                f"{where}column {name!r} read as European numbers ('.' thousands, ',' "
                f"decimals; e.g. {eu!r})"
            )
        elif us is None and amb is not None:
            how = (
                "European ('.' thousands, ',' decimals) like the file's other number columns"
                if conv == "eu"
                else "US ('.' decimals, ',' thousands)"
            )
            notes.append(
                f"{where}column {name!r}: numbers like {amb!r} are ambiguous (thousands or "
                f"decimals); read as {how} — check the column"
            )
    return out, notes


def parse_bool(expr: pl.Expr) -> pl.Expr:
    """yes/no, true/false, y/n, t/f, 1/0 (and ``x`` for a ticked box) to booleans, else null."""
    s = normalize_text(expr)
    return (
        pl.when(s.is_in(TRUE_WORDS))
        .then(True)
        .when(s.is_in(FALSE_WORDS))
        .then(False)
        .otherwise(None)
    )


#: The date shapes :func:`parse_date` reads, in the order it tries them (ASCII digits, 4-digit
#: years). Group 1 is the date; a time or other text may follow after whitespace (or ``T`` for
#: ISO). The SQL compiler reads the same shapes, so both engines parse the same values.
DATE_SHAPES: dict[str, str] = {
    "iso": r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})(?:[T\s].*)?$",
    "month": r"^([0-9]{4}-[0-9]{1,2})$",
    "ymd": r"^([0-9]{4}/[0-9]{1,2}/[0-9]{1,2})(?:\s.*)?$",
    "slashed": r"^([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})(?:\s.*)?$",
    "dotted": r"^([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4})(?:\s.*)?$",
}


def parse_date(expr: pl.Expr) -> pl.Expr:
    """ISO dates and datetimes, ``2012-06`` (first of month), ``Y/m/d``, ``m/d/Y`` else ``d/m/Y``,
    ``d.m.Y`` (see :data:`DATE_SHAPES`); anything else, or an impossible date, is null.

    US order wins for ambiguous slashed dates because CRM exports (HubSpot, Salesforce) use it;
    a slashed date is day-first only when month-first is impossible (``31/01/2024``). Years have
    four digits: ``1/5/20`` is null rather than the year 20 (or 1, as a lenient parser reads it).
    """
    return expr.map_batches(
        lambda v: _on_distinct(v, _parse_date_series, pl.Date()),
        return_dtype=pl.Date,
        is_elementwise=True,
    )


def _parse_date_series(values: pl.Series) -> pl.Series:
    s = pl.col("s")
    f = values.cast(pl.String).str.strip_chars().to_frame("s")

    def shape(key: str) -> pl.Expr:
        return s.str.extract(DATE_SHAPES[key], 1)

    slashed = shape("slashed")
    out = f.select(
        pl.coalesce(
            shape("iso").str.to_date("%Y-%m-%d", strict=False),
            (shape("month") + "-01").str.to_date("%Y-%m-%d", strict=False),
            shape("ymd").str.to_date("%Y/%m/%d", strict=False),
            slashed.str.to_date("%m/%d/%Y", strict=False),
            slashed.str.to_date("%d/%m/%Y", strict=False),
            shape("dotted").str.to_date("%d.%m.%Y", strict=False),
        ).alias("d")
    ).select(pl.when(pl.col("d").dt.year() >= 1).then(pl.col("d")))  # no year 0 in SQL
    return out.to_series().alias(values.name)


def _on_distinct(
    values: pl.Series, parse: Callable[[pl.Series], pl.Series], dtype: pl.DataType
) -> pl.Series:
    """Run an expensive parser once per distinct value: real columns repeat their values a lot."""
    distinct = values.drop_nulls().unique()
    if len(values) < 4096 or len(distinct) > len(values) // 2:
        return parse(values)
    return values.replace_strict(distinct, parse(distinct), default=None, return_dtype=dtype)


def split_multi(expr: pl.Expr, separator: str | None = None) -> pl.Expr:
    """``"Shopify; Klaviyo | Gorgias"`` to ``["shopify", "klaviyo", "gorgias"]``.

    Without a separator ``;`` and ``|`` both split (commas only when configured, because commas
    appear inside single values such as "Acme, Inc."). Items are normalised like categoricals;
    placeholder items are dropped, so ``"none"`` is an empty list (known to have none).
    """
    s = expr.cast(pl.String)
    if separator is None:
        s = s.str.replace_all("|", ";", literal=True)
        separator = ";"
    items = s.str.split(separator)
    return items.list.eval(
        normalize_text(pl.element()).filter(~normalize_text(pl.element()).is_in(NULL_TOKENS))
    )


def normalize_list(expr: pl.Expr) -> pl.Expr:
    el = normalize_text(pl.element())
    return expr.list.eval(el.filter(el.is_not_null() & ~el.is_in(NULL_TOKENS)))


def normalize_domain(expr: pl.Expr) -> pl.Expr:
    """``https://www.Acme.com/about`` to ``acme.com``: the key technographics and joins use."""
    s = normalize_text(expr)
    s = s.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"^www\d?\.", "")
    s = s.str.replace(r"[/?#:].*$", "").str.strip_chars(".")
    return pl.when(s.is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


def clean_text(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s.str.to_lowercase().is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


def normalize_category(expr: pl.Expr) -> pl.Expr:
    """Normalised text (:func:`normalize_text`) with placeholders ("N/A", "-", "null") as null."""
    s = normalize_text(expr)
    return pl.when(s.is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


__all__ = [
    "DATE_SHAPES",
    "DEC_COMMA_PER_VALUE",
    "EU_DECIMAL",
    "EU_EVIDENCE",
    "EU_GROUPED",
    "EU_PER_VALUE",
    "FALSE_WORDS",
    "NULL_TOKENS",
    "NUMBER_AMBIGUOUS",
    "NUMBER_DROP",
    "NUMBER_MULTIPLIERS",
    "NUMBER_STRIP",
    "NUMBER_SUFFIX",
    "NUMBER_VALID",
    "TEXT_NULL_TOKENS",
    "TRUE_WORDS",
    "US_EVIDENCE",
    "US_GROUPED",
    "Convention",
    "NumberConventionWarning",
    "decide_convention",
    "normalize_category",
    "normalize_domain",
    "normalize_text",
    "number_conventions",
    "number_evidence",
    "parse_bool",
    "parse_date",
    "parse_number",
    "split_multi",
]
