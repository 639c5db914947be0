"""Spark metrics equal the single-machine metrics: synthetic data with defects and the real Olist sample."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

pytest.importorskip("pyspark", reason="the Spark adapter tests need the 'spark' extra (PySpark 4)")

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from spark_support import LAYOUTS, frame

from ecomkit import datasets, metrics
from ecomkit.adapters import spark as eks


@pytest.fixture(scope="module")
def synth() -> datasets.SyntheticData:
    return datasets.synthetic(1500, seed=11)


def tables(request: pytest.FixtureRequest, source: str) -> dict[str, pa.Table]:
    if source == "synthetic":
        data = request.getfixturevalue("synth")
        return {"orders": data.orders, "order_items": data.order_items}
    return request.getfixturevalue("olist")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("source", ["synthetic", "olist"])
def test_order_metrics_equal_single_machine(
    spark: SparkSession, request: pytest.FixtureRequest, source: str, layout: str
) -> None:
    df, items = frame(spark, tables(request, source)["order_items"], layout)
    got = eks.to_arrow(eks.order_metrics(df)).sort_by("order_id")
    expected = metrics.order_metrics(items)
    assert got.num_rows == expected.num_rows > 0
    assert got.equals(expected)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("source", ["synthetic", "olist"])
def test_customer_metrics_with_items_equal_single_machine(
    spark: SparkSession, request: pytest.FixtureRequest, source: str, layout: str
) -> None:
    data = tables(request, source)
    orders_df, orders = frame(spark, data["orders"], layout)
    items_df, items = frame(spark, data["order_items"], layout)
    got = eks.to_arrow(eks.customer_metrics(orders_df, items=items_df)).sort_by("customer_id")
    expected = metrics.customer_metrics(orders, items=items)
    assert got.num_rows == expected.num_rows > 0
    assert got.equals(expected)
    # as_of was fixed once on the driver: one value on every row, the latest order
    assert set(got.column("as_of").to_pylist()) == {
        max(orders.column("purchased_at").drop_null().to_pylist())
    }


def test_customer_metrics_explicit_as_of_and_options(
    spark: SparkSession, synth: datasets.SyntheticData
) -> None:
    df, orders = frame(spark, synth.orders, "spread")
    as_of = dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc)
    got = eks.to_arrow(eks.customer_metrics(df, as_of=as_of, lifespan_months=12, margin=0.3))
    expected = metrics.customer_metrics(orders, as_of=as_of, lifespan_months=12, margin=0.3)
    assert got.sort_by("customer_id").equals(expected)


@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("source", ["synthetic", "olist"])
def test_rfm_summary_equal_single_machine(
    spark: SparkSession, request: pytest.FixtureRequest, source: str, freq: str
) -> None:
    orders = tables(request, source)["orders"]
    value = "total_amount" if source == "synthetic" else None
    df, table = frame(spark, orders, "spread" if freq != "W" else "skewed")
    got = eks.to_arrow(eks.rfm_summary(df, value_col=value, freq=freq)).sort_by("customer_id")  # type: ignore[arg-type]
    expected = metrics.rfm_summary(table, value_col=value, freq=freq)  # type: ignore[arg-type]
    assert got.num_rows == expected.num_rows > 0
    assert got.equals(expected)


def test_rfm_summary_include_first_and_end(spark: SparkSession, synth: datasets.SyntheticData) -> None:
    df, orders = frame(spark, synth.orders, "spread")
    end = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
    options = {"value_col": "total_amount", "observation_end": end, "include_first": True}
    got = eks.to_arrow(eks.rfm_summary(df, **options)).sort_by("customer_id")  # type: ignore[arg-type]
    assert got.equals(metrics.rfm_summary(orders, **options))  # type: ignore[arg-type]


def test_model_fit_on_collected_summary_equals_single_machine(
    spark: SparkSession, synth: datasets.SyntheticData
) -> None:
    df, orders = frame(spark, synth.orders, "spread")
    summary_df = eks.rfm_summary(df, value_col="total_amount", freq="W")
    fitted = eks.fit(metrics.BetaGeo, summary_df)
    expected = metrics.BetaGeo.fit(metrics.rfm_summary(orders, value_col="total_amount", freq="W"))
    assert fitted.params == pytest.approx(expected.params, rel=1e-9)
    repeat = summary_df.where(F.col("frequency") > 0)
    gg = eks.fit(metrics.GammaGamma, repeat)
    summary = metrics.rfm_summary(orders, value_col="total_amount", freq="W")
    import pyarrow.compute as pc

    gg_expected = metrics.GammaGamma.fit(summary.filter(pc.greater(summary.column("frequency"), 0)))
    assert gg.params == pytest.approx(gg_expected.params, rel=1e-9)


def test_empty_input_gives_empty_results(spark: SparkSession, synth: datasets.SyntheticData) -> None:
    df = eks.to_spark(spark, synth.orders.slice(0, 0))
    assert eks.to_arrow(eks.rfm_summary(df)).num_rows == 0
    assert eks.to_arrow(eks.customer_metrics(df)).num_rows == 0


def test_spark_schema_keeps_decimal_and_timestamp_types(spark: SparkSession) -> None:
    table = pa.table(
        {
            "id": pa.array(["a", "b"]),
            "amount": pa.array([Decimal("12.34"), None], pa.decimal128(12, 2)),
            "at": pa.array(
                [dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc), None], pa.timestamp("us", "UTC")
            ),
            "local": pa.array([dt.datetime(2024, 1, 1, 12), None], pa.timestamp("us")),
        }
    )
    df = eks.to_spark(spark, table)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert types == {"id": "string", "amount": "decimal(12,2)", "at": "timestamp", "local": "timestamp_ntz"}
    assert eks.to_arrow(df).equals(table)


def test_missing_column_is_reported(spark: SparkSession, synth: datasets.SyntheticData) -> None:
    from ecomkit.errors import ConfigError, MissingColumnError

    df = eks.to_spark(spark, synth.order_items.drop_columns(["unit_price"]))
    with pytest.raises(MissingColumnError, match="unit_price"):
        eks.order_metrics(df)
    with pytest.raises(ConfigError, match="lifespan_months"):
        eks.customer_metrics(df, lifespan_months=0)
