"""The main job end to end: read → roles → outcomes → traits → profile → validation → files.

``discover_file`` is what ``icp discover`` and ``icp demo`` call; every step is also available on
its own (see :mod:`icpkit` for the public API).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from icpkit.columns.names import OUTCOME_PATTERNS, REFERENCE_DATES, canonical_name
from icpkit.columns.schema import Schema, SchemaOverrides
from icpkit.discovery.config import SearchConfig
from icpkit.discovery.workers import FoldPool, fold_workers, worker_count
from icpkit.icp import ICP
from icpkit.io import atomic_write_text, read_table, write_table
from icpkit.outcomes import Outcomes
from icpkit.report.markdown import render_markdown

if TYPE_CHECKING:  # discovery loads scikit-learn and SciPy: imported once workers are starting
    from icpkit.discovery.profile import Discovery
    from icpkit.discovery.traits import TraitConfig
    from icpkit.discovery.validation import ValidationReport


@dataclass
class DiscoveryRun:
    """Everything one discovery produced; ``icp`` is what gets saved.

    ``as_of`` is the date "within N days" windows were measured back from (``None``: the day
    of the run); ``notices`` say plainly what was decided for the user (an inferred ``as_of``),
    where ``warnings`` say what may be wrong with the data.
    """

    icp: ICP
    discovery: Discovery
    validation: ValidationReport | None
    schema: Schema
    outcomes: Outcomes
    frame: pl.DataFrame
    source: str | None
    warnings: list[str] = field(default_factory=list)
    as_of: date | None = None
    notices: list[str] = field(default_factory=list)


# Inference and discovery cost grows faster than linearly with the number of columns (a
# 2,000 x 2,000 file took ~110 CPU s before validation; 10,000 columns ran past 90 s), while CRM
# exports rarely carry more than a few hundred meaningful fields. Wider inputs are screened down.
MAX_COLUMNS = 200
SCREEN_SAMPLE = 100_000  # rows the screening statistics look at (the first ones, outcome-blind)
# Headers that name an identity, a reference date or the company itself: always kept by screening.
_KEEP_NAMES = re.compile(
    r"(^|_)(id|ids|uuid|guid|name|company|account|domain|website|url|homepage|email)($|_)"
)


def screen_columns(
    raw: pl.DataFrame,
    overrides: SchemaOverrides | None = None,
    *,
    max_columns: int = MAX_COLUMNS,
    file: str | None = None,
) -> tuple[pl.DataFrame, str | None]:
    """Keep at most ``max_columns`` columns of a wide input; return the frame and a message.

    The rule never looks at outcome values, so it cannot bias the permutation-calibrated claims
    made on the kept columns: columns named in ``overrides`` and columns whose headers read as an
    identity, a reference date or an outcome are always kept; the rest are kept in file order
    (exports list their standard fields first, appended custom fields last), constant columns
    and columns more than half empty last. The message names how many columns were left
    unexamined, since a signal in one of them cannot be found.
    """
    if raw.width <= max_columns:
        return raw, None
    named = _named_in(overrides)
    keep: list[str] = []
    for c in raw.columns:
        canon = canonical_name(c)
        if (
            c in named
            or canon in named
            or canon in REFERENCE_DATES
            or _KEEP_NAMES.search(canon)
            or any(pattern.search(canon) for _, pattern in OUTCOME_PATTERNS)
        ):
            keep.append(c)
    protected = len(keep)
    kept_first = set(keep)
    rest = [c for c in raw.columns if c not in kept_first]
    sample = raw.select(rest).head(SCREEN_SAMPLE)
    height = max(sample.height, 1)
    dtypes = dict(zip(sample.columns, sample.dtypes, strict=True))  # .schema is O(width) per call
    missing = sample.select(
        [
            (pl.col(c).is_null() | (pl.col(c).cast(pl.String).str.strip_chars() == "")).sum()
            if dtypes[c] == pl.String
            else pl.col(c).is_null().sum()
            for c in rest
        ]
    ).row(0)
    distinct = sample.select(
        [pl.col(c).drop_nulls().n_unique() if _hashable(dtypes[c]) else pl.lit(2) for c in rest]
    ).row(0)
    ranked = sorted(range(len(rest)), key=lambda i: (distinct[i] <= 1, missing[i] > height / 2, i))
    room = max(max_columns - protected, 0)
    chosen = set(ranked[:room])
    keep_set = set(keep) | {rest[i] for i in chosen}
    kept = [c for c in raw.columns if c in keep_set]
    dropped = [c for c in raw.columns if c not in keep_set]
    where = f"{file}: " if file else ""
    shown = ", ".join(repr(c) for c in dropped[:3]) + (", ..." if len(dropped) > 3 else "")
    message = (
        f"{where}{raw.width:,} columns is wider than discovery examines ({max_columns:,}); kept "
        f"{len(kept):,} ({protected:,} named as identity, date or outcome columns and the "
        f"first {len(kept) - protected:,} other non-constant, at least half-filled columns in file "
        f"order; "
        f"outcomes were not looked at) and did not examine {len(dropped):,} ({shown}). A signal "
        f"in those cannot be found: give a file with the columns that matter"
    )
    return raw.select(kept), message


def _hashable(dtype: pl.DataType) -> bool:
    return not isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))


def _named_in(overrides: SchemaOverrides | None) -> set[str]:
    """Every column an override names (by source header or canonical name)."""
    if overrides is None:
        return set()
    names = {overrides.id, overrides.name, overrides.domain, overrides.reference_date}
    names |= {overrides.label, *overrides.ignore}
    for mapping in (
        overrides.roles,
        overrides.kinds,
        overrides.layers,
        overrides.outcomes,
        overrides.multi_separators,
    ):
        names |= set(mapping)
    found = {n for n in names if n}
    return found | {canonical_name(n) for n in found}


def discover_file(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    label: str | None = None,
    overrides: SchemaOverrides | None = None,
    best_share: float = 0.2,
    worst_share: float = 0.2,
    search: SearchConfig | None = None,
    traits: TraitConfig | None = None,
    category_map: Mapping[str, Sequence[str]] | None = None,
    folds: int = 5,
    holdout_after: date | None = None,
    baseline: bool = True,
    name: str = "Ideal Customer Profile",
    today: date | None = None,
    as_of: date | None = None,
    max_columns: int = MAX_COLUMNS,
    strict: bool = True,
    workers: int | None = None,
) -> DiscoveryRun:
    """Discover and validate an ICP from a customer file (CSV, Parquet, Excel, JSON) or frame.

    Date windows ("last funding within 180 days") are measured back from ``as_of``. Without it,
    and without a purchase-date column, from where the data's own dates end when that is more
    than a year before ``today`` (:func:`icpkit.scoring.asof.infer_as_of`: an export taken in
    2013 and mined today), said in ``notices``; otherwise from ``today`` (default: the real
    today, which also dates the ICP). The date used is recorded as ``source.as_of``.

    Inputs wider than ``max_columns`` are screened by :func:`screen_columns` (reported in
    ``warnings``). With ``strict=False`` a mostly numeric (date, yes/no) column's odd values
    are treated as missing, with a warning, instead of stopping with an error.
    ``workers`` is the number of worker processes the validation folds may use (``None``:
    one per spare CPU, see :func:`icpkit.discovery.workers.worker_count`; 0: none); the
    result is the same either way.
    """
    # Validation folds run in worker processes started now, so that their imports overlap
    # this process's (see icpkit.discovery.workers); results do not depend on them.
    with fold_workers(worker_count(folds) if workers is None else workers) as pool:
        return _discover_file(
            source,
            label=label,
            overrides=overrides,
            best_share=best_share,
            worst_share=worst_share,
            search=search,
            traits=traits,
            category_map=category_map,
            folds=folds,
            holdout_after=holdout_after,
            baseline=baseline,
            name=name,
            today=today,
            as_of=as_of,
            max_columns=max_columns,
            strict=strict,
            pool=pool,
        )


def _discover_file(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    label: str | None,
    overrides: SchemaOverrides | None,
    best_share: float,
    worst_share: float,
    search: SearchConfig | None,
    traits: TraitConfig | None,
    category_map: Mapping[str, Sequence[str]] | None,
    folds: int,
    holdout_after: date | None,
    baseline: bool,
    name: str,
    today: date | None,
    as_of: date | None,
    max_columns: int,
    strict: bool,
    pool: FoldPool | None,
) -> DiscoveryRun:
    # The setup, not the scikit-learn estimator: this process then loads scikit-learn only
    # where it is used (see icpkit.discovery.fitting).
    from icpkit.discovery.fitting import DiscoverySetup, Refit, default_category_map
    from icpkit.discovery.traits import TraitConfig
    from icpkit.discovery.validation import KFoldRun, can_fold, validate

    file = None
    if isinstance(source, pl.DataFrame):
        raw = source
    else:
        file = str(source)
        raw = read_table(source)
    setup = DiscoverySetup(
        search=search or SearchConfig(),
        traits=traits or TraitConfig(),
        label=label,
        overrides=overrides,
        best_share=best_share,
        worst_share=worst_share,
        strict=strict,
        category_map=category_map if category_map is not None else default_category_map(),
        name=name,
        today=today,
    )
    raw, screened = screen_columns(raw, setup.label_overrides(), max_columns=max_columns, file=file)
    prepared = setup.prepare(raw, file=file)
    frame, schema = prepared.frame, prepared.schema
    outcomes = setup.outcomes_of(prepared, file=file)
    day = today or date.today()
    notices: list[str] = []
    if as_of is None:
        from icpkit.scoring.asof import infer_as_of

        inferred = infer_as_of(frame, schema, today=day)
        if inferred is not None:
            as_of = inferred.latest
            notices.append(inferred.notice())
    fit: Refit | RecordAsOf = Refit(setup, schema)
    if as_of is not None:
        # Discovery measures windows from ``today``: the data's "now" here. Every ICP fitted
        # (the final one, each fold's, the time split's) records it, so that validation scores
        # the held-out accounts from the same date (icpkit.discovery.validation.predict).
        setup = replace(setup, today=as_of)
        fit = RecordAsOf(Refit(setup, schema), as_of)
    # The folds start before the fit on all accounts: with workers they run beside it.
    kfold = None
    if can_fold(outcomes, folds):
        kfold = KFoldRun(frame, schema, outcomes, fit, folds=folds, baseline=baseline, workers=pool)
    found = setup.discover(frame, schema, outcomes, source_file=file)
    if as_of is not None:
        found.icp = dated(found.icp, as_of=as_of, today=day)
    report = validate(
        found.icp,
        frame,
        schema,
        outcomes,
        fit,
        folds=folds,
        holdout_after=holdout_after,
        baseline=baseline,
        kfold=kfold,
    )
    icp = found.icp.model_copy(update={"validation": report.as_dict()})
    from icpkit.signals.export import with_history_caveats

    icp, history = with_history_caveats(icp, frame)  # signal columns with too little history
    warnings = [*([screened] if screened else []), *prepared.warnings, *found.warnings, *history]
    warnings += report.notes
    icp = icp.model_copy(update={"notes": [*icp.notes, *found.warnings]})
    found.icp = icp
    return DiscoveryRun(
        icp, found, report, schema, outcomes, frame, file, warnings, as_of=as_of, notices=notices
    )


def dated(icp: ICP, *, as_of: date, today: date) -> ICP:
    """``icp`` as fitted on ``today`` with its windows measured from ``as_of``.

    Discovery dates the ICP by the day it measures from; an ICP fitted today on a 2013 export
    is still created today and due for review a year from today, not overdue since 2014.
    """
    created = icp.created
    review = icp.review_by
    update: dict[str, object] = {"created": today}
    if review is not None:
        update["review_by"] = date.fromordinal(today.toordinal() + (review - created).days)
    if icp.source is not None:
        update["source"] = icp.source.model_copy(update={"fitted": today, "as_of": as_of})
    return icp.model_copy(update=update)


class RecordAsOf:
    """A refit (see :class:`icpkit.discovery.fitting.Refit`) whose ICPs record ``as_of``.

    Validation scores each fold's held-out accounts with the fold's ICP; recorded, the fold
    measures windows from the date its traits were built from. A class so that it pickles for
    the fold workers.
    """

    def __init__(self, fit: Callable[[pl.DataFrame, Outcomes], ICP], as_of: date) -> None:
        self.fit = fit
        self.as_of = as_of

    def __call__(self, frame: pl.DataFrame, outcomes: Outcomes) -> ICP:
        icp = self.fit(frame, outcomes)
        if icp.source is None:
            return icp
        return icp.model_copy(
            update={"source": icp.source.model_copy(update={"as_of": self.as_of})}
        )


def write_outputs(
    run: DiscoveryRun,
    icp_path: str | os.PathLike[str],
    *,
    markdown_path: str | os.PathLike[str] | None = None,
    evidence_path: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write icp.yaml, the one-page icp.md and the full trait evidence table, atomically.

    Refuses to overwrite without ``force`` and never writes onto the input file.
    """
    inputs = [run.source] if run.source else []
    targets = [Path(icp_path)]
    if markdown_path is not None:
        targets.append(Path(markdown_path))
    if evidence_path is not None:
        targets.append(Path(evidence_path))
    if not force:  # check all before writing any, so a refusal leaves nothing half-done
        from icpkit.errors import OutputExistsError

        for t in targets:
            if t.exists():
                raise OutputExistsError(t)
    out = [atomic_write_text(icp_path, run.icp.to_yaml(), force=force, inputs=inputs)]
    if markdown_path is not None:
        out.append(
            atomic_write_text(markdown_path, render_markdown(run.icp), force=force, inputs=inputs)
        )
    if evidence_path is not None:
        out.append(
            write_table(run.discovery.evidence_table, evidence_path, force=force, inputs=inputs)
        )
    return out


__all__ = [
    "MAX_COLUMNS",
    "DiscoveryRun",
    "RecordAsOf",
    "dated",
    "discover_file",
    "screen_columns",
    "write_outputs",
]
