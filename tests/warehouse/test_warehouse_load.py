"""load(): real PostgreSQL, SQLite and DuckDB; every mode, types, atomicity, idempotency, hostile names."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomkit import schema
from ecomkit.errors import ConfigError, LoadError, MissingColumnError
from ecomkit.warehouse import LoadResult, load

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


def batch(ids: list[int], *, label: str = "v", amount: float = 1.5) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "label": [f"{label}{i}" for i in ids],
            "at": pa.array([T0 + dt.timedelta(minutes=i) for i in ids], schema.TIMESTAMP),
            "amount": pa.array([amount * i for i in ids], pa.float64()),
        }
    )


# -- one reader per target: rows as sorted tuples ------------------------------------------------------


def read_pg(engine: sa.Engine, name: str) -> list[tuple[object, ...]]:
    quoted = '"' + name.replace('"', '""') + '"'
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {quoted}").fetchall())


def read_duck(path: str, name: str) -> list[tuple[object, ...]]:
    quoted = '"' + name.replace('"', '""') + '"'
    with duckdb.connect(path) as con:
        return sorted(tuple(r) for r in con.execute(f"SELECT * FROM {quoted}").fetchall())


Target = tuple[object, Callable[[str], list[tuple[object, ...]]]]


@pytest.fixture(params=["postgresql", "duckdb", "sqlite"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """A load target and a function reading a table back."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        engine = sa.create_engine(url)
        return url, lambda name: read_pg(engine, name)
    if request.param == "duckdb":
        path = str(tmp_path / "w.duckdb")
        return path, lambda name: read_duck(path, name)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = sa.create_engine(url)
    return url, lambda name: read_pg(engine, name)


def ids(rows: list[tuple[object, ...]]) -> list[object]:
    return [r[0] for r in rows]


def test_append_creates_then_appends(target: Target, table_name: str) -> None:
    where, read = target
    first = load(batch([1, 2, 3]), where, table_name)
    assert isinstance(first, LoadResult)
    assert (first.rows, first.inserted, first.updated, first.created, first.mode) == (3, 3, 0, True, "append")
    second = load(batch([4, 5]), where, table_name)
    assert (second.inserted, second.created) == (2, False)
    assert ids(read(table_name)) == [1, 2, 3, 4, 5]


def test_replace_swaps_the_rows(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1, 2, 3]), where, table_name)
    result = load(batch([7, 8]), where, table_name, mode="replace")
    assert (result.inserted, result.mode) == (2, "replace")
    assert ids(read(table_name)) == [7, 8]


def test_upsert_inserts_and_updates_by_key(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1, 2, 3]), where, table_name, mode="upsert", key="id")
    result = load(batch([3, 4], label="new"), where, table_name, mode="upsert", key="id")
    assert (result.inserted, result.updated) == (1, 1)
    rows = read(table_name)
    assert [r[:2] for r in rows] == [(1, "v1"), (2, "v2"), (3, "new3"), (4, "new4")]


def test_upsert_later_duplicates_in_a_batch_win(target: Target, table_name: str) -> None:
    where, read = target
    data = pa.table({"id": [1, 1, 2], "label": ["first", "last", "only"]})
    result = load(data, where, table_name, mode="upsert", key="id")
    assert result.inserted == 2
    assert read(table_name) == [(1, "last"), (2, "only")]


def test_upsert_into_an_existing_table_without_unique_index(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1, 2]), where, table_name)  # created without a key: no unique index
    result = load(batch([2, 3], label="u"), where, table_name, mode="upsert", key="id")
    assert (result.inserted, result.updated) == (1, 1)
    assert [r[:2] for r in read(table_name)] == [(1, "v1"), (2, "u2"), (3, "u3")]


def test_streamed_batches(target: Target, table_name: str) -> None:
    where, read = target
    batches = (b for t in (batch([1, 2]), batch([3]), batch([4, 5, 6])) for b in t.to_batches())
    result = load(batches, where, table_name)
    assert (result.rows, result.inserted) == (6, 6)
    assert ids(read(table_name)) == [1, 2, 3, 4, 5, 6]


def test_atomic_when_the_last_batch_violates_a_constraint(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1, 2]), where, table_name, mode="upsert", key="id")  # id is the primary key
    before = read(table_name)

    def batches() -> Iterator[pa.RecordBatch]:
        yield from batch([10, 11]).to_batches()
        yield from batch([12, 1]).to_batches()  # 1 exists: a primary-key violation on append

    with pytest.raises(LoadError, match=table_name):
        load(batches(), where, table_name)
    assert read(table_name) == before


