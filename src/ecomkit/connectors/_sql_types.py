"""SQL types to Arrow types, and the normalisation of what each driver hands back (private).

One mapping for every database: NUMERIC(p, s) → ``decimal128(p, s)``, timestamps with a time zone
(PostgreSQL ``timestamptz``, MySQL ``TIMESTAMP``, SQL Server ``DATETIMEOFFSET``) → ``timestamp[us, UTC]``,
JSON/JSONB and UUID → ``string``. Everything here is column-at-a-time (Arrow / numpy), never per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from ecomkit.errors import CastError, SourceDataError

__all__ = [
    "UTC_TIMESTAMP",
    "arrow_type",
    "batch_from_rows",
    "cast_batch",
    "needs_text_cast",
    "normalize_adbc",
]

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

_INT_BY_NAME = {"TINYINT": pa.int8(), "SMALLINT": pa.int16(), "MEDIUMINT": pa.int32(), "BIGINT": pa.int64()}
_UINT_BY_NAME = {
    "TINYINT": pa.uint8(),
    "SMALLINT": pa.uint16(),
    "MEDIUMINT": pa.uint32(),
    "BIGINT": pa.uint64(),
}


def _integer_type(sa_type: TypeEngine[Any], backend: str) -> pa.DataType:
    name = type(sa_type).__name__.upper()
    if getattr(sa_type, "unsigned", False):
        return _UINT_BY_NAME.get(name, pa.uint32())
    if name in _INT_BY_NAME:
        return _INT_BY_NAME[name]
    if isinstance(sa_type, sa.BigInteger):
        return pa.int64()
    if isinstance(sa_type, sa.SmallInteger):
        return pa.int16()
    # SQLite stores every INTEGER as a 64-bit value whatever the declared name.
    return pa.int64() if backend == "sqlite" else pa.int32()


def arrow_type(sa_type: TypeEngine[Any], backend: str) -> pa.DataType | None:
    """The Arrow type ecomkit reads a column of ``sa_type`` as, or ``None`` to keep the driver's."""
    if isinstance(sa_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sa_type, sa.Integer):
        return _integer_type(sa_type, backend)
    if isinstance(sa_type, sa.Float):
        small = isinstance(sa_type, sa.REAL) or (type(sa_type).__name__ == "FLOAT" and backend == "mysql")
        return pa.float32() if small and backend != "sqlite" else pa.float64()
    if isinstance(sa_type, sa.Numeric):
        precision, scale = sa_type.precision, sa_type.scale
        if precision is None:  # PostgreSQL's unconstrained NUMERIC: no fixed scale to give it
            return pa.string()
        scale = scale or 0
        return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    if isinstance(sa_type, sa.Uuid | sa.JSON):
        return pa.string()
    if isinstance(sa_type, sa.String):  # includes Enum, Text, NVARCHAR...
        return pa.string()
    if isinstance(sa_type, sa.DateTime):
        aware = (
            bool(sa_type.timezone)
            or (backend == "mysql" and type(sa_type).__name__ == "TIMESTAMP")
            or type(sa_type).__name__ == "DATETIMEOFFSET"
        )
        return UTC_TIMESTAMP if aware else pa.timestamp("us")
    if isinstance(sa_type, sa.Date):
        return pa.date32()
    if isinstance(sa_type, sa.Time):
        return pa.time64("us")
    if isinstance(sa_type, sa.Interval):
        return pa.duration("us")
    if isinstance(sa_type, sa.LargeBinary | sa.types._Binary):
        return pa.binary()
    return None


def needs_text_cast(sa_type: TypeEngine[Any]) -> bool:
    """Whether a row-based driver should be handed this column as text (UUID, JSON)."""
    return isinstance(sa_type, sa.Uuid | sa.JSON)


# --- ADBC (PostgreSQL) results ------------------------------------------------------------------

_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint8).reshape(256, 2)
_UUID_HEX_POSITIONS = np.array(
    [i for i in range(36) if i not in (8, 13, 18, 23)],
    dtype=np.intp,
)


