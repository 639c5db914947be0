"""The per-customer reductions behind :func:`ecomkit.metrics.rfm_summary`.

Input: one integer key per row (equal customers, equal keys; key order is customer order), the
purchase time in UTC microseconds and optionally a value. Output, per customer with a row: its key,
its number of distinct periods, its first and last period, and the value summed over its first
period and over the rest.

One sort does the counting: each row becomes ``key · span + period - low`` (a 32-bit integer when it
fits), a plain SIMD sort orders them customer-major, and a scan of the sorted integers counts each
run's distinct periods. Meanwhile a helper thread counts each key's rows (which places the runs) and
adds up the values, which needs no sort: with each key's first period known (``np.minimum.at``),
``2 · key + (row in the first period)`` is a slot of one ``np.add.at``.

Everything that touches every row runs in chunks of ``ecomkit._threads.CHUNK`` rows: a chunk's
temporaries stay in the core's cache and their memory is recycled, where whole-column temporaries
would each cost fresh pages (at a million rows, as much as the arithmetic). Values are added in row
order, so the result does not depend on the number of threads. ``ufunc.at``, ``np.bincount`` and
``np.cumsum`` hold the GIL: next to the sort (one long call without it) they cost nothing, next to
many short operations they make both threads wait, so they run chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecomkit._threads import chunks, for_chunks, submit
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

    @classmethod
    def of(cls, us: IntArray, freq: str) -> Periods:
        """Periods covering every time in ``us`` (any range when ``us`` is empty)."""
        if not len(us):
            return cls(freq, 0, 0)
        return cls(freq, int(us.min()), int(us.max()))

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


@dataclass(frozen=True)
class Summary:
    """:class:`Runs`, and each customer's value summed over its first period and over the others."""

    runs: Runs
    first_sum: FloatArray | None
    repeat_sum: FloatArray | None


def runs(key: KeyArray, us: IntArray, space: int, period_of_rows: Periods) -> Runs:
    """Each customer's distinct periods (count, first, last) among the rows; ``key`` in ``[0, space)``."""
    return summarize(key, us, None, space, period_of_rows).runs


def summarize(
    key: KeyArray,
    us: IntArray,
    value: FloatArray | None,
    space: int,
    period_of_rows: Periods,
    *,
    with_customers: Callable[[IntArray], object] | None = None,
) -> Summary:
    """:class:`Runs` of the customers and, with ``value``, their first-period and later value sums.

    ``key`` is in ``[0, space)``; ``period_of_rows`` covers every time in ``us``. ``with_customers``,
    if given, is called with the keys present (ascending), on this thread, before ``summarize``
    returns.

    On two threads: this one sorts (one long call that releases the GIL) and then scans the sorted
    rows; the helper meanwhile counts each key's rows, finds each key's first period and adds up
    the values, all with ``ufunc.at``, which holds the GIL. Next to the sort that costs nothing;
    next to the scan the two share the GIL, still faster than one after the other.
    """
    n = len(key)
    low, span = period_of_rows.low, period_of_rows.high - period_of_rows.low + 1
    if not n or space * span >= 2**62:
        return _summarize_lexsorted(key, us, value, space, period_of_rows, with_customers)
    dtype = np.int32 if space * span < 2**31 else np.int64
    packed = np.empty(n, dtype=dtype)

    def pack(rows: slice) -> None:
        part = packed[rows]
        np.multiply(key[rows], span, out=part, casting="unsafe")
        period = period_of_rows(us[rows])
        period -= low
        np.add(part, period, out=part, casting="unsafe")

    def count() -> tuple[IntArray, IntArray]:
        # rows per customer: the sorted rows are these runs, in key order
        rows_of = np.zeros(space, dtype=np.int64)
        for rows in chunks(n):
            np.add.at(rows_of, key[rows], 1)
        present = np.flatnonzero(rows_of)
        return present, rows_of[present]

    def add_up(values: FloatArray) -> FloatArray:
        # each key's first period, then one np.add.at into slot 2·key + (row in the first period);
        # chunk after chunk in row order, so every customer's values are added in row order
        first_of = np.full(space, span, dtype=np.int32)
        periods_of: list[npt.NDArray[np.int32]] = []
        for rows in chunks(n):
            relative = period_of_rows(us[rows])
            relative -= low
            periods_of.append(relative.astype(np.int32))
            np.minimum.at(first_of, key[rows], periods_of[-1])
        sums = np.zeros(2 * space, dtype=np.float64)
        for rows, period in zip(chunks(n), periods_of, strict=True):
            slot = key[rows].astype(np.intp)  # native indices: faster gathers and ufunc.at
            in_first = np.equal(period, np.take(first_of, slot))
            slot += slot
            slot += in_first
            np.add.at(sums, slot, values[rows])
        return sums

    for_chunks(pack, n)
    counted = submit(count, rows=n)
    added = None if value is None else submit(add_up, value, rows=n)
    packed.sort()
    present, lengths = counted.result()
    found = _scan(packed, span, low, present, lengths)
    if with_customers is not None:
        with_customers(present)
    if added is None:
        return Summary(found, None, None)
    sums = added.result()
    both = np.take(sums.reshape(space, 2), present, axis=0)
    return Summary(found, both[:, 1], both[:, 0])


