"""How the synthetic shop behaves: customers, purchase times, order life cycles, the catalogue, order lines.

Everything is drawn in bulk from one ``numpy.random.Generator``; the parameters are documented in
``docs/guide/datasets.md``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ecomkit.datasets import _calendar
from ecomkit.datasets._calendar import DAY_US, HOUR_US, SECOND_US

_Array = npt.NDArray[Any]

# Status codes: positions in ecomkit.datasets.synthetic.ORDER_STATUSES.
CREATED, APPROVED, INVOICED, PROCESSING, SHIPPED, DELIVERED, CANCELED, UNAVAILABLE = range(8)

# Customer behaviour (documented in docs/guide/datasets.md).
_RATE_SHAPE, _RATE_SCALE_DAYS = 0.6, 150.0  # purchase rate per day ~ Gamma(r, 1/alpha): mean 1.5 a year
_DROPOUT_A, _DROPOUT_B = 1.2, 3.5  # chance to drop out after each purchase ~ Beta(a, b)
_SPEND_SHAPE = 2.0  # per-customer spend scale ~ Gamma(q, 1/q), mean 1
_TARGET_PRICE = 45.0  # median price a spend scale of 1 aims at
_LINES_P = 0.6  # lines per order ~ Geometric(p): 60 % single-line orders
_QUANTITY_P = 0.82  # quantity ~ Geometric(p): 82 % of lines have quantity 1
_POPULAR_SHARE = 0.15  # share of lines that pick a best-seller regardless of the customer's spend

# (category, median price, median weight in grams, share of the catalogue)
CATEGORIES = (
    ("electronics", 120.0, 900.0, 0.08),
    ("computers", 450.0, 2500.0, 0.03),
    ("phones", 280.0, 350.0, 0.04),
    ("home", 55.0, 1500.0, 0.1),
    ("furniture", 190.0, 9000.0, 0.05),
    ("kitchen", 40.0, 1200.0, 0.08),
    ("garden", 50.0, 2500.0, 0.05),
    ("toys", 28.0, 600.0, 0.07),
    ("books", 16.0, 450.0, 0.08),
    ("beauty", 24.0, 250.0, 0.08),
    ("health", 30.0, 300.0, 0.06),
    ("sports", 65.0, 1400.0, 0.07),
    ("fashion", 45.0, 400.0, 0.08),
    ("shoes", 75.0, 900.0, 0.04),
    ("watches", 140.0, 200.0, 0.03),
    ("pets", 26.0, 1800.0, 0.03),
    ("stationery", 9.0, 150.0, 0.03),
)


def people(n: int, rng: np.random.Generator, calendar: _calendar.Calendar) -> dict[str, _Array]:
    """Draw customers until their purchases reach ``n``; keep just enough, trimming the last one."""
    batches: list[dict[str, _Array]] = []
    have, size = 0, max(16, math.ceil(n / 2.0))
    while have < n:
        birth = calendar.acquisition_time(rng.uniform(0.0, calendar.acquisition_total, size))
        rate = rng.gamma(_RATE_SHAPE, 1.0 / _RATE_SCALE_DAYS, size)
        dropout = rng.beta(_DROPOUT_A, _DROPOUT_B, size)
        base = calendar.seasonal_at(birth)
        exposure = calendar.seasonal_total - base
        arrivals = rng.poisson(rate * exposure)  # repeat purchases a forever-alive customer would make
        alive_for = rng.geometric(dropout) - 1  # repeat purchases before dropping out
        repeats = np.minimum(arrivals, alive_for)
        batch = {
            "birth": birth,
            "base": base,
            "exposure": exposure,
            "arrivals": arrivals,
            "repeats": repeats,
            "spend": rng.gamma(_SPEND_SHAPE, 1.0 / _SPEND_SHAPE, size),
        }
        batches.append(batch)
        have += int(repeats.sum()) + size
        mean = have / sum(len(b["birth"]) for b in batches)
        size = max(16, math.ceil((n - have) / mean * 1.1))
    people = {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}
    orders = np.cumsum(people["repeats"] + 1)
    keep = int(np.searchsorted(orders, n)) + 1
    people = {key: value[:keep] for key, value in people.items()}
    people["repeats"][-1] -= int(orders[keep - 1]) - n
    return people


def purchases(
    people: dict[str, _Array], rng: np.random.Generator, calendar: _calendar.Calendar
) -> tuple[_Array, _Array]:
    """Order times: the first purchase at birth, the repeats as the first order statistics of the
    customer's seasonal Poisson arrivals. Returns (customer index, purchased_at µs), sorted by time."""
    repeats = people["repeats"]
    n_customers = len(repeats)
    owner = np.repeat(np.arange(n_customers), repeats)
    # The first k of N sorted uniforms are partial sums of exponentials over a total of N + 1 of them.
    steps = np.cumsum(rng.standard_exponential(len(owner)))
    group_start = np.cumsum(repeats) - repeats
    before = np.concatenate([[0.0], steps])[group_start]
    partial = steps - np.repeat(before, repeats)
    last = np.zeros(n_customers)
    has = repeats > 0
    last[has] = partial[np.cumsum(repeats)[has] - 1]
    total = last + rng.gamma(np.maximum(people["arrivals"] - repeats, 0) + 1.0)
    fraction = partial / np.repeat(total, repeats)
    base = people["base"]
    when = calendar.seasonal_time(
        np.repeat(base, repeats) + fraction * np.repeat(people["exposure"], repeats)
    )
    customer = np.concatenate([np.arange(n_customers), owner])
    purchased = np.concatenate([people["birth"], when])
    order = np.argsort(purchased, kind="stable")
    return customer[order], purchased[order]


