"""Turn warehouse specs into SQL statements for TimescaleDB, plain PostgreSQL or DuckDB.

One small function per feature. Every statement is idempotent (``IF NOT EXISTS``,
``if_not_exists => true``, ``CREATE OR REPLACE``), so applying the same output twice is a no-op.
TimescaleDB SQL follows its documented API: ``create_hypertable(..., by_range(...))`` (2.13+), the
compression API before 2.18 and the columnstore API from 2.18 (``add_columnstore_policy`` is a procedure,
run with ``CALL``). Continuous aggregates are created ``WITH NO DATA``; their first refresh is a separate
statement marked non-transactional (``CALL refresh_continuous_aggregate`` cannot run in a transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from ecomkit.errors import SpecError
from ecomkit.warehouse._types import duckdb_type, pg_type, quote_ident, quote_literal
from ecomkit.warehouse.timescale.spec import (
    ContinuousAggregate,
    Index,
    Measure,
    ReaderRole,
    Table,
    Warehouse,
    _interval,
    _split_order,
)

__all__ = ["MIN_VERSION", "Statement", "StatementKind", "Target", "emit", "parse_version", "render"]

#: Where the SQL runs: TimescaleDB, PostgreSQL without the extension, or the embedded DuckDB.
Target = Literal["timescale", "postgres", "duckdb"]
#: What a statement does (lets appliers and tests select statements).
StatementKind = Literal[
    "extension", "table", "partition", "hypertable", "index", "compression", "retention", "reorder",
    "aggregate", "policy", "function", "role", "refresh",
]  # fmt: skip
#: The oldest TimescaleDB version supported (the ``by_range`` hypertable API).
MIN_VERSION = (2, 13)
_COLUMNSTORE = (2, 18)
_TS_ORIGIN = "TIMESTAMPTZ '2000-01-03 00:00:00+00'"


@dataclass(frozen=True)
class Statement:
    """One SQL statement.

    Attributes:
        sql: the statement text, without a trailing semicolon.
        kind: what it does.
        transactional: ``False`` for statements that must run outside a transaction block
            (continuous-aggregate refreshes); appliers run those in autocommit.
    """

    sql: str
    kind: StatementKind
    transactional: bool = True

    def __str__(self) -> str:
        return self.sql


def parse_version(version: str) -> tuple[int, int]:
    """``"2.18.1"`` -> ``(2, 18)``.

    Raises:
        SpecError: not a version, or older than 2.13.
    """
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.\d+)?(?:[-+.\w]*)\s*", str(version))
    if match is None:
        raise SpecError(f"version must look like '2.18' or '2.13.1'; got {version!r}")
    parsed = (int(match.group(1)), int(match.group(2)))
    if parsed < MIN_VERSION:
        raise SpecError(
            f"version {version} is not supported; ecomkit emits SQL for TimescaleDB 2.13 and later"
        )
    return parsed


def emit(
    spec: Warehouse | Table,
    *,
    version: str = "2.28",
    target: Target = "timescale",
    refresh: bool = True,
) -> list[Statement]:
    """The SQL statements that build ``spec`` on ``target``, in order.

    Args:
        spec: a whole :class:`~ecomkit.warehouse.timescale.spec.Warehouse` or a single table.
        version: the TimescaleDB version to write for (``target="timescale"`` only).
        target: ``"timescale"``, ``"postgres"`` (range partitions and materialized views instead of
            hypertables and continuous aggregates; no policies) or ``"duckdb"`` (tables, indexes and the
            aggregates as views).
        refresh: end with the first refresh of every aggregate (non-transactional on TimescaleDB).

    Returns:
        The statements; ``str(statement)`` is its SQL.

    Raises:
        SpecError: an unsupported version or target, or a column type the target cannot store.

    Example:
        >>> from ecomkit.warehouse.timescale import preset
        >>> sql = emit(preset.ecommerce(), version="2.18")
        >>> any("CALL add_columnstore_policy" in s.sql for s in sql)
        True
    """
    wh = spec if isinstance(spec, Warehouse) else Warehouse((spec,))
    if target not in ("timescale", "postgres", "duckdb"):
        raise SpecError(f"target must be 'timescale', 'postgres' or 'duckdb'; got {target!r}")
    ver = parse_version(version)
    out: list[Statement] = []
    if target == "timescale":
        out.append(Statement("CREATE EXTENSION IF NOT EXISTS timescaledb", "extension"))
    if target == "postgres" and any(t.hypertable for t in wh.tables):
        out.append(_partition_helper())
    for table in wh.tables:
        out.extend(_table(table, target, ver))
    for agg in wh.ordered_aggregates:
        out.extend(_aggregate(wh, agg, target))
    if wh.helpers and target != "duckdb":
        out.extend(_helpers(wh, target, ver))
    if wh.reader is not None and target != "duckdb":
        out.extend(_reader(wh.reader))
    if refresh and target != "duckdb":
        out.extend(_refresh(agg, target) for agg in wh.ordered_aggregates)
    return out


def render(
    spec: Warehouse | Table | str,
    *,
    version: str = "2.28",
    target: Target = "timescale",
    refresh: bool = True,
) -> str:
    """The SQL script of :func:`emit`, one statement per paragraph, ready for ``psql -v ON_ERROR_STOP=1 -f``.

    Args:
        spec: a spec, or the name of a preset (``"ecommerce"``).
        version: see :func:`emit`.
        target: see :func:`emit`.
        refresh: see :func:`emit`.

    Returns:
        The script text.

    Example:
        >>> "create_hypertable" in render("ecommerce")
        True
    """
    if isinstance(spec, str):
        from ecomkit.warehouse.timescale import preset

        spec = preset.by_name(spec)
    ver = "" if target != "timescale" else f" for TimescaleDB {version}"
    lines = [f"-- ecomkit warehouse DDL ({target}{ver}); every statement is idempotent", ""]
    for statement in emit(spec, version=version, target=target, refresh=refresh):
        if not statement.transactional:
            lines.append("-- runs outside a transaction block (autocommit)")
        lines.append(statement.sql + ";")
        lines.append("")
    return "\n".join(lines)


# -- tables ------------------------------------------------------------------------------------------


def _column_type(table: Table, name: str, target: Target) -> str:
    column = table.column(name)
    mapped = duckdb_type(column.type) if target == "duckdb" else pg_type(column.type)
    if mapped is None:
        raise SpecError(
            f"Table {table.name!r}: column {name!r} has type {column.type}, which {target} cannot store"
        )
    return mapped


def _table(table: Table, target: Target, ver: tuple[int, int]) -> list[Statement]:
    ht = table.hypertable
    lines = []
    for column in table.columns:
        not_null = not column.nullable or (ht is not None and column.name == ht.time_column)
        not_null = not_null or column.name in table.primary_key
        null_sql = " NOT NULL" if not_null else ""
        lines.append(f"    {quote_ident(column.name)} {_column_type(table, column.name, target)}{null_sql}")
    if table.primary_key:
        lines.append(f"    PRIMARY KEY ({_idents(table.primary_key)})")
    sql = f"CREATE TABLE IF NOT EXISTS {quote_ident(table.name)} (\n" + ",\n".join(lines) + "\n)"
    if ht is not None and target == "postgres":
        sql += f" PARTITION BY RANGE ({quote_ident(ht.time_column)})"
    out = [Statement(sql, "table")]
    if ht is not None and target == "timescale":
        out.extend(_hypertable(table))
    if ht is not None and target == "postgres":
        out.extend(_partitions(table))
    if ht is not None and ht.create_default_indexes and target != "timescale":
        time_index = _index(table, Index((f"{ht.time_column} DESC",)), target)
        if time_index is not None:
            out.append(time_index)
    out.extend(s for s in (_index(table, ix, target) for ix in table.indexes) if s is not None)
    if target == "timescale":
        if table.compression is not None:
            out.extend(_compression(table, ver))
        if table.retention is not None:
            out.append(_retention(table))
        if table.reorder is not None:
            out.append(_reorder(table))
    return out


def _hypertable(table: Table) -> list[Statement]:
    ht = table.hypertable
    assert ht is not None
    rel = _regclass(table.name)
    out = [
        Statement(
            f"SELECT create_hypertable({rel}, by_range({quote_literal(ht.time_column)}, "
            f"INTERVAL {quote_literal(str(ht.chunk_interval))}), "
            f"create_default_indexes => {_bool(ht.create_default_indexes)}, if_not_exists => true)",
            "hypertable",
        )
    ]
    if ht.space_column is not None:
        out.append(
            Statement(
                f"SELECT add_dimension({rel}, by_hash({quote_literal(ht.space_column)}, "
                f"{int(ht.space_partitions)}), if_not_exists => true)",
                "hypertable",
            )
        )
    return out


def _partitions(table: Table) -> list[Statement]:
    ht = table.hypertable
    assert ht is not None
    default = f"{table.name}_default"[:63]
    step = f"INTERVAL {quote_literal(str(ht.chunk_interval))}"
    return [
        Statement(
            f"CREATE TABLE IF NOT EXISTS {quote_ident(default)} PARTITION OF {quote_ident(table.name)} DEFAULT",
            "partition",
        ),
        Statement(
            f"SELECT ecomkit_create_partitions({_regclass(table.name)}, now() - {step}, "
            f"now() + 4 * {step}, {step})",
            "partition",
        ),
    ]


def _index(table: Table, ix: Index, target: Target) -> Statement | None:
    if target == "duckdb":
        if ix.where is not None:
            return None  # DuckDB has no partial indexes; its zone maps serve the range scans
        cols = ", ".join(quote_ident(c) for c in ix.column_names)
        unique = "UNIQUE " if ix.unique else ""
        return Statement(
            f"CREATE {unique}INDEX IF NOT EXISTS {quote_ident(ix.name_for(table.name))} "
            f"ON {quote_ident(table.name)} ({cols})",
            "index",
        )
    parts = []
    for item in ix.columns:
        column, suffix = _split_order(item)
        parts.append(quote_ident(column) + suffix)
    sql = (
        f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX IF NOT EXISTS {quote_ident(ix.name_for(table.name))} "
        f"ON {quote_ident(table.name)} ({', '.join(parts)})"
    )
    if ix.include:
        sql += f" INCLUDE ({_idents(ix.include)})"
    if ix.where is not None:
        sql += f" WHERE {ix.where}"
    return Statement(sql, "index")


def _compression(table: Table, ver: tuple[int, int]) -> list[Statement]:
    comp = table.compression
    ht = table.hypertable
    assert comp is not None
    assert ht is not None
    order = comp.order_by or (f"{ht.time_column} DESC",)
    order_sql = ", ".join(quote_ident(c) + s for c, s in map(_split_order, order))
    segment_sql = ", ".join(quote_ident(c) for c in comp.segment_by)
    rel = _regclass(table.name)
    if ver >= _COLUMNSTORE:
        settings = ["timescaledb.enable_columnstore = true"]
        if comp.segment_by:
            settings.append(f"timescaledb.segmentby = {quote_literal(segment_sql)}")
        settings.append(f"timescaledb.orderby = {quote_literal(order_sql)}")
        policy = Statement(
            f"CALL add_columnstore_policy({rel}, after => INTERVAL {quote_literal(str(comp.after))}, "
            f"if_not_exists => true)",
            "compression",
        )
    else:
        settings = ["timescaledb.compress"]
        if comp.segment_by:
            settings.append(f"timescaledb.compress_segmentby = {quote_literal(segment_sql)}")
        settings.append(f"timescaledb.compress_orderby = {quote_literal(order_sql)}")
        policy = Statement(
            f"SELECT add_compression_policy({rel}, compress_after => "
            f"INTERVAL {quote_literal(str(comp.after))}, if_not_exists => true)",
            "compression",
        )
    # Changing settings on a table with compressed chunks fails before 2.18: only enable once.
    alter = (
        f"DO $ecomkit$\nBEGIN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables\n"
        f"                   WHERE format('%I.%I', hypertable_schema, hypertable_name)::regclass = {rel}::regclass\n"
        f"                     AND compression_enabled) THEN\n"
        f"        ALTER TABLE {quote_ident(table.name)} SET ({', '.join(settings)});\n"
        f"    END IF;\nEND\n$ecomkit$"
    )
    return [Statement(alter, "compression"), policy]


def _retention(table: Table) -> Statement:
    assert table.retention is not None
    return Statement(
        f"SELECT add_retention_policy({_regclass(table.name)}, drop_after => "
        f"INTERVAL {quote_literal(str(table.retention.drop_after))}, if_not_exists => true)",
        "retention",
    )


def _reorder(table: Table) -> Statement:
    assert table.reorder is not None
    return Statement(
        f"SELECT add_reorder_policy({_regclass(table.name)}, {quote_literal(table.reorder.index)}, "
        f"if_not_exists => true)",
        "reorder",
    )


# -- aggregates --------------------------------------------------------------------------------------


def _base_time_type(wh: Warehouse, agg: ContinuousAggregate) -> pa.DataType:
    source = agg.source
    for _ in range(len(wh.aggregates) + 1):
        for table in wh.tables:
            if table.name == source and table.hypertable is not None:
                return table.column(table.hypertable.time_column).type
        source = next(a.source for a in wh.aggregates if a.name == source)
    raise SpecError(f"ContinuousAggregate {agg.name!r}: cannot resolve its hypertable")  # pragma: no cover


def _bucket_sql(agg: ContinuousAggregate, column: str, time_type: pa.DataType, target: Target) -> str:
    width = f"INTERVAL {quote_literal(str(agg.bucket))}"
    col = quote_ident(column)
    with_tz = pa.types.is_timestamp(time_type) and time_type.tz is not None
    if target == "timescale":
        return f"time_bucket({width}, {col})"
    if target == "duckdb":
        return f"time_bucket({width}, {col}, 'UTC')" if with_tz else f"time_bucket({width}, {col})"
    months = _interval(agg.bucket, "bucket").months
    local = f"({col} AT TIME ZONE 'UTC')" if with_tz else f"{col}::timestamp"
    if months:  # calendar buckets counted from 2000-01-01, as time_bucket does
        index = f"((extract(year FROM {local})::int - 2000) * 12 + extract(month FROM {local})::int - 1)"
        start = f"(floor({index} / {months}.0)::int * {months})"
        base = "TIMESTAMP '2000-01-01 00:00:00'"
        expr = f"({base} + make_interval(months => {start}))"
        return f"({expr} AT TIME ZONE 'UTC')" if with_tz else expr
    if with_tz:
        return f"date_bin({width}, {col}, {_TS_ORIGIN})"
    return f"date_bin({width}, {local}, TIMESTAMP '2000-01-03 00:00:00')"


def _measure_sql(m: Measure) -> str:
    if m.column is None:
        return f"count(*) AS {quote_ident(m.name)}"
    col = quote_ident(m.column)
    if m.function == "count_distinct":
        return f"count(DISTINCT {col}) AS {quote_ident(m.name)}"
    return f"{m.function}({col}) AS {quote_ident(m.name)}"


def _aggregate(wh: Warehouse, agg: ContinuousAggregate, target: Target) -> list[Statement]:
    time_type = _base_time_type(wh, agg)
    bucket = _bucket_sql(agg, wh.time_column_of(agg), time_type, target)
    select = [f"{bucket} AS {quote_ident(agg.bucket_column)}"]
    select += [quote_ident(g) for g in agg.group_by]
    select += [_measure_sql(m) for m in agg.measures]
    group = ", ".join([bucket, *(quote_ident(g) for g in agg.group_by)])
    query = "SELECT " + ",\n       ".join(select) + f"\nFROM {quote_ident(agg.source)}\nGROUP BY {group}"
    name = quote_ident(agg.name)
    if target == "duckdb":
        return [Statement(f"CREATE OR REPLACE VIEW {name} AS\n{query}", "aggregate")]
    if target == "postgres":
        keys = _idents((agg.bucket_column, *agg.group_by))
        return [
            Statement(
                f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} AS\n{query}\nWITH NO DATA", "aggregate"
            ),
            Statement(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {quote_ident((agg.name + '_key_idx')[-63:])} "
                f"ON {name} ({keys})",
                "index",
            ),
        ]
    options = f"timescaledb.continuous, timescaledb.materialized_only = {_bool(agg.materialized_only)}"
    out = [
        Statement(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name}\nWITH ({options}) AS\n{query}\nWITH NO DATA",
            "aggregate",
        )
    ]
    if agg.refresh is not None:
        r = agg.refresh
        out.append(
            Statement(
                f"SELECT add_continuous_aggregate_policy({_regclass(agg.name)}, "
                f"start_offset => {_interval_or_null(r.start_offset)}, "
                f"end_offset => {_interval_or_null(r.end_offset)}, "
                f"schedule_interval => INTERVAL {quote_literal(str(r.schedule_interval))}, if_not_exists => true)",
                "policy",
            )
        )
    return out


def _refresh(agg: ContinuousAggregate, target: Target) -> Statement:
    if target == "postgres":
        return Statement(f"REFRESH MATERIALIZED VIEW {quote_ident(agg.name)}", "refresh")
    return Statement(
        f"CALL refresh_continuous_aggregate({_regclass(agg.name)}, NULL, NULL)",
        "refresh",
        transactional=False,
    )


# -- helper functions, roles -------------------------------------------------------------------------


def _partition_helper() -> Statement:
    return Statement(
        """CREATE OR REPLACE FUNCTION ecomkit_create_partitions(
    parent regclass, start_at timestamptz, end_at timestamptz, step interval
) RETURNS integer LANGUAGE plpgsql AS $ecomkit$
DECLARE
    part_schema text;
    parent_name text;
    time_column text;
    default_part regclass;
    lower_bound timestamptz;
    upper_bound timestamptz;
    part_name text;
    created integer := 0;
