"""Typed, frozen specs of a time-series warehouse: tables, hypertables, policies, continuous aggregates.

A spec says *what* the warehouse holds; :mod:`ecomkit.warehouse.timescale.emit` turns it into SQL for
TimescaleDB, plain PostgreSQL or DuckDB. Every spec validates itself when built and raises
:class:`~ecomkit.errors.SpecError` naming the field at fault, so a bad spec fails in Python, not halfway
through a migration.

Intervals are PostgreSQL interval strings (``"7 days"``, ``"1 hour"``, ``"3 years"``) or
:class:`datetime.timedelta` values; they are parsed and normalized when the spec is built.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from ecomkit.errors import SpecError

__all__ = [
    "AggregateFunction",
    "Column",
    "Compression",
    "ContinuousAggregate",
    "Hypertable",
    "Index",
    "Measure",
    "ReaderRole",
    "RefreshPolicy",
    "Reorder",
    "Retention",
    "Table",
    "Warehouse",
    "parse_interval",
]

_UNITS_US = {
    "microsecond": 1,
    "millisecond": 1_000,
    "second": 1_000_000,
    "minute": 60_000_000,
    "hour": 3_600_000_000,
    "day": 86_400_000_000,
    "week": 7 * 86_400_000_000,
}
_UNITS_MONTHS = {"month": 1, "year": 12}
_ALIASES = {
    "us": "microsecond",
    "ms": "millisecond",
    "s": "second",
    "sec": "second",
    "secs": "second",
    "m": "minute",
    "min": "minute",
    "mins": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "d": "day",
    "w": "week",
    "mon": "month",
    "mons": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
}
_PART = re.compile(r"\s*(\d+)\s*([a-z]+)\s*", re.IGNORECASE)
_DAY_US = _UNITS_US["day"]


@dataclass(frozen=True, order=True)
class _Interval:
    months: int
    micros: int

    @property
    def approx_us(self) -> int:
        """Length with a month taken as 30 days (for ordering checks only)."""
        return self.months * 30 * _DAY_US + self.micros

    def sql(self) -> str:
        parts: list[str] = []
        years, months = divmod(self.months, 12)
        if years:
            parts.append(f"{years} year{'s' if years != 1 else ''}")
        if months:
            parts.append(f"{months} month{'s' if months != 1 else ''}")
        rest = self.micros
        for unit in ("day", "hour", "minute", "second", "millisecond", "microsecond"):
            size = _UNITS_US[unit]
            count, rest = divmod(rest, size)
            if count:
                parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
        return " ".join(parts)


def parse_interval(value: str | dt.timedelta, *, field_name: str = "interval") -> str:
    """Parse and normalize an interval (``"7 days"``, ``"1h"``, ``timedelta(hours=1)``) to PostgreSQL text.

    Args:
        value: a positive interval: whole numbers followed by a unit (microseconds through years),
            optionally several (``"1 day 12 hours"``), or a ``timedelta``.
        field_name: the spec field, named in the error.

    Returns:
        The canonical interval text, e.g. ``"7 days"``.

    Raises:
        SpecError: the value does not parse or is not positive.

    Example:
        >>> parse_interval("10 min")
        '10 minutes'
    """
    return _interval(value, field_name).sql()


def _interval(value: str | dt.timedelta, field_name: str) -> _Interval:
    if isinstance(value, dt.timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        result = _Interval(0, micros)
    elif isinstance(value, str):
        text = value.strip().lower()
        months = micros = 0
        pos = 0
        while pos < len(text):
            match = _PART.match(text, pos)
            if match is None:
                raise SpecError(f"{field_name}: cannot parse interval {value!r} (try '7 days' or '1 hour')")
            count, unit = int(match.group(1)), match.group(2)
            unit = _ALIASES.get(unit) or (unit[:-1] if unit.endswith("s") else unit)
            if unit in _UNITS_US:
                micros += count * _UNITS_US[unit]
            elif unit in _UNITS_MONTHS:
                months += count * _UNITS_MONTHS[unit]
            else:
                raise SpecError(f"{field_name}: unknown interval unit {match.group(2)!r} in {value!r}")
            pos = match.end()
        result = _Interval(months, micros)
    else:
        raise SpecError(f"{field_name} must be an interval string or timedelta; got {type(value).__name__}")
    if result.months < 0 or result.micros < 0 or (result.months == 0 and result.micros == 0):
        raise SpecError(f"{field_name} must be a positive interval; got {value!r}")
    return result


def _is_multiple(child: _Interval, parent: _Interval) -> bool:
    """Whether buckets of width ``child`` are whole multiples of buckets of width ``parent``."""
    if parent.months:
        return child.micros == 0 and child.months % parent.months == 0 and child.months > parent.months
    if child.months:
        # a calendar month is a whole number of days: the parent must divide a day
        return child.micros == 0 and _DAY_US % parent.micros == 0
    return child.micros % parent.micros == 0 and child.micros > parent.micros


def _name(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not value or "\x00" in value:
        raise SpecError(f"{field_name} must be a non-empty name without NUL characters; got {value!r}")
    if len(value.encode()) > 63:
        raise SpecError(f"{field_name} {value!r} is longer than PostgreSQL's 63-byte identifier limit")
    return value


def _names(values: Iterable[str] | str, field_name: str) -> tuple[str, ...]:
    items = (values,) if isinstance(values, str) else tuple(values)
    return tuple(_name(v, field_name) for v in items)


_ORDER_ITEM = re.compile(
    r"^(?P<col>.+?)(?:\s+(?P<dir>asc|desc))?(?:\s+nulls\s+(?P<nulls>first|last))?$", re.I
)


def _split_order(item: str) -> tuple[str, str]:
    """``"purchased_at DESC"`` -> (``"purchased_at"``, ``" DESC"``)."""
    match = _ORDER_ITEM.match(item.strip())
    if match is None:  # pragma: no cover - the pattern matches any non-empty text
        raise SpecError(f"cannot parse ordering {item!r}")
    suffix = ""
    if match.group("dir"):
        suffix += f" {match.group('dir').upper()}"
    if match.group("nulls"):
        suffix += f" NULLS {match.group('nulls').upper()}"
    return match.group("col"), suffix


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Column:
    """One column: its name, Arrow type (mapped per target) and nullability.

    Args:
        name: the column name (any text; it is always quoted in SQL).
        type: the Arrow type, e.g. ``pa.string()``, ``ecomkit.schema.TIMESTAMP``.
        nullable: whether the column accepts nulls.
    """

    name: str
    type: pa.DataType
    nullable: bool = True

    def __post_init__(self) -> None:
        _name(self.name, "Column.name")
        if not isinstance(self.type, pa.DataType):
            raise SpecError(f"Column.type of {self.name!r} must be a pyarrow DataType; got {self.type!r}")


@dataclass(frozen=True)
class Hypertable:
    """Make a table a TimescaleDB hypertable partitioned by time.

    Args:
        time_column: the partitioning time column (``timestamptz``), made NOT NULL.
        chunk_interval: the time range of one chunk, e.g. ``"7 days"``.
        space_column: an optional column to hash-partition by as well.
        space_partitions: the number of hash partitions of ``space_column``.
        create_default_indexes: let TimescaleDB create its default time index (the other targets get an
            equivalent ``(time_column DESC)`` index).
    """

    time_column: str
    chunk_interval: str | dt.timedelta = "7 days"
    space_column: str | None = None
    space_partitions: int = 4
    create_default_indexes: bool = True

    def __post_init__(self) -> None:
        _name(self.time_column, "Hypertable.time_column")
        _set(
            self,
            "chunk_interval",
            parse_interval(self.chunk_interval, field_name="Hypertable.chunk_interval"),
        )
        if self.space_column is not None:
            _name(self.space_column, "Hypertable.space_column")
            if not isinstance(self.space_partitions, int) or self.space_partitions < 1:
                raise SpecError(f"Hypertable.space_partitions must be >= 1; got {self.space_partitions!r}")


@dataclass(frozen=True)
class Compression:
    """Compress (2.18+: move to the columnstore) chunks older than ``after``.

    Args:
        after: the age after which chunks are compressed, e.g. ``"30 days"``.
        segment_by: columns to segment compressed data by (the usual filter, e.g. ``customer_id``).
        order_by: ordering inside a segment, e.g. ``("purchased_at DESC",)``; defaults to the time column
            descending.
    """

    after: str | dt.timedelta
    segment_by: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "after", parse_interval(self.after, field_name="Compression.after"))
        _set(self, "segment_by", _names(self.segment_by, "Compression.segment_by"))
        _set(self, "order_by", _names(self.order_by, "Compression.order_by"))


@dataclass(frozen=True)
class Retention:
    """Drop chunks whose data is older than ``drop_after``.

    Args:
        drop_after: e.g. ``"3 years"``.
    """

    drop_after: str | dt.timedelta

    def __post_init__(self) -> None:
        _set(self, "drop_after", parse_interval(self.drop_after, field_name="Retention.drop_after"))


@dataclass(frozen=True)
class Reorder:
    """Reorder the rows of older chunks by an index of the table (a TimescaleDB reorder policy).

    Args:
        index: the name of one of the table's :class:`Index` specs.
    """

    index: str

    def __post_init__(self) -> None:
        _name(self.index, "Reorder.index")


@dataclass(frozen=True)
class Index:
    """A secondary index.

    Args:
        columns: indexed columns, each optionally followed by ``ASC``/``DESC`` (``"purchased_at DESC"``).
        name: the index name; defaults to ``<table>_<columns>_idx``.
        unique: a unique index (on a hypertable it must include the time column).
        where: a partial-index predicate in SQL, written by the spec's author (never user data);
            skipped on DuckDB, which has no partial indexes.
        include: covering columns (``INCLUDE``), PostgreSQL targets only.
    """

    columns: tuple[str, ...]
    name: str | None = None
    unique: bool = False
    where: str | None = None
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "columns", _names(self.columns, "Index.columns"))
        if not self.columns:
            raise SpecError("Index.columns must name at least one column")
        _set(self, "include", _names(self.include, "Index.include"))
        if self.name is not None:
            _name(self.name, "Index.name")
        if self.where is not None and (not self.where.strip() or ";" in self.where):
            raise SpecError(f"Index.where must be one SQL predicate; got {self.where!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The indexed column names without their ordering."""
        return tuple(_split_order(c)[0] for c in self.columns)

    def name_for(self, table: str) -> str:
        """This index's name on ``table`` (the explicit name, else a generated one)."""
        if self.name:
            return self.name
        generated = "_".join((table, *self.column_names, "idx"))
        return generated if len(generated.encode()) <= 63 else generated.encode()[:63].decode(errors="ignore")


