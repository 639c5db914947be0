"""What every load target shares: column checks, CREATE TABLE from an Arrow schema, upsert SQL (private)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from ecomkit.errors import LoadError
from ecomkit.warehouse._types import family, quote_ident

__all__ = [
    "ColumnInfo",
    "Outcome",
    "check_columns",
    "create_table_sql",
    "ensure_table",
    "insert_select",
    "keep_last_sql",
    "upsert_sql",
]

TypeMapper = Callable[[pa.DataType], "str | None"]


@dataclass(frozen=True)
class ColumnInfo:
    """A column of an existing target table."""

    name: str
    type: str
    nullable: bool
    has_default: bool


@dataclass(frozen=True)
class Outcome:
    """What a dialect loader did."""

    inserted: int
    updated: int
    created: bool


def create_table_sql(name: str, schema: pa.Schema, key: Sequence[str], mapper: TypeMapper) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for an Arrow schema (key columns NOT NULL and the primary key)."""
    lines = []
    for field in schema:
        sql_type = mapper(field.type)
        if sql_type is None:
            raise LoadError(f"column {field.name!r}: the target cannot store Arrow type {field.type}")
        not_null = " NOT NULL" if (not field.nullable or field.name in key) else ""
        lines.append(f"{quote_ident(field.name)} {sql_type}{not_null}")
    if key:
        lines.append(f"PRIMARY KEY ({', '.join(quote_ident(k) for k in key)})")
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(name)} ({', '.join(lines)})"


def ensure_table(
    name: str,
    schema: pa.Schema,
    key: Sequence[str],
    mapper: TypeMapper,
    *,
    create: bool,
    add_columns: bool,
    columns_of: Callable[[str], list[ColumnInfo] | None],
    execute: Callable[[str], object],
) -> bool:
    """Create table ``name`` when it is missing (if ``create``), then check or add its columns.

    PostgreSQL does the same in its own loader, under a lock against concurrent creation.

    Returns:
        Whether the table was created.
    """
    existing = columns_of(name)
    created = False
    if existing is None:
        if not create:
            raise LoadError(f"table {name!r} does not exist (pass create=True to create it)")
        execute(create_table_sql(name, schema, key, mapper))
        created = True
        existing = columns_of(name)
        assert existing is not None
    for alter in check_columns(name, schema, existing, mapper, add_columns=add_columns):
        execute(alter)
    return created


def check_columns(
    table: str,
    schema: pa.Schema,
    existing: Sequence[ColumnInfo],
    mapper: TypeMapper,
    *,
    add_columns: bool,
) -> list[str]:
    """Check that ``schema`` can be loaded into the existing columns.

    Returns:
        ``ALTER TABLE ... ADD COLUMN`` statements for new nullable columns (when ``add_columns``).

    Raises:
        LoadError: a column is missing (and not added), has an incompatible type, or a NOT NULL column
            without a default is absent from the data.
    """
    by_name = {c.name: c for c in existing}
    alters: list[str] = []
    for field in schema:
        mapped = mapper(field.type)
        if mapped is None:
            raise LoadError(f"column {field.name!r}: the target cannot store Arrow type {field.type}")
        column = by_name.get(field.name)
        if column is None:
            if not add_columns:
                raise LoadError(
                    f"column {field.name!r} is not in table {table!r} (columns: {list(by_name)}); "
                    f"pass add_columns=True to add it"
                )
            alters.append(f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(field.name)} {mapped}")
            continue
        if family(mapped) != family(column.type):
            raise LoadError(
                f"column {field.name!r}: Arrow type {field.type} ({mapped}) cannot be loaded into "
                f"{table!r}.{field.name!r} of type {column.type}"
            )
    for column in existing:
        if column.name not in schema.names and not column.nullable and not column.has_default:
            raise LoadError(
                f"column {column.name!r} of {table!r} is NOT NULL without a default, and the data has no "
                f"such column"
            )
    return alters


def insert_select(table: str, columns: Sequence[str], source: str, casts: Sequence[str] | None = None) -> str:
    """``INSERT INTO table (columns) SELECT columns FROM source`` (each column optionally cast)."""
    cols = ", ".join(quote_ident(c) for c in columns)
    exprs = (
        cols
        if casts is None
        else ", ".join(
            f"{quote_ident(c)}::{t}" if t else quote_ident(c) for c, t in zip(columns, casts, strict=True)
        )
    )
    return f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {exprs} FROM {source}"


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str], source: str) -> tuple[str, str]:
    """An UPDATE ... FROM and an INSERT ... WHERE NOT EXISTS from a deduplicated ``source``.

    Used where no unique index covers the key (and on DuckDB and SQLite); run both in one transaction.
    """
    target = quote_ident(table)
    match = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in key)
    rest = [c for c in columns if c not in key]
    sets = ", ".join(f"{quote_ident(c)} = s.{quote_ident(c)}" for c in rest)
    update = f"UPDATE {target} AS t SET {sets} FROM {source} AS s WHERE {match}" if rest else ""
    cols = ", ".join(quote_ident(c) for c in columns)
    scols = ", ".join(f"s.{quote_ident(c)}" for c in columns)
    insert = (
        f"INSERT INTO {target} ({cols}) SELECT {scols} FROM {source} AS s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {match})"
    )
    return update, insert


def keep_last_sql(stage: str, key: Sequence[str]) -> str:
    """Delete from a staging table (with ``rowid``) all but the last row of each key: later rows win."""
    keys = ", ".join(quote_ident(k) for k in key)
    return f"DELETE FROM {stage} WHERE rowid NOT IN (SELECT max(rowid) FROM {stage} GROUP BY {keys})"
