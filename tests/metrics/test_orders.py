from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit import schema
from ecomkit.errors import MissingColumnError
from ecomkit.metrics import order_metrics


def test_sums_lines_per_order_and_rounds_to_cents() -> None:
    items = pa.table(
        {
            "order_id": ["b", "a", "a", "b"],
            "line_number": [1, 1, 2, 2],
            "quantity": [3, 1, 2, 1],
            "unit_price": [0.1, 19.99, 5.005, 0.2],
            "freight": [1.111, 2.0, 0.5, None],
        }
    )
    got = order_metrics(items).to_pylist()
    assert got == [
        {"order_id": "a", "item_count": 3, "product_total": 30.0, "freight_total": 2.5, "total_amount": 32.5},
        {"order_id": "b", "item_count": 4, "product_total": 0.5, "freight_total": 1.11, "total_amount": 1.61},
    ]


def test_unknown_quantity_or_price_makes_the_order_unknown() -> None:
    items = pa.table({"order_id": ["a", "a"], "quantity": [1, None], "unit_price": [5.0, 1.0]})
    row = order_metrics(items).to_pylist()[0]
    assert row["item_count"] is None
    assert row["total_amount"] is None
    assert row["freight_total"] == 0.0


def test_missing_column_is_named() -> None:
    with pytest.raises(MissingColumnError, match="unit_price"):
        order_metrics(pa.table({"order_id": ["a"], "quantity": [1]}))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(1, 5), st.integers(0, 100_000)),
        min_size=1,
        max_size=60,
    )
)
def test_totals_equal_the_sum_of_lines(rows: list[tuple[str, int, int]]) -> None:
    items = pa.table(
        {
            "order_id": [r[0] for r in rows],
            "quantity": [r[1] for r in rows],
            "unit_price": [r[2] / 100 for r in rows],
        }
    )
    out = order_metrics(items)
    assert out.num_rows == len({r[0] for r in rows})
    assert pc.sum(out.column("item_count")).as_py() == sum(r[1] for r in rows)
    expected_cents = sum(r[1] * r[2] for r in rows)
    assert round(pc.sum(out.column("product_total")).as_py() * 100) == expected_cents


def test_olist_order_totals_match_payments(olist_folder) -> None:
    items = schema.unify(csv.read_csv(olist_folder / "olist_order_items_dataset.csv"), "olist.order_items")
    metrics = order_metrics(items)
    raw = csv.read_csv(olist_folder / "olist_order_items_dataset.csv")
    assert pc.sum(metrics.column("item_count")).as_py() == raw.num_rows  # one row per unit
    payments = csv.read_csv(olist_folder / "olist_order_payments_dataset.csv")
    paid = payments.group_by("order_id").aggregate([("payment_value", "sum")])
    joined = metrics.join(paid, "order_id")
    close = pc.less_equal(pc.abs(pc.subtract(joined["total_amount"], joined["payment_value_sum"])), 0.011)
    assert pc.sum(close).as_py() / joined.num_rows > 0.98
