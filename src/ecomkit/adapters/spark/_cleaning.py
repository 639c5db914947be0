"""Cleaning on Spark DataFrames: validate/coerce/impute per batch (``mapInArrow``), dedupe per key."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StringType, StructField, StructType

from ecomkit import cleaning
from ecomkit.adapters.spark._frames import by_key, in_input_order, spark_schema, with_seq
from ecomkit.cleaning.dedupe import Keep
from ecomkit.cleaning.impute import STRATEGIES, _to_type, missing_mask
from ecomkit.cleaning.rules import Custom, NotFuture, Rule, Unique
from ecomkit.errors import ConfigError, MissingColumnError, ValidationError

__all__ = [
    "ROW",
    "SparkValidation",
    "arrow_schema",
    "coerce",
    "dedupe",
    "impute",
    "impute_statistics",
    "resolve_rules",
    "validate",
    "with_row_index",
]

#: A private column holding each row's 0-based position in the input DataFrame (dense and exact).
ROW = "__ecomkit_row"
_KIND = "__ecomkit_kind"
_CAST = "__ecomkit_cast_"
_FLAG = "__ecomkit_dup_"


@dataclass(frozen=True)
class SparkValidation:
    """The outcome of :func:`validate` or :func:`coerce` on Spark: three DataFrames over one persisted pass.

    Attributes:
        valid: rows passing every error rule (with the target types after :func:`coerce`).
        invalid: one row per (row, error rule) failure: the original columns plus ``row`` (the 0-based
            position in the input DataFrame), ``rule`` and ``reason`` — as ``ecomkit.cleaning.validate``.
        warnings: the same shape for failures of ``warn`` rules.
    """

    valid: DataFrame
    invalid: DataFrame
    warnings: DataFrame

    def counts(self) -> dict[str, int]:
        """Rule name -> failing rows (error and warn rules that failed at least once); one Spark job."""
        both = self.invalid.select("rule").unionByName(self.warnings.select("rule"))
        return {str(r["rule"]): int(r["count"]) for r in both.groupBy("rule").count().collect()}


def arrow_schema(df: DataFrame) -> pa.Schema:
    """The Arrow schema of a DataFrame's batches (instants as ``timestamp[us, UTC]``)."""
    return to_arrow_schema(df.schema, timezone="UTC")


def with_row_index(df: DataFrame) -> DataFrame:
    """``df`` plus :data:`ROW`: each row's exact 0-based position in the DataFrame's order.

    Two light passes: rows per partition are counted (partial aggregation), then each row's position is its
    partition's offset plus its place within the partition, taken from ``monotonically_increasing_id``.
    """
    marked = df.withColumn("__ecomkit_mid", F.monotonically_increasing_id())
    part = F.shiftright(F.col("__ecomkit_mid"), 33)
    counts = marked.groupBy(part.alias("p")).count().collect()
    offsets: dict[int, int] = {}
    running = 0
    for p, n in sorted((int(r["p"]), int(r["count"])) for r in counts):
        offsets[p] = running
        running += n
    if offsets:
        mapping = F.create_map(*[x for p, o in offsets.items() for x in (F.lit(p), F.lit(o))])
        position = mapping[part] + F.col("__ecomkit_mid").bitwiseAND(F.lit((1 << 33) - 1))
    else:
        position = F.lit(0).cast("long")
    return marked.withColumn(ROW, position.cast("long")).drop("__ecomkit_mid")


def resolve_rules(df: DataFrame, rules: Sequence[Rule], *, now: dt.datetime) -> tuple[DataFrame, list[Rule]]:
    """Make every rule row-local: ``not_future`` gets the driver's ``now``; ``unique`` reads a precomputed flag.

    A ``unique`` rule is the one rule that needs other rows: its repeated keys are found by a Spark
    aggregation (partial counts, merged) and joined back as a flag column that a ``custom`` rule of the same
    name, dimension, severity and reason checks.
    """
    resolved: list[Rule] = []
    for i, rule in enumerate(rules):
        if isinstance(rule, NotFuture) and rule.now is None:
            resolved.append(replace(rule, now=now))
        elif isinstance(rule, Unique):
            for column in rule.key:
                if column not in df.columns:
                    raise MissingColumnError(column, list(df.columns), what="table to validate")
            flag = f"{_FLAG}{i}"
            present = F.lit(True)
            for column in rule.key:
                present = present & F.col(column).isNotNull()
            repeated = (
                df.where(present)
                .groupBy(*rule.key)
                .count()
                .where(F.col("count") > 1)
                .select(*rule.key, F.lit(True).alias(flag))
            )
            df = df.join(repeated, on=list(rule.key), how="left")
            resolved.append(
                Custom(
                    name=rule.name,
                    fn=_flag_check(flag),
                    reads=rule.key,
                    message=rule.description,
                    dimension=rule.dimension,
                    severity=rule.severity,
                )
            )
        else:
            resolved.append(rule)
    return df, resolved


