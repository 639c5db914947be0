"""The BI access guide's setup works on a real server: a login in the reader role reads, never writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pyarrow as pa
import pytest
import sqlalchemy as sa

from ecomkit import metrics, schema
from ecomkit.connectors import sql
from ecomkit.warehouse import load
from ecomkit.warehouse.timescale import ReaderRole, Table, Warehouse, apply


@pytest.fixture
def analyst(pg: sa.Engine, postgres_url: str) -> Iterator[tuple[str, str]]:
    """A login in a fresh reader role, set up as docs/guide/bi-access.md says: its URL and a table to read."""
    role, login, name = (f"bi_{part}_{uuid.uuid4().hex[:8]}" for part in ("reader", "login", "metrics"))
    orders = pa.table(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": ["c1", "c1", "c2"],
            "purchased_at": pa.array(
                [dt.datetime(2025, 1, d, tzinfo=dt.timezone.utc) for d in (1, 15, 20)], schema.TIMESTAMP
            ),
            "total_amount": [10.0, 30.0, 5.0],
        }
    )
    table = metrics.customer_metrics(orders)
    spec = Warehouse((Table.from_arrow(name, table.schema),), helpers=False, reader=ReaderRole(role))
    apply(spec, postgres_url)
    load(table, postgres_url, name)
    with pg.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN IN ROLE "{role}"')
        conn.exec_driver_sql(f'ALTER ROLE "{login}" SET default_transaction_read_only = on')
        conn.exec_driver_sql(f"ALTER ROLE \"{login}\" SET statement_timeout = '120s'")
    yield sa.make_url(postgres_url).set(username=login).render_as_string(hide_password=False), name
    with pg.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE "{name}"')
        for who in (login, role):
            conn.exec_driver_sql(f'DROP OWNED BY "{who}"')
            conn.exec_driver_sql(f'DROP ROLE "{who}"')


def test_a_reader_login_reads_through_a_pooled_engine_and_cannot_write(analyst: tuple[str, str]) -> None:
    url, name = analyst
    engine = sa.create_engine(url, pool_size=2, max_overflow=1, pool_pre_ping=True, pool_recycle=1800)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f'select customer_id, orders from "{name}" order by 1')).all()
            assert [tuple(r) for r in rows] == [("c1", 2), ("c2", 1)]
            assert conn.execute(sa.text("show statement_timeout")).scalar() == "2min"
            with pytest.raises(sa.exc.DBAPIError, match=r"read-only transaction|permission denied"):
                conn.execute(sa.text(f'delete from "{name}"'))
    finally:
        engine.dispose()


def test_the_reader_login_gets_arrow_through_ecomkit(analyst: tuple[str, str]) -> None:
    url, name = analyst
    table = sql.read(url, name)
    assert table.num_rows == 2
    assert sorted(table.column("customer_id").to_pylist()) == ["c1", "c2"]