BEGIN
    SELECT n.nspname, c.relname INTO part_schema, parent_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent;
    SELECT a.attname INTO time_column
      FROM pg_partitioned_table p
      JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
     WHERE p.partrelid = parent;
    IF time_column IS NULL THEN
        RAISE EXCEPTION 'ecomkit_create_partitions: % is not range-partitioned', parent;
    END IF;
    SELECT i.inhrelid::regclass INTO default_part
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = parent AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
    IF extract(year FROM step) <> 0 OR extract(month FROM step) <> 0 THEN
        lower_bound := date_trunc('month', start_at, 'UTC');
    ELSE
        lower_bound := date_bin(step, start_at, TIMESTAMPTZ '2000-01-03 00:00:00+00');
    END IF;
    WHILE lower_bound < end_at LOOP
        upper_bound := lower_bound + step;
        part_name := left(parent_name, 40) || '_p' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MI');
        IF to_regclass(format('%I.%I', part_schema, part_name)) IS NULL THEN
            IF default_part IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, default_part);
            END IF;
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                           part_schema, part_name, parent, lower_bound, upper_bound);
            IF default_part IS NOT NULL THEN
                EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L RETURNING *) '
                               'INSERT INTO %s SELECT * FROM moved',
                               default_part, time_column, lower_bound, time_column, upper_bound, parent);
                EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s DEFAULT', parent, default_part);
            END IF;
            created := created + 1;
        END IF;
        lower_bound := upper_bound;
    END LOOP;
    RETURN created;