def within(counts: _Array) -> _Array:
    """Positions inside each group for groups of the given sizes: [0..c0-1, 0..c1-1, ...]."""
    positions: _Array = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return positions


def seconds(values: _Array) -> _Array:
    """Durations in seconds (floats) to whole-second microseconds, at least one second."""
    return np.maximum(1, np.round(values)).astype(np.int64) * SECOND_US


def lifecycle(purchased: _Array, rng: np.random.Generator, end_us: int) -> dict[str, _Array]:
    """Status and event times per order: approval, shipping and delivery as far as ``end`` allows."""
    n = len(purchased)
    fate = rng.random(n)
    canceled, unavailable = fate < 0.02, (fate >= 0.02) & (fate < 0.025)
    approved = purchased + seconds(rng.lognormal(np.log(20 * 60), 1.0, n))
    shipped = approved + seconds(rng.lognormal(np.log(2 * 86_400), 0.5, n))
    delivered = shipped + seconds(rng.lognormal(np.log(6 * 86_400), 0.45, n))
    estimated = purchased - purchased % DAY_US + rng.integers(10, 31, n) * DAY_US
    reached = [
        delivered <= end_us,
        shipped <= end_us,
        approved + DAY_US <= end_us,
        approved + 6 * HOUR_US <= end_us,
        approved <= end_us,
    ]
    status = np.select(reached, [DELIVERED, SHIPPED, PROCESSING, INVOICED, APPROVED], CREATED)
    updated = np.select(
        reached, [delivered, shipped, approved + DAY_US, approved + 6 * HOUR_US, approved], purchased
    )
    stopped = canceled | unavailable
    kept_approval = (unavailable | (rng.random(n) < 0.6)) & (approved <= end_us)
    decided_from = np.where(kept_approval, approved, purchased)
    decided = np.minimum(decided_from + seconds(rng.lognormal(np.log(86_400), 1.0, n)), end_us)
    status[canceled] = CANCELED
    status[unavailable] = UNAVAILABLE
    updated = np.where(stopped, decided, updated)
    return {
        "purchased": purchased,
        "status": status.astype(np.int64),
        "approved": approved,
        "approved_null": (status == CREATED) | (stopped & ~kept_approval),
        "shipped": shipped,
        "shipped_null": (status != SHIPPED) & (status != DELIVERED),
        "delivered": delivered,
        "delivered_null": status != DELIVERED,
        "estimated": estimated,
        "updated": updated,
        "shipping_limit": purchased + rng.integers(2, 6, n) * DAY_US,
    }


def catalogue(n_orders: int, rng: np.random.Generator) -> dict[str, _Array]:
    """Products with a category, a lognormal price and weight, dimensions, a seller and a popularity."""
    n = int(np.clip(n_orders // 25, 50, 30_000))
    median_price = np.array([c[1] for c in CATEGORIES])
    median_weight = np.array([c[2] for c in CATEGORIES])
    share = np.array([c[3] for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), n, p=share / share.sum())
    price = np.floor(rng.lognormal(np.log(median_price[category]), 0.55)) + 0.99
    weight = np.maximum(50.0, np.round(rng.lognormal(np.log(median_weight[category]), 0.6)))
    volume = weight * rng.lognormal(np.log(4.0), 0.5, n)  # cm3
    length = np.maximum(5.0, np.round(np.cbrt(volume) * rng.lognormal(0.3, 0.2, n)))
    width = np.maximum(2.0, np.round(np.cbrt(volume) * rng.lognormal(0.0, 0.2, n)))
    height = np.maximum(1.0, np.round(volume / (length * width)))
    popularity = 1.0 / (rng.permutation(n) + 10.0) ** 1.1
    by_price = np.argsort(price, kind="stable")
    return {
        "category": category,
        "price": price,
        "weight": weight,
        "length": length,
        "width": width,
        "height": height,
        "seller": rng.integers(0, int(np.clip(n // 8, 5, 3_000)), n),
        "popularity": popularity / popularity.sum(),
        "by_price": by_price,
        "sorted_price": price[by_price],
    }


def items(
    order_customer: _Array, spend: _Array, products: dict[str, _Array], rng: np.random.Generator
) -> dict[str, _Array]:
    """Order lines: a geometric number per order; products near the customer's price level or a
    best-seller; quantities mostly 1; occasional discounts; freight by weight and quantity."""
    n = len(order_customer)
    lines = np.minimum(rng.geometric(_LINES_P, n), 12)
    order = np.repeat(np.arange(n), lines)
    k = len(order)
    n_products = len(products["price"])
    target = spend[order_customer][order] * _TARGET_PRICE * rng.lognormal(0.0, 0.6, k)
    near = products["by_price"][np.minimum(np.searchsorted(products["sorted_price"], target), n_products - 1)]
    product = near
    popular = np.flatnonzero(rng.random(k) < _POPULAR_SHARE)
    product[popular] = rng.choice(n_products, len(popular), p=products["popularity"])
    quantity = np.minimum(rng.geometric(_QUANTITY_P, k), 10)
    discount = rng.choice(np.array([0.0, 0.1, 0.15, 0.2, 0.3]), k, p=[0.82, 0.06, 0.04, 0.05, 0.03])
    unit_price = np.maximum(0.01, np.round(products["price"][product] * (1.0 - discount), 2))
    weight_kg = products["weight"][product] / 1000.0
    bulk = 1.0 + 0.35 * (quantity - 1)
    freight = np.round((3.9 + 1.8 * weight_kg) * bulk * rng.uniform(0.85, 1.15, k), 2)
    return {
        "lines": lines,
        "order": order,
        "line_number": within(lines) + 1,
        "product": product,
        "quantity": quantity,
        "unit_price": unit_price,
        "freight": freight,
    }
