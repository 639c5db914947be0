from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ecomkit.cleaning import rules
from ecomkit.errors import ConfigError, MissingColumnError

UTC = dt.timezone.utc


def _passes(rule: rules.Rule, table: pa.Table) -> list[bool]:
    return rule.check(table).to_pylist()


def test_null_passes_every_rule_except_not_null() -> None:
    t = pa.table({"x": pa.array([None, math.nan, -1.0], pa.float64())})
    assert _passes(rules.not_null("x"), t) == [False, False, True]
    for rule in (
        rules.positive("x"),
        rules.non_negative("x"),
        rules.between("x", 0, 1),
        rules.isin("x", [1.0]),
    ):
        assert _passes(rule, t) == [True, True, False], rule.name


def test_single_column_rules_by_hand() -> None:
    t = pa.table({"n": [0, 1, 5, 11], "s": ["ab", "abc", "XY", "ab1"]})
    assert _passes(rules.positive("n"), t) == [False, True, True, True]
    assert _passes(rules.non_negative("n"), t) == [True, True, True, True]
    assert _passes(rules.between("n", 1, 10), t) == [False, True, True, False]
    assert _passes(rules.between("n", None, 5), t) == [True, True, True, False]
    assert _passes(rules.isin("s", ["ab", "XY"]), t) == [True, False, True, False]
    assert _passes(rules.regex("s", "[a-z]+"), t) == [True, True, False, False]  # whole value must match
    assert _passes(rules.max_length("s", 2), t) == [True, False, True, False]


def test_unique_flags_every_copy_and_ignores_missing_keys() -> None:
    t = pa.table({"a": [1, 1, 2, None, None, 3], "b": ["x", "x", "x", "y", "y", "z"]})
    assert _passes(rules.unique("a"), t) == [False, False, True, True, True, True]
    assert _passes(rules.unique("a", "b"), t) == [False, False, True, True, True, True]
    assert _passes(rules.unique("b"), t) == [False, False, False, False, False, True]


def test_cross_field_rules() -> None:
    t = pa.table(
        {
            "total": [10.0, 10.0, 10.0, None, 0.3],
            "items": [8.0, 8.0, 9.0, 1.0, 0.1],
            "freight": [2.0, 1.995, 2.0, 1.0, 0.2],
        }
    )
    assert _passes(rules.sums_to("total", ["items", "freight"]), t) == [True, True, False, True, True]
    kind = pa.timestamp("us", tz="UTC")
    times = pa.table(
        {
            "purchased_at": pa.array([dt.datetime(2024, 1, 2, tzinfo=UTC)] * 3 + [None], kind),
            "delivered_at": pa.array(
                [dt.datetime(2024, 1, 5, tzinfo=UTC), dt.datetime(2024, 1, 1, tzinfo=UTC), None, None], kind
            ),
        }
    )
    assert _passes(rules.ordered("purchased_at", "delivered_at"), times) == [True, False, True, True]


def test_not_future_with_aware_and_naive_columns() -> None:
    now = dt.datetime(2024, 6, 1, tzinfo=UTC)
    aware = pa.table(
        {"t": pa.array([dt.datetime(2024, 5, 1, tzinfo=UTC), dt.datetime(2024, 7, 1, tzinfo=UTC), None])}
    )
    naive = pa.table({"t": pa.array([dt.datetime(2024, 5, 1), dt.datetime(2024, 7, 1), None])})
    assert _passes(rules.not_future("t", now=now), aware) == [True, False, True]
    assert _passes(rules.not_future("t", now=now), naive) == [True, False, True]
    assert rules.not_future("t").dimension == "timeliness"


def test_references_and_custom() -> None:
    products = pa.table({"product_id": ["p1", "p2", None]})
    items = pa.table({"product_id": ["p1", "p3", None], "quantity": [1, 200, 3]})
    rule = rules.references("product_id", products, "product_id", other_name="products")
    assert rule.name == "references(product_id, products.product_id)"
    assert _passes(rule, items) == [True, False, True]
    small = rules.custom("small", lambda t: pc.less(t["quantity"], 100), columns=["quantity"])
    assert _passes(small, items) == [True, False, True]
    with pytest.raises(ConfigError, match="one boolean per row"):
        rules.custom("bad", lambda t: pa.array([True])).check(items)


def test_names_dimensions_severity() -> None:
    assert rules.not_null("customer_id").name == "not_null(customer_id)"
    assert rules.not_null("customer_id", name="has_customer").name == "has_customer"
    assert rules.unique("order_id", "line_number").name == "unique(order_id, line_number)"
    assert rules.positive("x").dimension == "validity"
    assert rules.unique("x").dimension == "uniqueness"
    assert rules.sums_to("t", ["a"]).dimension == "consistency"
    assert rules.not_null("x").dimension == "completeness"
    assert rules.positive("x", severity="warn").severity == "warn"
    with pytest.raises(ConfigError, match="severity"):
        rules.positive("x", severity="fatal")  # type: ignore[arg-type]


def test_type_and_column_errors() -> None:
    t = pa.table({"s": ["a"]})
    with pytest.raises(ConfigError, match="'s'"):
        rules.positive("s").check(t)
    with pytest.raises(MissingColumnError, match="nope"):
        rules.not_null("nope").check(t)
    with pytest.raises(ConfigError, match="pattern"):
        rules.regex("s", "(").check(t)


def test_round_trip_through_dict_and_toml() -> None:
    original = [
        rules.not_null("order_id"),
        rules.unique("order_id", "line_number", severity="warn"),
        rules.between("unit_price", 0, 10_000),
        rules.isin("status", ["delivered", "shipped"]),
        rules.regex("state", "[A-Z]{2}", name="state_code"),
        rules.max_length("city", 40),
        rules.sums_to("total", ["items", "freight"], tolerance=0.05),
        rules.ordered("purchased_at", "delivered_at"),
        rules.positive("quantity"),
        rules.non_negative("freight"),
        rules.not_future("purchased_at"),
    ]
    again = rules.from_dict({"rules": [r.to_dict() for r in original]})
    assert again == original
    toml = """
[[rules]]
check = "between"
column = "quantity"
lo = 1
hi = 100
severity = "warn"

[[rules]]
check = "references"
column = "product_id"
table = "products"
other_column = "product_id"

[[rules]]
check = "custom"
name = "small"
columns = ["quantity"]
dimension = "consistency"
"""
    products = pa.table({"product_id": ["p1"]})
    loaded = rules.from_toml(
        toml, tables={"products": products}, functions={"small": lambda t: pc.less(t["quantity"], 5)}
    )
    assert [r.name for r in loaded] == [
        "between(quantity, 1, 100)",
        "references(product_id, products.product_id)",
        "small",
    ]
    assert loaded[0].severity == "warn"
    assert loaded[2].dimension == "consistency"
    items = pa.table({"product_id": ["p1", "p9"], "quantity": [1, 200]})
    assert [r.check(items).to_pylist() for r in loaded] == [[True, False], [True, False], [True, False]]


def test_from_dict_errors() -> None:
    with pytest.raises(ConfigError, match="unknown check"):
        rules.from_dict([{"check": "sparkles", "column": "x"}])
    with pytest.raises(ConfigError, match="missing or unexpected"):
        rules.from_dict([{"check": "between", "lo": 1}])
    with pytest.raises(ConfigError, match="products"):
        rules.from_dict([{"check": "references", "column": "p", "table": "products", "other_column": "p"}])
    with pytest.raises(ConfigError, match="TOML"):
        rules.from_toml("[[rules]\n")