@dataclass(frozen=True)
class Table:
    """A table (optionally a hypertable) with its indexes and policies.

    Args:
        name: the table name.
        columns: the columns, in order (see :meth:`from_arrow`).
        primary_key: primary-key columns; on a hypertable it must include the time column.
        hypertable: partition by time (TimescaleDB hypertable; range partitions on plain PostgreSQL).
        compression: a compression / columnstore policy (needs ``hypertable``).
        retention: a retention policy (needs ``hypertable``).
        reorder: a reorder policy (needs ``hypertable``).
        indexes: secondary indexes.

    Raises:
        SpecError: a named column does not exist, a key misses the time column, a policy without a
            hypertable...
    """

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    hypertable: Hypertable | None = None
    compression: Compression | None = None
    retention: Retention | None = None
    reorder: Reorder | None = None
    indexes: tuple[Index, ...] = ()

    @classmethod
    def from_arrow(cls, name: str, schema: pa.Schema, **options: object) -> Table:
        """Build a table spec from an Arrow schema (each field becomes a column).

        Example:
            >>> from ecomkit import schema
            >>> t = Table.from_arrow("orders", schema.ORDERS, primary_key=("order_id",))
            >>> t.columns[0].name
            'order_id'
        """
        columns = tuple(Column(f.name, f.type, f.nullable) for f in schema)
        return cls(name, columns, **options)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        _name(self.name, "Table.name")
        _set(self, "columns", tuple(self.columns))
        _set(self, "primary_key", _names(self.primary_key, "Table.primary_key"))
        _set(self, "indexes", tuple(self.indexes))
        if not self.columns:
            raise SpecError(f"Table {self.name!r}: columns must not be empty")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise SpecError(f"Table {self.name!r}: duplicate columns {dupes}")
        self._check_columns(self.primary_key, "primary_key")
        index_names = [ix.name_for(self.name) for ix in self.indexes]
        if len(set(index_names)) != len(index_names):
            raise SpecError(f"Table {self.name!r}: duplicate index names {index_names}")
        for ix in self.indexes:
            self._check_columns(ix.column_names + ix.include, f"index {ix.name_for(self.name)!r}")
        ht = self.hypertable
        if ht is None:
            for what in ("compression", "retention", "reorder"):
                if getattr(self, what) is not None:
                    raise SpecError(f"Table {self.name!r}: {what} needs a hypertable (set Table.hypertable)")
            return
        self._check_columns((ht.time_column,), "hypertable.time_column")
        if ht.space_column is not None:
            self._check_columns((ht.space_column,), "hypertable.space_column")
        time_type = self.column(ht.time_column).type
        if not (pa.types.is_timestamp(time_type) or pa.types.is_date(time_type)):
            raise SpecError(
                f"Table {self.name!r}: hypertable.time_column {ht.time_column!r} must be a timestamp "
                f"or date column; it is {time_type}"
            )
        if self.primary_key and ht.time_column not in self.primary_key:
            raise SpecError(
                f"Table {self.name!r}: primary_key {list(self.primary_key)} must include the hypertable's "
                f"time column {ht.time_column!r} (TimescaleDB and range partitions require it)"
            )
        for ix in self.indexes:
            if ix.unique and ht.time_column not in ix.column_names:
                raise SpecError(
                    f"Table {self.name!r}: unique index {ix.name_for(self.name)!r} must include the time "
                    f"column {ht.time_column!r}"
                )
        if self.compression is not None:
            comp = self.compression
            self._check_columns(comp.segment_by, "compression.segment_by")
            self._check_columns(tuple(_split_order(o)[0] for o in comp.order_by), "compression.order_by")
        if self.reorder is not None and self.reorder.index not in index_names:
            raise SpecError(
                f"Table {self.name!r}: reorder.index {self.reorder.index!r} is not one of its indexes "
                f"{index_names}"
            )

    def _check_columns(self, columns: Iterable[str], what: str) -> None:
        names = {c.name for c in self.columns}
        for column in columns:
            if column not in names:
                raise SpecError(
                    f"Table {self.name!r}: {what} names column {column!r}, which is not one of "
                    f"{[c.name for c in self.columns]}"
                )

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise SpecError(f"Table {self.name!r} has no column {name!r}")


