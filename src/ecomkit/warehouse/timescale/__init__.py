"""A TimescaleDB DDL emitter over typed, frozen specs, with plain-PostgreSQL and DuckDB targets.

Build a :class:`Warehouse` from :class:`Table`, :class:`Hypertable`, :class:`Compression`,
:class:`Retention`, :class:`Reorder`, :class:`Index` and :class:`ContinuousAggregate` specs (or take
``preset.ecommerce()``), then :func:`emit` statements, :func:`render` a script, or :func:`apply` it to a
database, which detects TimescaleDB and its version.

Example:
    >>> from ecomkit.warehouse import timescale
    >>> sql = timescale.render("ecommerce", version="2.13", target="timescale")
    >>> "add_compression_policy" in sql
    True
"""

from __future__ import annotations

from ecomkit.warehouse.timescale import preset
from ecomkit.warehouse.timescale.apply import ApplyResult, apply, detect
from ecomkit.warehouse.timescale.emit import Statement, Target, emit, parse_version, render
from ecomkit.warehouse.timescale.spec import (
    Column,
    Compression,
    ContinuousAggregate,
    Hypertable,
    Index,
    Measure,
    ReaderRole,
    RefreshPolicy,
    Reorder,
    Retention,
    Table,
    Warehouse,
    parse_interval,
)

__all__ = [
    "ApplyResult",
    "Column",
    "Compression",
    "ContinuousAggregate",
    "Hypertable",
    "Index",
    "Measure",
    "ReaderRole",
    "RefreshPolicy",
    "Reorder",
    "Retention",
    "Statement",
    "Table",
    "Target",
    "Warehouse",
    "apply",
    "detect",
    "emit",
    "parse_interval",
    "parse_version",
    "preset",
    "render",
]