END
$ecomkit$""",
        "function",
    )


def _helpers(wh: Warehouse, target: Target, ver: tuple[int, int]) -> list[Statement]:
    if target == "timescale":
        calls = [
            f"    CALL refresh_continuous_aggregate({_regclass(a.name)}, NULL, NULL);\n    COMMIT;"
            for a in wh.ordered_aggregates
        ]
    else:
        calls = [f"    REFRESH MATERIALIZED VIEW {quote_ident(a.name)};" for a in wh.ordered_aggregates]
    body = "\n".join(calls) or "    NULL;"
    out = [
        Statement(
            "CREATE OR REPLACE PROCEDURE ecomkit_refresh_all_aggregates()\nLANGUAGE plpgsql AS $ecomkit$\n"
            f"BEGIN\n{body}\nEND\n$ecomkit$",
            "function",
        )
    ]
    if target == "postgres":
        out.append(
            Statement(
                """CREATE OR REPLACE FUNCTION ecomkit_chunk_stats(target regclass)
RETURNS TABLE (chunk_schema text, chunk_name text, bounds text, total_bytes bigint)
LANGUAGE sql STABLE AS $ecomkit$
    SELECT n.nspname::text, c.relname::text, pg_get_expr(c.relpartbound, c.oid), pg_total_relation_size(c.oid)
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = target
     ORDER BY c.relname
