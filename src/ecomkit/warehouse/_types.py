"""Arrow types in SQL dialects, identifier and literal quoting (private).

One mapping per target, decided once: money (``float64``) is ``double precision``, canonical timestamps
(``timestamp[us, UTC]``) are ``timestamptz``, strings are ``text``, decimals keep precision and scale.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

__all__ = [
    "arrow_family",
    "duckdb_type",
    "family",
    "normalize_type",
    "pg_type",
    "quote_ident",
    "quote_literal",
    "sqlite_type",
]


def quote_ident(name: str) -> str:
    """Quote ``name`` as a SQL identifier (PostgreSQL, DuckDB and SQLite share the double-quote rule)."""
    if not name or "\x00" in name:
        raise ValueError(f"not a valid identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote ``text`` as a standard SQL string literal."""
    if "\x00" in text:
        raise ValueError("string literals cannot hold NUL characters")
    return "'" + text.replace("'", "''") + "'"


def normalize_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type a column is loaded as: dictionaries decoded, views and large types made plain,
    timestamps in microseconds (PostgreSQL's resolution), unsigned ints widened to a signed type."""
    if pa.types.is_dictionary(t):
        return normalize_type(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t) or pa.types.is_fixed_size_binary(t):
        return pa.binary()
    if pa.types.is_timestamp(t) and t.unit != "us":
        return pa.timestamp("us", tz=t.tz)
    if pa.types.is_timestamp(t) and t.tz is not None and t.tz not in ("UTC", "utc", "+00:00", "Etc/UTC"):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_uint8(t):
        return pa.int16()
    if pa.types.is_uint16(t):
        return pa.int32()
    if pa.types.is_uint32(t):
        return pa.int64()
    if pa.types.is_uint64(t):
        return pa.decimal128(20, 0)
    if pa.types.is_int8(t):
        return pa.int16()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_time(t) and t != pa.time64("us"):
        return pa.time64("us")
    if pa.types.is_null(t):
        return pa.string()
    return t


def _scalar_pg(t: pa.DataType) -> str | None:
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int16(t):
        return "smallint"
    if pa.types.is_int32(t):
        return "integer"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_float32(t):
        return "real"
    if pa.types.is_float64(t):
        return "double precision"
    if pa.types.is_decimal(t):
        return f"numeric({t.precision},{t.scale})"
    if pa.types.is_string(t):
        return "text"
    if pa.types.is_binary(t):
        return "bytea"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz is not None else "timestamp"
    if pa.types.is_time64(t):
        return "time"
    if pa.types.is_duration(t):
        return "interval"
    return None


def pg_type(t: pa.DataType) -> str | None:
    """The PostgreSQL type of Arrow type ``t`` (``None`` when there is none)."""
    t = normalize_type(t)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _scalar_pg(normalize_type(t.value_type))
        return f"{inner}[]" if inner else None
    return _scalar_pg(t)


_DUCKDB_RENAMES = {"bytea": "BLOB", "timestamptz": "TIMESTAMPTZ", "text": "VARCHAR"}


def duckdb_type(t: pa.DataType) -> str | None:
    """The DuckDB type of Arrow type ``t``; DuckDB keeps unsigned ints and nested types natively."""
    if pa.types.is_uint8(t):
        return "UTINYINT"
    if pa.types.is_uint16(t):
        return "USMALLINT"
    if pa.types.is_uint32(t):
        return "UINTEGER"
    if pa.types.is_uint64(t):
        return "UBIGINT"
    if pa.types.is_int8(t):
        return "TINYINT"
    t = normalize_type(t)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = duckdb_type(t.value_type)
        return f"{inner}[]" if inner else None
    scalar = _scalar_pg(t)
    return None if scalar is None else _DUCKDB_RENAMES.get(scalar, scalar.upper())


def sqlite_type(t: pa.DataType) -> str | None:
    """The SQLite column type (affinity) of Arrow type ``t``."""
    scalar = _scalar_pg(normalize_type(t))
    if scalar is None:
        return None
    if scalar in ("smallint", "integer", "bigint", "boolean"):
        return "INTEGER"
    if scalar in ("real", "double precision"):
        return "REAL"
    if scalar.startswith("numeric"):
        return "NUMERIC"
    if scalar == "bytea":
        return "BLOB"
    if scalar in ("timestamptz", "timestamp"):
        return "TIMESTAMP"
    return "TEXT" if scalar == "text" else scalar.upper()


_FAMILIES: dict[str, tuple[str, ...]] = {
    "number": (
        "smallint",
        "integer",
        "bigint",
        "int",
        "real",
        "double",
        "float",
        "numeric",
        "decimal",
        "hugeint",
        "tinyint",
        "ubigint",
        "uinteger",
        "usmallint",
        "utinyint",
    ),
    "text": ("text", "character", "varchar", "char", "citext", "string", "uuid", "json", "clob"),
    "time": ("timestamp", "date", "datetime"),
    "bool": ("boolean", "bool"),
    "bytes": ("bytea", "blob", "binary"),
}


def family(sql_type: str) -> str:
    """The coarse type family of a SQL type name (``number``, ``text``, ``time``...), for compatibility
    checks: a column may be loaded into an existing column of the same family."""
    lowered = sql_type.lower().strip()
    if lowered.endswith("[]") or lowered.startswith(("array", "_")):
        return "array"
    for name, prefixes in _FAMILIES.items():
        if lowered.startswith(prefixes):
            return name
    return lowered


def arrow_family(t: pa.DataType, mapper: Callable[[pa.DataType], str | None] = pg_type) -> str | None:
    """The type family of an Arrow type (through the target's mapping)."""
    mapped = mapper(t)
    return None if mapped is None else family(mapped)
