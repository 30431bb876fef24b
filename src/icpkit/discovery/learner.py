"""``ICPLearner``: ICP discovery as a scikit-learn estimator.

Configuration goes in ``__init__`` as flat parameters and is stored unchanged (so ``clone``,
``get_params``/``set_params`` and grid search work); :meth:`ICPLearner.fit` learns and sets the
attributes ending in ``_`` (``icp_``, ``discovery_``, ``schema_``, ``outcomes_``). The estimator
takes the account file as it is (a polars or pandas frame of raw CRM columns), so it sits at the
end of a ``Pipeline`` and inside ``cross_val_score`` like any classifier:

* ``fit(X, y)``: ``y`` holds each account's outcome in any spelling of
  :data:`icpkit.outcomes.WON_WORDS` / :data:`~icpkit.outcomes.LOST_WORDS` (1/0, won/lost, ...);
  other values are neither best nor worst. Without ``y`` the outcome definition is configuration
  (``label``, ``best_share``, ``worst_share``), exactly as ``icp discover`` defines it.
* ``decision_function(X)``: the ICP's fit score (0–100, disqualified accounts 0);
  ``predict_proba(X)``: the same as a probability; ``predict(X)``: 1 for tiers A and B.
* ``score(X, y)``: ROC AUC of the fit score on the accounts ``y`` says are best or worst.

The steps themselves are :class:`~icpkit.discovery.fitting.DiscoverySetup`'s (``setup()`` gives
it), which :func:`icpkit.pipeline.discover_file` runs directly: that way ``icp discover`` loads
scikit-learn only where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from icpkit.columns.schema import PreparedFrame, Schema, SchemaOverrides
from icpkit.discovery.config import SearchConfig
from icpkit.discovery.fitting import (
    DiscoverySetup,
    Refit,
    as_label_series,
    as_polars,
    default_category_map,
)
from icpkit.discovery.profile import Discovery
from icpkit.discovery.traits import TraitConfig
from icpkit.discovery.validation import SELECTED_TIERS
from icpkit.errors import NotFittedError, OutcomeError
from icpkit.icp import ICP
from icpkit.outcomes import Outcomes, won_lost

_SEARCH = SearchConfig()
_TRAITS = TraitConfig()
# TraitConfig fields that share a name with a SearchConfig field get a ``trait_`` prefix.
_TRAIT_PARAM = {
    f.name: f"trait_{f.name}" if f.name in ("min_support", "min_count") else f.name
    for f in fields(TraitConfig)
}


class _NotFitted(NotFittedError, SklearnNotFittedError):
    """icpkit's :class:`~icpkit.errors.NotFittedError` that scikit-learn's tools recognise too."""


class ICPLearner(ClassifierMixin, BaseEstimator):
    """Learns an :class:`~icpkit.icp.ICP` from customers; see the module docstring.

    Parameters mirror :class:`~icpkit.discovery.SearchConfig` (``random_state`` is its seed) and
    :class:`~icpkit.discovery.traits.TraitConfig` (``trait_min_support``, ``trait_min_count``), plus the
    outcome definition used when ``fit`` gets no ``y`` (``label``, ``best_share``,
    ``worst_share``), how columns are read (``overrides``, ``strict``), the technology
    ``category_map`` (``None``: the bundled fingerprints'), and the ICP's ``name``,
    ``review_days`` and reference date ``today`` (``None``: the day ``fit`` runs).
    """

    def __init__(
        self,
        *,
        label: str | None = None,
        best_share: float = 0.2,
        worst_share: float = 0.2,
        overrides: SchemaOverrides | None = None,
        strict: bool = True,
        category_map: Mapping[str, Sequence[str]] | None = None,
        name: str = "Ideal Customer Profile",
        review_days: int = 365,
        today: date | None = None,
        random_state: int = _SEARCH.seed,
        max_segments: int = _SEARCH.max_segments,
        max_depth: int = _SEARCH.max_depth,
        beam_width: int = _SEARCH.beam_width,
        min_support: float = _SEARCH.min_support,
        min_best: int = _SEARCH.min_best,
        alpha: float = _SEARCH.alpha,
        merge_overlap: float = _SEARCH.merge_overlap,
        max_nice: int = _SEARCH.max_nice,
        max_disqualifiers: int = _SEARCH.max_disqualifiers,
        max_timing: int = _SEARCH.max_timing,
        segment_layers: tuple[str, ...] = _SEARCH.segment_layers,
        prune_alpha: float = _SEARCH.prune_alpha,
        min_lift: float = _SEARCH.min_lift,
        disqualifier_max_lift: float = _SEARCH.disqualifier_max_lift,
        max_permutations: int = _SEARCH.max_permutations,
        stop_after: int = _SEARCH.stop_after,
        trait_permutations: int = _SEARCH.trait_permutations,
        shortcut: float = _SEARCH.shortcut,
        disqualifier_share: float = _SEARCH.disqualifier_share,
        timing_share: float = _SEARCH.timing_share,
        timing_max_share: float = _SEARCH.timing_max_share,
        timing_max_best_share: float = _SEARCH.timing_max_best_share,
        max_levels: int = _TRAITS.max_levels,
        max_group: int = _TRAITS.max_group,
        quantiles: tuple[float, ...] = _TRAITS.quantiles,
        max_items: int = _TRAITS.max_items,
        trait_min_support: float = _TRAITS.min_support,
        trait_min_count: int = _TRAITS.min_count,
        date_quantiles: tuple[float, ...] = _TRAITS.date_quantiles,
        date_on_record: bool = _TRAITS.date_on_record,
    ) -> None:
        self.label = label
        self.best_share = best_share
        self.worst_share = worst_share
        self.overrides = overrides
        self.strict = strict
        self.category_map = category_map
        self.name = name
        self.review_days = review_days
        self.today = today
        self.random_state = random_state
        self.max_segments = max_segments
        self.max_depth = max_depth
        self.beam_width = beam_width
        self.min_support = min_support
        self.min_best = min_best
        self.alpha = alpha
        self.merge_overlap = merge_overlap
        self.max_nice = max_nice
        self.max_disqualifiers = max_disqualifiers
        self.max_timing = max_timing
        self.segment_layers = segment_layers
        self.prune_alpha = prune_alpha
        self.min_lift = min_lift
        self.disqualifier_max_lift = disqualifier_max_lift
        self.max_permutations = max_permutations
        self.stop_after = stop_after
        self.trait_permutations = trait_permutations
        self.shortcut = shortcut
        self.disqualifier_share = disqualifier_share
        self.timing_share = timing_share
        self.timing_max_share = timing_max_share
        self.timing_max_best_share = timing_max_best_share
        self.max_levels = max_levels
        self.max_group = max_group
        self.quantiles = quantiles
        self.max_items = max_items
        self.trait_min_support = trait_min_support
        self.trait_min_count = trait_min_count
        self.date_quantiles = date_quantiles
        self.date_on_record = date_on_record

    # -- configuration objects ------------------------------------------------------------------

    @classmethod
    def from_configs(
        cls,
        search: SearchConfig | None = None,
        traits: TraitConfig | None = None,
        **params: Any,
    ) -> ICPLearner:
        """A learner whose flat parameters are those of ``search`` and ``traits``."""
        flat: dict[str, Any] = {}
        for f in fields(SearchConfig):
            name = "random_state" if f.name == "seed" else f.name
            flat[name] = getattr(search or _SEARCH, f.name)
        for f in fields(TraitConfig):
            flat[_TRAIT_PARAM[f.name]] = getattr(traits or _TRAITS, f.name)
        return cls(**flat, **params)

    def search_config(self) -> SearchConfig:
        """The :class:`SearchConfig` these parameters describe."""
        return SearchConfig(
            **{
                f.name: getattr(self, "random_state" if f.name == "seed" else f.name)
                for f in fields(SearchConfig)
            }
        )

    def trait_config(self) -> TraitConfig:
        """The :class:`TraitConfig` these parameters describe."""
        return TraitConfig(
            **{f.name: getattr(self, _TRAIT_PARAM[f.name]) for f in fields(TraitConfig)}
        )

    # -- the steps of fit (DiscoverySetup's, which discover_file and validation run) -----------

    def setup(self) -> DiscoverySetup:
        """The :class:`~icpkit.discovery.fitting.DiscoverySetup` these parameters describe."""
        return DiscoverySetup(
            search=self.search_config(),
            traits=self.trait_config(),
            label=self.label,
            best_share=self.best_share,
            worst_share=self.worst_share,
            overrides=self.overrides,
            strict=self.strict,
            category_map=self.category_map,
            name=self.name,
            review_days=self.review_days,
            today=self.today,
        )

    def prepare(self, X: Any, *, file: str | None = None) -> PreparedFrame:
        """Infer the column roles of raw accounts and prepare them (see :mod:`icpkit.columns`)."""
        return self.setup().prepare(X, file=file)

    def label_overrides(self) -> SchemaOverrides | None:
        """``overrides`` with ``label`` set: the label column is an outcome, never a trait."""
        return self.setup().label_overrides()

    def outcomes_of(
        self, prepared: PreparedFrame, y: Any = None, *, file: str | None = None
    ) -> Outcomes:
        """Best/worst from ``y`` when given, else from the configured outcome definition."""
        return self.setup().outcomes_of(prepared, y, file=file)

    def fit_prepared(
        self,
        frame: pl.DataFrame,
        schema: Schema,
        outcomes: Outcomes,
        *,
        source_file: str | None = None,
    ) -> ICPLearner:
        """Learn from an already prepared frame and its outcomes (what ``fit`` ends with)."""
        self.discovery_: Discovery = self.setup().discover(
            frame, schema, outcomes, source_file=source_file
        )
        self.icp_: ICP = self.discovery_.icp
        self.schema_: Schema = schema
        self.outcomes_: Outcomes = outcomes
        self.classes_ = np.array([0, 1])
        return self

    # -- the estimator contract -------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> ICPLearner:
        """Discover the ICP from raw accounts ``X`` (polars or pandas) and outcomes ``y``."""
        raw = as_polars(X)
        prepared = self.prepare(raw)
        outcomes = self.outcomes_of(prepared, y)
        self.feature_names_in_ = np.asarray(raw.columns, dtype=object)
        self.n_features_in_ = raw.width
        self.warnings_ = [*prepared.warnings]
        self.fit_prepared(prepared.frame, prepared.schema, outcomes)
        self.warnings_ += self.discovery_.warnings
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "icp_")

    def _check_fitted(self) -> ICP:
        if not hasattr(self, "icp_"):
            raise _NotFitted(
                f"this {type(self).__name__} is not fitted yet: call fit(X, y) before using it"
            )
        return self.icp_

    def decision_function(self, X: Any) -> np.ndarray:
        """The ICP's fit score per account (0–100; disqualified accounts 0)."""
        from icpkit.scoring import score

        icp = self._check_fitted()
        out = score(as_polars(X), icp, as_of=self.today, reasons="none", rank=False)
        return out.get_column("fit_score").cast(pl.Float64).fill_null(0.0).to_numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[P(not best), P(best)]`` per account: the fit score as a probability."""
        p = self.decision_function(X) / 100.0
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """1 for accounts in the selected tiers (A, B) and not disqualified, else 0."""
        from icpkit.scoring import score

        icp = self._check_fitted()
        out = score(as_polars(X), icp, as_of=self.today, reasons="none", rank=False)
        return out.get_column("tier").is_in(SELECTED_TIERS).fill_null(False).to_numpy().astype(int)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """ROC AUC of the fit score on the accounts ``y`` labels best or worst."""
        from sklearn.metrics import roc_auc_score

        won = as_label_series(y, None).to_frame().select(won_lost(pl.col("y"))).to_series()
        known = won.is_not_null().to_numpy()
        if not known.any():
            raise OutcomeError("y has no value that reads as won/best or lost/worst")
        truth = won.drop_nulls().to_numpy().astype(bool)
        if truth.all() or not truth.any():
            raise OutcomeError("y needs both outcomes (won and lost) to measure ranking")
        weights = None if sample_weight is None else np.asarray(sample_weight)[known]
        ranking = self.decision_function(X)[known]
        return float(roc_auc_score(truth, ranking, sample_weight=weights))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.no_validation = True  # X is a frame of named CRM columns, read by icpkit.columns
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False  # the outcome can come from the frame itself
        tags.non_deterministic = False
        return tags


__all__ = ["ICPLearner", "Refit", "as_polars", "default_category_map"]
