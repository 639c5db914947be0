"""Applying the plain-PostgreSQL fallback and the DuckDB target for real, twice, and using what they build."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa

from ecomkit import schema
from ecomkit.errors import WarehouseError
from ecomkit.warehouse import load
from ecomkit.warehouse.timescale import Column, Hypertable, Index, Table, apply, detect, emit, preset

pytestmark = pytest.mark.postgres


def orders(n: int = 400) -> pa.Table:
    start = dt.datetime(2017, 3, 1, tzinfo=dt.timezone.utc)
    times = [start + dt.timedelta(hours=7 * i) for i in range(n)]
    return pa.table(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [f"c{i % 37}" for i in range(n)],
            "status": ["delivered"] * n,
            "purchased_at": pa.array(times, schema.TIMESTAMP),
            "currency": ["BRL" if i % 3 else "USD" for i in range(n)],
            "total_amount": [round(10 + (i * 7.31) % 900, 2) for i in range(n)],
            "source": ["test"] * n,
            "ingested_at": pa.array([start] * n, schema.TIMESTAMP),
        }
    )


@pytest.fixture
def reader(pg: sa.Engine) -> Iterator[str]:
    name = f"ecomkit_reader_{uuid.uuid4().hex[:8]}"
    yield name
    with pg.begin() as conn:
        exists = conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'").first()
        if exists:
            conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
            conn.exec_driver_sql(f'DROP ROLE "{name}"')


def test_detects_plain_postgresql(postgres_url: str) -> None:
    assert detect(postgres_url) == ("postgres", None)


def test_postgres_fallback_applies_twice_and_serves_the_summaries(
    pg: sa.Engine, postgres_url: str, reader: str, duckdb_path: str
) -> None:
    spec = preset.ecommerce(reader=reader)
    first = apply(spec, postgres_url)
    second = apply(spec, postgres_url)  # idempotent: the same statements succeed again
    assert first.target == second.target == "postgres"
    assert first.statements == second.statements == len(emit(spec, target="postgres"))
    with pg.connect() as conn:
        kinds = dict(
            conn.exec_driver_sql(
                "SELECT relname, relkind FROM pg_class WHERE relname IN "
                "('orders', 'order_items', 'customer_metrics', 'hourly_sales_summary', "
                "'daily_sales_summary', 'monthly_customer_summary')"
            ).fetchall()
        )
    assert kinds == {
        "orders": "p",
        "order_items": "p",
        "customer_metrics": "p",
        "hourly_sales_summary": "m",
        "daily_sales_summary": "m",
        "monthly_customer_summary": "m",
    }

    data = orders()
    assert load(data, postgres_url, "orders").inserted == data.num_rows
    with pg.begin() as conn:
        # 2017 is outside the partitions made around now(): rows sit in the default partition until the
        # helper creates theirs, moving them.
        assert conn.exec_driver_sql("SELECT count(*) FROM ONLY orders_default").scalar() == data.num_rows
        created = conn.exec_driver_sql(
            "SELECT ecomkit_create_partitions('orders', '2017-02-20', '2017-07-01', INTERVAL '7 days')"
        ).scalar()
        assert created is not None
        assert created >= 17
        assert conn.exec_driver_sql("SELECT count(*) FROM ONLY orders_default").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar() == data.num_rows
        conn.exec_driver_sql("CALL ecomkit_refresh_all_aggregates()")
        pg_daily = conn.exec_driver_sql(
            "SELECT bucket, currency, orders, round(revenue::numeric, 2) FROM daily_sales_summary ORDER BY 1, 2"
        ).fetchall()
        pg_monthly = conn.exec_driver_sql(
            "SELECT bucket, customer_id, orders FROM monthly_customer_summary ORDER BY 1, 2, currency"
        ).fetchall()
        stats = conn.exec_driver_sql("SELECT count(*) FROM ecomkit_chunk_stats('orders')").scalar()
        assert stats is not None
        assert stats >= 18
    assert sum(r[2] for r in pg_daily) == data.num_rows

    # The DuckDB target gives the same summaries from the same data.
    assert apply(spec, duckdb_path).target == "duckdb"
    assert apply(spec, duckdb_path).target == "duckdb"
    load(data, duckdb_path, "orders")
    with duckdb.connect(duckdb_path) as con:
        duck_daily = con.execute(
            "SELECT bucket, currency, orders, round(revenue, 2) FROM daily_sales_summary ORDER BY 1, 2"
        ).fetchall()
        duck_monthly = con.execute(
            "SELECT bucket, customer_id, orders FROM monthly_customer_summary ORDER BY 1, 2, currency"
        ).fetchall()
    assert [(b.timestamp(), c, int(n), float(r)) for b, c, n, r in pg_daily] == [
        (b.timestamp(), c, int(n), float(r)) for b, c, n, r in duck_daily
    ]
    assert [(b.timestamp(), c, n) for b, c, n in pg_monthly] == [
        (b.timestamp(), c, n) for b, c, n in duck_monthly
    ]

    # The read-only role can read the tables and the summaries, and cannot write.
    with pg.connect() as conn:
        conn.exec_driver_sql(f'SET ROLE "{reader}"')
        assert conn.exec_driver_sql("SELECT count(*) FROM daily_sales_summary").scalar() == len(pg_daily)
        with pytest.raises(sa.exc.ProgrammingError, match=r"permission denied"):
            conn.exec_driver_sql("DELETE FROM orders")
        conn.rollback()


def test_hostile_identifiers_apply_as_names(pg: sa.Engine, postgres_url: str) -> None:
    hostile = 'ev"; DROP TABLE orders; --'
    table = Table(
        hostile,
        (Column("at", schema.TIMESTAMP, nullable=False), Column("it's", pa.string())),
        hypertable=Hypertable("at", "1 day"),
        indexes=(Index(("it's",), name="ix'; DROP"),),
    )
    apply(table, postgres_url)
    apply(table, postgres_url)
    with pg.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT relname FROM pg_class WHERE relname LIKE 'ev%%'")}
    assert hostile in names
    assert "ix'; DROP" in {
        r[0]
        for r in pg.connect().exec_driver_sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix%%'")
    }


def test_a_failing_statement_rolls_back_the_whole_apply(pg: sa.Engine, postgres_url: str) -> None:
    bad = Table(
        "half_applied",
        (Column("at", schema.TIMESTAMP), Column("v", pa.int64())),
        indexes=(Index(("v",), where="v >"),),
    )
    with pytest.raises(WarehouseError, match=r"DDL statement failed"):
        apply(bad, postgres_url)
    with pg.connect() as conn:
        assert conn.exec_driver_sql("SELECT to_regclass('half_applied')").scalar() is None
