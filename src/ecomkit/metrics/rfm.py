"""RFM summaries (the sufficient statistics of the BTYD models) and RFM scores with named segments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.errors import CastError, ConfigError
from ecomkit.metrics import _rfm_core as core
from ecomkit.metrics._codes import KeyArray, customer_keys, dense
from ecomkit.schema import TIMESTAMP

__all__ = ["SEGMENTS", "Freq", "rfm_scores", "rfm_summary"]

#: The period a summary counts in: days, weeks (Monday to Sunday, as pandas' ``W``) or calendar months.
Freq = Literal["D", "W", "M"]

#: How many days one unit of ``T``/``recency`` is, per ``freq``. ``M`` uses numpy's mean month
#: (30.436875 days), as lifetimes did: recency and T are day counts between month starts / 30.436875.
_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12}

#: Segment names by (R score, F score) on a 1..5 scale; row is R - 1, column is F - 1.
SEGMENTS: tuple[tuple[str, ...], ...] = (
    ("hibernating", "hibernating", "at risk", "at risk", "can't lose them"),
    ("hibernating", "hibernating", "at risk", "at risk", "can't lose them"),
    ("about to sleep", "about to sleep", "need attention", "loyal customers", "loyal customers"),
    ("promising", "potential loyalists", "potential loyalists", "loyal customers", "loyal customers"),
    ("new customers", "potential loyalists", "potential loyalists", "champions", "champions"),
)

_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Encoded:
    """Transactions as arrays: customer key, time, value."""

    decode: Callable[[_IntArray], pa.Array]  # customer ids of an array of keys
    key: KeyArray  # per row, in [0, space); key order is customer order
    space: int
    us: _IntArray  # UTC microseconds
    value: _FloatArray | None
    span: tuple[int, int]  # the first and the last time (0, 0 without rows)


def rfm_summary(
    transactions: TableLike,
    *,
    customer_col: str = "customer_id",
    time_col: str = "purchased_at",
    value_col: str | None = None,
    freq: Freq = "D",
    observation_end: dt.datetime | None = None,
    calibration_end: dt.datetime | None = None,
    include_first: bool = False,
) -> pa.Table:
    """Per-customer frequency, recency, T (and monetary value) from a transaction log.

    The semantics are exactly those of lifetimes' ``summary_data_from_transaction_data``: each
    timestamp is floored to its period (``freq``); purchases in the same period merge into one (their
    values add up); transactions in periods after ``observation_end``'s are ignored; then per customer

    * ``frequency`` = number of distinct purchase periods - 1 (repeat periods; all periods with
      ``include_first``)
    * ``recency`` = last period start - first period start, in ``freq`` units
    * ``T`` = ``observation_end``'s period start - first period start, in ``freq`` units
    * ``monetary_value`` = mean value of the repeat periods (all periods with ``include_first``),
      0 for a customer without repeats

    Units: days for ``"D"``, weeks (Monday-Sunday) for ``"W"``, and for ``"M"`` the days between
    month starts / 30.436875 (lifetimes' month), so ``T`` and ``recency`` need not be whole.

    With ``calibration_end``, returns lifetimes' ``calibration_and_holdout_data`` instead:
    ``frequency_cal``, ``recency_cal``, ``T_cal`` (and ``monetary_value_cal``) summarise the
    transactions at or before ``calibration_end`` (which is then their observation end);
    ``frequency_holdout`` counts each calibration customer's distinct purchase periods in
    (``calibration_end``, ``observation_end``], ``monetary_value_holdout`` is the plain mean of those
    transactions' values (0 if none), and ``duration_holdout`` is the number of periods between the two
    ends. Customers first seen in the holdout are not in the result.

    Rows with a null customer or time are left out; a null value counts as 0. From 100,000 rows the
    work is shared between threads (as many as the process may use cores, capped by the
    ``ECOMKIT_THREADS`` environment variable); the result is the same, bit for bit, on any number.

    Args:
        transactions: one row per transaction.
        customer_col: the customer id column (kept, with its name and type, in the result).
        time_col: the purchase time (timestamp or date; naive values are UTC).
        value_col: the transaction value; adds ``monetary_value`` when given.
        freq: the period, ``"D"``, ``"W"`` or ``"M"``.
        observation_end: the end of observation (inclusive, by period). Defaults to the latest
            transaction.
        calibration_end: split into calibration and holdout at this time (inclusive).
        include_first: count the first purchase in ``frequency`` and ``monetary_value``.

    Returns:
        One row per customer, sorted by customer: the customer column, ``frequency`` (int64),
        ``recency``, ``T`` (float64) and optionally ``monetary_value``, or the calibration/holdout
        columns described above.

    Raises:
        MissingColumnError: a named column is absent.
        CastError: ``time_col`` is not a time.
        ConfigError: an unknown ``freq``, or no transaction in the holdout.

    Example:
        >>> import datetime as dt, pyarrow as pa
        >>> day = lambda d: dt.datetime(2024, 1, d, tzinfo=dt.timezone.utc)
        >>> log = pa.table({"customer_id": ["a", "a", "a", "b"], "purchased_at": [day(1), day(1), day(5), day(3)],
        ...                 "amount": [5.0, 5.0, 20.0, 7.0]})
        >>> rfm_summary(log, value_col="amount", observation_end=day(10)).to_pylist()[0]
        {'customer_id': 'a', 'frequency': 1, 'recency': 4.0, 'T': 9.0, 'monetary_value': 20.0}
    """
    if freq not in _UNIT_DAYS:
        raise ConfigError(f"freq must be one of 'D', 'W', 'M'; got {freq!r}")
    table = to_table(transactions, name="transactions")
    require_columns(table, [customer_col, time_col, *([value_col] if value_col else [])], what="transactions")
    enc = _encode(table, customer_col, time_col, value_col)
    if calibration_end is None:
        end_period = core.period_of(_end_us(observation_end, enc), freq)
        # transactions in a period after the end's are ignored
        after = core.period_start_us(end_period + 1, freq)
        mask = enc.us < after if len(enc.us) and enc.span[1] >= after else None
        summary = _summary(enc, mask, end_period, freq, include_first)
        return _assemble(summary, customer_col, value_col is not None, suffix="")
    return _calibration_holdout(
        enc, customer_col, value_col is not None, freq, observation_end, calibration_end, include_first
    )


def _encode(table: pa.Table, customer_col: str, time_col: str, value_col: str | None) -> _Encoded:
    times = _as_utc(table.column(time_col), time_col)
    if table.column(customer_col).null_count or times.null_count:
        keep = pc.and_(pc.is_valid(table.column(customer_col)), pc.is_valid(times))
        table = table.filter(keep)
        times = times.filter(keep)
    keys = customer_keys(table.column(customer_col))
    key, space, decode = keys.key, keys.space, keys.decode
    if space > 2 * len(key) + 4096:
        # sparse keys would make every per-customer table (bincount) larger than the log: rank them
        present, key = dense(key, space)
        space, decode = len(present), lambda codes: keys.decode(present[codes])
    as_int = times.cast(pa.int64())
    us = np.asarray(as_int.to_numpy(), dtype=np.int64)
    first, last = (0, 0) if not len(us) else (int(v.as_py()) for v in pc.min_max(as_int).values())
    value: _FloatArray | None = None
    if value_col is not None:
        raw = np.asarray(
            table.column(value_col).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        value = np.nan_to_num(raw, nan=0.0) if np.isnan(raw).any() else raw
    return _Encoded(decode, key, space, us, value, (first, last))


def _as_utc(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    try:
        if pa.types.is_timestamp(column.type):
            if column.type.tz is None:
                return pc.assume_timezone(column, "UTC").cast(TIMESTAMP)
            return column.cast(TIMESTAMP)
        if pa.types.is_date(column.type):
            return column.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        return _as_utc(column.cast(pa.timestamp("us")), name)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        sample = column.drop_null()
        raise CastError(name, sample[0].as_py() if len(sample) else None, str(TIMESTAMP)) from None


def _end_us(end: dt.datetime | None, enc: _Encoded) -> int:
    if end is None:
        return enc.span[1]
    aware = end if end.tzinfo is not None else end.replace(tzinfo=dt.timezone.utc)
    return int(pa.scalar(aware.astimezone(dt.timezone.utc), TIMESTAMP).cast(pa.int64()).as_py())


@dataclass(frozen=True)
class _Summary:
    code: _IntArray  # customer keys, ascending
    ids: pa.Array  # the customer ids of ``code``
    frequency: _IntArray
    recency: _FloatArray
    T: _FloatArray
    monetary: _FloatArray | None


def _summary(
    enc: _Encoded, mask: npt.NDArray[np.bool_] | None, end_period: int, freq: str, include_first: bool
) -> _Summary:
    key, us, value = enc.key, enc.us, enc.value
    if mask is not None:
        key, us = key[mask], us[mask]
        value = None if value is None else value[mask]
    period_of_rows = core.Periods(freq, *enc.span) if mask is None else core.Periods.of(us, freq)
    decoded: list[pa.Array] = []
    found = core.summarize(
        key,
        us,
        value,
        enc.space,
        period_of_rows,
        with_customers=lambda keys: decoded.append(enc.decode(keys)),
    )
    customers, count = found.runs, found.runs.count
    monetary = None
    if found.first_sum is not None and found.repeat_sum is not None:
        if include_first:
            monetary = (found.repeat_sum + found.first_sum) / count
        else:
            # a customer without repeat periods has a repeat sum of exactly 0: 0 / 1
            monetary = found.repeat_sum / np.maximum(count - 1, 1)
    unit = _UNIT_DAYS[freq]
    first_day = core.period_start_day(customers.first, freq)
    last_day = core.period_start_day(customers.last, freq)
    end_day = core.period_start_day(np.array([end_period], dtype=np.int64), freq)[0]
    return _Summary(
        code=customers.key,
        ids=decoded[0],
        frequency=count if include_first else count - 1,
        recency=(last_day - first_day) / unit,
        T=(end_day - first_day) / unit,
        monetary=monetary,
    )


def _assemble(s: _Summary, customer_col: str, with_value: bool, *, suffix: str) -> pa.Table:
    columns: dict[str, pa.Array] = {
        customer_col: s.ids,
        f"frequency{suffix}": pa.array(s.frequency, pa.int64()),
        f"recency{suffix}": pa.array(s.recency, pa.float64()),
        f"T{suffix}": pa.array(s.T, pa.float64()),
    }
    if with_value and s.monetary is not None:
        columns[f"monetary_value{suffix}"] = pa.array(s.monetary, pa.float64())
    return pa.table(columns)


def _calibration_holdout(
    enc: _Encoded,
    customer_col: str,
    with_value: bool,
    freq: Freq,
    observation_end: dt.datetime | None,
    calibration_end: dt.datetime,
    include_first: bool,
) -> pa.Table:
    cal_us = _end_us(calibration_end, enc)
    obs_us = _end_us(observation_end, enc)
    cal_period, obs_period = core.period_of(cal_us, freq), core.period_of(obs_us, freq)
    in_cal = enc.us <= cal_us
    cal = _summary(enc, in_cal, cal_period, freq, include_first)
    table = _assemble(cal, customer_col, with_value, suffix="_cal")

    in_holdout = (enc.us > cal_us) & (enc.us <= obs_us)
    if not in_holdout.any():
        raise ConfigError(
            "no transaction falls in the holdout (calibration_end, observation_end]; "
            f"check calibration_end={calibration_end!r} and observation_end={observation_end!r}"
        )
    n_customers = enc.space
    holdout_us = enc.us[in_holdout]
    holdout = core.runs(enc.key[in_holdout], holdout_us, n_customers, core.Periods.of(holdout_us, freq))
    hold_freq = np.zeros(n_customers, dtype=np.int64)
    hold_freq[holdout.key] = holdout.count
    hold_freq = hold_freq[cal.code]
    table = table.append_column("frequency_holdout", pa.array(hold_freq.astype(np.int64)))
    if with_value and enc.value is not None:
        codes = enc.key[in_holdout]
        n_tx = np.bincount(codes, minlength=n_customers)[cal.code]
        total = np.bincount(codes, weights=enc.value[in_holdout], minlength=n_customers)[cal.code]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n_tx > 0, total / np.maximum(n_tx, 1), 0.0)
        table = table.append_column("monetary_value_holdout", pa.array(mean, pa.float64()))
    duration = float(obs_period - cal_period)
    return table.append_column("duration_holdout", pa.array(np.full(table.num_rows, duration)))


def rfm_scores(
    summary: TableLike,
    *,
    bins: int = 5,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_col: str | None = "monetary_value",
) -> pa.Table:
    """Quantile R, F and M scores (1..``bins``) and a named segment for each customer.

    Scores come from ranks, so equal values always get equal scores: a customer's score is
    ``floor(bins * (rank - 1) / n) + 1`` with ``rank`` the lowest 1-based rank among ties. R scores
    the time since the last purchase, ``T - recency`` (more recent is higher), F scores
    ``frequency``, M scores ``monetary_col`` (skipped when the column is absent or ``None``).
    ``segment`` names the (R, F) pair on a 1..5 scale (scores are rescaled to it when ``bins`` != 5)
    by the widely used map in :data:`SEGMENTS`: ``champions``, ``loyal customers``, ``potential
    loyalists``, ``new customers``, ``promising``, ``need attention``, ``about to sleep``,
    ``at risk``, ``can't lose them``, ``hibernating``.

    Args:
        summary: an :func:`rfm_summary` table (or any table with these columns).
        bins: the number of score levels (2..100).
        frequency_col: the frequency column.
        recency_col: the recency column.
        T_col: the customer age column.
        monetary_col: the monetary column, or ``None``.

    Returns:
        ``summary`` plus ``r_score``, ``f_score``, (``m_score``), ``rfm_score`` (e.g. ``"545"``,
        ``"54"`` without M) and ``segment``.

    Raises:
        MissingColumnError: a named column is absent.
        ConfigError: ``bins`` outside 2..100.
    """
    if not 2 <= bins <= 100:
        raise ConfigError(f"bins must be between 2 and 100; got {bins!r}")
    table = to_table(summary, name="summary")
    require_columns(table, [frequency_col, recency_col, T_col], what="summary")
    use_m = monetary_col is not None and monetary_col in table.column_names

    def col(name: str) -> _FloatArray:
        return np.asarray(table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)

    since_last = col(T_col) - col(recency_col)
    r = _score(-since_last, bins)
    f = _score(col(frequency_col), bins)
    scores = {"r_score": r, "f_score": f}
    if use_m and monetary_col is not None:
        scores["m_score"] = _score(col(monetary_col), bins)
    for name, values in scores.items():
        table = table.append_column(name, pa.array(values.astype(np.int16)))
    text = pc.binary_join_element_wise(*[pa.array(values.astype(str)) for values in scores.values()], "")
    r5 = np.ceil(r * 5 / bins).astype(np.int64) - 1
    f5 = np.ceil(f * 5 / bins).astype(np.int64) - 1
    names = np.array(SEGMENTS, dtype=object)[np.clip(r5, 0, 4), np.clip(f5, 0, 4)]
    table = table.append_column("rfm_score", text)
    return table.append_column("segment", pa.array(names, pa.string()))


def _score(values: _FloatArray, bins: int) -> _IntArray:
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64)
    values = np.nan_to_num(values, nan=-np.inf)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    first_of_tie = np.searchsorted(sorted_values, sorted_values, side="left")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = first_of_tie  # 0-based lowest rank among ties
    return np.asarray(rank * bins // n + 1, dtype=np.int64)
