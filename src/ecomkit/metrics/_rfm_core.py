"""The per-customer reductions behind :func:`ecomkit.metrics.rfm_summary`.

Input: one integer key per row (equal customers, equal keys; key order is customer order), the
purchase time in UTC microseconds and optionally a value. Output, per customer with a row: its key,
its number of distinct periods, its first and last period, and the value summed over its first
period and over the rest.

One sort does the counting: each row becomes ``key · span + period - low`` (a 32-bit integer when it
fits), a plain SIMD sort orders them customer-major, and a scan of the sorted integers finds the
distinct pairs and the customer runs. The value sums need no sort: with each customer's first
period known, ``2 · key + (row in the first period)`` is a slot of one ``np.add.at``.

Everything that touches every row runs in chunks of :data:`ecomkit._threads.CHUNK` rows on two
threads: a chunk's temporaries stay in the core's cache and their memory is recycled, where
whole-column temporaries would each cost fresh pages (at a million rows, as much as the arithmetic).
The value sums are added up in two fixed halves of the rows, so the result does not depend on the
number of threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecomkit._threads import CHUNK, for_chunks
from ecomkit.metrics._codes import KeyArray

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

US_PER_DAY = 86_400_000_000


def periods(us: IntArray, freq: str) -> IntArray:
    """The period index of each UTC microsecond time (days, Monday weeks or months since 1970)."""
    day: IntArray = np.floor_divide(us, US_PER_DAY)
    if freq == "D":
        return day
    if freq == "W":
        day += 3  # 1970-01-01 was a Thursday; weeks start on Monday
        day //= 7
        return day
    month: IntArray = us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    return month


def period_start_day(period: IntArray, freq: str) -> IntArray:
    """The first day (days since 1970) of each period."""
    if freq == "D":
        return period
    if freq == "W":
        start: IntArray = period * 7 - 3
        return start
    days: IntArray = period.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return days


def period_of(us: int, freq: str) -> int:
    """The period of one time."""
    return int(periods(np.array([us], dtype=np.int64), freq)[0])


def period_start_us(period: int, freq: str) -> int:
    """The first microsecond of one period."""
    return int(period_start_day(np.array([period], dtype=np.int64), freq)[0]) * US_PER_DAY


@dataclass(frozen=True)
class Runs:
    """Per customer with a row: its key (ascending), number of distinct periods, first and last period."""

    key: IntArray
    count: IntArray
    first: IntArray
    last: IntArray


def runs(key: KeyArray, us: IntArray, space: int, freq: str) -> Runs:
    """Each customer's distinct periods (count, first, last) among the rows; ``key`` in ``[0, space)``."""
    n = len(key)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return Runs(empty, empty, empty, empty)
    low, high = period_of(int(us.min()), freq), period_of(int(us.max()), freq)
    span = high - low + 1
    if space * span >= 2**62:
        return _runs_lexsort(key, periods(us, freq))
    dtype = np.int32 if space * span < 2**31 else np.int64
    packed = np.empty(n, dtype=dtype)

    def pack(rows: slice) -> None:
        part = packed[rows]
        np.multiply(key[rows], span, out=part, casting="unsafe")
        period = periods(us[rows], freq)
        period -= low
        np.add(part, period, out=part, casting="unsafe")

    for_chunks(pack, n)
    packed.sort()
    return _scan(packed, span, low)


def _scan(packed: npt.NDArray[np.int32] | npt.NDArray[np.int64], span: int, low: int) -> Runs:
    """Customer runs and distinct pairs of sorted ``key · span + period - low`` integers."""
    n = len(packed)
    step = packed.dtype.type(span)
    parts = [slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    starts: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(parts)
    before: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(parts)
    totals = np.zeros(len(parts), dtype=np.int64)

    def scan(rows: slice) -> None:
        index = rows.start // CHUNK
        part = packed[rows]
        owner = np.floor_divide(part, step)
        new_pair = np.empty(len(part), dtype=bool)
        new_owner = np.empty(len(part), dtype=bool)
        if rows.start == 0:
            new_pair[0] = new_owner[0] = True
        else:
            previous = packed[rows.start - 1]
            new_pair[0] = part[0] != previous
            new_owner[0] = owner[0] != previous // step
        np.not_equal(part[1:], part[:-1], out=new_pair[1:])
        np.not_equal(owner[1:], owner[:-1], out=new_owner[1:])
        local = np.flatnonzero(new_owner)
        seen = np.cumsum(new_pair, dtype=np.int64)
        # distinct pairs in this chunk before each customer's first row (which is itself a new pair)
        before[index] = seen[local] - 1
        starts[index] = local + rows.start
        totals[index] = seen[-1]

    for_chunks(scan, n)
    # each chunk counted from zero: shift by the distinct pairs of the chunks before it
    offsets = np.cumsum(totals) - totals
    start = np.concatenate(starts)
    seen_before = np.concatenate([b + o for b, o in zip(before, offsets, strict=True)])
    count = np.diff(seen_before, append=int(totals.sum()))
    end = np.empty_like(start)
    end[:-1] = start[1:] - 1
    end[-1] = n - 1
    first, last = packed[start].astype(np.int64), packed[end].astype(np.int64)
    owners = first // span
    base = owners * span - low
    first -= base
    last -= base
    return Runs(owners, count, first, last)


def _runs_lexsort(key: KeyArray, period: IntArray) -> Runs:
    """:func:`runs` for key and period ranges too large to pack into one integer."""
    order = np.lexsort((period, key))
    sorted_key, sorted_period = key[order], period[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sorted_key[1:] != sorted_key[:-1]) | (sorted_period[1:] != sorted_period[:-1])
    pair_key, pair_period = sorted_key[new], sorted_period[new]
    new_owner = np.ones(len(pair_key), dtype=bool)
    new_owner[1:] = pair_key[1:] != pair_key[:-1]
    start = np.flatnonzero(new_owner)
    end = np.append(start[1:], len(pair_key)) - 1
    return Runs(pair_key[start].astype(np.int64), end - start + 1, pair_period[start], pair_period[end])


def period_sums(
    key: KeyArray, us: IntArray, value: FloatArray, space: int, customers: Runs, freq: str
) -> tuple[FloatArray, FloatArray]:
    """Each customer's (in ``customers``) value summed over its first period, and over the others."""
    first_of = np.zeros(space, dtype=np.int64)
    first_of[customers.key] = customers.first
    # two halves of the rows, each summed in row order: the same sums whatever the thread count
    halves = np.zeros((2, 2 * space), dtype=np.float64)
    middle = (len(key) + 1) // 2

    def add(rows: slice) -> None:
        part = key[rows]
        in_first = np.equal(periods(us[rows], freq), np.take(first_of, part))
        slot = np.add(part, part)
        slot += in_first
        np.add.at(halves[0 if rows.start < middle else 1], slot, value[rows])

    for_chunks(add, len(key), halves=True)
    sums = (halves[0] + halves[1]).reshape(space, 2)
    return np.take(sums[:, 1], customers.key), np.take(sums[:, 0], customers.key)