$ecomkit$""",
                "function",
            )
        )
        return out
    stats = "hypertable_columnstore_stats" if ver >= _COLUMNSTORE else "hypertable_compression_stats"
    out += [
        Statement(
            """CREATE OR REPLACE FUNCTION ecomkit_chunk_stats(target regclass)
RETURNS TABLE (chunk_schema text, chunk_name text, range_start timestamptz, range_end timestamptz,
               is_compressed boolean, total_bytes bigint)
LANGUAGE sql STABLE AS $ecomkit$
    SELECT c.chunk_schema::text, c.chunk_name::text, c.range_start, c.range_end, c.is_compressed, s.total_bytes
      FROM timescaledb_information.chunks AS c
      JOIN chunks_detailed_size(target) AS s
        ON s.chunk_schema = c.chunk_schema AND s.chunk_name = c.chunk_name
     WHERE format('%I.%I', c.hypertable_schema, c.hypertable_name)::regclass = target
     ORDER BY c.range_start
$ecomkit$""",
            "function",
        ),
        Statement(
            f"""CREATE OR REPLACE FUNCTION ecomkit_compression_ratio(target regclass)
RETURNS TABLE (total_chunks bigint, compressed_chunks bigint, before_bytes bigint, after_bytes bigint,
               ratio numeric)
