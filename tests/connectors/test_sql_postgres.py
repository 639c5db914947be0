"""ecomkit.connectors.sql against a real PostgreSQL server (ADBC fast path and the psycopg fallback)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from ecomkit.connectors import sql
from ecomkit.connectors.state import MemoryState, State
from ecomkit.errors import DatabaseError

pytestmark = pytest.mark.postgres

WEIRD = 'weird"; drop table x; -- 100%'
WEIRD_COLUMN = 'it\'s "quoted" %s; --'
UTC = dt.timezone.utc


def stored(state: State) -> Any:
    """The one watermark a test's state holds."""
    (key,) = state.keys()
    return state.get(key)


@pytest.fixture(scope="module")
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def typed(engine: sa.Engine) -> str:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            """
            CREATE TABLE typed (
                id integer PRIMARY KEY, big bigint, small smallint, price numeric(12, 2),
                huge numeric(40, 5), free numeric, at timestamptz, local timestamp, day date,
                doc jsonb, raw json, ref uuid, label text, flag boolean, blob bytea, ratio real,
                score double precision
            )
            """
        )
        conn.exec_driver_sql(
            """
            INSERT INTO typed VALUES
            (1, 9007199254740993, 7, 1234567890.12, 123456789012345678901234567890.12345, 1.5,
             '2025-03-01 10:30:00.123456+02', '2025-03-01 10:30:00.5', '2025-03-01',
             '{"b": [1, 2], "a": "x"}', '{"z":  1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
             'héllo', true, '\\x00ff', 0.5, 2.25),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL)
            """
        )
    return "typed"


def _types_table(url: str, monkeypatch: pytest.MonkeyPatch, *, adbc: bool) -> pa.Table:
    if not adbc:
        monkeypatch.setattr(sql, "adbc_available", lambda: False)
    return sql.read(url, "typed").sort_by("id")


