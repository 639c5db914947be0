"""Compose the cleaning steps: de-duplicate, then impute, then validate into clean rows and a quarantine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa

from ecomkit._arrow import TableLike, to_table
from ecomkit.cleaning import _duck
from ecomkit.cleaning.dedupe import Keep, _keep_mask
from ecomkit.cleaning.dedupe import dedupe as _dedupe
from ecomkit.cleaning.impute import _impute
from ecomkit.cleaning.rules import Custom, Rule
from ecomkit.cleaning.validate import (
    QUARANTINE_COLUMNS,
    Validation,
    _concat,
    _failing_masks,
    _failures,
    _quarantine_schema,
    validate,
)
from ecomkit.errors import ConfigError

__all__ = ["CleanReport", "Cleaned", "Dedupe", "Impute", "clean"]


@dataclass(frozen=True)
class Dedupe:
    """How :func:`clean` de-duplicates (the arguments of ``ecomkit.cleaning.dedupe``).

    Attributes:
        keys: key columns, or None for rows equal on every column.
        keep: ``"first"`` or ``"last"``.
        order_by: version column(s); the greatest version per key wins.
    """

    keys: tuple[str, ...] | None = None
    keep: Keep = "first"
    order_by: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Impute:
    """How :func:`clean` imputes (the arguments of ``ecomkit.cleaning.impute``).

    Attributes:
        strategies: column -> ``"zero"``/``"mean"``/``"median"``/``"mode"`` or a constant.
        by: group column(s) for per-group statistics.
    """

    strategies: Mapping[str, Any]
    by: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CleanReport:
    """What :func:`clean` did, in counts.

    Attributes:
        rows_in: input rows.
        duplicates_removed: rows dropped by de-duplication.
        imputed: column -> number of values filled.
        failures: rule name -> failing rows (after de-duplication and imputation).
        quarantined_rows: distinct rows moved to the quarantine (failing an error rule).
        warned_rows: distinct kept rows that failed a warn rule.
        rows_out: rows in the cleaned table (``rows_in - duplicates_removed - quarantined_rows``).
    """

    rows_in: int
    duplicates_removed: int
    imputed: Mapping[str, int]
    failures: Mapping[str, int]
    quarantined_rows: int
    warned_rows: int
    rows_out: int

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data."""
        return {
            "rows_in": self.rows_in,
            "duplicates_removed": self.duplicates_removed,
            "imputed": dict(self.imputed),
            "failures": dict(self.failures),
            "quarantined_rows": self.quarantined_rows,
            "warned_rows": self.warned_rows,
            "rows_out": self.rows_out,
        }


@dataclass(frozen=True)
class Cleaned:
    """The result of :func:`clean`.

    Attributes:
        table: the cleaned rows (input schema, input order).
        quarantine: one row per error-rule failure: original columns + ``row``, ``rule``, ``reason``;
            ``row`` is the position in the de-duplicated table.
        warnings: the same for warn-rule failures (those rows stay in ``table``).
        report: the counts.
        validation: the full validation result of the last step.
    """

    table: pa.Table
    quarantine: pa.Table
    warnings: pa.Table
    report: CleanReport
    validation: Validation = field(repr=False)


def clean(
    table: TableLike,
    *,
    dedupe: Dedupe | Sequence[str] | str | bool | None = None,
    impute: Impute | Mapping[str, Any] | None = None,
    rules: Sequence[Rule] = (),
) -> Cleaned:
    """De-duplicate, impute and validate ``table`` in that order; return clean rows, a quarantine and a report.

    Imputation runs before validation so that a value imputation can fill is not quarantined by a
    ``not_null`` rule; rules then judge the imputed values.

    Args:
        table: the input (Arrow or any PyCapsule-stream object).
        dedupe: a :class:`Dedupe`; key column(s) (keep the first copy); ``True`` for exact duplicates;
            ``None``/``False`` to skip.
        impute: an :class:`Impute` or a column -> strategy mapping (no grouping); ``None`` to skip.
        rules: rules for ``ecomkit.cleaning.validate``.

    Returns:
        A :class:`Cleaned`.

    Raises:
        ConfigError, MissingColumnError, ValidationError: from the steps, naming the column or rule.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit.cleaning import rules
        >>> t = pa.table({"id": [1, 1, 2], "qty": [2, 2, -1]})
        >>> out = clean(t, dedupe=["id"], rules=[rules.positive("qty")])
        >>> out.report.rows_out, out.report.duplicates_removed, out.report.quarantined_rows
        (1, 1, 1)
    """
    data = to_table(table)
    rows_in = data.num_rows
    spec = _dedupe_spec(dedupe)
    how = None if impute is None else (impute if isinstance(impute, Impute) else Impute(strategies=impute))
    if spec is not None and _narrow_ok(data, rules):
        return _clean_narrow(data, spec, how, list(rules))
    if spec is not None:
        data = _dedupe(data, spec.keys, keep=spec.keep, order_by=spec.order_by)
    duplicates_removed = rows_in - data.num_rows
    imputed: dict[str, int] = {}
    if how is not None:
        data, imputed = _impute(data, how.strategies, by=how.by)
    checked = validate(data, list(rules))
    warned = len(checked.warnings.column("row").unique()) if checked.warnings.num_rows else 0
    report = CleanReport(
        rows_in=rows_in,
        duplicates_removed=duplicates_removed,
        imputed=MappingProxyType(imputed),
        failures=checked.failures,
        quarantined_rows=checked.invalid_rows,
        warned_rows=warned,
        rows_out=checked.valid_rows,
    )
    return Cleaned(
        table=checked.valid,
        quarantine=checked.invalid,
        warnings=checked.warnings,
        report=report,
        validation=checked,
    )


