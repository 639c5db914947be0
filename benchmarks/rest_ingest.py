"""REST ingestion: sustained request rate vs the configured limit, and JSON -> canonical Arrow speed.

1. A local server allows LIMIT requests per second (sliding 1 s window) and answers 429 above it.
   ecomkit's RateLimit-driven client (4 threads) runs side by side with a naive loop (no limiter) for
   the same time. Target: >= 95% of the limit with zero 429s caused by the client.
2. Shopify order pages (250 orders, JSON bytes as the API sends them) become canonical ORDERS +
   ORDER_ITEMS through the client's real decoding path: ecomkit (pyarrow.json against the raw schema)
   side by side with the Python-object path (json.loads + RecordBatch.from_pylist, the same
   transforms). Speed is records per CPU-second of this process (one core; best of several rounds,
   so other load on the machine disturbs it less). Target: >= 100k records/s.

Run: python benchmarks/rest_ingest.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "connectors"))

import httpx
from rest_servers import ContractServer

from ecomkit.connectors.http import RestClient
from ecomkit.resilience import Policy, RateLimit, Retry

LIMIT = 50


class LimitedServer(ContractServer):
    def __init__(self) -> None:
        self.window: deque[float] = deque()
        self.count_429 = 0
        self.count_ok = 0
        super().__init__()

    def route(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        now = time.monotonic()
        with self.lock:
            while self.window and now - self.window[0] >= 1.0:
                self.window.popleft()
            if len(self.window) >= LIMIT:
                self.count_429 += 1
                return 429, {"error": "rate"}, {"Retry-After": "1"}
            self.window.append(now)
            self.count_ok += 1
        return 200, {"ok": True}, {}


def run_ecomkit(seconds: float, threads: int) -> tuple[float, int]:
    server = LimitedServer()
    policy = Policy(retry=Retry(attempts=3), rate_limit=RateLimit(LIMIT, 1.0, name="bench"))
    client = RestClient(server.url, policy=policy)
    stop = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop:
            client.get("/x")

    start = time.monotonic()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    client.close()
    server.close()
    return server.count_ok / elapsed, server.count_429


def run_naive(seconds: float) -> tuple[float, int]:
    server = LimitedServer()
    stop = time.monotonic() + seconds
    start = time.monotonic()
    with httpx.Client() as client:
        while time.monotonic() < stop:
            client.get(server.url + "/x")
    elapsed = time.monotonic() - start
    server.close()
    return server.count_ok / elapsed, server.count_429


def _order(i: int) -> dict[str, Any]:
    """A Shopify order as the REST Admin API sends it with ``fields=`` (line items keep their extras)."""
    return {
        "id": 5_000_000 + i,
        "email": f"c{i}@example.com",
        "customer": {"id": 9_000 + i % 100},
        "created_at": "2025-01-01T10:00:00-04:00",
        "processed_at": "2025-01-01T10:00:00-04:00",
        "updated_at": "2025-01-02T10:00:00+00:00",
        "cancelled_at": None,
        "closed_at": None,
        "financial_status": "paid",
        "fulfillment_status": None,
        "currency": "USD",
        "total_price": f"{i}.50",
        "line_items": [
            {
                "id": i * 10 + k,
                "product_id": 700 + k,
                "variant_id": 800 + k,
                "title": "Widget",
                "sku": f"W-{k}",
                "vendor": "acme",
                "quantity": k + 1,
                "price": "10.50",
                "taxable": True,
                "grams": 100,
            }
            for k in range(1 + i % 2)
        ],
        "refunds": [],
    }


def json_to_arrow(pages: int, rounds: int) -> tuple[float, float, int]:
    """(ecomkit records/s, Python-object path records/s, bytes per record) on one core."""
    from ecomkit.connectors._decode import records_to_batch
    from ecomkit.connectors.pagination import LinkHeaderPaginator
    from ecomkit.connectors.shopify import _RAW_ORDERS, _items, _orders

    size = 250
    bodies = [
        json.dumps({"orders": [_order(p * size + i) for i in range(size)]}).encode() for p in range(pages)
    ]
    client = RestClient("http://127.0.0.1:9")
    paginator = LinkHeaderPaginator(records_path="orders")
    request = httpx.Request("GET", "http://127.0.0.1:9/admin/api/2025-10/orders.json")

    def ecomkit_path(body: bytes) -> int:
        page = client._parse(httpx.Response(200, content=body, request=request), paginator, 1, _RAW_ORDERS)
        assert page.batch is not None
        _items(page.batch)
        return int(_orders(page.batch).num_rows)

    def python_path(body: bytes) -> int:
        page = client._parse(httpx.Response(200, content=body, request=request), paginator, 1)
        raw = records_to_batch(page.records, _RAW_ORDERS, where="bench")
        _items(raw)
        return int(_orders(raw).num_rows)

    def rate(path: Any) -> float:
        path(bodies[0])  # warm-up
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time()
            records = sum(path(b) for b in bodies)
            best = min(best, time.process_time() - start)
        return records / best

    ours, theirs = rate(ecomkit_path), rate(python_path)
    client.close()
    return ours, theirs, sum(map(len, bodies)) // (pages * size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 4.0 if args.quick else 15.0
    rate, e429 = run_ecomkit(seconds, threads=4)
    naive_rate, n429 = run_naive(seconds)
    print(f"limit                      : {LIMIT} req/s over {seconds:.0f}s")
    verdict = "ok" if rate >= 0.95 * LIMIT and e429 == 0 else "BELOW TARGET"
    print(
        f"ecomkit RateLimit client   : {rate:6.1f} req/s = {rate / LIMIT:6.1%} of limit, "
        f"429s: {e429}  [{verdict}: >= 95%, zero 429s]"
    )
    print(
        f"naive loop (no limiter)    : {naive_rate:6.1f} req/s = {naive_rate / LIMIT:6.1%} of limit, 429s: {n429}"
    )
    ours, theirs, per_record = json_to_arrow(8 if args.quick else 40, 3 if args.quick else 5)
    verdict = "ok" if ours >= 100_000 else "BELOW TARGET"
    print(
        f"JSON -> canonical Arrow    : {ours:,.0f} orders/s (ORDERS + ORDER_ITEMS, {per_record} B/order, "
        f"one core)  [{verdict}: >= 100k/s]"
    )
    print(f"  json.loads + from_pylist : {theirs:,.0f} orders/s  (ecomkit = {ours / theirs:.2f}x)")


if __name__ == "__main__":
    main()
