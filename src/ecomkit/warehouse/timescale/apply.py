"""Apply a warehouse spec to a database, choosing TimescaleDB, plain PostgreSQL or DuckDB SQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from ecomkit._sql import backend, engine_for
from ecomkit.errors import ConfigError, WarehouseError
from ecomkit.warehouse.timescale.emit import Statement, Target, emit
from ecomkit.warehouse.timescale.spec import Table, Warehouse

__all__ = ["ApplyResult", "apply", "detect"]


@dataclass(frozen=True)
class ApplyResult:
    """What :func:`apply` ran.

    Attributes:
        target: the SQL flavour used.
        version: the TimescaleDB version found (``None`` without the extension).
        statements: how many statements ran.
    """

    target: Target
    version: str | None
    statements: int


def detect(database: str | URL | Engine) -> tuple[Target, str | None]:
    """Which target a PostgreSQL database is: ``("timescale", "2.18.1")`` or ``("postgres", None)``.

    Raises:
        ConfigError: ``database`` is not PostgreSQL.
    """
    if backend(database) != "postgresql":
        raise ConfigError(f"detect() needs a PostgreSQL URL or engine; got {backend(database)!r}")
    with engine_for(database).connect() as conn:
        version = conn.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
        ).scalar_one_or_none()
    return ("timescale", str(version)) if version is not None else ("postgres", None)


def apply(
    spec: Warehouse | Table,
    database: str | Path | URL | Engine | object,
    *,
    target: Target | None = None,
    version: str | None = None,
    refresh: bool = True,
) -> ApplyResult:
    """Create ``spec`` in ``database``: detect TimescaleDB and its version (or its absence) and run the SQL.

    Transactional statements run in one transaction (all or nothing); the few that cannot
    (continuous-aggregate refreshes) run after it, in autocommit. Running it again is a no-op.

    Args:
        spec: the warehouse or table spec.
        database: a PostgreSQL URL/Engine, or a DuckDB path/connection.
        target: force a target instead of detecting it.
        version: force the TimescaleDB version instead of detecting it.
        refresh: refresh the aggregates at the end.

    Returns:
        An :class:`ApplyResult`.

    Raises:
        WarehouseError: a statement failed (the transactional part is rolled back).

    Example:
        >>> from ecomkit.warehouse.timescale import preset
        >>> apply(preset.ecommerce(), "duckdb:///:memory:").target
        'duckdb'
    """
    from ecomkit.warehouse._duckdb import connect, is_duckdb

    if is_duckdb(database):
        statements = emit(spec, target="duckdb", refresh=refresh)
        con, owned = connect(database)
        try:
            con.begin()
            try:
                for statement in statements:
                    con.execute(statement.sql)
                con.commit()
            except Exception as exc:
                con.rollback()
                raise WarehouseError(f"applying the DuckDB DDL failed: {exc}") from exc
        finally:
            if owned:
                con.close()
        return ApplyResult("duckdb", None, len(statements))
    if not isinstance(database, str | URL | Engine):
        raise ConfigError(
            f"database must be a URL, an Engine or a DuckDB target; got {type(database).__name__}"
        )
    found_target, found_version = detect(database)
    chosen: Target = target or found_target
    chosen_version = version or found_version or "2.28"
    statements = emit(spec, version=chosen_version, target=chosen, refresh=refresh)
    _run(engine_for(database), statements)
    return ApplyResult(chosen, found_version if chosen == "timescale" else None, len(statements))


def _execute(conn: sa.Connection, sql: str) -> None:
    # The DBAPI cursor without parameters: no driver placeholder parsing of '%' in function bodies.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _run(engine: Engine, statements: list[Statement]) -> None:
    current: Statement | None = None
    try:
        with engine.begin() as conn:
            for current in (s for s in statements if s.transactional):
                _execute(conn, current.sql)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for current in (s for s in statements if not s.transactional):
                _execute(conn, current.sql)
    except Exception as exc:
        if not isinstance(exc, sa.exc.DBAPIError) and type(exc).__module__.split(".")[0] not in (
            "psycopg",
            "psycopg2",
        ):
            raise
        first = current.sql.splitlines()[0] if current is not None else "?"
        detail = str(exc).strip().splitlines()[0]
        raise WarehouseError(f"DDL statement failed ({first} ...): {detail}") from exc
