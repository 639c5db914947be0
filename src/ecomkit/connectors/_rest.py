"""Shared machinery of the REST sources (private): JSON pages to canonical Arrow, and watermarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit import schema
from ecomkit.connectors.http import Page
from ecomkit.connectors.state import JSONValue
from ecomkit.errors import SourceDataError, StateError
from ecomkit.resilience import Breaker, Policy, RateLimit, Retry

UTC = dt.timezone.utc


def default_policy(per_second: int, name: str) -> Policy:
    """A source's default resilience: retries, ``per_second`` requests a second and a breaker, named ``name``."""
    return Policy(retry=Retry(), rate_limit=RateLimit(per_second, 1.0, name=name), breaker=Breaker(name=name))


def page_batch(page: Page) -> pa.RecordBatch:
    """The batch of a page requested with a schema."""
    if page.batch is None:  # pragma: no cover - the sources always pass a schema
        raise SourceDataError(f"page {page.number} was not decoded to Arrow")
    return page.batch


def field(array: pa.Array, *path: str) -> pa.Array:
    """A (nested) struct field, null where any parent is null."""
    for name in path:
        array = pc.struct_field(array, name)
    return array


def first_item(lists: pa.Array) -> pa.Array:
    """The first element of each list; null for a null or empty list (a product without variants)."""
    lengths = pc.fill_null(pc.list_value_length(lists), 0)
    safe = pc.if_else(pc.greater(lengths, 0), lists, pa.scalar([None], lists.type))
    return pc.list_element(safe, 0)


def as_text(array: pa.Array) -> pa.Array:
    """Ids as text (Shopify's and WooCommerce's ids are numbers)."""
    return array if pa.types.is_string(array.type) else array.cast(pa.string())


def full_name(first: pa.Array, last: pa.Array) -> pa.Array:
    """``first last`` with a missing part left out (both missing: empty text)."""
    joined = pc.binary_join_element_wise(pc.fill_null(first, ""), pc.fill_null(last, ""), " ")
    return pc.utf8_trim_whitespace(joined)


def as_money(array: pa.Array) -> pa.Array:
    """Decimal strings or numbers as float64 (blank text is null)."""
    if pa.types.is_string(array.type):
        try:
            return array.cast(pa.float64())  # the common case: every value is a plain number
        except pa.ArrowInvalid:
            pass
        array = pc.if_else(pc.equal(pc.utf8_trim_whitespace(array), ""), pa.scalar(None, pa.string()), array)
    return array.cast(pa.float64())


def epoch_seconds(array: pa.Array) -> pa.Array:
    """Unix seconds (Stripe's ``created``) as UTC timestamps."""
    return array.cast(pa.int64()).cast(pa.timestamp("s", tz="UTC")).cast(schema.TIMESTAMP)


def canonical(name: str, columns: Mapping[str, pa.Array], *, source: str, rows: int) -> pa.RecordBatch:
    """A canonical batch from columns named as in the canonical schema.

    The connectors hand over columns already in their canonical types, so the batch is assembled
    directly (nulls for absent columns, lineage filled); anything else goes through
    :func:`ecomkit.schema.unify`, which casts and raises the typed errors.
    """
    target = schema.SCHEMAS[name]
    arrays: list[pa.Array] = []
    for fld in target:
        column = columns.get(fld.name)
        if column is None:
            if fld.name == "source":
                column = pa.repeat(pa.scalar(source, pa.string()), rows)
            elif fld.name == "ingested_at":
                column = pa.repeat(pa.scalar(dt.datetime.now(UTC), schema.TIMESTAMP), rows)
            elif not fld.nullable:
                return _unify(name, columns, source=source)
            else:
                column = pa.nulls(rows, fld.type)
        elif (
            not isinstance(column, pa.Array)
            or column.type != fld.type
            or len(column) != rows
            or (not fld.nullable and column.null_count)
        ):
            return _unify(name, columns, source=source)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _unify(name: str, columns: Mapping[str, pa.Array], *, source: str) -> pa.RecordBatch:
    target = schema.SCHEMAS[name]
    table = pa.table({k: v for k, v in columns.items() if k in target.names})
    unified = schema.unify(table, f"canonical.{name}", source=source).combine_chunks()
    if unified.num_rows == 0:
        return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in target], schema=target)
    return unified.to_batches()[0]


