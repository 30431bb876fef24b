"""Reading a cohort: decided deals (won or lost) joined to their accounts, prepared, with the ICP's
verdict on each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from icpkit.columns.infer import infer_schema
from icpkit.columns.names import canonical_frame, canonical_name
from icpkit.columns.parsing import FALSE_WORDS, TRUE_WORDS, normalize_domain
from icpkit.columns.preparation import prepare
from icpkit.columns.schema import Kind, Role, Schema, SchemaOverrides
from icpkit.criteria import Layer, Operator
from icpkit.discovery.validation import Prediction, predict
from icpkit.errors import InputError, MissingColumnsError, OutcomeError
from icpkit.icp import ICP
from icpkit.outcomes import outcome_text, won_lost
from icpkit.scoring.plan import OUTPUT_COLUMNS

#: Canonical column names read as the won/lost outcome, in order of preference.
WON_COLUMNS = (
    "won",
    "is_won",
    "closed_won",
    "win",
    "outcome",
    "deal_outcome",
    "result",
    "deal_result",
    "deal_status",
    "status",
    "deal_stage",
    "stage",
)

VALUE_COLUMNS = ("value", "deal_value", "amount", "deal_amount", "acv", "arr", "contract_value")

CYCLE_COLUMNS = ("cycle_days", "sales_cycle_days", "cycle_length", "sales_cycle", "days_to_close")

CHURN_COLUMNS = ("churned", "churn", "is_churned")

#: Outcome columns named for the failure: their yes/no (true/false, 1/0) values say whether the
#: deal was *lost*. ``--outcome-column Churn`` on the Telco export read "Yes" (churned) as won.
LOSS_COLUMNS = (*CHURN_COLUMNS, "lost", "is_lost", "closed_lost", "churn_flag", "has_churned")

#: Fit-score bands of the cohort's calibration table: 0-10, 10-20, ... 90-100.
SCORE_BANDS = tuple(range(0, 101, 10))

# Columns a scoring run appends are predictions made then, never traits.
SCORE_COLUMNS = OUTPUT_COLUMNS

_KIND_OF_OP = {
    Operator.IN: Kind.CATEGORICAL,
    Operator.BETWEEN: Kind.NUMERIC,
    Operator.IS: Kind.BOOLEAN,
    Operator.HAS_ANY: Kind.MULTI,
    Operator.HAS_NONE: Kind.MULTI,
    Operator.WITHIN_DAYS: Kind.DATE,
}


@dataclass
class Cohort:
    """Decided deals (won or lost) joined to their accounts, prepared, with the ICP's verdict.

    ``fit_score``/``tier`` are the scores recorded when the accounts were scored, when the file
    carries them (``score_source == "as scored"``), else what the ICP says now (``"re-scored"``).
    """

    frame: pl.DataFrame
    schema: Schema
    won: np.ndarray
    fit_score: np.ndarray
    tier: np.ndarray
    disqualified: np.ndarray
    score_source: str
    outcome_column: str
    outcomes_rows: int
    matched: int
    undecided: int
    value_column: str | None = None
    cycle_column: str | None = None
    churn_column: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.won.shape[0])


def find_outcome_column(df: pl.DataFrame, *, file: str | None = None) -> str:
    """The won/lost column of a (canonically named) outcomes frame, or :class:`OutcomeError`.

    Only recognised names count: guessing from values would read a yes/no ``churned`` or
    ``leadership_change`` column as won/lost.
    """
    for name in WON_COLUMNS:
        if name in df.columns:
            return name
    raise OutcomeError(
        "no won/lost column: name one of "
        + ", ".join(WON_COLUMNS[:6])
        + " … with values won/lost (or closed won/closed lost, true/false), or pass "
        "outcome_column (--outcome-column)",
        file=file,
    )


def _kind_overrides(icp: ICP) -> SchemaOverrides:
    kinds: dict[str, Kind] = {}
    roles: dict[str, Role] = {}
    layers: dict[str, Layer] = {}
    for c in icp.criteria():
        kinds[c.column] = _KIND_OF_OP[c.operator]
        roles[c.column] = Role.DATE if c.operator is Operator.WITHIN_DAYS else Role.ATTRIBUTE
        if c.layer:
            layers[c.column] = Layer(c.layer)
        if c.before:
            kinds[c.before] = Kind.DATE
    ref = next((c.before for c in icp.criteria() if c.before), None)
    return SchemaOverrides(kinds=kinds, roles=roles, layers=layers, reference_date=ref)


def _first(names: Sequence[str], columns: Sequence[str]) -> str | None:
    return next((n for n in names if n in columns), None)


def join_accounts(
    icp: ICP,
    rows: pl.DataFrame,
    accounts: pl.DataFrame,
    *,
    keep: Sequence[str],
    file: str | None = None,
    accounts_file: str | None = None,
    what: str = "outcomes",
) -> tuple[pl.DataFrame, list[str]]:
    """Attach account attributes to ``rows`` (deals, wins) by id, else normalised domain.

    ``rows`` has canonical headers; its ``keep`` columns are kept over the accounts' columns of
    the same name. Raises :class:`InputError` when no row matches an account.
    """
    out = rows
    rows_n = out.height
    notes: list[str] = []
    id_col = icp.columns.get("id", "id")
    dom_col = icp.columns.get("domain", "domain")
    acc = canonical_frame(accounts)
    ids = (id_col, "id", "account_id", "company_id", "record_id")
    doms = (dom_col, "domain", "website", "company_domain", "company_website", "url")
    oid, aid = _first(ids, out.columns), _first(ids, acc.columns)
    odom, adom = _first(doms, out.columns), _first(doms, acc.columns)
    if oid is not None and aid is not None:
        key, how = oid, "id"
        lk = pl.col(oid).cast(pl.String).str.strip_chars()
        rk = pl.col(aid).cast(pl.String).str.strip_chars()
    elif odom is not None and adom is not None:
        key, how = odom, "domain"
        lk, rk = normalize_domain(pl.col(odom)), normalize_domain(pl.col(adom))
    else:
        raise InputError(
            f"{what} and accounts share neither an id ({id_col!r}) nor a domain "
            f"({dom_col!r}, website) column to match on",
            file=file,
        )
    keep = [c for c in keep if c in out.columns]
    left = out.select([*keep, lk.alias("__key")])
    right = acc.with_columns(rk.alias("__key")).drop([c for c in keep if c in acc.columns])
    right = right.filter(pl.col("__key").is_not_null()).unique("__key", keep="first")
    joined = left.join(right, on="__key", how="inner").drop("__key")
    if joined.height == 0:
        raise InputError(
            f"none of the {rows_n:,} {what} matches an account of "
            f"{accounts_file or 'the accounts'} by {how}",
            file=file,
            column=key,
        )
    if joined.height < rows_n:
        notes.append(f"{rows_n - joined.height:,} of {rows_n:,} {what} matched no account")
    return joined, notes


def _won_expr(column: str) -> pl.Expr:
    """Won (True), lost (False) or undecided (null) from ``column``; a yes/no column named for
    the loss (:data:`LOSS_COLUMNS`) reads its yes as lost, its words (won, churned) as said."""
    won = won_lost(pl.col(column))
    if column not in LOSS_COLUMNS:
        return won
    flag = outcome_text(pl.col(column)).is_in([*TRUE_WORDS, *FALSE_WORDS])
    return pl.when(flag).then(~won).otherwise(won)


def _won_lost_rows(
    outcomes: pl.DataFrame, outcome_column: str | None, file: str | None
) -> tuple[pl.DataFrame, str]:
    """The outcomes with canonical headers and a ``__won`` column (null: open deal), and the
    column it was read from; refuses a file where no row says won or lost."""
    out = canonical_frame(outcomes)
    if outcome_column is not None:
        oc = canonical_name(outcome_column)
        if oc not in out.columns:
            raise MissingColumnsError([outcome_column], file=file, why="the won/lost column")
    else:
        oc = find_outcome_column(out, file=file)
    out = out.with_columns(_won_expr(oc).alias("__won"))
    if out.height == 0:
        raise OutcomeError("has no rows", file=file)
    if int(out["__won"].is_not_null().sum()) == 0:
        sample = out[oc].drop_nulls().unique().head(3).to_list()
        raise OutcomeError(
            f"no row says won or lost (values seen: {sample}); use won/lost, closed won/closed "
            "lost or true/false",
            file=file,
            column=oc,
        )
    return out, oc


def _cohort_scores(
    out: pl.DataFrame, pred: Prediction
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Fit score, tier and disqualified as the file recorded them when it has scores
    ("as scored"), else as the current ICP computes them ("re-scored")."""
    if "fit_score" in out.columns and "tier" in out.columns:
        fs = out["fit_score"].cast(pl.Float64, strict=False)
        if fs.null_count() < out.height:
            score = fs.fill_null(0.0).to_numpy()
            tier = out["tier"].cast(pl.String).fill_null("D").to_numpy().astype(str)
            disq = (
                out["disqualified"].cast(pl.Boolean, strict=False).fill_null(False).to_numpy()
                if "disqualified" in out.columns
                else pred.disqualified
            )
            return score, tier, disq, "as scored"
    return pred.fit_score, pred.tier, pred.disqualified, "re-scored"


