"""ecomkit.connectors.sql against a real MariaDB/MySQL server (pymysql, unbuffered server-side cursor)."""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from ecomkit.connectors import sql
from ecomkit.connectors.state import MemoryState, State
from ecomkit.errors import DatabaseError

pytestmark = pytest.mark.mysql

UTC = dt.timezone.utc
WEIRD = "weird`; drop table x; -- 100%"
# (SQLAlchemy's MySQL reflection does not unescape backticks in column names, so none here.)
WEIRD_COLUMN = 'it\'s "quoted" %s; --'


def stored(state: State) -> Any:
    """The one watermark a test's state holds."""
    (key,) = state.keys()
    return state.get(key)


@pytest.fixture(scope="module")
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def big(engine: sa.Engine) -> str:
    """30,000 rows, made by the server."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE big (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(12, 2), seen DATETIME(6))"
        )
        conn.exec_driver_sql(
            "INSERT INTO big SELECT seq, CONCAT('label-', seq), seq / 100, "
            "TIMESTAMP('2025-01-01') + INTERVAL (seq DIV 10) SECOND FROM seq_1_to_30000"
        )
    return "big"


def test_types_round_trip(mysql_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            """
            CREATE TABLE typed (
                id INT PRIMARY KEY, big BIGINT UNSIGNED, tiny TINYINT, price DECIMAL(12, 2),
                at TIMESTAMP(6) NULL, local DATETIME(6), day DATE, doc JSON, label VARCHAR(20),
                ratio FLOAT, score DOUBLE, blob_ BLOB
            )
            """
        )
        # Written in a +02:00 session: TIMESTAMP stores the instant, which ecomkit reads back as UTC.
        conn.exec_driver_sql("SET time_zone = '+02:00'")
        conn.exec_driver_sql(
            """
            INSERT INTO typed VALUES
            (1, 18446744073709551615, -5, 1234567890.12, '2025-03-01 10:30:00.123456',
             '2025-03-01 10:30:00.5', '2025-03-01', '{"a": [1, 2]}', 'héllo', 0.5, 2.25, x'00ff'),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """
        )
        conn.exec_driver_sql("SET time_zone = SYSTEM")
    table = sql.read(mysql_url, "typed").sort_by("id")
    assert {f.name: f.type for f in table.schema} == {
        "id": pa.int32(),
        "big": pa.uint64(),
        "tiny": pa.int8(),
        "price": pa.decimal128(12, 2),
        "at": pa.timestamp("us", tz="UTC"),
        "local": pa.timestamp("us"),
        "day": pa.date32(),
        "doc": pa.string(),
        "label": pa.string(),
        "ratio": pa.float32(),
        "score": pa.float64(),
        "blob_": pa.binary(),
    }
    first, second = table.to_pylist()
    assert first["big"] == 18446744073709551615
    assert first["price"] == decimal.Decimal("1234567890.12")
    assert first["at"] == dt.datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    assert first["local"] == dt.datetime(2025, 3, 1, 10, 30, 0, 500000)
    assert first["doc"] == '{"a": [1, 2]}'
    assert first["label"] == "héllo"
    assert first["blob_"] == b"\x00\xff"
    assert all(value is None for name, value in second.items() if name != "id")


def test_session_time_zone_is_restored(mysql_url: str, engine: sa.Engine) -> None:
    from ecomkit._sql import engine_for

    sql.read(mysql_url, sa.text("SELECT 1 AS one"))
    pooled = engine_for(mysql_url)  # the engine the read used; its connection went back to the pool
    with pooled.connect() as conn:
        assert conn.exec_driver_sql("SELECT @@session.time_zone").scalar_one() != "+00:00"


def test_unbuffered_read_keeps_python_memory_bounded(mysql_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE wide (id INT PRIMARY KEY, label VARCHAR(200))")
        conn.exec_driver_sql("INSERT INTO wide SELECT seq, REPEAT('x', 200) FROM seq_1_to_8000")

    def peak(read: Any) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def streamed() -> None:
        total = 0
        for batch in sql.read_batches(mysql_url, "wide", batch_size=200):
            assert batch.num_rows <= 200
            total += batch.num_rows
        assert total == 8_000

    def buffered() -> None:  # what the old pipeline did: every row in memory at once
        with engine.connect() as conn:
            assert len(conn.exec_driver_sql("SELECT * FROM wide").fetchall()) == 8_000

    streamed()  # warm up: imports, dialect and statement caches are not what is measured
    buffered()
    ours, theirs = peak(streamed), peak(buffered)
    assert ours < 2**20, f"streaming peaked at {ours / 2**20:.2f} MiB of Python memory"
    assert theirs > 5 * ours


def test_abandoning_a_read_releases_the_connection(mysql_url: str, big: str) -> None:
    iterator = sql.read_batches(mysql_url, big, batch_size=1_000)
    assert next(iterator).num_rows == 1_000
    iterator.close()  # must not drain the remaining 29,000 rows through the unbuffered cursor
    assert sql.read(mysql_url, sa.text("SELECT COUNT(*) AS n FROM big")).column("n").to_pylist() == [30_000]


def test_incremental_over_datetime_ties(mysql_url: str, big: str) -> None:
    state = MemoryState()
    since = dt.datetime(2025, 1, 1, 0, 49, 59)  # second 2999: ids 29_990..30_000
    first = sql.read(mysql_url, big, cursor="seen", since=since, batch_size=3, state=state)
    assert first.column("id").to_pylist() == list(range(29_990, 30_001))
    assert stored(state)["key"] == 30_000
    assert sql.read(mysql_url, big, cursor="seen", state=state).num_rows == 0


def test_injection_through_names_is_quoted(mysql_url: str, engine: sa.Engine) -> None:
    meta = sa.MetaData()
    weird = sa.Table(
        WEIRD, meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column(WEIRD_COLUMN, sa.Text)
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE x (a INT)")
        conn.execute(weird.insert(), [{"id": i, WEIRD_COLUMN: f"v{i}"} for i in range(1, 6)])
    table = sql.read(mysql_url, WEIRD, columns=[WEIRD_COLUMN], cursor="id", since=4)
    assert table.to_pylist() == [{WEIRD_COLUMN: "v4"}, {WEIRD_COLUMN: "v5"}]
    with pytest.raises(DatabaseError, match="does not exist"):
        sql.read(mysql_url, "x`; DROP TABLE x; --")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM x").scalar_one() == 0


def test_missing_table_and_column(mysql_url: str, big: str) -> None:
    with pytest.raises(DatabaseError, match="table 'no_such' does not exist"):
        sql.read(mysql_url, "no_such")
    with pytest.raises(DatabaseError, match="has no column 'nope'"):
        sql.read_batches(mysql_url, big, columns=["id", "nope"])


def test_connection_killed_mid_read(mysql_url: str, big: str, engine: sa.Engine) -> None:
    state = MemoryState()
    iterator = sql.read_batches(mysql_url, big, cursor="id", batch_size=500, state=state)
    first = next(iterator)
    with engine.connect() as conn:
        ids = conn.exec_driver_sql(
            "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        ).scalars()
        for connection_id in list(ids):
            conn.exec_driver_sql(f"KILL {int(connection_id)}")
    with pytest.raises(DatabaseError, match="reading table 'big'"):
        next(iterator)
    assert stored(state)["key"] is None  # cursor "id" is the primary key: no key
    assert stored(state)["cursor"] == first.column("id")[-1].as_py() == 500
    resumed = next(sql.read_batches(mysql_url, big, cursor="id", batch_size=500, state=state))
    assert resumed.column("id")[0].as_py() == 501
