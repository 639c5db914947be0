"""Canonical Arrow schemas for e-commerce data, and :func:`unify` to map source layouts into them.

Every connector maps into these schemas and every later step reads them. Conventions, decided once:

* **Ids are strings.** ``order_id`` is the source system's id as text (Shopify's numeric ids too).
* **Timestamps are UTC**, ``timestamp[us, tz=UTC]``. Naive source timestamps are interpreted in the
  mapping's ``timezone`` (UTC unless told otherwise) and converted.
* **Money is ``float64`` in the currency's major unit** (``58.90`` BRL, not ``5890`` cents), next to a
  ``currency`` column (ISO 4217). Connectors convert minor units (Stripe) by the currency's exponent.
  ``float64`` is exact to the cent for any amount below 2**53 cents (about 90 trillion), every engine
  ecomkit talks to (numpy, DuckDB, PostgreSQL, Spark) computes on it natively, and the warehouse stores it
  as ``double precision``. Sums are rounded to the cent where they are reported.
* **The person is ``customer_id``.** For Olist that is ``customer_unique_id``; Olist's own per-order
  ``customer_id`` is kept as ``source_customer_id`` in ``ORDERS``.
* **Each ``ORDER_ITEMS`` row is one line** with a ``quantity``; Olist writes one row per unit, so its rows
  have ``quantity = 1`` and ``order_item_id`` becomes ``line_number`` (a sequence number, never a quantity).
* **Lineage:** every table ends with ``source`` (where the row came from, e.g. ``"olist"``,
  ``"shopify"``) and ``ingested_at`` (when ecomkit read it).

Example:
    >>> import pyarrow as pa
    >>> from ecomkit import schema
    >>> raw = pa.table({"order_id": ["A1"], "customer_id": ["c1"],
    ...                 "order_date": ["2024-05-01 10:00:00"], "total": ["19.90"]})
    >>> orders = schema.unify(raw, "generic.orders")
    >>> orders.schema.field("purchased_at").type
    TimestampType(timestamp[us, tz=UTC])
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, to_table
from ecomkit.errors import CastError, ConfigError, MissingColumnError

__all__ = [
    "CUSTOMERS",
    "MAPPINGS",
    "MONEY",
    "ORDERS",
    "ORDER_ITEMS",
    "PAYMENTS",
    "PRODUCTS",
    "REQUIRED",
    "SCHEMAS",
    "TIMESTAMP",
    "Mapping",
    "empty",
    "unify",
]

#: The timestamp type of every canonical time column.
TIMESTAMP = pa.timestamp("us", tz="UTC")
#: The type of every money column (major currency units).
MONEY = pa.float64()

_LINEAGE = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("ingested_at", TIMESTAMP, nullable=False),
]

#: One row per order. ``total_amount`` may be null where the source has none (Olist); metrics then
#: fill it from the items.
ORDERS = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("customer_id", pa.string()),
        pa.field("source_customer_id", pa.string()),
        pa.field("status", pa.string()),
        pa.field("purchased_at", TIMESTAMP),
        pa.field("approved_at", TIMESTAMP),
        pa.field("shipped_at", TIMESTAMP),
        pa.field("delivered_at", TIMESTAMP),
        pa.field("estimated_delivery_at", TIMESTAMP),
        pa.field("updated_at", TIMESTAMP),
        pa.field("currency", pa.string()),
        pa.field("total_amount", MONEY),
        *_LINEAGE,
    ]
)

#: One row per order line. ``unit_price`` and ``freight`` are per line; the line's value is
#: ``quantity * unit_price``.
ORDER_ITEMS = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("line_number", pa.int32(), nullable=False),
        pa.field("product_id", pa.string()),
        pa.field("seller_id", pa.string()),
        pa.field("quantity", pa.int32()),
        pa.field("unit_price", MONEY),
        pa.field("freight", MONEY),
        pa.field("shipping_limit_at", TIMESTAMP),
        *_LINEAGE,
    ]
)

#: One row per person.
CUSTOMERS = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("name", pa.string()),
        pa.field("city", pa.string()),
        pa.field("state", pa.string()),
        pa.field("postal_code", pa.string()),
        pa.field("country", pa.string()),
        pa.field("created_at", TIMESTAMP),
        *_LINEAGE,
    ]
)

#: One row per payment (an order may be paid in several parts).
PAYMENTS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("order_id", pa.string()),
        pa.field("sequence", pa.int32()),
        pa.field("method", pa.string()),
        pa.field("installments", pa.int32()),
        pa.field("amount", MONEY),
        pa.field("currency", pa.string()),
        pa.field("status", pa.string()),
        pa.field("created_at", TIMESTAMP),
        *_LINEAGE,
    ]
)

#: One row per product.
PRODUCTS = pa.schema(
    [
        pa.field("product_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("category", pa.string()),
        pa.field("price", MONEY),
        pa.field("weight_g", pa.float64()),
        pa.field("length_cm", pa.float64()),
        pa.field("height_cm", pa.float64()),
        pa.field("width_cm", pa.float64()),
        *_LINEAGE,
    ]
)

#: Columns a source must provide (directly or through a mapping default) for each canonical table.
#: Non-nullable fields (the row's identity) must also hold no nulls; the other required columns may hold
#: nulls, which validation rules then report and quarantine.
REQUIRED: MappingABC[str, frozenset[str]] = MappingProxyType(
    {
        "orders": frozenset({"order_id", "customer_id", "purchased_at"}),
        "order_items": frozenset({"order_id", "line_number", "quantity", "unit_price"}),
        "customers": frozenset({"customer_id"}),
        "payments": frozenset({"payment_id", "amount"}),
        "products": frozenset({"product_id"}),
    }
)

#: The canonical schemas by table name.
SCHEMAS: MappingABC[str, pa.Schema] = MappingProxyType(
    {
        "orders": ORDERS,
        "order_items": ORDER_ITEMS,
        "customers": CUSTOMERS,
        "payments": PAYMENTS,
        "products": PRODUCTS,
    }
)


@dataclass(frozen=True)
class Mapping:
    """How one source layout maps into one canonical schema.

    Args:
        target: the canonical table name (``"orders"``, ``"order_items"``, ...).
        columns: canonical column -> source column. Canonical columns not named here are taken from a
            source column of the same name when there is one, else from ``defaults``, else null.
        defaults: canonical column -> constant used when the source has no such column.
        source: the lineage value written to ``source`` unless the table already has one.
        timezone: the zone naive source timestamps are in (an IANA name such as ``"America/Sao_Paulo"``).
    """

    target: str
    columns: MappingABC[str, str] = field(default_factory=dict)
    defaults: MappingABC[str, object] = field(default_factory=dict)
    source: str = "unknown"
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.target not in SCHEMAS:
            raise ConfigError(f"Mapping.target must be one of {sorted(SCHEMAS)}; got {self.target!r}")
        unknown = (set(self.columns) | set(self.defaults)) - set(SCHEMAS[self.target].names)
        if unknown:
            raise ConfigError(
                f"Mapping for {self.target!r} names columns not in the canonical schema: {sorted(unknown)}"
            )
        for column, value in self.defaults.items():
            kind = SCHEMAS[self.target].field(column).type
            try:
                pa.scalar(value, type=kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                raise ConfigError(
                    f"Mapping default for {column!r} must be a {kind} value; got {value!r}"
                ) from None
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"Mapping.timezone must be an IANA zone name such as 'America/Sao_Paulo'; got {self.timezone!r}"
            ) from None

    @property
    def schema(self) -> pa.Schema:
        """The canonical schema this mapping produces."""
        return SCHEMAS[self.target]


_OLIST_TZ = "America/Sao_Paulo"

#: Built-in mappings, by name: ``"<layout>.<table>"``. ``olist.*`` expect the Olist CSV headers (for
#: ``olist.orders`` joined with ``customer_unique_id``, as :func:`ecomkit.connectors.files.read_olist`
#: does); ``generic.*`` accept common export headers; ``canonical.*`` check and cast a table that already
#: uses the canonical names.
MAPPINGS: MappingABC[str, Mapping] = MappingProxyType(
    {
        "olist.orders": Mapping(
            "orders",
            columns={
                "customer_id": "customer_unique_id",
                "source_customer_id": "customer_id",
                "status": "order_status",
                "purchased_at": "order_purchase_timestamp",
                "approved_at": "order_approved_at",
                "shipped_at": "order_delivered_carrier_date",
                "delivered_at": "order_delivered_customer_date",
                "estimated_delivery_at": "order_estimated_delivery_date",
            },
            defaults={"currency": "BRL"},
            source="olist",
            timezone=_OLIST_TZ,
        ),
        "olist.order_items": Mapping(
            "order_items",
            columns={
                "line_number": "order_item_id",
                "unit_price": "price",
                "freight": "freight_value",
                "shipping_limit_at": "shipping_limit_date",
            },
            defaults={"quantity": 1},
            source="olist",
            timezone=_OLIST_TZ,
        ),
        "olist.customers": Mapping(
            "customers",
            columns={
                "customer_id": "customer_unique_id",
                "city": "customer_city",
                "state": "customer_state",
                "postal_code": "customer_zip_code_prefix",
            },
            defaults={"country": "BR"},
            source="olist",
            timezone=_OLIST_TZ,
        ),
        "olist.payments": Mapping(
            "payments",
            columns={
                "sequence": "payment_sequential",
                "method": "payment_type",
                "installments": "payment_installments",
                "amount": "payment_value",
            },
            defaults={"currency": "BRL"},
            source="olist",
            timezone=_OLIST_TZ,
        ),
        "olist.products": Mapping(
            "products",
            columns={
                "category": "product_category_name",
                "weight_g": "product_weight_g",
                "length_cm": "product_length_cm",
                "height_cm": "product_height_cm",
                "width_cm": "product_width_cm",
            },
            source="olist",
            timezone=_OLIST_TZ,
        ),
        "generic.orders": Mapping(
            "orders",
            columns={"purchased_at": "order_date", "total_amount": "total"},
            source="csv",
        ),
        "generic.order_items": Mapping(
            "order_items",
            columns={"line_number": "line", "unit_price": "price"},
            defaults={"quantity": 1},
            source="csv",
        ),
        "generic.customers": Mapping("customers", source="csv"),
        "generic.payments": Mapping("payments", columns={"method": "payment_method"}, source="csv"),
        "generic.products": Mapping("products", source="csv"),
        **{f"canonical.{name}": Mapping(name, source="unknown") for name in SCHEMAS},
    }
)


def empty(name: str) -> pa.Table:
    """An empty table with the canonical schema ``name``."""
    try:
        return SCHEMAS[name].empty_table()
    except KeyError:
        raise ConfigError(f"unknown canonical table {name!r}; expected one of {sorted(SCHEMAS)}") from None


def unify(
    table: TableLike,
    mapping: Mapping | str,
    *,
    source: str | None = None,
    ingested_at: dt.datetime | None = None,
) -> pa.Table:
    """Map a source table into its canonical schema.

    Columns are renamed by ``mapping``, cast to the canonical types (text to numbers and timestamps,
    naive timestamps from ``mapping.timezone`` to UTC), missing optional columns are added as nulls and
    the lineage columns are filled. Extra source columns are dropped.

    Args:
        table: the source table (Arrow, or anything with ``__arrow_c_stream__``).
        mapping: a :class:`Mapping` or the name of a built-in one in :data:`MAPPINGS`.
        source: lineage value; overrides ``mapping.source`` (an existing ``source`` column wins over both).
        ingested_at: lineage timestamp; defaults to now (UTC). A naive datetime is taken as UTC.

    Returns:
        A table with exactly the canonical schema, columns in canonical order.

    Raises:
        MissingColumnError: a required (non-nullable) column has no source column and no default.
        CastError: a value cannot be cast; the message names the column and one bad value.
        ConfigError: an unknown mapping name.
    """
    if isinstance(mapping, str):
        try:
            mapping = MAPPINGS[mapping]
        except KeyError:
            raise ConfigError(
                f"unknown mapping {mapping!r}; built-in mappings are {sorted(MAPPINGS)}"
            ) from None
    data = to_table(table)
    target = mapping.schema
    n = data.num_rows
    now = ingested_at or dt.datetime.now(dt.timezone.utc)
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for fld in target:
        source_name = mapping.columns.get(fld.name, fld.name)
        if source_name in data.column_names:
            column = _cast(data.column(source_name), fld.type, name=source_name, timezone=mapping.timezone)
        elif fld.name in mapping.defaults:
            column = pa.repeat(pa.scalar(mapping.defaults[fld.name], type=fld.type), n)
        elif fld.name == "source":
            column = pa.repeat(pa.scalar(source or mapping.source, type=pa.string()), n)
        elif fld.name == "ingested_at":
            column = pa.repeat(pa.scalar(now, type=TIMESTAMP), n)
        elif not fld.nullable or fld.name in REQUIRED[mapping.target]:
            raise MissingColumnError(source_name, data.column_names, what=f"{mapping.target} source table")
        else:
            column = pa.nulls(n, type=fld.type)
        if not fld.nullable and column.null_count:
            bad_row = pc.index(pc.is_null(column), True).as_py()
            raise CastError(
                source_name,
                None,
                f"non-null {fld.type} (row {bad_row} is null)",
                count=column.null_count,
            )
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=target)


_BAD_VALUE = re.compile(r"Failed to parse string: '(.*?)'")
_ARROW_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
# Brazil and others start DST at midnight, so a date there can name a wall time that never happened;
# such a time is read as the transition instant ("latest"), never as a microsecond before it.
_ZONE_SUFFIX = r"\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$"
_DST = {"ambiguous": "earliest", "nonexistent": "latest"}


def _cast(array: pa.ChunkedArray, target: pa.DataType, *, name: str, timezone: str) -> pa.ChunkedArray:
    """Cast one column to ``target``; raise :class:`CastError` naming the column and a bad value."""
    if array.type == target:
        return array
    if pa.types.is_null(array.type):
        return pa.chunked_array([pa.nulls(len(array), type=target)])
    try:
        return _convert(array, target, timezone=timezone)
    except CastError as exc:  # a refused type, raised before the column name was known
        raise CastError(name, exc.value, exc.target) from None
    except _ARROW_CAST_ERRORS as exc:
        row = _first_bad(array, target, timezone=timezone)
        if row is None:  # no single value fails on its own: report what Arrow said
            found = _BAD_VALUE.search(str(exc))
            raise CastError(name, found.group(1) if found else _first_valid(array), str(target)) from None
        what = (
            f"{target} (row {row})" if isinstance(exc, pa.ArrowInvalid) else f"{target} (from {array.type})"
        )
        raise CastError(name, array[row].as_py(), what) from None


def _convert(array: pa.ChunkedArray, target: pa.DataType, *, timezone: str) -> pa.ChunkedArray:
    """The conversion itself; raises pyarrow's errors (or :class:`CastError` for a refused type)."""
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.string())  # polars hands over string_view; kernels want plain strings
    if pa.types.is_string(array.type) and not pa.types.is_string(target):
        array = pc.utf8_trim_whitespace(array)  # " 19.90" is 19.90, a blank field is null
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    if pa.types.is_timestamp(target):
        return _to_utc(array, target, timezone=timezone)
    if pa.types.is_string(target) and pa.types.is_floating(array.type):
        raise CastError("", _first_valid(array), f"{target} (ids must not be floats)")
    return array.cast(target)


