"""ecomkit.schema: canonical schemas, built-in mappings and unify()."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit import schema
from ecomkit.errors import CastError, ConfigError, MissingColumnError

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _orders(**columns: Any) -> pa.Table:
    base: dict[str, Any] = {"order_id": ["o1"], "customer_id": ["c1"], "order_date": ["2024-05-01 10:00:00"]}
    base.update(columns)
    return pa.table({k: v for k, v in base.items() if v is not None})


# ------------------------------------------------------------------------------------- the schemas


def test_canonical_schemas_follow_the_conventions() -> None:
    for name, canonical in schema.SCHEMAS.items():
        assert canonical.names[-2:] == ["source", "ingested_at"], name
        for fld in canonical:
            if fld.name.endswith("_id"):
                assert fld.type == pa.string(), (name, fld.name)
            if fld.name.endswith("_at"):
                assert fld.type == schema.TIMESTAMP, (name, fld.name)
        assert schema.REQUIRED[name] <= set(canonical.names)
        assert {f.name for f in canonical if not f.nullable} - {"source", "ingested_at"} <= schema.REQUIRED[
            name
        ]
    assert pa.timestamp("us", tz="UTC") == schema.TIMESTAMP
    assert schema.ORDERS.field("total_amount").type == schema.MONEY == pa.float64()
    assert schema.ORDERS.field("total_amount").nullable


def test_empty() -> None:
    assert schema.empty("orders").schema == schema.ORDERS
    assert schema.empty("orders").num_rows == 0
    with pytest.raises(ConfigError, match="'invoices'"):
        schema.empty("invoices")


def test_builtin_olist_mappings_read_sao_paulo_time() -> None:
    olist = {k: v for k, v in schema.MAPPINGS.items() if k.startswith("olist.")}
    assert set(olist) == {f"olist.{name}" for name in schema.SCHEMAS}
    assert {m.timezone for m in olist.values()} == {"America/Sao_Paulo"}
    assert {m.source for m in olist.values()} == {"olist"}
    assert schema.MAPPINGS["olist.orders"].columns["customer_id"] == "customer_unique_id"
    assert schema.MAPPINGS["olist.order_items"].columns["line_number"] == "order_item_id"
    assert schema.MAPPINGS["olist.order_items"].defaults["quantity"] == 1


# -------------------------------------------------------------------------------- renames, defaults


def test_unify_renames_casts_orders_and_drops_extra_columns() -> None:
    raw = _orders(total=["19.90"], status=["paid"], junk=[1])
    out = schema.unify(raw, "generic.orders", ingested_at=T0)
    assert out.schema == schema.ORDERS
    row = out.to_pylist()[0]
    assert row["purchased_at"] == _utc(2024, 5, 1, 10)
    assert row["total_amount"] == 19.9
    assert row["status"] == "paid"  # same name, no rename needed
    assert row["approved_at"] is None  # optional and absent: null
    assert "junk" not in out.column_names


def test_unify_custom_mapping_renames() -> None:
    mapping = schema.Mapping(
        "order_items",
        columns={"order_id": "pedido", "line_number": "linha", "unit_price": "preco", "quantity": "qtd"},
        source="erp",
    )
    raw = pa.table({"pedido": [7, 8], "linha": ["1", "2"], "preco": ["1.5", "2"], "qtd": [3, 4]})
    out = schema.unify(raw, mapping, ingested_at=T0)
    assert out.schema == schema.ORDER_ITEMS
    assert out.column("order_id").to_pylist() == ["7", "8"]
    assert out.column("line_number").to_pylist() == [1, 2]
    assert out.column("unit_price").to_pylist() == [1.5, 2.0]
    assert out.column("quantity").to_pylist() == [3, 4]
    assert out.column("source").to_pylist() == ["erp", "erp"]


def test_defaults_fill_only_absent_columns() -> None:
    items = pa.table({"order_id": ["a", "a"], "line": [1, 2], "price": [1.0, 2.0]})
    assert schema.unify(items, "generic.order_items").column("quantity").to_pylist() == [1, 1]
    with_qty = items.append_column("quantity", pa.array([5, 6]))
    assert schema.unify(with_qty, "generic.order_items").column("quantity").to_pylist() == [5, 6]
    none = schema.unify(items.slice(0, 0), "generic.order_items")
    assert none.num_rows == 0
    assert none.schema == schema.ORDER_ITEMS


# --------------------------------------------------------------------------------- missing columns


@pytest.mark.parametrize(
    ("name", "column"), sorted((name, col) for name, cols in schema.REQUIRED.items() for col in cols)
)
def test_missing_required_column_is_named(name: str, column: str) -> None:
    table = schema.empty(name).drop_columns([column, "source", "ingested_at"])
    with pytest.raises(MissingColumnError) as info:
        schema.unify(table, f"canonical.{name}")
    assert info.value.column == column
    assert repr(column) in str(info.value)
    assert set(info.value.available) == set(table.column_names)


def test_olist_orders_never_fall_back_to_the_per_order_customer_id() -> None:
    raw = pa.table(
        {"order_id": ["o"], "customer_id": ["per-order"], "order_purchase_timestamp": ["2018-01-01"]}
    )
    with pytest.raises(MissingColumnError) as info:
        schema.unify(raw, "olist.orders")
    assert info.value.column == "customer_unique_id"


def test_null_in_identity_column_is_a_cast_error_with_the_row() -> None:
    raw = _orders(order_id=["o1", None, None], customer_id=["c"] * 3, order_date=["2024-01-01"] * 3)
    with pytest.raises(CastError) as info:
        schema.unify(raw, "generic.orders")
    assert info.value.column == "order_id"
    assert info.value.count == 2
    assert "row 1" in str(info.value)


# --------------------------------------------------------------------------------------- bad values


def _bad(column: str, values: pa.Array, target: str = "generic.orders") -> CastError:
    n = len(values)
    base = {
        "order_id": [str(i) for i in range(n)],
        "customer_id": ["c"] * n,
        "order_date": ["2024-01-01"] * n,
    }
    base[column] = values
    with pytest.raises(CastError) as info:
        schema.unify(pa.table(base), target)
    assert info.value.column == column
    return info.value


def test_uncastable_text_names_column_and_value() -> None:
    err = _bad("total", pa.array(["1.5", "2", "abc", "zzz"]))
    assert err.value == "abc"
    assert "'total'" in str(err)
    assert "'abc'" in str(err)
    assert err.target == "double (row 2)"


def test_uncastable_timestamp_text() -> None:
    err = _bad("order_date", pa.array(["2024-01-01", "yesterday"]))
    assert err.value == "yesterday"


def test_the_reported_value_is_the_bad_one_not_the_first() -> None:
    lines = pa.array([1] * 777 + [2**40] + [3] * 50, pa.int64())
    table = pa.table({"order_id": ["o"] * 828, "line": lines, "price": [1.0] * 828})
    with pytest.raises(CastError) as info:
        schema.unify(table, "generic.order_items")
    assert (info.value.column, info.value.value) == ("line", 2**40)
    fractions = pa.table({"order_id": ["o"] * 3, "line": [1.0, 2.0, 2.5], "price": [1.0] * 3})
    with pytest.raises(CastError) as frac:
        schema.unify(fractions, "generic.order_items")
    assert (frac.value.column, frac.value.value) == ("line", 2.5)


def test_float_ids_are_refused() -> None:
    err = _bad("customer_id", pa.array([1.0, 2.0]))
    assert err.value == 1.0
    assert "ids must not be floats" in str(err)


@pytest.mark.parametrize(
    "values", [pa.array([1_700_000_000, 2]), pa.array([True, False]), pa.array([1.5, 2.5])]
)
def test_non_time_types_are_not_timestamps(values: pa.Array) -> None:
    err = _bad("order_date", values)
    assert err.value == values[0].as_py()
    assert str(values.type) in err.target


def test_blank_text_is_null_and_whitespace_is_trimmed() -> None:
    raw = pa.table(
        {
            "order_id": ["a", "b", "c"],
            "customer_id": ["c", "c", "c"],
            "order_date": [" 2024-01-01 10:00:00 ", "", "2024-01-02"],
            "total": [" 1.25", "", None],
        }
    )
    out = schema.unify(raw, "generic.orders")
    assert out.column("purchased_at").to_pylist() == [_utc(2024, 1, 1, 10), None, _utc(2024, 1, 2)]
    assert out.column("total_amount").to_pylist() == [1.25, None, None]


# ------------------------------------------------------------------------------------------- time


_SP = schema.Mapping("orders", columns={"purchased_at": "t"}, timezone="America/Sao_Paulo")


def _sao_paulo(values: pa.Array) -> list[dt.datetime | None]:
    raw = pa.table({"order_id": ["o"] * len(values), "customer_id": ["c"] * len(values), "t": values})
    return schema.unify(raw, _SP).column("purchased_at").to_pylist()  # type: ignore[no-any-return]


def test_naive_text_is_read_in_the_mapping_timezone() -> None:
    got = _sao_paulo(pa.array(["2018-08-15 11:30:33", "2018-01-19 12:24:00", None]))
    assert got == [_utc(2018, 8, 15, 14, 30, 33), _utc(2018, 1, 19, 14, 24), None]  # UTC-3, then DST UTC-2


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_naive_timestamps_of_any_unit(unit: str) -> None:
    values = pa.array([dt.datetime(2018, 8, 15, 11, 30, 33)], pa.timestamp(unit))
    assert _sao_paulo(values) == [_utc(2018, 8, 15, 14, 30, 33)]


def test_dates_are_local_midnight() -> None:
    assert _sao_paulo(pa.array([dt.date(2018, 8, 27)])) == [_utc(2018, 8, 27, 3)]


def test_dst_gap_and_overlap() -> None:
    # 2017-10-15 00:00 did not exist in São Paulo (clocks went 00:00 -> 01:00): the transition instant.
    gap = [_utc(2017, 10, 15, 3)]
    assert _sao_paulo(pa.array(["2017-10-15 00:00:00"])) == gap
    assert _sao_paulo(pa.array([dt.date(2017, 10, 15)])) == gap
    assert _sao_paulo(pa.array([dt.datetime(2017, 10, 15)], pa.timestamp("s"))) == gap
    # 2018-02-17 23:30 happened twice (clocks went 00:00 -> 23:00): the earlier, daylight-saving one.
    assert _sao_paulo(pa.array(["2018-02-17 23:30:00"])) == [_utc(2018, 2, 18, 1, 30)]


def test_aware_values_keep_their_instant() -> None:
    berlin = pa.array([dt.datetime(2024, 7, 1, 10, tzinfo=UTC)], pa.timestamp("ms", tz="Europe/Berlin"))
    assert _sao_paulo(berlin) == [_utc(2024, 7, 1, 10)]
    text = pa.array(["2024-07-01T12:00:00+02:00", "2024-07-01 10:00:00Z"])
    assert _sao_paulo(text) == [_utc(2024, 7, 1, 10)] * 2


def test_mixed_aware_and_naive_text() -> None:
    text = pa.array(["2024-07-01T12:00:00+02:00", "2024-07-01 07:00:00", "2024-07-01", None])
    assert _sao_paulo(text) == [_utc(2024, 7, 1, 10), _utc(2024, 7, 1, 10), _utc(2024, 7, 1, 3), None]


# ---------------------------------------------------------------------------------------- lineage


def test_lineage_source_and_ingested_at() -> None:
    before = dt.datetime.now(UTC)
    out = schema.unify(_orders(), "generic.orders")
    after = dt.datetime.now(UTC)
    assert out.column("source").to_pylist() == ["csv"]
    assert before <= out.column("ingested_at")[0].as_py() <= after
    named = schema.unify(_orders(), "generic.orders", source="shop-7", ingested_at=T0)
    assert named.column("source").to_pylist() == ["shop-7"]
    assert named.column("ingested_at").to_pylist() == [T0]
    kept = _orders(source=["upstream"], ingested_at=[dt.datetime(2020, 1, 1, tzinfo=UTC)])
    out = schema.unify(kept, "generic.orders", source="ignored", ingested_at=T0)
    assert out.column("source").to_pylist() == ["upstream"]
    assert out.column("ingested_at").to_pylist() == [_utc(2020, 1, 1)]


def test_lineage_is_one_value_for_every_row() -> None:
    n = 10_000
    raw = pa.table(
        {"order_id": [str(i) for i in range(n)], "customer_id": ["c"] * n, "order_date": ["2024-01-01"] * n}
    )
    out = schema.unify(raw, "generic.orders", ingested_at=T0)
    assert pc.count_distinct(out["ingested_at"]).as_py() == 1
    assert pc.count_distinct(out["source"]).as_py() == 1
    assert out["source"].null_count == out["ingested_at"].null_count == 0


# ------------------------------------------------------------------------------- configuration errors


def test_unknown_mapping_name() -> None:
    with pytest.raises(ConfigError) as info:
        schema.unify(_orders(), "shopify.refunds")
    assert "'shopify.refunds'" in str(info.value)
    assert "generic.orders" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": "invoices"}, "invoices"),
        ({"target": "orders", "columns": {"total": "x"}}, "total"),
        ({"target": "orders", "defaults": {"total_amount": "lots"}}, "total_amount"),
        ({"target": "orders", "timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ],
)
def test_bad_mapping_is_a_config_error(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        schema.Mapping(**kwargs)


def test_not_a_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="PyCapsule"):
        schema.unify([{"order_id": "x"}], "generic.orders")


# ------------------------------------------------------------------------------ other Arrow producers


def test_record_batches_pandas_and_polars() -> None:
    raw = _orders(total=["2.5"])
    expected = schema.unify(raw, "generic.orders", ingested_at=T0)
    batch = raw.to_batches()[0]
    assert schema.unify(batch, "generic.orders", ingested_at=T0).equals(expected)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(raw.to_pydict())
    assert schema.unify(frame, "generic.orders", ingested_at=T0).equals(expected)
    pl = pytest.importorskip("polars")
    polars_frame = pl.DataFrame(raw.to_pydict())  # polars exports strings as string_view
    assert schema.unify(polars_frame, "generic.orders", ingested_at=T0).equals(expected)


def test_dictionary_encoded_text() -> None:
    raw = _orders(
        status=pa.array(["paid"]).dictionary_encode(), order_date=pa.array(["2024-01-01"]).dictionary_encode()
    )
    out = schema.unify(raw, "generic.orders")
    assert out.column("status").to_pylist() == ["paid"]
    assert out.column("purchased_at").to_pylist() == [_utc(2024, 1, 1)]


# -------------------------------------------------------------------------------------- hypothesis

_TEXT = st.text(max_size=8)
_TIMES = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(UTC)
)


def _value(fld: pa.Field) -> st.SearchStrategy[Any]:
    if pa.types.is_string(fld.type):
        base: st.SearchStrategy[Any] = _TEXT
    elif pa.types.is_int32(fld.type):
        base = st.integers(-(2**31), 2**31 - 1)
    elif pa.types.is_floating(fld.type):
        base = st.floats(allow_nan=False, allow_infinity=False)
    else:
        base = _TIMES
    return st.none() | base if fld.nullable else base


def _encodings(fld: pa.Field) -> list[Any]:
    """Equivalent Arrow encodings of one canonical column (value list -> array)."""
    if pa.types.is_string(fld.type):
        return [pa.string(), pa.large_string(), pa.string_view()]
    if pa.types.is_int32(fld.type):
        return [pa.int32(), pa.int64(), "text"]
    if pa.types.is_floating(fld.type):
        return [pa.float64(), "text"]
    return [schema.TIMESTAMP, pa.timestamp("ns", tz="UTC"), pa.timestamp("ms", tz="Asia/Kolkata"), "text"]


def _encode(values: list[Any], kind: Any, fld: pa.Field) -> pa.Array:
    if kind == "text":
        if pa.types.is_timestamp(fld.type):
            return pa.array([None if v is None else v.isoformat() for v in values], pa.string())
        return pa.array([None if v is None else repr(v) for v in values], pa.string())
    if pa.types.is_timestamp(kind) and kind.unit == "ms":
        values = [None if v is None else v.replace(microsecond=v.microsecond // 1000 * 1000) for v in values]
    return pa.array(values, kind)


@st.composite
def _canonical_tables(draw: st.DrawFn) -> tuple[str, pa.Table, pa.Table]:
    name = draw(st.sampled_from(sorted(schema.SCHEMAS)))
    target = schema.SCHEMAS[name]
    n = draw(st.integers(0, 12))
    source_columns, expected_columns = {}, {}
    for fld in target:
        values = draw(st.lists(_value(fld), min_size=n, max_size=n))
        kind = draw(st.sampled_from(_encodings(fld)))
        encoded = _encode(values, kind, fld)
        source_columns[fld.name] = encoded
        expected_columns[fld.name] = encoded.cast(fld.type) if kind != "text" else pa.array(values, fld.type)
    return name, pa.table(source_columns), pa.table(expected_columns, schema=target)


@settings(max_examples=150, deadline=None)
@given(_canonical_tables())
def test_unify_of_a_canonical_table_is_identity(case: tuple[str, pa.Table, pa.Table]) -> None:
    name, source, expected = case
    out = schema.unify(source, f"canonical.{name}", source="ignored", ingested_at=T0)
    assert out.schema == expected.schema
    for column in expected.column_names:
        assert out.column(column).to_pylist() == expected.column(column).to_pylist(), column
    again = schema.unify(out, f"canonical.{name}")
    assert again.equals(out)  # idempotent
