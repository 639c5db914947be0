"""Read SQL tables and queries as Arrow: streamed in bounded batches, incrementally, injection-safe.

PostgreSQL and TimescaleDB are read through ADBC's binary COPY path (the ``postgres`` extra); MySQL and
MariaDB through pymysql's unbuffered server-side cursor; SQLite through the standard library; SQL Server
(and anything else SQLAlchemy speaks) through SQLAlchemy. Table and column names are always quoted by
SQLAlchemy and values are always bound parameters; a plain string is a table name, never SQL.

Incremental reads order rows by ``(cursor, key)`` and page through them with keyset pagination, so rows
that share a cursor value across a batch boundary are neither lost nor read twice. The position after
the last row handed on is a :class:`Watermark`; with ``state=`` it is committed to the sync state when
the consumer asks for the next batch, so an interrupted read resumes where the data stopped.

Example:
    >>> from ecomkit.connectors import sql
    >>> for batch in sql.read_batches("postgresql://shop@db/shop", "orders",
    ...                               cursor="updated_at", key="id", state=state):  # doctest: +SKIP
    ...     load(batch)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.sql.expression import SelectBase

from ecomkit._sql import backend as _backend_of
from ecomkit._sql import engine_for, redact
from ecomkit.connectors import _incremental
from ecomkit.connectors._incremental import StateSpec, Watermark, resolve_state
from ecomkit.connectors._sql_fetch import AdbcReader, DbapiReader, adbc_available, concat_batches, rebatch
from ecomkit.connectors._sql_types import arrow_type, cast_batch, needs_text_cast
from ecomkit.connectors.progress import ProgressHook, track
from ecomkit.connectors.state import State
from ecomkit.errors import ConfigError, DatabaseError

__all__ = ["Watermark", "read", "read_batches"]

_Source: TypeAlias = "str | URL | Engine"
_TableOrQuery: TypeAlias = "str | sa.TableClause | SelectBase | sa.TextClause"


@dataclass(frozen=True)
class _Plan:
    """Everything a read needs, resolved and validated before the first row is fetched."""

    engine: Engine
    backend: str
    label: str
    relation: sa.FromClause | None  # None: a plain text query, executed as written
    text: sa.TextClause | None
    output: tuple[str, ...]  # the columns handed on (empty: all of a text query's)
    fetch: tuple[str, ...]  # the columns selected: output + cursor and key when not among them
    arrow: Mapping[str, pa.DataType | None]
    cursor: str | None
    key: str | None
    params: Mapping[str, Any] | None
    schema: pa.Schema | None
    state_key: str | None


def _reflect(engine: Engine, name: str, schema: str | None) -> tuple[sa.TableClause, list[str]]:
    qualified = f"{schema}.{name}" if schema else name
    inspector = sa.inspect(engine)
    try:
        columns = inspector.get_columns(name, schema=schema)
        primary = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or []
    except sa.exc.NoSuchTableError:
        hint = (
            "; pass a query as sqlalchemy.text(...) or a select(), not as a string"
            if " " in name.strip()
            else ""
        )
        raise DatabaseError(f"table {qualified!r} does not exist in {redact(engine.url)}{hint}") from None
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(
            f"cannot read the columns of table {qualified!r} in {redact(engine.url)}: "
            f"{str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__}"
        ) from exc
    if not columns:
        raise DatabaseError(f"table {qualified!r} does not exist in {redact(engine.url)}")
    table = sa.table(name, *(sa.column(c["name"], c["type"]) for c in columns), schema=schema)
    return table, list(primary)


def _check_names(names: Sequence[str], available: Sequence[str], label: str) -> None:
    for name in names:
        if name not in available:
            shown = ", ".join(available[:30]) + (", ..." if len(available) > 30 else "")
            raise DatabaseError(f"{label} has no column {name!r} (available: {shown})")


def _plan(
    source: _Source,
    table_or_query: _TableOrQuery,
    *,
    columns: Sequence[str] | None,
    cursor: str | None,
    key: str | None,
    since: Any,
    batch_size: int,
    params: Mapping[str, Any] | None,
    schema: pa.Schema | None,
    state: State | None,
    state_key: str | None,
) -> _Plan:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer; got {batch_size!r}")
    if schema is not None and not isinstance(schema, pa.Schema):
        raise ConfigError(f"schema must be a pyarrow.Schema; got {type(schema).__name__}")
    if isinstance(columns, str):
        raise ConfigError(f"columns must be a list of names, not the string {columns!r}")
    if cursor is None and (key is not None or since is not None or state is not None):
        raise ConfigError("key=, since= and state= need cursor= (the column incremental reads follow)")
    engine = engine_for(source)
    backend = _backend_of(engine)
    primary: list[str] = []
    text: sa.TextClause | None = None
    relation: sa.FromClause | None
    qualified = ""
    if isinstance(table_or_query, str):
        relation, primary = _reflect(engine, table_or_query, None)
        qualified = table_or_query
        label = f"table {table_or_query!r}"
    elif isinstance(table_or_query, sa.TableClause):
        qualified = (
            f"{table_or_query.schema}.{table_or_query.name}" if table_or_query.schema else table_or_query.name
        )
        label = f"table {qualified!r}"
        if len(table_or_query.c):
            relation = table_or_query
            if isinstance(table_or_query, sa.Table):
                primary = [c.name for c in table_or_query.primary_key]
        else:
            relation, primary = _reflect(engine, table_or_query.name, table_or_query.schema)
    elif isinstance(table_or_query, SelectBase):
        relation = table_or_query.subquery("ecomkit_query")
        label = "the query"
    elif isinstance(table_or_query, sa.TextClause):
        relation, text, label = None, table_or_query, "the query"
        if columns is not None or cursor is not None:
            raise ConfigError(
                "columns= and cursor= need the query's columns: declare them with "
                "sqlalchemy.text(...).columns(...) or pass a select()"
            )
    else:
        raise ConfigError(
            "table_or_query must be a table name, a sqlalchemy Table/table(), a select() or a text() "
            f"query; got {type(table_or_query).__name__}"
        )
    if params is not None and isinstance(table_or_query, str | sa.TableClause):
        raise ConfigError("params= binds values of a query; a table read takes none")

    arrow: dict[str, pa.DataType | None] = {}
    output: tuple[str, ...] = ()
    fetch: tuple[str, ...] = ()
    if relation is not None:
        available = [c.name for c in relation.c]
        output = tuple(columns) if columns is not None else tuple(available)
        _check_names(output, available, label)
        if cursor is not None:
            _check_names([cursor], available, label)
            if key is None:
                if primary == [cursor]:
                    key = None  # the cursor is the primary key: unique on its own
                elif len(primary) == 1:
                    key = primary[0]
                else:
                    raise ConfigError(
                        f"cursor={cursor!r} needs key= (a unique column, e.g. the primary key) so rows "
                        f"sharing a cursor value are neither lost nor read twice; {label} has "
                        f"{'no single-column primary key' if len(primary) != 1 else 'none'}"
                    )
            elif key == cursor:
                key = None
            if key is not None:
                _check_names([key], available, label)
        fetch = output + tuple(n for n in (cursor, key) if n is not None and n not in output)
        arrow = {c.name: arrow_type(c.type, backend) for c in relation.c if c.name in fetch}
    if schema is not None and relation is not None:
        _check_names(schema.names, list(output), f"schema= for {label}: the read")

    if state is not None and state_key is None:
        if not qualified:
            raise ConfigError("state= with a query needs state_key= (the name its watermark is kept under)")
        state_key = f"sql:{engine.url.database or ''}:{qualified}"
    return _Plan(
        engine=engine,
        backend=backend,
        label=label,
        relation=relation,
        text=text,
        output=output,
        fetch=fetch,
        arrow=arrow,
        cursor=cursor,
        key=key,
        params=params,
        schema=schema,
        state_key=state_key,
    )


def _select(
    plan: _Plan, *, text_cast: bool, after: Watermark | None, since: Any, limit: int | None
) -> sa.Executable:
    """The statement for a full read, or for one keyset page after ``after`` (or from ``since``)."""
    if plan.relation is None:
        assert plan.text is not None
        return plan.text
    rel = plan.relation
    exprs: list[Any] = []
    for name in plan.fetch:
        column = rel.c[name]
        exprs.append(
            sa.cast(column, sa.Unicode).label(name) if text_cast and needs_text_cast(column.type) else column
        )
    stmt = sa.select(*exprs).select_from(rel)
    if plan.cursor is None:
        return stmt
    cursor = rel.c[plan.cursor]
    order = [cursor]
    stmt = stmt.where(cursor.is_not(None))
    if plan.key is not None:
        order.append(rel.c[plan.key])
    if after is not None:
        if plan.key is None:
            stmt = stmt.where(cursor > after.cursor)
        else:
            # (cursor, key) > (a, b), spelled so every dialect (SQL Server too) and its indexes accept it.
            key = rel.c[plan.key]
            stmt = stmt.where(cursor >= after.cursor, sa.or_(cursor > after.cursor, key > after.key))
    elif since is not None:
        stmt = stmt.where(cursor >= since)
    stmt = stmt.order_by(*order)
    return stmt.limit(limit) if limit is not None else stmt


def _reader(plan: _Plan, batch_size: int) -> AdbcReader | DbapiReader:
    if plan.backend == "postgresql" and adbc_available():
        return AdbcReader(plan.engine, plan.label, plan.params)
    return DbapiReader(plan.engine, plan.label, plan.params, plan.arrow, batch_size)


def _finish(plan: _Plan, batch: pa.RecordBatch) -> pa.RecordBatch:
    if plan.relation is not None and batch.schema.names != list(plan.output):
        batch = batch.select(list(plan.output))
    return cast_batch(batch, plan.schema)


def _mark(plan: _Plan, batch: pa.RecordBatch) -> Watermark:
    assert plan.cursor is not None
    last = batch.num_rows - 1
    cursor = batch.column(plan.cursor)[last].as_py()
    key = batch.column(plan.key)[last].as_py() if plan.key is not None else None
    return Watermark(cursor, key)


def _run(
    plan: _Plan, *, start: Watermark | None, since: Any, batch_size: int
) -> Iterator[tuple[pa.RecordBatch, Watermark | None]]:
    """Yield (batch, watermark after it); the first batch may be empty and only carry the schema."""
    with _reader(plan, batch_size) as reader:
        if plan.cursor is None:
            stmt = _select(plan, text_cast=reader.text_cast, after=None, since=None, limit=None)
            for batch in rebatch(reader.stream(stmt), batch_size):
                yield _finish(plan, batch), None
            return
        mark = start
        first = True
        while True:
            stmt = _select(
                plan,
                text_cast=reader.text_cast,
                after=mark,
                since=since if mark is None else None,
                limit=batch_size,
            )
            page = list(reader.stream(stmt))
            rows = sum(b.num_rows for b in page)
            if rows == 0:
                if first:
                    yield _finish(plan, page[0]), mark
                return
            batch = concat_batches([b for b in page if b.num_rows])
            first = False
            mark = _mark(plan, batch)
            yield _finish(plan, batch), mark
            if rows < batch_size:
                return


def _start(plan: _Plan, since: Any, state: State | None) -> Watermark | None:
    if isinstance(since, Watermark):
        if plan.key is None and since.key is not None:
            raise ConfigError(f"since={since!r} has a key but the read has no key= column")
        if plan.key is not None and since.key is None:
            raise ConfigError(f"since={since!r} needs a key value: the read orders by key={plan.key!r}")
        return since
    if since is None and state is not None:
        assert plan.state_key is not None
        assert plan.cursor is not None
        return _incremental.load(state, plan.state_key, cursor=plan.cursor, key_column=plan.key)
    return None


def read_batches(
    source: _Source,
    table_or_query: _TableOrQuery,
    *,
    columns: Sequence[str] | None = None,
    cursor: str | None = None,
    key: str | None = None,
    since: Any = None,
    batch_size: int = 100_000,
    params: Mapping[str, Any] | None = None,
    schema: pa.Schema | None = None,
    state: StateSpec = None,
    state_key: str | None = None,
    progress: ProgressHook | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a table or query as Arrow record batches of at most ``batch_size`` rows.

    The table, its columns and the arguments are checked when you call this; rows are fetched as you
    iterate. With ``cursor=`` the read is incremental: rows come in ``(cursor, key)`` order, one keyset
    page per batch, starting after ``since`` (or the watermark in ``state``). Rows whose cursor is NULL
    have no place in that order and are not read incrementally.

    Args:
        source: a SQLAlchemy URL (``postgresql://...``, ``mysql://...``, ``sqlite:///file.db``,
            ``mssql+pyodbc://...``) or an Engine. One pooled engine is kept per URL.
        table_or_query: a table name (quoted by SQLAlchemy, never parsed as SQL), a
            ``sqlalchemy.table(name, schema=...)`` / ``Table``, a ``select()``, or a ``text()`` query.
        columns: the columns to read (default: all).
        cursor: the column incremental reads follow, e.g. ``"updated_at"``.
        key: a unique column that breaks ties between equal cursor values (default: the table's
            single-column primary key).
        since: where to start: a cursor value (rows with ``cursor >= since``) or a :class:`Watermark`
            (rows strictly after it). Overrides the watermark in ``state``.
        batch_size: the most rows in one batch.
        params: values bound to a query's ``:name`` parameters.
        schema: Arrow types for some or all columns; they win over the mapped database types.
        state: where the watermark is kept: a ``State`` from ``ecomkit.connectors.state``, a JSON file
            path or a database URL (as for ``open_state``). A batch's watermark is committed when the
            next batch is requested (or the read ends), never before.
        state_key: the key of the watermark in ``state`` (default ``"sql:<database>:<table>"``).
        progress: called with a ``Progress`` after each batch.

    Returns:
        An iterator of ``pyarrow.RecordBatch`` (no empty batches).

    Raises:
        DatabaseError: the table or a column does not exist, or the database failed (the URL's password
            is redacted). The watermark is not advanced past what was handed on.
        ConfigError: contradictory or invalid arguments.
        CastError: a value does not fit the mapped or given Arrow type.
        StateError: the stored watermark is unreadable or belongs to other columns.

    Example:
        >>> batches = read_batches("sqlite:///shop.db", "orders", cursor="updated_at", key="id",
        ...                        since=datetime(2025, 1, 1))  # doctest: +SKIP
    """
    store = resolve_state(state)
    plan = _plan(
        source,
        table_or_query,
        columns=columns,
        cursor=cursor,
        key=key,
        since=since,
        batch_size=batch_size,
        params=params,
        schema=schema,
        state=store,
        state_key=state_key,
    )
    pairs = _pairs(plan, since, store, batch_size)
    save = None if store is None else functools.partial(_save, plan, store)
    return track(_incremental.commit_as_taken(pairs, save), progress)