def load_cohort(
    icp: ICP,
    outcomes: pl.DataFrame,
    *,
    accounts: pl.DataFrame | None = None,
    outcome_column: str | None = None,
    file: str | None = None,
    accounts_file: str | None = None,
    as_of: date | None = None,
) -> Cohort:
    """Join outcomes to accounts (id, else normalised domain), prepare them, score them.

    Raises :class:`OutcomeError` when there is no usable won/lost column and
    :class:`InputError` when no outcome matches an account or the ICP's columns are absent.
    """
    out, oc = _won_lost_rows(outcomes, outcome_column, file)
    rows = out.height
    notes: list[str] = []
    if accounts is not None:
        # A deal's own date (close_date…) is the reference of the ICP's timing windows: the
        # outcomes file's value wins over anything the accounts file says.
        refs = {c.before for c in icp.criteria() if c.before}
        keep = [
            c
            for c in out.columns
            if c == "__won"
            or c == oc
            or c in SCORE_COLUMNS
            or c in refs
            or c in VALUE_COLUMNS + CYCLE_COLUMNS + CHURN_COLUMNS
        ]
        out, joined_notes = join_accounts(
            icp, out, accounts, keep=keep, file=file, accounts_file=accounts_file
        )
        notes += joined_notes
    needed = icp.required_columns()
    if needed and not any(c in out.columns for c in needed):
        raise InputError(
            "has none of the columns the ICP reads ("
            + ", ".join(needed[:5])
            + "); pass the scored accounts file (--accounts) to join on id or domain",
            file=file,
        )
    undecided = int(out["__won"].is_null().sum())
    if undecided:
        notes.append(f"{undecided:,} rows are neither won nor lost (open deals) and were left out")
    out = out.filter(pl.col("__won").is_not_null())
    won = out["__won"].to_numpy().astype(bool)
    aside = [c for c in out.columns if c in SCORE_COLUMNS or c in (oc, "__won")]
    frame, schema, warnings = prepare_accounts(
        icp, out.drop(aside), file=attributes_label(file, accounts_file, accounts), repeats=True
    )
    score, tier, disq, source = _cohort_scores(out, predict(icp, frame))
    return Cohort(
        frame=frame,
        schema=schema,
        won=won,
        fit_score=np.asarray(score, dtype=float),
        tier=np.asarray(tier).astype(str),
        disqualified=np.asarray(disq, dtype=bool),
        score_source=source,
        outcome_column=oc,
        outcomes_rows=rows,
        matched=out.height + undecided,
        undecided=undecided,
        value_column=_first(VALUE_COLUMNS, frame.columns),
        cycle_column=_first(CYCLE_COLUMNS, frame.columns),
        churn_column=_first(CHURN_COLUMNS, frame.columns),
        notes=notes + warnings,
    )


