"""JSON pages to Arrow record batches (private): pyarrow's JSON reader first, Python's json as the referee.

A page's bytes are parsed once by ``pyarrow.json`` against an explicit schema: the record list at the
paginator's ``records_path`` (typed by the caller's schema, unknown keys ignored) and the few body values
the paginator reads (``has_more``, a cursor). That skips building a Python object per record, which
costs more than everything else on the way to a canonical batch. Whenever the fast reader refuses a page
— malformed JSON, a value of another type, a shape it does not support — the page is decoded again by
``json.loads`` and ``pyarrow.RecordBatch.from_pylist``, which accept and reject exactly what they did
before and raise the typed errors, so the fast path never changes a result, only its speed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.json as pa_json

from ecomkit.errors import SourceDataError

_WRAP = "__ecomkit_records__"  # the key a top-level record list is wrapped in
_FAST_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, pa.ArrowKeyError)


def records_to_batch(
    records: Sequence[Mapping[str, Any]], schema: pa.Schema, *, where: str
) -> pa.RecordBatch:
    """Python records as a batch of the fields ``schema`` names (extra keys are ignored).

    Raises:
        SourceDataError: a record's value does not fit its field's type.
    """
    try:
        return pa.RecordBatch.from_pylist(list(records), schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise SourceDataError(f"{where}: a record does not fit the expected layout: {exc}") from None


def _nest(paths: Mapping[str, pa.DataType]) -> list[pa.Field]:
    """Dotted paths with their leaf types as nested struct fields."""
    tree: dict[str, Any] = {}
    for path, leaf in paths.items():
        node = tree
        *parents, last = path.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(path)
            node = child
        if last in node:
            raise ValueError(path)
        node[last] = leaf

    def build(node: dict[str, Any]) -> list[pa.Field]:
        return [
            pa.field(name, pa.struct(build(value)) if isinstance(value, dict) else value)
            for name, value in node.items()
        ]

    return build(tree)


def _layout(
    records_path: str | None, body_fields: Mapping[str, pa.DataType], schema: pa.Schema
) -> pa.Schema | None:
    if records_path is None and body_fields:
        return None  # a top-level list has no body values
    try:
        return pa.schema(_nest({records_path or _WRAP: pa.list_(pa.struct(list(schema))), **body_fields}))
    except ValueError:  # a body value inside the record list, or named twice
        return None


def _at(table: pa.Table, path: str) -> pa.Array:
    column = table.column(path.split(".")[0]).combine_chunks()
    for part in path.split(".")[1:]:
        column = column.field(part)
    return column


def _nested_dict(paths: Iterator[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in paths:
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


#: A run of 16 or more digits: possibly an integer that a float64 cannot hold exactly.
_LONG_DIGITS = re.compile(rb"\d{16,}")


def _has_floats(schema: pa.Schema | pa.DataType) -> bool:
    kinds = [field.type for field in schema] if isinstance(schema, pa.Schema) else [schema]
    for kind in kinds:
        if pa.types.is_floating(kind):
            return True
        if pa.types.is_struct(kind) and _has_floats(pa.schema(list(kind))):
            return True
        if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _has_floats(kind.value_type):
            return True
    return False


def fast_decode(
    content: bytes,
    schema: pa.Schema,
    *,
    records_path: str | None,
    body_fields: Mapping[str, pa.DataType],
) -> tuple[pa.RecordBatch, dict[str, Any]] | None:
    """The page's records as a batch of ``schema`` and its ``body_fields`` values, or ``None`` when
    the fast reader cannot vouch for the page (the caller then decodes it the slow way)."""
    layout = _layout(records_path, body_fields, schema)
    if layout is None or not content:
        return None
    if _has_floats(layout) and _LONG_DIGITS.search(content):
        # an integer literal beyond 2**53 would be rounded into a float field here, where the slow
        # way refuses it (SourceDataError): let the slow way see such pages
        return None
    data = content if records_path is not None else b'{"' + _WRAP.encode() + b'":' + content + b"}"
    parse = pa_json.ParseOptions(
        explicit_schema=layout, unexpected_field_behavior="ignore", newlines_in_values=b"\n" in data
    )
    read = pa_json.ReadOptions(use_threads=False, block_size=max(len(data) + 1, 1 << 16))
    try:
        table = pa_json.read_json(io.BytesIO(data), read_options=read, parse_options=parse)
        if table.num_rows != 1:
            return None  # several top-level values: not one JSON document
        records = _at(table, records_path or _WRAP)
        if records.null_count:
            return None  # no list there
        structs = records.flatten()
        if structs.null_count:
            return None  # a record that is not an object
        batch = pa.RecordBatch.from_struct_array(structs)
        if not batch.schema.equals(schema):
            return None
        body = _nested_dict((path, _at(table, path)[0].as_py()) for path in body_fields)
    except _FAST_ERRORS:
        return None
    return batch, body


class RecordsView(Sequence[Mapping[str, Any]]):
    """A page's records, read from its batch on demand (paginators look at the last one, if any)."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self._batch = batch

    def __len__(self) -> int:
        return int(self._batch.num_rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self._batch.slice(*_bounds(index, len(self))).to_pylist()
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        row: dict[str, Any] = self._batch.slice(position, 1).to_pylist()[0]
        return row

    def __repr__(self) -> str:
        return f"RecordsView({len(self)} records)"


def _bounds(index: slice, length: int) -> tuple[int, int]:
    start, stop, step = index.indices(length)
    if step != 1:
        raise ValueError("RecordsView slices take no step")
    return start, max(0, stop - start)