def _flag_check(flag: str) -> Any:
    def check(table: pa.Table) -> pa.ChunkedArray:
        return pc.invert(pc.fill_null(table.column(flag), False))

    return check


def _internal(name: str) -> bool:
    return name.startswith("__ecomkit_")


def _split(
    out: DataFrame, original: Sequence[str], *, valid_columns: Sequence[Any], cache: bool
) -> SparkValidation:
    if cache:
        out = out.persist(StorageLevel.MEMORY_AND_DISK)
    # coalesce marks the columns non-nullable, as in the one-machine quarantine (they never are null there)
    failures = [F.col(c) for c in original] + [
        F.coalesce(F.col(ROW), F.lit(0).cast("long")).alias("row"),
        F.coalesce(F.col("rule"), F.lit("")).alias("rule"),
        F.coalesce(F.col("reason"), F.lit("")).alias("reason"),
    ]
    return SparkValidation(
        valid=out.where(F.col(_KIND) == "valid").select(*valid_columns),
        invalid=out.where(F.col(_KIND) == "error").select(*failures),
        warnings=out.where(F.col(_KIND) == "warn").select(*failures),
    )


def _labelled(
    table: pa.Table, kind: str, rule: pa.Array | None = None, reason: pa.Array | None = None
) -> pa.Table:
    n = table.num_rows
    table = table.append_column("rule", rule if rule is not None else pa.nulls(n, pa.string()))
    table = table.append_column("reason", reason if reason is not None else pa.nulls(n, pa.string()))
    return table.append_column(_KIND, pa.repeat(pa.scalar(kind), n))


