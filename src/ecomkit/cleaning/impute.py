"""Fill missing values (null, and NaN in float columns) by zero, a constant, the mean, median or mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.cleaning import _duck
from ecomkit.errors import ConfigError, ValidationError

__all__ = ["STRATEGIES", "Strategy", "impute", "missing_mask"]

#: A named fill strategy. Any other value given as a strategy is a constant to fill with.
Strategy = Literal["zero", "mean", "median", "mode"]
#: The names that mean a strategy rather than a constant.
STRATEGIES: tuple[str, ...] = ("zero", "mean", "median", "mode")


def missing_mask(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """True where a value is missing: null, or NaN in a floating-point column (never null itself)."""
    missing = pc.is_null(values)
    if pa.types.is_floating(values.type):
        missing = pc.or_(missing, pc.fill_null(pc.is_nan(values), False))
    return missing


def impute(
    table: TableLike,
    strategies: Mapping[str, Strategy | Any],
    *,
    by: Sequence[str] | str | None = None,
) -> pa.Table:
    """Fill the missing values of the named columns; every other value and column is left as it was.

    Strategies per column:

    * ``"zero"`` — 0 (numeric columns);
    * ``"mean"`` — the arithmetic mean of the present values (numeric);
    * ``"median"`` — the exact median: the middle value, or the mean of the two middle values for an even
      count (numeric); never an approximation;
    * ``"mode"`` — the most frequent value, the smallest one on a tie (any comparable type);
    * any other value — a constant, cast to the column's type.

    With ``by``, mean/median/mode are computed per group (e.g. the median price per ``product_id``); a
    group with no present value falls back to the statistic of the whole column. For integer columns the
    mean/median is rounded half to even; for decimals, to the column's scale. Statistics ignore NaN.

    Args:
        table: the input (Arrow or any PyCapsule-stream object).
        strategies: column -> strategy or constant.
        by: group column(s) for mean/median/mode.

    Returns:
        A table with the same schema; the named columns have no missing values left.

    Raises:
        MissingColumnError: a named or group column is absent.
        ConfigError: a strategy does not fit the column's type, or a constant cannot be cast to it.
        ValidationError: mean/median/mode asked for a column with no present value at all.

    Example:
        >>> import pyarrow as pa
        >>> items = pa.table({"product_id": ["a", "a", "a", "b"], "unit_price": [1.0, 3.0, None, None]})
        >>> impute(items, {"unit_price": "median"}, by="product_id").column("unit_price").to_pylist()
        [1.0, 3.0, 2.0, 2.0]
    """
    return _impute(to_table(table), strategies, by=by)[0]


def _impute(
    table: pa.Table, strategies: Mapping[str, Any], *, by: Sequence[str] | str | None
) -> tuple[pa.Table, dict[str, int]]:
    """Impute and also return column -> number of values filled."""
    groups = [by] if isinstance(by, str) else list(by or [])
    require_columns(table, [*strategies, *groups], what="table to impute")
    overlap = set(groups) & set(strategies)
    if overlap:
        raise ConfigError(f"cannot impute a group column: {sorted(overlap)}")
    filled: dict[str, int] = {}
    for column, strategy in strategies.items():
        values = table.column(column)
        missing = missing_mask(values)
        count = int(pc.sum(missing).as_py() or 0)
        filled[column] = count
        if count == 0:
            continue
        fills = _fill_values(table, column, strategy, groups, missing, count)
        mask = missing.combine_chunks() if isinstance(missing, pa.ChunkedArray) else missing
        new = pc.replace_with_mask(values.combine_chunks(), mask, fills)
        index = table.schema.get_field_index(column)
        table = table.set_column(index, table.schema.field(column), new)
    return table, filled


def _is_strategy(strategy: Any) -> bool:
    return isinstance(strategy, str) and strategy in STRATEGIES


def _fill_values(
    table: pa.Table, column: str, strategy: Any, groups: list[str], missing: Any, count: int
) -> pa.Array:
    """The fill value for each missing position, in order, already of the column's type."""
    kind = table.schema.field(column).type
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    if not _is_strategy(strategy):
        try:
            return pa.repeat(pa.scalar(strategy).cast(kind), count)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ConfigError(
                f"column {column!r}: cannot fill {kind} with the constant {strategy!r}"
            ) from exc
    if strategy != "mode" and not numeric:
        raise ConfigError(
            f"column {column!r} has type {kind}; {strategy!r} needs numbers (use 'mode' or a constant)"
        )
    if strategy == "zero":
        return pa.repeat(pa.scalar(0).cast(kind), count)
    overall = _global_statistic(table.column(column), strategy, column)
    if not groups:
        return _to_type(pa.repeat(overall, count), kind)
    per_row = _grouped_statistic(table, column, strategy, groups, missing)
    per_row = pc.fill_null(per_row, overall.cast(per_row.type))
    return _to_type(per_row, kind)


