"""ecomkit.connectors.files: CSV/Parquet readers and read_olist (on the real Olist sample)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomkit import schema
from ecomkit.connectors import files
from ecomkit.errors import CastError, ConfigError, ConnectorError, MissingColumnError, SourceDataError

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ read_csv


def test_read_csv_keeps_ids_as_text_and_infers_the_rest(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.csv",
        "order_id,customer_zip_code_prefix,customerId,price,qty,paid\n007,04302,0012,1.50,2,1\n010,01001,0099,,3,0\n",
    )
    table = files.read_csv(path)
    assert table.column("order_id").to_pylist() == ["007", "010"]
    assert table.column("customer_zip_code_prefix").to_pylist() == ["04302", "01001"]
    assert table.column("customerId").to_pylist() == ["0012", "0099"]
    assert table.schema.field("price").type == pa.float64()
    assert table.column("price").to_pylist() == [1.5, None]
    assert table.column("qty").to_pylist() == [2, 3]
    assert table.column("paid").to_pylist() == [1, 0]  # "paid" ends in "id" but is no id
    assert all(files._ID_LIKE.search(n) for n in ("ID", "sellerID", "tag_ids", "Postal Code", "ZIP"))
    assert not any(files._ID_LIKE.search(n) for n in ("paid", "valid", "width", "void"))


def test_read_csv_with_a_mapping_name_gives_the_canonical_schema(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "orders.csv",
        "order_id,customer_id,order_date,total,ignored\n"
        "0001,c-01,2024-05-01 10:00:00,19.90,x\n"
        "0002,c-02,2024-05-02T08:00:00+02:00,,y\n",
    )
    table = files.read_csv(path, mapping="generic.orders", ingested_at=T0)
    assert table.schema == schema.ORDERS
    assert table.column("order_id").to_pylist() == ["0001", "0002"]
    assert table.column("purchased_at").to_pylist() == [_utc(2024, 5, 1, 10), _utc(2024, 5, 2, 6)]
    assert table.column("total_amount").to_pylist() == [19.9, None]
    assert table.column("source").to_pylist() == ["csv", "csv"]
    assert table.column("ingested_at").to_pylist() == [T0, T0]


def test_read_csv_with_a_mapping_object_and_delimiter(tmp_path: Path) -> None:
    mapping = schema.Mapping(
        "customers",
        columns={"customer_id": "kunde", "postal_code": "plz"},
        defaults={"country": "DE"},
        source="crm",
        timezone="Europe/Berlin",
    )
    path = _write(tmp_path / "k.csv", "kunde;plz;created_at\n00042;01067;2024-07-01 12:00:00\n")
    table = files.read_csv(path, mapping=mapping, delimiter=";")
    assert table.schema == schema.CUSTOMERS
    row = table.to_pylist()[0]
    assert (row["customer_id"], row["postal_code"], row["country"], row["source"]) == (
        "00042",
        "01067",
        "DE",
        "crm",
    )
    assert row["created_at"] == _utc(2024, 7, 1, 10)  # CEST is UTC+2


def test_read_csv_bad_value_names_the_canonical_source_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", "order_id,customer_id,order_date,total\n1,c,2024-01-01,abc\n")
    with pytest.raises(CastError) as info:
        files.read_csv(path, mapping="generic.orders")
    assert info.value.column == "total"
    assert info.value.value == "abc"
    assert "'total'" in str(info.value)


def test_read_csv_bad_value_with_explicit_types_names_column_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", "id,qty\na,1\nb,two\n")
    with pytest.raises(CastError) as info:
        files.read_csv(path, schema={"qty": pa.int32()})
    assert info.value.column == "qty"
    assert info.value.value == "two"


def test_read_csv_explicit_schema_wins(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", "id,code,qty\n1,0012,3\n")
    table = files.read_csv(path, schema=pa.schema([("id", pa.int64()), ("code", pa.string())]))
    assert table.column("id").to_pylist() == [1]
    assert table.column("code").to_pylist() == ["0012"]


@pytest.mark.parametrize(
    "kwargs",
    [{"schema": {"missing": pa.string()}}, {"columns": ["id", "missing"]}],
)
def test_read_csv_unknown_column_is_named(tmp_path: Path, kwargs: dict[str, object]) -> None:
    path = _write(tmp_path / "o.csv", "id,qty\n1,2\n")
    with pytest.raises(MissingColumnError) as info:
        files.read_csv(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.column == "missing"
    assert "o.csv" in str(info.value)


def test_read_csv_missing_required_canonical_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", "order_id,order_date\n1,2024-01-01\n")
    with pytest.raises(MissingColumnError) as info:
        files.read_csv(path, mapping="generic.orders")
    assert info.value.column == "customer_id"


def test_read_csv_columns_selects(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.csv", "a,b,c\n1,2,3\n")
    assert files.read_csv(path, columns=["c", "a"]).column_names == ["c", "a"]


def test_read_csv_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(ConnectorError, match=r"nope\.csv"):
        files.read_csv(path)
    with pytest.raises(ConnectorError, match=r"nope\.csv"):
        files.read_csv_batches(path)
    with pytest.raises(ConnectorError, match="directory"):
        files.read_csv(tmp_path)


def test_read_csv_malformed_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "a,b\n1,2\n1,2,3\n")
    with pytest.raises(SourceDataError, match=r"bad\.csv"):
        files.read_csv(path)


def test_read_csv_bom_crlf_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfname,english\r\nbeleza_saude,health_beauty\r\n")
    assert files.read_csv(path).to_pylist() == [{"name": "beleza_saude", "english": "health_beauty"}]
    zipped = tmp_path / "t.csv.gz"
    zipped.write_bytes(gzip.compress(b"order_id,x\n0001,2\n"))
    assert files.read_csv(zipped).to_pylist() == [{"order_id": "0001", "x": 2}]
    assert [b.to_pylist() for b in files.read_csv_batches(zipped)] == [[{"order_id": "0001", "x": 2}]]


def test_read_csv_header_only_and_empty_file(tmp_path: Path) -> None:
    header = _write(tmp_path / "h.csv", "order_id,customer_id,order_date\n")
    table = files.read_csv(header, mapping="generic.orders")
    assert table.schema == schema.ORDERS
    assert table.num_rows == 0
    assert list(files.read_csv_batches(header, mapping="generic.orders")) == []
    empty = _write(tmp_path / "e.csv", "")
    with pytest.raises(SourceDataError, match=r"e\.csv"):
        files.read_csv(empty)


def test_read_csv_newlines_in_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", 'id,text\n1,"two\nlines"\n2,plain\n')
    table = files.read_csv(path, newlines_in_values=True)
    assert table.column("text").to_pylist() == ["two\nlines", "plain"]


def _numbers_csv(path: Path, n: int) -> Path:
    lines = ["order_id,line,quantity,price"]
    lines += [f"{i:06d},{i % 7 + 1},1,{i / 4}" for i in range(n)]
    return _write(path, "\n".join(lines) + "\n")


@pytest.mark.parametrize("mapping", [None, "generic.order_items"])
def test_read_csv_batches_are_bounded_and_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapping: str | None
) -> None:
    monkeypatch.setattr(files, "_BLOCK_SIZE", 16 << 10)  # many CSV blocks of 16 KiB
    path = _numbers_csv(tmp_path / "items.csv", 10_000)
    batches = list(files.read_csv_batches(path, mapping=mapping, batch_size=777, ingested_at=T0))
    assert len(batches) >= 13
    assert all(0 < b.num_rows <= 777 for b in batches)
    assert sum(b.num_rows for b in batches) == 10_000
    streamed = pa.Table.from_batches(batches)
    whole = files.read_csv(path, mapping=mapping, ingested_at=T0)
    assert streamed.equals(whole)
    assert streamed.column("order_id")[0].as_py() == "000000"
    if mapping:
        assert streamed.schema == schema.ORDER_ITEMS


def test_read_csv_batches_late_bad_value_is_a_cast_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_BLOCK_SIZE", 1 << 10)
    lines = ["id,price"] + [f"{i},{i}.5" for i in range(500)] + ["500,oops"]
    path = _write(tmp_path / "late.csv", "\n".join(lines) + "\n")
    with pytest.raises(CastError) as info:
        list(files.read_csv_batches(path))
    assert (info.value.column, info.value.value) == ("price", "oops")


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    path = _numbers_csv(tmp_path / "x.csv", 3)
    with pytest.raises(ConfigError, match="batch_size"):
        files.read_csv_batches(path, batch_size=0)
    with pytest.raises(ConfigError, match="batch_size"):
        files.read_parquet_batches(path, batch_size=-1)


def test_unknown_mapping_name_is_a_config_error(tmp_path: Path) -> None:
    path = _numbers_csv(tmp_path / "x.csv", 3)
    with pytest.raises(ConfigError, match=r"no\.such"):
        files.read_csv(path, mapping="no.such")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.text("0123456789abcdef", min_size=1, max_size=12), min_size=1, max_size=300),
    batch_size=st.integers(1, 400),
)
def test_ids_round_trip_exactly_in_any_batching(tmp_path: Path, ids: list[str], batch_size: int) -> None:
    path = _write(tmp_path / "ids.csv", "product_id\n" + "\n".join(ids) + "\n")
    batches = list(files.read_csv_batches(path, batch_size=batch_size))
    assert all(b.num_rows <= batch_size for b in batches)
    assert [v for b in batches for v in b.column(0).to_pylist()] == ids


# -------------------------------------------------------------------------------------- read_parquet


@pytest.fixture
def parquet_orders(tmp_path: Path) -> Path:
    table = pa.table(
        {
            "order_id": pa.array([101, 102, 103], pa.int64()),
            "customer_id": ["c1", "c2", "c1"],
            "order_date": pa.array([dt.datetime(2024, 1, d, 12) for d in (1, 2, 3)], pa.timestamp("ms")),
            "total": [10.0, 20.5, None],
            "extra": ["a", "b", "c"],
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path, row_group_size=2)
    return path


def test_read_parquet_plain_and_columns(parquet_orders: Path) -> None:
    table = files.read_parquet(parquet_orders)
    assert table.column_names == ["order_id", "customer_id", "order_date", "total", "extra"]
    assert files.read_parquet(parquet_orders, columns=["total"]).column("total").to_pylist() == [
        10.0,
        20.5,
        None,
    ]
    with pytest.raises(MissingColumnError) as info:
        files.read_parquet(parquet_orders, columns=["nope"])
    assert info.value.column == "nope"


def test_read_parquet_with_mapping(parquet_orders: Path) -> None:
    table = files.read_parquet(parquet_orders, mapping="generic.orders", source="erp", ingested_at=T0)
    assert table.schema == schema.ORDERS
    assert table.column("order_id").to_pylist() == ["101", "102", "103"]  # integer ids become text
    assert table.column("purchased_at").to_pylist() == [_utc(2024, 1, d, 12) for d in (1, 2, 3)]
    assert table.column("total_amount").to_pylist() == [10.0, 20.5, None]
    assert set(table.column("source").to_pylist()) == {"erp"}


def test_read_parquet_batches_bounded(parquet_orders: Path, tmp_path: Path) -> None:
    batches = list(files.read_parquet_batches(parquet_orders, mapping="generic.orders", batch_size=2))
    assert [b.num_rows for b in batches] == [2, 1]
    assert len({b.column("ingested_at")[0].as_py() for b in batches}) == 1  # one ingested_at per read
    big = tmp_path / "big.parquet"
    pq.write_table(pa.table({"x": list(range(10_000))}), big)
    sizes = [b.num_rows for b in files.read_parquet_batches(big, batch_size=999)]
    assert max(sizes) <= 999
    assert sum(sizes) == 10_000


def test_read_parquet_bad_value_and_missing_required(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"order_id": ["1", "2"], "customer_id": ["a", "b"], "order_date": ["2024-01-01", "soon"]}),
        path,
    )
    with pytest.raises(CastError) as info:
        files.read_parquet(path, mapping="generic.orders")
    assert (info.value.column, info.value.value) == ("order_date", "soon")
    no_customer = tmp_path / "nc.parquet"
    pq.write_table(pa.table({"order_id": ["1"], "order_date": ["2024-01-01"]}), no_customer)
    with pytest.raises(MissingColumnError) as missing:
        files.read_parquet(no_customer, mapping="generic.orders")
    assert missing.value.column == "customer_id"


def test_read_parquet_missing_or_not_parquet(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match=r"gone\.parquet"):
        files.read_parquet(tmp_path / "gone.parquet")
    fake = _write(tmp_path / "fake.parquet", "not parquet at all")
    with pytest.raises(ConnectorError, match=r"fake\.parquet"):
        files.read_parquet(fake)
    with pytest.raises(ConnectorError, match=r"fake\.parquet"):
        list(files.read_parquet_batches(fake))


# ---------------------------------------------------------------------------- read_olist: real sample


def _csv_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def olist(olist_folder: Path) -> dict[str, pa.Table]:
    return files.read_olist(olist_folder, ingested_at=T0)


def test_olist_row_counts(olist: dict[str, pa.Table], olist_folder: Path) -> None:
    assert olist["orders"].num_rows == 3_000
    assert olist["order_items"].num_rows == 3_397
    assert olist["payments"].num_rows == 3_170
    assert olist["reviews"].num_rows == 2_993
    assert olist["sellers"].num_rows == 3_095
    assert olist["products"].num_rows == 32_951
    persons = {row["customer_unique_id"] for row in _csv_rows(olist_folder, "olist_customers_dataset.csv")}
    assert olist["customers"].num_rows == len(persons)
    assert set(olist["customers"].column("customer_id").to_pylist()) == persons


def test_olist_schemas_are_canonical(olist: dict[str, pa.Table]) -> None:
    for name in ("orders", "order_items", "customers", "payments", "products"):
        assert olist[name].schema == schema.SCHEMAS[name], name
    assert olist["reviews"].schema == files.OLIST_REVIEWS
    assert olist["sellers"].schema == files.OLIST_SELLERS
    for name, table in olist.items():
        assert set(table.column("source").to_pylist()) == {"olist"}, name
        assert set(table.column("ingested_at").to_pylist()) == {T0}, name


def test_olist_orders_belong_to_persons(olist: dict[str, pa.Table], olist_folder: Path) -> None:
    person_of = {
        row["customer_id"]: row["customer_unique_id"]
        for row in _csv_rows(olist_folder, "olist_customers_dataset.csv")
    }
    expected = {
        row["order_id"]: (person_of[row["customer_id"]], row["customer_id"])
        for row in _csv_rows(olist_folder, "olist_orders_dataset.csv")
    }
    orders = olist["orders"]
    got = dict(
        zip(
            orders.column("order_id").to_pylist(),
            zip(orders.column("customer_id").to_pylist(), orders.column("source_customer_id").to_pylist()),
        )
    )
    assert got == expected
    assert set(orders.column("customer_id").to_pylist()) <= set(
        olist["customers"].column("customer_id").to_pylist()
    )
    assert orders.column("total_amount").null_count == 3_000  # Olist has no order total
    assert set(orders.column("currency").to_pylist()) == {"BRL"}


def test_olist_customers_keep_zip_leading_zeros(olist: dict[str, pa.Table]) -> None:
    customers = olist["customers"]
    row = customers.filter(pc.equal(customers["customer_id"], "d7863a2b6a0ef60e48cdee8437c4c197")).to_pylist()
    assert len(row) == 1
    assert (row[0]["postal_code"], row[0]["city"], row[0]["state"], row[0]["country"]) == (
        "04302",
        "sao paulo",
        "SP",
        "BR",
    )


def test_olist_items_are_units_with_sequence_numbers(olist: dict[str, pa.Table], olist_folder: Path) -> None:
    items = olist["order_items"]
    assert set(items.column("quantity").to_pylist()) == {1}
    lines: dict[str, list[int]] = defaultdict(list)
    for order_id, line in zip(items.column("order_id").to_pylist(), items.column("line_number").to_pylist()):
        lines[order_id].append(line)
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in lines.values())
    per_order = Counter(row["order_id"] for row in _csv_rows(olist_folder, "olist_order_items_dataset.csv"))
    assert {k: len(v) for k, v in lines.items()} == dict(per_order)
    assert max(per_order.values()) > 1  # the sample does have multi-unit orders
    orders = set(olist["orders"].column("order_id").to_pylist())
    assert len(orders - set(lines)) == 24


def test_olist_payments(olist: dict[str, pa.Table], olist_folder: Path) -> None:
    payments = olist["payments"]
    ids = payments.column("payment_id").to_pylist()
    assert len(set(ids)) == len(ids) == 3_170
    expected = {
        f"{r['order_id']}-{r['payment_sequential']}": float(r["payment_value"])
        for r in _csv_rows(olist_folder, "olist_order_payments_dataset.csv")
    }
    assert dict(zip(ids, payments.column("amount").to_pylist())) == expected


def test_olist_timestamps_are_utc(olist: dict[str, pa.Table]) -> None:
    orders = olist["orders"]

    def order(order_id: str) -> dict[str, object]:
        return orders.filter(pc.equal(orders["order_id"], order_id)).to_pylist()[0]

    # CSV: 2018-08-15 11:30:33 (São Paulo, UTC-3) ... estimated 2018-08-27 00:00:00
    winter = order("2c810e97c1d3956172e1830863e6a133")
    assert winter["purchased_at"] == _utc(2018, 8, 15, 14, 30, 33)
    assert winter["delivered_at"] == _utc(2018, 8, 20, 18, 15, 42)
    assert winter["estimated_delivery_at"] == _utc(2018, 8, 27, 3)
    # CSV: 2018-01-19 12:24:00, in Brazilian summer time (UTC-2)
    assert order("5f0f8a9ceb96ceb90d49907d4c14ac7e")["purchased_at"] == _utc(2018, 1, 19, 14, 24)


def test_olist_products_get_english_categories(olist: dict[str, pa.Table]) -> None:
    products = olist["products"]
    category = dict(zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()))
    assert category["1e9e8ef04dbcff4541ed26657ea517e5"] == "perfumery"  # perfumaria
    assert category["0105b5323d24fc655f73052694dbbb3a"] == "pc_gamer"  # no translation: Portuguese kept
    assert category["a41e356c76fab66334f36de622ecbd3a"] is None  # no category at all


def test_olist_reviews_keep_multiline_comments(olist: dict[str, pa.Table], olist_folder: Path) -> None:
    rows = _csv_rows(olist_folder, "olist_order_reviews_dataset.csv")
    reviews = olist["reviews"]
    assert reviews.column("comment_message").to_pylist() == [
        r["review_comment_message"] or None for r in rows
    ]
    assert reviews.column("score").to_pylist() == [int(r["review_score"]) for r in rows]
    first = reviews.slice(0, 1).to_pylist()[0]
    assert first["created_at"] == _utc(2018, 7, 25, 3)  # 2018-07-25 00:00:00 São Paulo
    assert first["answered_at"] == _utc(2018, 7, 26, 0, 37, 22)  # 2018-07-25 21:37:22


# ------------------------------------------------------------------------ read_olist: tiny folders

_TINY = {
    "olist_orders_dataset.csv": (
        "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
        "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
        "o1,c1,delivered,2017-01-05 10:00:00,,,,2017-10-15 00:00:00\n"
        "o2,c2,delivered,2017-03-01 09:00:00,,,,\n"
        "o3,c3,shipped,2016-12-01 08:00:00,,,,\n"
        "o4,c9,created,2017-02-01 08:00:00,,,,\n"
    ),
    "olist_customers_dataset.csv": (
        "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
        "c1,p1,01001,old town,SP\n"
        "c2,p1,02002,new town,RJ\n"
        "c3,p2,03003,third,MG\n"
    ),
    "olist_order_items_dataset.csv": (
        "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
        "o1,1,x1,s1,2017-01-10 10:00:00,10.00,1.00\n"
        "o1,2,x1,s1,2017-01-10 10:00:00,10.00,1.00\n"
    ),
    "olist_order_payments_dataset.csv": (
        "order_id,payment_sequential,payment_type,payment_installments,payment_value\n"
        "o1,1,credit_card,2,15.00\no1,2,voucher,1,7.00\n"
    ),
    "olist_order_reviews_dataset.csv": (
        "review_id,order_id,review_score,review_comment_title,review_comment_message,"
        "review_creation_date,review_answer_timestamp\n"
        "r1,o1,4,,,2017-01-20 00:00:00,2017-01-21 10:00:00\n"
    ),
    "olist_products_dataset.csv": (
        "product_id,product_category_name,product_name_lenght,product_description_lenght,"
        "product_photos_qty,product_weight_g,product_length_cm,product_height_cm,product_width_cm\n"
        "x1,beleza_saude,1,1,1,100,10,10,10\n"
    ),
    "olist_sellers_dataset.csv": "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,09999,x,SP\n",
    "product_category_name_translation.csv": "product_category_name,product_category_name_english\n"
    "beleza_saude,health_beauty\n",
}


def _tiny(folder: Path, **overrides: str | None) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in _TINY.items():
        content = overrides.get(name.removesuffix(".csv"), text)
        if content is not None:
            _write(folder / name, content)
    return folder


def test_olist_customer_row_is_from_the_latest_order(tmp_path: Path) -> None:
    tables = files.read_olist(_tiny(tmp_path / "o"), ingested_at=T0)
    customers = {row["customer_id"]: row for row in tables["customers"].to_pylist()}
    assert set(customers) == {"p1", "p2"}
    assert (customers["p1"]["city"], customers["p1"]["postal_code"]) == ("new town", "02002")  # o2 is later
    orders = {row["order_id"]: row for row in tables["orders"].to_pylist()}
    assert (orders["o1"]["customer_id"], orders["o2"]["customer_id"]) == ("p1", "p1")
    assert orders["o4"]["customer_id"] is None  # its customer_id is not in the customers file
    assert orders["o4"]["source_customer_id"] == "c9"
    # 2017-10-15 00:00 never happened in São Paulo (DST began at midnight): the transition instant
    assert orders["o1"]["estimated_delivery_at"] == _utc(2017, 10, 15, 3)
    assert [p["payment_id"] for p in tables["payments"].to_pylist()] == ["o1-1", "o1-2"]
    assert tables["products"].column("category").to_pylist() == ["health_beauty"]
    assert tables["sellers"].column("postal_code").to_pylist() == ["09999"]


def test_olist_missing_files_are_named(tmp_path: Path) -> None:
    folder = _tiny(tmp_path / "o", olist_order_payments_dataset=None, product_category_name_translation=None)
    with pytest.raises(ConnectorError) as info:
        files.read_olist(folder)
    assert "olist_order_payments_dataset.csv" in str(info.value)
    assert "product_category_name_translation.csv" in str(info.value)
    with pytest.raises(ConnectorError, match="nowhere"):
        files.read_olist(tmp_path / "nowhere")


def test_olist_missing_column_and_bad_value(tmp_path: Path) -> None:
    no_status = _TINY["olist_orders_dataset.csv"].replace("order_status", "state")
    with pytest.raises(MissingColumnError) as info:
        files.read_olist(_tiny(tmp_path / "a", olist_orders_dataset=no_status))
    assert info.value.column == "order_status"
    assert "olist_orders_dataset.csv" in str(info.value)
    bad_seq = _TINY["olist_order_payments_dataset.csv"].replace("o1,2,voucher", "o1,two,voucher")
    with pytest.raises(CastError) as cast:
        files.read_olist(_tiny(tmp_path / "b", olist_order_payments_dataset=bad_seq))
    assert (cast.value.column, cast.value.value) == ("payment_sequential", "two")
