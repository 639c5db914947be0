"""Profile a table's data quality: counts, per-field statistics, rule failures and dimension scores.

Every statistic is exact. Number and timestamp columns are sorted once in numpy (distinct count, min/max,
quantiles and histogram read the sorted copy); text columns get one DuckDB group-by each (distinct count,
top values) and pyarrow length statistics; columns are profiled in parallel threads. Duplicates come from
one hash pass over the keys, with the exact grouping run only on rows that share a hash. Rules run
vectorized through ``ecomkit.cleaning.validate``.

**Merging.** :func:`merge` combines profiles of disjoint row sets (batches, Spark partitions). Exact after a
merge: row, null, NaN, valid/invalid/warned and rule-failure counts, min/max, mean and standard deviation
(Chan's parallel formula over count/mean/M2), text lengths, and every score (scores are functions of counts).
Duplicate counts are sums, exact when no duplicate group spans two parts — partition by the dedupe keys, as
the Spark path does. Not exact after a merge (flagged ``exact=False`` on the field): ``distinct`` becomes
the upper bound sum of the parts, quantiles the count-weighted mean of the parts' quantiles, top values the
summed counts of the parts' top lists, and histograms are re-binned in proportion.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.cleaning import _duck
from ecomkit.cleaning.dedupe import _dropped_positions, _hash_candidates
from ecomkit.cleaning.rules import Rule, not_future
from ecomkit.cleaning.validate import _failing_masks, _failures
from ecomkit.quality import scores as _scores

__all__ = ["QUANTILES", "FieldKind", "FieldProfile", "QualityReport", "merge", "profile"]

#: The quantiles reported for numeric fields (exact, linear interpolation between order statistics).
QUANTILES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_BINS = 20
_TOP = 5
_SAMPLES = 5
_PARALLEL_ROWS = 200_000  # below this, threads cost more than they save
# One DuckDB thread per text group-by: its hash table over millions of distinct values (order ids) is
# built once instead of once per thread and merged, which halves its memory (and measured no slower).
_TEXT_THREADS = 1

FieldKind = Literal["number", "text", "timestamp", "boolean", "other"]


@dataclass(frozen=True)
class FieldProfile:
    """Statistics of one column. Values that do not apply to the column's kind are None/empty.

    Attributes:
        name: column name.
        type: Arrow type as text.
        kind: ``number``, ``text``, ``timestamp``, ``boolean`` or ``other``.
        count: rows.
        nulls: missing values (null, or NaN in float columns).
        nans: NaN values (floats only; included in ``nulls``).
        distinct: distinct present values.
        min, max: smallest and largest present value (numbers as float; timestamps as ISO text).
        mean, stddev: arithmetic mean and sample standard deviation (numbers).
        m2: sum of squared deviations from the mean (numbers; what merging needs).
        quantiles: ``"p50"`` -> value (numbers), exact unless merged.
        histogram: ``(lower edge, upper edge, count)`` for 20 equal-width bins (numbers, timestamps in epoch µs).
        top: the five most frequent values with counts (text), ties by value.
        min_length, max_length, mean_length: text length in characters.
        true_count: number of true values (booleans).
        exact: False once merged from parts where distinct/quantiles/top/histogram are approximate.
    """

    name: str
    type: str
    kind: FieldKind
    count: int
    nulls: int
    nans: int = 0
    distinct: int | None = None
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    stddev: float | None = None
    m2: float | None = None
    quantiles: Mapping[str, float] = field(default_factory=dict)
    histogram: tuple[tuple[float, float, int], ...] = ()
    top: tuple[tuple[str, int], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    mean_length: float | None = None
    true_count: int | None = None
    exact: bool = True

    @property
    def present(self) -> int:
        """Number of present (non-missing) values."""
        return self.count - self.nulls

    def to_dict(self) -> dict[str, Any]:
        """The statistics as plain JSON-able data."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["quantiles"] = dict(self.quantiles)
        out["histogram"] = [list(b) for b in self.histogram]
        out["top"] = [list(t) for t in self.top]
        return out


