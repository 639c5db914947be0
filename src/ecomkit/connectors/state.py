"""Durable sync state: cursors and watermarks that let an interrupted sync resume exactly once.

A :class:`State` is a small key -> JSON value store. Every :meth:`State.set` (and :meth:`State.update`
for several keys) is a commit: when it returns, the value is on disk, written atomically, so a crash
leaves either the old or the new value, never a torn one. Connectors call it only *after* the consumer
has taken a batch, so the stored watermark never runs ahead of the data that was handed on.

Three stores ship:

* :class:`JsonState` — one JSON file (the default for a path). Writes go to a temporary file in the same
  folder, are fsynced and renamed over the old file; a lock file serialises writers on POSIX.
* :class:`SqlState` — a table in a SQL database (the warehouse, or a SQLite file), for several workers.
* :class:`MemoryState` — in-process only (tests, one-off runs).

Example:
    >>> from ecomkit.connectors.state import MemoryState
    >>> state = MemoryState()
    >>> state.set("shopify.orders", {"updated_at": "2025-01-01T00:00:00+00:00", "ids": ["1"]})
    >>> state.get("shopify.orders")["ids"]
    ['1']
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ecomkit.errors import ConfigError, StateError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

__all__ = ["JSONValue", "JsonState", "MemoryState", "SqlState", "State", "open_state"]

#: A value a :class:`State` can hold: anything JSON can represent.
JSONValue: TypeAlias = "str | int | float | bool | list[Any] | dict[str, Any] | None"


class State(abc.ABC):
    """A durable key -> JSON value store for sync cursors and watermarks.

    Every write is a commit: it is durable and atomic when the call returns.
    """

    @abc.abstractmethod
    def get(self, key: str, default: JSONValue = None) -> JSONValue:
        """The committed value of ``key``, or ``default`` when it has none."""

    @abc.abstractmethod
    def update(self, values: Mapping[str, JSONValue]) -> None:
        """Commit several keys at once (all or nothing). A value of ``None`` deletes its key.

        Raises:
            StateError: the store cannot be written; nothing was changed.
        """

    @abc.abstractmethod
    def keys(self) -> list[str]:
        """Every key with a committed value, sorted."""

    def set(self, key: str, value: JSONValue) -> None:
        """Commit one key (``None`` deletes it).

        Raises:
            StateError: the store cannot be written; the old value is kept.
        """
        self.update({key: value})

    def delete(self, key: str) -> None:
        """Remove ``key`` (a no-op when it is absent)."""
        self.update({key: None})


def _check(values: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"state keys must be non-empty strings; got {key!r}")
        try:
            out[key] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"state value for {key!r} is not JSON-serialisable: {exc}") from None
    return out


class MemoryState(State):
    """State kept in this process only; gone when it exits."""

    def __init__(self) -> None:
        self._data: dict[str, JSONValue] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryState(keys={len(self._data)})"

    def get(self, key: str, default: JSONValue = None) -> JSONValue:
        """The committed value of ``key``, or ``default``."""
        with self._lock:
            value = self._data.get(key, default)
        copy: JSONValue = json.loads(json.dumps(value))  # callers cannot mutate the store
        return copy

    def update(self, values: Mapping[str, JSONValue]) -> None:
        """Commit several keys at once; ``None`` deletes."""
        checked = _check(values)
        with self._lock:
            for key, value in checked.items():
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = value

    def keys(self) -> list[str]:
        """Every key, sorted."""
        with self._lock:
            return sorted(self._data)


class JsonState(State):
    """State in one JSON file, written atomically (temp file + fsync + rename).

    Args:
        path: the JSON file; created (with its folder) on the first write.

    Raises:
        StateError: on read, when the file exists but is not a JSON object.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JsonState({str(self.path)!r})"

    def _read(self) -> dict[str, JSONValue]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateError(f"cannot read state file {str(self.path)!r}: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateError(
                f"state file {str(self.path)!r} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                "restore it or delete it to sync from the beginning"
            ) from None
        if not isinstance(data, dict):
            raise StateError(
                f"state file {str(self.path)!r} must hold a JSON object, not {type(data).__name__}"
            )
        return data

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise writers: a thread lock, plus an advisory file lock across processes (POSIX)."""
        with self._lock:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: single-process writers only
                yield
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "a") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def get(self, key: str, default: JSONValue = None) -> JSONValue:
        """The committed value of ``key``, or ``default``."""
        return self._read().get(key, default)

    def update(self, values: Mapping[str, JSONValue]) -> None:
        """Commit several keys at once (one atomic file replace); ``None`` deletes."""
        checked = _check(values)
        with self._exclusive():
            data = self._read()
            for key, value in checked.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            text = json.dumps(data, indent=1, sort_keys=True)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as handle:
                        handle.write(text)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.replace(tmp, self.path)
                except BaseException:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
                    raise
            except OSError as exc:
                raise StateError(f"cannot write state file {str(self.path)!r}: {exc.strerror}") from exc

    def keys(self) -> list[str]:
        """Every key, sorted."""
        return sorted(self._read())


class SqlState(State):
    """State in a SQL table (``key`` primary key, ``value`` JSON text), one transaction per commit.

    Several workers may share it; each commit is one database transaction.

    Args:
        url_or_engine: a SQLAlchemy URL (``sqlite:///state.db``, ``postgresql://...``) or an Engine.
        table: the table name; created when missing.

    Raises:
        StateError: the database cannot be reached or written.
    """

    def __init__(self, url_or_engine: str | URL | Engine, *, table: str = "ecomkit_state") -> None:
        import sqlalchemy as sa

        from ecomkit._sql import engine_for

        self._engine = engine_for(url_or_engine)
        meta = sa.MetaData()
        self._table = sa.Table(
            table,
            meta,
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        try:
            meta.create_all(self._engine, checkfirst=True)
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"cannot create state table {table!r}: {type(exc).__name__}") from exc

    def __repr__(self) -> str:
        from ecomkit._sql import redact

        return f"SqlState({redact(self._engine.url)!r}, table={self._table.name!r})"

    def get(self, key: str, default: JSONValue = None) -> JSONValue:
        """The committed value of ``key``, or ``default``."""
        import sqlalchemy as sa

        try:
            with self._engine.connect() as conn:
                raw = conn.execute(
                    sa.select(self._table.c.value).where(self._table.c.key == key)
                ).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"cannot read state key {key!r}: {type(exc).__name__}") from exc
        if raw is None:
            return default
        try:
            value: JSONValue = json.loads(raw)
        except json.JSONDecodeError:
            raise StateError(f"state key {key!r} in table {self._table.name!r} is not valid JSON") from None
        return value

    def update(self, values: Mapping[str, JSONValue]) -> None:
        """Commit several keys in one transaction; ``None`` deletes."""
        import sqlalchemy as sa

        checked = _check(values)
        try:
            with self._engine.begin() as conn:
                for key, value in checked.items():
                    if value is None:
                        conn.execute(sa.delete(self._table).where(self._table.c.key == key))
                    else:
                        self._upsert(conn, key, json.dumps(value))
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(
                f"cannot write state keys {sorted(checked)} to table {self._table.name!r}: {type(exc).__name__}"
            ) from exc

    def _upsert(self, conn: Any, key: str, text: str) -> None:
        """Insert or replace one row atomically, so concurrent writers of a key never collide."""
        import sqlalchemy as sa

        table = self._table
        name = conn.dialect.name
        if name in ("postgresql", "sqlite"):
            if name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                stmt: Any = pg_insert(table).values(key=key, value=text)
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                stmt = sqlite_insert(table).values(key=key, value=text)
            conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.key], set_={"value": text}))
        elif name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import insert as mysql_insert

            conn.execute(mysql_insert(table).values(key=key, value=text).on_duplicate_key_update(value=text))
        else:  # other databases: replace inside the transaction
            conn.execute(sa.delete(table).where(table.c.key == key))
            conn.execute(sa.insert(table).values(key=key, value=text))

    def keys(self) -> list[str]:
        """Every key, sorted."""
        import sqlalchemy as sa

        with self._engine.connect() as conn:
            return sorted(conn.execute(sa.select(self._table.c.key)).scalars())


def open_state(spec: State | str | os.PathLike[str] | None) -> State:
    """The :class:`State` for ``spec``.

    ``None`` gives a :class:`MemoryState`; a database URL (``sqlite:///...``, ``postgresql://...``) a
    :class:`SqlState`; any other string or path a :class:`JsonState`; a State is returned as is.

    Example:
        >>> open_state(None)
        MemoryState(keys=0)
    """
    if spec is None:
        return MemoryState()
    if isinstance(spec, State):
        return spec
    text = os.fspath(spec)
    if isinstance(spec, str) and "://" in text:
        return SqlState(text)
    return JsonState(text)
