"""Order, customer and RFM metrics on Spark DataFrames, per key through ``groupBy(...).applyInArrow``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from ecomkit import metrics
from ecomkit._threads import capped
from ecomkit.adapters.spark._frames import (
    SEQ,
    as_of_instant,
    by_key,
    in_input_order,
    max_instant,
    spark_schema,
    to_arrow,
    with_seq,
)
from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.metrics import BetaGeo, GammaGamma, ParetoNBD
from ecomkit.metrics.customers import CUSTOMER_METRICS
from ecomkit.metrics.orders import ORDER_METRICS
from ecomkit.metrics.rfm import Freq

__all__ = ["customer_metrics", "fit", "order_metrics", "rfm_summary"]

_Model = TypeVar("_Model", BetaGeo, ParetoNBD, GammaGamma)


def _require(df: DataFrame, columns: Sequence[str], *, what: str) -> None:
    for column in columns:
        if column not in df.columns:
            raise MissingColumnError(column, list(df.columns), what=what)


def order_metrics(items: DataFrame) -> DataFrame:
    """:func:`ecomkit.metrics.order_metrics` on Spark: one row per order, each order computed where its lines are.

    Lines are grouped by ``order_id`` (``groupBy().applyInArrow``) and every group is handed, in the
    DataFrame's row order, to the single-machine function, so each order's row equals the one-machine row.

    Args:
        items: order lines with ``order_id``, ``quantity``, ``unit_price`` (``freight`` optional).

    Returns:
        A DataFrame with the schema of ``ecomkit.metrics.orders.ORDER_METRICS`` (unordered).

    Raises:
        MissingColumnError: a required column is absent.

    Example:
        >>> totals = order_metrics(items_df)  # doctest: +SKIP
    """
    _require(items, ["order_id", "quantity", "unit_price"], what="items")
    columns = ["order_id", "quantity", "unit_price", *(["freight"] if "freight" in items.columns else [])]
    source = items.select(*columns)

    def per_order(table: pa.Table) -> pa.Table:
        return metrics.order_metrics(in_input_order(table))

    return by_key(source, ["order_id"]).applyInArrow(per_order, spark_schema(ORDER_METRICS))


def customer_metrics(
    orders: DataFrame,
    *,
    items: DataFrame | None = None,
    lifespan_months: float = 36,
    margin: float = 1.0,
    as_of: dt.datetime | None = None,
) -> DataFrame:
    """:func:`ecomkit.metrics.customer_metrics` on Spark: one row per person, equal to the one-machine result.

    ``as_of`` (default: the latest order with a customer) is fixed on the driver before the per-customer
    run, so every group measures recency and age from the same instant. Missing order totals are filled from
    :func:`order_metrics` of ``items`` by a join on ``order_id``, as on one machine.

    Args:
        orders: canonical orders (``order_id``, ``customer_id``, ``purchased_at``, ``total_amount``).
        items: canonical order lines used to fill missing order totals.
        lifespan_months: the expected customer lifespan in months (> 0).
        margin: the profit margin applied to revenue (>= 0).
        as_of: the evaluation time (aware; naive means UTC).

    Returns:
        A DataFrame with the schema of ``ecomkit.metrics.customers.CUSTOMER_METRICS`` (unordered).

    Raises:
        MissingColumnError: a required column is absent.
        ConfigError: ``lifespan_months`` <= 0 or ``margin`` < 0.
    """
    if not lifespan_months > 0:
        raise ConfigError(f"lifespan_months must be > 0; got {lifespan_months!r}")
    if not margin >= 0:
        raise ConfigError(f"margin must be >= 0; got {margin!r}")
    _require(orders, ["order_id", "customer_id", "purchased_at"], what="orders")
    if "total_amount" not in orders.columns and items is None:
        raise MissingColumnError("total_amount", list(orders.columns), what="orders (and no items given)")
    total: Column = (
        F.col("total_amount").cast("double")
        if "total_amount" in orders.columns
        else F.lit(None).cast("double")
    )
    base = with_seq(orders).select(
        "order_id", "customer_id", "purchased_at", total.alias("total_amount"), SEQ
    )
    base = base.where(F.col("customer_id").isNotNull() & F.col("purchased_at").isNotNull())
    if items is not None:
        filled = order_metrics(items).select("order_id", F.col("total_amount").alias("__items_total"))
        base = (
            base.join(filled, on="order_id", how="left")
            .withColumn("total_amount", F.coalesce(F.col("total_amount"), F.col("__items_total")))
            .drop("__items_total")
        )
    end = as_of_instant(as_of) if as_of is not None else max_instant(base, "purchased_at")
    months, share = float(lifespan_months), float(margin)

    def per_customer(table: pa.Table) -> pa.Table:
        return metrics.customer_metrics(
            in_input_order(table), lifespan_months=months, margin=share, as_of=end
        )

    return by_key(base, ["customer_id"]).applyInArrow(per_customer, spark_schema(CUSTOMER_METRICS))


def rfm_summary(
    transactions: DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "purchased_at",
    value_col: str | None = None,
    freq: Freq = "D",
    observation_end: dt.datetime | None = None,
    include_first: bool = False,
) -> DataFrame:
    """:func:`ecomkit.metrics.rfm_summary` on Spark: frequency, recency, T (and monetary value) per customer.

    ``observation_end`` (default: the latest transaction with a customer) is fixed on the driver before the
    per-customer run, so ``T`` is measured from the same end in every group and equals the one-machine value.

    Args:
        transactions: one row per transaction.
        customer_col: the customer id column.
        time_col: the purchase time (timestamp or date).
        value_col: the transaction value; adds ``monetary_value``.
        freq: the period, ``"D"``, ``"W"`` or ``"M"``.
        observation_end: the end of observation (inclusive, by period).
        include_first: count the first purchase in ``frequency`` and ``monetary_value``.

    Returns:
        A DataFrame: the customer column, ``frequency`` (long), ``recency``, ``T`` and optionally
        ``monetary_value`` (double), unordered.

    Raises:
        MissingColumnError: a named column is absent.
        ConfigError: an unknown ``freq``.
    """
    if freq not in ("D", "W", "M"):
        raise ConfigError(f"freq must be one of 'D', 'W', 'M'; got {freq!r}")
    needed = [customer_col, time_col, *([value_col] if value_col else [])]
    _require(transactions, needed, what="transactions")
    base = transactions.select(*needed)
    base = base.where(F.col(customer_col).isNotNull() & F.col(time_col).isNotNull())
    end = as_of_instant(observation_end) if observation_end is not None else max_instant(base, time_col)
    if end is not None:
        # rows in periods after the end's never count; dropping them here also keeps a customer seen only
        # later out of the per-customer run, as on one machine
        bound = _next_period_start(end, freq)
        base = base.where(F.col(time_col).cast("timestamp") < F.lit(bound))
    fields = [
        StructField(customer_col, transactions.schema[customer_col].dataType, True),
        StructField("frequency", LongType(), True),
        StructField("recency", DoubleType(), True),
        StructField("T", DoubleType(), True),
    ]
    if value_col is not None:
        fields.append(StructField("monetary_value", DoubleType(), True))

    def per_customer(table: pa.Table) -> pa.Table:
        # Spark runs one Python worker per core: ecomkit's own threads would oversubscribe them
        with capped(1):
            return metrics.rfm_summary(
                in_input_order(table),
                customer_col=customer_col,
                time_col=time_col,
                value_col=value_col,
                freq=freq,
                observation_end=end,
                include_first=include_first,
            )

    return by_key(base, [customer_col]).applyInArrow(per_customer, StructType(fields))


def _next_period_start(end: dt.datetime, freq: Freq) -> dt.datetime:
    """The first instant of the period after the one holding ``end`` (UTC days, Monday weeks, months)."""
    day = end.astimezone(dt.timezone.utc).date()
    if freq == "D":
        nxt = day + dt.timedelta(days=1)
    elif freq == "W":
        nxt = day + dt.timedelta(days=7 - day.weekday())
    else:
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=dt.timezone.utc)


def fit(model: type[_Model], summary: DataFrame, **options: Any) -> _Model:
    """Fit a CLV model (``BetaGeo``, ``ParetoNBD``, ``GammaGamma``) on a per-customer summary DataFrame.

    The summary is one row per customer with a few numbers, small next to the transactions: only the
    numeric columns are collected to the driver (as Arrow, in customer order) and handed to the model's own
    ``fit``, so the fitted parameters equal the one-machine fit on the same summary.

    Args:
        model: the model class, e.g. ``ecomkit.metrics.BetaGeo``.
        summary: e.g. the result of :func:`rfm_summary`.
        **options: passed to ``model.fit`` (``penalizer``, column names).

    Returns:
        The fitted model.
    """
    numeric = [f.name for f in summary.schema.fields if isinstance(f.dataType, (LongType, DoubleType))]
    keys = [f.name for f in summary.schema.fields if f.name not in numeric]
    # the one-machine summary is sorted by customer; the same order gives the optimizer the same sums
    ordered = summary.orderBy(*keys) if keys else summary
    return model.fit(to_arrow(ordered.select(*numeric)), **options)