LANGUAGE sql STABLE AS $ecomkit$
    SELECT s.total_chunks, s.number_compressed_chunks::bigint,
           s.before_compression_total_bytes, s.after_compression_total_bytes,
           round(s.before_compression_total_bytes::numeric / NULLIF(s.after_compression_total_bytes, 0), 2)
      FROM {stats}(target) AS s
$ecomkit$""",
            "function",
        ),
        Statement(
            """CREATE OR REPLACE FUNCTION ecomkit_job_health()
RETURNS TABLE (job_id integer, proc_name text, relation text, schedule_interval interval,
               last_run_status text, last_successful_finish timestamptz, next_start timestamptz,
               total_failures bigint, healthy boolean)
LANGUAGE sql STABLE AS $ecomkit$
    SELECT j.job_id, j.proc_name::text, format('%I.%I', j.hypertable_schema, j.hypertable_name),
           j.schedule_interval, s.last_run_status, s.last_successful_finish, s.next_start,
           s.total_failures, s.last_run_status IS DISTINCT FROM 'Failed'
      FROM timescaledb_information.jobs AS j
      LEFT JOIN timescaledb_information.job_stats AS s ON s.job_id = j.job_id
     ORDER BY j.job_id
$ecomkit$""",
            "function",
        ),
    ]
    return out


def _reader(role: ReaderRole) -> list[Statement]:
    name, schema = quote_ident(role.name), quote_ident(role.schema)
    return [
        Statement(
            "DO $ecomkit$\nBEGIN\n"
            f"    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {quote_literal(role.name)}) THEN\n"
            f"        CREATE ROLE {name} NOLOGIN;\n    END IF;\nEND\n$ecomkit$",
            "role",
        ),
        Statement(f"GRANT USAGE ON SCHEMA {schema} TO {name}", "role"),
        Statement(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {name}", "role"),
        Statement(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {name}", "role"),
    ]


# -- small helpers -----------------------------------------------------------------------------------


def _regclass(name: str) -> str:
    """A table name as a ``regclass`` argument: the quoted identifier as a string literal."""
    return quote_literal(quote_ident(name))


def _idents(names: tuple[str, ...]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _interval_or_null(value: object) -> str:
    return "NULL::interval" if value is None else f"INTERVAL {quote_literal(str(value))}"