def _pairs(
    plan: _Plan, since: Any, state: State | None, batch_size: int
) -> Iterator[tuple[pa.RecordBatch, Watermark | None]]:
    """The read's (batch, watermark after it) pairs; where it starts is checked now, not when iterated."""
    start = _start(plan, since, state)
    scalar_since = None if isinstance(since, Watermark) else since
    return _run(plan, start=start, since=scalar_since, batch_size=batch_size)


def _save(plan: _Plan, state: State, mark: Watermark) -> None:
    assert plan.state_key is not None
    assert plan.cursor is not None
    _incremental.save(state, plan.state_key, mark, cursor=plan.cursor, key_column=plan.key)


def read(
    source: _Source,
    table_or_query: _TableOrQuery,
    *,
    columns: Sequence[str] | None = None,
    cursor: str | None = None,
    key: str | None = None,
    since: Any = None,
    batch_size: int = 100_000,
    params: Mapping[str, Any] | None = None,
    schema: pa.Schema | None = None,
    state: StateSpec = None,
    state_key: str | None = None,
    progress: ProgressHook | None = None,
) -> pa.Table:
    """Read a table or query into one ``pyarrow.Table`` (see :func:`read_batches` for the arguments).

    With ``state=``, the watermark is committed once, after the whole table has been read.

    Returns:
        The rows as a ``pyarrow.Table`` (an empty one keeps the columns and their types).

    Example:
        >>> orders = read("postgresql://shop@db/shop", "orders", columns=["id", "total"])  # doctest: +SKIP
    """
    store = resolve_state(state)
    plan = _plan(
        source,
        table_or_query,
        columns=columns,
        cursor=cursor,
        key=key,
        since=since,
        batch_size=batch_size,
        params=params,
        schema=schema,
        state=store,
        state_key=state_key,
    )
    batches, last = _incremental.collect(_pairs(plan, since, store, batch_size), progress)
    tables = [pa.Table.from_batches([b]) for b in batches]
    table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    if store is not None and last is not None:
        _save(plan, store, last)
    return table
