"""Quality reports as tables: per-field statistics and rule failures as Arrow, CSV or Parquet.

JSON (:meth:`~ecomkit.quality.QualityReport.to_json`) keeps everything; these flat tables are what a
spreadsheet, a BI tool or a warehouse table of quality history wants.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ecomkit.errors import ConfigError
from ecomkit.quality.profile import QualityReport

__all__ = ["QUANTILE_COLUMNS", "field_table", "rule_table", "write_csv"]

#: The quantile columns of :func:`field_table`.
QUANTILE_COLUMNS = ("p01", "p05", "p25", "p50", "p75", "p95", "p99")

_FIELDS = pa.schema(
    [
        pa.field("field", pa.string(), nullable=False),
        pa.field("type", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("nulls", pa.int64()),
        pa.field("null_rate", pa.float64()),
        pa.field("distinct", pa.int64()),
        pa.field("min", pa.string()),
        pa.field("max", pa.string()),
        pa.field("mean", pa.float64()),
        pa.field("stddev", pa.float64()),
        *(pa.field(q, pa.float64()) for q in QUANTILE_COLUMNS),
        pa.field("min_length", pa.int64()),
        pa.field("max_length", pa.int64()),
        pa.field("exact", pa.bool_()),
    ]
)


def field_table(report: QualityReport) -> pa.Table:
    """One row per profiled column: type, nulls and null rate, distinct count, min/max, mean, stddev,
    quantiles and text lengths (min and max as text, so numbers and timestamps share a column)."""
    fields = list(report.fields.values())
    columns: dict[str, list[object]] = {
        "field": [f.name for f in fields],
        "type": [f.type for f in fields],
        "kind": [f.kind for f in fields],
        "rows": [f.count for f in fields],
        "nulls": [f.nulls for f in fields],
        "null_rate": [f.nulls / f.count if f.count else 0.0 for f in fields],
        "distinct": [f.distinct for f in fields],
        "min": [None if f.min is None else str(f.min) for f in fields],
        "max": [None if f.max is None else str(f.max) for f in fields],
        "mean": [f.mean for f in fields],
        "stddev": [f.stddev for f in fields],
        **{q: [f.quantiles.get(q) for f in fields] for q in QUANTILE_COLUMNS},
        "min_length": [f.min_length for f in fields],
        "max_length": [f.max_length for f in fields],
        "exact": [f.exact for f in fields],
    }
    return pa.Table.from_pydict(columns, schema=_FIELDS)


def rule_table(report: QualityReport) -> pa.Table:
    """One row per rule: name, dimension, severity, failing rows and the failure rate."""
    names = list(report.rule_failures)
    info = report.rule_info
    return pa.table(
        {
            "rule": pa.array(names, pa.string()),
            "dimension": pa.array([info.get(n, {}).get("dimension") for n in names], pa.string()),
            "severity": pa.array([info.get(n, {}).get("severity") for n in names], pa.string()),
            "failing_rows": pa.array([report.rule_failures[n] for n in names], pa.int64()),
            "failure_rate": pa.array(
                [report.rule_failures[n] / report.rows if report.rows else 0.0 for n in names], pa.float64()
            ),
        }
    )


def write_csv(
    report: QualityReport, folder: str | os.PathLike[str], *, prefix: str = "quality"
) -> tuple[Path, Path]:
    """Write ``<prefix>_fields.csv`` and ``<prefix>_rules.csv`` into ``folder``; returns both paths.

    Use ``pyarrow.parquet.write_table(field_table(report), ...)`` for Parquet instead.

    Raises:
        ConfigError: ``folder`` is not a folder.
    """
    target = Path(folder)
    if not target.is_dir():
        raise ConfigError(f"write_csv(folder=...) must be an existing folder; got {str(target)!r}")
    fields_path = target / f"{prefix}_fields.csv"
    rules_path = target / f"{prefix}_rules.csv"
    pacsv.write_csv(field_table(report), fields_path)
    pacsv.write_csv(rule_table(report), rules_path)
    return fields_path, rules_path
