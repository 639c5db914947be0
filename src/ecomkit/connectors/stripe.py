"""Stripe source: charges, refunds, payment intents and customers as canonical Arrow batches.

Follows Stripe's list API: ``limit=100``, ``starting_after`` + ``has_more``, ``created[gte]``/``created[lt]``
filters, ``Authorization: Bearer <secret key>``, and ``Stripe-Should-Retry``. Lists are newest first,
so a watermark cannot advance page by page; instead each run fixes an upper bound (``created[lt]`` =
the run's start) and checkpoints the ``starting_after`` cursor after every batch the consumer took. A
crashed run resumes from that cursor; a finished run moves the watermark to its upper bound. Objects are
selected by ``created`` (immutable), so every object arrives exactly once; later changes to an object
(a charge being refunded) are not re-read — read ``refunds()`` for those.

Amounts are in the currency's minor unit; they are divided by 10**exponent (0 for zero-decimal
currencies such as JPY, 3 for BHD, JOD, KWD, OMR, TND, else 2). Stripe's special cases
(https://docs.stripe.com/currencies#special-cases) follow that rule as the API states them: ISK has
been effectively zero-decimal since April 2023 but stays two-decimal in the API (an amount of 100 is
one krona, always a multiple of 100); HUF and TWD are treated as zero-decimal only for payouts, and
charges, refunds and payment intents carry two-decimal amounts; UGX is on Stripe's zero-decimal list.
Payouts, where these currencies differ, are not read by this source.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit.connectors._rest import (
    as_text,
    base_url,
    canonical,
    default_policy,
    epoch_seconds,
    field,
    first_item,
    page_batch,
    utc,
)
from ecomkit.connectors.auth import BearerAuth
from ecomkit.connectors.http import RestClient
from ecomkit.connectors.pagination import StripePaginator
from ecomkit.connectors.state import State, open_state
from ecomkit.errors import ConfigError, StateError
from ecomkit.resilience import Policy

__all__ = ["THREE_DECIMAL", "ZERO_DECIMAL", "Stripe", "minor_to_major"]

_SOURCE = "stripe"

#: Stripe's zero-decimal currencies (amounts are already whole units).
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
#: Stripe's three-decimal currencies.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def minor_to_major(amounts: pa.Array, currencies: pa.Array) -> pa.Array:
    """Minor-unit integer amounts to float64 major units by each row's currency exponent.

    Zero-decimal currencies (:data:`ZERO_DECIMAL`, UGX among them) are divided by 1, three-decimal ones
    (:data:`THREE_DECIMAL`) by 1000, every other currency by 100 — including Stripe's special cases
    ISK, HUF and TWD, whose charge, refund and payment-intent amounts the API states in two decimals.

    Example:
        >>> minor_to_major(pa.array([1999, 500]), pa.array(["usd", "jpy"])).to_pylist()
        [19.99, 500.0]
    """
    upper = pc.utf8_upper(currencies)
    zero = pc.is_in(upper, value_set=pa.array(sorted(ZERO_DECIMAL))).to_numpy(zero_copy_only=False)
    three = pc.is_in(upper, value_set=pa.array(sorted(THREE_DECIMAL))).to_numpy(zero_copy_only=False)
    scale = np.where(zero, 1.0, np.where(three, 1000.0, 100.0))
    return pc.divide(amounts.cast(pa.float64()), pa.array(scale))


_RAW = {
    "charges": pa.schema(
        [
            ("id", pa.string()),
            ("amount", pa.int64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("created", pa.int64()),
            ("payment_intent", pa.string()),
            ("metadata", pa.struct([("order_id", pa.string())])),  # Stripe metadata values are text
            ("payment_method_details", pa.struct([("type", pa.string())])),
        ]
    ),
    "refunds": pa.schema(
        [
            ("id", pa.string()),
            ("amount", pa.int64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("created", pa.int64()),
            ("charge", pa.string()),
        ]
    ),
    "payment_intents": pa.schema(
        [
            ("id", pa.string()),
            ("amount", pa.int64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("created", pa.int64()),
            ("payment_method_types", pa.list_(pa.string())),
        ]
    ),
    "customers": pa.schema(
        [
            ("id", pa.string()),
            ("email", pa.string()),
            ("name", pa.string()),
            ("created", pa.int64()),
            (
                "address",
                pa.struct(
                    [
                        ("city", pa.string()),
                        ("state", pa.string()),
                        ("postal_code", pa.string()),
                        ("country", pa.string()),
                    ]
                ),
            ),
        ]
    ),
}


class Stripe:
    """Read a Stripe account as canonical Arrow batches.

    Args:
        api_key: a secret or restricted key (``sk_...``/``rk_...``) with read access. For the SPEC's
            "first argument is a domain or base URL" form, pass the base URL first and the key second:
            ``Stripe("http://127.0.0.1:8080", "sk_test_...")``.
        base_url: the API root (``https://api.stripe.com``; a proxy or test server).
        policy: resilience; defaults to retries, 20 requests/s and a breaker.
        state: where cursors and watermarks live.
        timeout: request timeout in seconds.
    """

    def __init__(
        self,
        api_key: str,
        secret: str | None = None,
        *,
        base_url: str = "https://api.stripe.com",
        policy: Policy | None = None,
        state: State | str | os.PathLike[str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        if secret is not None:  # Stripe(base_url, api_key)
            base_url, api_key = api_key, secret
        if "://" in api_key or "." in api_key:
            raise ConfigError("Stripe(api_key=...) looks like a URL; pass the base URL as base_url=")
        root = _root(base_url)
        self.policy = policy or default_policy(20, "stripe")
        self.state = open_state(state)
        self.client = RestClient(f"{root}/v1", auth=BearerAuth(api_key), policy=self.policy, timeout=timeout)

    def __repr__(self) -> str:
        return f"Stripe(api_key=***, state={self.state!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def _list(self, resource: str, since: dt.datetime | str | None) -> Iterator[pa.RecordBatch]:
        key = f"stripe:{resource}"
        saved = self.state.get(key) or {}
        if not isinstance(saved, dict):
            raise StateError(f"state key {key!r} does not hold a Stripe checkpoint: {saved!r}")
        start = utc(since)
        gte = saved.get("created_gte", int(start.timestamp()) if start else None)
        run = saved.get("run") or {"lt": int(time.time()), "starting_after": None}
        params: dict[str, Any] = {"created[lt]": run["lt"]}
        if gte is not None:
            params["created[gte]"] = gte
        if run["starting_after"]:
            params["starting_after"] = run["starting_after"]
        self.state.set(key, {"created_gte": gte, "run": run})
        for page in self.client.paginate(
            resource, StripePaginator(limit=100), params=params, schema=_RAW[resource]
        ):
            batch = page_batch(page)
            if not batch.num_rows:
                continue
            yield batch
            run = {"lt": run["lt"], "starting_after": batch.column("id")[-1].as_py()}
            self.state.set(key, {"created_gte": gte, "run": run})
        self.state.set(key, {"created_gte": run["lt"]})

    def charges(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Charges as canonical ``PAYMENTS`` (``order_id`` from ``metadata.order_id`` when set)."""
        for raw in self._list("charges", since):
            order = field(raw.column("metadata"), "order_id")
            yield self._payments(
                raw, method=field(raw.column("payment_method_details"), "type"), order_id=order
            )

    def refunds(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Refunds as canonical ``PAYMENTS`` with negative amounts (``order_id`` = the refunded charge)."""
        for raw in self._list("refunds", since):
            batch = self._payments(
                raw, method=pa.array(["refund"] * raw.num_rows), order_id=raw.column("charge")
            )
            yield batch.set_column(
                batch.schema.get_field_index("amount"), "amount", pc.negate(batch.column("amount"))
            )

    def payment_intents(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Payment intents as canonical ``PAYMENTS``."""
        for raw in self._list("payment_intents", since):
            method = first_item(raw.column("payment_method_types"))
            yield self._payments(raw, method=method, order_id=pa.nulls(raw.num_rows, pa.string()))

    def customers(self, *, since: dt.datetime | str | None = None) -> Iterator[pa.RecordBatch]:
        """Customers as canonical ``CUSTOMERS``."""
        for raw in self._list("customers", since):
            address = raw.column("address")
            yield canonical(
                "customers",
                {
                    "customer_id": raw.column("id"),
                    "email": raw.column("email"),
                    "name": raw.column("name"),
                    "city": field(address, "city"),
                    "state": field(address, "state"),
                    "postal_code": field(address, "postal_code"),
                    "country": field(address, "country"),
                    "created_at": epoch_seconds(raw.column("created")),
                },
                source=_SOURCE,
                rows=raw.num_rows,
            )

    @staticmethod
    def _payments(raw: pa.RecordBatch, *, method: pa.Array, order_id: pa.Array) -> pa.RecordBatch:
        return canonical(
            "payments",
            {
                "payment_id": as_text(raw.column("id")),
                "order_id": order_id,
                "method": method,
                "amount": minor_to_major(raw.column("amount"), raw.column("currency")),
                "currency": pc.utf8_upper(raw.column("currency")),
                "status": raw.column("status"),
                "created_at": epoch_seconds(raw.column("created")),
            },
            source=_SOURCE,
            rows=raw.num_rows,
        )


def _root(first: str) -> str:
    return base_url(first)
