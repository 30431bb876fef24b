"""The main job end to end: read → roles → outcomes → traits → profile → validation → files.

``discover_file`` is what ``icp discover`` and ``icp demo`` call; every step is also available on
its own (see :mod:`icpkit` for the public API).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from icpkit.columns import Schema, SchemaOverrides, infer_schema, prepare
from icpkit.discovery import Discovery, SearchConfig, discover
from icpkit.icp import ICP
from icpkit.io import atomic_write_text, read_table, write_table
from icpkit.outcomes import Outcomes, OutcomeSpec, label_outcomes
from icpkit.report.markdown import render_markdown
from icpkit.traits import TraitConfig
from icpkit.validation import ValidationReport, validate


@dataclass
class DiscoveryRun:
    """Everything one discovery produced; ``icp`` is what gets saved."""

    icp: ICP
    discovery: Discovery
    validation: ValidationReport | None
    schema: Schema
    outcomes: Outcomes
    frame: pl.DataFrame
    source: str | None
    warnings: list[str] = field(default_factory=list)


def default_category_map() -> dict[str, list[str]]:
    """Tool → categories from icpkit's bundled fingerprints (empty if unavailable)."""
    try:
        from icpkit.technographics import load_fingerprints

        return load_fingerprints().tool_categories()
    except Exception:  # the technographics layer is optional for discovery
        return {}


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
) -> DiscoveryRun:
    """Discover and validate an ICP from a customer file (CSV, Parquet, Excel, JSON) or frame."""
    file = None
    if isinstance(source, pl.DataFrame):
        raw = source
    else:
        file = str(source)
        raw = read_table(source)
    if overrides is None and label is not None:
        overrides = SchemaOverrides(label=label)
    elif overrides is not None and label is not None:
        overrides = _with_label(overrides, label)
    schema = infer_schema(raw, overrides, file=file)
    prepared = prepare(raw, schema, file=file)
    frame, schema = prepared.frame, prepared.schema
    spec = OutcomeSpec(
        label=_canonical_label(schema, label), best_share=best_share, worst_share=worst_share
    )
    outcomes = label_outcomes(frame, schema, spec, file=file)
    cmap = category_map if category_map is not None else default_category_map()

    def fit(f: pl.DataFrame, o: Outcomes) -> ICP:
        return discover(
            f, schema, o, search=search, traits=traits, category_map=cmap, name=name, today=today
        ).icp

    found = discover(
        frame,
        schema,
        outcomes,
        search=search,
        traits=traits,
        category_map=cmap,
        name=name,
        source_file=file,
        today=today,
    )
    report = validate(
        found.icp,
        frame,
        schema,
        outcomes,
        fit,
        folds=folds,
        holdout_after=holdout_after,
        baseline=baseline,
    )
    icp = found.icp.model_copy(update={"validation": report.as_dict()})
    warnings = [*prepared.warnings, *found.warnings, *report.notes]
    icp = icp.model_copy(update={"notes": [*icp.notes, *found.warnings]})
    found.icp = icp
    return DiscoveryRun(icp, found, report, schema, outcomes, frame, file, warnings)


def _with_label(o: SchemaOverrides, label: str) -> SchemaOverrides:
    from dataclasses import replace

    return replace(o, label=label)


def _canonical_label(schema: Schema, label: str | None) -> str | None:
    """The label column's canonical name (users give the header as it is in their file)."""
    if label is None:
        return None
    for c in schema.columns:
        if label in (c.name, c.source):
            return c.name
    return label


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


__all__ = ["DiscoveryRun", "default_category_map", "discover_file", "write_outputs"]
