"""Contract servers: real HTTP on 127.0.0.1 that follow each API's documented pagination, auth and
rate-limit rules strictly, and inject faults on request (429 + Retry-After, 5xx bursts, malformed or
truncated JSON, connection resets, slow responses, 401)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

UTC = dt.timezone.utc


@dataclass
class Fault:
    """One injected fault, consumed by the next matching request."""

    kind: str  # "status" | "malformed" | "truncated" | "reset" | "slow"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    status: int
    at: float


class ContractServer:
    """A threaded HTTP server; subclasses implement ``route``."""

    def __init__(self) -> None:
        self.faults: deque[Fault] = deque()
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # no Nagle: headers and body go out at once (else ~40 ms delayed-ACK stalls)
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                outer._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def data_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.status == 200]

    # -- plumbing ---------------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
        status, payload, headers = self.route(parts.path, query, h.headers)
        if fault is not None and status == 200:
            if fault.kind == "status":
                status, payload, headers = fault.status, {"errors": "injected"}, fault.headers
            elif fault.kind == "slow":
                time.sleep(fault.seconds)
            elif fault.kind == "reset":
                self.hits.append(Hit(parts.path, query, -1, time.monotonic()))
                h.close_connection = True
                h.connection.shutdown(2)
                return
        self.hits.append(Hit(parts.path, query, status, time.monotonic()))
        body = json.dumps(payload).encode()
        if fault is not None and status == 200 and fault.kind == "malformed":
            body = body[: len(body) // 2]
        if fault is not None and status == 200 and fault.kind == "truncated":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.close_connection = True
            return
        self._send(h, status, body, headers)

    def route(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class ShopifyServer(ContractServer):
    """REST Admin API ``orders.json``/``customers.json``/``products.json`` with page_info cursors."""

    TOKEN = "shpat_test_secret_token"
    VERSION = "2025-10"

    def __init__(self, orders: list[dict[str, Any]], *, bucket: int = 40) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {"orders": orders, "customers": [], "products": []}
        self.cursors: dict[str, tuple[str, dict[str, str], tuple[str, int]]] = {}
        self.bucket = bucket
        self.used: deque[float] = deque()
        self.on_page: Callable[[int], None] | None = None
        super().__init__()

    def route(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        if headers.get("X-Shopify-Access-Token") != self.TOKEN:
            return (
                401,
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
                {},
            )
        prefix = f"/admin/api/{self.VERSION}/"
        if not path.startswith(prefix) or not path.endswith(".json"):
            return 404, {"errors": "Not Found"}, {}
        resource = path[len(prefix) : -len(".json")]
        if resource not in self.records:
            return 404, {"errors": "Not Found"}, {}
        now = time.monotonic()
        with self.lock:
            while self.used and now - self.used[0] > 1.0:
                self.used.popleft()
            if len(self.used) >= self.bucket:
                return (
                    429,
                    {
                        "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                    },
                    {"Retry-After": "1.0"},
                )
            self.used.append(now)
            call_limit = f"{len(self.used)}/{self.bucket}"
        limit = int(_one(query, "limit") or 50)
        if limit > 250:
            return 400, {"errors": {"limit": "must be <= 250"}}, {}
        page_info = _one(query, "page_info")
        if page_info is not None:
            extra = set(query) - {"page_info", "limit", "fields"}
            if extra:  # the documented rule: with page_info only limit and fields may be sent
                return 400, {"errors": {"page_info": f"Cannot use page_info with {sorted(extra)}"}}, {}
            if page_info not in self.cursors:
                return 400, {"errors": {"page_info": "Invalid value."}}, {}
            _res, filters, after = self.cursors[page_info]
        else:
            filters = {k: v[0] for k, v in query.items() if k not in ("limit", "fields")}
            after = ("", -1)
        rows = self._select(resource, filters)
        rows = [r for r in rows if (r["updated_at"], r["id"]) > after]
        page = rows[:limit]
        out_headers = {"X-Shopify-Shop-Api-Call-Limit": call_limit}
        if len(rows) > limit:
            last = page[-1]
            token = base64.urlsafe_b64encode(
                f"{resource}:{last['id']}:{last['updated_at']}".encode()
            ).decode()
            self.cursors[token] = (resource, filters, (last["updated_at"], last["id"]))
            nxt = f"{self.url}{path}?{urlencode({'limit': limit, 'page_info': token})}"
            out_headers["Link"] = f'<{nxt}>; rel="next"'
        if self.on_page is not None:
            self.on_page(len(self.hits))
        return 200, {resource: page}, out_headers

    def _select(self, resource: str, filters: dict[str, str]) -> list[dict[str, Any]]:
        rows = list(self.records[resource])
        if "updated_at_min" in filters:
            bound = dt.datetime.fromisoformat(filters["updated_at_min"])
            rows = [r for r in rows if dt.datetime.fromisoformat(r["updated_at"]) >= bound]
        if resource == "orders" and filters.get("status", "open") != "any":
            rows = [r for r in rows if r.get("cancelled_at") is None]
        return sorted(rows, key=lambda r: (r["updated_at"], r["id"]))


class StripeServer(ContractServer):
    """Stripe list API: newest first, ``limit`` <= 100, ``starting_after``, ``created[gte|lt]``, Bearer key."""

    KEY = "sk_test_secret_key_123"

    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects
        super().__init__()

    def route(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        if headers.get("Authorization") != f"Bearer {self.KEY}":
            return (
                401,
                {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                {},
            )
        resource = path.removeprefix("/v1/")
        if resource not in self.objects:
            return 404, {"error": {"type": "invalid_request_error"}}, {}
        limit = int(_one(query, "limit") or 10)
        if not 1 <= limit <= 100:
            return 400, {"error": {"type": "invalid_request_error", "param": "limit"}}, {}
        rows = sorted(self.objects[resource], key=lambda o: (o["created"], o["id"]), reverse=True)
        if (gte := _one(query, "created[gte]")) is not None:
            rows = [o for o in rows if o["created"] >= int(gte)]
        if (lt := _one(query, "created[lt]")) is not None:
            rows = [o for o in rows if o["created"] < int(lt)]
        if (after := _one(query, "starting_after")) is not None:
            ids = [o["id"] for o in rows]
            if after not in ids:
                return 400, {"error": {"type": "invalid_request_error", "param": "starting_after"}}, {}
            rows = rows[ids.index(after) + 1 :]
        page = rows[:limit]
        return 200, {"object": "list", "url": path, "has_more": len(rows) > limit, "data": page}, {}


class WooServer(ContractServer):
    """WooCommerce wc/v3 ``/orders``, ``/products``, ``/customers``: page/per_page <= 100,
    X-WP-Total(Pages), modified_after (strict; orders and products only), orderby validated per route."""

    KEY, SECRET = "ck_test_key", "cs_test_secret"
    # the documented orderby enums (WC_REST_Posts_Controller, products add price/popularity/rating;
    # customers have their own list and no modified_after)
    ORDERBY: ClassVar[dict[str, set[str]]] = {
        "orders": {"date", "id", "include", "title", "slug", "modified"},
        "products": {"date", "id", "include", "title", "slug", "modified", "price", "popularity", "rating"},
        "customers": {"id", "include", "name", "registered_date"},
    }

    def __init__(
        self,
        orders: list[dict[str, Any]],
        *,
        customers: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | None = None,
    ) -> None:
        self.orders = orders
        self.resources = {"orders": orders, "customers": customers or [], "products": products or []}
        self.on_page: Callable[[int], None] | None = None
        super().__init__()

    def route(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        token = base64.b64encode(f"{self.KEY}:{self.SECRET}".encode()).decode()
        if headers.get("Authorization") != f"Basic {token}":
            return (
                401,
                {
                    "code": "woocommerce_rest_cannot_view",
                    "message": "Sorry, you cannot list resources.",
                    "data": {"status": 401},
                },
                {},
            )
        resource = path.removeprefix("/wp-json/wc/v3/")
        if resource not in self.resources:
            return 404, {"code": "rest_no_route"}, {}
        per_page = int(_one(query, "per_page") or 10)
        page = int(_one(query, "page") or 1)
        if not 1 <= per_page <= 100 or page < 1:
            return (
                400,
                {
                    "code": "rest_invalid_param",
                    "data": {
                        "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}
                    },
                },
                {},
            )
        orderby = _one(query, "orderby") or ("name" if resource == "customers" else "date")
        if orderby not in self.ORDERBY[resource]:
            return (
                400,
                {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): orderby",
                    "data": {
                        "params": {"orderby": f"orderby is not one of {sorted(self.ORDERBY[resource])}."}
                    },
                },
                {},
            )
        rows = list(self.resources[resource])
        after = _one(query, "modified_after")
        if after is not None and resource != "customers":  # customers have no such filter
            rows = [o for o in rows if o["date_modified_gmt"] > after]
        key = {
            "modified": lambda o: (o["date_modified_gmt"], o["id"]),
            "id": lambda o: (o["id"],),
            "name": lambda o: (o.get("last_name") or "", o["id"]),
        }.get(orderby, lambda o: (o.get("date_created_gmt") or "", o["id"]))
        rows.sort(key=key, reverse=_one(query, "order") != "asc")
        total_pages = max(1, -(-len(rows) // per_page))
        if page > total_pages and rows:
            return (
                400,
                {
                    "code": "rest_post_invalid_page_number",
                    "message": "The page number requested is larger than the number of pages available.",
                },
                {},
            )
        chunk = rows[(page - 1) * per_page : page * per_page]
        if self.on_page is not None:
            self.on_page(len(self.hits))
        return 200, chunk, {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(total_pages)}
