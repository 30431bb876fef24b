"""The points table's signal gate (issue 10): flat on noise, not flat on a weak real signal.

A points table that is not flat claims signal as much as a segment does: every account's
fit score then ranks it. The gate in :func:`icpkit.discovery.scorecard.fit_points` decides
whether the cross-validated penalty path ranks held-out accounts better than chance; it looks
at several penalties, so its critical value must count that selection.

The trait matrices are discovery's own (:func:`icpkit.discovery.traits.build_traits` on messy
generated exports, the columns :func:`icpkit.discovery.weights.fit_weights` hands the scorecard);
the trait candidates never look at the outcome, so permuting the outcome over a fixed matrix is
exactly a shuffled-outcome run of the scorecard.
"""

from __future__ import annotations

import functools
from datetime import date

import numpy as np
from scipy.stats import beta
from sklearn.metrics import roc_auc_score

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.discovery.scorecard import fit_points
from icpkit.discovery.traits import build_traits
from icpkit.outcomes import label_outcomes
from icpkit.sample.customers import weak_signal_customers

TODAY = date(2026, 7, 1)
#: (rows, seed) of the shuffled bases: small and medium, each with its own columns.
NULL_BASES = ((200, 11), (300, 12), (300, 13), (600, 14))
RUNS_PER_BASE = 30
#: The non-flat share's one-sided 95% Clopper-Pearson upper bound must stay at or below this.
#: With 120 runs that allows 11 non-flat tables: a gate at the 5% level passes with
#: probability 0.98.
UPPER_BOUND = 0.15


def _matrix(raw: object, as_of: date = TODAY) -> tuple[np.ndarray, np.ndarray]:
    """Discovery's candidate traits (no outcome-ordered groups) and the best-customer flag."""
    schema = infer_schema(raw)  # type: ignore[arg-type]
    prepared = prepare(raw, schema)  # type: ignore[arg-type]
    outcomes = label_outcomes(prepared.frame, prepared.schema)
    traits = build_traits(prepared.frame, prepared.schema, best=None, as_of=as_of)
    cand = [i for i, kind in enumerate(traits.kinds) if kind != "group"]
    return traits.has[:, cand], np.asarray(outcomes.best, dtype=bool)


@functools.cache
def _shuffled_base(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    raw, _ = weak_signal_customers(n, seed=seed, n_noise_columns=4, shuffle_outcomes=True)
    return _matrix(raw)


def clopper_pearson_upper(k: int, n: int, level: float = 0.95) -> float:
    """One-sided upper confidence bound of a binomial share (exact, via the beta quantile)."""
    return 1.0 if k >= n else float(beta.ppf(level, k + 1, n - k))


def test_clopper_pearson_upper_matches_known_values() -> None:
    # 0 of 10: 1 - 0.05 ** (1 / 10); 11 of 120 sits just under 0.15, 12 of 120 above it.
    assert abs(clopper_pearson_upper(0, 10) - (1 - 0.05**0.1)) < 1e-12
    assert clopper_pearson_upper(11, 120) <= UPPER_BOUND < clopper_pearson_upper(12, 120)


def test_shuffled_outcomes_give_a_flat_points_table_up_to_the_level() -> None:
    not_flat: list[str] = []
    runs = 0
    for n, seed in NULL_BASES:
        X, y = _shuffled_base(n, seed)
        rng = np.random.default_rng(seed)
        for r in range(RUNS_PER_BASE):
            model = fit_points(X, rng.permutation(y), random_state=r)
            runs += 1
            if model.signal:
                not_flat.append(f"{n}/{seed}/{r}: z {model.signal_z:.2f}")
    upper = clopper_pearson_upper(len(not_flat), runs)
    assert upper <= UPPER_BOUND, (len(not_flat), runs, not_flat)


def test_weak_planted_signal_still_gets_points_that_rank_new_accounts() -> None:
    """Bayes AUC about 0.65 (many small effects), 1,000 accounts to fit on.

    The held-out accounts come from the same export (one trait matrix), fitted on the first
    1,000 and scored on the other 2,000 against their true outcome.
    """
    raw, truth = weak_signal_customers(3000, seed=5, signal=0.6)
    assert 0.62 <= truth.bayes_auc <= 0.68
    X, y = _matrix(raw)
    model = fit_points(X[:1000], y[:1000])
    assert model.signal, f"flat at z {model.signal_z:.2f}"
    assert np.count_nonzero(model.coef) >= 3
    held_out = roc_auc_score(y[1000:], X[1000:].astype(np.float64) @ model.coef)
    assert held_out >= 0.57, held_out
