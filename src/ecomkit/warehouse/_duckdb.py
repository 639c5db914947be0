"""Loading Arrow into DuckDB, the embedded warehouse (private).

The Arrow data is registered with DuckDB and scanned in place (no copy into Python objects); the load is
one ``INSERT ... SELECT`` (append, replace) or an ``UPDATE`` + ``INSERT`` from a deduplicated staging table
(upsert), inside one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ecomkit.warehouse._common import (
    ColumnInfo,
    Outcome,
    ensure_table,
    insert_select,
    keep_last_sql,
    upsert_sql,
)
from ecomkit.warehouse._types import duckdb_type, quote_ident

__all__ = ["connect", "is_duckdb", "load_duckdb"]

_SUFFIXES = (".duckdb", ".ddb", ".db.duckdb")


def is_duckdb(target: object) -> bool:
    """Whether ``target`` names a DuckDB database: a connection, ``duckdb:///path`` or a ``*.duckdb`` path."""
    if type(target).__module__.startswith(("duckdb", "_duckdb")):
        return True
    if isinstance(target, Path):
        return target.suffix in (".duckdb", ".ddb")
    return isinstance(target, str) and (target.startswith("duckdb:") or target.endswith(_SUFFIXES))


def connect(target: object) -> tuple[Any, bool]:
    """A DuckDB connection for ``target`` and whether the caller must close it.

    A connection passed in is duplicated with ``cursor()`` so the load's transaction is its own.
    """
    import duckdb

    if isinstance(target, duckdb.DuckDBPyConnection):
        return target.cursor(), True
    path = str(target)
    if path.startswith("duckdb:"):
        path = path.removeprefix("duckdb:").removeprefix("///").removeprefix("//") or ":memory:"
    return duckdb.connect(path), True


def _columns(con: Any, name: str) -> list[ColumnInfo] | None:
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable = 'YES', column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema() "
        "ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [ColumnInfo(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows] or None


def load_duckdb(
    source: pa.Table | pa.RecordBatchReader,
    target: object,
    name: str,
    *,
    mode: str,
    key: Sequence[str],
    create: bool,
    add_columns: bool,
) -> Outcome:
    """Load ``source`` into ``name`` (see :func:`ecomkit.warehouse.load`)."""
    con, owned = connect(target)
    view = f"_ecomkit_src_{uuid.uuid4().hex[:16]}"
    try:
        con.register(view, source)
        con.begin()
        try:
            outcome = _load(
                con, source.schema, view, name, mode=mode, key=key, create=create, add_columns=add_columns
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.unregister(view)
    finally:
        if owned:
            con.close()
    return outcome


def _count(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _load(
    con: Any,
    schema: pa.Schema,
    view: str,
    name: str,
    *,
    mode: str,
    key: Sequence[str],
    create: bool,
    add_columns: bool,
) -> Outcome:
    created = ensure_table(
        name,
        schema,
        key,
        duckdb_type,
        create=create,
        add_columns=add_columns,
        columns_of=lambda table: _columns(con, table),
        execute=con.execute,
    )
    columns = schema.names
    if mode == "replace":
        con.execute(f"DELETE FROM {quote_ident(name)}")
    if mode != "upsert":
        return Outcome(_count(con, insert_select(name, columns, quote_ident(view))), 0, created)
    stage = quote_ident(f"{view}_stage")
    cols = ", ".join(quote_ident(c) for c in columns)
    # Later rows of the batch win over earlier ones with the same key (insertion order is preserved).
    con.execute(f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {quote_ident(view)}")
    con.execute(keep_last_sql(stage, key))
    update, insert = upsert_sql(name, columns, key, stage)
    updated = _count(con, update) if update else 0
    inserted = _count(con, insert)
    con.execute(f"DROP TABLE {stage}")
    return Outcome(inserted, updated, created)
