"""Shopify Admin REST API source: orders with line items, customers, products, refunds.

Follows the REST Admin API contract: ``limit=250``; cursor pagination through the ``Link`` header
(``page_info``; with it only ``limit``/``fields`` may be sent, so the next link is followed as is);
``updated_at_min`` with ``order=updated_at asc`` and ``status=any`` for incremental reads; the
``X-Shopify-Access-Token`` header; 429 with ``Retry-After``; and the leaky-bucket usage header
``X-Shopify-Shop-Api-Call-Limit`` (the client slows down before the bucket is full).

Example:
    >>> from ecomkit.connectors.shopify import Shopify
    >>> shop = Shopify("my-shop.myshopify.com", "shpat_...", state="sync-state.json")  # doctest: +SKIP
    >>> for batch in shop.orders(since="2025-01-01"):  # doctest: +SKIP
    ...     print(batch.num_rows)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit.connectors._rest import (
    OrderPage,
    Sync,
    as_money,
    as_text,
    base_url,
    canonical,
    default_policy,
    explode_items,
    field,
    first_item,
    full_name,
    page_batch,
)
from ecomkit.connectors.auth import ShopifyTokenAuth
from ecomkit.connectors.http import RestClient
from ecomkit.connectors.pagination import LinkHeaderPaginator
from ecomkit.connectors.state import State, open_state
from ecomkit.errors import ConfigError
from ecomkit.resilience import Policy

__all__ = ["ORDER_FIELDS", "OrderPage", "Shopify"]

_SOURCE = "shopify"
_MONEY = pa.string()  # Shopify sends prices as decimal strings

_ADDRESS = pa.struct(
    [
        ("city", pa.string()),
        ("province_code", pa.string()),
        ("zip", pa.string()),
        ("country_code", pa.string()),
    ]
)
_RAW_ORDERS = pa.schema(
    [
        ("id", pa.int64()),
        ("email", pa.string()),
        ("customer", pa.struct([("id", pa.int64())])),
        ("created_at", pa.string()),
        ("processed_at", pa.string()),
        ("updated_at", pa.string()),
        ("cancelled_at", pa.string()),
        ("closed_at", pa.string()),
        ("financial_status", pa.string()),
        ("fulfillment_status", pa.string()),
        ("currency", pa.string()),
        ("total_price", _MONEY),
        (
            "line_items",
            pa.list_(
                pa.struct(
                    [
                        ("id", pa.int64()),
                        ("product_id", pa.int64()),
                        ("vendor", pa.string()),
                        ("quantity", pa.int64()),
                        ("price", _MONEY),
                    ]
                )
            ),
        ),
        (
            "refunds",
            pa.list_(
                pa.struct(
                    [
                        ("id", pa.int64()),
                        ("created_at", pa.string()),
                        (
                            "transactions",
                            pa.list_(
                                pa.struct(
                                    [
                                        ("id", pa.int64()),
                                        ("amount", _MONEY),
                                        ("currency", pa.string()),
                                        ("gateway", pa.string()),
                                        ("status", pa.string()),
                                        ("created_at", pa.string()),
                                    ]
                                )
                            ),
                        ),
                    ]
                )
            ),
        ),
    ]
)
#: The order fields requested (``fields=``), enough for ORDERS, ORDER_ITEMS and refunds.
ORDER_FIELDS = ",".join(_RAW_ORDERS.names)

_RAW_CUSTOMERS = pa.schema(
    [
        ("id", pa.int64()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("created_at", pa.string()),
        ("updated_at", pa.string()),
        ("default_address", _ADDRESS),
    ]
)
_RAW_PRODUCTS = pa.schema(
    [
        ("id", pa.int64()),
        ("title", pa.string()),
        ("product_type", pa.string()),
        ("updated_at", pa.string()),
        ("variants", pa.list_(pa.struct([("price", _MONEY), ("grams", pa.float64())]))),
    ]
)

_TS = pa.timestamp("us", tz="UTC")


def _ts(array: pa.Array) -> pa.Array:
    return array.cast(_TS)


class Shopify:
    """Read a Shopify store through the REST Admin API as canonical Arrow batches.

    Args:
        shop: the store's domain (``my-shop.myshopify.com``, or just ``my-shop``) or a full base URL
            (a proxy, a test server); ``/admin/api/<version>`` is appended.
        access_token: the Admin API access token (``shpat_...``); needs ``read_orders``,
            ``read_customers`` and ``read_products``.
        api_version: the REST Admin API version.
        policy: resilience; defaults to retries, 2 requests/s (the standard plan's leak rate) and a
            breaker. Share one policy between sources that use the same app and store.
        state: where watermarks live (a :class:`~ecomkit.connectors.state.State`, a JSON path or a
            database URL); ``None`` keeps them in memory.
        page_size: records per page (at most 250).
        timeout: request timeout in seconds.
    """

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str = "2025-10",
        policy: Policy | None = None,
        state: State | str | os.PathLike[str] | None = None,
        page_size: int = 250,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= page_size <= 250:
            raise ConfigError(f"Shopify(page_size=...) must be in [1, 250]; got {page_size}")
        root = base_url(shop if "." in shop or "://" in shop else f"{shop}.myshopify.com")
        self.host = httpx.URL(root).host
        self.page_size = page_size
        self.policy = policy or default_policy(2, f"shopify:{self.host}")
        self.state = open_state(state)
        self.client = RestClient(
            f"{root}/admin/api/{api_version}",
            auth=ShopifyTokenAuth(access_token),
            policy=self.policy,
            timeout=timeout,
            response_hook=self._observe_usage,
        )

    def __repr__(self) -> str:
        return f"Shopify({self.host!r}, access_token=***, state={self.state!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def _observe_usage(self, response: httpx.Response) -> None:
        raw = response.headers.get("x-shopify-shop-api-call-limit")
        if raw and self.policy.rate_limit is not None:
            used, _, cap = raw.partition("/")
            if used.strip().isdigit() and cap.strip().isdigit():
                self.policy.rate_limit.observe_usage(int(used), int(cap), restore_per_second=2.0)

    def _stream(
        self,
        resource: str,
        raw_schema: pa.Schema,
        stream: str,
        since: dt.datetime | str | None,
        extra: dict[str, Any],
    ) -> Iterator[tuple[pa.RecordBatch, Sync, pa.Array, pa.Array]]:
        """The pages with records not delivered before, with the stream's ``Sync`` to commit them."""
        sync = Sync(self.state, f"shopify:{self.host}:{stream}", since)
        params: dict[str, Any] = {"limit": self.page_size, "order": "updated_at asc", **extra}
        if sync.lower_bound is not None:
            params["updated_at_min"] = sync.lower_bound.isoformat()
        paginator = LinkHeaderPaginator(records_path=resource)
        for page in self.client.paginate(f"{resource}.json", paginator, params=params, schema=raw_schema):
            batch = page_batch(page)
            times, ids = _ts(batch.column("updated_at")), as_text(batch.column("id"))
            raw, times, ids = sync.select(batch, times, ids)
            if raw.num_rows:
                yield raw, sync, times, ids

    def _order_pages(
        self, stream: str, since: dt.datetime | str | None
    ) -> Iterator[tuple[pa.RecordBatch, Sync, pa.Array, pa.Array]]:
        return self._stream("orders", _RAW_ORDERS, stream, since, {"status": "any", "fields": ORDER_FIELDS})

    def orders_and_items(self, *, since: dt.datetime | str | None = None) -> Iterator[OrderPage]:
        """Orders and their line items from one pass over ``orders.json`` (``status=any``).

        Args:
            since: read orders updated at or after this time (UTC if naive) when no watermark is
                stored yet; a stored watermark resumes where the last run stopped.

        Yields:
            An :class:`OrderPage` per API page (pages whose orders were all delivered before are skipped).
        """
        for raw, sync, times, ids in self._order_pages("orders_and_items", since):
            yield OrderPage(_orders(raw), _items(raw))
            sync.commit(times, ids)

    def orders(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Canonical ``ORDERS`` batches (see :meth:`orders_and_items`)."""
        for raw, sync, times, ids in self._order_pages("orders", since):
            yield _orders(raw)
            sync.commit(times, ids)

    def order_items(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Canonical ``ORDER_ITEMS`` batches: one row per line item of each order read."""
        for raw, sync, times, ids in self._order_pages("order_items", since):
            yield _items(raw)
            sync.commit(times, ids)

    def refunds(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Refund transactions as canonical ``PAYMENTS`` rows (negative ``amount``, ``status`` from Shopify).

        Refunds are read from the orders they belong to (orders updated since the watermark).
        """
        for raw, sync, times, ids in self._order_pages("refunds", since):
            yield _refunds(raw)
            sync.commit(times, ids)

    def customers(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Canonical ``CUSTOMERS`` batches from ``customers.json``."""
        for raw, sync, times, ids in self._stream("customers", _RAW_CUSTOMERS, "customers", since, {}):
            address = raw.column("default_address")
            yield canonical(
                "customers",
                {
                    "customer_id": as_text(raw.column("id")),
                    "email": raw.column("email"),
                    "name": full_name(raw.column("first_name"), raw.column("last_name")),
                    "city": field(address, "city"),
                    "state": field(address, "province_code"),
                    "postal_code": field(address, "zip"),
                    "country": field(address, "country_code"),
                    "created_at": _ts(raw.column("created_at")),
                },
                source=_SOURCE,
                rows=raw.num_rows,
            )
            sync.commit(times, ids)

    def products(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Canonical ``PRODUCTS`` batches from ``products.json`` (price and weight of the first variant)."""
        for raw, sync, times, ids in self._stream("products", _RAW_PRODUCTS, "products", since, {}):
            first = first_item(raw.column("variants"))
            yield canonical(
                "products",
                {
                    "product_id": as_text(raw.column("id")),
                    "name": raw.column("title"),
                    "category": raw.column("product_type"),
                    "price": as_money(field(first, "price")),
                    "weight_g": field(first, "grams"),
                },
                source=_SOURCE,
                rows=raw.num_rows,
            )
            sync.commit(times, ids)


def _orders(raw: pa.RecordBatch) -> pa.RecordBatch:
    cancelled = pc.is_valid(raw.column("cancelled_at"))
    status = pc.if_else(cancelled, pa.scalar("canceled"), raw.column("financial_status"))
    return canonical(
        "orders",
        {
            "order_id": as_text(raw.column("id")),
            "customer_id": as_text(field(raw.column("customer"), "id")),
            "status": status,
            "purchased_at": _ts(raw.column("created_at")),
            "approved_at": _ts(raw.column("processed_at")),
            "updated_at": _ts(raw.column("updated_at")),
            "currency": raw.column("currency"),
            "total_amount": as_money(raw.column("total_price")),
        },
        source=_SOURCE,
        rows=raw.num_rows,
    )


def _items(raw: pa.RecordBatch) -> pa.RecordBatch:
    order_ids, line, lines = explode_items(as_text(raw.column("id")), raw.column("line_items"))
    return canonical(
        "order_items",
        {
            "order_id": order_ids,
            "line_number": line,
            "product_id": as_text(field(lines, "product_id")),
            "seller_id": field(lines, "vendor"),
            "quantity": field(lines, "quantity").cast(pa.int32()),
            "unit_price": as_money(field(lines, "price")),
        },
        source=_SOURCE,
        rows=len(line),
    )


def _refunds(raw: pa.RecordBatch) -> pa.RecordBatch:
    order_ids, _, refunds = explode_items(as_text(raw.column("id")), raw.column("refunds"))
    refund_orders, sequence, txns = explode_items(order_ids, field(refunds, "transactions"))
    return canonical(
        "payments",
        {
            "payment_id": as_text(field(txns, "id")),
            "order_id": refund_orders,
            "sequence": sequence,
            "method": field(txns, "gateway"),
            "amount": pc.negate(as_money(field(txns, "amount"))),
            "currency": field(txns, "currency"),
            "status": field(txns, "status"),
            "created_at": _ts(field(txns, "created_at")),
        },
        source=_SOURCE,
        rows=len(sequence),
    )