def test_atomic_when_the_source_breaks_mid_stream(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1]), where, table_name)
    before = read(table_name)

    def batches() -> Iterator[pa.RecordBatch]:
        yield from batch([2, 3]).to_batches()
        raise ConnectionError("the source went away")

    with pytest.raises(LoadError):
        load(batches(), where, table_name, mode="replace")
    assert read(table_name) == before


def test_null_keys_fail_the_whole_load(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1]), where, table_name, mode="upsert", key="id")
    data = pa.table({"id": pa.array([5, None], pa.int64()), "label": ["a", "b"]})
    with pytest.raises(LoadError, match=r"key column 'id' holds null"):
        load(data, where, table_name, mode="upsert", key="id")
    assert ids(read(table_name)) == [1]


def test_incompatible_column_is_named(target: Target, table_name: str) -> None:
    where, _ = target
    load(batch([1]), where, table_name)
    wrong = pa.table({"id": pa.array([2], pa.int64()), "at": ["not a time"]})
    with pytest.raises(LoadError, match=r"column 'at'"):
        load(wrong, where, table_name)


def test_new_columns_need_add_columns(target: Target, table_name: str) -> None:
    where, read = target
    load(batch([1]), where, table_name)
    wider = batch([2]).append_column("note", pa.array(["hi"]))
    with pytest.raises(LoadError, match=r"column 'note' is not in table"):
        load(wider, where, table_name)
    assert load(wider, where, table_name, add_columns=True).inserted == 1
    assert [r[-1] for r in read(table_name)] == [None, "hi"]


def test_missing_not_null_column_is_named(target: Target, table_name: str) -> None:
    where, _ = target
    load(batch([1]), where, table_name, mode="upsert", key="id")
    with pytest.raises(LoadError, match=r"column 'id'.*NOT NULL"):
        load(pa.table({"label": ["x"]}), where, table_name)


def test_create_false_refuses_a_missing_table(target: Target, table_name: str) -> None:
    where, _ = target
    with pytest.raises(LoadError, match=r"does not exist"):
        load(batch([1]), where, table_name, create=False)


@pytest.mark.parametrize(
    "name", ['we"ird', "with space", "x'); DROP TABLE users; --", 'Robert"); DROP TABLE t;--', "MiXeD"]
)
def test_hostile_identifiers_are_names(target: Target, name: str) -> None:
    where, read = target
    data = pa.table({'c"ol': [1, 2], "it's": ["a", "b"]})
    load(data, where, name, mode="upsert", key='c"ol')
    load(data, where, name, mode="upsert", key='c"ol')
    assert read(name) == [(1, "a"), (2, "b")]


# -- types ---------------------------------------------------------------------------------------------


def every_type() -> pa.Table:
    return pa.table(
        {
            "b": pa.array([True, None], pa.bool_()),
            "i16": pa.array([-3, None], pa.int16()),
            "i32": pa.array([2**31 - 1, None], pa.int32()),
            "i64": pa.array([2**62, None], pa.int64()),
            "f32": pa.array([1.5, None], pa.float32()),
            "money": pa.array([19.9, None], schema.MONEY),
            "dec": pa.array([decimal.Decimal("12345.67"), None], pa.decimal128(12, 2)),
            "s": pa.array(["ação ✓", None]),
            "dict": pa.array(["x", None]).dictionary_encode(),
            "bin": pa.array([b"\x00\xff", None]),
            "d": pa.array([dt.date(2024, 2, 29), None]),
            "ts": pa.array([T0, None], schema.TIMESTAMP),
            "ts_ns": pa.array([T0, None], pa.timestamp("ns", tz="America/Sao_Paulo")),
            "naive": pa.array([T0.replace(tzinfo=None), None], pa.timestamp("us")),
        }
    )


