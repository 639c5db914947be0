"""Execute a SQLAlchemy statement and stream its result as Arrow batches (private).

Two readers share one interface: :class:`AdbcReader` (PostgreSQL/TimescaleDB through ADBC's binary COPY
path, Arrow end to end) and :class:`DbapiReader` (every other database through SQLAlchemy with a
server-side cursor: pymysql's unbuffered ``SSCursor`` for MySQL/MariaDB, psycopg's named cursor when ADBC
is missing, the stdlib for SQLite, pyodbc/pymssql for SQL Server). Driver failures become
:class:`~ecomkit.errors.DatabaseError` with the URL's password redacted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, cast

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from ecomkit._sql import adbc_uri, redact
from ecomkit.connectors._sql_types import batch_from_rows, normalize_adbc
from ecomkit.errors import DatabaseError

__all__ = ["AdbcReader", "DbapiReader", "adbc_available", "compile_for_adbc", "concat_batches", "rebatch"]

# psycopg's dialect renders PostgreSQL casts for typed parameters; "$n" placeholders are what ADBC binds.
_PG_DIALECT = postgresql.psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


def adbc_available() -> bool:
    """Whether the ``postgres`` extra's ADBC driver is importable."""
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def compile_for_adbc(stmt: sa.Executable, params: Mapping[str, Any] | None) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL SQL text with ``$n`` placeholders, and the values to bind, in order."""
    element = cast(sa.ClauseElement, stmt)
    compiled = cast(
        SQLCompiler, element.compile(dialect=_PG_DIALECT, compile_kwargs={"render_postcompile": True})
    )
    values = compiled.construct_params(dict(params) if params else None) or {}
    return compiled.string, tuple(values[name] for name in compiled.positiontup or ())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Reader:
    """Shared error translation: a driver error becomes a DatabaseError naming what was read."""

    text_cast = False

    def __init__(self, engine: Engine, label: str) -> None:
        self.engine = engine
        self.label = label

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Translate driver errors raised inside the block."""
        try:
            yield
        except _DRIVER_ERRORS as exc:
            cause = getattr(exc, "orig", None) or exc
            raise DatabaseError(
                f"reading {self.label} from {redact(self.engine.url)} failed: {_first_line(cause)}"
            ) from exc


def _driver_errors() -> tuple[type[Exception], ...]:
    try:
        import adbc_driver_manager
    except ImportError:
        return (sa.exc.SQLAlchemyError,)
    return (sa.exc.SQLAlchemyError, adbc_driver_manager.Error)


_DRIVER_ERRORS = _driver_errors()


