"""Small shared Arrow helpers (private)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from ecomkit.errors import ConfigError, MissingColumnError

__all__ = ["TableLike", "require_columns", "to_table"]

#: Anything ecomkit accepts where a table is expected: a ``pyarrow.Table`` or ``RecordBatch``, or
#: any object exposing the Arrow PyCapsule stream interface (pandas, polars, DuckDB results).
TableLike = Any


def to_table(data: TableLike, *, name: str = "table") -> pa.Table:
    """Convert ``data`` to a ``pyarrow.Table`` once, at the API boundary.

    Accepts a ``pyarrow.Table``, a ``RecordBatch``, a ``RecordBatchReader`` or any object that
    implements ``__arrow_c_stream__`` (pandas >= 2.2, polars, DuckDB relations).

    Raises:
        ConfigError: ``data`` is none of these.
    """
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise ConfigError(
        f"{name} must be a pyarrow.Table or expose the Arrow PyCapsule stream interface "
        f"(__arrow_c_stream__); got {type(data).__name__}"
    )


def require_columns(table: pa.Table | pa.Schema, columns: Iterable[str], *, what: str = "table") -> None:
    """Raise :class:`MissingColumnError` naming the first column of ``columns`` not in ``table``."""
    names = table.names if isinstance(table, pa.Schema) else table.column_names
    present = set(names)
    for column in columns:
        if column not in present:
            raise MissingColumnError(column, list(names), what=what)


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``column`` as one contiguous array; a single chunk is returned as it is, without a copy.

    (``ChunkedArray.combine_chunks`` copies even a single chunk.)
    """
    if isinstance(column, pa.Array):
        return column
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks()