def test_every_type_round_trips_through_postgresql(pg: sa.Engine, postgres_url: str, table_name: str) -> None:
    load(every_type(), postgres_url, table_name)
    with pg.connect() as conn:
        types = dict(
            conn.exec_driver_sql(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %(t)s",
                {"t": table_name},
            ).fetchall()
        )
        row = conn.exec_driver_sql(f'SELECT * FROM "{table_name}" WHERE b').one()
    assert types["money"] == "double precision"
    assert types["ts"] == types["ts_ns"] == "timestamp with time zone"
    assert types["naive"] == "timestamp without time zone"
    assert types["dec"] == "numeric"
    assert types["dict"] == "text"
    assert types["bin"] == "bytea"
    assert tuple(row) == (
        True, -3, 2**31 - 1, 2**62, 1.5, 19.9, decimal.Decimal("12345.67"), "ação ✓", "x", b"\x00\xff",
        dt.date(2024, 2, 29), T0, T0, T0.replace(tzinfo=None),
    )  # fmt: skip


def test_every_type_round_trips_through_duckdb(duckdb_path: str, table_name: str) -> None:
    load(every_type(), duckdb_path, table_name)
    with duckdb.connect(duckdb_path) as con:
        back = con.sql(f'SELECT * FROM "{table_name}"').to_arrow_table()
    assert back.column("ts").to_pylist() == [T0, None]
    assert back.column("ts_ns").to_pylist() == [T0, None]
    assert back.column("dec").to_pylist() == [decimal.Decimal("12345.67"), None]
    assert back.column("s").to_pylist() == ["ação ✓", None]
    assert back.column("bin").to_pylist() == [b"\x00\xff", None]
    assert back.column("money").type == pa.float64()


def test_every_type_round_trips_through_sqlite(sqlite_url: str, table_name: str) -> None:
    load(every_type(), sqlite_url, table_name)
    t = sa.Table(
        table_name,
        sa.MetaData(),
        sa.Column("ts", sa.DateTime()),
        sa.Column("d", sa.Date()),
        sa.Column("money", sa.Float),
    )
    with sa.create_engine(sqlite_url).connect() as conn:
        row = conn.execute(sa.select(t.c.ts, t.c.d, t.c.money).where(t.c.ts.is_not(None))).one()
    assert row == (T0.replace(tzinfo=None), dt.date(2024, 2, 29), 19.9)  # UTC wall time


def test_existing_table_with_other_types_is_loaded_with_casts(
    pg: sa.Engine, postgres_url: str, table_name: str
) -> None:
    with pg.begin() as conn:
        conn.exec_driver_sql(
            f'CREATE TABLE "{table_name}" (id integer PRIMARY KEY, label varchar(20), at timestamptz, amount numeric(10,2))'
        )
    load(batch([1, 2]), postgres_url, table_name, mode="upsert", key="id")
    result = load(batch([2, 3], label="n"), postgres_url, table_name, mode="upsert", key="id")
    assert (result.inserted, result.updated) == (1, 1)
    assert load(batch([4]), postgres_url, table_name).inserted == 1
    assert [r[:2] for r in read_pg(pg, table_name)] == [(1, "v1"), (2, "n2"), (3, "n3"), (4, "v4")]
    assert read_pg(pg, table_name)[0][3] == decimal.Decimal("1.50")


def test_load_into_a_partitioned_table(pg: sa.Engine, postgres_url: str, table_name: str) -> None:
    with pg.begin() as conn:
        conn.exec_driver_sql(
            f'CREATE TABLE "{table_name}" (id bigint, label text, at timestamptz NOT NULL, amount double precision, '
            f"PRIMARY KEY (id, at)) PARTITION BY RANGE (at)"
        )
        conn.exec_driver_sql(f'CREATE TABLE "{table_name}_d" PARTITION OF "{table_name}" DEFAULT')
    load(batch([1, 2]), postgres_url, table_name, mode="upsert", key=["id", "at"])
    result = load(batch([2, 3], label="n"), postgres_url, table_name, mode="upsert", key=["id", "at"])
    assert (result.inserted, result.updated) == (1, 1)


def test_duckdb_connection_target_and_zero_copy_input(table_name: str) -> None:
    con = duckdb.connect()
    data = batch(list(range(1000)))
    assert load(data, con, table_name).inserted == 1000
    assert con.execute(f'SELECT count(*), sum(id) FROM "{table_name}"').fetchone() == (1000, 499500)
    assert load(data, "duckdb:///:memory:", table_name).target == "duckdb"


def test_pyarrow_capsule_inputs(duckdb_path: str, table_name: str) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"id": [1, 2], "label": ["a", "b"]})
    assert load(frame, duckdb_path, table_name).inserted == 2