#: Aggregate functions a :class:`Measure` may use.
AggregateFunction = Literal["count", "count_distinct", "sum", "avg", "min", "max"]
_REAGGREGATABLE = {"sum", "min", "max"}


@dataclass(frozen=True)
class Measure:
    """One aggregated column of a continuous aggregate: ``function(column) AS name``.

    Args:
        name: the output column.
        function: ``count`` (``column=None`` counts rows), ``count_distinct``, ``sum``, ``avg``, ``min``,
            ``max``.
        column: the source column.
    """

    name: str
    function: AggregateFunction
    column: str | None = None

    def __post_init__(self) -> None:
        _name(self.name, "Measure.name")
        if self.function not in ("count", "count_distinct", "sum", "avg", "min", "max"):
            raise SpecError(f"Measure {self.name!r}: unknown function {self.function!r}")
        if self.column is None and self.function != "count":
            raise SpecError(f"Measure {self.name!r}: {self.function} needs a column")
        if self.column is not None:
            _name(self.column, "Measure.column")


@dataclass(frozen=True)
class RefreshPolicy:
    """When and over which window a continuous aggregate is refreshed.

    Args:
        start_offset: start of the refreshed window, relative to now (``None``: from the oldest data).
        end_offset: end of the window, relative to now (``None``: up to the newest data).
        schedule_interval: how often the refresh runs.
    """

    start_offset: str | dt.timedelta | None
    end_offset: str | dt.timedelta | None
    schedule_interval: str | dt.timedelta

    def __post_init__(self) -> None:
        if self.start_offset is not None:
            _set(
                self,
                "start_offset",
                parse_interval(self.start_offset, field_name="RefreshPolicy.start_offset"),
            )
        if self.end_offset is not None:
            _set(self, "end_offset", parse_interval(self.end_offset, field_name="RefreshPolicy.end_offset"))
        _set(
            self,
            "schedule_interval",
            parse_interval(self.schedule_interval, field_name="RefreshPolicy.schedule_interval"),
        )
        if self.start_offset is not None and self.end_offset is not None:
            start = _interval(self.start_offset, "start_offset")
            end = _interval(self.end_offset, "end_offset")
            if start.approx_us <= end.approx_us:
                raise SpecError(
                    f"RefreshPolicy.start_offset ({self.start_offset}) must be larger than end_offset "
                    f"({self.end_offset})"
                )


