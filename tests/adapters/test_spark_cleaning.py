"""Spark cleaning steps equal the single-machine ones (synthetic data with defects, the Olist sample)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyspark", reason="the Spark adapter tests need the 'spark' extra (PySpark 4)")

from pyspark.sql import SparkSession
from spark_support import LAYOUTS, frame

from ecomkit import cleaning, datasets
from ecomkit.adapters import spark as eks
from ecomkit.cleaning import rules
from ecomkit.pipeline.stages import ITEM_RULES

ITEM_ORDER = [("order_id", "ascending"), ("line_number", "ascending"), ("unit_price", "ascending")]


@pytest.fixture(scope="module")
def synth() -> datasets.SyntheticData:
    return datasets.synthetic(1500, seed=5)


def items_of(request: pytest.FixtureRequest, source: str) -> pa.Table:
    if source == "synthetic":
        return request.getfixturevalue("synth").order_items
    return request.getfixturevalue("olist")["order_items"]


CHECKS = [
    *ITEM_RULES,
    rules.not_null("unit_price"),
    rules.between("freight", 0, 500, severity="warn"),
    rules.unique("order_id", "line_number"),
    rules.not_future(
        "shipping_limit_at", now=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc), severity="warn"
    ),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("source", ["synthetic", "olist"])
def test_validate_equals_single_machine(
    spark: SparkSession, request: pytest.FixtureRequest, source: str, layout: str
) -> None:
    df, items = frame(spark, items_of(request, source), layout)
    result = eks.validate(df, CHECKS)
    expected = cleaning.validate(items, CHECKS)
    by_row = [("row", "ascending"), ("rule", "ascending")]
    assert eks.to_arrow(result.invalid).sort_by(by_row).equals(expected.invalid.sort_by(by_row))
    assert eks.to_arrow(result.warnings).sort_by(by_row).equals(expected.warnings.sort_by(by_row))
    assert eks.to_arrow(result.valid).sort_by(ITEM_ORDER).equals(expected.valid.sort_by(ITEM_ORDER))
    assert result.counts() == {name: n for name, n in expected.failures.items() if n}
    if source == "synthetic":
        assert expected.invalid.num_rows > 0  # the defects are there to be found


def test_validate_rejects_bad_rules_on_the_driver(spark: SparkSession, synth: datasets.SyntheticData) -> None:
    from ecomkit.errors import ConfigError, MissingColumnError

    df = eks.to_spark(spark, synth.order_items)
    with pytest.raises(ConfigError, match="unique"):
        eks.validate(df, [rules.positive("quantity"), rules.positive("quantity")])
    with pytest.raises(MissingColumnError, match="nope"):
        eks.validate(df, [rules.positive("nope")])


def test_coerce_equals_single_machine(spark: SparkSession) -> None:
    raw = pa.table(
        {
            "id": [str(i) for i in range(40)],
            "price": ["1.50", "abc", None, "2.25", "-1"] * 8,
            "at": ["2024-01-01 10:00:00", "2024-13-01", None, "2024-02-29 00:00:00", "x"] * 8,
            "amount": ["12.34", "1e400", "7", None, "0.015"] * 8,
        }
    )
    target = pa.schema(
        [("price", pa.float64()), ("at", pa.timestamp("us", "UTC")), ("amount", pa.decimal128(10, 2))]
    )
    df, table = frame(spark, raw, "spread")
    result = eks.coerce(df, target)
    expected = cleaning.coerce(table, target)
    valid = eks.to_arrow(result.valid)
    assert valid.schema.field("amount").type == pa.decimal128(10, 2)
    assert valid.sort_by("id").equals(expected.valid.sort_by("id"))
    by_row = [("row", "ascending"), ("rule", "ascending")]
    assert eks.to_arrow(result.invalid).sort_by(by_row).equals(expected.invalid.sort_by(by_row))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_impute_statistics_are_exact(spark: SparkSession, synth: datasets.SyntheticData, layout: str) -> None:
    df, items = frame(spark, synth.order_items, layout)
    stats = eks.impute_statistics(
        df, {"unit_price": "median", "freight": "mean", "product_id": "mode", "quantity": "median"}
    )
    for column in ("unit_price", "product_id", "quantity"):
        strategy = {"unit_price": "median", "product_id": "mode", "quantity": "median"}[column]
        holes = items.set_column(
            items.schema.get_field_index(column),
            items.schema.field(column),
            pa.nulls(items.num_rows, items.schema.field(column).type),
        )
        probe = pa.concat_tables([items, holes.slice(0, 1)])
        expected = cleaning.impute(probe, {column: strategy}).column(column)[-1].as_py()
        assert stats[column] == expected
    assert stats["freight"] == pytest.approx(pc.mean(items.column("freight")).as_py(), rel=1e-14)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_impute_equals_single_machine(
    spark: SparkSession, synth: datasets.SyntheticData, layout: str
) -> None:
    df, items = frame(spark, synth.order_items, layout)
    strategies = {"unit_price": "median", "product_id": "mode", "quantity": 1}
    got = eks.to_arrow(eks.impute(df, strategies))
    expected = cleaning.impute(items, strategies)
    assert got.equals(expected)  # row-local: the batch order is kept
    assert got.column("unit_price").null_count == 0


@pytest.mark.parametrize("source", ["synthetic", "olist"])
def test_impute_by_group_equals_single_machine(
    spark: SparkSession, request: pytest.FixtureRequest, source: str
) -> None:
    items = items_of(request, source)
    if source == "olist":  # Olist has no missing prices; punch holes, some in single-row products
        holes = pc.equal(pc.bit_wise_and(pa.array(range(items.num_rows)), 7), 0)
        price = pc.if_else(holes, pa.scalar(None, pa.float64()), items.column("unit_price"))
        items = items.set_column(items.schema.get_field_index("unit_price"), "unit_price", price)
    df, table = frame(spark, items, "spread")
    got = eks.to_arrow(eks.impute(df, {"unit_price": "median"}, by="product_id"))
    expected = cleaning.impute(table, {"unit_price": "median"}, by="product_id")
    assert got.sort_by(ITEM_ORDER).equals(expected.sort_by(ITEM_ORDER))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_dedupe_keep_latest_equals_single_machine(
    spark: SparkSession, synth: datasets.SyntheticData, layout: str
) -> None:
    df, orders = frame(spark, synth.orders, layout)
    got = eks.to_arrow(eks.dedupe(df, "order_id", order_by="updated_at")).sort_by("order_id")
    expected = cleaning.dedupe(orders, "order_id", order_by="updated_at").sort_by("order_id")
    assert got.num_rows < orders.num_rows  # duplicates and late updates were injected
    assert got.equals(expected)


@pytest.mark.parametrize("keep", ["first", "last"])
def test_dedupe_exact_rows_and_keep_equals_single_machine(
    spark: SparkSession, synth: datasets.SyntheticData, keep: str
) -> None:
    df, items = frame(spark, synth.order_items, "spread")
    got = eks.to_arrow(eks.dedupe(df, keep=keep)).sort_by(ITEM_ORDER)  # type: ignore[arg-type]
    assert got.equals(cleaning.dedupe(items, keep=keep).sort_by(ITEM_ORDER))  # type: ignore[arg-type]
    by_order = eks.to_arrow(eks.dedupe(df, ["order_id"], keep=keep)).sort_by("order_id")  # type: ignore[arg-type]
    assert by_order.equals(cleaning.dedupe(items, ["order_id"], keep=keep).sort_by("order_id"))  # type: ignore[arg-type]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=0, max_size=30),
    partitions=st.integers(min_value=1, max_value=7),
)
def test_dedupe_latest_any_layout(spark: SparkSession, keys: list[str | None], partitions: int) -> None:
    n = len(keys)
    table = pa.table(
        {
            "k": pa.array(keys, pa.string()),
            "v": pa.array([i % 4 for i in range(n)], pa.int64()),
            "i": pa.array(range(n), pa.int64()),
        }
    )
    df = eks.to_spark(spark, table).repartition(partitions).cache()
    ordered = eks.to_arrow(df)
    got = eks.to_arrow(eks.dedupe(df, "k", order_by="v", keep="last")).sort_by("i")
    expected = cleaning.dedupe(ordered, "k", order_by="v", keep="last").sort_by("i")
    assert got.equals(expected)
    assert got.num_rows == len(set(keys))
