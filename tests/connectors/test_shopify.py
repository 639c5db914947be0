"""Shopify source against a contract server on 127.0.0.1 (real HTTP, the documented rules enforced)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from rest_servers import Fault, ShopifyServer, iso

from ecomkit import schema
from ecomkit.connectors.shopify import Shopify
from ecomkit.connectors.state import JsonState
from ecomkit.errors import (
    CircuitOpenError,
    HTTPStatusError,
    PaginationError,
    RetryExhaustedError,
)
from ecomkit.resilience import Breaker, Policy, Retry

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
N = 600


def _orders(n: int = N) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        # every 7 orders share an updated_at, so page boundaries cut through equal timestamps
        updated = T0 + dt.timedelta(seconds=i // 7)
        out.append(
            {
                "id": 5_000_000 + i,
                "email": f"c{i}@example.com",
                "customer": {"id": 9_000 + i % 50},
                "created_at": (updated - dt.timedelta(hours=1))
                .astimezone(dt.timezone(dt.timedelta(hours=-4)))
                .isoformat(),
                "processed_at": iso(updated),
                "updated_at": iso(updated),
                "cancelled_at": None if i % 10 else iso(updated),
                "financial_status": "paid",
                "currency": "USD",
                "total_price": f"{i}.{i % 100:02d}",
                "line_items": [
                    {
                        "id": i * 10 + k,
                        "product_id": 700 + k,
                        "quantity": k + 1,
                        "price": "2.50",
                        "vendor": "acme",
                    }
                    for k in range(i % 3 + 1)
                ],
                "refunds": [],
            }
        )
    return out


@pytest.fixture
def server() -> Iterator[ShopifyServer]:
    srv = ShopifyServer(_orders())
    yield srv
    srv.close()


def _fast_policy(**kw: Any) -> Policy:
    return Policy(retry=Retry(attempts=6, initial=0.01, max_wait=0.05, timeout=20), **kw)


def _shop(server: ShopifyServer, tmp_path: Path | None = None, **kw: Any) -> Shopify:
    kw.setdefault("policy", _fast_policy())
    return Shopify(
        server.url, ShopifyServer.TOKEN, page_size=50, state=tmp_path and tmp_path / "state.json", **kw
    )


def _ids(batches: list[pa.RecordBatch]) -> list[str]:
    return [i for b in batches for i in b.column("order_id").to_pylist()]


def test_full_sync_gets_every_order_once_in_canonical_schema(server: ShopifyServer) -> None:
    pages = list(_shop(server).orders_and_items())
    orders = pa.Table.from_batches([p.orders for p in pages])
    items = pa.Table.from_batches([p.items for p in pages])
    assert orders.schema == schema.ORDERS
    assert items.schema == schema.ORDER_ITEMS
    assert sorted(orders.column("order_id").to_pylist()) == sorted(str(5_000_000 + i) for i in range(N))
    assert items.num_rows == sum(i % 3 + 1 for i in range(N))
    row = orders.filter(pa.compute.equal(orders.column("order_id"), "5000011")).to_pylist()[0]
    assert row["total_amount"] == 11.11
    assert row["customer_id"] == "9011"
    assert row["source"] == "shopify"
    # created_at was sent at -04:00; stored in UTC
    assert row["purchased_at"] == T0 + dt.timedelta(seconds=1) - dt.timedelta(hours=1)
    assert (
        orders.filter(pa.compute.equal(orders.column("order_id"), "5000010")).column("status")[0].as_py()
        == "canceled"
    )
    # the documented first request: limit, status=any, order=updated_at asc; then page_info only
    first = server.data_hits()[0].query
    assert first["status"] == ["any"]
    assert first["order"] == ["updated_at asc"]
    assert first["limit"] == ["50"]
    assert all(set(h.query) <= {"limit", "page_info", "fields"} for h in server.data_hits()[1:])


def test_429_waits_for_retry_after_and_loses_nothing(server: ShopifyServer) -> None:
    server.inject(Fault("status", 429, {"Retry-After": "1"}))
    got = _ids(list(_shop(server).orders()))
    assert sorted(got) == sorted(str(5_000_000 + i) for i in range(N))
    first_429 = next(i for i, h in enumerate(server.hits) if h.status == 429)
    assert server.hits[first_429 + 1].at - server.hits[first_429].at >= 1.0


def test_5xx_burst_truncated_body_and_reset_are_retried(server: ShopifyServer) -> None:
    server.inject(Fault("status", 503), Fault("status", 502), Fault("truncated"), Fault("reset"))
    got = _ids(list(_shop(server).orders()))
    assert sorted(got) == sorted(str(5_000_000 + i) for i in range(N))
    assert len(got) == N


def test_401_surfaces_at_once_without_the_token(server: ShopifyServer) -> None:
    shop = Shopify(server.url, "shpat_wrong_token_value", policy=_fast_policy())
    with pytest.raises(HTTPStatusError) as info:
        list(shop.orders())
    assert info.value.status_code == 401
    assert len(server.hits) == 1  # never retried
    assert "shpat_wrong_token_value" not in str(info.value)
    assert "shpat" not in repr(shop)


def test_malformed_page_raises_pagination_error(server: ShopifyServer) -> None:
    shop = _shop(server)
    stream = shop.orders()
    assert next(stream).num_rows == 50
    server.inject(Fault("malformed"))
    with pytest.raises(PaginationError, match="not valid JSON"):
        list(stream)


def test_open_breaker_stops_traffic(server: ShopifyServer) -> None:
    server.inject(*[Fault("status", 503)] * 50)
    shop = _shop(server, policy=_fast_policy(breaker=Breaker(failures=3, reset_after=60)))
    with pytest.raises(CircuitOpenError):
        list(shop.orders())
    assert len(server.hits) == 3  # the breaker opened after 3 failures; no retry storm
    with pytest.raises(CircuitOpenError):
        list(shop.orders())
    assert len(server.hits) == 3


def test_crash_and_resume_delivers_every_order_exactly_once(server: ShopifyServer, tmp_path: Path) -> None:
    shop = _shop(server, tmp_path)
    # the consumer stores 3 batches, then crashes while storing the 4th: that one is delivered again
    first_run = list(itertools.islice(shop.orders(), 4))[:3]
    server.inject(*[Fault("status", 500)] * 6)  # and the next run dies on a failing page
    with pytest.raises(RetryExhaustedError):
        list(_shop(server, tmp_path).orders())
    resumed = list(_shop(server, tmp_path).orders())
    got = _ids(first_run) + _ids(resumed)
    assert len(got) == len(set(got)) == N
    assert (
        JsonState(tmp_path / "state.json")
        .get("shopify:127.0.0.1:orders")["value"]
        .startswith("2025-03-01T00:01:25")
    )
    assert list(_shop(server, tmp_path).orders()) == []  # nothing new: nothing delivered


def test_records_updated_during_the_sync_arrive_in_their_new_version(
    server: ShopifyServer, tmp_path: Path
) -> None:
    later = iso(T0 + dt.timedelta(days=1))

    def touch(hits: int) -> None:
        if hits == 3:  # after two pages, an order already read changes
            server.records["orders"][3]["updated_at"] = later
            server.records["orders"][3]["total_price"] = "999.00"

    server.on_page = touch
    batches = list(_shop(server, tmp_path).orders())
    table = pa.Table.from_batches(batches)
    versions = list(zip(table.column("order_id").to_pylist(), table.column("updated_at").to_pylist()))
    assert len(versions) == len(set(versions)) == N + 1
    assert sorted(set(table.column("order_id").to_pylist())) == sorted(str(5_000_000 + i) for i in range(N))
    assert versions[-1][0] == "5000003"
    assert table.column("total_amount")[-1].as_py() == 999.0


def test_since_filters_on_the_server(server: ShopifyServer) -> None:
    got = _ids(list(_shop(server).orders(since=T0 + dt.timedelta(seconds=80))))
    assert sorted(got) == sorted(str(5_000_000 + i) for i in range(560, N))


def _customers(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": 7_000 + i,
            "email": f"p{i}@example.com",
            "first_name": "Ada",
            "last_name": None if i % 4 == 0 else f"L{i}",
            "created_at": "2024-12-31T21:00:00-03:00",
            "updated_at": iso(T0 + dt.timedelta(seconds=i // 3)),
            "default_address": None
            if i % 5 == 0
            else {
                "city": "Porto",
                "province_code": "13",
                "zip": "4000-001",
                "country_code": "PT",
                "phone": "x",
            },
            "tags": "vip",
        }
        for i in range(n)
    ]


def test_customers_map_to_canonical_and_resume_incrementally(server: ShopifyServer, tmp_path: Path) -> None:
    server.records["customers"] = _customers(120)
    table = pa.Table.from_batches(list(_shop(server, tmp_path).customers()))
    assert table.schema == schema.CUSTOMERS
    assert sorted(table.column("customer_id").to_pylist()) == [str(7_000 + i) for i in range(120)]
    rows = {r["customer_id"]: r for r in table.to_pylist()}
    assert rows["7001"]["name"] == "Ada L1"
    assert rows["7000"]["name"] == "Ada"  # no last name: no trailing space
    assert (
        rows["7001"]["city"],
        rows["7001"]["state"],
        rows["7001"]["postal_code"],
        rows["7001"]["country"],
    ) == (
        "Porto",
        "13",
        "4000-001",
        "PT",
    )
    assert rows["7005"]["city"] is None  # no default address
    assert rows["7001"]["created_at"] == dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert rows["7001"]["source"] == "shopify"
    # two customers change and one is new: the next run delivers exactly those three
    later = iso(T0 + dt.timedelta(days=2))
    server.records["customers"][3]["updated_at"] = later
    server.records["customers"][77]["updated_at"] = later
    server.records["customers"].append({**_customers(1)[0], "id": 8_000, "updated_at": later})
    again = pa.Table.from_batches(list(_shop(server, tmp_path).customers()))
    assert sorted(again.column("customer_id").to_pylist()) == ["7003", "7077", "8000"]
    # the second run asked the server only for what changed since the watermark
    assert server.data_hits()[-1].query["updated_at_min"] == ["2025-03-01T00:00:39+00:00"]


def test_products_take_the_first_variant(server: ShopifyServer) -> None:
    server.records["products"] = [
        {
            "id": 300 + i,
            "title": f"Product {i}",
            "product_type": "mugs" if i % 2 else None,
            "updated_at": iso(T0 + dt.timedelta(minutes=i)),
            "variants": []
            if i == 7
            else [{"price": f"{i}.25", "grams": 50 * i, "sku": "s"}, {"price": "1.00", "grams": 1}],
            "body_html": "<p>long</p>",
        }
        for i in range(60)
    ]
    table = pa.Table.from_batches(list(_shop(server).products(since=T0 + dt.timedelta(minutes=5))))
    assert table.schema == schema.PRODUCTS
    assert sorted(table.column("product_id").to_pylist()) == [str(300 + i) for i in range(5, 60)]
    rows = {r["product_id"]: r for r in table.to_pylist()}
    assert (rows["309"]["price"], rows["309"]["weight_g"], rows["309"]["category"]) == (9.25, 450.0, "mugs")
    assert (rows["307"]["price"], rows["307"]["weight_g"]) == (None, None)  # no variants
    assert rows["306"]["category"] is None
    assert rows["306"]["name"] == "Product 6"


def test_refunds_are_negative_payments_of_their_orders(server: ShopifyServer) -> None:
    for i, order in enumerate(server.records["orders"]):
        if i % 100 == 0:
            order["refunds"] = [
                {
                    "id": 90_000 + i,
                    "created_at": "2025-03-02T12:00:00+01:00",
                    "transactions": [
                        {
                            "id": 91_000 + i * 10 + k,
                            "amount": f"{k + 1}.50",
                            "currency": "EUR",
                            "gateway": "shopify_payments",
                            "status": "success",
                            "created_at": "2025-03-02T12:00:00+01:00",
                            "kind": "refund",
                        }
                        for k in range(2)
                    ],
                }
            ]
    table = pa.Table.from_batches(list(_shop(server).refunds()))
    assert table.schema == schema.PAYMENTS
    assert table.num_rows == 12  # 6 refunded orders x 2 transactions
    rows = {r["payment_id"]: r for r in table.to_pylist()}
    first, second = rows["92000"], rows["92001"]  # order 5000100's refund transactions
    assert (first["order_id"], first["sequence"], first["amount"]) == ("5000100", 1, -1.5)
    assert (second["sequence"], second["amount"], second["currency"]) == (2, -2.5, "EUR")
    assert first["method"] == "shopify_payments"
    assert first["created_at"] == dt.datetime(2025, 3, 2, 11, tzinfo=dt.timezone.utc)


def test_call_limit_header_slows_the_client_before_the_bucket_overflows() -> None:
    from ecomkit.resilience import RateLimit

    def run(policy: Policy) -> ShopifyServer:
        srv = ShopifyServer(_orders(150), bucket=10)
        try:
            got = _ids(list(Shopify(srv.url, ShopifyServer.TOKEN, page_size=10, policy=policy).orders()))
            assert sorted(got) == sorted(str(5_000_000 + i) for i in range(150))
        finally:
            srv.close()
        return srv

    # a client limited to 100 calls/s would overflow a 10-call bucket; the header makes it pause
    polite = run(_fast_policy(rate_limit=RateLimit(100, 1.0, burst=100, name="shopify-call-limit")))
    assert [h.status for h in polite.hits].count(429) == 0
    gaps = [b.at - a.at for a, b in itertools.pairwise(polite.hits)]
    assert max(gaps) >= 0.45  # (9 used - 8 + 1) / 2 per second of leak = 1 s; at least one pause
    # the same client without a rate limit to slow down does overflow (so the test above can fail)
    rude = run(_fast_policy())
    assert [h.status for h in rude.hits].count(429) >= 1
