"""The pyarrow.json page decoder gives exactly what json.loads + RecordBatch.from_pylist give, or steps aside."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.connectors._decode import RecordsView, fast_decode, records_to_batch
from ecomkit.errors import SourceDataError

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("price", pa.float64()),
        ("ok", pa.bool_()),
        ("customer", pa.struct([("id", pa.int64()), ("email", pa.string())])),
        ("lines", pa.list_(pa.struct([("sku", pa.string()), ("qty", pa.int64())]))),
        ("tags", pa.list_(pa.string())),
    ]
)

_text = st.text(max_size=6)
_any_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), _text
)
_line = st.fixed_dictionaries(
    {}, optional={"sku": st.one_of(_text, st.none(), st.integers()), "qty": _any_scalar}
)
_record = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.integers(-(2**63), 2**63 - 1), _any_scalar),
        "name": st.one_of(_text, _any_scalar),
        "price": st.one_of(
            st.floats(allow_nan=False, allow_infinity=False), st.integers(-1000, 1000), _any_scalar
        ),
        "ok": st.one_of(st.booleans(), _any_scalar),
        "customer": st.one_of(
            st.none(),
            st.fixed_dictionaries({}, optional={"id": st.integers(0, 99), "email": _text, "extra": _text}),
        ),
        "lines": st.one_of(st.none(), st.lists(_line, max_size=3)),
        "tags": st.one_of(st.none(), st.lists(st.one_of(_text, st.none()), max_size=3)),
        "unknown": st.one_of(
            _any_scalar, st.lists(st.integers(), max_size=2), st.dictionaries(_text, _text, max_size=2)
        ),
    },
)


def _slow(records: list[dict[str, Any]]) -> pa.RecordBatch | type[SourceDataError]:
    try:
        return records_to_batch(records, SCHEMA, where="page")
    except SourceDataError:
        return SourceDataError


@settings(max_examples=200, deadline=None)
@given(st.lists(_record, max_size=6), st.booleans(), st.booleans())
def test_fast_decode_agrees_with_json_loads_and_from_pylist(
    records: list[dict[str, Any]], wrapped: bool, pretty: bool
) -> None:
    body = {"has_more": True, "data": records} if wrapped else records
    content = json.dumps(body, indent=1 if pretty else None).encode()
    fast = fast_decode(
        content,
        SCHEMA,
        records_path="data" if wrapped else None,
        body_fields={"has_more": pa.bool_()} if wrapped else {},
    )
    if fast is None:
        return  # stepped aside: the caller decodes the slow way
    batch, meta = fast
    assert batch.equals(_slow(records))
    assert meta == ({"has_more": True} if wrapped else {})


def test_fast_decode_reads_nested_paths_and_steps_aside_on_bad_pages() -> None:
    content = json.dumps(
        {"meta": {"next": "abc", "total": 3}, "result": {"items": [{"id": 1}, {"id": 2}]}}
    ).encode()
    fast = fast_decode(content, SCHEMA, records_path="result.items", body_fields={"meta.next": pa.string()})
    assert fast is not None
    assert fast[0].column("id").to_pylist() == [1, 2]
    assert fast[1] == {"meta": {"next": "abc"}}
    for bad in (
        b'{"result": {"items": [{"id": 1}',
        b'{"result": {"items": null}}',
        b'{"result": {"items": [1]}}',
    ):
        assert fast_decode(bad, SCHEMA, records_path="result.items", body_fields={}) is None
    assert fast_decode(b"[] []", SCHEMA, records_path=None, body_fields={}) is None  # two documents
    assert fast_decode(b"[]", SCHEMA, records_path=None, body_fields={"has_more": pa.bool_()}) is None


def test_records_view_reads_rows_on_demand() -> None:
    batch = records_to_batch([{"id": 1}, {"id": 2}, {"id": 3}], SCHEMA, where="p")
    view = RecordsView(batch)
    assert len(view) == 3
    assert view[-1]["id"] == 3
    assert [r["id"] for r in view[1:]] == [2, 3]
    with pytest.raises(IndexError):
        view[3]


def test_records_that_do_not_fit_raise_source_data_error() -> None:
    with pytest.raises(SourceDataError, match="page 7"):
        records_to_batch([{"id": "x"}], SCHEMA, where="page 7")
    with pytest.raises(SourceDataError):
        records_to_batch([{"id": 2**64}], SCHEMA, where="page 7")


def test_integers_a_float_cannot_hold_are_left_to_the_slow_way() -> None:
    # 2**53 + 1 would be rounded into the float64 "price" by the fast reader; the slow way refuses it
    content = json.dumps([{"price": 2**53 + 1}]).encode()
    assert fast_decode(content, SCHEMA, records_path=None, body_fields={}) is None
    assert _slow([{"price": 2**53 + 1}]) is SourceDataError
    exact = json.dumps([{"id": 2**62, "price": 2.5}]).encode()  # long digits elsewhere: still exact
    assert fast_decode(exact, pa.schema([("id", pa.int64())]), records_path=None, body_fields={}) is not None
