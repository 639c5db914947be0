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
