"""Order-level metrics from order lines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table

__all__ = ["ORDER_METRICS", "order_metrics"]

#: The schema :func:`order_metrics` returns.
ORDER_METRICS = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("item_count", pa.int64()),
        pa.field("product_total", pa.float64()),
        pa.field("freight_total", pa.float64()),
        pa.field("total_amount", pa.float64()),
    ]
)


def order_metrics(items: TableLike) -> pa.Table:
    """Sum order lines into one row per order.

    Each row of ``items`` is one line in the canonical ``ORDER_ITEMS`` layout: ``quantity`` units at
    ``unit_price`` each plus the line's ``freight``. Olist writes one row per unit (``quantity = 1``), so
    there ``item_count`` is the number of rows; ``line_number`` is never used as a quantity.

    * ``item_count = sum(quantity)``
    * ``product_total = round(sum(quantity * unit_price), 2)``
    * ``freight_total = round(sum(freight), 2)`` — a null ``freight`` counts as 0
    * ``total_amount = round(product_total + freight_total, 2)``

    Sums are taken in float64 and rounded to the cent once, at the end. A null ``quantity`` or
    ``unit_price`` on any line makes that order's ``item_count``/``product_total``/``total_amount``
    null: the value is unknown, and a silent zero would understate it.

    Args:
        items: order lines with at least ``order_id``, ``quantity``, ``unit_price`` (``freight``
            optional).

    Returns:
        A table with the schema :data:`ORDER_METRICS`, sorted by ``order_id``.

    Raises:
        MissingColumnError: a required column is absent.

    Example:
        >>> import pyarrow as pa
        >>> items = pa.table({"order_id": ["o1", "o1", "o2"], "quantity": [1, 2, 1],
        ...                   "unit_price": [10.0, 2.5, 99.9], "freight": [1.0, 1.0, None]})
        >>> order_metrics(items).to_pylist()[0]
        {'order_id': 'o1', 'item_count': 3, 'product_total': 15.0, 'freight_total': 2.0, 'total_amount': 17.0}
    """
    table = to_table(items, name="items")
    require_columns(table, ["order_id", "quantity", "unit_price"], what="items")
    quantity = table.column("quantity").cast(pa.int64())
    price = table.column("unit_price").cast(pa.float64())
    if "freight" in table.column_names:
        freight = pc.fill_null(table.column("freight").cast(pa.float64()), 0.0)
    else:
        freight = pa.chunked_array([pa.array(np.zeros(table.num_rows))], type=pa.float64())
    lines = pa.table(
        {
            "order_id": table.column("order_id").cast(pa.string()),
            "quantity": quantity,
            "value": pc.multiply(quantity.cast(pa.float64()), price),
            "freight": freight,
            "unknown": pc.or_(pc.is_null(quantity), pc.is_null(price)),
        }
    )
    grouped = lines.group_by("order_id", use_threads=False).aggregate(
        [
            ("quantity", "sum"),
            ("value", "sum"),
            ("freight", "sum"),
            ("unknown", "any"),
        ]
    )
    unknown = grouped.column("unknown_any")
    null_int = pa.scalar(None, pa.int64())
    null_float = pa.scalar(None, pa.float64())
    item_count = pc.if_else(unknown, null_int, grouped.column("quantity_sum"))
    product = pc.if_else(unknown, null_float, pc.round(grouped.column("value_sum"), 2))
    freight_total = pc.round(pc.fill_null(grouped.column("freight_sum"), 0.0), 2)
    total = pc.round(pc.add(product, freight_total), 2)
    result = pa.Table.from_arrays(
        [grouped.column("order_id"), item_count, product, freight_total, total], schema=ORDER_METRICS
    )
    return result.sort_by("order_id")