@dataclass(frozen=True)
class ContinuousAggregate:
    """A continuous aggregate: ``time_bucket(bucket, time) , group_by..., measures...`` over a source.

    Args:
        name: the view name.
        source: a hypertable's name, or another continuous aggregate's (hierarchical aggregates).
        bucket: the bucket width, e.g. ``"1 hour"``; on an aggregate it must be a multiple of the
            source's bucket.
        group_by: further grouping columns of the source.
        measures: the aggregated columns (on another aggregate only ``sum``, ``min`` and ``max``, which
            re-aggregate correctly).
        refresh: the refresh policy (``None``: refreshed only by hand).
        materialized_only: serve only materialized data (``False``: real-time aggregation).
        bucket_column: the name of the bucket column.
    """

    name: str
    source: str
    bucket: str | dt.timedelta
    group_by: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    refresh: RefreshPolicy | None = None
    materialized_only: bool = True
    bucket_column: str = "bucket"

    def __post_init__(self) -> None:
        _name(self.name, "ContinuousAggregate.name")
        _name(self.source, "ContinuousAggregate.source")
        _name(self.bucket_column, "ContinuousAggregate.bucket_column")
        _set(
            self,
            "bucket",
            parse_interval(self.bucket, field_name=f"ContinuousAggregate {self.name!r} bucket"),
        )
        width = _interval(self.bucket, "bucket")
        if width.months and width.micros:
            raise SpecError(
                f"ContinuousAggregate {self.name!r}: bucket {self.bucket} mixes months with smaller units"
            )
        _set(self, "group_by", _names(self.group_by, "ContinuousAggregate.group_by"))
        _set(self, "measures", tuple(self.measures))
        if not self.measures:
            raise SpecError(f"ContinuousAggregate {self.name!r}: measures must not be empty")
        outputs = [self.bucket_column, *self.group_by, *(m.name for m in self.measures)]
        if len(set(outputs)) != len(outputs):
            raise SpecError(f"ContinuousAggregate {self.name!r}: duplicate output columns {outputs}")
        if self.refresh is not None and self.refresh.start_offset is not None:
            window = _interval(self.refresh.start_offset, "start_offset").approx_us
            if self.refresh.end_offset is not None:
                window -= _interval(self.refresh.end_offset, "end_offset").approx_us
            if window < 2 * _interval(self.bucket, "bucket").approx_us:
                raise SpecError(
                    f"ContinuousAggregate {self.name!r}: the refresh window (start_offset - end_offset) must "
                    f"cover at least two buckets of {self.bucket}"
                )

    @property
    def columns(self) -> tuple[str, ...]:
        """The view's output columns."""
        return (self.bucket_column, *self.group_by, *(m.name for m in self.measures))


