"""Data-quality profiles of Spark DataFrames: one ecomkit profile per partition, merged, then made exact."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ecomkit import quality
from ecomkit.adapters.spark._cleaning import ROW, arrow_schema, with_row_index
from ecomkit.cleaning.rules import NotFuture, Rule, Unique
from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.quality.profile import QUANTILES, FieldProfile, QualityReport

__all__ = ["profile"]

_BINS = 20
_TOP = 5
_SAMPLES = 5


def profile(
    df: DataFrame,
    *,
    rules: Sequence[Rule] | None = None,
    keys: Sequence[str] | str | None = None,
    timestamp: str | None = None,
    weights: Mapping[str, float] | None = None,
    now: dt.datetime | None = None,
    title: str = "Data quality report",
) -> QualityReport:
    """``ecomkit.quality.profile`` of a Spark DataFrame: per-partition profiles merged into the one-machine report.

    Rows are partitioned by ``keys`` (whole rows without keys), so no duplicate group spans two partitions;
    each partition is profiled by the one-machine code (``mapInArrow``) and the parts are combined with
    ``ecomkit.quality.merge``: counts, rule failures, duplicates, min/max and every score are exact. The
    statistics a merge can only approximate are then recomputed exactly over the whole DataFrame by Spark
    aggregations: distinct counts, top values, histograms and quantiles (Spark's exact ``percentile``). Samples
    are the first failing rows by their position in ``df``, and ``not_future`` uses one ``now`` for all parts.

    Args:
        df: the rows.
        rules: rules to check; a ``unique`` rule must have the same columns as ``keys``.
        keys: duplicate keys for ``duplicate_rows`` and the uniqueness score (None: whole rows).
        timestamp: a timestamp column checked by an implicit warn rule ``not_future``.
        weights: dimension -> weight for the overall score.
        now: the time ``not_future`` compares with (default: now, on the driver).
        title: heading of the HTML report.

    Returns:
        A :class:`~ecomkit.quality.QualityReport`.

    Raises:
        MissingColumnError: a key, timestamp or rule column is absent.
        ConfigError: a ``unique`` rule over other columns than ``keys``, or bad weights/rules.
    """
    key_list = [keys] if isinstance(keys, str) else (list(keys) if keys is not None else None)
    for column in [*(key_list or []), *([timestamp] if timestamp else [])]:
        if column not in df.columns:
            raise MissingColumnError(column, list(df.columns), what="table to profile")
    moment = now or dt.datetime.now(dt.timezone.utc)
    checks: list[Rule] = []
    for rule in rules or []:
        if isinstance(rule, Unique) and (key_list is None or list(rule.key) != key_list):
            raise ConfigError(
                f"{rule.name}: on Spark a unique rule must use the profile's keys ({key_list}); "
                "pass keys= with the same columns"
            )
        checks.append(replace(rule, now=moment) if isinstance(rule, NotFuture) and rule.now is None else rule)
    options: dict[str, Any] = {
        "rules": checks,
        "keys": key_list,
        "timestamp": timestamp,
        "weights": weights,
        "now": moment,
        "title": title,
    }
    quality.profile(arrow_schema(df).empty_table(), **options)  # argument errors surface on the driver

    partition_by = key_list or list(df.columns)
    indexed = with_row_index(df).repartition(*partition_by)

    def per_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts = [batch for batch in batches if batch.num_rows]
        if not parts:
            return
        table = pa.Table.from_batches(parts)
        table = table.take(pc.sort_indices(table.column(ROW)))
        rows = table.column(ROW).to_pylist()
        report = quality.profile(table.drop_columns([ROW]), **options)
        samples = {
            name: tuple({**sample, "row": rows[sample["row"]]} for sample in found)
            for name, found in report.samples.items()
        }
        report = replace(report, samples=samples)
        yield pa.RecordBatch.from_pydict({"report": [pickle.dumps(_plain(report))]})

    blobs = indexed.mapInArrow(per_partition, "report binary").toArrow().column("report").to_pylist()
    if not blobs:
        return quality.profile(arrow_schema(df).empty_table(), **options)
    reports: list[QualityReport] = [pickle.loads(blob) for blob in blobs]  # noqa: S301 - our own workers' output
    merged = quality.merge(*reports)
    samples: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for name in merged.samples:
        found = [s for r in reports for s in r.samples.get(name, ())]
        found.sort(key=lambda s: int(s["row"]))
        samples[name] = tuple(MappingProxyType(dict(s)) for s in found[:_SAMPLES])
    exact = _exact_fields(df, merged.fields)
    return replace(merged, samples=MappingProxyType(samples), fields=MappingProxyType(exact))


def _plain(value: Any) -> Any:
    """A copy without ``MappingProxyType`` (which cannot be pickled), dataclasses kept."""
    if isinstance(value, QualityReport | FieldProfile):
        return replace(value, **{f.name: _plain(getattr(value, f.name)) for f in dataclass_fields(value)})
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _present(df: DataFrame, name: str) -> Column:
    column = F.col(name)
    kind = df.schema[name].dataType.typeName()
    if kind in ("double", "float"):
        return column.isNotNull() & ~F.isnan(column)
    return column.isNotNull()


def _exact_fields(df: DataFrame, merged: Mapping[str, FieldProfile]) -> dict[str, FieldProfile]:
    """Distinct counts, quantiles, top values and histograms over the whole DataFrame (one pass + group-bys)."""
    aggregates: list[Column] = [F.lit(0).alias("__none")]
    for i, (name, field) in enumerate(merged.items()):
        if field.kind == "other" or field.present == 0:
            continue
        present = _present(df, name)
        aggregates.append(F.count_distinct(F.when(present, F.col(name))).alias(f"d{i}"))
        if field.kind == "number":
            value = F.when(present, F.col(name).cast("double"))
            aggregates += [
                F.percentile(value, F.array(*[F.lit(q) for q in QUANTILES])).alias(f"q{i}"),
                F.min(value).alias(f"lo{i}"),
                F.max(value).alias(f"hi{i}"),
            ]
        elif field.kind == "timestamp":
            value = F.unix_micros(F.col(name).cast("timestamp"))
            aggregates += [F.min(value).alias(f"lo{i}"), F.max(value).alias(f"hi{i}")]
    stats = df.agg(*aggregates).collect()[0].asDict()
    out: dict[str, FieldProfile] = {}
    for i, (name, field) in enumerate(merged.items()):
        if f"d{i}" not in stats:
            out[name] = field
            continue
        update: dict[str, Any] = {"distinct": int(stats[f"d{i}"]), "exact": True}
        if field.kind == "number":
            update["quantiles"] = {
                f"p{round(q * 100):02d}": float(v) for q, v in zip(QUANTILES, stats[f"q{i}"], strict=True)
            }
        if field.kind in ("number", "timestamp"):
            update["histogram"] = _histogram(df, name, field.kind, stats[f"lo{i}"], stats[f"hi{i}"])
        if field.kind == "text":
            update["top"] = _top(df, name)
        out[name] = replace(field, **update)
    return out


def _histogram(df: DataFrame, name: str, kind: str, lo: Any, hi: Any) -> tuple[tuple[float, float, int], ...]:
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return ()
    width = (hi - lo) / _BINS if hi > lo else 1.0
    if kind == "number":
        value = F.col(name).cast("double")
        keep = _present(df, name) & ~value.isin(float("inf"), float("-inf"))
    else:
        value = F.unix_micros(F.col(name).cast("timestamp"))
        keep = F.col(name).isNotNull()
    index = F.least(F.floor((value - F.lit(lo)) / F.lit(width)).cast("int"), F.lit(_BINS - 1))
    counts = {
        int(r["b"]): int(r["count"]) for r in df.where(keep).groupBy(index.alias("b")).count().collect()
    }
    bins = 1 if lo == hi else _BINS
    return tuple((lo + b * width, lo + (b + 1) * width, counts.get(b, 0)) for b in range(bins))


def _top(df: DataFrame, name: str) -> tuple[tuple[str, int], ...]:
    ranked = (
        df.where(F.col(name).isNotNull())
        .groupBy(F.col(name).alias("v"))
        .count()
        .orderBy(F.desc("count"), F.asc("v"))
        .limit(_TOP)
        .collect()
    )
    return tuple((str(r["v"]), int(r["count"])) for r in ranked)