class AdbcReader(_Reader):
    """Reads PostgreSQL results as Arrow through ADBC (binary COPY), one connection per read."""

    def __init__(self, engine: Engine, label: str, params: Mapping[str, Any] | None) -> None:
        super().__init__(engine, label)
        self.params = params
        self._conn: Any = None

    def __enter__(self) -> AdbcReader:
        import adbc_driver_postgresql.dbapi

        with self.errors():
            self._conn = adbc_driver_postgresql.dbapi.connect(adbc_uri(self.engine), autocommit=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a dropped connection cannot be closed cleanly
                self._conn.close()
            self._conn = None

    def stream(self, stmt: sa.Executable) -> Iterator[pa.RecordBatch]:
        """Execute ``stmt``; yield its batches (the first may be empty and only carries the schema)."""
        sql, args = compile_for_adbc(stmt, self.params)
        with self.errors():
            cursor = self._conn.cursor()
        try:
            with self.errors():
                cursor.execute(sql, args or None)
                reader = cursor.fetch_record_batch()
            yielded = False
            while True:
                with self.errors():
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                yielded = True
                yield normalize_adbc(batch)
            if not yielded:
                yield normalize_adbc(_empty_batch(reader.schema))
        finally:
            with contextlib.suppress(Exception):
                cursor.close()


def _empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


class DbapiReader(_Reader):
    """Reads any SQLAlchemy database through a server-side (unbuffered) cursor, ``batch_size`` rows at a time."""

    text_cast = True

    def __init__(
        self,
        engine: Engine,
        label: str,
        params: Mapping[str, Any] | None,
        types: Mapping[str, pa.DataType | None],
        batch_size: int,
    ) -> None:
        super().__init__(engine, label)
        self.params = params
        self.types = dict(types)
        self.batch_size = batch_size
        self._conn: Connection | None = None
        self._mysql_zone: str | None = None

    def __enter__(self) -> DbapiReader:
        with self.errors():
            self._conn = self.engine.connect()
            if self.engine.dialect.name in ("mysql", "mariadb"):
                # MySQL hands TIMESTAMP columns back in the session time zone: read them as UTC.
                self._mysql_zone = self._conn.exec_driver_sql("SELECT @@session.time_zone").scalar_one()
                self._conn.exec_driver_sql("SET time_zone = '+00:00'")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self._drop()  # a connection in an unknown state does not go back to the pool
            return
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._mysql_zone is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.execute(sa.text("SET time_zone = :zone"), {"zone": self._mysql_zone})
        with contextlib.suppress(Exception):
            conn.close()

    def stream(self, stmt: sa.Executable) -> Iterator[pa.RecordBatch]:
        """Execute ``stmt``; yield batches of at most ``batch_size`` rows (the first may be empty)."""
        assert self._conn is not None
        with self.errors():
            # yield_per streams through a server-side cursor, holding at most batch_size rows.
            result = self._conn.execution_options(yield_per=self.batch_size).execute(
                stmt, dict(self.params or {})
            )
            names = list(result.keys())
        try:
            partitions = result.partitions()
            yielded = False
            while True:
                with self.errors():
                    rows = next(partitions, None)
                if rows is None:
                    break
                batch = batch_from_rows(rows, names, self.types)
                for field in batch.schema:  # later batches keep the types the first one settled on
                    if self.types.get(field.name) is None and field.type != pa.null():
                        self.types[field.name] = field.type
                yielded = True
                yield batch
            if not yielded:
                yield batch_from_rows([], names, self.types)
        except BaseException:
            # Abandoned (GeneratorExit) or failed mid-result: closing an unbuffered MySQL cursor would
            # first read the rest of the result, so drop the connection before the result is closed.
            raw = getattr(result, "cursor", None)
            self._drop()
            if raw is not None and type(raw).__module__.startswith("pymysql"):
                _detach_unbuffered(raw)
            raise
        finally:
            with contextlib.suppress(Exception):
                result.close()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()
            with contextlib.suppress(Exception):
                conn.close()


def _detach_unbuffered(cursor: Any) -> None:
    """Forget pymysql's unbuffered result once its connection is closed.

    ``SSCursor.close`` and ``MySQLResult.__del__`` would otherwise try to read the rest of the result
    from the closed socket (and fail in a destructor). The tests that abandon a MySQL read guard this.
    """
    result = getattr(cursor, "_result", None)
    if result is not None and hasattr(result, "unbuffered_active"):
        result.unbuffered_active = False
    cursor.connection = None


def concat_batches(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """One batch holding the rows of ``batches`` (which share a schema)."""
    if len(batches) == 1:
        return batches[0]
    combined: pa.RecordBatch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    return combined


def rebatch(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Re-cut a stream into batches of exactly ``size`` rows (the last may be shorter).

    Large batches are sliced without copying; small ones are combined. A stream with no rows yields
    one empty batch so the schema is still known.
    """
    pending: list[pa.RecordBatch] = []
    count = 0
    empty: pa.RecordBatch | None = None
    emitted = False
    for batch in batches:
        if empty is None:
            empty = batch.slice(0, 0)
        while batch.num_rows:
            if not pending and batch.num_rows >= size:
                emitted = True
                yield batch.slice(0, size)
                batch = batch.slice(size)
                continue
            take = min(size - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == size:
                emitted = True
                yield concat_batches(pending)
                pending, count = [], 0
    if pending:
        yield concat_batches(pending)
    elif not emitted and empty is not None:
        yield empty
