"""Column roles, kinds and outcome kinds, the schema of a file and overrides of it, the prepared
frame.

A customer export says what its columns are only through their headers and values: every column
gets a :class:`Role` (id, name, domain, attribute, outcome, date, ignore), a :class:`Kind`
(categorical, numeric, boolean, multi-valued, date, free text), the trait layer of attributes and
the :class:`OutcomeKind` of outcomes. Everything is overridable with :class:`SchemaOverrides`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

import polars as pl

from icpkit.criteria import UNITS, Layer
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


HIGHER_IS_BETTER: dict[OutcomeKind, bool] = {
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


__all__ = [
    "ColumnInfo",
    "Kind",
    "OutcomeKind",
    "PreparedFrame",
    "Role",
    "Schema",
    "SchemaOverrides",
]
