"""Loading Arrow into SQLite through SQLAlchemy (private).

Batches are written to a temporary staging table with ``executemany`` (SQLite has no bulk binary path),
then moved into the target with ``INSERT ... SELECT`` or ``UPDATE`` + ``INSERT``, all inside one
``BEGIN IMMEDIATE`` transaction. Timestamps are stored as UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``, the
format SQLAlchemy's ``DateTime`` reads), decimals as REAL, dates as ISO text.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ecomkit.warehouse._common import (
    ColumnInfo,
    Outcome,
    ensure_table,
    insert_select,
    keep_last_sql,
    upsert_sql,
)
from ecomkit.warehouse._types import normalize_type, quote_ident, sqlite_type

__all__ = ["load_sqlite"]


def _columns(conn: Connection, name: str) -> list[ColumnInfo] | None:
    rows = conn.exec_driver_sql(f"PRAGMA table_info({quote_ident(name)})").fetchall()
    # (cid, name, type, notnull, dflt_value, pk)
    return [ColumnInfo(r[1], r[2] or "", not r[3] and not r[5], r[4] is not None) for r in rows] or None


def _python_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = []
    for column, field in zip(batch.columns, batch.schema, strict=True):
        t = normalize_type(field.type)
        if pa.types.is_timestamp(t):
            arrays.append(pc.strftime(column, format="%Y-%m-%d %H:%M:%S"))
        elif pa.types.is_date(t) or pa.types.is_time(t):
            arrays.append(column.cast(pa.string()))
        elif pa.types.is_decimal(t):
            arrays.append(column.cast(pa.float64()))
        elif pa.types.is_duration(t):
            arrays.append(column.cast(pa.int64()))
        else:
            arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def load_sqlite(
    source: pa.RecordBatchReader,
    engine: Engine,
    name: str,
    *,
    mode: str,
    key: Sequence[str],
    create: bool,
    add_columns: bool,
) -> Outcome:
    """Load ``source`` into ``name`` (see :func:`ecomkit.warehouse.load`)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            outcome = _load(conn, source, name, mode=mode, key=key, create=create, add_columns=add_columns)
            conn.exec_driver_sql("COMMIT")
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        finally:
            conn.rollback()  # end SQLAlchemy's own (empty) transaction bookkeeping
    return outcome


def _load(
    conn: Connection,
    source: pa.RecordBatchReader,
    name: str,
    *,
    mode: str,
    key: Sequence[str],
    create: bool,
    add_columns: bool,
) -> Outcome:
    schema = source.schema
    created = ensure_table(
        name,
        schema,
        key,
        sqlite_type,
        create=create,
        add_columns=add_columns,
        columns_of=lambda table: _columns(conn, table),
        execute=conn.exec_driver_sql,
    )
    columns = schema.names
    stage_name = f"_ecomkit_stage_{uuid.uuid4().hex[:16]}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {quote_ident(stage_name)} ("
        + ", ".join(f"{quote_ident(f.name)} {sqlite_type(f.type)}" for f in schema)
        + ")"
    )
    stage = sa.Table(stage_name, sa.MetaData(), *(sa.Column(c) for c in columns), prefixes=["TEMPORARY"])
    for batch in source:
        if batch.num_rows:
            conn.execute(stage.insert(), _python_ready(batch).to_pylist())
    staged = f"temp.{quote_ident(stage_name)}"
    if mode == "replace":
        conn.exec_driver_sql(f"DELETE FROM {quote_ident(name)}")
    if mode != "upsert":
        inserted = conn.exec_driver_sql(insert_select(name, columns, staged)).rowcount
        conn.exec_driver_sql(f"DROP TABLE {staged}")
        return Outcome(int(inserted), 0, created)
    conn.exec_driver_sql(keep_last_sql(staged, key))
    update, insert = upsert_sql(name, columns, key, staged)
    updated = conn.exec_driver_sql(update).rowcount if update else 0
    inserted = conn.exec_driver_sql(insert).rowcount
    conn.exec_driver_sql(f"DROP TABLE {staged}")
    return Outcome(int(inserted), int(updated), created)
