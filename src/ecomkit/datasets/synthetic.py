"""A deterministic, vectorized generator of realistic e-commerce data with injected, counted defects.

Customers follow a BG/NBD-like process (gamma-distributed purchase rates, a beta-distributed chance to
drop out after each purchase), spend follows a gamma-gamma-like per-customer scale, purchase times follow
a seasonal calendar (hour of day, day of week, a yearly wave, Black Friday and December), orders have a
geometric number of lines, and a defect injector adds duplicates, late updates, nulls, negative values,
unknown statuses and totals that don't add up — each on its own rows, and counted in a
:class:`DefectManifest`.

Example:
    >>> from ecomkit import datasets
    >>> data = datasets.synthetic(1_000, seed=7)
    >>> data.orders.num_rows == 1_000 + data.manifest.orders_exact_duplicates + data.manifest.orders_late_updates
    True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit import schema
from ecomkit.datasets import _behaviour, _calendar, _columns, _defects
from ecomkit.datasets._calendar import DAY_US, SECOND_US
from ecomkit.errors import ConfigError

__all__ = [
    "ORDER_STATUSES",
    "PAYMENT_METHODS",
    "DefectManifest",
    "Defects",
    "SyntheticData",
    "synthetic",
]

_Array = npt.NDArray[Any]

ORDER_STATUSES: tuple[str, ...] = (
    "created",
    "approved",
    "invoiced",
    "processing",
    "shipped",
    "delivered",
    "canceled",
    "unavailable",
)
"""The order statuses the generator writes (the Olist vocabulary); any other status is unknown."""
PAYMENT_METHODS: tuple[str, ...] = ("credit_card", "debit_card", "paypal", "bank_transfer", "voucher")
"""The payment methods the generator writes."""

_UNKNOWN_STATUSES = ("pending_review", "in_transit", "on_hold", "unknown")
# A late update moves an order one step on; delivered orders are canceled afterwards (a return).
_NEXT_STATUS = np.array([1, 2, 3, 4, 5, 6, -1, -1])
_SOURCE = "synthetic"
_MAX_ORDERS = 100_000_000
_CURRENCY = "USD"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST_NAMES = _words(
    "Ana Ben Carla David Emma Felipe Grace Hugo Iris Jack Kate Liam Maria Noah Olivia Paul Quinn Rosa "
    "Sam Tara Uma Victor Wendy Xavier Yara Zoe Lucas Mia Ethan Ava Leo Nora Omar Sofia Ivan Lena"
)
_LAST_NAMES = _words(
    "Smith Johnson Silva Brown Garcia Miller Davis Santos Wilson Moore Taylor Anderson Thomas Martin "
    "Lee Clark Lewis Walker Hall Young King Wright Lopez Hill Green Adams Baker Nelson Carter Mitchell"
)
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
# (city, state, first postal code, share of customers)
_CITIES = (
    ("New York", "NY", 10001, 0.16),
    ("Los Angeles", "CA", 90001, 0.12),
    ("Chicago", "IL", 60601, 0.08),
    ("Houston", "TX", 77001, 0.07),
    ("Phoenix", "AZ", 85001, 0.05),
    ("Philadelphia", "PA", 19101, 0.05),
    ("San Antonio", "TX", 78201, 0.04),
    ("San Diego", "CA", 92101, 0.04),
    ("Dallas", "TX", 75201, 0.04),
    ("Austin", "TX", 73301, 0.04),
    ("Seattle", "WA", 98101, 0.05),
    ("Denver", "CO", 80201, 0.04),
    ("Boston", "MA", 2108, 0.05),
    ("Miami", "FL", 33101, 0.05),
    ("Atlanta", "GA", 30301, 0.05),
    ("Portland", "OR", 97201, 0.03),
    ("Columbus", "OH", 43004, 0.04),
)


@dataclass(frozen=True)
class Defects:
    """How many defects to inject, as fractions of the clean orders (``orders_*``) or items (``items_*``).

    Counts are ``round(rate * clean rows)``; when the rows eligible for a defect run out (tiny data, huge
    rates), fewer are injected and the manifest says how many.

    Args:
        orders_exact_duplicates: extra identical copies of order rows.
        orders_late_updates: extra rows carrying a newer version of an order (later ``updated_at``, next
            status).
        orders_missing_customer: orders whose ``customer_id`` is null.
        orders_unknown_status: orders whose ``status`` is not in :data:`ORDER_STATUSES`.
        orders_total_mismatch: orders whose ``total_amount`` is more than 1.00 off their items' total.
        items_exact_duplicates: extra identical copies of item rows.
        items_negative_quantity: items with ``quantity < 0``.
        items_negative_price: items with ``unit_price < 0``.
        items_missing_price: items with a null ``unit_price``.

    Raises:
        ConfigError: a rate outside ``[0, 1]``, or the order (item) rates sum above 1.
    """

    orders_exact_duplicates: float = 0.01
    orders_late_updates: float = 0.01
    orders_missing_customer: float = 0.005
    orders_unknown_status: float = 0.005
    orders_total_mismatch: float = 0.01
    items_exact_duplicates: float = 0.01
    items_negative_quantity: float = 0.005
    items_negative_price: float = 0.005
    items_missing_price: float = 0.005

    def __post_init__(self) -> None:
        for name, rate in asdict(self).items():
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
                raise ConfigError(f"Defects.{name} must be a fraction in [0, 1]; got {rate!r}")
        for prefix in ("orders_", "items_"):
            total = sum(v for k, v in asdict(self).items() if k.startswith(prefix))
            if total > 1.0:
                raise ConfigError(f"Defects.{prefix}* rates must sum to at most 1; they sum to {total:g}")


@dataclass(frozen=True)
class DefectManifest:
    """What the generator injected: one count per defect, each on its own rows.

    Attributes:
        orders_exact_duplicates: extra identical copies of order rows.
        orders_late_updates: extra order rows that are a newer version of an existing order (same
            ``order_id`` and content except a later ``updated_at`` and a different, known status).
        orders_missing_customer: orders with a null ``customer_id``.
        orders_unknown_status: orders whose status is not in :data:`ORDER_STATUSES`.
        orders_total_mismatch: orders whose ``total_amount`` differs from their items'
            ``sum(quantity * unit_price) + sum(freight)`` by more than 0.01 (in fact by more than 1.00).
        items_exact_duplicates: extra identical copies of item rows.
        items_negative_quantity: items with ``quantity < 0``.
        items_negative_price: items with ``unit_price < 0``.
        items_missing_price: items with a null ``unit_price``.
    """

    orders_exact_duplicates: int = 0
    orders_late_updates: int = 0
    orders_missing_customer: int = 0
    orders_unknown_status: int = 0
    orders_total_mismatch: int = 0
    items_exact_duplicates: int = 0
    items_negative_quantity: int = 0
    items_negative_price: int = 0
    items_missing_price: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts by defect name (JSON-ready)."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, repr=False)
class SyntheticData:
    """The generated canonical tables and the manifest of injected defects.

    Attributes:
        orders: ``ORDERS`` rows (clean orders, their exact copies, then late updates at the end).
        order_items: ``ORDER_ITEMS`` rows.
        customers: ``CUSTOMERS`` rows, one per person who ordered.
        payments: ``PAYMENTS`` rows (one or two per order).
        products: ``PRODUCTS`` rows, the catalogue.
        manifest: what was injected.
    """

    orders: pa.Table
    order_items: pa.Table
    customers: pa.Table
    payments: pa.Table
    products: pa.Table
    manifest: DefectManifest

    @property
    def tables(self) -> Mapping[str, pa.Table]:
        """The five tables by canonical name (``orders``, ``order_items``, ``customers``, ...)."""
        return MappingProxyType(
            {
                "orders": self.orders,
                "order_items": self.order_items,
                "customers": self.customers,
                "payments": self.payments,
                "products": self.products,
            }
        )

    def __repr__(self) -> str:
        rows = ", ".join(f"{name}={table.num_rows} rows" for name, table in self.tables.items())
        return f"SyntheticData({rows}, manifest={self.manifest!r})"


def synthetic(
    n_orders: int,
    *,
    seed: int = 0,
    defects: Defects | None = Defects(),  # frozen, so sharing the default is safe
    start: dt.datetime = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc),
    end: dt.datetime = dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc),
) -> SyntheticData:
    """Generate ``n_orders`` distinct orders with their items, customers, payments and products.

    The same arguments always give identical tables. Every table has exactly its canonical schema from
    :mod:`ecomkit.schema`, ``source = "synthetic"`` and ``ingested_at`` one day after ``end``.

    Args:
        n_orders: how many distinct orders to generate (before duplicates and late updates).
        seed: the seed of ``numpy.random.default_rng``.
        defects: the defect rates to inject; ``None`` gives clean data and an all-zero manifest.
        start: the earliest purchase time (timezone-aware).
        end: the latest purchase time (timezone-aware).

    Returns:
        The tables and the :class:`DefectManifest`.

    Raises:
        ConfigError: ``n_orders`` negative, above 100 million or not an int, a naive ``start``/``end``, or ``start >= end``.

    Example:
        >>> data = synthetic(500, seed=1, defects=None)
        >>> data.orders.num_rows, sum(data.manifest.to_dict().values())
        (500, 0)
    """
    if isinstance(n_orders, bool) or not isinstance(n_orders, int | np.integer) or n_orders < 0:
        raise ConfigError(f"n_orders must be a non-negative int; got {n_orders!r}")
    if n_orders > _MAX_ORDERS:
        raise ConfigError(
            f"n_orders must be at most {_MAX_ORDERS:,} (one Arrow string array per column); got {n_orders:,}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a non-negative int; got {seed!r}")
    start_us, end_us = _epoch_us(start, "start"), _epoch_us(end, "end")
    if start_us >= end_us:
        raise ConfigError(f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    n = int(n_orders)
    rng = np.random.default_rng(int(seed))
    ingested_us = end_us + DAY_US
    if n == 0:
        return SyntheticData(
            orders=schema.empty("orders"),
            order_items=schema.empty("order_items"),
            customers=schema.empty("customers"),
            payments=schema.empty("payments"),
            products=schema.empty("products"),
            manifest=DefectManifest(),
        )

    calendar = _calendar.build(start_us, end_us)
    people = _behaviour.people(n, rng, calendar)
    order_customer, purchased = _behaviour.purchases(people, rng, calendar)
    life = _behaviour.lifecycle(purchased, rng, end_us)
    products = _behaviour.catalogue(n, rng)
    items = _behaviour.items(order_customer, people["spend"], products, rng)
    return _assemble(
        rng,
        people=people,
        order_customer=order_customer,
        life=life,
        products=products,
        items=items,
        defects=defects,
        ingested_us=ingested_us,
    )


def _epoch_us(value: dt.datetime, name: str) -> int:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ConfigError(
            f"{name} must be a timezone-aware datetime (e.g. tzinfo=timezone.utc); got {value!r}"
        )
    delta = value.astimezone(dt.timezone.utc) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def _count(rate: float, base: int) -> int:
    return math.floor(rate * base + 0.5)


def _assemble(
    rng: np.random.Generator,
    *,
    people: dict[str, _Array],
    order_customer: _Array,
    life: dict[str, _Array],
    products: dict[str, _Array],
    items: dict[str, _Array],
    defects: Defects | None,
    ingested_us: int,
) -> SyntheticData:
    """Inject the defects and build the five canonical tables."""
    n, item_order = len(order_customer), items["order"]
    rates = defects or Defects(**{f.name: 0.0 for f in fields(Defects)})
    quantity, unit_price, freight = items["quantity"].copy(), items["unit_price"].copy(), items["freight"]
    paid = np.round(_per_order(item_order, quantity * unit_price, n) + _per_order(item_order, freight, n), 2)

    n_items = len(item_order)
    item_picks = _defects.pick_items(
        rng,
        items["lines"],
        negative_quantity=_count(rates.items_negative_quantity, n_items),
        negative_price=_count(rates.items_negative_price, n_items),
        missing_price=_count(rates.items_missing_price, n_items),
        exact_duplicates=_count(rates.items_exact_duplicates, n_items),
    )
    quantity[item_picks.negative_quantity] *= -1
    unit_price[item_picks.negative_price] *= -1
    price_null = np.zeros(n_items, dtype=bool)
    price_null[item_picks.missing_price] = True
    has_item_defect = np.zeros(n, dtype=bool)
    for picked in (item_picks.negative_quantity, item_picks.negative_price, item_picks.missing_price):
        has_item_defect[item_order[picked]] = True
    has_item_defect[item_order[item_picks.exact_duplicates]] = True

    status = life["status"]
    order_picks = _defects.pick_orders(
        rng,
        has_item_defect,
        _NEXT_STATUS[status] >= 0,
        price_missing=np.isin(np.arange(n), item_order[item_picks.missing_price]),
        exact_duplicates=_count(rates.orders_exact_duplicates, n),
        late_updates=_count(rates.orders_late_updates, n),
        missing_customer=_count(rates.orders_missing_customer, n),
        unknown_status=_count(rates.orders_unknown_status, n),
        total_mismatch=_count(rates.orders_total_mismatch, n),
    )
    # A missing price hides a value the order total still includes, as in a real order feed.
    line_value = quantity * unit_price
    total = np.round(_per_order(item_order, line_value, n) + _per_order(item_order, freight, n), 2)
    wrong = order_picks.total_mismatch
    off = np.round(np.maximum(1.5, np.abs(total[wrong]) * rng.uniform(0.05, 0.3, len(wrong))), 2)
    down = (rng.random(len(wrong)) < 0.5) & (total[wrong] - off >= 0)
    total[wrong] = np.round(total[wrong] + np.where(down, -off, off), 2)
    shown_status = status.copy()
    shown_status[order_picks.unknown_status] = len(ORDER_STATUSES) + rng.integers(
        0, len(_UNKNOWN_STATUSES), len(order_picks.unknown_status)
    )
    customer_null = np.zeros(n, dtype=bool)
    customer_null[order_picks.missing_customer] = True

    ids = _columns.Ids(
        order=max(8, len(str(n))),
        customer=max(8, len(str(len(people["birth"])))),
        product=max(6, len(str(len(products["price"])))),
        seller=max(5, len(str(len(products["price"])))),
    )
    customer_rank = np.empty(len(people["birth"]), dtype=np.int64)
    customer_rank[np.argsort(people["birth"], kind="stable")] = np.arange(len(people["birth"]))

    late = order_picks.late_updates
    rows = np.concatenate([np.sort(np.concatenate([np.arange(n), order_picks.exact_duplicates])), late])
    late_status = _NEXT_STATUS[status[late]]
    room = np.minimum(14 * DAY_US, ingested_us - life["updated"][late] - 60 * SECOND_US)
    late_updated = (
        life["updated"][late] + 60 * SECOND_US + _behaviour.seconds(rng.random(len(late)) * room / SECOND_US)
    )
    late_updated = np.minimum(late_updated, ingested_us - SECOND_US)
    customer_of_row = _columns.strings(
        _columns.digits(customer_rank[order_customer][rows] + 1, ids.customer),
        prefix="CUS",
        null=customer_null[rows],
    )

    def ts(name: str) -> pa.Array:
        values = life[name][rows]
        null = life.get(f"{name}_null")
        return _columns.timestamps(values, None if null is None else null[rows])

    orders = _columns.table(
        schema.ORDERS,
        _SOURCE,
        ingested_us,
        order_id=ids.orders(rows),
        customer_id=customer_of_row,
        source_customer_id=customer_of_row,
        status=_columns.labels(
            np.concatenate([shown_status[rows[: len(rows) - len(late)]], late_status]),
            ORDER_STATUSES + _UNKNOWN_STATUSES,
        ),
        purchased_at=ts("purchased"),
        approved_at=ts("approved"),
        shipped_at=ts("shipped"),
        delivered_at=ts("delivered"),
        estimated_delivery_at=ts("estimated"),
        updated_at=_columns.timestamps(
            np.concatenate([life["updated"][rows[: len(rows) - len(late)]], late_updated])
        ),
        currency=_columns.constant(_CURRENCY, len(rows)),
        total_amount=pa.array(total[rows]),
    )

    item_rows = np.sort(np.concatenate([np.arange(n_items), item_picks.exact_duplicates]))
    product = items["product"][item_rows]
    order_items = _columns.table(
        schema.ORDER_ITEMS,
        _SOURCE,
        ingested_us,
        order_id=ids.orders(item_order[item_rows]),
        line_number=pa.array(items["line_number"][item_rows].astype(np.int32)),
        product_id=_columns.strings(_columns.digits(product + 1, ids.product), prefix="PRD"),
        seller_id=_columns.strings(
            _columns.digits(products["seller"][product] + 1, ids.seller), prefix="SEL"
        ),
        quantity=pa.array(quantity[item_rows].astype(np.int32)),
        unit_price=pa.array(unit_price[item_rows], mask=price_null[item_rows]),
        freight=pa.array(freight[item_rows]),
        shipping_limit_at=_columns.timestamps(life["shipping_limit"][item_order[item_rows]]),
    )

    manifest = DefectManifest(
        orders_exact_duplicates=len(order_picks.exact_duplicates),
        orders_late_updates=len(late),
        orders_missing_customer=len(order_picks.missing_customer),
        orders_unknown_status=len(order_picks.unknown_status),
        orders_total_mismatch=len(wrong),
        items_exact_duplicates=len(item_picks.exact_duplicates),
        items_negative_quantity=len(item_picks.negative_quantity),
        items_negative_price=len(item_picks.negative_price),
        items_missing_price=len(item_picks.missing_price),
    )
    return SyntheticData(
        orders=orders,
        order_items=order_items,
        customers=_customers(rng, people["birth"], ids, ingested_us),
        payments=_payments(rng, ids, paid, status, life["purchased"], ingested_us),
        products=_products(products, ids, ingested_us),
        manifest=manifest,
    )


def _customers(rng: np.random.Generator, birth: _Array, ids: _columns.Ids, ingested_us: int) -> pa.Table:
    """One row per person who ordered, numbered by first purchase."""
    n = len(birth)
    first_purchase = np.sort(birth)
    first = pa.array(_FIRST_NAMES).take(pa.array(rng.integers(0, len(_FIRST_NAMES), n)))
    last = pa.array(_LAST_NAMES).take(pa.array(rng.integers(0, len(_LAST_NAMES), n)))
    number = pa.array(np.arange(1, n + 1)).cast(pa.string())
    domain = pa.array(_DOMAINS).take(pa.array(rng.integers(0, len(_DOMAINS), n)))
    email = pc.binary_join_element_wise(
        pc.utf8_lower(first), ".", pc.utf8_lower(last), number, "@", domain, ""
    )
    email = pc.if_else(pa.array(rng.random(n) < 0.06), pa.scalar(None, pa.string()), email)
    share = np.array([c[3] for c in _CITIES])
    city = rng.choice(len(_CITIES), n, p=share / share.sum())
    postal = np.array([c[2] for c in _CITIES])[city] + rng.integers(0, 60, n)
    signed_up = np.where(rng.random(n) < 0.4, _behaviour.seconds(rng.uniform(0, 60 * 86_400, n)), 0)
    return _columns.table(
        schema.CUSTOMERS,
        _SOURCE,
        ingested_us,
        customer_id=_columns.strings(_columns.digits(np.arange(1, n + 1), ids.customer), prefix="CUS"),
        email=email,
        name=pc.binary_join_element_wise(first, last, " "),
        city=_columns.labels(city, tuple(c[0] for c in _CITIES)),
        state=_columns.labels(city, tuple(c[1] for c in _CITIES)),
        postal_code=pc.utf8_lpad(pa.array(postal).cast(pa.string()), width=5, padding="0"),
        country=_columns.constant("US", n),
        created_at=_columns.timestamps(first_purchase - signed_up),
    )


def _payments(
    rng: np.random.Generator,
    ids: _columns.Ids,
    paid: _Array,
    status: _Array,
    purchased: _Array,
    ingested_us: int,
) -> pa.Table:
    """One payment per order, or two (a voucher and the rest) for some; they add up to what was paid."""
    n = len(paid)
    method = rng.choice(len(PAYMENT_METHODS), n, p=[0.66, 0.12, 0.12, 0.06, 0.04])
    voucher = PAYMENT_METHODS.index("voucher")
    split = np.flatnonzero((rng.random(n) < 0.05) & (paid >= 2.0))
    method[split] = np.where(method[split] == voucher, PAYMENT_METHODS.index("credit_card"), method[split])
    part = np.round(paid[split] * rng.uniform(0.1, 0.5, len(split)), 2)
    order = np.concatenate([np.arange(n), split])
    sequence = np.concatenate([np.ones(n, dtype=np.int32), np.full(len(split), 2, dtype=np.int32)])
    amount = np.concatenate([paid, np.round(paid[split] - part, 2)])
    amount[split] = part
    kind = np.concatenate([method, method[split]])
    kind[split] = voucher
    rows = np.argsort(order, kind="stable")  # first parts come first in the concatenation
    order, sequence, amount, kind = order[rows], sequence[rows], amount[rows], kind[rows]
    card = kind == PAYMENT_METHODS.index("credit_card")
    installments = np.where(card, rng.choice(np.arange(1, 11), len(rows), p=_INSTALLMENTS), 1)
    state = np.select(
        [
            np.isin(status[order], (_behaviour.CANCELED, _behaviour.UNAVAILABLE)),
            status[order] == _behaviour.CREATED,
        ],
        [1, 2],
        0,
    )
    return _columns.table(
        schema.PAYMENTS,
        _SOURCE,
        ingested_us,
        payment_id=_columns.strings(
            _columns.digits(order + 1, ids.order),
            _columns.text("-", len(order)),
            _columns.digits(sequence, 1),
            prefix="ORD",
        ),
        order_id=ids.orders(order),
        sequence=pa.array(sequence),
        method=_columns.labels(kind, PAYMENT_METHODS),
        installments=pa.array(installments.astype(np.int32)),
        amount=pa.array(amount),
        currency=_columns.constant(_CURRENCY, len(rows)),
        status=_columns.labels(state, ("paid", "refunded", "pending")),
        created_at=_columns.timestamps(purchased[order] + sequence.astype(np.int64) * 30 * SECOND_US),
    )


_INSTALLMENTS = np.array([0.5, 0.12, 0.1, 0.06, 0.06, 0.04, 0.03, 0.03, 0.02, 0.04])


def _products(products: dict[str, _Array], ids: _columns.Ids, ingested_us: int) -> pa.Table:
    """The catalogue."""
    category = _columns.labels(products["category"], tuple(c[0] for c in _behaviour.CATEGORIES))
    number = pa.array(np.arange(1, len(products["price"]) + 1)).cast(pa.string())
    return _columns.table(
        schema.PRODUCTS,
        _SOURCE,
        ingested_us,
        product_id=_columns.strings(
            _columns.digits(np.arange(1, len(products["price"]) + 1), ids.product), prefix="PRD"
        ),
        name=pc.binary_join_element_wise(pc.utf8_capitalize(category), "item", number, " "),
        category=category,
        price=pa.array(products["price"]),
        weight_g=pa.array(products["weight"]),
        length_cm=pa.array(products["length"]),
        height_cm=pa.array(products["height"]),
        width_cm=pa.array(products["width"]),
    )


def _per_order(order: _Array, values: _Array, n: int) -> _Array:
    return np.bincount(order, weights=values, minlength=n)
