"""Choosing which rows get which defect, so that every defect lands on its own rows.

The rules (what makes the manifest exactly checkable):

* every order has at most one defective item (negative quantity, negative price, missing price, or an
  exact copy), and a missing price only ever hits an order with two or more lines, so no order's product
  total is all nulls;
* an order gets at most one order-level defect (missing customer, unknown status, total mismatch);
* exact copies and late updates of orders are only made of orders with no defect at all, and late updates
  only of orders whose status has a next status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

_Array = npt.NDArray[Any]


@dataclass(frozen=True)
class ItemPicks:
    """Indices (into the clean item rows) of each item defect."""

    negative_quantity: _Array
    negative_price: _Array
    missing_price: _Array
    exact_duplicates: _Array


@dataclass(frozen=True)
class OrderPicks:
    """Indices (into the clean order rows) of each order defect."""

    exact_duplicates: _Array
    late_updates: _Array
    missing_customer: _Array
    unknown_status: _Array
    total_mismatch: _Array


def pick_items(
    rng: np.random.Generator,
    lines: _Array,
    *,
    negative_quantity: int,
    negative_price: int,
    missing_price: int,
    exact_duplicates: int,
) -> ItemPicks:
    """One random line per order, orders in random order; hand out the item defects along that list."""
    n_orders = len(lines)
    first_line = np.concatenate([[0], np.cumsum(lines)[:-1]]).astype(np.int64)
    candidate = first_line + np.floor(rng.random(n_orders) * lines).astype(np.int64)
    order_perm = rng.permutation(n_orders)
    multi = order_perm[lines[order_perm] >= 2]
    missing = candidate[multi[:missing_price]]
    taken = np.zeros(n_orders, dtype=bool)
    taken[multi[:missing_price]] = True
    rest = candidate[order_perm[~taken[order_perm]]]
    cut = np.cumsum([negative_quantity, negative_price, exact_duplicates])
    return ItemPicks(
        negative_quantity=np.sort(rest[: cut[0]]),
        negative_price=np.sort(rest[cut[0] : cut[1]]),
        missing_price=np.sort(missing),
        exact_duplicates=np.sort(rest[cut[1] : cut[2]]),
    )


def pick_orders(
    rng: np.random.Generator,
    has_item_defect: _Array,
    can_advance: _Array,
    *,
    price_missing: _Array | None = None,
    exact_duplicates: int,
    late_updates: int,
    missing_customer: int,
    unknown_status: int,
    total_mismatch: int,
) -> OrderPicks:
    """Copies and late updates from defect-free orders; order-level defects from the rest, clean first."""
    clean = rng.permutation(np.flatnonzero(~has_item_defect))
    dirty = rng.permutation(np.flatnonzero(has_item_defect))
    late = clean[can_advance[clean]][:late_updates]
    is_late = np.zeros(len(has_item_defect), dtype=bool)
    is_late[late] = True
    clean = clean[~is_late[clean]]
    duplicates = clean[:exact_duplicates]
    rest = np.concatenate([clean[exact_duplicates:], dirty])
    # A wrong total is only visible where the items' total is known: never in an order missing a price.
    checkable = rest if price_missing is None else rest[~price_missing[rest]]
    mismatch = checkable[:total_mismatch]
    taken = np.zeros(len(has_item_defect), dtype=bool)
    taken[mismatch] = True
    rest = rest[~taken[rest]]
    cut = np.cumsum([missing_customer, unknown_status])
    return OrderPicks(
        exact_duplicates=np.sort(duplicates),
        late_updates=np.sort(late),
        missing_customer=np.sort(rest[: cut[0]]),
        unknown_status=np.sort(rest[cut[0] : cut[1]]),
        total_mismatch=np.sort(mismatch),
    )
