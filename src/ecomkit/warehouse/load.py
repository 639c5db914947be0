"""Fast, atomic, idempotent loading of Arrow tables into PostgreSQL/TimescaleDB, DuckDB and SQLite.

* **PostgreSQL / TimescaleDB**: binary ``COPY`` through ADBC (``adbc_ingest``), straight into the table
  or through a temporary staging table, then ``INSERT``/``INSERT ... ON CONFLICT`` — one transaction.
* **DuckDB** (the embedded default): the Arrow data is registered and scanned in place.
* **SQLite**: through SQLAlchemy, with a staging table, in one ``BEGIN IMMEDIATE`` transaction.

Every load is atomic (a failure at any point leaves the table as it was) and, with ``mode="upsert"``,
idempotent (loading the same batch twice gives the same table).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
from sqlalchemy.engine import URL, Engine

from ecomkit._arrow import TableLike
from ecomkit._sql import backend, engine_for, redact
from ecomkit.errors import ConfigError, EcomkitError, LoadError, MissingColumnError
from ecomkit.warehouse._types import normalize_type

__all__ = ["LoadResult", "Mode", "load"]

#: How rows meet the existing table: add them, replace the table's rows, or insert-or-update by key.
Mode = Literal["append", "replace", "upsert"]


@dataclass(frozen=True)
class LoadResult:
    """What a load did.

    Attributes:
        table: the target table.
        target: the kind of database: ``"postgresql"``, ``"duckdb"`` or ``"sqlite"``.
        mode: the load mode.
        rows: rows read from the input.
        inserted: rows inserted.
        updated: rows updated (upsert only).
        created: whether the table was created by this load.
        seconds: wall-clock duration.
    """

    table: str
    target: str
    mode: Mode
    rows: int
    inserted: int
    updated: int
    created: bool
    seconds: float


def load(
    data: TableLike | Iterable[pa.RecordBatch],
    target: str | Path | URL | Engine | object,
    name: str,
    *,
    mode: Mode = "append",
    key: str | Sequence[str] | None = None,
    create: bool = True,
    add_columns: bool = False,
    schema: pa.Schema | None = None,
) -> LoadResult:
    """Load Arrow data into table ``name`` of ``target``, atomically.

    Args:
        data: a ``pyarrow.Table``/``RecordBatch``/``RecordBatchReader``, anything with
            ``__arrow_c_stream__`` (pandas, polars, DuckDB results), or an iterable of record batches
            (streamed: memory stays bounded by the batch size on PostgreSQL and SQLite).
        target: a DuckDB database (``"warehouse.duckdb"``, ``Path``, ``"duckdb:///path"`` or a DuckDB
            connection), or a SQLAlchemy URL/Engine of PostgreSQL/TimescaleDB or SQLite.
        name: the table (one identifier, quoted; resolved through the connection's search path).
        mode: ``"append"`` adds rows; ``"replace"`` replaces the table's rows (keeping the table, its
            indexes and grants); ``"upsert"`` inserts new keys and updates existing ones (later rows of
            the batch win over earlier ones with the same key).
        key: the key column(s); required for ``"upsert"``; becomes the primary key of a created table.
        create: create the table from the Arrow schema when it does not exist.
        add_columns: add data columns the table lacks (as nullable columns) instead of failing.
        schema: cast the data to this Arrow schema first (required when ``data`` is an empty iterable).

    Returns:
        A :class:`LoadResult`.

    Raises:
        LoadError: the load failed (incompatible schema naming the column, null keys, a constraint
            violation...); the table is as it was before.
        ConfigError: a bad argument (mode, key, target).

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit import warehouse
        >>> t = pa.table({"order_id": ["A1", "A2"], "total": [10.0, 20.0]})
        >>> r = warehouse.load(t, "duckdb:///:memory:", "orders", mode="upsert", key="order_id")
        >>> (r.inserted, r.updated)
        (2, 0)
    """
    start = time.perf_counter()
    if mode not in ("append", "replace", "upsert"):
        raise ConfigError(f"mode must be 'append', 'replace' or 'upsert'; got {mode!r}")
    if not isinstance(name, str) or not name or "\x00" in name or len(name.encode()) > 63:
        raise ConfigError(f"name must be a table name of 1 to 63 bytes without NUL characters; got {name!r}")
    keys = _keys(key)
    if mode == "upsert" and not keys:
        raise ConfigError("mode='upsert' needs key= (the column or columns that identify a row)")
    source = _source(data, schema)
    missing = [k for k in keys if k not in source.schema.names]
    if missing:
        raise MissingColumnError(missing[0], source.schema.names, what="data to load")
    counter = _Counter()
    source = _checked(source, keys, counter)
    kind = _kind(target)
    try:
        if kind == "duckdb":
            from ecomkit.warehouse._duckdb import load_duckdb

            outcome = load_duckdb(
                source, target, name, mode=mode, key=keys, create=create, add_columns=add_columns
            )
        else:
            engine = engine_for(target)  # type: ignore[arg-type]
            reader = source.to_reader() if isinstance(source, pa.Table) else source
            if kind == "postgresql":
                from ecomkit.warehouse._postgres import load_postgres

                outcome = load_postgres(
                    reader, engine, name, mode=mode, key=keys, create=create, add_columns=add_columns
                )
            else:
                from ecomkit.warehouse._sqlite import load_sqlite

                outcome = load_sqlite(
                    reader, engine, name, mode=mode, key=keys, create=create, add_columns=add_columns
                )
    except EcomkitError:
        raise
    except Exception as exc:  # a driver error: wrap it, naming the table, without secrets
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadError(
            f"loading {name!r} into {_describe(target)} failed; nothing was written: {message}"
        ) from exc
    return LoadResult(
        table=name,
        target=kind,
        mode=mode,
        rows=counter.rows,
        inserted=outcome.inserted,
        updated=outcome.updated,
        created=outcome.created,
        seconds=time.perf_counter() - start,
    )


def _keys(key: str | Sequence[str] | None) -> tuple[str, ...]:
    if key is None:
        return ()
    keys = (key,) if isinstance(key, str) else tuple(key)
    if any(not isinstance(k, str) or not k for k in keys) or len(set(keys)) != len(keys):
        raise ConfigError(f"key must be a column name or a list of distinct column names; got {key!r}")
    return keys


def _kind(target: object) -> str:
    from ecomkit.warehouse._duckdb import is_duckdb

    if is_duckdb(target):
        return "duckdb"
    if not isinstance(target, str | URL | Engine):
        raise ConfigError(
            f"target must be a DuckDB path/connection or a SQLAlchemy URL/Engine; got {type(target).__name__}"
        )
    name = backend(target)
    if name not in ("postgresql", "sqlite"):
        raise ConfigError(f"load supports PostgreSQL/TimescaleDB, SQLite and DuckDB targets; got {name!r}")
    return name


def _describe(target: object) -> str:
    if isinstance(target, Engine):
        return redact(target.url)
    if isinstance(target, str | URL):
        return redact(target) if "://" in str(target) else str(target)
    return type(target).__name__


def _source(data: object, schema: pa.Schema | None) -> pa.Table | pa.RecordBatchReader:
    """The input as a Table (kept in place) or a streaming RecordBatchReader."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return _cast_table(data, schema)
    if isinstance(data, pa.RecordBatchReader):
        reader = data
    elif hasattr(data, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(data)
    elif isinstance(data, Iterable):
        batches = iter(data)
        first = next(batches, None)
        if first is None:
            if schema is None:
                raise ConfigError(
                    "data is an empty iterable; pass schema= so the table can be checked or created"
                )
            return schema.empty_table()
        if isinstance(first, pa.Table):
            first_schema = first.schema
            chained: Iterator[pa.RecordBatch] = itertools.chain.from_iterable(
                (b.to_batches() if isinstance(b, pa.Table) else [b])
                for b in itertools.chain([first], batches)
            )
        elif isinstance(first, pa.RecordBatch):
            first_schema = first.schema
            chained = itertools.chain([first], batches)
        else:
            raise ConfigError(f"data must yield pyarrow RecordBatches or Tables; got {type(first).__name__}")
        reader = pa.RecordBatchReader.from_batches(first_schema, chained)
    else:
        raise ConfigError(
            f"data must be a pyarrow Table, RecordBatchReader, an Arrow stream or an iterable of batches; "
            f"got {type(data).__name__}"
        )
    target_schema = _target_schema(reader.schema, schema)
    if target_schema.equals(reader.schema):
        return reader
    return pa.RecordBatchReader.from_batches(target_schema, (_cast_batch(b, target_schema) for b in reader))


def _target_schema(actual: pa.Schema, wanted: pa.Schema | None) -> pa.Schema:
    if wanted is not None:
        for field in wanted:
            if field.name not in actual.names:
                raise MissingColumnError(field.name, actual.names, what="data to load")
        base = wanted
    else:
        base = actual
    if len(set(base.names)) != len(base.names):
        raise ConfigError(f"data has duplicate column names: {base.names}")
    return pa.schema([f.with_type(normalize_type(f.type)) for f in base])


def _cast_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    try:
        columns = [batch.column(f.name).cast(f.type, safe=not pa.types.is_timestamp(f.type)) for f in schema]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise LoadError(f"cannot cast the data to the load schema: {exc}") from exc
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _cast_table(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    target = _target_schema(table.schema, schema)
    if target.equals(table.schema):
        return table
    try:
        columns = [table.column(f.name).cast(f.type, safe=not pa.types.is_timestamp(f.type)) for f in target]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise LoadError(f"cannot cast the data to the load schema: {exc}") from exc
    return pa.Table.from_arrays(columns, schema=target)


class _Counter:
    rows = 0


def _check_keys(batch: pa.RecordBatch | pa.Table, keys: tuple[str, ...]) -> None:
    for key in keys:
        if batch.column(key).null_count:
            raise LoadError(f"key column {key!r} holds null values; every row needs a key")


def _checked(
    source: pa.Table | pa.RecordBatchReader, keys: tuple[str, ...], counter: _Counter
) -> pa.Table | pa.RecordBatchReader:
    """Count rows and refuse null keys; tables up front, streams batch by batch (aborting the load)."""
    if isinstance(source, pa.Table):
        _check_keys(source, keys)
        counter.rows = source.num_rows
        return source

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in source:
            _check_keys(batch, keys)
            counter.rows += batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(source.schema, batches())
