"""Column roles, kinds and layers, and the *prepared frame* everything downstream assumes.

A customer export says what its columns are only through their headers and values. This module
infers, for every column, a :class:`Role` (id, name, domain, attribute, outcome, date, ignore), a
:class:`Kind` (categorical, numeric, boolean, multi-valued, date, free text), the trait
:class:`Layer` of attributes (firmographic, technographic, behavioural) and the
:class:`OutcomeKind` of outcomes. HubSpot and Salesforce export headers and common warehouse
names map to canonical names (``id``, ``name``, ``domain``, ``employees``, ``revenue`` ...); the
rest become snake_case. Everything is overridable with :class:`SchemaOverrides`.

:func:`prepare` then types the frame (see ``docs/dev/conventions.md``): values that do not fit a
column's kind are reported with their 1-based row numbers, and a column that is only partly
numeric ("mixed types") is an :class:`~icpkit.errors.InputError` unless ``strict=False``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any, Literal, cast

import polars as pl

from icpkit.criteria import UNITS, Criterion, Layer, unit_from_name
from icpkit.errors import IcpFileError, InputError

try:
    from enum import StrEnum as _StrEnum
except ImportError:  # Python 3.10

    class _StrEnum(str, Enum):  # type: ignore[no-redef]
        """``enum.StrEnum`` for Python 3.10: members are their string values."""

        def __str__(self) -> str:
            return str(self.value)


class Role(_StrEnum):
    ID = "id"
    NAME = "name"
    DOMAIN = "domain"
    ATTRIBUTE = "attribute"
    OUTCOME = "outcome"
    DATE = "date"
    IGNORE = "ignore"


class Kind(_StrEnum):
    CATEGORICAL = "categorical"
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    MULTI = "multi"
    DATE = "date"
    TEXT = "text"  # free text / high cardinality: never a trait


class OutcomeKind(_StrEnum):
    LABEL = "label"  # explicit best/worst label
    WON = "won"  # won/lost flag or deal stage
    CHURNED = "churned"  # churned flag or churn date
    STATUS = "status"  # lifecycle stage / account status text
    VALUE = "value"  # LTV, ARR, MRR, contract value, deal amount
    RETENTION = "retention"  # tenure / retention months
    EXPANSION = "expansion"  # expansion %, NRR
    SUPPORT = "support"  # support tickets
    SALES_CYCLE = "sales_cycle"  # sales-cycle days
    ONBOARDING = "onboarding"  # onboarding / time-to-value days


_HIGHER_IS_BETTER: dict[OutcomeKind, bool] = {
    OutcomeKind.VALUE: True,
    OutcomeKind.RETENTION: True,
    OutcomeKind.EXPANSION: True,
    OutcomeKind.SUPPORT: False,
    OutcomeKind.SALES_CYCLE: False,
    OutcomeKind.ONBOARDING: False,
}


@dataclass(frozen=True)
class ColumnInfo:
    """What one column is. ``name`` is the canonical name used everywhere downstream."""

    name: str
    source: str
    role: Role
    kind: Kind
    layer: Layer | None = None
    outcome: OutcomeKind | None = None
    higher_is_better: bool | None = None
    separator: str | None = None
    # What a numeric column's numbers are (money, count, year, percent, share, days, months,
    # plain): criteria carry it so "founded year < 2000" is not written "< 2,000" nor "$2K".
    unit: str | None = None
    # A calendar position heavily over-represented across many years ("Q1", "January",
    # "1 January", "the 1st of the month"): default dates where only the year was known.
    artefact: str | None = None
    artefact_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                out[f.name] = str(v) if isinstance(v, Enum) else v
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnInfo:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise IcpFileError(f"unknown column key(s) {sorted(unknown)}", field="schema.columns")
        try:
            return cls(
                name=str(data["name"]),
                source=str(data.get("source", data["name"])),
                role=Role(data["role"]),
                kind=Kind(data["kind"]),
                layer=Layer(data["layer"]) if data.get("layer") else None,
                outcome=OutcomeKind(data["outcome"]) if data.get("outcome") else None,
                higher_is_better=data.get("higher_is_better"),
                separator=data.get("separator"),
                unit=_check_unit(data.get("unit")),
                artefact=data.get("artefact"),
                artefact_share=data.get("artefact_share"),
            )
        except (KeyError, ValueError) as exc:
            raise IcpFileError(f"invalid column entry: {exc}", field="schema.columns") from None


def _check_unit(unit: Any) -> str | None:
    if unit is None:
        return None
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    return str(unit)


@dataclass(frozen=True)
class Schema:
    """The inferred (or stored) description of a table's columns."""

    columns: tuple[ColumnInfo, ...]
    reference_date: str | None = None  # purchase/close/won date: "within N days before" + splits
    warnings: tuple[str, ...] = ()

    def _first(self, role: Role) -> str | None:
        return next((c.name for c in self.columns if c.role is role), None)

    @property
    def id(self) -> str | None:
        return self._first(Role.ID)

    @property
    def name(self) -> str | None:
        return self._first(Role.NAME)

    @property
    def domain(self) -> str | None:
        return self._first(Role.DOMAIN)

    @property
    def attributes(self) -> tuple[ColumnInfo, ...]:
        return tuple(c for c in self.columns if c.role is Role.ATTRIBUTE)

    @property
    def outcomes(self) -> tuple[ColumnInfo, ...]:
        return tuple(c for c in self.columns if c.role is Role.OUTCOME)

    @property
    def dates(self) -> tuple[ColumnInfo, ...]:
        return tuple(c for c in self.columns if c.role is Role.DATE)

    def get(self, name: str) -> ColumnInfo:
        """The column by canonical or source name; ``KeyError`` if absent."""
        for c in self.columns:
            if name in (c.name, c.source):
                return c
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(name in (c.name, c.source) for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"columns": [c.to_dict() for c in self.columns]}
        if self.reference_date is not None:
            out["reference_date"] = self.reference_date
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        unknown = set(data) - {"columns", "reference_date", "warnings"}
        if unknown:
            raise IcpFileError(f"unknown schema key(s) {sorted(unknown)}", field="schema")
        cols = tuple(ColumnInfo.from_dict(c) for c in data.get("columns", []))
        return cls(cols, data.get("reference_date"), tuple(data.get("warnings", ())))