def _summarize_lexsorted(
    key: KeyArray,
    us: IntArray,
    value: FloatArray | None,
    space: int,
    period_of_rows: Periods,
    with_customers: Callable[[IntArray], object] | None,
) -> Summary:
    """:func:`summarize` without threads, for no rows or key and period ranges too large to pack."""
    if len(key):
        found = _runs_lexsort(key, period_of_rows(us))
    else:
        empty = np.zeros(0, dtype=np.int64)
        found = Runs(empty, empty, empty, empty)
    if with_customers is not None:
        with_customers(found.key)
    if value is None:
        return Summary(found, None, None)
    first_of = np.zeros(space, dtype=np.int64)
    first_of[found.key] = found.first
    slot = key.astype(np.intp)
    slot += slot
    slot += np.equal(period_of_rows(us), np.take(first_of, key))
    sums = np.bincount(slot, weights=value, minlength=2 * space).reshape(space, 2)
    both = np.asarray(np.take(sums, found.key, axis=0), dtype=np.float64)
    return Summary(found, both[:, 1], both[:, 0])


def _scan(
    packed: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    span: int,
    low: int,
    owners: IntArray,
    lengths: IntArray,
) -> Runs:
    """Distinct periods of the customer runs (``owners``, ``lengths``) in sorted ``packed``.

    A customer's distinct periods are its rows minus its repeated rows (a row equal to the one
    before it; a run's first row never is one). With ``C`` the running count of repeats, a run
    ``[start, end]`` has ``C[end] - C[start]`` of them; ``C`` is computed chunk by chunk and read
    at the run boundaries that fall in the chunk.
    """
    n = len(packed)
    start = np.cumsum(lengths) - lengths
    end = start + lengths - 1
    at_start = np.empty(len(start), dtype=np.int64)
    at_end = np.empty(len(end), dtype=np.int64)
    parts = chunks(n)
    totals = np.zeros(len(parts), dtype=np.int64)
    bounds = [rows.start for rows in parts]
    first_start = np.searchsorted(start, bounds)  # runs starting in chunk i: [first_start[i], ...[i + 1])
    first_end = np.searchsorted(end, bounds)
    first_start = np.append(first_start, len(start))
    first_end = np.append(first_end, len(end))

    def scan(index: int, rows: slice) -> None:
        begin = max(rows.start - 1, 0)
        window = packed[begin : rows.stop]
        repeats = np.zeros(rows.stop - rows.start, dtype=np.int32)
        np.equal(window[1:], window[:-1], out=repeats[len(repeats) - len(window) + 1 :], casting="unsafe")
        np.cumsum(repeats, out=repeats)
        these = slice(first_start[index], first_start[index + 1])
        at_start[these] = repeats[start[these] - rows.start]
        these = slice(first_end[index], first_end[index + 1])
        at_end[these] = repeats[end[these] - rows.start]
        totals[index] = repeats[-1]

    # on this thread: the helper is busy adding up values (see ``summarize``)
    for index, rows in enumerate(parts):
        scan(index, rows)
    # each chunk counted from zero: shift by the repeats of the chunks before it
    offsets = np.cumsum(totals) - totals
    for index in range(len(parts)):
        at_start[first_start[index] : first_start[index + 1]] += offsets[index]
        at_end[first_end[index] : first_end[index + 1]] += offsets[index]
    count = lengths - (at_end - at_start)
    base = owners * span - low
    first = packed[start].astype(np.int64)
    first -= base
    last = packed[end].astype(np.int64)
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
