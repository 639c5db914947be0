"""Loading Arrow into PostgreSQL / TimescaleDB: binary COPY through ADBC, one transaction (private).

Append and replace COPY straight into the target when every column's Arrow type is the target column's
own type (the common case: a table ecomkit created); otherwise, and for upserts, the data is COPYed into a
temporary staging table and moved with one ``INSERT ... SELECT`` (casting), ``INSERT ... ON CONFLICT``
(when a unique index covers the key) or ``UPDATE`` + ``INSERT`` under a table lock. Everything runs in
one transaction: a failure anywhere rolls back to the table as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine

from ecomkit._sql import adbc_uri
from ecomkit.errors import LoadError
from ecomkit.warehouse._common import (
    ColumnInfo,
    Outcome,
    check_columns,
    create_table_sql,
    insert_select,
    upsert_sql,
)
from ecomkit.warehouse._types import pg_type, quote_ident

__all__ = ["load_postgres"]

# Arrow types whose binary COPY encoding ADBC writes as exactly this PostgreSQL type.
_DIRECT = {
    "boolean": "boolean",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "real": "real",
    "double precision": "double precision",
    "text": "text",
    "bytea": "bytea",
    "date": "date",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
}


def _connect(engine: Engine) -> Any:
    try:
        import adbc_driver_postgresql.dbapi as adbc_pg
    except ModuleNotFoundError as exc:  # pragma: no cover - an install without the postgres extra
        raise LoadError(
            "loading into PostgreSQL needs adbc-driver-postgresql: pip install 'ecomkit[postgres]'"
        ) from exc
    return adbc_pg.connect(adbc_uri(engine))


def _columns(cur: Any, name: str) -> list[ColumnInfo] | None:
    cur.execute("SELECT to_regclass($1)::oid::bigint", (quote_ident(name),))
    row = cur.fetchone()
    if row is None or row[0] is None:
        return None
    cur.execute(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.atthasdef "
        "FROM pg_attribute a WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        (row[0],),
    )
    return [ColumnInfo(r[0], r[1], bool(r[2]), bool(r[3])) for r in cur.fetchall()]


def _has_unique_index(cur: Any, name: str, key: Sequence[str]) -> bool:
    cur.execute(
        "SELECT array_agg(a.attname::text) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
        "GROUP BY i.indexrelid",
        (quote_ident(name),),
    )
    return any(set(row[0]) == set(key) for row in cur.fetchall())


def _routed(cur: Any, name: str) -> bool:
    """Whether rows inserted into ``name`` are routed to child tables (partitions, hypertable chunks)."""
    cur.execute(
        "SELECT c.relkind = 'p' OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid) "
        "OR EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'ts_insert_blocker') "
        "FROM pg_class c WHERE c.oid = to_regclass($1)",
        (quote_ident(name),),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def _scalar(cur: Any, sql: str) -> int:
    cur.execute(sql)
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _without_nul(source: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """Pass ``source`` through, raising :class:`LoadError` on a NUL character in a text column.

    PostgreSQL text cannot hold U+0000; caught here, the error names the column instead of surfacing as
    an encoding error from COPY. Only text columns are scanned (one vectorized pass each).
    """
    text = [
        i
        for i, f in enumerate(source.schema)
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    if not text:
        return source

    def batches() -> Any:
        for batch in source:
            for i in text:
                if pc.any(pc.match_substring(batch.column(i), "\x00")).as_py():
                    raise LoadError(
                        f"column {source.schema.field(i).name!r} holds a NUL character (\\x00), which "
                        "PostgreSQL text cannot store; strip it (pyarrow.compute.replace_substring) first"
                    )
            yield batch

    return pa.RecordBatchReader.from_batches(source.schema, batches())


def load_postgres(
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
    source = _without_nul(source)
    conn = _connect(engine)
    try:
        cur = conn.cursor()
        try:
            outcome = _load(cur, source, name, mode=mode, key=key, create=create, add_columns=add_columns)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cur.close()
    finally:
        conn.close()
    return outcome


def _load(
    cur: Any,
    source: pa.RecordBatchReader,
    name: str,
    *,
    mode: str,
    key: Sequence[str],
    create: bool,
    add_columns: bool,
) -> Outcome:
    schema = source.schema
    existing = _columns(cur, name)
    created = False
    if existing is None:
        if not create:
            raise LoadError(f"table {name!r} does not exist (pass create=True to create it)")
        # Concurrent loads creating the same table: the first creates it, the others wait, then see it.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext($1))", (f"ecomkit.load:{name}",))
        cur.fetchall()
        existing = _columns(cur, name)
        if existing is None:
            cur.execute(create_table_sql(name, schema, key, pg_type))
            created = True
            existing = _columns(cur, name)
            assert existing is not None
    for alter in check_columns(name, schema, existing, pg_type, add_columns=add_columns):
        cur.execute(alter)
    if add_columns:
        existing = _columns(cur, name) or existing
    types = {c.name: c.type for c in existing}
    if mode == "replace":
        cur.execute(f"TRUNCATE {quote_ident(name)}")
    direct = all(_DIRECT.get(pg_type(f.type) or "") == types[f.name] for f in schema)
    if mode != "upsert" and direct:
        inserted = cur.adbc_ingest(name, source, mode="append")
        return Outcome(int(inserted), 0, created)
    stage = f"_ecomkit_stage_{uuid.uuid4().hex[:16]}"
    cur.adbc_ingest(stage, source, mode="create", temporary=True)
    staged = f"pg_temp.{quote_ident(stage)}"
    columns = schema.names
    casts = [types[c] for c in columns]
    if mode != "upsert":
        inserted = _scalar(
            cur,
            f"WITH ins AS ({insert_select(name, columns, staged, casts)} RETURNING 1) SELECT count(*) FROM ins",
        )
        cur.execute(f"DROP TABLE {staged}")
        return Outcome(inserted, 0, created)
    keys = ", ".join(quote_ident(k) for k in key)
    cast_cols = ", ".join(
        f"{quote_ident(c)}::{t} AS {quote_ident(c)}" for c, t in zip(columns, casts, strict=True)
    )
    dedup = f"(SELECT DISTINCT ON ({keys}) {cast_cols} FROM {staged} ORDER BY {keys}, ctid DESC)"
    if _has_unique_index(cur, name, key):
        cols = ", ".join(quote_ident(c) for c in columns)
        rest = [c for c in columns if c not in key]
        action = (
            "DO UPDATE SET " + ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in rest)
            if rest
            else "DO NOTHING"
        )
        upsert = (
            f"INSERT INTO {quote_ident(name)} ({cols}) SELECT {cols} FROM {dedup} AS s "
            f"ON CONFLICT ({keys}) {action}"
        )
        if _routed(cur, name):
            # Partitioned tables and hypertables route rows to children: system columns such as xmax
            # cannot be returned, so count the keys that already exist first.
            match = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in key)
            existing_keys = _scalar(
                cur,
                f"SELECT count(*) FROM {dedup} AS s WHERE EXISTS (SELECT 1 FROM {quote_ident(name)} AS t WHERE {match})",
            )
            total = _scalar(cur, f"WITH up AS ({upsert} RETURNING 1) SELECT count(*) FROM up")
            updated = existing_keys if rest else 0
            inserted = total - updated
        else:
            cur.execute(
                f"WITH up AS ({upsert} RETURNING (xmax = 0) AS inserted) "
                f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
            )
            row = cur.fetchone()
            inserted, updated = int(row[0]), int(row[1])
    else:
        cur.execute(f"LOCK TABLE {quote_ident(name)} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"CREATE TEMP TABLE {quote_ident(stage + '_d')} AS SELECT * FROM {dedup} AS d")
        deduped = f"pg_temp.{quote_ident(stage + '_d')}"
        update, insert = upsert_sql(name, columns, key, deduped)
        updated = _scalar(cur, f"WITH u AS ({update} RETURNING 1) SELECT count(*) FROM u") if update else 0
        inserted = _scalar(cur, f"WITH i AS ({insert} RETURNING 1) SELECT count(*) FROM i")
        cur.execute(f"DROP TABLE {deduped}")
    cur.execute(f"DROP TABLE {staged}")
    return Outcome(inserted, updated, created)
