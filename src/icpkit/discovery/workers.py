"""Worker processes for validation folds: k re-discoveries run beside the final fit.

``icp discover`` fits the ICP once on every account and k more times for k-fold validation; on
a small base those k fits are most of the work, and they are independent. They run in worker
processes (the GIL and liblinear's process-wide random state rule out threads). Workers are
*spawned*, never forked: polars starts its thread pool when imported, and a forked child
inherits the pool's bookkeeping without its threads (a deadlock waiting to happen). A spawned
worker pays for its own imports (~1.5 s of CPU with scikit-learn), so the pool is started
first, and the worker imports while the main process imports, reads the file and fits.

Results do not depend on where a fold runs: each fold's discovery is a pure function of its
rows and settings (seeded search, seeded solver), so the ICP file is byte-identical with or
without workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from importlib import import_module

#: What a worker imports before its first fold, while the main process reads the file.
WARM_MODULES = (
    "icpkit.discovery.learner",
    "icpkit.discovery.validation",
    "icpkit.scoring.engine",
    "sklearn.ensemble",
    "sklearn.model_selection",
    "sklearn.svm._liblinear",
)


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def worker_count(folds: int, cpus: int | None = None) -> int:
    """Workers worth starting for ``folds`` validation folds: one per spare CPU, fewer than
    the folds (the main process takes folds too once its own fit is done); 0 on one CPU."""
    if folds < 2:
        return 0
    return max(0, min(folds - 1, (cpus or available_cpus()) - 1))


def _warm() -> None:
    """Worker start-up: leave Ctrl-C to the main process, then import what folds need."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in WARM_MODULES:
        import_module(name)


def _ready() -> None:
    """A no-op task: submitting it makes the pool start a worker now, not at the first fold."""


@contextmanager
def fold_workers(count: int) -> Iterator[Executor | None]:
    """A pool of ``count`` spawned workers (None when ``count`` is 0), started at once.

    On leaving normally the pool is shut down after its work; on an error or Ctrl-C the
    workers are terminated (their folds are no longer wanted).
    """
    if count <= 0:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=count, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
    )
    for _ in range(count):
        pool.submit(_ready)
    try:
        yield pool
    except BaseException:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["WARM_MODULES", "available_cpus", "fold_workers", "worker_count"]