@dataclass(frozen=True)
class SchemaOverrides:
    """User corrections to inference. Keys may be source headers or canonical names."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    reference_date: str | None = None
    label: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    kinds: dict[str, Kind] = field(default_factory=dict)
    layers: dict[str, Layer] = field(default_factory=dict)
    outcomes: dict[str, OutcomeKind] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)
    multi_separators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, file: str | Path | None = None
    ) -> SchemaOverrides:
        """Validate a mapping (a config file's ``[columns]`` section, or the whole file)."""
        if "columns" in data and isinstance(data["columns"], Mapping):
            extra = set(data) - {"columns"}
            if extra:
                raise IcpFileError(f"unknown section(s) {sorted(extra)}", file=file)
            data = data["columns"]
        enums: dict[str, type[Enum]] = {
            "roles": Role,
            "kinds": Kind,
            "layers": Layer,
            "outcomes": OutcomeKind,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            where = f"columns.{key}"
            if key in ("id", "name", "domain", "reference_date", "label"):
                if not isinstance(value, str):
                    raise IcpFileError("must be a column name", file=file, field=where)
                kwargs[key] = value
            elif key in enums or key == "multi_separators":
                if not isinstance(value, Mapping):
                    raise IcpFileError("must be a table of column = value", file=file, field=where)
                if key == "multi_separators":
                    kwargs[key] = {str(k): str(v) for k, v in value.items()}
                    continue
                enum = enums[key]
                try:
                    kwargs[key] = {str(k): enum(str(v).lower()) for k, v in value.items()}
                except ValueError as exc:
                    allowed = ", ".join(str(m) for m in enum)
                    raise IcpFileError(
                        f"{exc}; allowed: {allowed}", file=file, field=where
                    ) from None
            elif key == "ignore":
                if not isinstance(value, list):
                    raise IcpFileError("must be a list of column names", file=file, field=where)
                kwargs[key] = [str(v) for v in value]
            else:
                allowed = ", ".join(f.name for f in fields(cls))
                raise IcpFileError(f"unknown key; allowed: {allowed}", file=file, field=where)
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | Path) -> SchemaOverrides:
        """Read overrides from TOML or YAML (a ``[columns]`` section or top-level keys)."""
        p = Path(path)
        if not p.is_file():
            raise InputError("no such column configuration file", file=p)
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                raise InputError("TOML needs Python 3.11+; use YAML", file=p) from None
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                line = re.search(r"line (\d+)", str(exc))
                raise IcpFileError(
                    f"not valid TOML: {exc}", file=p, line=int(line.group(1)) if line else None
                ) from None
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                raise IcpFileError(
                    f"not valid YAML: {exc}", file=p, line=mark.line + 1 if mark else None
                ) from None
        else:
            raise InputError("column configuration must be .toml, .yaml or .yml", file=p)
        if not isinstance(data, Mapping):
            raise IcpFileError("must be a mapping", file=p, line=1)
        return cls.from_dict(data, file=p)


@dataclass
class PreparedFrame:
    """A typed frame with canonical column names, its schema and what was noticed on the way."""

    frame: pl.DataFrame
    schema: Schema
    warnings: list[str]


# -- names ----------------------------------------------------------------------------------------

# Export headers (HubSpot, Salesforce, common warehouse names) keyed by their snake_case form.
_HEADER_MAP: dict[str, str] = {
    # HubSpot
    "record_id": "id",
    "company_name": "name",
    "company_domain_name": "domain",
    "website_url": "website",
    "number_of_employees": "employees",
    "annual_revenue": "revenue",
    "country_region": "country",
    "state_region": "region",
    "close_date": "close_date",
    "create_date": "created_date",
    "lifecycle_stage": "lifecycle_stage",
    "lead_status": "lead_status",
    "total_revenue": "total_revenue",
    "type": "account_type",
    "company_type": "account_type",
    "time_zone": "time_zone",
    "became_a_customer_date": "customer_since",
    # Salesforce
    "account_id": "id",
    "account_name": "name",
    "employees": "employees",
    "annualrevenue": "revenue",
    "billing_country": "country",
    "billingcountry": "country",
    "billing_state_province": "region",
    "billingstate": "region",
    "billing_city": "city",
    "billingcity": "city",
    "opportunity_stage": "stage",
    "stage_name": "stage",
    "stagename": "stage",
    "is_won": "won",
    "iswon": "won",
    "is_closed": "is_closed",
    "isclosed": "is_closed",
    "closedate": "close_date",
    "created_date": "created_date",
    "createddate": "created_date",
    # warehouse
    "company_id": "id",
    "customer_id": "id",
    "company_domain": "domain",
    "website_domain": "domain",
    "employee_count": "employees",
    "num_employees": "employees",
    "headcount": "employees",
    "company_size": "employees",
    "revenue_usd": "revenue",
    "state": "region",
    "state_province": "region",
    "technologies": "tech_stack",
}

_TECHNOGRAPHIC = re.compile(
    r"(^|_)(tech\w*|stack|technolog\w*|platforms?|cms|crm|esp|tools?|tooling|integrations?)($|_)"
    r"|^uses_"
    # `icp enrich` writes has_<category> flags; the categories are technology categories.
    r"|^has_(live_chat|ecommerce|analytics|marketing_automation|tag_managers?|crm|cms|"
    r"payment\w*|a_b_testing|ab_testing|customer_data_platform|cookie_compliance|reviews|"
    r"email|hosting|cdn|paas|web_servers?|javascript\w*|web_frameworks|advertising|"
    r"retargeting|surveys|widgets|loyalty\w*|referral\w*|search\w*|personali[sz]ation)$"
)
# Behavioural = what a company is doing now. Growth and intent measures are behavioural
# whatever their type; event words (funding, leadership change ...) only on the event itself:
# its date, a recency ("days since"), or a flag. The size of the event (funding_total_usd,
# funding_rounds) is firmographic: it describes what the company is, not a moment to act on.
_BEHAVIOURAL = re.compile(
    r"growth|intent|hiring|hires|job_post|engagement|web_traffic|visits|surge|trend|momentum"
)
_EVENT = re.compile(r"funding|funded|raised|trigger|leader|replatform|signal|launch")
# A change is an event even when its subject is technographic: "added_tech_90d" and
# "stack_change_90d" say what a company is doing now, not what it runs.
_CHANGE = re.compile(r"(^|_)(added|removed|adopted|dropped|change|changes|changed)($|_)")
# The type of the latest round (icp signals export's funding_stage) belongs to the event.
_EVENT_TYPE = re.compile(r"^(last_|latest_)?(funding|round)_(stage|type)$")
_RECENCY = re.compile(r"(^|_)(days_since|months_since|recent|recently|last_\w*_days)($|_)")
_SIZE = re.compile(r"(^|_)(employees|headcount|staff|seats|company_size|size|revenue)($|_)")
_MONEY_UNITS = ("money", "count", "year")
#: Header patterns that mark outcome columns, by outcome kind (first match wins).
OUTCOME_PATTERNS: tuple[tuple[OutcomeKind, re.Pattern[str]], ...] = (
    (OutcomeKind.LABEL, re.compile(r"^(label|icp_label|best_worst|outcome|outcome_label)$")),
    (OutcomeKind.CHURNED, re.compile(r"(^|_)(churn|churned|is_churned|churn_date|churned_at)$")),
    (OutcomeKind.WON, re.compile(r"^(won|is_won|closed_won|win|stage|deal_stage|deal_won)$")),
    (
        OutcomeKind.STATUS,
        re.compile(
            r"^(status|lifecycle_stage|lead_status|account_status|customer_status|is_closed)$"
        ),
    ),
    (
        OutcomeKind.EXPANSION,
        re.compile(r"(^|_)(nrr|net_revenue_retention|net_retention|expansion\w*|upsell\w*)"),
    ),
    (
        OutcomeKind.VALUE,
        re.compile(
            r"(^|_)(ltv|clv|arr|mrr|acv|tcv)($|_)|lifetime_value|contract_value"
            r"|^deal_(amount|value|size)|^amount$|^total_revenue$"
        ),
    ),
    (OutcomeKind.RETENTION, re.compile(r"tenure|retention|months_active|customer_months")),
    (OutcomeKind.SUPPORT, re.compile(r"support_tickets?|^tickets?($|_)|ticket_count")),
    (OutcomeKind.SALES_CYCLE, re.compile(r"sales_cycle|days_to_close|cycle_days")),
    (OutcomeKind.ONBOARDING, re.compile(r"onboarding|time_to_value|ttv|implementation_days")),
)
#: Headers read as the purchase / close date that timing windows count back from.
REFERENCE_DATES = (
    "close_date",
    "closed_date",
    "won_date",
    "closed_won_date",
    "purchase_date",
    "first_purchase_date",
    "customer_since",
    "contract_start_date",
    "closed_at",
    "won_at",
)
_BOOKKEEPING_DATES = re.compile(r"^(created|modified|updated|last_modified)(_date|_at)?$")
_ID_NAMES = re.compile(r"^(id|uuid|permalink|record_id|external_id)$")
# Names that say "identifier": ``*_id``, ``*_uuid``, ``sellerid``-style run-together names.
_IDLIKE_NAME = re.compile(
    r"(^|_)(id|ids|uuid|guid)$|^(account|customer|company|seller|user|order|org|contact|lead"
    r"|deal|record|external|client|vendor|partner|product|opportunity|owner|parent)id$"
)
# Values that look like identifiers rather than words: uuids, hex digests, opaque codes that
# mix letters and digits without spaces (``0015g00000XyZab``, ``CUST-00123``).
_IDLIKE_VALUE = (
    r"^(?i:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{8,64}"
    r"|(?:[a-z_-]*\d[a-z0-9_-]*[a-z][a-z0-9_-]*|[a-z0-9_-]*[a-z][a-z0-9_-]*\d[a-z0-9_-]*))$"
)
IDLIKE_SHARE = 0.9  # share of values that must look like ids
NEAR_UNIQUE = 0.95  # distinct share above which an id-looking column is an identifier
_DOMAIN_NAMES = ("domain", "website", "url", "website_url", "homepage")
_LIST_HINT = re.compile(r"tech|stack|tools?|tags?|integrations?|categories|_list$|platforms")
NULL_TOKENS = ("", "n/a", "na", "null", "none", "nan", "-", "--", "—", "#n/a", "#name?", "?")
TEXT_NULL_TOKENS = ("", "n/a", "null", "nan", "-", "--", "—", "#n/a", "#name?")
#: The yes/no vocabulary of every boolean value icpkit reads (after :func:`normalize_text`).
TRUE_WORDS = ("yes", "y", "true", "t", "1", "1.0", "x")
FALSE_WORDS = ("no", "n", "false", "f", "0", "0.0")

MAX_CATEGORIES = 200
NUMERIC_SHARE = 0.95
MIXED_SHARE = 0.5
MULTI_SHARE = 0.1
INFER_SAMPLE = 100_000


def snake_case(header: str) -> str:
    """ASCII snake_case of a header (``Company Name`` -> ``company_name``), no CRM mapping."""
    s = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", s.strip())  # camelCase -> camel_Case
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    s = re.sub(r"_+", "_", s)
    if not s:
        return "column"
    return f"c_{s}" if s[0].isdigit() else s


def canonical_name(header: str) -> str:
    """The name a header gets downstream: the CRM/warehouse map first, else snake_case ASCII."""
    plain = re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")
    return _HEADER_MAP.get(plain) or _HEADER_MAP.get(snake_case(header)) or snake_case(header)


# -- value parsing (vectorised) -------------------------------------------------------------------


def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Lower-case, collapse inner whitespace and strip: how categorical values are compared."""
    return expr.cast(pl.String).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


_SUFFIX = r"(thousand|million|billion|trillion|mm|mn|bn|k|m|b|t)"
_MULTIPLIERS = {
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
_EU_PER_VALUE = (
    _SIGN + "[0-9]{1,3}([.][0-9]{3}){2,}(,[0-9]+)?$|" + _SIGN + "[0-9]{1,3}([.][0-9]{3})+,[0-9]+$"
)
_DEC_COMMA_PER_VALUE = _SIGN + "[0-9]+,([0-9]{1,2}|[0-9]{4,})$"
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
            _MULTIPLIERS, default=1.0, return_dtype=pl.Float64
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
            .when(s.str.contains(_EU_PER_VALUE))
            .then(dots)
            .when(s.str.contains(_DEC_COMMA_PER_VALUE))
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


def _normalize_list(expr: pl.Expr) -> pl.Expr:
    el = normalize_text(pl.element())
    return expr.list.eval(el.filter(el.is_not_null() & ~el.is_in(NULL_TOKENS)))


def normalize_domain(expr: pl.Expr) -> pl.Expr:
    """``https://www.Acme.com/about`` to ``acme.com``: the key technographics and joins use."""
    s = normalize_text(expr)
    s = s.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"^www\d?\.", "")
    s = s.str.replace(r"[/?#:].*$", "").str.strip_chars(".")
    return pl.when(s.is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


def _clean_text(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s.str.to_lowercase().is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


def normalize_category(expr: pl.Expr) -> pl.Expr:
    """Normalised text (:func:`normalize_text`) with placeholders ("N/A", "-", "null") as null."""
    s = normalize_text(expr)
    return pl.when(s.is_in(TEXT_NULL_TOKENS)).then(None).otherwise(s)


# -- inference ------------------------------------------------------------------------------------


def _resolve(keys: Mapping[str, Any] | list[str], sources: dict[str, str], file: str | None) -> Any:
    """Map override keys (source header or canonical name) to canonical names."""
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
                f"override names column {k!r}, which is not in the data "
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
    df = df.with_columns(_clean_text(pl.col(n)).alias(n) for n in strings)
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
    if _LIST_HINT.search(name) and st["comma"] >= MULTI_SHARE * nn and st["len"] < 200:
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
    if _CHANGE.search(name) and kind is not Kind.DATE:  # not a record's "last changed" date
        return Layer.BEHAVIOURAL
    if _TECHNOGRAPHIC.search(name):
        return Layer.TECHNOGRAPHIC
    if _BEHAVIOURAL.search(name) or _EVENT_TYPE.search(name):
        return Layer.BEHAVIOURAL
    if unit in _MONEY_UNITS or _SIZE.search(name):
        return Layer.FIRMOGRAPHIC
    if _EVENT.search(name) and (kind in (Kind.DATE, Kind.BOOLEAN) or _RECENCY.search(name)):
        return Layer.BEHAVIOURAL
    if _RECENCY.search(name) and unit in ("days", "months"):
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
            raw = _clean_text(pl.col(src))
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


def canonical_headers(headers: Sequence[str]) -> dict[str, str]:
    """canonical -> source, suffixing ``_2``, ``_3`` where two headers map to one name."""
    out: dict[str, str] = {}
    for h in headers:
        base = canonical_name(h)
        name, i = base, 2
        while name in out:
            name, i = f"{base}_{i}", i + 1
        out[name] = h
    return out


def canonical_frame(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every header renamed as :func:`canonical_headers` names it."""
    return df.rename({src: name for name, src in canonical_headers(df.columns).items()})


def resolve_columns(names: Sequence[str], wanted: Sequence[str]) -> dict[str, str]:
    """Map each wanted canonical column to an input column: exact name first, then by header."""
    out: dict[str, str] = {}
    for w in wanted:
        if w in names:
            out[w] = w
    for n in names:
        canon = canonical_name(n)
        if canon in wanted and canon not in out:
            out[canon] = n
    return out


def infer_schema(
    df: pl.DataFrame, overrides: SchemaOverrides | None = None, *, file: str | None = None
) -> Schema:
    """Infer every column's role, kind, layer and outcome kind; apply ``overrides`` last."""
    ov = overrides or SchemaOverrides()
    sources = canonical_headers(df.columns)
    # Kinds are shares of values, so a large sample decides them as well as the whole frame
    # does (duplicate ids are still caught on every row by prepare).
    sample = df if df.height <= INFER_SAMPLE else df.sample(INFER_SAMPLE, seed=0)
    height = sample.height
    stats = _stats(sample, list(sources.values()))
    warnings: list[str] = []
    where = f"{file}: " if file else ""

    roles = _resolve(ov.roles, sources, file)
    kinds = _resolve(ov.kinds, sources, file)
    layers = _resolve(ov.layers, sources, file)
    outcomes = _resolve(ov.outcomes, sources, file)
    ignore = set(_resolve(ov.ignore, sources, file))
    seps = _resolve(ov.multi_separators, sources, file)
    picked = {
        key: next(iter(_resolve([getattr(ov, key)], sources, file)))
        for key in ("id", "name", "domain", "reference_date", "label")
        if getattr(ov, key)
    }
    for key, special_role in (("id", Role.ID), ("name", Role.NAME), ("domain", Role.DOMAIN)):
        if key in picked:
            roles[picked[key]] = special_role
    if "label" in picked:
        outcomes[picked["label"]] = OutcomeKind.LABEL

    # Pick the id / name / domain columns: the canonical name, else a recognised pattern.
    def pick(role: Role, candidates: list[str]) -> str | None:
        chosen = [c for c, r in roles.items() if r is role]
        if chosen:
            return chosen[0]
        for c in candidates:
            if c in sources and c not in roles and c not in ignore:
                return c
        return None

    def complete_unique(c: str) -> bool:
        st = stats[sources[c]]
        return st["nonnull"] == height and st.get("unique", 0) == height

    def idlike(c: str) -> bool:
        """Named like an id, or (nearly) unique values that look like codes, not words."""
        st = stats[sources[c]]
        if _IDLIKE_NAME.search(c) or _ID_NAMES.match(c):
            return True
        nn = st["nonnull"]
        return (
            nn >= 10
            and st.get("idlike", 0) >= IDLIKE_SHARE * nn
            and st.get("unique", 0) >= NEAR_UNIQUE * nn
        )

    id_candidates = (
        ["id"]
        + [c for c in sources if _ID_NAMES.match(c) and complete_unique(c)]
        + [c for c in sources if _IDLIKE_NAME.search(c) and complete_unique(c)]
        + [c for c in sources if idlike(c) and complete_unique(c)]
    )
    id_col = pick(Role.ID, id_candidates)
    name_col = pick(Role.NAME, ["name"])
    domain_col = pick(Role.DOMAIN, list(_DOMAIN_NAMES))
    special = {id_col: Role.ID, name_col: Role.NAME, domain_col: Role.DOMAIN}
    units = _units(sample, {c: sources[c] for c in sources}, stats)

    columns: list[ColumnInfo] = []
    for canon, src in sources.items():
        st = stats[src]
        kind, sep = _kind_of(df.schema[src], st, canon, height)
        sep = seps.get(canon, sep)
        if canon in seps:
            kind = Kind.MULTI
        kind = kinds.get(canon, kind)
        outcome = outcomes.get(canon) or _outcome_of(canon)
        role: Role
        if canon in special and special[canon] is not None:
            role = special[canon]
            kind = kinds.get(canon, Kind.TEXT)
            outcome = None
        elif canon in roles:
            role = roles[canon]
        elif canon in ignore:
            role = Role.IGNORE
        elif outcome is not None:
            role = Role.OUTCOME
        elif idlike(canon) and kind is not Kind.DATE:
            # Identifiers are never traits, and never "free text" either.
            role, kind = Role.IGNORE, Kind.TEXT
            if st.get("unique", 0) >= NEAR_UNIQUE * st["nonnull"] > 0:
                warnings.append(
                    f"{where}column {src!r} looks like an identifier "
                    f"({int(st.get('unique', 0))} distinct values)"
                    + (f" besides the id column {sources[id_col]!r}" if id_col else "")
                    + "; ignored"
                )
        elif kind is Kind.DATE:
            role = Role.DATE
        elif kind is Kind.TEXT:
            role = Role.IGNORE
            if st["nonnull"] and canon not in ignore:
                warnings.append(
                    f"{where}column {src!r} looks like free text "
                    f"({int(st.get('unique', 0))} distinct values); not used as a trait"
                )
        else:
            role = Role.ATTRIBUTE
        if role is not Role.OUTCOME:
            outcome = None
        explicit = canon in roles or canon in ignore
        if st["nonnull"] == 0 and not explicit and role is not Role.ID:
            warnings.append(f"{where}column {src!r} is empty (every value missing); ignored")
            role = Role.IGNORE
        elif (
            st.get("unique", 2) <= 1
            and st["nonnull"] == height  # one value plus blanks is still a flag
            and role in (Role.ATTRIBUTE, Role.OUTCOME, Role.DATE)
            and not explicit
            and height > 1
        ):
            warnings.append(f"{where}column {src!r} has a single value throughout; ignored")
            role = Role.IGNORE
        layer = None
        unit = units.get(canon) if kind is Kind.NUMERIC else None
        if role is Role.ATTRIBUTE or (role is Role.DATE and not _BOOKKEEPING_DATES.match(canon)):
            layer = layers.get(canon) or _layer_of(canon, kind, unit)
        artefact = (
            _calendar_artefact(sample.get_column(src), kind)
            if role in (Role.ATTRIBUTE, Role.DATE) and kind in (Kind.CATEGORICAL, Kind.DATE)
            else None
        )
        if artefact is not None:
            warnings.append(
                f"{where}column {src!r}: {artefact[1]:.0%} of values fall {_at(artefact[0])} "
                f"across {artefact[2]} different years: typical of default dates where only "
                "the year was known, so segments built on it may be a data artefact"
            )
        columns.append(
            ColumnInfo(
                name=canon,
                source=src,
                role=role,
                kind=kind,
                layer=layer,
                outcome=outcome,
                higher_is_better=_HIGHER_IS_BETTER.get(outcome) if outcome else None,
                separator=sep if kind is Kind.MULTI else None,
                unit=unit,
                artefact=artefact[0] if artefact else None,
                artefact_share=round(artefact[1], 3) if artefact else None,
            )
        )

    reference = picked.get("reference_date") or next(
        (c for c in REFERENCE_DATES if c in sources), None
    )
    if reference is not None:
        columns = [
            replace(c, role=Role.DATE, kind=Kind.DATE, layer=None, outcome=None)
            if c.name == reference
            else c
            for c in columns
        ]
    return Schema(tuple(columns), reference, tuple(warnings))


# -- preparation ----------------------------------------------------------------------------------


def _rows(mask: pl.Series, limit: int = 5) -> str:
    idx = (mask.arg_true() + 1).to_list()
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def prepare(
    df: pl.DataFrame, schema: Schema, *, file: str | None = None, strict: bool = True
) -> PreparedFrame:
    """Rename to canonical names and type every column (see ``docs/dev/conventions.md``).

    Columns of the schema absent from ``df`` are skipped (scoring data has no outcomes); the
    caller checks what it needs. Values that do not fit their column become null with a warning
    naming the rows; a numeric/date/boolean column where fewer than 95% of values fit is "mixed
    types" and raises :class:`InputError` with the first bad row unless ``strict=False``.
    """
    where = f"{file}: " if file else ""
    warnings = list(schema.warnings)
    exprs: list[pl.Expr] = []
    checks: list[tuple[ColumnInfo, str]] = []
    # One number convention per text column, from all its values and the file's other numbers.
    texts = {
        c.source: df[c.source]
        for c in schema.columns
        if c.kind is Kind.NUMERIC and c.source in df.columns and df.schema[c.source] == pl.String
    }
    conventions, notes = number_conventions(texts, file=file)
    warnings += notes
    for c in schema.columns:
        src = c.source if c.source in df.columns else c.name if c.name in df.columns else None
        if src is None:
            continue
        dt = df.schema[src]
        col = pl.col(src)
        if c.role is Role.ID:
            e = _clean_text(col)
        elif c.role is Role.DOMAIN:
            e = normalize_domain(col)
        elif c.kind is Kind.NUMERIC:
            conv = conventions.get(src, "mixed")
            e = col.cast(pl.Float64) if dt.is_numeric() else parse_number(col, conv)
            checks.append((c, src))
        elif c.kind is Kind.BOOLEAN:
            e = col if dt == pl.Boolean else parse_bool(col)
            checks.append((c, src))
        elif c.kind is Kind.DATE:
            e = col.cast(pl.Date) if dt.is_temporal() else parse_date(col)
            checks.append((c, src))
        elif c.kind is Kind.MULTI:
            if isinstance(dt, (pl.List, pl.Array)):
                e = _normalize_list(col.cast(pl.List(pl.String)))
            else:
                e = split_multi(col, c.separator)
        elif c.kind is Kind.CATEGORICAL:
            e = normalize_category(col)
        else:
            e = _clean_text(col) if dt == pl.String or dt.is_numeric() else col
        exprs.append(e.alias(c.name))
    try:
        out = df.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot prepare the data: {exc}", file=file) from None

    # Report values that did not fit: one vectorised comparison per typed column.
    if checks:
        raw = df.select(
            _clean_text(pl.col(src)).is_not_null().alias(c.name)
            if df.schema[src] == pl.String
            else pl.col(src).is_not_null().alias(c.name)
            for c, src in checks
        )
        for c, src in checks:
            bad = raw[c.name] & out[c.name].is_null()
            n_bad = int(bad.sum())
            if not n_bad:
                continue
            nonnull = int(raw[c.name].sum())
            share = 1 - n_bad / nonnull
            first = int(bad.arg_true()[0])
            value = df[src][first]
            kind = {"numeric": "numbers", "boolean": "yes/no values", "date": "dates"}[c.kind]
            if share < NUMERIC_SHARE and strict:
                raise InputError(
                    f"mixed types: {share:.0%} of values are {kind} but {value!r} is not "
                    f"({n_bad} such values); fix the data, override the column kind, "
                    f"or pass strict=False to treat them as missing",
                    file=file,
                    column=src,
                    row=first + 1,
                )
            warnings.append(
                f"{where}column {src!r}: {n_bad} value(s) are not {kind} and were treated as "
                f"missing (rows {_rows(bad)}; first {value!r})"
            )

    if schema.id and schema.id in out.columns:
        _check_unique_ids(out, schema.get(schema.id), file, warnings)
    return PreparedFrame(out, schema, warnings)


def _check_unique_ids(
    out: pl.DataFrame, info: ColumnInfo, file: str | None, warnings: list[str]
) -> None:
    ids = out[info.name]
    missing = ids.is_null()
    if missing.any():
        where = f"{file}: " if file else ""
        warnings.append(
            f"{where}column {info.source!r}: {int(missing.sum())} row(s) have no id (rows {_rows(missing)})"
        )
    check_unique_ids(ids, file=file, column=info.source)


def check_unique_ids(ids: pl.Series, *, file: str | None = None, column: str | None = None) -> None:
    """Refuse repeated (non-null) account ids, naming the first pair and every repeated row.

    Ids key every join and write-back, so a repeat makes them ambiguous. A distinct count is
    several times cheaper than locating repeats, so repeats are located only when there are some.
    """
    if ids.n_unique() + max(ids.null_count() - 1, 0) == ids.len():
        return
    dup = ids.is_duplicated() & ids.is_not_null()
    repeat = ~ids.is_first_distinct() & ids.is_not_null()
    if not repeat.any():
        return
    second = int(repeat.arg_true()[0])
    value = ids[second]
    first = int((ids == value).arg_true()[0])
    rows = (dup.arg_true() + 1).to_list()
    shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
    raise InputError(
        f"duplicate id {value!r} in rows {first + 1} and {second + 1} ({len(rows)} rows share "
        f"an id: rows {shown}); ids must be unique",
        file=file,
        column=column,
        row=first + 1,
    )


__all__ = [
    "DATE_SHAPES",
    "FALSE_WORDS",
    "NULL_TOKENS",
    "OUTCOME_PATTERNS",
    "REFERENCE_DATES",
    "TEXT_NULL_TOKENS",
    "TRUE_WORDS",
    "ColumnInfo",
    "Convention",
    "Kind",
    "NumberConventionWarning",
    "OutcomeKind",
    "PreparedFrame",
    "Role",
    "Schema",
    "SchemaOverrides",
    "artefact_warning",
    "canonical_frame",
    "canonical_headers",
    "canonical_name",
    "check_unique_ids",
    "infer_schema",
    "normalize_category",
    "normalize_domain",
    "normalize_text",
    "number_conventions",
    "parse_bool",
    "parse_date",
    "parse_number",
    "prepare",
    "resolve_columns",
    "snake_case",
    "split_multi",
]
