"""Helper threads for numpy work that releases the GIL (sorts, gathers, element-wise arithmetic).

numpy drops the GIL inside most of its loops, so two threads on two cores really run two array
operations at once. Small inputs run inline: a thread hand-off costs some 50 µs. The number of
threads is the number of cores this process may use, capped by the ``ECOMKIT_THREADS``
environment variable (``ECOMKIT_THREADS=1`` runs everything on the calling thread).

The pool is created per process, so a forked worker (Airflow, Spark, multiprocessing) never waits
on threads that only its parent had.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from ecomkit.errors import ConfigError

T = TypeVar("T")

#: Inputs with fewer rows than this run on the calling thread.
MIN_ROWS = 100_000

_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None
_local = threading.local()  # ``worker`` is set on the pool's own threads
_cap: ContextVar[int | None] = ContextVar("ecomkit_threads_cap", default=None)


@contextmanager
def capped(count: int) -> Iterator[None]:
    """Use at most ``count`` threads inside the block (in this thread's context).

    For callers that parallelize themselves, such as one Python worker per core on a Spark executor:
    ecomkit adding threads there would only oversubscribe the cores.
    """
    token = _cap.set(max(count, 1))
    try:
        yield
    finally:
        _cap.reset(token)


def _mark_worker() -> None:
    _local.worker = True


def _inline() -> bool:
    """Work submitted from a pool thread runs on it: waiting for the pool from inside it could deadlock."""
    return bool(getattr(_local, "worker", False)) or threads() < 2


def threads() -> int:
    """How many threads array work may use: the usable cores, capped by ``ECOMKIT_THREADS`` and
    :func:`capped`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    cap = _cap.get()
    if cap is not None:
        cores = min(cores, cap)
    setting = os.environ.get("ECOMKIT_THREADS", "").strip()
    if not setting:
        return max(cores, 1)
    try:
        cap = int(setting)
    except ValueError:
        raise ConfigError(f"ECOMKIT_THREADS must be a whole number >= 1; got {setting!r}") from None
    if cap < 1:
        raise ConfigError(f"ECOMKIT_THREADS must be a whole number >= 1; got {setting!r}")
    return max(min(cores, cap), 1)


def submit(fn: Callable[..., T], *args: object, rows: int) -> Future[T]:
    """Run ``fn(*args)`` on a helper thread, or right away when ``rows`` is small or there is one core."""
    if rows < MIN_ROWS or _inline():
        done: Future[T] = Future()
        done.set_result(fn(*args))
        return done
    return _executor().submit(fn, *args)


def _executor() -> ThreadPoolExecutor:
    global _pool
    pid, size = os.getpid(), threads() - 1
    with _lock:
        if _pool is None or _pool[0] != pid or _pool[1] != size:
            if _pool is not None and _pool[0] == pid:
                _pool[2].shutdown(wait=False)
            _pool = (pid, size, ThreadPoolExecutor(size, "ecomkit", initializer=_mark_worker))
        return _pool[2]


#: Rows per call in :func:`for_chunks`: temporaries of a chunk stay in the core's cache and are
#: recycled by the allocator, where whole-column temporaries would each cost fresh pages.
CHUNK = 1 << 17


def for_chunks(fn: Callable[[slice], object], rows: int) -> None:
    """Call ``fn`` on consecutive row ranges of at most :data:`CHUNK` rows covering ``range(rows)``.

    The ranges are split into one contiguous group per thread and the groups run at the same time,
    so ``fn`` must only write its own rows of shared outputs. Returns when every call has returned.
    """
    parts = chunks(rows)
    count = max(min(threads(), len(parts)), 1)
    bounds = [len(parts) * i // count for i in range(count + 1)]
    groups = [parts[bounds[i] : bounds[i + 1]] for i in range(count)]

    def run(group: list[slice]) -> None:
        for part in group:
            fn(part)

    if rows < MIN_ROWS or _inline():
        for group in groups:
            run(group)
        return
    jobs = [_executor().submit(run, group) for group in groups[1:]]
    run(groups[0])
    for job in jobs:
        job.result()


def chunks(rows: int) -> list[slice]:
    """Consecutive ranges of at most :data:`CHUNK` rows covering ``range(rows)``."""
    return [slice(at, min(at + CHUNK, rows)) for at in range(0, rows, CHUNK)]