def _to_utc(array: pa.ChunkedArray, target: pa.DataType, *, timezone: str) -> pa.ChunkedArray:
    """Timestamps, dates and text to UTC: aware values convert, naive ones are read in ``timezone``."""
    unit = target.unit
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:
            array = pc.assume_timezone(array.cast(pa.timestamp(unit)), timezone, **_DST)
        return array.cast(target)
    if pa.types.is_date(array.type):
        return pc.assume_timezone(array.cast(pa.timestamp(unit)), timezone, **_DST).cast(target)
    if pa.types.is_string(array.type):
        # Values with an offset (or Z) keep their instant; naive ones are wall time in ``timezone``.
        # Decided up front: a failed Arrow cast costs more than the whole regex pass.
        has_zone = pc.match_substring_regex(array, _ZONE_SUFFIX)
        zoned = pc.sum(has_zone).as_py() or 0
        if zoned == len(array) - array.null_count:
            return array.cast(target)
        if zoned == 0:
            return pc.assume_timezone(array.cast(pa.timestamp(unit)), timezone, **_DST).cast(target)
        no_text = pa.scalar(None, pa.string())
        aware = pc.if_else(has_zone, array, no_text).cast(target)
        naive = pc.if_else(has_zone, no_text, array).cast(pa.timestamp(unit))
        local = pc.assume_timezone(naive, timezone, **_DST).cast(target)
        return pc.if_else(has_zone, aware, local)
    # Numbers are not timestamps: Arrow would read them as epoch microseconds whatever they mean.
    raise pa.ArrowNotImplementedError(f"Unsupported cast from {array.type} to {target}")


def _first_bad(array: pa.ChunkedArray, target: pa.DataType, *, timezone: str) -> int | None:
    """The row of the first value that does not convert (bisection: O(n) work, only on failure)."""
    start, size = 0, len(array)
    while size > 1:
        half = size // 2
        try:
            _convert(array.slice(start, half), target, timezone=timezone)
        except (*_ARROW_CAST_ERRORS, CastError):
            size = half
        else:
            start, size = start + half, size - half
    if size == 1:
        try:
            _convert(array.slice(start, 1), target, timezone=timezone)
        except (*_ARROW_CAST_ERRORS, CastError):
            return start
    return None


def _first_valid(array: pa.ChunkedArray) -> object:
    valid = array.drop_null()
    return valid[0].as_py() if len(valid) else None