@dataclass(frozen=True)
class QualityReport:
    """A data-quality profile: counts, per-field statistics, rule failures and scores. Build with :func:`profile`.

    Attributes:
        rows: number of rows.
        columns: number of columns.
        keys: the duplicate keys profiled with (None: whole rows).
        exact_duplicate_rows: rows identical to an earlier row on every column.
        duplicate_rows: rows sharing ``keys`` with an earlier row (equals ``exact_duplicate_rows`` without keys).
        valid_rows: rows passing every error rule.
        invalid_rows: rows failing at least one error rule.
        warned_rows: rows failing a warn rule but no error rule.
        null_counts: column -> missing values (null or NaN).
        fields: column -> :class:`FieldProfile`.
        rule_failures: rule name -> failing rows.
        rule_info: rule name -> ``{"dimension": ..., "severity": ..., "description": ...}``.
        samples: rule name -> up to five failing rows (JSON-able dicts).
        failing_rows: dimension -> rows failing at least one check of that dimension.
        measured: dimensions that had a check.
        scores: dimension -> score in [0, 1].
        weights: dimension -> weight of the overall score.
        overall: the weighted overall score in [0, 1].
        title: a heading for the HTML report.
        generated_at: when the profile was made (ISO 8601, UTC).
    """

    rows: int
    columns: int
    keys: tuple[str, ...] | None
    exact_duplicate_rows: int
    duplicate_rows: int
    valid_rows: int
    invalid_rows: int
    warned_rows: int
    null_counts: Mapping[str, int]
    fields: Mapping[str, FieldProfile]
    rule_failures: Mapping[str, int]
    rule_info: Mapping[str, Mapping[str, str]]
    samples: Mapping[str, tuple[Mapping[str, Any], ...]]
    failing_rows: Mapping[str, int]
    measured: tuple[str, ...]
    scores: Mapping[str, float]
    weights: Mapping[str, float]
    overall: float
    title: str = "Data quality report"
    generated_at: str = ""

    @property
    def completeness(self) -> float:
        """The completeness score."""
        return self.scores["completeness"]

    @property
    def validity(self) -> float:
        """The validity score."""
        return self.scores["validity"]

    @property
    def uniqueness(self) -> float:
        """The uniqueness score."""
        return self.scores["uniqueness"]

    @property
    def consistency(self) -> float:
        """The consistency score."""
        return self.scores["consistency"]

    @property
    def timeliness(self) -> float:
        """The timeliness score."""
        return self.scores["timeliness"]

    def to_dict(self) -> dict[str, Any]:
        """The whole report as plain JSON-able data."""
        return {
            "title": self.title,
            "generated_at": self.generated_at,
            "rows": self.rows,
            "columns": self.columns,
            "keys": list(self.keys) if self.keys is not None else None,
            "exact_duplicate_rows": self.exact_duplicate_rows,
            "duplicate_rows": self.duplicate_rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "warned_rows": self.warned_rows,
            "null_counts": dict(self.null_counts),
            "scores": dict(self.scores),
            "weights": dict(self.weights),
            "overall": self.overall,
            "measured": list(self.measured),
            "failing_rows": dict(self.failing_rows),
            "rule_failures": dict(self.rule_failures),
            "rules": {name: dict(info) for name, info in self.rule_info.items()},
            "samples": {name: [dict(r) for r in rows] for name, rows in self.samples.items()},
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text (NaN and infinities become null)."""
        return json.dumps(_json_safe(self.to_dict()), indent=indent, allow_nan=False)

    def to_html(self, path: str | Path | None = None) -> str:
        """The report as one self-contained HTML page (inline CSS and SVG, no external assets).

        Args:
            path: when given, also write the page there (UTF-8).

        Returns:
            The HTML text.
        """
        from ecomkit.quality.html import render_report

        page = render_report(self)
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` and return the path."""
        self.to_html(path)
        return Path(path)


def profile(
    table: TableLike,
    *,
    rules: Sequence[Rule] | None = None,
    keys: Sequence[str] | str | None = None,
    timestamp: str | None = None,
    weights: Mapping[str, float] | None = None,
    now: dt.datetime | None = None,
    title: str = "Data quality report",
) -> QualityReport:
    """Profile ``table``: counts, per-field statistics, rule failures with samples, and quality scores.

    Args:
        table: the table (Arrow or any PyCapsule-stream object).
        rules: rules to check (``ecomkit.cleaning.rules``); error rules decide valid/invalid rows.
        keys: duplicate keys for ``duplicate_rows`` and the uniqueness score (None: whole rows).
        timestamp: a timestamp column checked by an implicit warn rule ``not_future`` (timeliness).
        weights: dimension -> weight for the overall score (defaults in ``ecomkit.quality.scores``).
        now: the time ``not_future`` compares with (default: now).
        title: heading of the HTML report.

    Returns:
        A frozen :class:`QualityReport`.

    Raises:
        MissingColumnError: a key, timestamp or rule column is absent.
        ConfigError: bad weights or rules.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit.cleaning import rules
        >>> t = pa.table({"id": [1, 1, 2, 3], "qty": [1, 1, None, -4]})
        >>> r = profile(t, rules=[rules.positive("qty")], keys=["id"])
        >>> r.rows, r.duplicate_rows, r.invalid_rows, r.null_counts["qty"]
        (4, 1, 1, 1)
    """
    data = to_table(table)
    key_list = [keys] if isinstance(keys, str) else (list(keys) if keys is not None else None)
    if key_list is not None:
        require_columns(data, key_list, what="table to profile")
    weight_map = _scores.resolve_weights(weights)
    checks = list(rules or [])
    if timestamp is not None:
        require_columns(data, [timestamp], what="table to profile")
        checks.append(not_future(timestamp, now=now, severity="warn", name=f"not_future({timestamp})"))

    n = data.num_rows
    fields = _field_profiles(data)  # first: its working set then shares memory with nothing of ours
    _duck.release_memory()
    exact_dups, key_dups = _duplicates(data, key_list)
    masks = _failing_masks(data, checks)

    failing_by_dim: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    for rule in checks:
        mask = masks[rule.name]
        current = failing_by_dim.get(rule.dimension)
        failing_by_dim[rule.dimension] = mask.copy() if current is None else current | mask
    measured = set(failing_by_dim)
    failing_counts = {d: int(m.sum()) for d, m in failing_by_dim.items()}
    uniqueness = failing_by_dim.get("uniqueness")
    if uniqueness is None:
        failing_counts["uniqueness"] = len(key_dups)
    else:
        uniqueness[key_dups] = True
        failing_counts["uniqueness"] = int(uniqueness.sum())

    error_fail = np.zeros(n, dtype=bool)
    warn_fail = np.zeros(n, dtype=bool)
    for rule in checks:
        if rule.severity == "error":
            error_fail |= masks[rule.name]
        else:
            warn_fail |= masks[rule.name]

    samples: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for rule in sorted(checks, key=lambda r: r.severity != "error"):
        fails = masks[rule.name]
        if fails.any():
            first = np.zeros(n, dtype=bool)
            first[np.flatnonzero(fails)[:_SAMPLES]] = True
            rows = _failures(data, rule, first).drop_columns(["rule"]).to_pylist()
            samples[rule.name] = tuple(MappingProxyType(_json_safe(r)) for r in rows)

    null_counts = {name: f.nulls for name, f in fields.items()}
    return _assemble(
        rows=n,
        columns=data.num_columns,
        keys=tuple(key_list) if key_list is not None else None,
        exact_duplicate_rows=len(exact_dups),
        duplicate_rows=len(key_dups),
        valid_rows=int(n - error_fail.sum()),
        invalid_rows=int(error_fail.sum()),
        warned_rows=int((warn_fail & ~error_fail).sum()),
        null_counts=null_counts,
        fields=fields,
        rule_failures={name: int(mask.sum()) for name, mask in masks.items()},
        rule_info={
            r.name: {"dimension": r.dimension, "severity": r.severity, "description": r.description}
            for r in checks
        },
        samples=samples,
        failing_rows=failing_counts,
        measured=measured,
        weights=weight_map,
        title=title,
    )


def _assemble(
    *, failing_rows: Mapping[str, int], measured: set[str], weights: Mapping[str, float], **values: Any
) -> QualityReport:
    rows, columns = values["rows"], values["columns"]
    missing_cells = sum(values["null_counts"].values())
    dim_scores = _scores.dimension_scores(
        rows=rows, columns=columns, missing_cells=missing_cells, failing_rows=failing_rows, measured=measured
    )
    overall = _scores.overall_score(dim_scores, weights)
    return QualityReport(
        **{k: v for k, v in values.items() if k not in ("null_counts", "fields", "rule_failures")},
        null_counts=MappingProxyType(dict(values["null_counts"])),
        fields=MappingProxyType(dict(values["fields"])),
        rule_failures=MappingProxyType(dict(values["rule_failures"])),
        failing_rows=MappingProxyType(dict(failing_rows)),
        measured=tuple(d for d in _scores.DIMENSIONS if d in measured),
        scores=MappingProxyType(dim_scores),
        weights=MappingProxyType(dict(weights)),
        overall=overall,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def _duplicates(
    data: pa.Table, keys: list[str] | None
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
    """Positions of exact duplicates and of key duplicates (beyond the first copy), from one hash pass.

    Rows equal on every column are equal on the keys, so the rows sharing a key hash are candidates for
    both; the exact grouping runs only on them.
    """
    if data.num_rows < 2 or data.num_columns == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    everything = data.column_names
    candidates = _hash_candidates(data, keys if keys is not None else everything)
    exact = _dropped_positions(data, everything, candidates=candidates)
    if keys is None:
        return exact, exact
    return exact, _dropped_positions(data, keys, candidates=candidates)


def _kind(kind: pa.DataType) -> FieldKind:
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "timestamp"
    if pa.types.is_boolean(kind):
        return "boolean"
    return "other"


def _field_profiles(table: pa.Table) -> dict[str, FieldProfile]:
    """Per-column statistics, exact: numbers, timestamps and booleans in numpy, text in DuckDB + pyarrow.

    A number or timestamp column's present values are sorted once (numpy's vectorized sort); the
    distinct count, min/max, exact quantiles and the histogram all read that sorted copy; those columns
    are profiled in parallel threads (numpy and Arrow release the GIL). Text columns get one DuckDB
    group-by each (distinct count and top values) and pyarrow length statistics, one column at a time
    before the others, which bounds the peak memory by the largest group-by.
    """
    names = table.column_names
    text = [f.name for f in table.schema if _kind(f.type) == "text"]
    others = [name for name in names if name not in text]
    workers = min(len(others), os.cpu_count() or 1)
    # text columns first, one at a time: a group-by over millions of distinct values is the largest
    # working set of the profile, so nothing else runs beside it; then the numpy columns in parallel
    done = {name: _column_profile(table, name) for name in text}
    if workers < 2 or table.num_rows < _PARALLEL_ROWS:
        done.update({name: _column_profile(table, name) for name in others})
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending = {name: pool.submit(_column_profile, table, name) for name in others}
            done.update({name: future.result() for name, future in pending.items()})
    return {name: done[name] for name in names}


def _column_profile(table: pa.Table, name: str) -> FieldProfile:
    column = table.column(name)
    kind = _kind(column.type)
    rows = table.num_rows
    base: dict[str, Any] = {"name": name, "type": str(column.type), "kind": kind, "count": rows}
    if kind == "other":
        return FieldProfile(**base, nulls=column.null_count)
    nans = 0
    if pa.types.is_floating(column.type):
        nans = int(pc.sum(pc.is_nan(column)).as_py() or 0)
    present = rows - column.null_count - nans
    base.update(nulls=rows - present, nans=nans)
    if kind == "text":
        return FieldProfile(**base, **_text_stats(table, name, column, present))
    if kind == "boolean":
        values = column.drop_null()
        trues = int(pc.sum(values).as_py() or 0)
        return FieldProfile(**base, distinct=int(trues > 0) + int(trues < present), true_count=trues)
    return FieldProfile(**base, **_sorted_stats(column, kind, present, nans=nans))


def _text_stats(table: pa.Table, name: str, column: pa.ChunkedArray, present: int) -> dict[str, Any]:
    out: dict[str, Any] = {"distinct": 0, "top": ()}
    if present:
        lengths = pc.utf8_length(column)
        extremes = pc.min_max(lengths).as_py()
        out.update(
            min_length=extremes["min"],
            max_length=extremes["max"],
            mean_length=pc.mean(lengths).as_py(),
        )
        with _duck.connect(t=table.select([name])) as con:
            out["distinct"], out["top"] = _top_values(con, name, threads=_TEXT_THREADS)
    return out


def _sorted_stats(column: pa.ChunkedArray, kind: FieldKind, present: int, *, nans: int = 0) -> dict[str, Any]:
    """Distinct count, min/max, mean/stddev, quantiles and histogram from one sorted copy of the values.

    Nothing else of the column's length is copied (no null/NaN filter when there is nothing to drop, no
    temporary arrays for the histogram), so parallel columns do not multiply the memory peak.
    """
    kind_type = column.type
    values = column.drop_null() if column.null_count else column
    if nans:
        values = values.filter(pc.invert(pc.is_nan(values)))
    if present == 0:
        return {"distinct": 0}
    if pa.types.is_decimal(kind_type):
        distinct = int(pc.count_distinct(values).as_py())
        native = np.asarray(values.cast(pa.float64()).to_numpy(), dtype=np.float64)
        native = np.sort(native)
    else:
        native = np.sort(_numeric_view(values))
        distinct = 1 + int(np.count_nonzero(native[1:] != native[:-1]))
    if kind == "timestamp":
        micros = _epoch_us(native, kind_type)
        first, last = int(micros[0]), int(micros[-1])
        return {
            "distinct": distinct,
            "min": _iso(first),
            "max": _iso(last),
            "histogram": _histogram(micros, float(first), float(last)),
        }
    x = native.astype(np.float64, copy=False)  # our own sorted copy either way
    del native
    lo, hi = float(x[0]), float(x[-1])
    finite = x if math.isfinite(lo) and math.isfinite(hi) else None
    quantiles = {_qname(q): v for q, v in zip(QUANTILES, _quantiles(x), strict=True)}
    histogram = _histogram(finite, lo, hi) if finite is not None else ()
    n = len(x)
    with np.errstate(invalid="ignore", over="ignore"):
        mean_value = np.mean(x)
        mean = float(mean_value)
        var = None
        if n > 1:
            # np.var(x, ddof=1), step for step, but squaring the deviations in place in the copy that is
            # no longer needed instead of allocating another array of the column's length
            np.subtract(x, mean_value, out=x)
            np.multiply(x, x, out=x)
            var = float(np.add.reduce(x) / (n - 1))
    return {
        "distinct": distinct,
        "min": lo,
        "max": hi,
        "mean": mean,
        "stddev": math.sqrt(var) if var is not None and var >= 0 else None,
        "m2": var * (n - 1) if var is not None else 0.0,
        "quantiles": quantiles,
        "histogram": histogram,
    }


def _numeric_view(values: pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """The values (no nulls) as a numpy array: numbers as they are, timestamps/dates as their integers."""
    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        width = pa.int32() if pa.types.is_date32(kind) else pa.int64()
        values = values.cast(width)
    elif pa.types.is_floating(kind) and kind != pa.float64():
        values = values.cast(pa.float64())
    chunks = [c.to_numpy(zero_copy_only=False) for c in values.chunks]
    if len(chunks) == 1:
        only: np.ndarray[Any, Any] = chunks[0]  # a view when Arrow allows; the caller's sort copies anyway
        return only
    return np.concatenate(chunks) if chunks else np.empty(0)


def _epoch_us(native: np.ndarray[Any, Any], kind: pa.DataType) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Sorted timestamp/date integers as microseconds since the epoch (sub-µs precision floored)."""
    values = native.astype(np.int64, copy=False)
    if pa.types.is_date32(kind):
        return values * 86_400_000_000
    if pa.types.is_date64(kind):
        return values * 1_000
    factor = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": -1_000}[kind.unit]
    if factor == 1:
        return values
    return values * factor if factor > 0 else values // -factor


def _quantiles(ordered: np.ndarray[Any, np.dtype[np.float64]]) -> list[float]:
    """Exact quantiles with linear interpolation between order statistics (as DuckDB's quantile_cont)."""
    n = len(ordered)
    out = []
    for q in QUANTILES:
        position = q * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        fraction = position - low
        a, b = float(ordered[low]), float(ordered[high])
        out.append(a if fraction == 0 or a == b else a + fraction * (b - a))
    return out


def _histogram(
    ordered: np.ndarray[Any, Any] | None, lo: float, hi: float
) -> tuple[tuple[float, float, int], ...]:
    """Equal-width bins between ``lo`` and ``hi`` (one bin when they are equal); the top bin is closed.

    A value ``x`` falls in bin ``min(floor((float(x) - lo) / width), bins - 1)``. That bin number never
    decreases along the sorted values, so each bin's first position is found by a binary search that
    evaluates the formula at O(log n) positions — exact, and without a temporary array of length n.
    """
    if ordered is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return ()
    width = (hi - lo) / _BINS if hi > lo else 1.0
    bins = _BINS if hi > lo else 1
    n = len(ordered)

    def bin_at(positions: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.int64]]:
        x = ordered[positions].astype(np.float64)
        found: np.ndarray[Any, np.dtype[np.int64]] = np.minimum(
            np.floor((x - lo) / width).astype(np.int64), bins - 1
        )
        return found

    # starts[b - 1]: the first position whose bin is >= b, for b = 1 .. bins - 1
    wanted = np.arange(1, bins, dtype=np.int64)
    first = np.zeros(bins - 1, dtype=np.int64)
    last = np.full(bins - 1, n, dtype=np.int64)
    while (open_ := first < last).any():
        middle = (first + last) // 2
        probe = np.minimum(middle, n - 1)
        below = open_ & (bin_at(probe) < wanted)
        first = np.where(below, middle + 1, first)
        last = np.where(open_ & ~below, middle, last)
    counts = np.diff(np.concatenate(([0], first, [n])))
    return tuple((lo + b * width, lo + (b + 1) * width, int(counts[b])) for b in range(bins))


def _top_values(
    con: Any, column: str, *, threads: int | None = None
) -> tuple[int, tuple[tuple[str, int], ...]]:
    """Distinct count and top values of ``column`` in table ``t`` (``threads``: DuckDB threads for it)."""
    c = _duck.ident(column)
    sql = (
        f"WITH g AS (SELECT {c} AS v, count(*) AS n FROM t WHERE {c} IS NOT NULL GROUP BY {c}) "
        f"SELECT (SELECT count(*) FROM g) AS d, "
        f"(SELECT list([v, CAST(n AS VARCHAR)]) FROM (SELECT v, n FROM g ORDER BY n DESC, v LIMIT {_TOP})) AS top"
    )
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    try:
        row = _duck.arrow(con, sql).to_pylist()[0]
    finally:
        if threads is not None:
            con.execute("RESET threads")
    top = tuple((str(v), int(n)) for v, n in (row["top"] or []))
    return int(row["d"]), top


def _qname(p: float) -> str:
    return f"p{round(p * 100):02d}"


def _iso(epoch_us: int | None) -> str | None:
    if epoch_us is None:
        return None
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=int(epoch_us))
    return moment.isoformat()


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- merging ---------------------------------------------------------------------------------------------


def merge(*reports: QualityReport) -> QualityReport:
    """Combine profiles of disjoint row sets into the profile of their union (see the module docstring).

    All parts must have the same columns and rules. Counts, min/max/mean/stddev and scores are exact;
    duplicates are exact when no duplicate group spans two parts; distinct counts, quantiles, top values
    and histograms are approximate after a merge and flagged ``exact=False``.

    Raises:
        ConfigError: no reports, or parts with different columns, rules or keys.

    Example:
        >>> import pyarrow as pa
        >>> a, b = pa.table({"x": [1.0, 2.0]}), pa.table({"x": [3.0, None]})
        >>> m = merge(profile(a), profile(b))
        >>> m.rows, m.null_counts["x"], m.fields["x"].mean
        (4, 1, 2.0)
    """
    from ecomkit.errors import ConfigError

    if not reports:
        raise ConfigError("merge() needs at least one report")
    first = reports[0]
    for other in reports[1:]:
        if list(other.fields) != list(first.fields) or set(other.rule_failures) != set(first.rule_failures):
            raise ConfigError("merge() needs reports of the same columns and rules")
        if other.keys != first.keys:
            raise ConfigError(f"merge() needs reports with the same keys; got {first.keys} and {other.keys}")
    if len(reports) == 1:
        return first

    def total(attr: str) -> int:
        return sum(int(getattr(r, attr)) for r in reports)

    def summed(attr: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in reports:
            for k, v in getattr(r, attr).items():
                out[k] = out.get(k, 0) + int(v)
        return out

    samples: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for r in reports:
        for name, rows in r.samples.items():
            samples[name] = (samples.get(name, ()) + tuple(rows))[:_SAMPLES]
    fields = {name: _merge_fields([r.fields[name] for r in reports]) for name in first.fields}
    return _assemble(
        rows=total("rows"),
        columns=first.columns,
        keys=first.keys,
        exact_duplicate_rows=total("exact_duplicate_rows"),
        duplicate_rows=total("duplicate_rows"),
        valid_rows=total("valid_rows"),
        invalid_rows=total("invalid_rows"),
        warned_rows=total("warned_rows"),
        null_counts=summed("null_counts"),
        fields=fields,
        rule_failures=summed("rule_failures"),
        rule_info=first.rule_info,
        samples=samples,
        failing_rows=summed("failing_rows"),
        measured=set().union(*(r.measured for r in reports)),
        weights=first.weights,
        title=first.title,
    )


def _merge_fields(parts: list[FieldProfile]) -> FieldProfile:
    base = parts[0]
    with_values = [p for p in parts if p.present > 0]
    merged: dict[str, Any] = {
        "count": sum(p.count for p in parts),
        "nulls": sum(p.nulls for p in parts),
        "nans": sum(p.nans for p in parts),
    }
    if len(with_values) <= 1:
        source = with_values[0] if with_values else base
        return replace(source, **merged, exact=source.exact)
    merged["exact"] = False
    if base.distinct is not None:
        merged["distinct"] = sum(p.distinct or 0 for p in with_values)
    mins = [p.min for p in with_values if p.min is not None]
    maxs = [p.max for p in with_values if p.max is not None]
    merged["min"] = min(mins) if mins else None
    merged["max"] = max(maxs) if maxs else None
    if base.kind == "number":
        n, mean, m2 = 0, 0.0, 0.0
        for p in with_values:
            if p.mean is None or p.m2 is None:
                continue
            k = p.present
            delta = p.mean - mean
            mean += delta * k / (n + k)
            m2 += p.m2 + delta * delta * n * k / (n + k)
            n += k
        merged.update(mean=mean, m2=m2, stddev=math.sqrt(m2 / (n - 1)) if n > 1 else None)
        weights = [p.present for p in with_values]
        merged["quantiles"] = {
            q: float(np.average([p.quantiles[q] for p in with_values], weights=weights))
            for q in base.quantiles
        }
    if base.kind == "text":
        counts: dict[str, int] = {}
        for p in with_values:
            for value, count in p.top:
                counts[value] = counts.get(value, 0) + count
        merged["top"] = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP])
        merged["min_length"] = min(p.min_length for p in with_values if p.min_length is not None)
        merged["max_length"] = max(p.max_length for p in with_values if p.max_length is not None)
        present = sum(p.present for p in with_values)
        merged["mean_length"] = sum((p.mean_length or 0.0) * p.present for p in with_values) / present
    if base.kind == "boolean":
        merged["true_count"] = sum(p.true_count or 0 for p in with_values)
    merged["histogram"] = _rebin([p.histogram for p in with_values], merged.get("min"), merged.get("max"))
    return replace(base, **merged)


def _rebin(
    histograms: list[tuple[tuple[float, float, int], ...]], lo: Any, hi: Any
) -> tuple[tuple[float, float, int], ...]:
    """Spread every part's bin counts over common bins in proportion to overlap (approximate)."""
    if not isinstance(lo, float | int) or not isinstance(hi, float | int) or not any(histograms):
        return ()
    width = (hi - lo) / _BINS if hi > lo else 1.0
    bins = _BINS if hi > lo else 1
    counts = np.zeros(bins)
    for hist in histograms:
        for b_lo, b_hi, count in hist:
            if count == 0:
                continue
            span = max(b_hi - b_lo, 1e-300)
            for b in range(bins):
                lo_b, hi_b = lo + b * width, lo + (b + 1) * width
                overlap = max(0.0, min(b_hi, hi_b) - max(b_lo, lo_b))
                counts[b] += count * overlap / span
    total = sum(c for h in histograms for _, _, c in h)
    rounded = np.floor(counts).astype(int)
    rounded[int(np.argmax(counts - rounded))] += total - int(rounded.sum())
    return tuple((lo + b * width, lo + (b + 1) * width, int(rounded[b])) for b in range(bins))