def attributes_label(
    file: str | None, accounts_file: str | None, accounts: pl.DataFrame | None
) -> str | None:
    """The name notes about the accounts' columns go under: with ``--accounts`` the columns
    come from that file, and "outcomes.csv: column 'founded_at' …" pointed at the wrong one."""
    if accounts is None:
        return file
    return f"{file or 'outcomes'} + {accounts_file or 'accounts'}"


def prepare_accounts(
    icp: ICP, df: pl.DataFrame, *, file: str | None = None, repeats: bool = False
) -> tuple[pl.DataFrame, Schema, list[str]]:
    """Type an account table for the ICP: its criteria columns get the kinds they need.

    Inference alone could read a small cohort's ``industry`` as free text; the ICP says what
    each column it reads is. Columns the ICP reads but the table lacks are added as unknown.
    ``repeats=True`` allows an account to appear in several rows (several deals).
    """
    attrs = canonical_frame(df)
    attrs = attrs.drop([c for c in attrs.columns if c in SCORE_COLUMNS])
    overrides = _kind_overrides(icp)
    overrides = SchemaOverrides(
        **{**overrides.__dict__, "ignore": [c for c in attrs.columns if c.startswith("__")]}
    )
    if repeats:
        id_col = icp.columns.get("id", "id")
        roles = {
            **overrides.roles,
            **{c: Role.IGNORE for c in (id_col, "id") if c in attrs.columns},
        }
        overrides = SchemaOverrides(**{**overrides.__dict__, "roles": roles})
    overrides = _drop_absent(overrides, attrs.columns)
    schema = infer_schema(attrs, overrides, file=file)
    prepared = prepare(attrs, schema, file=file, strict=False)
    frame = prepared.frame
    warnings = list(prepared.warnings)
    needed = icp.required_columns()
    missing_cols = [c for c in needed if c not in frame.columns]
    if missing_cols:
        warnings.append(
            "columns the ICP reads are absent (their criteria count as unknown): "
            + ", ".join(missing_cols)
        )
    # Absent columns, and columns left without a type because every value was empty, get the
    # type their criteria read (a Null-typed column breaks list and date operations).
    dtypes = _criterion_dtypes(icp)
    frame = frame.with_columns(
        pl.lit(None, dtype=dtypes.get(c, pl.String)).alias(c)
        for c in needed
        if c not in frame.columns or frame.schema[c] == pl.Null
    )
    return frame, prepared.schema, warnings


