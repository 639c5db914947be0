"""The Spark quality profile equals the one-machine report (synthetic data with defects, the Olist sample)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytest.importorskip("pyspark", reason="the Spark adapter tests need the 'spark' extra (PySpark 4)")

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ecomkit import datasets, quality
from ecomkit.adapters import spark as eks
from ecomkit.cleaning import rules
from ecomkit.connectors.files import read_olist
from ecomkit.errors import ConfigError
from ecomkit.pipeline.stages import ITEM_RULES

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
#: Statistics computed by floating-point sums in a different order (merge vs one pass): equal to ~1e-12.
FLOAT_STATS = {"mean", "stddev", "m2", "mean_length", "quantiles"}


def close(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def assert_same_report(got: quality.QualityReport, expected: quality.QualityReport) -> None:
    a, b = got.to_dict(), expected.to_dict()
    for key in a:
        if key not in ("generated_at", "fields"):
            assert a[key] == b[key], key
    assert a["fields"].keys() == b["fields"].keys()
    for name, field in a["fields"].items():
        for stat, value in field.items():
            other = b["fields"][name][stat]
            if stat in FLOAT_STATS:
                assert close(value, other), (name, stat, value, other)
            else:
                assert value == other, (name, stat, value, other)


@pytest.mark.parametrize("layout", ["spread", "skewed"])
def test_profile_synthetic_items_equals_single_machine(spark: SparkSession, layout: str) -> None:
    items = datasets.synthetic(1200, seed=3).order_items
    df = eks.to_spark(spark, items)
    df = (df.repartition(4) if layout == "spread" else df.repartition(5, F.lit(0))).cache()
    table = eks.to_arrow(df)
    checks = [*ITEM_RULES, rules.not_null("unit_price"), rules.unique("order_id", "line_number")]
    options: dict[str, Any] = {
        "rules": checks,
        "keys": ["order_id", "line_number"],
        "timestamp": "shipping_limit_at",
        "now": NOW,
    }
    got = eks.profile(df, **options)
    expected = quality.profile(table, **options)
    assert expected.duplicate_rows > 0
    assert expected.invalid_rows > 0
    assert_same_report(got, expected)
    assert all(f.exact for f in got.fields.values())


def test_profile_olist_orders_equals_single_machine(spark: SparkSession, olist_folder: Path) -> None:
    orders = read_olist(olist_folder)["orders"]
    df = eks.to_spark(spark, orders).repartition(3).cache()
    table = eks.to_arrow(df)
    options: dict[str, Any] = {"rules": [rules.not_null("customer_id")], "keys": "order_id", "now": NOW}
    assert_same_report(eks.profile(df, **options), quality.profile(table, **options))


def test_profile_without_keys_and_empty_input(spark: SparkSession) -> None:
    table = pa.table({"a": [1, 1, 2, None], "b": ["x", "x", "y", "z"]})
    df = eks.to_spark(spark, table).repartition(3).cache()
    assert_same_report(eks.profile(df, now=NOW), quality.profile(eks.to_arrow(df), now=NOW))
    empty = eks.to_spark(spark, table.slice(0, 0))
    assert_same_report(eks.profile(empty, now=NOW), quality.profile(table.slice(0, 0), now=NOW))


def test_profile_refuses_unique_rule_on_other_keys(spark: SparkSession) -> None:
    df = eks.to_spark(spark, pa.table({"a": [1, 2], "b": [1, 1]}))
    with pytest.raises(ConfigError, match="unique"):
        eks.profile(df, rules=[rules.unique("b")], keys="a")
