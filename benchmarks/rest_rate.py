"""REST throughput: sustained request rate vs the configured limit, and JSON -> Arrow speed.

A local server allows LIMIT requests per second (sliding 1 s window) and answers 429 above it.
ecomkit's RateLimit-driven client runs side by side with a naive loop (no limiter) for the same time.
Run: python benchmarks/rest_rate.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "connectors"))

import httpx
import pyarrow as pa
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


def json_to_arrow(n: int) -> float:
    from ecomkit.connectors._rest import read_records
    from ecomkit.connectors.shopify import _RAW_ORDERS, _items, _orders

    records = [
        {
            "id": i,
            "customer": {"id": i % 100},
            "created_at": "2025-01-01T10:00:00-04:00",
            "processed_at": "2025-01-01T10:00:00-04:00",
            "updated_at": "2025-01-02T10:00:00+00:00",
            "financial_status": "paid",
            "currency": "USD",
            "total_price": "10.50",
            "line_items": [{"id": i, "product_id": 7, "quantity": 1, "price": "10.50"}],
        }
        for i in range(n)
    ]
    raw = read_records(records[:250], _RAW_ORDERS, where="warm-up")
    _orders(raw), _items(raw)
    start = time.perf_counter()
    for k in range(0, n, 250):
        raw = read_records(records[k : k + 250], _RAW_ORDERS, where="bench")
        _orders(raw), _items(raw)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 4.0 if args.quick else 15.0
    rate, e429 = run_ecomkit(seconds, threads=4)
    naive_rate, n429 = run_naive(seconds)
    print(f"limit                     : {LIMIT} req/s over {seconds:.0f}s")
    print(f"ecomkit RateLimit client  : {rate:6.1f} req/s = {rate / LIMIT:.1%} of limit, 429s: {e429}")
    print(
        f"naive loop (no limiter)   : {naive_rate:6.1f} req/s = {naive_rate / LIMIT:.1%} of limit, 429s: {n429}"
    )
    speed = json_to_arrow(20_000 if args.quick else 200_000)
    print(f"JSON -> canonical Arrow   : {speed:,.0f} orders/s (orders + items, one core)")
    _ = pa


if __name__ == "__main__":
    main()