def explode_items(order_ids: pa.Array, items: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Flatten a list<struct> column: (order id per line, 1-based line number, the line structs)."""
    flat = pc.list_flatten(items)
    parents = pc.list_parent_indices(items)
    offsets = items.offsets.to_numpy(zero_copy_only=False)
    parent_np = parents.to_numpy(zero_copy_only=False).astype(np.int64)
    starts = offsets[:-1][parent_np] if len(parent_np) else np.zeros(0, dtype=np.int64)
    line = np.arange(len(parent_np), dtype=np.int64) + offsets[0] - starts + 1
    return pc.take(order_ids, parents), pa.array(line.astype(np.int32)), flat


@dataclass(frozen=True)
class Watermark:
    """The newest cursor value handed on, and the ids that share exactly that value.

    A record is new when its cursor is above ``value``, or equal to it with an id not in ``ids`` —
    so records that share a timestamp across a page or run boundary are delivered exactly once.
    """

    value: dt.datetime | None = None
    ids: frozenset[str] = frozenset()

    @classmethod
    def load(cls, raw: JSONValue, *, key: str) -> Watermark:
        if raw is None:
            return cls()
        try:
            assert isinstance(raw, dict)
            value = dt.datetime.fromisoformat(str(raw["value"]))
            ids = frozenset(str(i) for i in raw.get("ids", []))
        except (AssertionError, KeyError, ValueError, TypeError):
            raise StateError(f"state key {key!r} does not hold a watermark: {raw!r}") from None
        return cls(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC), ids)

    def dump(self) -> JSONValue:
        if self.value is None:
            return None
        return {"value": self.value.isoformat(), "ids": sorted(self.ids)}

    def keep(self, times: pa.Array, ids: pa.Array) -> pa.Array:
        """Mask of the records that are new (null cursors are kept: they cannot be placed)."""
        if self.value is None:
            return pa.array(np.ones(len(times), dtype=bool))
        bound = pa.scalar(self.value, type=times.type)
        newer = pc.greater(times, bound)
        same_unseen = pc.and_(
            pc.equal(times, bound),
            pc.invert(pc.is_in(ids, value_set=pa.array(sorted(self.ids), pa.string()))),
        )
        return pc.fill_null(pc.or_(newer, same_unseen), True)

    def advance(self, times: pa.Array, ids: pa.Array) -> Watermark:
        """The watermark after the records (``times``, ``ids``) were handed on."""
        top = pc.max(times).as_py()
        if top is None or (self.value is not None and top < self.value):
            return self
        at_top = pc.filter(ids, pc.fill_null(pc.equal(times, pa.scalar(top, type=times.type)), False))
        new_ids = frozenset(at_top.to_pylist())
        if self.value is not None and top == self.value:
            new_ids |= self.ids
        return Watermark(top, new_ids)


def utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """A ``since=`` value as an aware UTC datetime (naive values are read as UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Sync:
    """One incremental stream's progress: filter what was already handed on, commit after hand-over."""

    def __init__(self, state: Any, key: str, since: dt.datetime | str | None) -> None:
        self.state = state
        self.key = key
        self.wm = Watermark.load(state.get(key), key=key)
        start = utc(since)
        if start is not None and (self.wm.value is None or start > self.wm.value):
            self.wm = Watermark(start)

    @property
    def lower_bound(self) -> dt.datetime | None:
        """The smallest cursor value still wanted (inclusive)."""
        return self.wm.value

    def select(
        self, raw: pa.RecordBatch, times: pa.Array, ids: pa.Array
    ) -> tuple[pa.RecordBatch, pa.Array, pa.Array]:
        """The new records of a page."""
        mask = self.wm.keep(times, ids)
        return raw.filter(mask), times.filter(mask), ids.filter(mask)

    def commit(self, times: pa.Array, ids: pa.Array) -> None:
        """Advance past records the consumer has taken, durably."""
        advanced = self.wm.advance(times, ids)
        if advanced != self.wm:
            self.state.set(self.key, advanced.dump())
            self.wm = advanced


@dataclass(frozen=True)
class OrderPage:
    """One page of orders read in a single pass: canonical ``orders`` and their ``items``."""

    orders: pa.RecordBatch
    items: pa.RecordBatch


def base_url(first: str, *, default_suffix: str = "") -> str:
    """A full base URL from a store domain (``https://`` added) or a full URL (kept)."""
    text = first.strip().rstrip("/")
    if text.startswith(("http://", "https://")):
        return text
    return f"https://{text}{default_suffix}"
