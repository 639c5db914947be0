"""Warehouse DDL and fast, atomic, idempotent loading of Arrow tables.

* :func:`load` puts an Arrow table (or a stream of batches) into PostgreSQL/TimescaleDB (binary COPY via
  ADBC), the embedded DuckDB warehouse, or SQLite — atomically, with append, replace and upsert modes.
* :mod:`ecomkit.warehouse.timescale` emits TimescaleDB DDL from typed specs (with plain-PostgreSQL and
  DuckDB targets) and applies it.

Example:
    >>> import pyarrow as pa
    >>> from ecomkit import warehouse
    >>> warehouse.load(pa.table({"id": [1, 2]}), "duckdb:///:memory:", "t").inserted
    2
"""

from __future__ import annotations

from ecomkit.warehouse import timescale
from ecomkit.warehouse.load import LoadResult, Mode, load

__all__ = ["LoadResult", "Mode", "load", "timescale"]
