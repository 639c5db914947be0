"""DuckDB on Arrow tables for the hash-heavy work (group-bys, dedupe, exact quantiles) — private.

DuckDB scans a registered Arrow table without copying it. Each call gets its own in-memory
connection, so nothing is shared between threads and nothing outlives the call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

#: Name of the row-position column added for DuckDB queries; never leaks into results.
ROW = "__ecomkit_row"


def ident(name: str) -> str:
    """Quote ``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def idents(names: Iterable[str]) -> str:
    """Quote and comma-join ``names``."""
    return ", ".join(ident(n) for n in names)


def with_row(table: pa.Table) -> pa.Table:
    """``table`` plus an int64 row-position column named :data:`ROW` (zero-copy for the others)."""
    return table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))


_LOCAL = threading.local()
#: Tables this long get a connection of their own, closed after the call (see :func:`connect`).
FRESH_ROWS = 1_000_000


def release_memory() -> None:
    """Return the memory Arrow's allocator holds for freed buffers to the system (after a large step)."""
    pa.default_memory_pool().release_unused()


@contextmanager
def connect(**tables: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with ``tables`` registered under their keyword names.

    Opening a DuckDB database costs far more than a small query, so each thread keeps one idle
    connection and reuses it; the tables are unregistered afterwards, so nothing outlives the call.
    A nested use on the same thread gets a fresh connection of its own. So does a call on large tables
    (:data:`FRESH_ROWS` rows or more), and that connection is closed afterwards: a DuckDB database keeps
    the memory its hash tables used until it is closed, and one group-by over millions of distinct
    values would otherwise stay resident for the rest of the process.
    """
    large = any(table.num_rows >= FRESH_ROWS for table in tables.values())
    con: duckdb.DuckDBPyConnection | None = None if large else getattr(_LOCAL, "idle", None)
    if not large:
        _LOCAL.idle = None
    owned = con is None
    if con is None:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
    try:
        for name, table in tables.items():
            con.register(name, table)
        yield con
    finally:
        for name in tables:
            con.unregister(name)
        if large:
            con.close()
        elif getattr(_LOCAL, "idle", None) is None:
            _LOCAL.idle = con
        elif owned:
            con.close()


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pa.Table:
    """Run ``sql`` and return the result as a ``pyarrow.Table`` (DuckDB 1.x and 2.x spellings)."""
    relation = con.sql(sql, params=params) if params else con.sql(sql)
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    table: pa.Table = fetch()
    return table


def row_positions(con: duckdb.DuckDBPyConnection, sql: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Run ``sql`` (one int64 column of row positions) and return them sorted as a numpy array."""
    result = con.execute(sql).fetchnumpy()
    values = next(iter(result.values())) if result else np.empty(0, dtype=np.int64)
    positions = np.asarray(values, dtype=np.int64)
    positions.sort()
    return positions


def mask_from_positions(n: int, positions: np.ndarray[Any, np.dtype[np.int64]], *, value: bool) -> pa.Array:
    """A boolean array of length ``n`` that is ``value`` at ``positions`` and ``not value`` elsewhere."""
    mask = np.full(n, not value, dtype=bool)
    mask[positions] = value
    return pa.array(mask)
