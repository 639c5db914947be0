"""ecomkit.connectors.sql against SQLite files, plus SQL generated for SQL Server (compiled, no server)."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

from ecomkit.connectors import sql
from ecomkit.connectors.progress import Progress
from ecomkit.connectors.state import JsonState, MemoryState, State
from ecomkit.errors import CastError, ConfigError, DatabaseError, StateError

WEIRD = 'weird"; drop table x; --'
WEIRD_COLUMN = 'it\'s "quoted"; --'


def stored(state: State) -> Any:
    """The one watermark a test's state holds."""
    (key,) = state.keys()
    return state.get(key)


@pytest.fixture
def shop(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    orders = sa.Table(
        "orders",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("updated_at", sa.DateTime, nullable=True),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("status", sa.String(20)),
        sa.Column("paid", sa.Boolean),
        sa.Column("placed_on", sa.Date),
        sa.Column("weight", sa.Float),
    )
    meta.create_all(engine)
    base = dt.datetime(2025, 1, 1, 12, 0, 0, 123456)
    rows = [
        {
            "id": i,
            "updated_at": base + dt.timedelta(minutes=i // 3),
            "total": decimal.Decimal(f"{i}.{i % 100:02d}"),
            "status": None if i % 7 == 0 else f"s{i % 4}",
            "paid": i % 2 == 0,
            "placed_on": dt.date(2025, 1, 1 + i % 28),
            "weight": i / 4,
        }
        for i in range(1, 51)
    ]
    with engine.begin() as conn:
        conn.execute(orders.insert(), rows)
    engine.dispose()
    return url


def test_full_read_maps_types_and_keeps_nulls(shop: str) -> None:
    table = sql.read(shop, "orders")
    assert table.schema.field("id").type == pa.int64()  # SQLite integers are 64-bit
    assert table.schema.field("updated_at").type == pa.timestamp("us")
    assert table.schema.field("total").type == pa.decimal128(12, 2)
    assert table.schema.field("paid").type == pa.bool_()
    assert table.schema.field("placed_on").type == pa.date32()
    assert table.schema.field("weight").type == pa.float64()
    assert table.num_rows == 50
    row = table.filter(pa.compute.equal(table["id"], 7)).to_pylist()[0]
    assert row["status"] is None
    assert row["total"] == decimal.Decimal("7.07")
    assert row["updated_at"] == dt.datetime(2025, 1, 1, 12, 2, 0, 123456)
    assert row["placed_on"] == dt.date(2025, 1, 8)
    assert row["paid"] is False
    assert table["status"].null_count == 7


def test_batches_are_bounded_and_complete(shop: str) -> None:
    batches = list(sql.read_batches(shop, "orders", batch_size=8))
    assert [b.num_rows for b in batches] == [8, 8, 8, 8, 8, 8, 2]
    ids = [i for b in batches for i in b.column("id").to_pylist()]
    assert sorted(ids) == list(range(1, 51))


def test_columns_selects_and_orders(shop: str) -> None:
    table = sql.read(shop, "orders", columns=["status", "id"])
    assert table.column_names == ["status", "id"]


def test_missing_table_and_column_are_named(shop: str) -> None:
    with pytest.raises(DatabaseError, match="table 'nope' does not exist"):
        sql.read(shop, "nope")
    with pytest.raises(DatabaseError, match=r"has no column 'nope'.*available: id, updated_at"):
        sql.read_batches(shop, "orders", columns=["id", "nope"])
    with pytest.raises(DatabaseError, match="has no column 'changed'"):
        sql.read_batches(shop, "orders", cursor="changed")
    with pytest.raises(DatabaseError, match=r"pass a query as sqlalchemy\.text"):
        sql.read(shop, "SELECT * FROM orders")


def test_injection_through_names_is_quoted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'weird.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE x (a INTEGER)")
        conn.exec_driver_sql("INSERT INTO x VALUES (1)")
    meta = sa.MetaData()
    weird = sa.Table(
        WEIRD, meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column(WEIRD_COLUMN, sa.Text)
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(weird.insert(), [{"id": 1, WEIRD_COLUMN: "a"}, {"id": 2, WEIRD_COLUMN: "b"}])
    table = sql.read(url, WEIRD, columns=[WEIRD_COLUMN], cursor="id", since=2)
    assert table.to_pylist() == [{WEIRD_COLUMN: "b"}]
    with pytest.raises(DatabaseError, match="has no column"):
        sql.read(url, WEIRD, columns=["id; DROP TABLE x"])
    with pytest.raises(DatabaseError, match="does not exist"):
        sql.read(url, "x; DROP TABLE x")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT a FROM x").scalar_one() == 1  # x survived every attempt
    engine.dispose()


def test_incremental_reads_in_cursor_key_order_and_resumes_from_state(shop: str, tmp_path: Path) -> None:
    path = tmp_path / "sync-state.json"  # a path: the JSON state store of ecomkit.connectors.state
    seen: list[int] = []
    iterator = sql.read_batches(shop, "orders", cursor="updated_at", batch_size=4, state=path)
    first = next(iterator)
    assert not path.exists()  # nothing committed until the consumer comes back for more
    seen += first.column("id").to_pylist()
    second = next(iterator)
    seen += second.column("id").to_pylist()
    state = JsonState(path)
    assert state.keys() == [f"sql:{sa.make_url(shop).database}:orders"]  # sql:<database>:<table>
    assert stored(state)["key"] == first.column("id")[-1].as_py()
    iterator.close()  # the consumer stops: the second batch was never confirmed
    rest = sql.read(shop, "orders", cursor="updated_at", batch_size=4, state=path)
    seen += rest.column("id").to_pylist()
    # the second batch is read again (it was not confirmed), nothing is lost
    assert sorted(set(seen)) == list(range(1, 51))
    assert seen.count(second.column("id")[0].as_py()) == 2
    assert len(seen) == 50 + second.num_rows
    again = sql.read(shop, "orders", cursor="updated_at", state=state)
    assert again.num_rows == 0
    assert again.column_names == ["id", "updated_at", "total", "status", "paid", "placed_on", "weight"]
    assert again.schema.field("total").type == pa.decimal128(12, 2)


def test_since_value_is_inclusive_and_watermark_is_exclusive(shop: str) -> None:
    cut = dt.datetime(2025, 1, 1, 12, 16, 0, 123456)  # ids 48, 49, 50 share it
    table = sql.read(shop, "orders", cursor="updated_at", since=cut)
    assert table.column("id").to_pylist() == [48, 49, 50]
    after = sql.read(shop, "orders", cursor="updated_at", since=sql.Watermark(cut, 48))
    assert after.column("id").to_pylist() == [49, 50]


def test_rows_with_null_cursor_are_not_part_of_incremental_reads(shop: str) -> None:
    engine = sa.create_engine(shop)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE orders SET updated_at = NULL WHERE id = 3")
    engine.dispose()
    assert 3 not in sql.read(shop, "orders", cursor="updated_at").column("id").to_pylist()
    assert 3 in sql.read(shop, "orders").column("id").to_pylist()


def test_state_for_other_columns_is_refused(shop: str) -> None:
    state = MemoryState()
    sql.read(shop, "orders", cursor="updated_at", state=state)
    with pytest.raises(StateError, match="cursor 'updated_at'"):
        sql.read(shop, "orders", cursor="placed_on", state=state)


def test_queries_select_and_text(shop: str) -> None:
    query = sa.text("SELECT id, total FROM orders WHERE id > :low ORDER BY id")
    table = sql.read(shop, query, params={"low": 47})
    assert table.column("id").to_pylist() == [48, 49, 50]
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("updated_at", sa.DateTime))
    select = sa.select(orders.c.id, orders.c.updated_at).where(orders.c.id <= 10)
    incremental = sql.read(shop, select, cursor="updated_at", key="id", batch_size=3)
    assert incremental.column("id").to_pylist() == list(range(1, 11))
    with pytest.raises(ConfigError, match="state_key"):
        sql.read(shop, select, cursor="updated_at", key="id", state=MemoryState())
    with pytest.raises(ConfigError, match=r"text\(\.\.\.\)\.columns"):
        sql.read(shop, query, cursor="id")


def test_schema_overrides_types(shop: str) -> None:
    schema = pa.schema([("total", pa.float64()), ("id", pa.int32())])
    table = sql.read(shop, "orders", columns=["id", "total"], schema=schema)
    assert table.schema.field("total").type == pa.float64()
    assert table.schema.field("id").type == pa.int32()
    assert table.column("total")[1].as_py() == pytest.approx(2.02)
    with pytest.raises(CastError, match="status"):
        sql.read(shop, "orders", columns=["status"], schema=pa.schema([("status", pa.int64())]))


def test_progress_hook_reports_rows_so_far(shop: str) -> None:
    reports: list[Progress] = []
    list(sql.read_batches(shop, "orders", batch_size=20, progress=reports.append))
    assert [(p.rows, p.batches) for p in reports] == [(20, 1), (40, 2), (50, 3)]
    assert all(p.elapsed >= 0 and p.rate >= 0 for p in reports)


def test_arguments_are_checked_before_reading(shop: str) -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        sql.read_batches(shop, "orders", batch_size=0)
    with pytest.raises(ConfigError, match="need cursor"):
        sql.read_batches(shop, "orders", since=1)
    with pytest.raises(ConfigError, match="columns must be a list"):
        sql.read_batches(shop, "orders", columns="id")
    with pytest.raises(ConfigError, match="not a database URL"):
        sql.read_batches("not a url", "orders")


def test_table_without_primary_key_needs_a_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nopk.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE events (seq INTEGER, at TEXT)")
    engine.dispose()
    with pytest.raises(ConfigError, match="needs key="):
        sql.read_batches(url, "events", cursor="at")
    assert sql.read(url, "events", cursor="at", key="seq").num_rows == 0


# --- SQL Server: the generated SQL, compiled against the mssql dialect -----------------------------


def _mssql_plan(tmp_path: Path, **options: Any) -> Any:
    meta = sa.MetaData()
    table = sa.Table(
        WEIRD,
        meta,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("updated_at", mssql.DATETIMEOFFSET),
        sa.Column("ref", mssql.UNIQUEIDENTIFIER),
        sa.Column("total", sa.Numeric(10, 2)),
        schema="shop",
    )
    return sql._plan(
        f"sqlite:///{tmp_path / 'unused.db'}",
        table,
        columns=options.get("columns"),
        cursor=options.get("cursor"),
        key=None,
        since=options.get("since"),
        batch_size=500,
        params=None,
        schema=None,
        state=None,
        state_key=None,
    )


def test_mssql_keyset_page_sql(tmp_path: Path) -> None:
    plan = _mssql_plan(tmp_path, cursor="updated_at")
    after = sql.Watermark(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), 42)
    stmt = sql._select(plan, text_cast=True, after=after, since=None, limit=500)
    compiled = stmt.compile(dialect=mssql.dialect(), compile_kwargs={"render_postcompile": True})
    text = " ".join(str(compiled).split())
    quoted = 'shop.[weird"; drop table x; --]'
    assert text.startswith("SELECT TOP 500 " + quoted + ".id, " + quoted + ".updated_at, CAST(")
    assert f"CAST({quoted}.ref AS NVARCHAR(max)) AS ref" in text
    assert f"FROM {quoted} WHERE {quoted}.updated_at IS NOT NULL" in text
    assert (
        f"{quoted}.updated_at >= :updated_at_1 AND ({quoted}.updated_at > :updated_at_2 OR {quoted}.id > :id_1)"
        in text
    )
    assert text.endswith(f"ORDER BY {quoted}.updated_at, {quoted}.id")
    assert compiled.params == {"updated_at_1": after.cursor, "updated_at_2": after.cursor, "id_1": 42}
    assert "drop table x; --" not in text.replace(quoted, "")  # the name appears only quoted


def test_mssql_full_read_sql_has_no_order_or_limit(tmp_path: Path) -> None:
    plan = _mssql_plan(tmp_path, columns=["id", "total"])
    stmt = sql._select(plan, text_cast=True, after=None, since=None, limit=None)
    text = " ".join(str(stmt.compile(dialect=mssql.dialect())).split())
    assert (
        text
        == 'SELECT shop.[weird"; drop table x; --].id, shop.[weird"; drop table x; --].total FROM shop.[weird"; drop table x; --]'
    )
    assert plan.arrow == {"id": pa.int64(), "total": pa.decimal128(10, 2)}


def test_mssql_types_map_to_arrow() -> None:
    from ecomkit.connectors._sql_types import arrow_type

    assert arrow_type(mssql.DATETIMEOFFSET(), "mssql") == pa.timestamp("us", tz="UTC")
    assert arrow_type(mssql.DATETIME2(), "mssql") == pa.timestamp("us")
    assert arrow_type(mssql.UNIQUEIDENTIFIER(), "mssql") == pa.string()
    assert arrow_type(mssql.BIT(), "mssql") == pa.bool_()
    assert arrow_type(mssql.NVARCHAR(20), "mssql") == pa.string()
    assert arrow_type(sa.Numeric(40, 4), "mssql") == pa.decimal256(40, 4)
