"""Emitted SQL: every statement parses with PostgreSQL's own parser (pglast), with the documented shapes."""

from __future__ import annotations

import pglast
import pyarrow as pa
import pytest
from pglast import ast, enums

from ecomkit.errors import SpecError
from ecomkit.schema import TIMESTAMP
from ecomkit.warehouse.timescale import (
    Column,
    ContinuousAggregate,
    Hypertable,
    Index,
    Measure,
    RefreshPolicy,
    Table,
    Warehouse,
    emit,
    preset,
    render,
)

VERSIONS = ["2.13", "2.17.2", "2.18", "2.28"]


def one(sql: str) -> ast.Node:
    """Parse ``sql``; it must be exactly one statement."""
    parsed = pglast.parse_sql(sql)
    assert len(parsed) == 1, sql
    return parsed[0].stmt


def calls(statements: list, name: str) -> list[str]:
    return [s.sql for s in statements if f"{name}(" in s.sql]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("target", ["timescale", "postgres"])
def test_every_statement_parses_as_exactly_one_postgresql_statement(version: str, target: str) -> None:
    statements = emit(preset.ecommerce(), version=version, target=target)
    assert statements
    for statement in statements:
        node = one(statement.sql)
        if isinstance(node, ast.DoStmt) or (
            isinstance(node, ast.CreateFunctionStmt) and "plpgsql" in statement.sql
        ):
            pglast.parse_plpgsql(statement.sql)  # the PL/pgSQL body parses too


@pytest.mark.parametrize("version", VERSIONS)
def test_rendered_script_parses_as_the_emitted_statements(version: str) -> None:
    script = render("ecommerce", version=version)
    assert len(pglast.parse_sql(script)) == len(emit(preset.ecommerce(), version=version))


def test_hypertables_use_the_213_dimension_api_idempotently() -> None:
    sql = calls(emit(preset.ecommerce()), "create_hypertable")
    assert len(sql) == 3
    node = one(sql[0])
    assert isinstance(node, ast.SelectStmt)
    func = node.targetList[0].val
    assert func.funcname[-1].sval == "create_hypertable"
    args = {a.name: a.arg for a in func.args if isinstance(a, ast.NamedArgExpr)}
    assert set(args) == {"create_default_indexes", "if_not_exists"}
    assert args["if_not_exists"].val.boolval
    dimension = func.args[1]
    assert isinstance(dimension, ast.FuncCall)
    assert dimension.funcname[-1].sval == "by_range"
    assert dimension.args[0].val.sval == "purchased_at"
    assert "INTERVAL '7 days'" in sql[0]
    assert "INTERVAL '1 month'" in calls(emit(preset.ecommerce()), "create_hypertable")[2]


@pytest.mark.parametrize("version", ["2.18", "2.18.1", "2.28"])
def test_columnstore_policy_is_a_procedure_call_from_218(version: str) -> None:
    statements = emit(preset.ecommerce(), version=version)
    policies = [s.sql for s in statements if s.kind == "compression" and "policy" in s.sql]
    assert len(policies) == 3
    for sql in policies:
        node = one(sql)
        assert isinstance(node, ast.CallStmt)
        assert node.funccall.funcname[-1].sval == "add_columnstore_policy"
        names = {a.name for a in node.funccall.args if isinstance(a, ast.NamedArgExpr)}
        assert names == {"after", "if_not_exists"}
    assert not calls(statements, "add_compression_policy")
    settings = "\n".join(s.sql for s in statements if s.kind == "compression")
    assert "timescaledb.enable_columnstore = true" in settings
    assert "timescaledb.segmentby = '\"customer_id\"'" in settings
    assert "timescaledb.compress_segmentby" not in settings


@pytest.mark.parametrize("version", ["2.13", "2.17"])
def test_compression_api_before_218(version: str) -> None:
    statements = emit(preset.ecommerce(), version=version)
    policies = calls(statements, "add_compression_policy")
    assert len(policies) == 3
    for sql in policies:
        node = one(sql)
        assert isinstance(node, ast.SelectStmt)
        assert "compress_after => INTERVAL '30 days'" in sql
        assert "if_not_exists => true" in sql
    assert not any("add_columnstore_policy" in s.sql for s in statements)
    settings = "\n".join(s.sql for s in statements if s.kind == "compression")
    assert "timescaledb.compress_segmentby = '\"order_id\"'" in settings
    assert "hypertable_compression_stats" in "\n".join(s.sql for s in statements)


def test_continuous_aggregates_are_created_with_no_data() -> None:
    statements = [s for s in emit(preset.ecommerce()) if s.kind == "aggregate"]
    assert [one(s.sql).into.rel.relname for s in statements] == [
        "hourly_sales_summary",
        "daily_sales_summary",
        "monthly_customer_summary",
    ]
    for statement in statements:
        node = one(statement.sql)
        assert isinstance(node, ast.CreateTableAsStmt)
        assert node.objtype == enums.ObjectType.OBJECT_MATVIEW
        assert node.if_not_exists
        assert node.into.skipData, "continuous aggregates must be created WITH NO DATA"
        options = {(o.defnamespace, o.defname) for o in node.into.options}
        assert ("timescaledb", "continuous") in options
        group = node.query.groupClause[0]
        assert isinstance(group, ast.FuncCall)
        assert group.funcname[-1].sval == "time_bucket"