def _uuid_to_string(storage: pa.FixedSizeBinaryArray) -> pa.Array:
    """Format 16-byte UUIDs as canonical 8-4-4-4-12 text, vectorised through numpy."""
    n = len(storage)
    raw = np.frombuffer(storage.buffers()[1], dtype=np.uint8)[storage.offset * 16 : (storage.offset + n) * 16]
    hexed = _HEX[raw.reshape(n, 16)].reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, _UUID_HEX_POSITIONS] = hexed
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    text = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())])
    if storage.null_count:
        return pc.if_else(storage.is_valid(), text, pa.scalar(None, pa.string()))
    return text


def _numeric_type(field: pa.Field) -> pa.DataType:
    """decimal128(p, s) from PostgreSQL's typmod, or string for an unconstrained NUMERIC."""
    meta = field.metadata or {}
    try:
        typmod = int(meta.get(b"POSTGRESQL:typmod", b"-1"))
    except ValueError:
        typmod = -1
    if typmod < 4:
        return pa.string()
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    if scale > precision:  # negative scales (PostgreSQL 15+) have no Arrow decimal equivalent
        return pa.string()
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def normalize_adbc(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Turn ADBC's PostgreSQL extension columns into plain Arrow types and drop driver metadata."""
    columns: list[pa.Array] = []
    fields: list[pa.Field] = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        kind = field.type
        if isinstance(kind, pa.BaseExtensionType):
            storage = column.storage
            name = kind.extension_name
            if name == "arrow.uuid":
                column = _uuid_to_string(storage)
            elif name == "arrow.opaque" and getattr(kind, "type_name", "") == "numeric":
                target = _numeric_type(field)
                column = storage if target == pa.string() else _cast(storage, target, field.name)
            else:  # arrow.json, other opaque types (enum, inet, ...): their text form
                column = storage
        columns.append(column)
        fields.append(pa.field(field.name, column.type, field.nullable))
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


# --- rows from a DB-API driver ---------------------------------------------------------------------


def _cast(column: pa.Array, target: pa.DataType, name: str) -> pa.Array:
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise CastError(name, _first_line(exc), str(target)) from None


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _column(values: Sequence[Any], target: pa.DataType | None, name: str) -> pa.Array:
    if target is not None:
        try:
            return pa.array(values, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            pass  # e.g. SQLite's text timestamps: infer first, then cast
    try:
        inferred = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise SourceDataError(
            f"column {name!r} holds values Arrow cannot represent ({_first_line(exc)}); "
            "pass schema= with its type"
        ) from None
    return inferred if target is None else _cast(inferred, target, name)


def batch_from_rows(
    rows: Sequence[Sequence[Any]], names: Sequence[str], types: Mapping[str, pa.DataType | None]
) -> pa.RecordBatch:
    """Build a RecordBatch from DB-API row tuples, column by column (an empty one keeps its schema)."""
    if not rows:
        arrays = [pa.array([], type=types.get(name) or pa.null()) for name in names]
    else:
        by_column = zip(*rows, strict=True)
        arrays = [
            _column(values, types.get(name), name) for name, values in zip(names, by_column, strict=True)
        ]
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


def cast_batch(batch: pa.RecordBatch, schema: pa.Schema | None) -> pa.RecordBatch:
    """Cast the columns named in ``schema`` to its types (an explicit schema wins)."""
    if schema is None:
        return batch
    columns = list(batch.columns)
    fields = list(batch.schema)
    for i, field in enumerate(fields):
        index = schema.get_field_index(field.name)
        if index < 0:
            continue
        target = schema.field(index)
        if not columns[i].type.equals(target.type):
            columns[i] = _cast(columns[i], target.type, field.name)
        if not target.nullable and columns[i].null_count:
            raise SourceDataError(
                f"column {field.name!r} is declared not null in schema= but has {columns[i].null_count} nulls"
            )
        fields[i] = pa.field(field.name, target.type, target.nullable)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))
