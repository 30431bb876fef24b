"""Worker processes for validation folds: k re-discoveries run beside the final fit.

``icp discover`` fits the ICP once on every account and k more times for k-fold validation; on
a small base those k fits are most of the work, and they are independent. They run in a worker
process (the GIL and liblinear's process-wide random state rule out threads). The worker is a
fresh interpreter running :func:`_serve`, never a fork: polars starts its thread pool when
imported, and a forked child inherits the pool's bookkeeping without its threads (a deadlock
waiting to happen). Nor is it a :mod:`multiprocessing` child, which would re-run the caller's
``__main__`` script (a script without a ``__main__`` guard would start discovery again).

A worker pays for its own imports (~1.5 s of CPU with scikit-learn, which the black box needs),
so it is started first: it imports while the main process reads the file and fits. The main
process itself loads scikit-learn only if the points model's gate passes (its solver is
liblinear); otherwise it is through the final fit and often every fold before the worker has
finished importing. Tasks go out front first (the black boxes first), one at a time, as the
worker finishes the last; the main process takes back (cancels) the ones not yet sent and runs
them itself, last first. Anything that goes wrong in the worker fails
only its futures, and the caller runs those tasks itself.

Results do not depend on where a fold runs: each fold's discovery is a pure function of its
rows and settings (seeded search, seeded solver), so the ICP file is byte-identical with or
without the worker.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from importlib import import_module
from typing import Any

#: What the worker imports before its first task, while the main process reads the file: the
#: black boxes (its first task) need NumPy and scikit-learn only. What a fold needs (polars,
#: icpkit's models; scikit-learn's solver only if the points model's gate passes) loads with
#: the first fold the worker is sent.
WARM_MODULES = ("icpkit.discovery.blackbox", "sklearn.ensemble")


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def worker_count(folds: int, cpus: int | None = None, load: float | None = None) -> int:
    """Workers worth starting for ``folds`` validation folds: 1 when CPUs are not all busy.

    One worker beside the main process (which takes folds too once its own fit is done) keeps
    two CPUs busy; each further worker would pay its own imports for a share of the folds.
    The worker adds its imports (~1.8 s of CPU) to the bill, which pays off only while CPUs
    have time to spare: when the load average (``load``, default the last minute's) reaches
    the number of CPUs, the folds run in the main process, as ``make -l`` would. (On two
    cores, 336 rows: 3.5 s wall with the worker against 4.6 s without at load ~1.3, but
    6.4 s against 4.7 s at load ~3.5.)
    """
    if folds < 2:
        return 0
    cpus = cpus or available_cpus()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows: no load average
            load = 0.0
    return 1 if cpus >= 2 and load < cpus else 0


def _serve() -> None:
    """The worker's loop: import, then run ``(function, args)`` tasks from stdin until EOF.

    Results (or the exception) go back pickled on stdout; anything a task prints goes to
    stderr instead, so it cannot corrupt the stream. Warnings are the main process's to show:
    its own fit meets the same ones.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    warnings.simplefilter("ignore")
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    for name in WARM_MODULES:
        import_module(name)
    while True:
        try:
            fn, args = pickle.load(inp)
        except EOFError:
            # Nothing to clean up, and tearing down SciPy, pandas and scikit-learn module by
            # module takes ~0.4 s of CPU that the main process would wait for.
            sys.stderr.flush()
            os._exit(0)
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or error: say what it was
            data = pickle.dumps((False, RuntimeError(f"worker: {exc!r}")))
        out.write(data)
        out.flush()


# The worker's command: take the parent's import path, then serve.
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from icpkit.discovery.workers import _serve; _serve()"
)

_Task = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...]]


class FoldPool:
    """One worker process and the thread that feeds it; ``submit`` returns a :class:`Future`.

    A future still waiting can be taken back with ``cancel()`` (the caller then runs the task
    itself); once the feeding thread has sent it to the worker, ``cancel()`` fails.
    """

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._pending: deque[_Task] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._broken = False
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            pickle.dump(list(sys.path), stdin)
            stdin.flush()
        except OSError:
            self._broken = True
        self._thread = threading.Thread(target=self._feed, name="icpkit-folds", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._wake:
            if self._broken or self._closed:
                future.set_running_or_notify_cancel()
                future.set_exception(RuntimeError("the fold worker is not running"))
                return future
            self._pending.append((future, fn, args))
            self._wake.notify()
        return future

    def _feed(self) -> None:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending:
                    return
                future, fn, args = self._pending.popleft()
            if not future.set_running_or_notify_cancel():
                continue  # taken back by the caller
            try:
                pickle.dump((fn, args), stdin, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.flush()
                ok, value = pickle.load(stdout)
            except Exception as exc:  # the worker died or the stream broke
                self._fail(future, exc)
                return
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _fail(self, future: Future[Any], exc: Exception) -> None:
        future.set_exception(exc)
        with self._wake:
            self._broken = True
            rest, self._pending = list(self._pending), deque()
        for f, _, _ in rest:
            if f.set_running_or_notify_cancel():
                f.set_exception(RuntimeError("the fold worker stopped"))

    def close(self, *, kill: bool = False) -> None:
        """Stop feeding, end the worker (at once with ``kill``) and reap it."""
        with self._wake:
            self._closed = True
            if kill:
                for f, _, _ in self._pending:
                    f.cancel()
                self._pending.clear()
            self._wake.notify()
        if kill:
            self._proc.kill()
        self._thread.join()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@contextmanager
def fold_workers(count: int) -> Iterator[FoldPool | None]:
    """A worker started at once (None when ``count`` is 0 or no process can be started).

    On leaving normally the worker finishes what it was given; on an error or Ctrl-C it is
    killed (its folds are no longer wanted).
    """
    if count <= 0 or not sys.executable:
        yield None
        return
    try:
        pool = FoldPool()
    except OSError:  # cannot start a process here: the folds run in this one
        yield None
        return
    try:
        yield pool
    except BaseException:
        pool.close(kill=True)
        raise
    pool.close()


__all__ = ["WARM_MODULES", "FoldPool", "available_cpus", "fold_workers", "worker_count"]