_DTYPE_OF_KIND: dict[Kind, pl.DataType] = {
    Kind.CATEGORICAL: pl.String(),
    Kind.NUMERIC: pl.Float64(),
    Kind.BOOLEAN: pl.Boolean(),
    Kind.MULTI: pl.List(pl.String),
    Kind.DATE: pl.Date(),
}


def _criterion_dtypes(icp: ICP) -> dict[str, pl.DataType]:
    """The prepared dtype each column the ICP reads must have (see docs/dev/conventions.md)."""
    out: dict[str, pl.DataType] = {}
    for c in icp.criteria():
        out[c.column] = _DTYPE_OF_KIND[_KIND_OF_OP[c.operator]]
        if c.before:
            out[c.before] = pl.Date()
    return out


def _drop_absent(o: SchemaOverrides, columns: Sequence[str]) -> SchemaOverrides:
    """Overrides may only name columns the frame has (infer_schema refuses unknown names)."""
    cols = set(columns)
    ref = o.reference_date if o.reference_date in cols else None
    return SchemaOverrides(
        kinds={k: v for k, v in o.kinds.items() if k in cols},
        roles={k: v for k, v in o.roles.items() if k in cols},
        layers={k: v for k, v in o.layers.items() if k in cols},
        ignore=[c for c in o.ignore if c in cols],
        reference_date=ref,
    )


__all__ = [
    "CHURN_COLUMNS",
    "CYCLE_COLUMNS",
    "LOSS_COLUMNS",
    "SCORE_BANDS",
    "SCORE_COLUMNS",
    "VALUE_COLUMNS",
    "WON_COLUMNS",
    "Cohort",
    "attributes_label",
    "find_outcome_column",
    "join_accounts",
    "load_cohort",
    "prepare_accounts",
]
