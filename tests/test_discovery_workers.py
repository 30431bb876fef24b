"""What makes ``icp discover`` fast must not change what it finds.

Validation folds in worker processes, per-column known masks and the category map read
without compiling fingerprints are each held to the slower path they replace.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import date

import numpy as np
import pytest

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.criteria import Criterion
from icpkit.discovery.learner import ICPLearner, Refit, default_category_map
from icpkit.discovery.masks import known_mask
from icpkit.discovery.search import _Columns
from icpkit.discovery.traits import build_traits
from icpkit.discovery.validation import KFoldRun, can_fold
from icpkit.discovery.workers import FoldPool, fold_workers, worker_count
from icpkit.io import write_table
from icpkit.outcomes import label_outcomes
from icpkit.pipeline import discover_file
from icpkit.sample.customers import generate_customers, weak_signal_customers

DAY = date(2026, 6, 30)


def test_folds_in_a_worker_process_give_the_same_icp_file(tmp_path) -> None:
    raw, _ = weak_signal_customers(400, seed=3, signal=1.5, as_of=DAY)
    path = tmp_path / "customers.csv"
    write_table(raw, path)
    common = {"folds": 3, "today": DAY, "category_map": {}}
    alone = discover_file(path, workers=0, **common)
    pooled = discover_file(path, workers=1, **common)
    assert alone.validation is not None and alone.validation.kfold is not None
    assert alone.validation.kfold_baseline is not None
    assert pooled.icp.to_yaml() == alone.icp.to_yaml()


def test_one_worker_unless_every_cpu_is_busy() -> None:
    assert worker_count(5, cpus=1, load=0.0) == 0
    assert worker_count(5, cpus=2, load=0.2) == 1
    assert worker_count(5, cpus=2, load=1.5) == 1  # e.g. the previous run's own trace
    assert worker_count(5, cpus=16, load=3.0) == 1
    assert worker_count(1, cpus=16, load=0.0) == 0
    assert worker_count(0, cpus=16, load=0.0) == 0
    # A busy machine: the worker's imports would only add to the queue.
    assert worker_count(5, cpus=2, load=2.0) == 0
    assert worker_count(5, cpus=2, load=7.0) == 0


def _square(x: int) -> int:
    return x * x


def _fail(x: int) -> int:
    raise ValueError(f"bad {x}")


def test_the_worker_runs_tasks_passes_errors_back_and_gives_back_unsent_ones() -> None:
    with fold_workers(1) as pool:
        assert pool is not None
        first = pool.submit(_square, 7)
        failing = pool.submit(_fail, 3)
        many = [pool.submit(_square, i) for i in range(400)]
        assert first.result(timeout=120) == 49
        with pytest.raises(ValueError, match="bad 3"):
            failing.result(timeout=120)
        taken = [f.cancel() for f in reversed(many)]
        done = [f.result(timeout=120) for f, t in zip(reversed(many), taken, strict=True) if not t]
        assert any(taken)  # the worker had not reached the last ones yet
        assert sorted(done) == sorted(
            i * i for i, t in zip(reversed(range(400)), taken, strict=True) if not t
        )


def test_a_script_without_a_main_guard_runs_discovery_once(tmp_path) -> None:
    """The worker never re-runs the caller's script (multiprocessing's spawn would)."""
    import subprocess
    import sys

    raw, _ = weak_signal_customers(300, seed=9, signal=1.5, as_of=DAY)
    write_table(raw, tmp_path / "customers.csv")
    log = tmp_path / "runs.log"
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        "sys.path[:0] = " + repr(sys.path) + "\n"
        "from icpkit.pipeline import discover_file\n"
        f"open({str(log)!r}, 'a').write('run\\n')\n"
        f"run = discover_file({str(tmp_path / 'customers.csv')!r}, folds=3, workers=1,"
        " category_map={})\n"
        "print(run.validation.kfold.auc is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
    assert log.read_text() == "run\n"


class _BrokenPool(FoldPool):
    """Every fold handed to it fails, as when the worker dies mid-fold (no process started)."""

    def __init__(self) -> None:
        pass

    def submit(self, fn, /, *args):  # type: ignore[no-untyped-def]
        future: Future[object] = Future()
        future.set_running_or_notify_cancel()  # running: the main process cannot take it back
        future.set_exception(RuntimeError("worker died"))
        return future


def test_a_fold_whose_worker_fails_is_run_in_the_main_process(tmp_path) -> None:
    raw, _ = weak_signal_customers(300, seed=5, signal=1.5, as_of=DAY)
    learner = ICPLearner(today=DAY, category_map={}, max_permutations=9)
    prepared = learner.prepare(raw)
    outcomes = learner.outcomes_of(prepared)
    frame, schema = prepared.frame, prepared.schema
    fit = Refit(learner, schema)
    assert can_fold(outcomes, 3)
    plain = KFoldRun(frame, schema, outcomes, fit, folds=3).metrics()
    broken = KFoldRun(frame, schema, outcomes, fit, folds=3, workers=_BrokenPool()).metrics()
    assert broken == plain
    assert plain[0].auc is not None and plain[1] is not None


@pytest.fixture(scope="module")
def prepared_demo():
    data = generate_customers(1500, seed=11)
    schema = infer_schema(data.customers)
    return prepare(data.customers, schema)


def test_known_masks_per_column_equal_each_criterion_expression(prepared_demo) -> None:
    frame, schema = prepared_demo.frame, prepared_demo.schema
    outcomes = label_outcomes(frame, schema)
    cmap = {"stripe": ["payments"], "intercom": ["live chat"]}
    ts = build_traits(frame, schema, best=outcomes.best, category_map=cmap, as_of=DAY)
    cols = _Columns(frame)
    kinds = set()
    for c in ts.criteria:
        kinds.add(c.operator)
        assert np.array_equal(cols.known(c), known_mask(frame, [c])[:, 0]), c.describe()
    # Refined criteria are new objects with other edges and value sets.
    num = next(c for c in ts.criteria if c.between is not None)
    band = num.model_copy(update={"between": (None, 1e9)})
    assert np.array_equal(cols.known(band), known_mask(frame, [band])[:, 0])
    # A window before another date column is unknown where either date is missing.
    window = Criterion(column="last_funding_date", within_days=365, before="close_date")
    assert frame["close_date"].null_count() > 0 or frame["last_funding_date"].null_count() > 0
    assert np.array_equal(cols.known(window), known_mask(frame, [window])[:, 0])
    assert len(kinds) >= 4, kinds  # bands, value sets, booleans and tech-stack lists at least


def test_category_map_read_from_json_equals_the_loaded_fingerprints() -> None:
    from icpkit.technographics import load_fingerprints

    expected = load_fingerprints().tool_categories()
    got = default_category_map()
    assert len(got) > 100
    assert list(got.items()) == list(expected.items())
