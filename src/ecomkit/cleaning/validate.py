"""Validate a table against rules: split the rows that pass from a quarantine that says why each failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, to_table
from ecomkit.cleaning.rules import Rule
from ecomkit.errors import ConfigError

__all__ = ["QUARANTINE_COLUMNS", "Validation", "validate"]

#: Columns :func:`validate` appends to failing rows: the input row position, the rule name and the reason.
QUARANTINE_COLUMNS = ("row", "rule", "reason")


@dataclass(frozen=True)
class Validation:
    """The outcome of :func:`validate`.

    Attributes:
        valid: the rows that pass every ``error`` rule, in input order (rows failing only ``warn`` rules stay).
        invalid: one row per (row, error rule) failure: the original columns plus ``row`` (0-based position
            in the input), ``rule`` (the rule's name) and ``reason`` (what was wrong, with the value).
        warnings: the same shape as ``invalid`` for failures of ``warn`` rules.
        failures: rule name -> number of failing rows, for every rule (0 when it passed everywhere).
        dimensions: rule name -> the rule's quality dimension.
        rows: number of input rows.
        failing_masks: rule name -> numpy bool array, True where the row fails (for profiles).
    """

    valid: pa.Table
    invalid: pa.Table
    warnings: pa.Table
    failures: Mapping[str, int]
    dimensions: Mapping[str, str]
    rows: int
    failing_masks: Mapping[str, np.ndarray[Any, np.dtype[np.bool_]]] = field(repr=False, compare=False)

    @property
    def counts(self) -> Mapping[str, int]:
        """Alias of :attr:`failures`: rule name -> failing row count."""
        return self.failures

    @property
    def valid_rows(self) -> int:
        """Number of rows passing every error rule."""
        return int(self.valid.num_rows)

    @property
    def invalid_rows(self) -> int:
        """Number of distinct input rows quarantined (``valid_rows + invalid_rows == rows``)."""
        return self.rows - self.valid_rows

    @property
    def ok(self) -> bool:
        """True when no error rule failed."""
        return self.invalid_rows == 0


def validate(table: TableLike, rules: Sequence[Rule]) -> Validation:
    """Check ``table`` against ``rules`` and split it into valid rows and a quarantine.

    Each rule is evaluated once, vectorized, over the whole table. A row failing several error rules
    appears once per failure in ``invalid`` (so every reason is shown) but counts once in
    ``invalid_rows``: ``valid_rows + invalid_rows == rows`` always holds. A missing value passes every
    rule except ``not_null`` (see ``ecomkit.cleaning.rules``).

    Args:
        table: the table to check (Arrow or any PyCapsule-stream object).
        rules: the rules; their names must be unique.

    Returns:
        A :class:`Validation`.

    Raises:
        ConfigError: two rules share a name, or the table already has a ``row``/``rule``/``reason`` column.
        MissingColumnError: a rule reads a column the table lacks.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit.cleaning import rules
        >>> items = pa.table({"unit_price": [10.0, -1.0, None]})
        >>> result = validate(items, [rules.positive("unit_price")])
        >>> result.valid_rows, result.failures["positive(unit_price)"]
        (2, 1)
    """
    table = to_table(table)
    failing = _failing_masks(table, rules)
    n = table.num_rows
    quarantine_error: list[pa.Table] = []
    quarantine_warn: list[pa.Table] = []
    any_error = np.zeros(n, dtype=bool)
    for rule in rules:
        fails = failing[rule.name]
        if not fails.any():
            continue
        rows = _failures(table, rule, fails)
        if rule.severity == "error":
            any_error |= fails
            quarantine_error.append(rows)
        else:
            quarantine_warn.append(rows)

    valid = table.filter(pa.array(~any_error)) if any_error.any() else table
    return Validation(
        valid=valid,
        invalid=_concat(table.schema, quarantine_error),
        warnings=_concat(table.schema, quarantine_warn),
        failures=MappingProxyType({name: int(mask.sum()) for name, mask in failing.items()}),
        dimensions=MappingProxyType({rule.name: rule.dimension for rule in rules}),
        rows=n,
        failing_masks=MappingProxyType(failing),
    )


def _failing_masks(table: pa.Table, rules: Sequence[Rule]) -> dict[str, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Rule name -> numpy bool array, True where the row fails; checks names and reserved columns first."""
    names = [rule.name for rule in rules]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"rule names must be unique; repeated: {repeated} (pass name= to tell them apart)")
    clash = [c for c in QUARANTINE_COLUMNS if c in table.column_names]
    if clash:
        raise ConfigError(f"the table already has column(s) {clash}, which validate() adds to failing rows")
    failing: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    for rule in rules:
        passed = rule.check(table)
        failing[rule.name] = ~np.asarray(
            pc.fill_null(passed, True).to_numpy(zero_copy_only=False), dtype=bool
        )
    return failing


def _quarantine_schema(schema: pa.Schema) -> pa.Schema:
    return (
        schema.append(pa.field("row", pa.int64(), nullable=False))
        .append(pa.field("rule", pa.string(), nullable=False))
        .append(pa.field("reason", pa.string(), nullable=False))
    )


def _concat(schema: pa.Schema, parts: list[pa.Table]) -> pa.Table:
    if not parts:
        return _quarantine_schema(schema).empty_table()
    return pa.concat_tables(parts)


def _failures(table: pa.Table, rule: Rule, fails: np.ndarray[Any, np.dtype[np.bool_]]) -> pa.Table:
    positions = np.flatnonzero(fails)
    rows = table.take(pa.array(positions))
    count = len(positions)
    reason: pa.Array = pa.repeat(pa.scalar(rule.description), count)
    if len(rule.columns) == 1:
        shown = _as_text(rows.column(rule.columns[0]))
        if shown is not None:
            reason = pc.binary_join_element_wise(reason, pa.scalar(", got "), shown, "")
    out = rows.append_column(
        pa.field("row", pa.int64(), nullable=False), pa.array(positions, type=pa.int64())
    )
    out = out.append_column(
        pa.field("rule", pa.string(), nullable=False), pa.repeat(pa.scalar(rule.name), count)
    )
    return out.append_column(pa.field("reason", pa.string(), nullable=False), reason)


def _as_text(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The values as text for a failure reason (``null`` for missing), or None if they have no text form."""
    try:
        text = pc.cast(values, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return None
    return pc.fill_null(text, "null")
