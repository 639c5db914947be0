"""Cast columns to a target schema, reporting every value that cannot be cast as a rule failure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.cleaning import _duck
from ecomkit.cleaning.rules import Custom
from ecomkit.cleaning.validate import Validation, validate
from ecomkit.errors import CastError

__all__ = ["coerce"]

_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def coerce(table: TableLike, schema: pa.Schema) -> Validation:
    """Cast the columns named in ``schema`` to its types; uncastable values become rule failures, not nulls.

    Text is cast to numbers, decimals, booleans, dates and timestamps (naive text timestamps are read as
    UTC). A column is cast by Arrow when every value casts; otherwise DuckDB's ``TRY_CAST`` finds the values
    that cannot be cast, and each such row fails the rule ``cast(column, type)`` with the bad value in the
    reason. Columns not in ``schema`` are kept as they are.

    Args:
        table: the input (Arrow or any PyCapsule-stream object).
        schema: target fields; each must name a column of ``table``.

    Returns:
        A ``Validation``: ``valid`` holds the rows whose every value was cast (with the target types),
        ``invalid`` the other rows with their original values plus ``row``, ``rule`` and ``reason``.

    Raises:
        MissingColumnError: a schema field names no column of ``table``.
        CastError: a column cannot be cast to the target type at all.

    Example:
        >>> import pyarrow as pa
        >>> raw = pa.table({"price": ["1.5", "abc", None]})
        >>> out = coerce(raw, pa.schema([("price", pa.float64())]))
        >>> out.valid.column("price").to_pylist(), out.invalid.column("reason").to_pylist()
        ([1.5, None], ['cannot cast price to double, got abc'])
    """
    table = to_table(table)
    require_columns(table, schema.names, what="table to coerce")
    cast_table = table
    checks: list[Custom] = []
    for target in schema:
        cast, bad = _cast_column(table.column(target.name), target.type, target.name)
        index = cast_table.schema.get_field_index(target.name)
        cast_table = cast_table.set_column(index, pa.field(target.name, target.type), cast)
        if bad is not None:
            checks.append(
                Custom(
                    name=f"cast({target.name}, {target.type})",
                    fn=_constant(pa.array(~bad)),
                    reads=(target.name,),
                    message=f"cannot cast {target.name} to {target.type}",
                )
            )
    checked = validate(table, checks)
    if not checks:
        return replace(checked, valid=cast_table)
    keep = np.ones(table.num_rows, dtype=bool)
    for mask in checked.failing_masks.values():
        keep &= ~mask
    return replace(checked, valid=cast_table.filter(pa.array(keep)))


def _constant(mask: pa.Array) -> Any:
    return lambda _table: mask


def _cast_column(
    values: pa.ChunkedArray, target: pa.DataType, name: str
) -> tuple[pa.ChunkedArray, np.ndarray[Any, np.dtype[np.bool_]] | None]:
    """The cast column (uncastable values null) and a mask of the uncastable rows (None if none)."""
    try:
        return pc.cast(values, target), None
    except _CAST_ERRORS as first:
        duck_type = _duck_type(target)
        if duck_type is None:
            raise CastError(name, str(first), str(target)) from first
        error = first
    sql = f"SELECT TRY_CAST({_duck.ident(name)} AS {duck_type}) AS v FROM t"
    with _duck.connect(t=pa.table({name: values})) as con:
        tried = _duck.arrow(con, sql).column("v")
    bad = np.asarray(
        pc.and_(pc.is_null(tried), pc.is_valid(values)).to_numpy(zero_copy_only=False), dtype=bool
    )
    try:
        cast = pc.cast(tried, target)
    except _CAST_ERRORS as exc:
        raise CastError(name, str(error), str(target)) from exc
    return cast, (bad if bad.any() else None)


def _duck_type(kind: pa.DataType) -> str | None:
    """The DuckDB type to TRY_CAST into for an Arrow target type, or None where there is none."""
    simple = {
        pa.int8(): "TINYINT",
        pa.int16(): "SMALLINT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.uint8(): "UTINYINT",
        pa.uint16(): "USMALLINT",
        pa.uint32(): "UINTEGER",
        pa.uint64(): "UBIGINT",
        pa.float32(): "REAL",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.string(): "VARCHAR",
    }
    if kind in simple:
        return simple[kind]
    if pa.types.is_decimal(kind) and kind.precision <= 38:
        return f"DECIMAL({kind.precision}, {kind.scale})"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz is not None else "TIMESTAMP"
    return None