@pytest.mark.parametrize("adbc", [True, False], ids=["adbc", "psycopg"])
def test_types_round_trip(postgres_url: str, typed: str, monkeypatch: pytest.MonkeyPatch, adbc: bool) -> None:
    table = _types_table(postgres_url, monkeypatch, adbc=adbc)
    types = {f.name: f.type for f in table.schema}
    assert types == {
        "id": pa.int32(),
        "big": pa.int64(),
        "small": pa.int16(),
        "price": pa.decimal128(12, 2),
        "huge": pa.decimal256(40, 5),
        "free": pa.string(),
        "at": pa.timestamp("us", tz="UTC"),
        "local": pa.timestamp("us"),
        "day": pa.date32(),
        "doc": pa.string(),
        "raw": pa.string(),
        "ref": pa.string(),
        "label": pa.string(),
        "flag": pa.bool_(),
        "blob": pa.binary(),
        "ratio": pa.float32(),
        "score": pa.float64(),
    }
    first, second = table.to_pylist()
    assert first["big"] == 9007199254740993
    assert first["price"] == decimal.Decimal("1234567890.12")
    assert first["huge"] == decimal.Decimal("123456789012345678901234567890.12345")
    assert first["free"] == "1.5"
    assert first["at"] == dt.datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    assert first["local"] == dt.datetime(2025, 3, 1, 10, 30, 0, 500000)
    assert first["day"] == dt.date(2025, 3, 1)
    assert first["doc"] == '{"a": "x", "b": [1, 2]}'  # jsonb's canonical text
    assert first["raw"] == '{"z":  1}'  # json keeps the text as written
    assert first["ref"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert first["label"] == "héllo"
    assert first["blob"] == b"\x00\xff"
    assert first["ratio"] == 0.5
    assert second == {name: (2 if name == "id" else None) for name in types}


def test_adbc_and_psycopg_paths_agree(postgres_url: str, typed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _types_table(postgres_url, monkeypatch, adbc=True)
    slow = _types_table(postgres_url, monkeypatch, adbc=False)
    assert fast.equals(slow)


def test_uuid_text_matches_postgres_for_many_values(postgres_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE uuids AS SELECT g AS n, gen_random_uuid() AS u FROM generate_series(1, 500) g"
        )
        conn.exec_driver_sql("UPDATE uuids SET u = NULL WHERE n %% 10 = 0")
        expected = {n: (str(u) if u else None) for n, u in conn.exec_driver_sql("SELECT n, u FROM uuids")}
    table = sql.read(postgres_url, "uuids", batch_size=64)
    got = dict(zip(table.column("n").to_pylist(), table.column("u").to_pylist(), strict=True))
    assert got == expected


def test_batches_are_bounded(postgres_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE many AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 25000) g"
        )
    sizes = [b.num_rows for b in sql.read_batches(postgres_url, "many", batch_size=1000)]
    assert sizes == [1000] * 25
    table = sql.read(postgres_url, "many", batch_size=7000)
    assert sorted(table.column("id").to_pylist()) == list(range(1, 25001))


def test_missing_table_and_column(postgres_url: str, typed: str) -> None:
    with pytest.raises(DatabaseError, match="table 'no_such' does not exist"):
        sql.read(postgres_url, "no_such")
    with pytest.raises(DatabaseError, match="has no column 'nope'"):
        sql.read(postgres_url, "typed", columns=["nope"])
    with pytest.raises(DatabaseError, match="no_such_either"):
        sql.read(postgres_url, sa.text("SELECT * FROM no_such_either"))


def test_injection_through_names_is_quoted(postgres_url: str, engine: sa.Engine) -> None:
    meta = sa.MetaData()
    weird = sa.Table(
        WEIRD, meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column(WEIRD_COLUMN, sa.Text)
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE x (a integer)")
        conn.execute(weird.insert(), [{"id": i, WEIRD_COLUMN: f"v{i}"} for i in range(1, 6)])
    table = sql.read(postgres_url, WEIRD, columns=[WEIRD_COLUMN], cursor="id", since=4)
    assert table.to_pylist() == [{WEIRD_COLUMN: "v4"}, {WEIRD_COLUMN: "v5"}]
    with pytest.raises(DatabaseError, match="does not exist"):
        sql.read(postgres_url, 'x"; DROP TABLE x; --')
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM x").scalar_one() == 0  # still there


def test_schema_qualified_table(postgres_url: str, engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA shop")
        conn.exec_driver_sql("CREATE TABLE shop.items (id int PRIMARY KEY, sku text)")
        conn.exec_driver_sql("INSERT INTO shop.items VALUES (1, 'a'), (2, 'b')")
    table = sql.read(postgres_url, sa.table("items", schema="shop"), cursor="id", since=2)
    assert table.to_pylist() == [{"id": 2, "sku": "b"}]


def _events(engine: sa.Engine, name: str, count: int) -> None:
    base = dt.datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{name}" (id int PRIMARY KEY, updated_at timestamptz NOT NULL)')
        conn.execute(
            sa.text(f'INSERT INTO "{name}" VALUES (:id, :at)'),
            [{"id": i, "at": base + dt.timedelta(hours=i // 4)} for i in range(1, count + 1)],
        )


def test_rows_inserted_during_a_read(postgres_url: str, engine: sa.Engine) -> None:
    _events(engine, "live", 30)
    state = MemoryState()
    iterator = sql.read_batches(postgres_url, "live", cursor="updated_at", batch_size=10, state=state)
    first = next(iterator)
    mark = sql.Watermark(first.column("updated_at")[-1].as_py(), first.column("id")[-1].as_py())
    assert mark.key == 10
    with engine.begin() as conn:
        insert = sa.text("INSERT INTO live VALUES (:id, :at)")
        conn.execute(insert, {"id": 100, "at": dt.datetime(2030, 1, 1, tzinfo=UTC)})  # ahead: read
        conn.execute(insert, {"id": 11_000, "at": mark.cursor})  # same cursor, larger key: read
        conn.execute(insert, {"id": 5_000, "at": dt.datetime(2000, 1, 1, tzinfo=UTC)})  # behind: not
    rest = [i for batch in iterator for i in batch.column("id").to_pylist()]
    ids = first.column("id").to_pylist() + rest
    assert len(ids) == len(set(ids))
    assert set(ids) == set(range(1, 31)) | {100, 11_000}
    assert ids[-1] == 100


def test_connection_dropped_mid_read(postgres_url: str, engine: sa.Engine) -> None:
    _events(engine, "dropped", 40)
    secret_url = sa.make_url(postgres_url).set(password="sekrit-pw").render_as_string(hide_password=False)
    state = MemoryState()
    iterator = sql.read_batches(secret_url, "dropped", cursor="updated_at", batch_size=10, state=state)
    first = next(iterator)
    with engine.connect() as conn:
        killed = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar_one()
    assert killed >= 1
    with pytest.raises(DatabaseError, match=r"reading table 'dropped' from .*failed") as info:
        next(iterator)
    assert "sekrit-pw" not in str(info.value)
    assert "***" in str(info.value)
    assert stored(state)["key"] == first.column("id")[-1].as_py() == 10  # advanced past batch 1 only
    rest = sql.read(secret_url, "dropped", cursor="updated_at", batch_size=10, state=state)
    ids = first.column("id").to_pylist() + rest.column("id").to_pylist()
    assert ids == sorted(ids)
    assert ids == list(range(1, 41))
