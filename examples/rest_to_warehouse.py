"""Shopify orders → canonical Arrow → DuckDB warehouse, incrementally, against a local contract server.

The server (the Shopify contract server of ecomkit's test suite, on 127.0.0.1) follows the REST Admin
API's documented rules: access-token header, ``page_info`` cursors in the ``Link`` header, a leaky-bucket
call limit answered with 429 + ``Retry-After``. It also injects a burst of 5xx errors. The example:

1. syncs every order and line item into ``warehouse.duckdb`` (upsert on the keys), with a rate limit below the
   server's and retries only for what is retryable;
2. changes some orders on the server and syncs again: only the changed orders travel, nothing is lost or
   duplicated, because the watermark lives in a ``State`` file.

Exits non-zero when a check fails.

    python examples/rest_to_warehouse.py [--orders 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import duckdb

from ecomkit import warehouse
from ecomkit.connectors.shopify import Shopify
from ecomkit.resilience import Policy, RateLimit, Retry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "connectors"))
from rest_servers import Fault, ShopifyServer

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 3, 1, tzinfo=UTC)


def shopify_orders(n: int) -> list[dict[str, object]]:
    """Orders in the REST Admin API's JSON shape (prices as strings, ISO 8601 times with offsets)."""
    orders = []
    for i in range(n):
        updated = (T0 + dt.timedelta(minutes=i // 3)).isoformat()  # 3 orders share each updated_at
        lines = [
            {
                "id": i * 10 + k,
                "product_id": 700 + (i + k) % 40,
                "quantity": 1 + k % 2,
                "price": f"{5 + k}.50",
            }
            for k in range(1 + i % 3)
        ]
        total = sum(int(line["quantity"]) * float(str(line["price"])) for line in lines)  # type: ignore[call-overload]
        orders.append(
            {
                "id": 4_000_000 + i,
                "email": f"buyer{i % 500}@example.com",
                "customer": {"id": 80_000 + i % 500},
                "created_at": updated,
                "processed_at": updated,
                "updated_at": updated,
                "cancelled_at": None,
                "financial_status": "paid",
                "currency": "EUR",
                "total_price": f"{total:.2f}",
                "line_items": lines,
                "refunds": [],
            }
        )
    return orders


def sync(shop: Shopify, db: Path) -> tuple[int, int]:
    """One incremental sync: every page is loaded (upsert) before the next is requested."""
    orders = items = 0
    for page in shop.orders_and_items():
        warehouse.load(page.orders, db, "orders", mode="upsert", key=["order_id"])
        warehouse.load(page.items, db, "order_items", mode="upsert", key=["order_id", "line_number"])
        orders += page.orders.num_rows
        items += page.items.num_rows
    return orders, items


def main(n_orders: int, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    db, state = out / "warehouse.duckdb", out / "sync-state.json"
    for path in (db, state):
        path.unlink(missing_ok=True)
    records = shopify_orders(n_orders)
    server = ShopifyServer(records, bucket=40)
    try:
        server.inject(Fault("status", 503), Fault("status", 502))  # a 5xx burst: retried, nothing lost
        policy = Policy(retry=Retry(attempts=5, initial=0.2), rate_limit=RateLimit(20, 1.0))
        shop = Shopify(server.url, ShopifyServer.TOKEN, policy=policy, state=state, page_size=100)
        first = sync(shop, db)
        print(f"first sync: {first[0]:,} orders, {first[1]:,} lines in {len(server.hits)} requests")

        changed = records[: n_orders // 10]
        late = (T0 + dt.timedelta(days=30)).isoformat()
        for order in changed:
            order["updated_at"] = late
            order["financial_status"] = "refunded"
        second = sync(shop, db)
        print(f"second sync: {second[0]:,} changed orders")
    finally:
        server.close()

    con = duckdb.connect(str(db), read_only=True)
    stored, distinct = con.execute("select count(*), count(distinct order_id) from orders").fetchone() or (
        0,
        0,
    )
    refunded = con.execute("select count(*) from orders where status = 'refunded'").fetchone() or (0,)
    lines = con.execute("select count(*) from order_items").fetchone() or (0,)
    con.close()
    expected_lines = sum(len(o["line_items"]) for o in records)  # type: ignore[arg-type]
    checks = {
        "every order arrived once": stored == distinct == n_orders,
        "every line arrived once": lines[0] == expected_lines,
        "the second sync moved only the changed orders": second[0] == len(changed),
        "changed orders were updated in place": refunded[0] == len(changed),
        "the 5xx burst was retried": any(h.status >= 500 for h in server.hits),
        "no 429 was provoked": not any(h.status == 429 for h in server.hits),
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(args.orders, args.out or Path(tmp)))
