"""How one discovery is set up and run, without scikit-learn.

:class:`~icpkit.discovery.learner.ICPLearner` is the scikit-learn face of discovery, and
importing scikit-learn costs about a second of CPU (it loads SciPy's statistics and pandas). A
process that only discovers (``icp discover``'s main process, the fold worker) needs none of
it: :class:`DiscoverySetup` holds the same settings and runs the same steps, and the learner
delegates to it. scikit-learn is then loaded only where it is used (the points model's solver
once its gate passes, the black-box comparison).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import polars as pl

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.columns.schema import PreparedFrame, Schema, SchemaOverrides
from icpkit.discovery.config import SearchConfig
from icpkit.discovery.traits import TraitConfig
from icpkit.errors import UsageError
from icpkit.icp import ICP
from icpkit.outcomes import Outcomes, OutcomeSpec, label_outcomes

if TYPE_CHECKING:
    from icpkit.discovery.profile import Discovery


def default_category_map() -> dict[str, list[str]]:
    """Tool → categories from icpkit's bundled fingerprints (empty if unavailable).

    Read straight from the bundled JSON: loading the fingerprint database would compile its
    ~1,400 detection patterns (0.1 s) only to read each technology's category ids. Equal to
    ``load_fingerprints().tool_categories()`` (a test holds them to it).
    """
    try:
        return _bundled_tool_categories()
    except Exception:  # the technographics layer is optional for discovery
        return {}


def _bundled_tool_categories() -> dict[str, list[str]]:
    import json
    from importlib import resources

    root = resources.files("icpkit.technographics") / "data"
    names = {
        int(cid): str((spec if isinstance(spec, dict) else {"name": spec}).get("name", ""))
        for cid, spec in json.loads((root / "categories.json").read_text("utf-8")).items()
    }
    out: dict[str, list[str]] = {}
    files = sorted(
        (f for f in (root / "technologies").iterdir() if f.name.endswith(".json")),
        key=lambda f: f.name,
    )
    for file in files:
        for tech, spec in json.loads(file.read_text("utf-8")).items():
            cats = spec.get("cats") if isinstance(spec, dict) else None
            ids = cats if isinstance(cats, list) else [] if cats is None else [cats]
            out[str(tech).lower()] = [
                names[int(c)].lower() for c in ids if _is_int(c) and int(c) in names
            ]
    return out


def _is_int(value: object) -> bool:
    try:
        int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class DiscoverySetup:
    """Everything one discovery is run with: search and trait settings, the outcome definition
    used when no labels are given, how columns are read, and what the ICP is called.

    ``category_map`` None means the bundled fingerprints' (:func:`default_category_map`);
    ``today`` None the day :meth:`discover` runs.
    """

    search: SearchConfig = field(default_factory=SearchConfig)
    traits: TraitConfig = field(default_factory=TraitConfig)
    label: str | None = None
    best_share: float = 0.2
    worst_share: float = 0.2
    overrides: SchemaOverrides | None = None
    strict: bool = True
    category_map: Mapping[str, Sequence[str]] | None = None
    name: str = "Ideal Customer Profile"
    review_days: int = 365
    today: date | None = None

    def label_overrides(self) -> SchemaOverrides | None:
        """``overrides`` with ``label`` set: the label column is an outcome, never a trait."""
        if self.label is None:
            return self.overrides
        return replace(self.overrides or SchemaOverrides(), label=self.label)

    def prepare(self, X: Any, *, file: str | None = None) -> PreparedFrame:
        """Infer the column roles of raw accounts and prepare them (see :mod:`icpkit.columns`)."""
        raw = as_polars(X)
        schema = infer_schema(raw, self.label_overrides(), file=file)
        return prepare(raw, schema, file=file, strict=self.strict)

    def outcomes_of(
        self, prepared: PreparedFrame, y: Any = None, *, file: str | None = None
    ) -> Outcomes:
        """Best/worst from ``y`` when given, else from the configured outcome definition."""
        frame, schema = prepared.frame, prepared.schema
        if y is None:
            spec = OutcomeSpec(
                label=_canonical_label(schema, self.label),
                best_share=self.best_share,
                worst_share=self.worst_share,
            )
            return label_outcomes(frame, schema, spec, file=file)
        labels = as_label_series(y, frame.height)
        tmp = "__icp_y"
        with_y = frame.with_columns(labels.alias(tmp))
        return label_outcomes(with_y, schema, OutcomeSpec(label=tmp), file=file)

    def discover(
        self,
        frame: pl.DataFrame,
        schema: Schema,
        outcomes: Outcomes,
        *,
        source_file: str | None = None,
    ) -> Discovery:
        """Discovery on an already prepared frame and its outcomes."""
        from icpkit.discovery.profile import discover

        cmap = self.category_map if self.category_map is not None else default_category_map()
        return discover(
            frame,
            schema,
            outcomes,
            search=self.search,
            traits=self.traits,
            category_map=cmap,
            name=self.name,
            review_days=self.review_days,
            source_file=source_file,
            today=self.today,
        )


class _HasSetup(Protocol):
    def setup(self) -> DiscoverySetup: ...


class Refit:
    """Re-discovery on a subset of the accounts with the same settings and column roles.

    What validation calls for every fold and for the time split. A class rather than a
    closure so that it pickles: folds run in a worker process (:mod:`icpkit.discovery.workers`),
    which then needs neither scikit-learn nor the learner to run one. Takes a
    :class:`DiscoverySetup` or anything with a ``setup()`` (an ``ICPLearner``).
    """

    def __init__(self, setup: DiscoverySetup | _HasSetup, schema: Schema) -> None:
        self.setup = setup if isinstance(setup, DiscoverySetup) else setup.setup()
        self.schema = schema

    def __call__(self, frame: pl.DataFrame, outcomes: Outcomes) -> ICP:
        return self.setup.discover(frame, self.schema, outcomes).icp


def as_polars(X: Any) -> pl.DataFrame:
    """A polars frame of ``X`` (polars or pandas); anything else is a :class:`UsageError`."""
    if isinstance(X, pl.DataFrame):
        return X
    if isinstance(X, pl.LazyFrame):
        return X.collect()
    if type(X).__module__.split(".")[0] == "pandas" and type(X).__name__ == "DataFrame":
        return pl.from_pandas(X)
    raise UsageError(
        f"accounts must be a polars or pandas DataFrame, not {type(X).__name__} "
        "(an ICP reads named columns)"
    )


def as_label_series(y: Any, height: int | None) -> pl.Series:
    """``y`` (polars, pandas, numpy or a list) as a string series named ``y``."""
    s: pl.Series
    if isinstance(y, pl.Series):
        s = y
    elif type(y).__module__.split(".")[0] == "pandas":
        s = pl.Series(y.to_numpy())
    else:
        s = pl.Series(np.asarray(y))
    s = s.cast(pl.String)
    if height is not None and s.len() != height:
        raise UsageError(f"y has {s.len():,} values for {height:,} accounts")
    return s.rename("y")


def _canonical_label(schema: Schema, label: str | None) -> str | None:
    """The label column's canonical name (users give the header as it is in their file)."""
    if label is None:
        return None
    for c in schema.columns:
        if label in (c.name, c.source):
            return c.name
    return label


__all__ = ["DiscoverySetup", "Refit", "as_label_series", "as_polars", "default_category_map"]