def test_bad_arguments(duckdb_path: str) -> None:
    with pytest.raises(ConfigError, match=r"mode"):
        load(batch([1]), duckdb_path, "t", mode="merge")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"key="):
        load(batch([1]), duckdb_path, "t", mode="upsert")
    with pytest.raises(MissingColumnError, match=r"sku"):
        load(batch([1]), duckdb_path, "t", mode="upsert", key="sku")
    with pytest.raises(ConfigError, match=r"name"):
        load(batch([1]), duckdb_path, "")
    with pytest.raises(ConfigError, match=r"mysql"):
        load(batch([1]), "mysql://root@127.0.0.1/test", "t")
    with pytest.raises(ConfigError, match=r"schema="):
        load(iter([]), duckdb_path, "t")
    empty = load(iter([]), duckdb_path, "t_empty", schema=batch([1]).schema)
    assert (empty.rows, empty.created) == (0, True)


def test_errors_never_show_passwords(table_name: str) -> None:
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:1/test"
    with pytest.raises(LoadError) as info:
        load(batch([1]), url, table_name)
    assert "s3cret-pw" not in str(info.value)


def test_concurrent_upserts_into_one_table(pg: sa.Engine, postgres_url: str, table_name: str) -> None:
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for round_ in range(3):
                load(
                    batch(list(range(offset, offset + 50)), label=f"r{round_}"),
                    postgres_url,
                    table_name,
                    mode="upsert",
                    key="id",
                )
        except Exception as exc:  # noqa: BLE001  (collected, asserted empty in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(o,)) for o in (0, 25, 50, 75)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = read_pg(pg, table_name)
    assert ids(rows) == list(range(125))
    assert {r[1][:2] for r in rows} == {"r2"}


# -- idempotency (hypothesis) ---------------------------------------------------------------------------

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 30), st.one_of(st.none(), st.text(max_size=8)), st.floats(allow_nan=False, width=32)
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=rows_strategy, second=rows_strategy)
def test_upsert_is_idempotent_and_last_write_wins_duckdb(tmp_path: Path, first: list, second: list) -> None:
    con = duckdb.connect()
    expected: dict[int, tuple[object, ...]] = {}
    for rows in (first, second):
        data = pa.table(
            {"k": pa.array([r[0] for r in rows], pa.int64()), "s": pa.array([r[1] for r in rows], pa.string()),
             "x": pa.array([r[2] for r in rows], pa.float64())}
        )  # fmt: skip
        load(data, con, "h", mode="upsert", key="k")
        once = sorted(con.execute('SELECT * FROM "h"').fetchall())
        load(data, con, "h", mode="upsert", key="k")  # the same batch again changes nothing
        assert sorted(con.execute('SELECT * FROM "h"').fetchall()) == once
        expected.update({r[0]: r for r in rows})
    assert sorted(con.execute('SELECT * FROM "h"').fetchall()) == sorted(expected.values())


# PostgreSQL text cannot hold U+0000 (tested on its own below), so its rows draw text without it.
pg_rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.one_of(st.none(), st.text(st.characters(exclude_characters="\x00"), max_size=8)),
        st.floats(allow_nan=False, width=32),
    ),
    max_size=25,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=pg_rows_strategy)
def test_upsert_is_idempotent_postgresql(postgres_url: str, pg: sa.Engine, rows: list) -> None:
    data = pa.table(
        {"k": pa.array([r[0] for r in rows], pa.int64()), "s": pa.array([r[1] for r in rows], pa.string()),
         "x": pa.array([r[2] for r in rows], pa.float64())}
    )  # fmt: skip
    load(data, postgres_url, "hyp_idem", mode="upsert", key="k")
    once = read_pg(pg, "hyp_idem")
    again = load(data, postgres_url, "hyp_idem", mode="upsert", key="k")
    assert read_pg(pg, "hyp_idem") == once
    assert again.inserted == 0


def test_nul_in_text_is_a_load_error_naming_the_column_and_writes_nothing(
    postgres_url: str, pg: sa.Engine
) -> None:
    load(pa.table({"k": [1], "note": ["fine"]}), postgres_url, "nul_text", mode="upsert", key="k")
    bad = pa.table({"k": [2, 3], "note": ["ok", "bad\x00value"]})
    with pytest.raises(LoadError, match=r"'note'.*NUL"):
        load(bad, postgres_url, "nul_text", mode="upsert", key="k")
    assert read_pg(pg, "nul_text") == [(1, "fine")]
