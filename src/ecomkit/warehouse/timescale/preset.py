"""The ready-made warehouse for ecomkit's canonical schema.

``ecommerce()`` builds what the older pipeline promised: ``orders`` and ``order_items`` hypertables with
7-day chunks and ``customer_metrics`` with monthly chunks, compression after 30 days segmented by
``customer_id`` / ``order_id``, retention after 3 years, the continuous aggregates
``hourly_sales_summary`` (refreshed every 10 minutes), ``daily_sales_summary`` (built on the hourly one,
refreshed hourly) and ``monthly_customer_summary`` (refreshed daily), indexes for time-series scans, customer
lookup, high-value orders and product analysis, the helper functions and a read-only role.
"""

from __future__ import annotations

from ecomkit import schema
from ecomkit.errors import SpecError
from ecomkit.metrics import customers as metrics_customers
from ecomkit.warehouse.timescale.spec import (
    Column,
    Compression,
    ContinuousAggregate,
    Hypertable,
    Index,
    Measure,
    ReaderRole,
    RefreshPolicy,
    Reorder,
    Retention,
    Table,
    Warehouse,
)

__all__ = ["CUSTOMER_METRICS", "HIGH_VALUE_ORDER", "PRESETS", "by_name", "ecommerce"]

#: Columns of the ``customer_metrics`` hypertable: one snapshot row per person and ``as_of`` time, exactly
#: what :func:`ecomkit.metrics.customer_metrics` returns.
CUSTOMER_METRICS = metrics_customers.CUSTOMER_METRICS

#: Orders at or above this total (in major currency units) are covered by the high-value index.
HIGH_VALUE_ORDER = 500.0

_RETENTION = Retention("3 years")


def _orders() -> Table:
    columns = [Column(f.name, f.type, f.nullable and f.name != "purchased_at") for f in schema.ORDERS]
    return Table(
        "orders",
        tuple(columns),
        primary_key=("order_id", "purchased_at"),
        hypertable=Hypertable("purchased_at", "7 days"),
        compression=Compression(
            "30 days", segment_by=("customer_id",), order_by=("purchased_at DESC", "order_id")
        ),
        retention=_RETENTION,
        reorder=Reorder("orders_customer_id_purchased_at_idx"),
        indexes=(
            Index(("customer_id", "purchased_at DESC")),
            Index(("status", "purchased_at DESC")),
            Index(
                ("total_amount DESC",),
                name="orders_high_value_idx",
                where=f'"total_amount" >= {HIGH_VALUE_ORDER}',
            ),
        ),
    )


def _order_items() -> Table:
    # Items are partitioned with their order: the order's purchase time rides along as the time column.
    columns = [Column(f.name, f.type, f.nullable) for f in schema.ORDER_ITEMS]
    columns.insert(2, Column("purchased_at", schema.TIMESTAMP, nullable=False))
    return Table(
        "order_items",
        tuple(columns),
        primary_key=("order_id", "line_number", "purchased_at"),
        hypertable=Hypertable("purchased_at", "7 days"),
        compression=Compression(
            "30 days", segment_by=("order_id",), order_by=("purchased_at DESC", "line_number")
        ),
        retention=_RETENTION,
        indexes=(
            Index(("product_id", "purchased_at DESC")),
            Index(("seller_id", "purchased_at DESC")),
        ),
    )


def _customer_metrics() -> Table:
    return Table.from_arrow(
        "customer_metrics",
        CUSTOMER_METRICS,
        primary_key=("customer_id", "as_of"),
        hypertable=Hypertable("as_of", "1 month"),
        compression=Compression("30 days", segment_by=("customer_id",), order_by=("as_of DESC",)),
        retention=_RETENTION,
        indexes=(Index(("clv DESC",), name="customer_metrics_clv_idx"),),
    )


def _aggregates() -> tuple[ContinuousAggregate, ...]:
    return (
        ContinuousAggregate(
            "hourly_sales_summary",
            "orders",
            "1 hour",
            group_by=("currency",),
            measures=(
                Measure("orders", "count"),
                Measure("customers", "count_distinct", "customer_id"),
                Measure("revenue", "sum", "total_amount"),
                Measure("min_order", "min", "total_amount"),
                Measure("max_order", "max", "total_amount"),
            ),
            refresh=RefreshPolicy("1 day", "1 hour", "10 minutes"),
        ),
        ContinuousAggregate(
            "daily_sales_summary",
            "hourly_sales_summary",
            "1 day",
            group_by=("currency",),
            measures=(
                Measure("orders", "sum", "orders"),
                Measure("revenue", "sum", "revenue"),
                Measure("min_order", "min", "min_order"),
                Measure("max_order", "max", "max_order"),
            ),
            refresh=RefreshPolicy("3 days", "1 hour", "1 hour"),
        ),
        ContinuousAggregate(
            "monthly_customer_summary",
            "orders",
            "1 month",
            group_by=("customer_id", "currency"),
            measures=(
                Measure("orders", "count"),
                Measure("revenue", "sum", "total_amount"),
                Measure("avg_order_value", "avg", "total_amount"),
                Measure("first_order_at", "min", "purchased_at"),
                Measure("last_order_at", "max", "purchased_at"),
            ),
            refresh=RefreshPolicy("3 months", "1 day", "1 day"),
        ),
    )


def ecommerce(*, reader: str | None = "ecomkit_reader", helpers: bool = True) -> Warehouse:
    """The warehouse for ecomkit's canonical schema (see the module docstring).

    Args:
        reader: the read-only role to create for BI/ML tools, or ``None`` for none.
        helpers: include the helper functions.

    Returns:
        The :class:`~ecomkit.warehouse.timescale.spec.Warehouse` spec.

    Example:
        >>> wh = ecommerce()
        >>> [t.name for t in wh.tables]
        ['orders', 'order_items', 'customer_metrics']
    """
    return Warehouse(
        (_orders(), _order_items(), _customer_metrics()),
        _aggregates(),
        helpers=helpers,
        reader=None if reader is None else ReaderRole(reader),
    )


#: Presets by name (``ecomkit ddl`` takes these names).
PRESETS = {"ecommerce": ecommerce}


def by_name(name: str) -> Warehouse:
    """The preset called ``name``.

    Raises:
        SpecError: no such preset.
    """
    try:
        return PRESETS[name]()
    except KeyError:
        raise SpecError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None
