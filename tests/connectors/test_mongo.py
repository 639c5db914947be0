"""ecomkit.connectors.mongo against a MongoDB wire-protocol server (SecantusDB, or ECOMKIT_TEST_MONGO_URL)."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from bson import Binary, ObjectId
from bson.decimal128 import Decimal128
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from ecomkit.connectors import mongo
from ecomkit.connectors.progress import Progress
from ecomkit.connectors.state import MemoryState
from ecomkit.errors import ConfigError, DatabaseError, SourceDataError

pytestmark = pytest.mark.mongo

DB = "ecomkit_test"
UTC = dt.timezone.utc
BASE = dt.datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(mongo_url: str) -> Iterator[MongoClient[dict[str, Any]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    client.drop_database(DB)
    yield client
    client.drop_database(DB)
    client.close()


@pytest.fixture(scope="module")
def orders(client: MongoClient[dict[str, Any]]) -> list[dict[str, Any]]:
    ref = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    docs = [
        {
            "_id": ObjectId(f"{i:024x}"),
            "number": i,
            "total": Decimal128(f"{i}.{i:02d}"),
            "placed_at": dt.datetime(2025, 1, 1, 10, i),  # BSON dates are UTC
            "paid": i % 2 == 0,
            "customer": {"name": f"c{i}", "address": {"city": "Lyon" if i % 3 else None}},
            "tags": ["a", "b"][: i % 3],
            "items": [{"sku": f"s{i}", "qty": i}],
            "ref": Binary(ref.bytes, 4),
            "blob": b"\x00\x01",
            "note": None if i % 4 else "n",
        }
        for i in range(1, 21)
    ]
    client[DB]["orders"].insert_many(docs)
    return docs


def test_types_are_inferred_and_converted(mongo_url: str, orders: list[dict[str, Any]]) -> None:
    table = mongo.read(mongo_url, DB, "orders")
    assert table.schema.names[0] == "_id"
    types = {f.name: f.type for f in table.schema}
    assert types["_id"] == pa.string()
    assert types["number"] == pa.int64()
    assert types["total"] == pa.decimal128(38, 2)
    assert types["placed_at"] == pa.timestamp("us", tz="UTC")
    assert types["paid"] == pa.bool_()
    assert types["customer"] == pa.struct(
        [("name", pa.string()), ("address", pa.struct([("city", pa.string())]))]
    )
    assert types["tags"] == pa.list_(pa.string())
    assert types["items"] == pa.list_(pa.struct([("sku", pa.string()), ("qty", pa.int64())]))
    assert types["ref"] == pa.string()
    assert types["blob"] == pa.binary()
    assert types["note"] == pa.string()
    rows = {r["number"]: r for r in table.to_pylist()}
    three = rows[3]
    assert three["_id"] == f"{3:024x}"
    assert three["total"] == decimal.Decimal("3.03")
    assert three["placed_at"] == dt.datetime(2025, 1, 1, 10, 3, tzinfo=UTC)
    assert three["customer"] == {"name": "c3", "address": {"city": None}}
    assert three["tags"] == []
    assert three["items"] == [{"sku": "s3", "qty": 3}]
    assert three["ref"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert three["blob"] == b"\x00\x01"
    assert rows[4]["note"] == "n"
    assert rows[5]["note"] is None
    assert table.num_rows == 20


def test_flatten_gives_dotted_columns(mongo_url: str, orders: list[dict[str, Any]]) -> None:
    table = mongo.read(mongo_url, DB, "orders", projection=["number", "customer"], flatten=True)
    assert table.column_names == ["_id", "number", "customer.name", "customer.address.city"]
    first = table.sort_by("number").slice(0, 1).to_pylist()[0]
    assert first["customer.name"] == "c1"
    assert first["customer.address.city"] == "Lyon"


def test_filter_projection_and_bounded_batches(mongo_url: str, orders: list[dict[str, Any]]) -> None:
    batches = list(
        mongo.read_batches(
            mongo_url, DB, "orders", filter={"paid": True}, projection={"number": 1}, batch_size=4
        )
    )
    assert [b.num_rows for b in batches] == [4, 4, 2]
    numbers = sorted(n for b in batches for n in b.column("number").to_pylist())
    assert numbers == list(range(2, 21, 2))
    assert batches[0].schema.names == ["_id", "number"]


def test_explicit_schema_wins_and_is_the_projection(mongo_url: str, orders: list[dict[str, Any]]) -> None:
    schema = pa.schema([("number", pa.float64()), ("customer", pa.struct([("name", pa.string())]))])
    table = mongo.read(mongo_url, DB, "orders", schema=schema)
    assert table.schema == schema
    assert sorted(table.column("number").to_pylist())[:2] == [1.0, 2.0]


def test_a_document_that_does_not_fit_names_field_and_id(
    mongo_url: str, client: MongoClient[dict[str, Any]]
) -> None:
    client[DB]["misfit"].insert_many(
        [{"_id": 1, "qty": 1, "line": {"sku": "a"}}, {"_id": 2, "qty": "three", "line": {"sku": "b"}}]
    )
    schema = pa.schema([("_id", pa.int64()), ("qty", pa.int64())])
    with pytest.raises(SourceDataError, match=r"document _id=2: field 'qty' = 'three' does not fit .*int64"):
        mongo.read(mongo_url, DB, "misfit", schema=schema)
    nested = pa.schema([("_id", pa.int64()), ("line", pa.struct([("sku", pa.int32())]))])
    with pytest.raises(SourceDataError, match=r"document _id=1: field 'line\.sku'"):
        mongo.read(mongo_url, DB, "misfit", schema=nested)
    with pytest.raises(SourceDataError, match="field 'qty' has values of different types"):
        mongo.read(mongo_url, DB, "misfit")


def test_a_field_the_sample_did_not_see_is_an_error(
    mongo_url: str, client: MongoClient[dict[str, Any]]
) -> None:
    docs: list[dict[str, Any]] = [{"_id": i, "a": i, "sub": {"x": i}} for i in range(10)]
    docs[7]["late"] = "surprise"
    docs[9]["sub"]["y"] = 1
    client[DB]["drift"].insert_many(docs)
    with pytest.raises(SourceDataError, match=r"document _id=7: field 'late' is not in the schema inferred"):
        mongo.read(mongo_url, DB, "drift", sample_size=5)
    client[DB]["drift"].update_one({"_id": 7}, {"$unset": {"late": ""}})
    with pytest.raises(SourceDataError, match=r"document _id=9: field 'sub\.y'"):
        mongo.read(mongo_url, DB, "drift", sample_size=5)
    assert mongo.read(mongo_url, DB, "drift").num_rows == 10  # a sample of every document sees it


def test_infer_schema(mongo_url: str, orders: list[dict[str, Any]]) -> None:
    schema = mongo.infer_schema(mongo_url, DB, "orders", projection=["number", "placed_at"])
    assert schema == pa.schema(
        [("_id", pa.string()), ("number", pa.int64()), ("placed_at", pa.timestamp("us", tz="UTC"))]
    )


def test_missing_collection(mongo_url: str, client: MongoClient[dict[str, Any]]) -> None:
    with pytest.raises(DatabaseError, match=r"collection ecomkit_test\.nope does not exist"):
        mongo.read(mongo_url, DB, "nope")


def test_a_given_client_stays_open(client: MongoClient[dict[str, Any]], orders: list[dict[str, Any]]) -> None:
    reports: list[Progress] = []
    table = mongo.read(client, DB, "orders", projection=["number"], batch_size=8, progress=reports.append)
    assert table.num_rows == 20
    assert [(p.rows, p.batches) for p in reports] == [(8, 1), (16, 2), (20, 3)]
    assert client[DB]["orders"].count_documents({}) == 20  # still usable


def test_arguments_are_checked(mongo_url: str) -> None:
    with pytest.raises(ConfigError, match="cursor_field"):
        mongo.read_batches(mongo_url, DB, "orders", since=1)
    with pytest.raises(ConfigError, match="drops cursor_field='updated_at'"):
        mongo.read_batches(mongo_url, DB, "orders", cursor_field="updated_at", projection=["number"])
    with pytest.raises(ConfigError, match="needs _id"):
        mongo.read_batches(mongo_url, DB, "orders", cursor_field="updated_at", projection={"_id": 0})
    with pytest.raises(ConfigError, match="batch_size"):
        mongo.read_batches(mongo_url, DB, "orders", batch_size=0)


def test_uri_passwords_are_redacted() -> None:
    assert mongo._redact("mongodb://shop:s3cret@db:27017/x") == "mongodb://shop:***@db:27017/x"
    assert mongo._redact("mongodb+srv://shop:s3cret@cluster/x") == "mongodb+srv://shop:***@cluster/x"


def test_since_is_inclusive_and_watermark_exclusive(
    mongo_url: str, client: MongoClient[dict[str, Any]]
) -> None:
    ids = [ObjectId() for _ in range(6)]
    client[DB]["events"].insert_many(
        [{"_id": oid, "updated_at": BASE + dt.timedelta(minutes=i // 2), "n": i} for i, oid in enumerate(ids)]
    )
    since = BASE + dt.timedelta(minutes=1)
    table = mongo.read(mongo_url, DB, "events", cursor_field="updated_at", since=since)
    assert table.column("n").to_pylist() == [2, 3, 4, 5]
    after = mongo.read(
        mongo_url, DB, "events", cursor_field="updated_at", since=mongo.Watermark(since, ids[2])
    )
    assert after.column("n").to_pylist() == [3, 4, 5]
    state = MemoryState()
    first = next(
        mongo.read_batches(mongo_url, DB, "events", cursor_field="updated_at", batch_size=3, state=state)
    )
    assert first.column("n").to_pylist() == [0, 1, 2]
    assert state.keys() == []  # not confirmed: the consumer never came back


def _fill(
    client: MongoClient[dict[str, Any]], name: str, cursors: list[int]
) -> list[tuple[dt.datetime, str]]:
    coll = client[DB][name]
    coll.drop()
    docs = [{"_id": ObjectId(), "updated_at": BASE + dt.timedelta(minutes=c)} for c in cursors]
    docs.reverse()  # insertion order is not the read order
    if docs:
        coll.insert_many(docs)
    else:
        client[DB].create_collection(name)
    return sorted((d["updated_at"], str(d["_id"])) for d in docs)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cursors=st.lists(st.integers(0, 3), max_size=30),
    batch_size=st.integers(1, 6),
    stops=st.lists(st.integers(1, 3), max_size=3),
)
def test_incremental_every_document_exactly_once(
    mongo_url: str, client: MongoClient[dict[str, Any]], cursors: list[int], batch_size: int, stops: list[int]
) -> None:
    expected = _fill(client, "ties", cursors)
    state = MemoryState()
    confirmed: list[str] = []
    for stop in stops:
        iterator = mongo.read_batches(
            mongo_url, DB, "ties", cursor_field="updated_at", batch_size=batch_size, state=state
        )
        taken = list(itertools.islice(iterator, stop))
        assert all(1 <= b.num_rows <= batch_size for b in taken)
        finished = len(taken) < stop
        iterator.close()
        for batch in taken if finished else taken[:-1]:
            confirmed += batch.column("_id").to_pylist()
    rest = mongo.read(mongo_url, DB, "ties", cursor_field="updated_at", batch_size=batch_size, state=state)
    if rest.num_rows:
        confirmed += rest.column("_id").to_pylist()
    assert confirmed == [oid for _, oid in expected]