def test_hierarchical_aggregate_buckets_its_source_bucket() -> None:
    daily = next(s.sql for s in emit(preset.ecommerce()) if '"daily_sales_summary"\nWITH' in s.sql)
    node = one(daily)
    assert node.query.fromClause[0].relname == "hourly_sales_summary"
    bucket = node.query.groupClause[0]
    assert bucket.args[1].fields[0].sval == "bucket"


def test_refreshes_are_last_ordered_and_non_transactional() -> None:
    statements = emit(preset.ecommerce())
    refreshes = [s for s in statements if s.kind == "refresh"]
    assert [s.transactional for s in refreshes] == [False, False, False]
    assert statements[-3:] == refreshes
    order = [one(s.sql).funccall.args[0].val.sval for s in refreshes]
    assert order.index('"hourly_sales_summary"') < order.index('"daily_sales_summary"')
    assert all(isinstance(one(s.sql), ast.CallStmt) for s in refreshes)
    assert all(s.transactional for s in statements if s.kind != "refresh")
    assert "-- runs outside a transaction block" in render("ecommerce")


def test_refresh_policies_match_the_spec() -> None:
    sql = calls(emit(preset.ecommerce()), "add_continuous_aggregate_policy")
    hourly = next(s for s in sql if "hourly_sales_summary" in s)
    assert "start_offset => INTERVAL '1 day'" in hourly
    assert "end_offset => INTERVAL '1 hour'" in hourly
    assert "schedule_interval => INTERVAL '10 minutes'" in hourly
    assert "if_not_exists => true" in hourly


def test_every_policy_is_idempotent() -> None:
    for statement in emit(preset.ecommerce()):
        if statement.kind in ("hypertable", "retention", "reorder", "policy") or (
            statement.kind == "compression" and "policy" in statement.sql
        ):
            assert "if_not_exists => true" in statement.sql, statement.sql
        if statement.kind in ("table", "index", "aggregate"):
            assert "IF NOT EXISTS" in statement.sql or "OR REPLACE" in statement.sql


def test_retention_and_reorder() -> None:
    statements = emit(preset.ecommerce())
    assert len(calls(statements, "add_retention_policy")) == 3
    assert all("drop_after => INTERVAL '3 years'" in s for s in calls(statements, "add_retention_policy"))
    reorder = calls(statements, "add_reorder_policy")
    assert reorder == [
        "SELECT add_reorder_policy('\"orders\"', 'orders_customer_id_purchased_at_idx', if_not_exists => true)"
    ]


def test_helpers_and_reader_role() -> None:
    sql = "\n".join(s.sql for s in emit(preset.ecommerce(), version="2.28"))
    for name in (
        "ecomkit_refresh_all_aggregates",
        "ecomkit_chunk_stats",
        "ecomkit_compression_ratio",
        "ecomkit_job_health",
    ):
        assert name in sql
    assert "hypertable_columnstore_stats" in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "ecomkit_reader"' in sql
    assert 'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "ecomkit_reader"' in sql


def test_postgres_target_has_no_timescale_calls() -> None:
    sql = "\n".join(s.sql for s in emit(preset.ecommerce(), target="postgres"))
    for name in ("create_hypertable", "time_bucket", "add_", "timescaledb"):
        assert name not in sql
    assert 'PARTITION BY RANGE ("purchased_at")' in sql
    assert "date_bin(" in sql


def test_duckdb_target_is_tables_indexes_and_views() -> None:
    statements = emit(preset.ecommerce(), target="duckdb")
    assert {s.kind for s in statements} == {"table", "index", "aggregate"}
    views = [s.sql for s in statements if s.kind == "aggregate"]
    assert all(v.startswith("CREATE OR REPLACE VIEW") and "time_bucket(" in v for v in views)
    assert not any("WHERE" in s.sql for s in statements if s.kind == "index")


def test_hostile_identifiers_stay_identifiers() -> None:
    hostile = 'x"; DROP TABLE orders; --'
    table = Table(
        hostile,
        (Column("at", TIMESTAMP, nullable=False), Column("it's", pa.string())),
        hypertable=Hypertable("at"),
        indexes=(Index(("it's",), name="ix'; DROP"),),
    )
    agg = ContinuousAggregate(
        "v\"'",
        hostile,
        "1 hour",
        group_by=("it's",),
        measures=(Measure('n"', "count"),),
        refresh=RefreshPolicy("1 day", "1 hour", "1 hour"),
    )
    for target in ("timescale", "postgres"):
        for statement in emit(Warehouse((table,), (agg,)), target=target):  # type: ignore[arg-type]
            node = one(statement.sql)
            if isinstance(node, ast.CreateStmt) and node.partbound is None:
                assert node.relation.relname == hostile
                assert [c.colname for c in node.tableElts] == ["at", "it's"]
            elif isinstance(node, ast.CreateStmt):
                assert node.relation.relname == hostile + "_default"


def test_bad_versions_and_targets() -> None:
    with pytest.raises(SpecError, match=r"version 2.12"):
        emit(preset.ecommerce(), version="2.12")
    with pytest.raises(SpecError, match=r"version must look like"):
        emit(preset.ecommerce(), version="latest")
    with pytest.raises(SpecError, match=r"target"):
        emit(preset.ecommerce(), target="oracle")  # type: ignore[arg-type]


def test_unstorable_column_type_is_a_spec_error() -> None:
    table = Table("t", (Column("s", pa.struct([("a", pa.int32())])),))
    with pytest.raises(SpecError, match=r"column 's'"):
        emit(table)
