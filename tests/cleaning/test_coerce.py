from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from ecomkit.cleaning import coerce
from ecomkit.errors import MissingColumnError


def test_uncastable_values_are_failures_not_silent_nulls() -> None:
    raw = pa.table(
        {
            "price": ["1.50", "abc", None, "2"],
            "at": ["2024-01-01 10:00:00", "2024-01-02T10:00:00+02:00", "2024-01-03", "yesterday"],
            "amount": ["1.25", "2.5", "x", "3"],
            "keep": [1, 2, 3, 4],
        }
    )
    target = pa.schema(
        [("price", pa.float64()), ("at", pa.timestamp("us", tz="UTC")), ("amount", pa.decimal128(10, 2))]
    )
    out = coerce(raw, target)
    assert out.valid.column("price").to_pylist() == [1.5]
    assert out.valid.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert out.valid.column("at").to_pylist() == [dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone.utc)]
    assert out.valid.column("amount").to_pylist() == [decimal.Decimal("1.25")]
    assert out.failures == {
        "cast(price, double)": 1,
        "cast(at, timestamp[us, tz=UTC])": 1,
        "cast(amount, decimal128(10, 2))": 1,
    }
    assert sorted(out.invalid.column("row").to_pylist()) == [1, 2, 3]
    assert out.invalid.column("price").to_pylist()[0] == "abc"  # original text kept in the quarantine
    assert "got abc" in out.invalid.column("reason").to_pylist()[0]


def test_clean_cast_and_missing_column() -> None:
    out = coerce(pa.table({"n": ["1", "2"]}), pa.schema([("n", pa.int32())]))
    assert out.valid.column("n").to_pylist() == [1, 2]
    assert out.valid.schema.field("n").type == pa.int32()
    assert out.invalid.num_rows == 0
    with pytest.raises(MissingColumnError):
        coerce(pa.table({"n": ["1"]}), pa.schema([("m", pa.int32())]))
