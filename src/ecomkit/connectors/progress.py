"""Progress of long reads: rows so far and rate, reported through a hook after every batch.

Every streaming reader in :mod:`ecomkit.connectors` takes ``progress=``, a callable that receives a
:class:`Progress` after each batch it hands on. The CLI turns these calls into a progress bar; a
pipeline can log them or feed a metric.

Example:
    >>> from ecomkit.connectors.progress import Progress, track
    >>> seen = []
    >>> list(track(iter([]), seen.append))
    []
    >>> Progress(rows=1_000, batches=1, elapsed=0.5).rate
    2000.0
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa

__all__ = ["Progress", "ProgressHook", "track"]


@dataclass(frozen=True)
class Progress:
    """A snapshot of a read in flight.

    Attributes:
        rows: rows handed on so far (including the batch just read).
        batches: batches handed on so far.
        elapsed: seconds since the read started.
    """

    rows: int
    batches: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Rows per second so far (0.0 before any time has passed)."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0


#: A callable that receives a :class:`Progress` after each batch.
ProgressHook: TypeAlias = Callable[[Progress], None]


def track(
    batches: Iterable[pa.RecordBatch],
    hook: ProgressHook | None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[pa.RecordBatch]:
    """Pass ``batches`` through unchanged, calling ``hook`` with a :class:`Progress` before each one.

    Args:
        batches: the batches of a read.
        hook: called once per batch; ``None`` passes the batches through untouched.
        clock: the time source (seconds); injectable for tests.

    Returns:
        An iterator over the same batches.
    """
    if hook is None:
        yield from batches
        return
    start = clock()
    rows = 0
    for count, batch in enumerate(batches, 1):
        rows += batch.num_rows
        hook(Progress(rows=rows, batches=count, elapsed=clock() - start))
        yield batch
