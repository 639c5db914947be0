"""Read CSV and Parquet files into Arrow, optionally unified into the canonical schema, and the Olist dataset.

The generic readers stream (``read_*_batches`` yield ``pyarrow.RecordBatch`` es of at most
``batch_size`` rows, memory O(batch)) or collect (``read_csv`` / ``read_parquet`` return a
``pyarrow.Table``). With ``mapping=`` (a :class:`ecomkit.schema.Mapping` or the name of a built-in one)
the result is passed through :func:`ecomkit.schema.unify`.

Example:
    >>> from ecomkit.connectors import files
    >>> tables = files.read_olist("data/olist")  # doctest: +SKIP
    >>> tables["orders"].num_rows  # doctest: +SKIP
    99441
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Sequence
from collections.abc import Mapping as MappingABC
from contextlib import contextmanager
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecomkit import schema
from ecomkit.errors import CastError, ConfigError, ConnectorError, MissingColumnError, SourceDataError
from ecomkit.schema import TIMESTAMP, Mapping, _to_utc, unify

__all__ = [
    "OLIST_REVIEWS",
    "OLIST_SELLERS",
    "read_csv",
    "read_csv_batches",
    "read_olist",
    "read_parquet",
    "read_parquet_batches",
]

_PathLike: TypeAlias = "str | os.PathLike[str]"
_ColumnTypes: TypeAlias = "pa.Schema | MappingABC[str, pa.DataType]"

_LINEAGE = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("ingested_at", TIMESTAMP, nullable=False),
]

#: Olist reviews as :func:`read_olist` returns them: one row per row of the reviews file (a review may
#: cover several orders and an order may have several reviews). ``created_at`` is the day the survey was
#: sent (midnight São Paulo, in UTC), ``answered_at`` when the customer answered.
OLIST_REVIEWS = pa.schema(
    [
        pa.field("review_id", pa.string(), nullable=False),
        pa.field("order_id", pa.string()),
        pa.field("score", pa.int32()),
        pa.field("comment_title", pa.string()),
        pa.field("comment_message", pa.string()),
        pa.field("created_at", TIMESTAMP),
        pa.field("answered_at", TIMESTAMP),
        *_LINEAGE,
    ]
)

#: Olist sellers as :func:`read_olist` returns them: one row per seller.
OLIST_SELLERS = pa.schema(
    [
        pa.field("seller_id", pa.string(), nullable=False),
        pa.field("city", pa.string()),
        pa.field("state", pa.string()),
        pa.field("postal_code", pa.string()),
        pa.field("country", pa.string()),
        *_LINEAGE,
    ]
)

_DEFAULT_BATCH = 65_536
_COMPRESSED = frozenset({".gz", ".bz2", ".zst", ".lz4", ".br"})
_BLOCK_SIZE = 4 << 20  # bytes of CSV parsed at a time by the streaming reader
# Columns read as text without a mapping: ids, zip/postal codes, phone numbers and SKUs keep their
# leading zeros and are never mistaken for numbers.
_ID_LIKE = re.compile(r"(?i:^id$|_ids?$|zip|postal|postcode|phone|sku)|[a-z0-9](Id|ID)s?$")
_CSV_COLUMN = re.compile(r"In CSV column #(\d+): CSV conversion error to (.+?): invalid value '(.*)'", re.S)
_INCLUDE_MISSING = re.compile(r"Column '(.*)' in include_columns does not exist")


# --------------------------------------------------------------------------------------------- CSV


def read_csv(
    path: _PathLike,
    *,
    mapping: Mapping | str | None = None,
    schema: _ColumnTypes | None = None,
    columns: Sequence[str] | None = None,
    delimiter: str = ",",
    quote_char: str = '"',
    encoding: str = "utf8",
    null_values: Sequence[str] = ("",),
    newlines_in_values: bool = False,
    source: str | None = None,
    ingested_at: dt.datetime | None = None,
) -> pa.Table:
    """Read a whole CSV file (multi-threaded) into a table, optionally unified into a canonical schema.

    Without ``mapping`` column types are inferred, except that id-like columns (``id``, ``*_id``,
    ``*Id``, and names containing ``zip``, ``postal``, ``postcode``, ``phone`` or ``sku``) are read as
    text. With ``mapping`` every column is read as text and :func:`ecomkit.schema.unify` casts it, so a
    bad value is reported with its canonical column. Only empty fields are null (``null_values``).

    Args:
        path: the CSV file (``.gz``/``.bz2``/``.zst`` are decompressed by extension).
        mapping: a ``Mapping`` or a built-in mapping name such as ``"generic.orders"``.
        schema: explicit source column types; they win over inference and text-for-ids. Every column
            named must exist in the file.
        columns: read only these source columns (each must exist). Default: all (with a mapping, the
            columns the mapping uses).
        delimiter: the field separator.
        quote_char: the quoting character.
        encoding: the file's text encoding (a UTF-8 byte-order mark is skipped).
        null_values: field values read as null.
        newlines_in_values: allow line breaks inside quoted values (slower; needed for free text).
        source: lineage value for ``unify`` (default: the mapping's).
        ingested_at: lineage timestamp for ``unify`` (default: now).

    Returns:
        The table; with ``mapping``, exactly the canonical schema.

    Raises:
        ConnectorError: the file does not exist or cannot be opened (names the path).
        MissingColumnError: a column named in ``schema``/``columns`` or required by ``mapping`` is absent.
        CastError: a value cannot be converted (names the column and the value).
        SourceDataError: the file is not well-formed CSV (e.g. a row with too many fields).

    Example:
        >>> orders = read_csv("orders.csv", mapping="generic.orders")  # doctest: +SKIP
    """
    file = _existing(path)
    opts = _csv_options(
        file,
        mapping=mapping,
        types=schema,
        columns=columns,
        delimiter=delimiter,
        quote_char=quote_char,
        encoding=encoding,
        null_values=null_values,
        newlines_in_values=newlines_in_values,
    )
    with _csv_errors(file, opts.names):
        table = pacsv.read_csv(
            file, read_options=opts.read, parse_options=opts.parse, convert_options=opts.convert
        )
    if mapping is None:
        return table
    return unify(table, mapping, source=source, ingested_at=ingested_at)


def read_csv_batches(
    path: _PathLike,
    *,
    mapping: Mapping | str | None = None,
    schema: _ColumnTypes | None = None,
    columns: Sequence[str] | None = None,
    batch_size: int = _DEFAULT_BATCH,
    delimiter: str = ",",
    quote_char: str = '"',
    encoding: str = "utf8",
    null_values: Sequence[str] = ("",),
    newlines_in_values: bool = False,
    source: str | None = None,
    ingested_at: dt.datetime | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a CSV file as record batches of at most ``batch_size`` rows (memory O(batch)).

    Takes the same options as :func:`read_csv`; every batch has the same schema. Without a mapping, types
    are inferred from the first block of the file, so a later value that does not fit raises
    :class:`~ecomkit.errors.CastError` (pass ``schema=`` to fix types up front). With a mapping, every
    batch carries the same ``ingested_at``.

    Raises:
        ConnectorError: the file does not exist or cannot be opened.
        ConfigError: ``batch_size`` is not positive.
        MissingColumnError: see :func:`read_csv`.
        CastError: see :func:`read_csv`.
        SourceDataError: see :func:`read_csv`.
    """
    _check_batch_size(batch_size)
    file = _existing(path)
    opts = _csv_options(
        file,
        mapping=mapping,
        types=schema,
        columns=columns,
        delimiter=delimiter,
        quote_char=quote_char,
        encoding=encoding,
        null_values=null_values,
        newlines_in_values=newlines_in_values,
    )
    return _stream(_csv_blocks(file, opts), mapping, batch_size, source=source, ingested_at=ingested_at)


class _CsvOptions:
    __slots__ = ("convert", "names", "parse", "read")

    def __init__(
        self,
        read: pacsv.ReadOptions,
        parse: pacsv.ParseOptions,
        convert: pacsv.ConvertOptions,
        names: list[str],
    ) -> None:
        self.read = read
        self.parse = parse
        self.convert = convert
        self.names = names


def _csv_options(
    file: Path,
    *,
    mapping: Mapping | str | None,
    types: _ColumnTypes | None,
    columns: Sequence[str] | None,
    delimiter: str,
    quote_char: str,
    encoding: str,
    null_values: Sequence[str],
    newlines_in_values: bool,
) -> _CsvOptions:
    read = pacsv.ReadOptions(encoding=encoding, block_size=_BLOCK_SIZE)
    parse = pacsv.ParseOptions(
        delimiter=delimiter, quote_char=quote_char, newlines_in_values=newlines_in_values
    )
    names = _header(file, read, parse)
    explicit = (
        dict(zip(types.names, types.types, strict=True))
        if isinstance(types, pa.Schema)
        else dict(types or {})
    )
    for name in [*explicit, *(columns or ())]:
        if name not in names:
            raise MissingColumnError(name, names, what=f"CSV file {str(file)!r}")
    target = _resolve(mapping)
    include = list(columns) if columns is not None else []
    if target is not None:
        if columns is None:
            include = _used_by(target, names)
        column_types = {n: pa.string() for n in (include or names)}
    else:
        column_types = {n: pa.string() for n in names if _ID_LIKE.search(n)}
    column_types.update(explicit)
    convert = pacsv.ConvertOptions(
        column_types=column_types,
        include_columns=include,
        null_values=list(null_values),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    return _CsvOptions(read, parse, convert, names)


def _header(file: Path, read: pacsv.ReadOptions, parse: pacsv.ParseOptions) -> list[str]:
    """The column names of a CSV file, parsed with the same options as the data."""
    with _csv_errors(file, []), pacsv.open_csv(file, read_options=read, parse_options=parse) as reader:
        return list(reader.schema.names)


def _csv_blocks(file: Path, opts: _CsvOptions) -> Iterator[pa.RecordBatch]:
    # pyarrow's streaming reader reads dozens of blocks ahead of the consumer. From a memory map those
    # blocks are views of the page cache; read from a stream they would be copies in Arrow memory.
    # Compressed files must be streamed through the decompressor.
    mapped = file.suffix.lower() not in _COMPRESSED
    with _csv_errors(file, opts.names), pa.memory_map(str(file)) if mapped else pa.input_stream(file) as data:
        reader = pacsv.open_csv(
            data, read_options=opts.read, parse_options=opts.parse, convert_options=opts.convert
        )
        with reader:
            yield from reader


@contextmanager
def _csv_errors(file: Path, names: Sequence[str]) -> Iterator[None]:
    """Turn pyarrow's CSV errors into ecomkit errors naming the file, column and value."""
    try:
        yield
    except pa.ArrowKeyError as exc:
        missing = _INCLUDE_MISSING.search(str(exc))
        if missing:
            raise MissingColumnError(missing.group(1), list(names), what=f"CSV file {str(file)!r}") from None
        raise SourceDataError(f"cannot read CSV file {str(file)!r}: {exc}") from exc
    except pa.ArrowInvalid as exc:
        bad = _CSV_COLUMN.search(str(exc))
        if bad:
            index = int(bad.group(1))
            column = names[index] if index < len(names) else f"#{index}"
            raise CastError(column, bad.group(3), f"{bad.group(2)} (in {str(file)!r})") from None
        raise SourceDataError(f"malformed CSV file {str(file)!r}: {exc}") from exc
    except OSError as exc:
        raise ConnectorError(f"cannot read CSV file {str(file)!r}: {exc}") from exc


# ----------------------------------------------------------------------------------------- Parquet


def read_parquet(
    path: _PathLike,
    *,
    mapping: Mapping | str | None = None,
    columns: Sequence[str] | None = None,
    source: str | None = None,
    ingested_at: dt.datetime | None = None,
) -> pa.Table:
    """Read a Parquet file into a table, optionally unified into a canonical schema.

    Args:
        path: the Parquet file.
        mapping: a ``Mapping`` or a built-in mapping name; the result then has the canonical schema.
        columns: read only these source columns (each must exist). Default: all (with a mapping, only
            the columns the mapping uses).
        source: lineage value for ``unify`` (default: the mapping's).
        ingested_at: lineage timestamp for ``unify`` (default: now).

    Returns:
        The table.

    Raises:
        ConnectorError: the file does not exist or is not a Parquet file (names the path).
        MissingColumnError: a column in ``columns`` or a column the mapping requires is absent.
        CastError: a value cannot be cast to its canonical type.

    Example:
        >>> items = read_parquet("items.parquet", mapping="generic.order_items")  # doctest: +SKIP
    """
    file = _existing(path)
    with _parquet_errors(file):
        selected = _parquet_columns(file, pq.read_schema(file), mapping, columns)
        table = pq.read_table(file, columns=selected)
    if mapping is None:
        return table
    return unify(table, mapping, source=source, ingested_at=ingested_at)


def read_parquet_batches(
    path: _PathLike,
    *,
    mapping: Mapping | str | None = None,
    columns: Sequence[str] | None = None,
    batch_size: int = _DEFAULT_BATCH,
    source: str | None = None,
    ingested_at: dt.datetime | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet file as record batches of at most ``batch_size`` rows (memory O(batch)).

    Takes the same options as :func:`read_parquet`; with a mapping, every batch carries the same
    ``ingested_at``.

    Raises:
        ConnectorError: the file does not exist or is not a Parquet file.
        ConfigError: ``batch_size`` is not positive.
        MissingColumnError: see :func:`read_parquet`.
        CastError: see :func:`read_parquet`.
    """
    _check_batch_size(batch_size)
    file = _existing(path)
    with _parquet_errors(file):
        selected = _parquet_columns(file, pq.read_schema(file), mapping, columns)
    return _stream(
        _parquet_blocks(file, selected, batch_size),
        mapping,
        batch_size,
        source=source,
        ingested_at=ingested_at,
    )


def _parquet_blocks(file: Path, columns: list[str] | None, batch_size: int) -> Iterator[pa.RecordBatch]:
    with _parquet_errors(file), pq.ParquetFile(file) as parquet:
        yield from parquet.iter_batches(batch_size=batch_size, columns=columns)


def _parquet_columns(
    file: Path, file_schema: pa.Schema, mapping: Mapping | str | None, columns: Sequence[str] | None
) -> list[str] | None:
    names = list(file_schema.names)
    if columns is not None:
        for name in columns:
            if name not in names:
                raise MissingColumnError(name, names, what=f"Parquet file {str(file)!r}")
        return list(columns)
    target = _resolve(mapping)
    if target is None:
        return None
    return _used_by(target, names)


@contextmanager
def _parquet_errors(file: Path) -> Iterator[None]:
    try:
        yield
    except (pa.ArrowInvalid, OSError) as exc:
        raise ConnectorError(f"cannot read Parquet file {str(file)!r}: {exc}") from exc


# ---------------------------------------------------------------------------------------- shared


def _existing(path: _PathLike) -> Path:
    file = Path(path)
    if not file.exists():
        raise ConnectorError(f"no such file: {str(file)!r}")
    if file.is_dir():
        raise ConnectorError(f"expected a file, got a directory: {str(file)!r}")
    return file


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ConfigError(f"batch_size must be a positive number of rows; got {batch_size}")


def _resolve(mapping: Mapping | str | None) -> Mapping | None:
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    try:
        return schema.MAPPINGS[mapping]
    except KeyError:
        raise ConfigError(
            f"unknown mapping {mapping!r}; built-in mappings are {sorted(schema.MAPPINGS)}"
        ) from None


def _used_by(mapping: Mapping, names: Sequence[str]) -> list[str]:
    """The source columns among ``names`` (in their order) that ``mapping`` reads."""
    used = {mapping.columns.get(f.name, f.name) for f in mapping.schema}
    return [n for n in names if n in used]


def _stream(
    blocks: Iterator[pa.RecordBatch],
    mapping: Mapping | str | None,
    batch_size: int,
    *,
    source: str | None,
    ingested_at: dt.datetime | None,
) -> Iterator[pa.RecordBatch]:
    """Unify each block (when mapped) and cut it into batches of at most ``batch_size`` rows."""
    now = ingested_at or dt.datetime.now(dt.timezone.utc)
    for block in blocks:
        parts = unify(block, mapping, source=source, ingested_at=now).to_batches() if mapping else [block]
        for part in parts:
            for offset in range(0, part.num_rows, batch_size):
                yield part.slice(offset, batch_size)


# ------------------------------------------------------------------------------------------ Olist

_OLIST_TZ = "America/Sao_Paulo"
_S = pa.string()
_TS = pa.timestamp("s")  # Olist writes naive São Paulo wall time to the second
_OLIST: dict[str, tuple[str, dict[str, pa.DataType]]] = {
    "orders": (
        "olist_orders_dataset.csv",
        {
            "order_id": _S,
            "customer_id": _S,
            "order_status": _S,
            "order_purchase_timestamp": _TS,
            "order_approved_at": _TS,
            "order_delivered_carrier_date": _TS,
            "order_delivered_customer_date": _TS,
            "order_estimated_delivery_date": _TS,
        },
    ),
    "order_items": (
        "olist_order_items_dataset.csv",
        {
            "order_id": _S,
            "order_item_id": pa.int32(),
            "product_id": _S,
            "seller_id": _S,
            "shipping_limit_date": _TS,
            "price": pa.float64(),
            "freight_value": pa.float64(),
        },
    ),
    "customers": (
        "olist_customers_dataset.csv",
        {
            "customer_id": _S,
            "customer_unique_id": _S,
            "customer_zip_code_prefix": _S,
            "customer_city": _S,
            "customer_state": _S,
        },
    ),
    "payments": (
        "olist_order_payments_dataset.csv",
        {
            "order_id": _S,
            "payment_sequential": pa.int32(),
            "payment_type": _S,
            "payment_installments": pa.int32(),
            "payment_value": pa.float64(),
        },
    ),
    "reviews": (
        "olist_order_reviews_dataset.csv",
        {
            "review_id": _S,
            "order_id": _S,
            "review_score": pa.int32(),
            "review_comment_title": _S,
            "review_comment_message": _S,
            "review_creation_date": _TS,
            "review_answer_timestamp": _TS,
        },
    ),
    "products": (
        "olist_products_dataset.csv",
        {
            "product_id": _S,
            "product_category_name": _S,
            "product_weight_g": pa.float64(),
            "product_length_cm": pa.float64(),
            "product_height_cm": pa.float64(),
            "product_width_cm": pa.float64(),
        },
    ),
    "sellers": (
        "olist_sellers_dataset.csv",
        {"seller_id": _S, "seller_zip_code_prefix": _S, "seller_city": _S, "seller_state": _S},
    ),
    "translation": (
        "product_category_name_translation.csv",
        {"product_category_name": _S, "product_category_name_english": _S},
    ),
}


def read_olist(folder: _PathLike, *, ingested_at: dt.datetime | None = None) -> dict[str, pa.Table]:
    """Read the eight Olist CSV files into canonical tables.

    Semantics (see the "Files and Olist" guide): the person is ``customer_unique_id``. ``orders`` get
    ``customer_id = customer_unique_id`` (through the customers file) and keep Olist's per-order id as
    ``source_customer_id``; ``customers`` has one row per person, taken from the customers row of the
    person's latest order; every ``order_items`` row is one unit (``quantity = 1``,
    ``line_number = order_item_id``); ``payment_id = order_id + "-" + payment_sequential``; products carry
    the English category name (the Portuguese one where the translation file has none). Naive São Paulo
    timestamps become UTC.

    Args:
        folder: the folder holding the Olist files under their published names
            (``olist_orders_dataset.csv``, ..., ``product_category_name_translation.csv``).
        ingested_at: the lineage timestamp of every table (default: now).

    Returns:
        ``{"orders", "order_items", "customers", "payments", "products"}`` in the canonical schemas, plus
        ``"reviews"`` (:data:`OLIST_REVIEWS`) and ``"sellers"`` (:data:`OLIST_SELLERS`).

    Raises:
        ConnectorError: the folder or one of the eight files is missing (names every missing file).
        MissingColumnError: a file lacks a column ecomkit reads (names the column and file).
        CastError: a value does not fit its type (names the column and value).

    Example:
        >>> tables = read_olist("data/olist")  # doctest: +SKIP
        >>> tables["orders"].column("customer_id")[0]  # doctest: +SKIP
        <pyarrow.StringScalar: '6f19cd82c9d4d5b80bd8fbd24e600576'>
    """
    root = Path(folder)
    if not root.is_dir():
        raise ConnectorError(f"the Olist folder {str(root)!r} does not exist or is not a folder")
    missing = [name for name, _ in _OLIST.values() if not (root / name).is_file()]
    if missing:
        raise ConnectorError(f"the Olist folder {str(root)!r} lacks {', '.join(missing)}")
    raw = {
        key: read_csv(root / name, schema=types, columns=list(types), newlines_in_values=key == "reviews")
        for key, (name, types) in _OLIST.items()
    }
    now = ingested_at or dt.datetime.now(dt.timezone.utc)

    def canonical(table: pa.Table, name: str) -> pa.Table:
        return unify(table, f"olist.{name}", ingested_at=now)

    orders, customers = raw["orders"], raw["customers"]
    person = _lookup(orders["customer_id"], customers["customer_id"], customers["customer_unique_id"])
    payments = raw["payments"]
    payment_id = pc.binary_join_element_wise(
        payments["order_id"], payments["payment_sequential"].cast(pa.string()), "-"
    )
    products = raw["products"]
    translation = raw["translation"]
    english = _lookup(
        products["product_category_name"],
        translation["product_category_name"],
        translation["product_category_name_english"],
    )
    category = pc.coalesce(english, products["product_category_name"])
    return {
        "orders": canonical(orders.append_column("customer_unique_id", person), "orders"),
        "order_items": canonical(raw["order_items"], "order_items"),
        "customers": canonical(_latest_customer_rows(customers, orders), "customers"),
        "payments": canonical(payments.append_column("payment_id", payment_id), "payments"),
        "products": canonical(
            products.set_column(
                products.schema.get_field_index("product_category_name"), "product_category_name", category
            ),
            "products",
        ),
        "reviews": _reviews(raw["reviews"], now),
        "sellers": _sellers(raw["sellers"], now),
    }


def _lookup(keys: pa.ChunkedArray, index: pa.ChunkedArray, values: pa.ChunkedArray) -> pa.ChunkedArray:
    """``values`` at the first position where ``index`` equals each key (null where there is none)."""
    positions = pc.index_in(keys, value_set=index.combine_chunks())
    return values.combine_chunks().take(positions)


def _latest_customer_rows(customers: pa.Table, orders: pa.Table) -> pa.Table:
    """One customers row per ``customer_unique_id``: the row of the person's latest order.

    Ties (and persons without any order in the orders file) are broken by Olist's ``customer_id``, so
    the choice is deterministic.
    """
    purchased = _lookup(customers["customer_id"], orders["customer_id"], orders["order_purchase_timestamp"])
    ranked = customers.append_column("_purchased", purchased).sort_by(
        [("customer_unique_id", "ascending"), ("_purchased", "descending"), ("customer_id", "ascending")]
    )
    person = ranked["customer_unique_id"].combine_chunks()
    if len(person) == 0:
        return ranked.drop_columns(["_purchased"])
    first = pa.concat_arrays([pa.array([True]), pc.not_equal(person[1:], person[:-1]).fill_null(True)])
    return ranked.filter(first).drop_columns(["_purchased"])


def _reviews(raw: pa.Table, now: dt.datetime) -> pa.Table:
    n = raw.num_rows
    arrays: list[pa.Array | pa.ChunkedArray] = [
        raw["review_id"],
        raw["order_id"],
        raw["review_score"],
        raw["review_comment_title"],
        raw["review_comment_message"],
        _to_utc(raw["review_creation_date"], TIMESTAMP, timezone=_OLIST_TZ),
        _to_utc(raw["review_answer_timestamp"], TIMESTAMP, timezone=_OLIST_TZ),
        pa.repeat(pa.scalar("olist"), n),
        pa.repeat(pa.scalar(now, type=TIMESTAMP), n),
    ]
    return _typed(arrays, OLIST_REVIEWS)


def _sellers(raw: pa.Table, now: dt.datetime) -> pa.Table:
    n = raw.num_rows
    arrays: list[pa.Array | pa.ChunkedArray] = [
        raw["seller_id"],
        raw["seller_city"],
        raw["seller_state"],
        raw["seller_zip_code_prefix"],
        pa.repeat(pa.scalar("BR"), n),
        pa.repeat(pa.scalar("olist"), n),
        pa.repeat(pa.scalar(now, type=TIMESTAMP), n),
    ]
    return _typed(arrays, OLIST_SELLERS)


def _typed(arrays: list[pa.Array | pa.ChunkedArray], target: pa.Schema) -> pa.Table:
    """Build a table of ``target``, refusing nulls in its non-nullable columns."""
    for fld, column in zip(target, arrays, strict=True):
        if not fld.nullable and column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise CastError(
                fld.name, None, f"non-null {fld.type} (row {row} is null)", count=column.null_count
            )
    return pa.Table.from_arrays(arrays, schema=target)