def _present(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return values.filter(pc.invert(missing_mask(values)))


def _global_statistic(values: pa.ChunkedArray, strategy: str, column: str) -> pa.Scalar:
    present = _present(values)
    if len(present) == 0:
        raise ValidationError(f"cannot impute column {column!r} with {strategy!r}: it has no present value")
    if strategy == "mode":
        counts = pc.value_counts(present)
        ranked = pa.table({"v": counts.field("values"), "n": counts.field("counts")}).sort_by(
            [("n", "descending"), ("v", "ascending")]
        )
        return ranked.column("v")[0]
    as_float = present.cast(pa.float64())
    if strategy == "mean":
        return pa.scalar(pc.mean(as_float).as_py(), pa.float64())
    return pa.scalar(pc.quantile(as_float, q=0.5, interpolation="linear")[0].as_py(), pa.float64())


def _grouped_statistic(
    table: pa.Table, column: str, strategy: str, groups: list[str], missing: Any
) -> pa.ChunkedArray:
    """Per missing row (in order): its group's statistic, null where the group has none."""
    kind = table.schema.field(column).type
    col, row = _duck.ident(column), _duck.ident(_duck.ROW)
    keys = _duck.idents(groups)
    present = f"{col} IS NOT NULL" + (f" AND NOT isnan({col})" if pa.types.is_floating(kind) else "")
    if strategy == "mode":
        stats = (
            f"SELECT {keys}, first(v ORDER BY n DESC, v ASC) AS stat FROM "
            f"(SELECT {keys}, {col} AS v, count(*) AS n FROM t WHERE {present} GROUP BY ALL) GROUP BY {keys}"
        )
    else:
        agg = "avg" if strategy == "mean" else "median"
        stats = f"SELECT {keys}, {agg}(CAST({col} AS DOUBLE)) AS stat FROM t WHERE {present} GROUP BY {keys}"
    on = " AND ".join(f"m.{_duck.ident(g)} IS NOT DISTINCT FROM s.{_duck.ident(g)}" for g in groups)
    sql = f"WITH s AS ({stats}) SELECT s.stat FROM m LEFT JOIN s ON {on} ORDER BY m.{row}"
    positions = np.flatnonzero(np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool))
    missing_rows = table.select(groups).take(pa.array(positions))
    missing_rows = missing_rows.append_column(_duck.ROW, pa.array(positions, type=pa.int64()))
    source = table.select([*groups, column])
    with _duck.connect(t=source, m=missing_rows) as con:
        result = _duck.arrow(con, sql)
    return result.column("stat")


def _to_type(values: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type == kind:
        return values
    if pa.types.is_integer(kind):
        values = pc.round(values.cast(pa.float64()), round_mode="half_to_even")
    elif pa.types.is_decimal(kind):
        values = pc.round(values.cast(pa.float64()), ndigits=kind.scale, round_mode="half_to_even")
        return pc.cast(pc.cast(values, pa.string()), kind)
    return values.cast(kind, safe=False) if pa.types.is_floating(kind) else values.cast(kind)
