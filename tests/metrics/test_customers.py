from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
import pytest

from ecomkit import schema
from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.metrics import customer_metrics

UTC = dt.timezone.utc
MONTH = 365.2425 / 12


def _t(day: int, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, day, tzinfo=UTC)


def _orders() -> pa.Table:
    return pa.table(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5"],
            "customer_id": ["c1", "c1", "c2", None, "c1"],
            "purchased_at": [_t(1), _t(1, 3), _t(10, 4), _t(1), _t(1, 6)],
            "total_amount": [10.0, 30.0, None, 99.0, 1000.0],
        }
    )


def test_formulas_per_person() -> None:
    as_of = _t(1, 5)
    items = pa.table(
        {"order_id": ["o3", "o3"], "quantity": [2, 1], "unit_price": [5.0, 2.5], "freight": [1.0, 0.0]}
    )
    rows = {r["customer_id"]: r for r in customer_metrics(_orders(), items=items, as_of=as_of).to_pylist()}
    assert set(rows) == {"c1", "c2"}  # null customer excluded, o5 after as_of excluded
    c1 = rows["c1"]
    assert c1["orders"] == 2
    assert c1["revenue"] == 40.0
    assert c1["average_order_value"] == 20.0
    assert c1["tenure_days"] == 60.0  # 2024 is a leap year
    assert c1["recency_days"] == 61.0
    assert c1["age_days"] == 121.0
    per_month = 2 / (121 / MONTH)
    assert c1["orders_per_month"] == pytest.approx(per_month)
    assert c1["clv"] == round(20.0 * per_month * 36, 2)
    c2 = rows["c2"]  # one order, filled from items (12.5 + 1.0), seen for less than a month
    assert c2["average_order_value"] == 13.5
    assert c2["orders_per_month"] == 1.0
    assert c2["clv"] == round(13.5 * 1.0 * 36, 2)


def test_lifespan_and_margin_scale_clv() -> None:
    base = customer_metrics(_orders(), as_of=_t(1, 5)).column("clv").to_pylist()
    scaled = customer_metrics(_orders(), as_of=_t(1, 5), lifespan_months=12, margin=0.25)
    assert scaled.column("clv").to_pylist()[0] == pytest.approx(base[0] / 3 / 4, abs=0.01)


def test_default_as_of_is_latest_order() -> None:
    rows = customer_metrics(_orders()).to_pylist()
    assert rows[0]["recency_days"] == 0.0  # c1's last order o5 is the latest


def test_customer_without_known_total_has_null_values() -> None:
    rows = customer_metrics(_orders()).to_pylist()
    c2 = next(r for r in rows if r["customer_id"] == "c2")
    assert c2["orders"] == 1
    assert c2["average_order_value"] is None
    assert c2["clv"] is None


def test_errors_name_the_problem() -> None:
    with pytest.raises(MissingColumnError, match="total_amount"):
        customer_metrics(_orders().drop_columns(["total_amount"]))
    with pytest.raises(ConfigError, match="lifespan_months"):
        customer_metrics(_orders(), lifespan_months=0)
    with pytest.raises(ConfigError, match="margin"):
        customer_metrics(_orders(), margin=-1)


def test_olist_customers_are_people(olist_folder) -> None:
    orders_raw = csv.read_csv(olist_folder / "olist_orders_dataset.csv")
    people = csv.read_csv(olist_folder / "olist_customers_dataset.csv")
    joined = orders_raw.join(people.select(["customer_id", "customer_unique_id"]), "customer_id")
    orders = schema.unify(joined, "olist.orders")
    items = schema.unify(csv.read_csv(olist_folder / "olist_order_items_dataset.csv"), "olist.order_items")
    out = customer_metrics(orders, items=items)
    assert out.num_rows == pc.count_distinct(joined["customer_unique_id"]).as_py()
    assert out.num_rows < orders.num_rows  # some people placed several orders
    assert pc.sum(out["orders"]).as_py() == orders.num_rows
    repeaters = out.filter(pc.greater(out["orders"], 1))
    assert repeaters.num_rows > 0
    assert pc.min(out["clv"]).as_py() >= 0
