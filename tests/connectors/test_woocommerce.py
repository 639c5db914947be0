"""WooCommerce source against a contract server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from rest_servers import Fault, WooServer

from ecomkit import schema
from ecomkit.connectors.woocommerce import WooCommerce
from ecomkit.errors import HTTPStatusError
from ecomkit.resilience import Policy, Retry

N = 230
T0 = dt.datetime(2025, 1, 1)


def _gmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def server() -> Iterator[WooServer]:
    orders = [
        {
            "id": 100 + i,
            "status": "completed",
            "currency": "EUR",
            "customer_id": i % 5,
            "date_created_gmt": _gmt(T0),
            "date_paid_gmt": None,
            "date_completed_gmt": None,
            "date_modified_gmt": _gmt(T0 + dt.timedelta(seconds=i // 4)),
            "total": f"{i}.50",
            "line_items": [{"id": 1, "product_id": 9, "quantity": 2, "price": 1.25}],
        }
        for i in range(N)
    ]
    srv = WooServer(orders)
    yield srv
    srv.close()


def _woo(server: WooServer, tmp_path: Path | None = None) -> WooCommerce:
    return WooCommerce(
        server.url,
        WooServer.KEY,
        WooServer.SECRET,
        page_size=50,
        state=tmp_path and tmp_path / "s.json",
        policy=Policy(retry=Retry(attempts=5, initial=0.01, max_wait=0.02)),
    )


def _ids(batches: list[pa.RecordBatch]) -> list[str]:
    return [i for b in batches for i in b.column("order_id").to_pylist()]


def test_all_orders_once_with_items(server: WooServer) -> None:
    pages = list(_woo(server).orders_and_items())
    orders = pa.Table.from_batches([p.orders for p in pages])
    assert orders.schema == schema.ORDERS
    assert sorted(_ids([p.orders for p in pages])) == sorted(str(100 + i) for i in range(N))
    assert sum(p.items.num_rows for p in pages) == N
    assert orders.to_pylist()[0]["customer_id"] is None  # customer 0 is a guest
    assert all(h.query["dates_are_gmt"] == ["true"] for h in server.data_hits())


def test_record_modified_mid_sync_does_not_shift_anything_out(server: WooServer) -> None:
    def touch(hits: int) -> None:
        if hits == 2:
            server.orders[1]["date_modified_gmt"] = _gmt(T0 + dt.timedelta(days=3))

    server.on_page = touch
    got = _ids(list(_woo(server).orders()))
    assert set(got) == {str(100 + i) for i in range(N)}  # nothing skipped by the shift
    assert len(got) == N + 1  # order 101 arrives again in its new version


def test_5xx_and_401(server: WooServer) -> None:
    server.inject(Fault("status", 500), Fault("status", 503))
    assert len(_ids(list(_woo(server).orders()))) == N
    with pytest.raises(HTTPStatusError) as info:
        list(
            WooCommerce(
                server.url, WooServer.KEY, "cs_wrong", policy=Policy(retry=Retry(attempts=3))
            ).orders()
        )
    assert info.value.status_code == 401
    assert "cs_wrong" not in str(info.value)


def test_crash_and_resume_exactly_once(server: WooServer, tmp_path: Path) -> None:
    first = list(itertools.islice(_woo(server, tmp_path).orders(), 3))[:2]
    rest = list(_woo(server, tmp_path).orders())
    got = _ids(first) + _ids(rest)
    assert len(got) == len(set(got)) == N


def _customer(i: int, modified: dt.datetime) -> dict[str, object]:
    return {
        "id": 40 + i,
        "email": f"w{i}@example.com",
        "first_name": "Grace",
        "last_name": "" if i % 3 == 0 else "Hopper",
        "role": "customer",
        "date_created_gmt": _gmt(T0 - dt.timedelta(days=i)),
        "date_modified_gmt": _gmt(modified),
        "billing": {
            "city": "Lyon",
            "state": "ARA",
            "postcode": "69001",
            "country": "FR",
            "email": "b@x",
            "phone": "1",
        },
        "shipping": {"city": "elsewhere"},
    }


def test_customers_page_by_id_and_filter_by_the_watermark_locally(tmp_path: Path) -> None:
    customers = [_customer(i, T0 + dt.timedelta(minutes=i)) for i in range(130)]
    server = WooServer([], customers=customers)
    try:
        table = pa.Table.from_batches(list(_woo(server, tmp_path).customers()))
        assert table.schema == schema.CUSTOMERS
        assert table.column("customer_id").to_pylist() == [str(40 + i) for i in range(130)]
        row = table.to_pylist()[1]
        assert (row["name"], row["city"], row["state"], row["postal_code"], row["country"]) == (
            "Grace Hopper",
            "Lyon",
            "ARA",
            "69001",
            "FR",
        )
        assert table.to_pylist()[0]["name"] == "Grace"
        assert row["created_at"] == dt.datetime(2024, 12, 31, tzinfo=dt.timezone.utc)
        # /customers has no modified_after: ecomkit orders by id and never sends the filter
        assert all(
            h.query["orderby"] == ["id"] and "modified_after" not in h.query for h in server.data_hits()
        )
        customers[5]["date_modified_gmt"] = _gmt(T0 + dt.timedelta(days=9))
        customers.append(_customer(500, T0 + dt.timedelta(days=9)))
        again = pa.Table.from_batches(list(_woo(server, tmp_path).customers()))
        assert again.column("customer_id").to_pylist() == ["45", "540"]
    finally:
        server.close()


def test_products_since_with_categories_and_weight(tmp_path: Path) -> None:
    products = [
        {
            "id": 900 + i,
            "name": f"Tea {i}",
            "price": "" if i == 4 else f"{i}.90",
            "weight": "" if i == 3 else "0.25",
            "date_modified_gmt": _gmt(T0 + dt.timedelta(seconds=i)),
            "categories": [] if i == 2 else [{"id": 1, "name": "Drinks", "slug": "drinks"}, {"name": "Hot"}],
            "images": [{"src": "x"}],
        }
        for i in range(120)
    ]
    server = WooServer([], products=products)
    try:
        table = pa.Table.from_batches(list(_woo(server, tmp_path).products(since=T0)))
        assert table.schema == schema.PRODUCTS
        assert sorted(table.column("product_id").to_pylist()) == sorted(str(900 + i) for i in range(120))
        rows = {r["product_id"]: r for r in table.to_pylist()}
        assert (rows["901"]["price"], rows["901"]["weight_g"], rows["901"]["category"]) == (
            1.9,
            250.0,
            "Drinks",
        )
        assert rows["902"]["category"] is None  # no categories
        assert rows["903"]["weight_g"] is None  # weight not set
        assert rows["904"]["price"] is None  # blank price is unknown, not 0
        assert all(h.query["orderby"] == ["modified"] for h in server.data_hits())
        assert server.data_hits()[0].query["modified_after"] == ["2024-12-31T23:59:59"]
        assert list(_woo(server, tmp_path).products()) == []
    finally:
        server.close()
