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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecomkit._threads import CHUNK, for_chunks, submit
from ecomkit.metrics._codes import KeyArray

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

US_PER_DAY = 86_400_000_000


def periods(us: IntArray, freq: str) -> IntArray:
    """The period index of each UTC microsecond time (days, Monday weeks or months since 1970)."""
    if freq == "D":
        day: IntArray = np.floor_divide(us, US_PER_DAY)
        return day
    if freq == "W":
        # floor((floor(us / day) + 3) / 7) in one division: 1970-01-01 was a Thursday, weeks start Monday
        shifted = np.add(us, 3 * US_PER_DAY)
        week: IntArray = np.floor_divide(shifted, 7 * US_PER_DAY, out=shifted)
        return week
    month: IntArray = us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    return month


class Periods:
    """:func:`periods` for times in ``[us_min, us_max]``; months through a per-day table.

    numpy's datetime64 month conversion costs some 35 ns a row; a table of each day's month over
    the range (a few thousand days) turns it into a division and a gather.
    """

    #: Longest day range given a month table (about 27,000 years); wider ranges convert per row.
    MAX_TABLE_DAYS = 10_000_000

    def __init__(self, freq: str, us_min: int, us_max: int) -> None:
        self.freq = freq
        self.low = period_of(us_min, freq)
        self.high = period_of(us_max, freq)
        self._first_day = us_min // US_PER_DAY
        self._months: IntArray | None = None
        days = us_max // US_PER_DAY - self._first_day + 1
        if freq == "M" and days <= self.MAX_TABLE_DAYS:
            day = np.arange(self._first_day, self._first_day + days, dtype=np.int64)
            self._months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)

    def __call__(self, us: IntArray) -> IntArray:
        """The period of each time (all within the range given at construction)."""
        if self._months is None:
            return periods(us, self.freq)
        day = np.floor_divide(us, US_PER_DAY)
        day -= self._first_day
        month: IntArray = np.take(self._months, day)
        return month


def period_start_day(period: IntArray, freq: str) -> IntArray:
    """The first day (days since 1970) of each period."""
    if freq == "D":
        return period
    if freq == "W":
        start: IntArray = period * 7 - 3
        return start
    if len(period) > 64:
        # one datetime64 conversion per distinct month, not per row (some 35 ns each)
        low = int(period.min())
        months = np.arange(low, int(period.max()) + 1, dtype=np.int64)
        table = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        first_days: IntArray = np.take(table, period - low)
        return first_days
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


def runs(
    key: KeyArray, us: IntArray, space: int, freq: str, *, alongside: Callable[[], object] | None = None
) -> Runs:
    """Each customer's distinct periods (count, first, last) among the rows; ``key`` in ``[0, space)``.

    ``alongside``, if given, runs on the helper thread while the sort (which releases the GIL) runs
    on this one; it has returned when ``runs`` returns.
    """
    n = len(key)
    if not n:
        if alongside is not None:
            alongside()
        empty = np.zeros(0, dtype=np.int64)
        return Runs(empty, empty, empty, empty)
    period_of_rows = Periods(freq, int(us.min()), int(us.max()))
    low, span = period_of_rows.low, period_of_rows.high - period_of_rows.low + 1
    if space * span >= 2**62:
        if alongside is not None:
            alongside()
        return _runs_lexsort(key, period_of_rows(us))
    dtype = np.int32 if space * span < 2**31 else np.int64
    packed = np.empty(n, dtype=dtype)

    def pack(rows: slice) -> None:
        part = packed[rows]
        np.multiply(key[rows], span, out=part, casting="unsafe")
        period = period_of_rows(us[rows])
        period -= low
        np.add(part, period, out=part, casting="unsafe")

    for_chunks(pack, n)
    job = None if alongside is None else submit(alongside, rows=n)
    packed.sort()
    if job is not None:
        job.result()
    return _scan(packed, span, low)


def _scan(packed: npt.NDArray[np.int32] | npt.NDArray[np.int64], span: int, low: int) -> Runs:
    """Customer runs and distinct pairs of sorted ``key · span + period - low`` integers.

    A customer's distinct periods are its rows minus its repeated rows (a row equal to the one
    before it), counted with a running sum of the repeat flags read at the run boundaries.
    """
    n = len(packed)
    step = packed.dtype.type(span)
    parts = [slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    starts: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(parts)
    repeats_before: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(parts)
    repeats = np.zeros(len(parts), dtype=np.int64)

    def scan(rows: slice) -> None:
        # compare each row with the one before it, the chunk's first row with the previous chunk's last
        begin = max(rows.start - 1, 0)
        window = packed[begin : rows.stop]
        owner = np.floor_divide(window, step)
        new_owner = np.not_equal(owner[1:], owner[:-1])
        seen = np.cumsum(np.equal(window[1:], window[:-1]), dtype=np.int32)
        local = np.flatnonzero(new_owner)
        index = rows.start // CHUNK
        starts[index] = local + (begin + 1)
        # repeats in this chunk before each run start (the start row itself is never a repeat)
        repeats_before[index] = seen[local].astype(np.int64)
        repeats[index] = int(seen[-1]) if len(seen) else 0

    for_chunks(scan, n)
    offsets = np.cumsum(repeats) - repeats  # repeats in the chunks before each chunk
    start = np.concatenate([np.zeros(1, dtype=np.int64), *starts])
    before = np.concatenate(
        [np.zeros(1, dtype=np.int64), *(b + o for b, o in zip(repeats_before, offsets, strict=True))]
    )
    end = np.empty_like(start)
    end[:-1] = start[1:] - 1
    end[-1] = n - 1
    count = end - start + 1
    count -= np.diff(before, append=int(repeats.sum()))
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
    period_of_rows = Periods(freq, int(us.min()), int(us.max())) if len(us) else None
    # two halves of the rows, each summed in row order: the same sums whatever the thread count
    halves = np.zeros((2, 2 * space), dtype=np.float64)
    middle = (len(key) + 1) // 2

    def add(rows: slice) -> None:
        part = key[rows]
        assert period_of_rows is not None
        in_first = np.equal(period_of_rows(us[rows]), np.take(first_of, part))
        slot = np.add(part, part)
        slot += in_first
        np.add.at(halves[0 if rows.start < middle else 1], slot, value[rows])

    for_chunks(add, len(key), halves=True)
    sums = (halves[0] + halves[1]).reshape(space, 2)
    return np.take(sums[:, 1], customers.key), np.take(sums[:, 0], customers.key)