@dataclass(frozen=True)
class ReaderRole:
    """A least-privilege read-only role for BI and ML tools (``GRANT SELECT`` + default privileges).

    Args:
        name: the role (created ``NOLOGIN``; grant it to login users).
        schema: the schema it may read.
    """

    name: str = "ecomkit_reader"
    schema: str = "public"

    def __post_init__(self) -> None:
        _name(self.name, "ReaderRole.name")
        _name(self.schema, "ReaderRole.schema")


@dataclass(frozen=True)
class Warehouse:
    """A whole warehouse: tables, continuous aggregates, helper functions and a reader role.

    Args:
        tables: the tables.
        aggregates: continuous aggregates, in any order (emitted sources first).
        helpers: emit the helper functions (refresh all aggregates, chunk statistics, compression ratio,
            job health).
        reader: a read-only role to create, or ``None``.

    Raises:
        SpecError: an aggregate's source or columns do not exist, bucket widths are not multiples, a
            measure cannot be re-aggregated, names collide, a refresh window reaches past retention.
    """

    tables: tuple[Table, ...]
    aggregates: tuple[ContinuousAggregate, ...] = ()
    helpers: bool = True
    reader: ReaderRole | None = None
    _order: tuple[ContinuousAggregate, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _set(self, "tables", tuple(self.tables))
        _set(self, "aggregates", tuple(self.aggregates))
        names = [t.name for t in self.tables] + [a.name for a in self.aggregates]
        if len(set(names)) != len(names):
            raise SpecError(f"Warehouse: duplicate table/aggregate names {sorted(names)}")
        tables = {t.name: t for t in self.tables}
        aggs = {a.name: a for a in self.aggregates}
        for agg in self.aggregates:
            self._check_aggregate(agg, tables, aggs)
        _set(self, "_order", self._topological(aggs))

    def _check_aggregate(
        self, agg: ContinuousAggregate, tables: Mapping[str, Table], aggs: Mapping[str, ContinuousAggregate]
    ) -> None:
        where = f"ContinuousAggregate {agg.name!r}"
        if agg.source in tables:
            table = tables[agg.source]
            if table.hypertable is None:
                raise SpecError(f"{where}: source {agg.source!r} is not a hypertable (set Table.hypertable)")
            available = [c.name for c in table.columns]
            retention = table.retention
            if retention is not None and agg.refresh is not None:
                start = agg.refresh.start_offset
                drop = _interval(retention.drop_after, "drop_after")
                if start is None or _interval(start, "start_offset").approx_us >= drop.approx_us:
                    raise SpecError(
                        f"{where}: refresh.start_offset ({start}) must be shorter than the source's "
                        f"retention drop_after ({retention.drop_after}); refreshing dropped data would "
                        f"empty the aggregate"
                    )
        elif agg.source in aggs:
            parent = aggs[agg.source]
            available = list(parent.columns)
            if not _is_multiple(_interval(agg.bucket, "bucket"), _interval(parent.bucket, "bucket")):
                raise SpecError(
                    f"{where}: bucket {agg.bucket} must be a (larger) multiple of its source "
                    f"{parent.name!r}'s bucket {parent.bucket}"
                )
            for m in agg.measures:
                if m.function not in _REAGGREGATABLE:
                    raise SpecError(
                        f"{where}: measure {m.name!r} uses {m.function} on another aggregate, which does not "
                        f"re-aggregate correctly; use sum, min or max of the source's measures"
                    )
        else:
            raise SpecError(
                f"{where}: source {agg.source!r} is neither a table nor an aggregate of this warehouse"
            )
        for column in (*agg.group_by, *(m.column for m in agg.measures if m.column is not None)):
            if column not in available:
                raise SpecError(f"{where}: column {column!r} is not in source {agg.source!r} ({available})")

    def _topological(self, aggs: Mapping[str, ContinuousAggregate]) -> tuple[ContinuousAggregate, ...]:
        ordered: list[ContinuousAggregate] = []
        state: dict[str, int] = {}

        def visit(agg: ContinuousAggregate) -> None:
            if state.get(agg.name) == 2:
                return
            if state.get(agg.name) == 1:
                raise SpecError(f"ContinuousAggregate {agg.name!r}: aggregates form a cycle")
            state[agg.name] = 1
            if agg.source in aggs:
                visit(aggs[agg.source])
            state[agg.name] = 2
            ordered.append(agg)

        for agg in self.aggregates:
            visit(agg)
        return tuple(ordered)

    @property
    def ordered_aggregates(self) -> tuple[ContinuousAggregate, ...]:
        """The aggregates with every source before the aggregates built on it."""
        return self._order

    def table(self, name: str) -> Table:
        """The table called ``name``."""
        for table in self.tables:
            if table.name == name:
                return table
        raise SpecError(f"Warehouse has no table {name!r}")

    def time_column_of(self, agg: ContinuousAggregate) -> str:
        """The column ``agg`` buckets: the hypertable's time column or the source aggregate's bucket."""
        for table in self.tables:
            if table.name == agg.source and table.hypertable is not None:
                return table.hypertable.time_column
        for parent in self.aggregates:
            if parent.name == agg.source:
                return parent.bucket_column
        raise SpecError(f"ContinuousAggregate {agg.name!r}: unknown source {agg.source!r}")