def _dedupe_spec(value: Dedupe | Sequence[str] | str | bool | None) -> Dedupe | None:
    if value is None or value is False:
        return None
    if value is True:
        return Dedupe()
    if isinstance(value, Dedupe):
        return value
    if isinstance(value, str):
        return Dedupe(keys=(value,))
    if isinstance(value, Sequence):
        return Dedupe(keys=tuple(value))
    raise ConfigError(f"dedupe must be a Dedupe, key column(s), True or None; got {type(value).__name__}")


def _narrow_ok(data: pa.Table, rules: Sequence[Rule]) -> bool:
    """Whether every rule says which columns it reads (a custom function might read any)."""
    clash = any(c in data.column_names for c in QUARANTINE_COLUMNS)
    return not clash and not any(isinstance(rule, Custom) for rule in rules)


def _clean_narrow(data: pa.Table, spec: Dedupe, how: Impute | None, rules: list[Rule]) -> Cleaned:
    """:func:`clean` materializing only the columns imputation and rules read for the de-duplicated rows.

    The full-width result is filtered from the input once, so peak memory holds the input, the narrow
    working columns and the output — not a full de-duplicated copy as well.
    """
    keep = _keep_mask(data, spec.keys, keep=spec.keep, order_by=spec.order_by)
    kept = (
        None if keep is None else np.flatnonzero(np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool))
    )
    wanted = [
        *(how.strategies if how else ()),
        *(how.by or () if how else ()),
        *(c for r in rules for c in r.columns),
    ]
    needed = [c for c in dict.fromkeys(wanted) if c in data.column_names]
    narrow = data.select(needed)
    if keep is not None:
        narrow = narrow.filter(keep)
        del keep
    imputed: dict[str, int] = {}
    if how is not None:
        narrow, imputed = _impute(narrow, how.strategies, by=how.by)
    masks = _failing_masks(narrow, rules)  # not validate(): its narrow `valid` copy is not needed here
    rows = narrow.num_rows
    failed = np.zeros(rows, dtype=bool)
    parts: dict[str, list[pa.Table]] = {"error": [], "warn": []}
    for rule in rules:
        if masks[rule.name].any():
            parts[rule.severity].append(_failures(narrow, rule, masks[rule.name]))
            if rule.severity == "error":
                failed |= masks[rule.name]
    # only the imputed columns of the narrow copy are still needed; free the rest before widening
    narrow_schema = narrow.schema
    filled = {column: narrow.column(column) for column, count in imputed.items() if count}
    del narrow
    if failed.any():
        passing = pa.array(~failed)
        filled = {column: values.filter(passing) for column, values in filled.items()}
        del passing
    survivors = np.flatnonzero(~failed)
    original = survivors if kept is None else kept[survivors]
    del survivors
    if len(original) == data.num_rows:
        full = data
    else:
        mask = np.zeros(data.num_rows, dtype=bool)
        mask[original] = True
        # the imputed columns come from `filled`; filter only the others from the input
        full = data.drop_columns(list(filled)).filter(pa.array(mask))
        del mask
        for column in filled:
            full = full.add_column(
                data.schema.get_field_index(column), data.schema.field(column), filled[column]
            )
    del original
    for column, values in filled.items():
        if full.column(column) is not values:
            index = full.schema.get_field_index(column)
            full = full.set_column(index, full.schema.field(column), values)
    del filled

    def widen(part: pa.Table) -> pa.Table:
        positions = np.asarray(part.column("row").to_numpy(), dtype=np.int64)
        source = positions if kept is None else kept[positions]
        others = [c for c in data.column_names if c not in needed]
        extra = data.select(others).take(pa.array(source, pa.int64()))
        arrays = [part.column(c) if c in needed else extra.column(c) for c in data.column_names]
        arrays += [part.column(c) for c in QUARANTINE_COLUMNS]
        return pa.Table.from_arrays(arrays, schema=_quarantine_schema(data.schema))

    failures = MappingProxyType({name: int(mask.sum()) for name, mask in masks.items()})
    validation = Validation(
        valid=full,
        invalid=widen(_concat(narrow_schema, parts["error"])),
        warnings=widen(_concat(narrow_schema, parts["warn"])),
        failures=failures,
        dimensions=MappingProxyType({rule.name: rule.dimension for rule in rules}),
        rows=rows,
        failing_masks=MappingProxyType(masks),
    )
    warned = len(validation.warnings.column("row").unique()) if validation.warnings.num_rows else 0
    _duck.release_memory()
    report = CleanReport(
        rows_in=data.num_rows,
        duplicates_removed=data.num_rows - rows,
        imputed=MappingProxyType(imputed),
        failures=failures,
        quarantined_rows=validation.invalid_rows,
        warned_rows=warned,
        rows_out=validation.valid_rows,
    )
    return Cleaned(
        table=full,
        quarantine=validation.invalid,
        warnings=validation.warnings,
        report=report,
        validation=validation,
    )