def validate(
    df: DataFrame, rules: Sequence[Rule], *, now: dt.datetime | None = None, cache: bool = True
) -> SparkValidation:
    """``ecomkit.cleaning.validate`` on Spark: every batch is checked by the one-machine code (``mapInArrow``).

    Rules are made row-local first (see the docs: ``not_future`` uses one ``now`` fixed on the driver,
    ``unique`` a flag from a Spark aggregation), so the split equals the one-machine split, and each failure's
    ``row`` is its exact position in the input DataFrame.

    Args:
        df: the rows.
        rules: ``ecomkit.cleaning.rules`` values; names must be unique.
        now: the time ``not_future`` rules compare with (default: now, on the driver).
        cache: persist the one pass the three result DataFrames share (``MEMORY_AND_DISK``).

    Returns:
        A :class:`SparkValidation`.

    Raises:
        ConfigError: repeated rule names, or ``df`` already has a ``row``/``rule``/``reason`` column.
        MissingColumnError: a rule reads a column ``df`` lacks.
    """
    original = list(df.columns)
    moment = now or dt.datetime.now(dt.timezone.utc)
    indexed = with_row_index(df)
    indexed, resolved = resolve_rules(indexed, rules, now=moment)
    schema = arrow_schema(indexed)
    cleaning.validate(schema.empty_table(), resolved)  # argument errors surface here, on the driver

    def check(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            result = cleaning.validate(pa.Table.from_batches([batch]), resolved)
            yield from _labelled(result.valid, "valid").to_batches()
            for part, kind in ((result.invalid, "error"), (result.warnings, "warn")):
                if part.num_rows:
                    rows = part.drop_columns(["row", "rule", "reason"])
                    yield from _labelled(rows, kind, part.column("rule"), part.column("reason")).to_batches()

    out_schema = StructType(
        [*indexed.schema.fields, *(StructField(c, StringType(), True) for c in ("rule", "reason", _KIND))]
    )
    out = indexed.mapInArrow(check, out_schema)
    return _split(out, original, valid_columns=original, cache=cache)


def coerce(df: DataFrame, schema: pa.Schema, *, cache: bool = True) -> SparkValidation:
    """``ecomkit.cleaning.coerce`` on Spark: cast columns to ``schema``, uncastable values quarantined with reasons.

    Each batch is coerced by the one-machine code. ``valid`` has the target types (decimals and timestamps
    as in ``schema``); ``invalid`` keeps the original values plus ``row``, ``rule`` and ``reason``.

    Args:
        df: the rows (e.g. text read from CSV).
        schema: the target Arrow fields; each must name a column of ``df``.
        cache: persist the pass the result DataFrames share.

    Returns:
        A :class:`SparkValidation`.

    Raises:
        MissingColumnError: a schema field names no column of ``df``.
        CastError: a column cannot be cast to its target type at all (raised when the job runs).
    """
    for name in schema.names:
        if name not in df.columns:
            raise MissingColumnError(name, list(df.columns), what="table to coerce")
    original = list(df.columns)
    indexed = with_row_index(df)
    targets = spark_schema(schema)
    cast_names = {name: f"{_CAST}{name}" for name in schema.names}

    def cast(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            result = cleaning.coerce(table, schema)
            keep = pa.array(~_any_failure(result.failing_masks, table.num_rows))
            valid = table.filter(keep)
            for name, alias in cast_names.items():
                valid = valid.append_column(alias, result.valid.column(name))
            yield from _labelled(valid, "valid").to_batches()
            if result.invalid.num_rows:
                rows = result.invalid.drop_columns(["row", "rule", "reason"])
                for name, alias in cast_names.items():
                    rows = rows.append_column(alias, pa.nulls(rows.num_rows, schema.field(name).type))
                labelled = _labelled(
                    rows, "error", result.invalid.column("rule"), result.invalid.column("reason")
                )
                yield from labelled.to_batches()

    out_schema = StructType(
        [
            *indexed.schema.fields,
            *(StructField(cast_names[f.name], f.dataType, True) for f in targets.fields),
            *(StructField(c, StringType(), True) for c in ("rule", "reason", _KIND)),
        ]
    )
    out = indexed.mapInArrow(cast, out_schema)
    valid_columns = [F.col(cast_names[c]).alias(c) if c in cast_names else F.col(c) for c in original]
    return _split(out, original, valid_columns=valid_columns, cache=cache)


def _any_failure(
    masks: Mapping[str, np.ndarray[Any, np.dtype[np.bool_]]], n: int
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    failed = np.zeros(n, dtype=bool)
    for mask in masks.values():
        failed |= mask
    return failed


def impute_statistics(df: DataFrame, strategies: Mapping[str, Any]) -> dict[str, Any]:
    """The exact global fill value of each column, computed by partial aggregation and a merge.

    * ``"mean"``: per partition the count and the correctly rounded sum (``math.fsum``), merged by ``fsum``
      on the driver;
    * ``"median"``: the present values are counted per distinct value (Spark's partial aggregation), the
      counts are sorted and accumulated, and the one or two middle values found; the median is then
      interpolated by Arrow exactly as on one machine — never an approximation;
    * ``"mode"``: the most frequent value, the smallest on a tie, from the same per-value counts;
    * ``"zero"`` and constants pass through.

    Returns:
        column -> fill value, already of the column's type (as a Python value), as ``ecomkit.cleaning.impute``
        would fill it on one machine.

    Raises:
        MissingColumnError: a named column is absent.
        ConfigError: a strategy does not fit the column's type.
        ValidationError: a statistic asked for a column without a present value.
    """
    schema = arrow_schema(df)
    out: dict[str, Any] = {}
    for column, strategy in strategies.items():
        if column not in df.columns:
            raise MissingColumnError(column, list(df.columns), what="table to impute")
        kind = schema.field(column).type
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
        named = isinstance(strategy, str) and strategy in STRATEGIES
        if named and strategy not in ("mode", "zero", "constant") and not numeric:
            raise ConfigError(
                f"column {column!r} has type {kind}; {strategy!r} needs numbers (use 'mode' or a constant)"
            )
        if not named:
            try:
                out[column] = pa.scalar(strategy).cast(kind).as_py()
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                raise ConfigError(
                    f"column {column!r}: cannot fill {kind} with the constant {strategy!r}"
                ) from exc
            continue
        if strategy == "zero":
            if not numeric:
                raise ConfigError(f"column {column!r} has type {kind}; 'zero' needs numbers")
            out[column] = pa.scalar(0).cast(kind).as_py()
            continue
        present = df.where(F.col(column).isNotNull())
        if pa.types.is_floating(kind):
            present = present.where(~F.isnan(F.col(column)))
        if strategy == "mode":
            top = present.groupBy(column).count().orderBy(F.desc("count"), F.asc(column)).limit(1)
            value = top.select(column).toArrow().cast(pa.schema([pa.field(column, kind)])).column(0)
            if len(value) == 0:
                raise ValidationError(f"cannot impute column {column!r} with 'mode': it has no present value")
            out[column] = value[0].as_py()
            continue
        stat = _mean(present, column) if strategy == "mean" else _median(present, column)
        if stat is None:
            raise ValidationError(
                f"cannot impute column {column!r} with {strategy!r}: it has no present value"
            )
        out[column] = _to_type(pa.array([stat], pa.float64()), kind)[0].as_py()
    return out


def _mean(present: DataFrame, column: str) -> float | None:
    values = present.select(F.col(column).cast("double").alias("v"))

    def partial(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        n, total = 0, 0.0
        parts: list[float] = []
        for batch in batches:
            array = batch.column(0).to_numpy(zero_copy_only=False)
            n += len(array)
            parts.append(math.fsum(array))
        total = math.fsum(parts)
        yield pa.RecordBatch.from_pydict({"n": [n], "s": [total]})

    rows = values.mapInArrow(partial, "n long, s double").toArrow()
    n = int(pc.sum(rows.column("n")).as_py() or 0)
    if n == 0:
        return None
    return math.fsum(rows.column("s").to_pylist()) / n


def _median(present: DataFrame, column: str) -> float | None:
    counts = present.groupBy(F.col(column).cast("double").alias("v")).count()
    cumulative = counts.withColumn("upto", F.sum("count").over(Window.orderBy("v")))
    n_row = counts.agg(F.sum("count").alias("n")).collect()[0]
    n = int(n_row["n"] or 0)
    if n == 0:
        return None
    positions = sorted({(n - 1) // 2, n // 2})
    wanted = F.lit(False)
    for k in positions:  # the value covering 0-based position k has upto - count <= k < upto
        wanted = wanted | ((F.col("upto") - F.col("count") <= k) & (F.lit(k) < F.col("upto")))
    found = cumulative.where(wanted).select("v", "count", "upto").toArrow()
    start = np.asarray(found.column("upto").to_numpy()) - np.asarray(found.column("count").to_numpy())
    stops = np.asarray(found.column("upto").to_numpy())
    values = found.column("v").to_numpy()
    middle = [float(values[(start <= k) & (k < stops)][0]) for k in positions]
    if len(middle) == 1:
        return middle[0]
    return float(pc.quantile(pa.array(middle, pa.float64()), q=0.5, interpolation="linear")[0].as_py())


def impute(
    df: DataFrame,
    strategies: Mapping[str, Any],
    *,
    statistics: Mapping[str, Any] | None = None,
    by: Sequence[str] | str | None = None,
) -> DataFrame:
    """``ecomkit.cleaning.impute`` on Spark: fill missing values with exact, precomputed statistics.

    Without ``by``: the fill values come from ``statistics`` (default :func:`impute_statistics`) and every
    batch is filled row by row (``mapInArrow``). With ``by``: each group is imputed by the one-machine code
    (``groupBy(by).applyInArrow``); a group without a present value gets the global statistic, as on one
    machine.

    Args:
        df: the rows.
        strategies: column -> ``"zero"``, ``"mean"``, ``"median"``, ``"mode"`` or a constant.
        statistics: column -> fill value, e.g. computed once on a larger DataFrame and reused.
        by: group column(s) for mean/median/mode.

    Returns:
        The DataFrame with the same schema and no missing values left in the named columns.

    Raises:
        MissingColumnError, ConfigError, ValidationError: as ``ecomkit.cleaning.impute``.
    """
    groups = [by] if isinstance(by, str) else list(by or [])
    for column in [*strategies, *groups]:
        if column not in df.columns:
            raise MissingColumnError(column, list(df.columns), what="table to impute")
    overlap = set(groups) & set(strategies)
    if overlap:
        raise ConfigError(f"cannot impute a group column: {sorted(overlap)}")
    fills = dict(statistics) if statistics is not None else impute_statistics(df, strategies)
    schema = arrow_schema(df)
    typed = {c: pa.scalar(fills[c], schema.field(c).type) for c in strategies}
    if groups:
        return _impute_by(df, strategies, groups, typed)

    def fill(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            for column, value in typed.items():
                values = table.column(column)
                index = table.schema.get_field_index(column)
                filled = pc.if_else(missing_mask(values), value, values)
                table = table.set_column(index, table.schema.field(column), filled)
            yield from table.to_batches()

    return df.mapInArrow(fill, df.schema)


def _impute_by(
    df: DataFrame, strategies: Mapping[str, Any], groups: list[str], overall: Mapping[str, pa.Scalar]
) -> DataFrame:
    # A group without any present value takes the global statistic. Which groups those are is a global
    # fact, found by one aggregation and joined back as a flag (null-safe, so a null group is a group).
    flagged = with_seq(df)  # the input order, fixed before the joins
    flags: dict[str, str] = {}
    for i, (column, strategy) in enumerate(strategies.items()):
        if not (isinstance(strategy, str) and strategy in ("mean", "median", "mode")):
            continue
        flag = f"{_FLAG}empty_{i}"
        present = _present_expr(df, column).cast("int")
        empty = df.groupBy(*groups).agg((F.max(present) == 0).alias(flag))
        condition = [flagged[g].eqNullSafe(empty[g]) for g in groups]
        flagged = flagged.join(empty, on=condition, how="left").drop(*[empty[g] for g in groups])
        flags[column] = flag
    fallback = dict(overall)

    def per_group(table: pa.Table) -> pa.Table:
        table = in_input_order(table)
        for column, flag in flags.items():
            index = table.schema.get_field_index(column)
            use_global = pc.and_(pc.fill_null(table.column(flag), False), missing_mask(table.column(column)))
            filled = pc.if_else(use_global, fallback[column], table.column(column))
            table = table.set_column(index, table.schema.field(column), filled)
        table = table.drop_columns(list(flags.values()))
        return cleaning.impute(table, strategies, by=groups)

    return by_key(flagged, groups).applyInArrow(per_group, df.schema)


def _present_expr(df: DataFrame, column: str) -> Any:
    present = F.col(column).isNotNull()
    if df.schema[column].dataType.typeName() in ("double", "float"):
        present = present & ~F.isnan(F.col(column))
    return present


def dedupe(
    df: DataFrame,
    keys: Sequence[str] | str | None = None,
    *,
    keep: Keep = "first",
    order_by: Sequence[str] | str | None = None,
) -> DataFrame:
    """``ecomkit.cleaning.dedupe`` on Spark: one row per key, chosen by the one-machine code per key group.

    Rows are grouped by ``keys`` (all columns when None) with ``groupBy(...).applyInArrow``; each group is
    handed over in the DataFrame's row order, so ``keep="first"``/``"last"`` and the latest-version choice by
    ``order_by`` pick the same row as on one machine.

    Args:
        df: the rows.
        keys: the key column(s), or None for whole-row duplicates.
        keep: ``"first"`` or ``"last"``.
        order_by: version column(s); the greatest wins (e.g. ``"updated_at"`` for late updates).

    Returns:
        The de-duplicated DataFrame (same schema, unordered).

    Raises:
        MissingColumnError: a key or ``order_by`` column is absent.
        ConfigError: ``keep`` is not ``"first"``/``"last"`` or ``keys`` is empty.
    """
    if keep not in ("first", "last"):
        raise ConfigError(f"keep must be 'first' or 'last', got {keep!r}")
    key_list = [keys] if isinstance(keys, str) else (list(keys) if keys is not None else None)
    order_list = [order_by] if isinstance(order_by, str) else list(order_by or [])
    if key_list is not None and not key_list:
        raise ConfigError("keys must name at least one column (or be None for exact duplicates)")
    for column in [*(key_list or []), *order_list]:
        if column not in df.columns:
            raise MissingColumnError(column, list(df.columns), what="table to dedupe")
    group = key_list if key_list is not None else list(df.columns)

    def per_key(table: pa.Table) -> pa.Table:
        return cleaning.dedupe(in_input_order(table), key_list, keep=keep, order_by=order_list or None)

    return by_key(df, group).applyInArrow(per_key, df.schema)
