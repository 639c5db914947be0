from __future__ import annotations

import decimal
import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.cleaning import impute
from ecomkit.errors import ConfigError, MissingColumnError, ValidationError


def test_global_strategies_by_hand() -> None:
    t = pa.table(
        {
            "a": [1.0, None, 3.0, math.nan, 8.0],
            "b": [1, None, 2, 2, 10],
            "c": ["x", None, "y", "y", "x"],
        }
    )
    assert impute(t, {"a": "mean"}).column("a").to_pylist() == [1.0, 4.0, 3.0, 4.0, 8.0]
    assert impute(t, {"a": "median"}).column("a").to_pylist() == [1.0, 3.0, 3.0, 3.0, 8.0]
    assert impute(t, {"a": "zero"}).column("a").to_pylist() == [1.0, 0.0, 3.0, 0.0, 8.0]
    # median of 1, 2, 2, 10 = 2; mean = 3.75 -> rounded to 4 for an integer column
    assert impute(t, {"b": "median"}).column("b").to_pylist() == [1, 2, 2, 2, 10]
    assert impute(t, {"b": "mean"}).column("b").to_pylist() == [1, 4, 2, 2, 10]
    # mode tie between x and y (2 each) -> the smaller, "x"
    assert impute(t, {"c": "mode"}).column("c").to_pylist() == ["x", "x", "y", "y", "x"]
    assert impute(t, {"c": "unknown"}).column("c").to_pylist() == ["x", "unknown", "y", "y", "x"]


def test_even_count_median_is_mean_of_middle_values() -> None:
    t = pa.table({"p": [1.0, 2.0, 4.0, 10.0, None]})
    assert impute(t, {"p": "median"}).column("p").to_pylist()[-1] == 3.0


def test_grouped_median_with_global_fallback() -> None:
    items = pa.table(
        {
            "product_id": ["a", "a", "a", "a", "b", "b", "c", None, None],
            "unit_price": [1.0, 2.0, 10.0, None, 5.0, None, None, 7.0, None],
        }
    )
    out = impute(items, {"unit_price": "median"}, by="product_id").column("unit_price").to_pylist()
    # a -> median(1, 2, 10) = 2; b -> 5; c has no price -> global median of 1,2,10,5,7 = 5; null group -> 7
    assert out == [1.0, 2.0, 10.0, 2.0, 5.0, 5.0, 5.0, 7.0, 7.0]


def test_grouped_mean_and_mode() -> None:
    t = pa.table(
        {"g": ["x", "x", "x", "y", "y"], "v": [1, 2, None, 3, None], "s": ["p", "p", None, "q", None]}
    )
    out = impute(t, {"v": "mean", "s": "mode"}, by=["g"])
    assert out.column("v").to_pylist() == [1, 2, 2, 3, 3]  # mean 1.5 rounds half to even -> 2
    assert out.column("s").to_pylist() == ["p", "p", "p", "q", "q"]


def test_decimal_column_keeps_its_type() -> None:
    kind = pa.decimal128(10, 2)
    t = pa.table({"d": pa.array([decimal.Decimal("1.00"), decimal.Decimal("2.25"), None], kind)})
    out = impute(t, {"d": "mean"})
    assert out.schema.field("d").type == kind
    assert out.column("d").to_pylist()[-1] == decimal.Decimal("1.62")  # 1.625 half to even


def test_errors() -> None:
    t = pa.table(
        {"s": ["a", None], "n": [None, None]}, schema=pa.schema([("s", pa.string()), ("n", pa.float64())])
    )
    with pytest.raises(ConfigError, match="'s'"):
        impute(t, {"s": "mean"})
    with pytest.raises(ValidationError, match="'n'"):
        impute(t, {"n": "median"})
    with pytest.raises(MissingColumnError):
        impute(t, {"zz": "zero"})
    with pytest.raises(ConfigError, match="constant"):
        impute(pa.table({"n": [1, None]}), {"n": "many"})
    # an all-null column can always take zero or a constant
    assert impute(t, {"n": "zero"}).column("n").to_pylist() == [0.0, 0.0]


def test_timezone_aware_timestamps_by_mode() -> None:
    kind = pa.timestamp("us", tz="UTC")
    t = pa.table({"t": pa.array([0, 0, 5, None], kind)})
    assert impute(t, {"t": "mode"}).column("t").cast(pa.int64()).to_pylist() == [0, 0, 5, 0]


values = st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6), st.just(math.nan)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(values, st.sampled_from(["zero", "mean", "median", "mode", 1.5]), st.booleans())
def test_impute_fills_every_missing_value_and_touches_nothing_else(
    v: list, strategy: object, grouped: bool
) -> None:
    n = len(v)
    t = pa.table({"g": [i % 3 for i in range(n)], "v": pa.array(v, pa.float64()), "other": [None] * n})
    present = [x for x in v if x is not None and not math.isnan(x)]
    if strategy in ("mean", "median", "mode") and not present:
        with pytest.raises(ValidationError):
            impute(t, {"v": strategy}, by="g" if grouped else None)
        return
    out = impute(t, {"v": strategy}, by="g" if grouped else None)
    col = out.column("v")
    assert col.null_count == 0
    assert not pc.any(pc.is_nan(col)).as_py()
    for before, after in zip(v, col.to_pylist(), strict=True):
        if before is not None and not math.isnan(before):
            assert after == before
    assert out.column("g").equals(t.column("g"))
    assert out.column("other").equals(t.column("other"))
    assert out.schema == t.schema
