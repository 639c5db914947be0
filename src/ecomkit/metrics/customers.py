"""Customer-level metrics and the classic CLV formula."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.metrics.orders import order_metrics
from ecomkit.schema import TIMESTAMP

__all__ = ["CUSTOMER_METRICS", "DAYS_PER_MONTH", "customer_metrics"]

#: The length of a month used wherever days become months: the mean Gregorian month, 365.2425 / 12.
DAYS_PER_MONTH = 365.2425 / 12

_US_PER_DAY = 86_400_000_000

#: The schema :func:`customer_metrics` returns.
CUSTOMER_METRICS = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("as_of", TIMESTAMP, nullable=False),
        pa.field("orders", pa.int64(), nullable=False),
        pa.field("first_order_at", TIMESTAMP),
        pa.field("last_order_at", TIMESTAMP),
        pa.field("revenue", pa.float64()),
        pa.field("average_order_value", pa.float64()),
        pa.field("tenure_days", pa.float64()),
        pa.field("recency_days", pa.float64()),
        pa.field("age_days", pa.float64()),
        pa.field("orders_per_month", pa.float64()),
        pa.field("clv", pa.float64()),
    ]
)


def customer_metrics(
    orders: TableLike,
    *,
    items: TableLike | None = None,
    lifespan_months: float = 36,
    margin: float = 1.0,
    as_of: dt.datetime | None = None,
) -> pa.Table:
    """One row per person: order count, first/last order, AOV, order frequency and classic CLV.

    Reads canonical ``ORDERS`` columns ``order_id``, ``customer_id`` (the person), ``purchased_at`` and
    ``total_amount``. Where ``total_amount`` is null (Olist has none) and ``items`` is given, the order's
    total is taken from :func:`~ecomkit.metrics.orders.order_metrics` of the items (products +
    freight). Orders with a null ``customer_id`` or ``purchased_at``, and orders placed after
    ``as_of``, are left out. Each row of ``orders`` is one order: de-duplicate first.

    Formulas, per customer (a month is :data:`DAYS_PER_MONTH` = 30.436875 days):

    * ``revenue`` = sum of the known order totals, rounded to the cent
    * ``average_order_value`` (AOV) = revenue / number of orders with a known total (null if none)
    * ``as_of`` = the evaluation time (the same on every row; a snapshot key in the warehouse)
    * ``tenure_days`` = last order - first order; ``recency_days`` = ``as_of`` - last order;
      ``age_days`` = ``as_of`` - first order
    * ``orders_per_month`` = orders / max(age in months, 1): orders per month over the span from the
      first order to ``as_of``, a span of at least one month. So a one-order customer first seen
      ``k >= 1`` months ago buys ``1/k`` orders a month, and anyone seen for less than a month counts
      their orders over one month (never an infinite rate)
    * ``clv`` = AOV × orders_per_month × ``lifespan_months`` × ``margin``, rounded to the cent

    Args:
        orders: canonical orders (Arrow, or anything with ``__arrow_c_stream__``).
        items: canonical order lines used to fill missing order totals.
        lifespan_months: the expected customer lifespan in months (> 0).
        margin: the profit margin applied to revenue, in [0, 1] usually (>= 0).
        as_of: the evaluation time (aware; naive means UTC). Defaults to the latest order.

    Returns:
        A table with the schema :data:`CUSTOMER_METRICS`, sorted by ``customer_id``.

    Raises:
        MissingColumnError: a required column is absent (``total_amount`` is needed unless ``items``
            is given).
        ConfigError: ``lifespan_months`` <= 0 or ``margin`` < 0.

    Example:
        >>> import datetime as dt, pyarrow as pa
        >>> t = [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)]
        >>> orders = pa.table({"order_id": ["a", "b"], "customer_id": ["c1", "c1"],
        ...                    "purchased_at": t, "total_amount": [10.0, 30.0]})
        >>> row = customer_metrics(orders, as_of=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)).to_pylist()[0]
        >>> row["orders"], row["average_order_value"]
        (2, 20.0)
    """
    if not lifespan_months > 0:
        raise ConfigError(f"lifespan_months must be > 0; got {lifespan_months!r}")
    if not margin >= 0:
        raise ConfigError(f"margin must be >= 0; got {margin!r}")
    table = to_table(orders, name="orders")
    require_columns(table, ["order_id", "customer_id", "purchased_at"], what="orders")
    if "total_amount" not in table.column_names and items is None:
        raise MissingColumnError("total_amount", table.column_names, what="orders (and no items given)")

    purchased = table.column("purchased_at")
    purchased = purchased.cast(TIMESTAMP) if purchased.type.tz else pc.assume_timezone(purchased, "UTC")
    purchased = purchased.cast(TIMESTAMP)
    if "total_amount" in table.column_names:
        totals = table.column("total_amount").cast(pa.float64())
    else:
        totals = pa.chunked_array([pa.nulls(table.num_rows, pa.float64())])
    base = pa.table(
        {
            "order_id": table.column("order_id").cast(pa.string()),
            "customer_id": table.column("customer_id").cast(pa.string()),
            "purchased_at": purchased,
            "total": totals,
        }
    )
    keep = pc.and_(pc.is_valid(base.column("customer_id")), pc.is_valid(base.column("purchased_at")))
    if as_of is not None:
        as_of_ts = pa.scalar(_utc(as_of), TIMESTAMP)
        keep = pc.and_(keep, pc.less_equal(base.column("purchased_at"), as_of_ts))
    base = base.filter(keep)

    if items is not None and base.column("total").null_count:
        filled = order_metrics(items).select(["order_id", "total_amount"])
        base = base.join(filled, "order_id", join_type="left outer", use_threads=False)
        base = base.set_column(
            base.schema.get_field_index("total"),
            "total",
            pc.coalesce(base.column("total"), base.column("total_amount")),
        ).drop_columns(["total_amount"])

    grouped = base.group_by("customer_id", use_threads=False).aggregate(
        [
            ("order_id", "count", pc.CountOptions(mode="all")),
            ("purchased_at", "min"),
            ("purchased_at", "max"),
            ("total", "sum"),
            ("total", "count"),
        ]
    )
    grouped = grouped.sort_by("customer_id")
    n_orders = grouped.column("order_id_count").to_numpy()
    first = grouped.column("purchased_at_min")
    last = grouped.column("purchased_at_max")
    first_us = first.cast(pa.int64()).to_numpy()
    last_us = last.cast(pa.int64()).to_numpy()
    if as_of is not None:
        as_of_us = int(pa.scalar(_utc(as_of), TIMESTAMP).cast(pa.int64()).as_py())
    else:
        as_of_us = int(last_us.max()) if len(last_us) else 0
    known = grouped.column("total_count").to_numpy()
    revenue = np.nan_to_num(grouped.column("total_sum").to_numpy(zero_copy_only=False).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(known > 0, revenue / np.maximum(known, 1), np.nan)
    tenure = (last_us - first_us) / _US_PER_DAY
    recency = (as_of_us - last_us) / _US_PER_DAY
    age = (as_of_us - first_us) / _US_PER_DAY
    per_month = n_orders / np.maximum(age / DAYS_PER_MONTH, 1.0)
    clv = np.round(aov * per_month * float(lifespan_months) * float(margin), 2)
    has_total = known > 0
    return pa.Table.from_arrays(
        [
            grouped.column("customer_id"),
            pa.array(np.full(len(n_orders), as_of_us, dtype=np.int64)).cast(TIMESTAMP),
            pa.array(n_orders, pa.int64()),
            first,
            last,
            pa.array(np.round(revenue, 2), pa.float64(), mask=~has_total),
            pa.array(np.round(aov, 2), pa.float64(), mask=~has_total),
            pa.array(tenure, pa.float64()),
            pa.array(recency, pa.float64()),
            pa.array(age, pa.float64()),
            pa.array(per_month, pa.float64()),
            pa.array(clv, pa.float64(), mask=~has_total),
        ],
        schema=CUSTOMER_METRICS,
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; naive values are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
