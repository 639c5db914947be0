"""Arrow <-> Spark plumbing shared by the Spark adapter: schemas, sessions, conversions, row order."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, GroupedData, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

from ecomkit._arrow import TableLike, to_table
from ecomkit.errors import ConfigError, SchemaError
from ecomkit.schema import TIMESTAMP

__all__ = [
    "BUCKET",
    "SEQ",
    "as_of_instant",
    "by_key",
    "in_input_order",
    "local_session",
    "max_instant",
    "spark_schema",
    "to_arrow",
    "to_spark",
    "with_seq",
]

#: A private column carrying each row's position in the input DataFrame's order (monotonic, not dense).
SEQ = "__ecomkit_seq"


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark ``StructType`` of an Arrow schema: decimals keep precision/scale, UTC timestamps stay instants.

    Arrow ``timestamp[..., tz=...]`` becomes Spark ``TimestampType`` (an instant), a naive Arrow timestamp
    ``TimestampNTZType``, ``decimal128(p, s)`` ``DecimalType(p, s)``, ``date32`` ``DateType``; nullability is kept.

    Args:
        schema: an Arrow schema, e.g. ``ecomkit.schema.ORDERS``.

    Returns:
        The Spark schema with the same field names, order and nullability.

    Raises:
        SchemaError: a field has an Arrow type Spark cannot hold.

    Example:
        >>> from ecomkit.schema import ORDERS
        >>> spark_schema(ORDERS)["purchased_at"].dataType.simpleString()
        'timestamp'
    """
    try:
        return from_arrow_schema(schema, prefer_timestamp_ntz=True)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise SchemaError(f"cannot express the Arrow schema in Spark: {exc}") from exc


def local_session(
    *,
    cores: int = 2,
    app_name: str = "ecomkit",
    shuffle_partitions: int | None = None,
    config: dict[str, str] | None = None,
) -> SparkSession:
    """Get (or create) a local ``SparkSession`` set up for ecomkit: UTC session time zone, Arrow on, no UI.

    The driver binds to 127.0.0.1 and the workers run the current Python (``sys.executable``), so ecomkit and its dependencies are there.
    For a cluster build the session yourself (see the docs page) with the same time-zone setting.

    Args:
        cores: worker threads (``local[cores]``).
        app_name: the application name.
        shuffle_partitions: ``spark.sql.shuffle.partitions`` (default ``2 * cores``; Spark's 200 is far too
            many for one machine).
        config: further Spark settings.

    Returns:
        The session.
    """
    if cores < 1:
        raise ConfigError(f"cores must be >= 1; got {cores!r}")
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 2 * cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
    )
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def to_spark(spark: SparkSession, data: TableLike, *, schema: pa.Schema | None = None) -> DataFrame:
    """A Spark DataFrame from an Arrow table (or any PyCapsule-stream object), types preserved.

    Args:
        spark: the session.
        data: the rows.
        schema: cast ``data`` to this Arrow schema first (e.g. ``ecomkit.schema.ORDER_ITEMS``).

    Returns:
        A DataFrame whose schema is :func:`spark_schema` of the table's Arrow schema.
    """
    table = to_table(data, name="data")
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    return spark.createDataFrame(table, schema=spark_schema(table.schema))


def to_arrow(df: DataFrame, *, schema: pa.Schema | None = None) -> pa.Table:
    """Collect a DataFrame to the driver as an Arrow table with UTC timestamps (``timestamp[us, UTC]``).

    Args:
        df: the DataFrame (small enough for the driver).
        schema: cast the result to this Arrow schema (field names must match).

    Returns:
        The table.
    """
    table = df.toArrow()
    fields = [
        pa.field(f.name, TIMESTAMP, f.nullable) if pa.types.is_timestamp(f.type) and f.type.tz else f
        for f in table.schema
    ]
    table = table.cast(pa.schema(fields))
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    return table


#: A private column: the hash bucket of a row's key, the unit ``applyInArrow`` hands to ecomkit.
BUCKET = "__ecomkit_bucket"


def by_key(df: DataFrame, keys: list[str], *, buckets: int | None = None) -> GroupedData:
    """``df`` (with :data:`SEQ`) grouped into hash buckets of ``keys`` for ``applyInArrow``.

    Every row of one key lands in one bucket, and ecomkit's functions are computed key by key, so a bucket
    gives each key exactly its one-machine result, while one Python call handles thousands of keys instead
    of one (a call per key costs milliseconds). ``buckets`` defaults to ``spark.sql.shuffle.partitions``.
    """
    count = buckets or int(df.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200)
    if count < 1:
        raise ConfigError(f"buckets must be >= 1; got {buckets!r}")
    bucket = F.pmod(F.xxhash64(*[F.col(k) for k in keys]), F.lit(count))
    source = df if SEQ in df.columns else with_seq(df)
    return source.withColumn(BUCKET, bucket).groupBy(BUCKET)


def with_seq(df: DataFrame) -> DataFrame:
    """``df`` plus :data:`SEQ`, increasing in the DataFrame's row order (its ``toArrow()`` order)."""
    return df.withColumn(SEQ, F.monotonically_increasing_id())


def in_input_order(table: pa.Table) -> pa.Table:
    """A group's rows sorted back into input order by :data:`SEQ`; :data:`SEQ` and :data:`BUCKET` are dropped."""
    if SEQ in table.column_names:
        table = table.take(pc.sort_indices(table.column(SEQ)))
    return table.drop_columns([c for c in (SEQ, BUCKET) if c in table.column_names])


def as_of_instant(value: dt.datetime | dt.date) -> dt.datetime:
    """An aware UTC datetime; naive values and dates are UTC."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def max_instant(df: DataFrame, column: str, *, where: Any = None) -> dt.datetime | None:
    """The latest value of a time column as an aware UTC datetime (None when no row has one).

    The maximum travels as Arrow, so it is the exact instant whatever the session time zone is.
    """
    rows = df if where is None else df.where(where)
    result = rows.agg(F.max(F.col(column)).alias("m")).toArrow().column("m")[0].as_py()
    if result is None:
        return None
    return as_of_instant(result)
