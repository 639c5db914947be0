"""Declarative, serializable data-quality rules evaluated vectorized on Arrow tables.

Build rules with the factory functions (``not_null("customer_id")``, ``between("unit_price", 0, 10_000)``,
``sums_to("total_amount", ["items_total", "freight_total"])`` ...) or load them from a dict or TOML
(:func:`from_dict`, :func:`from_toml`). Every rule has a ``name`` (derived from its arguments unless given), a
quality ``dimension`` and a ``severity``: ``"error"`` quarantines the failing row, ``"warn"`` keeps it and
reports it.

Null semantics, decided once: **a missing value (null, or NaN in a float column) passes every rule except
``not_null``**, so each defect is counted once, by the rule meant for it. A cross-field rule passes when any of
its fields is missing; ``unique`` ignores rows with a missing key (like a SQL ``UNIQUE`` constraint).

Example:
    >>> from ecomkit.cleaning import rules
    >>> checks = [rules.not_null("order_id"), rules.positive("unit_price", severity="warn")]
    >>> [r.name for r in checks]
    ['not_null(order_id)', 'positive(unit_price)']
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import require_columns
from ecomkit.cleaning import _duck
from ecomkit.errors import ConfigError

__all__ = [
    "Between",
    "Custom",
    "Dimension",
    "IsIn",
    "MaxLength",
    "NonNegative",
    "NotFuture",
    "NotNull",
    "Ordered",
    "Positive",
    "References",
    "Regex",
    "Rule",
    "Severity",
    "SumsTo",
    "Unique",
    "between",
    "custom",
    "from_dict",
    "from_toml",
    "isin",
    "max_length",
    "non_negative",
    "not_future",
    "not_null",
    "ordered",
    "positive",
    "references",
    "regex",
    "sums_to",
    "unique",
]

#: The quality dimension a rule measures.
Dimension = Literal["completeness", "validity", "uniqueness", "consistency", "timeliness"]
#: ``"error"`` quarantines a failing row; ``"warn"`` keeps it and reports it.
Severity = Literal["error", "warn"]

_DIMENSIONS = get_args(Dimension)
_SEVERITIES = get_args(Severity)


def _missing(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where a value is null, or NaN in a floating-point column."""
    missing = pc.is_null(values)
    if pa.types.is_floating(values.type):
        missing = pc.or_(missing, pc.fill_null(pc.is_nan(values), False))
    return missing


def _passes(condition: pa.ChunkedArray, *columns: pa.ChunkedArray) -> pa.ChunkedArray:
    """``condition`` with every row where one of ``columns`` is missing turned into a pass."""
    result = pc.fill_null(condition, True)
    for column in columns:
        result = pc.or_(result, _missing(column))
    return result


def _require_type(table: pa.Table, column: str, check: Callable[[pa.DataType], bool], what: str) -> None:
    kind = table.schema.field(column).type
    if not check(kind):
        raise ConfigError(f"column {column!r} has type {kind}; this rule needs {what}")


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def _comparable(kind: pa.DataType) -> bool:
    return bool(_numeric(kind) or pa.types.is_temporal(kind) or pa.types.is_string(kind))


def _text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of every rule: a named, vectorized predicate with a quality dimension and a severity.

    Subclasses implement :meth:`check`. Use the factory functions (:func:`not_null` ...) to build rules.

    Attributes:
        name: unique name within one validation; derived from the arguments unless given.
        dimension: the quality dimension the rule measures.
        severity: ``"error"`` quarantines a failing row, ``"warn"`` only reports it.
    """

    kind: ClassVar[str] = "rule"
    name: str = ""
    dimension: Dimension = "validity"
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITIES:
            raise ConfigError(f"rule severity must be one of {_SEVERITIES}, got {self.severity!r}")
        if self.dimension not in _DIMENSIONS:
            raise ConfigError(f"rule dimension must be one of {_DIMENSIONS}, got {self.dimension!r}")
        if not self.name:
            object.__setattr__(self, "name", self._default_name())

    def _default_name(self) -> str:
        return f"{self.kind}({', '.join(self.columns)})"

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the validated table this rule reads."""
        return ()

    @property
    def description(self) -> str:
        """What a passing row satisfies, in words (used in failure reasons)."""
        return self.name

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        """Evaluate the rule: a boolean array, True where the row passes (never null).

        Raises:
            MissingColumnError: a column the rule reads is absent.
            ConfigError: a column has a type the rule cannot check.
        """
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The rule as a plain dict that :func:`from_dict` turns back into an equal rule."""
        out: dict[str, Any] = {"check": self.kind}
        out.update(self._args())
        out.update(name=self.name, dimension=self.dimension, severity=self.severity)
        return out

    def _args(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, kw_only=True)
class _ColumnRule(Rule):
    column: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def _args(self) -> dict[str, Any]:
        return {"column": self.column}

    def _values(self, table: pa.Table) -> pa.ChunkedArray:
        require_columns(table, [self.column], what="table to validate")
        return table.column(self.column)


@dataclass(frozen=True, kw_only=True)
class NotNull(_ColumnRule):
    """The column has a value (not null; not NaN for floats). Built by :func:`not_null`."""

    kind: ClassVar[str] = "not_null"
    dimension: Dimension = "completeness"

    @property
    def description(self) -> str:
        return f"{self.column} must not be null"

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        return pc.invert(_missing(self._values(table)))


@dataclass(frozen=True, kw_only=True)
class Between(_ColumnRule):
    """``lo <= value <= hi`` (inclusive). Built by :func:`between`."""

    kind: ClassVar[str] = "between"
    lo: Any = None
    hi: Any = None

    def __post_init__(self) -> None:
        if self.lo is None and self.hi is None:
            raise ConfigError(f"between({self.column}) needs lo, hi or both")
        super().__post_init__()

    def _default_name(self) -> str:
        return f"between({self.column}, {self.lo}, {self.hi})"

    @property
    def description(self) -> str:
        return f"{self.column} must be between {self.lo} and {self.hi}"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, "lo": self.lo, "hi": self.hi}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, _comparable, "numbers, timestamps or text")
        checks = []
        if self.lo is not None:
            checks.append(pc.greater_equal(values, _scalar(self.lo, values.type)))
        if self.hi is not None:
            checks.append(pc.less_equal(values, _scalar(self.hi, values.type)))
        ok = checks[0] if len(checks) == 1 else pc.and_(checks[0], checks[1])
        return _passes(ok, values)


@dataclass(frozen=True, kw_only=True)
class Positive(_ColumnRule):
    """``value > 0``. Built by :func:`positive`."""

    kind: ClassVar[str] = "positive"

    @property
    def description(self) -> str:
        return f"{self.column} must be > 0"

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, _numeric, "numbers")
        return _passes(pc.greater(values, _scalar(0, values.type)), values)


@dataclass(frozen=True, kw_only=True)
class NonNegative(_ColumnRule):
    """``value >= 0``. Built by :func:`non_negative`."""

    kind: ClassVar[str] = "non_negative"

    @property
    def description(self) -> str:
        return f"{self.column} must be >= 0"

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, _numeric, "numbers")
        return _passes(pc.greater_equal(values, _scalar(0, values.type)), values)


@dataclass(frozen=True, kw_only=True)
class IsIn(_ColumnRule):
    """The value is one of ``values``. Built by :func:`isin`."""

    kind: ClassVar[str] = "isin"
    values: tuple[Any, ...] = ()

    def _default_name(self) -> str:
        return f"isin({self.column})"

    @property
    def description(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:10]) + (", ..." if len(self.values) > 10 else "")
        return f"{self.column} must be one of {shown}"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, "values": list(self.values)}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        try:
            value_set = pa.array(list(self.values)).cast(values.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ConfigError(
                f"isin({self.column}): the allowed values cannot be compared with type {values.type}: {exc}"
            ) from exc
        return _passes(pc.is_in(values, value_set=value_set), values)


@dataclass(frozen=True, kw_only=True)
class Regex(_ColumnRule):
    """The whole text value matches ``pattern`` (RE2 syntax). Built by :func:`regex`."""

    kind: ClassVar[str] = "regex"
    pattern: str = ""

    def _default_name(self) -> str:
        return f"regex({self.column}, {self.pattern})"

    @property
    def description(self) -> str:
        return f"{self.column} must match {self.pattern!r}"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, "pattern": self.pattern}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, _text, "text")
        try:
            matched = pc.match_substring_regex(values, pattern=f"^(?:{self.pattern})$")
        except pa.ArrowInvalid as exc:
            raise ConfigError(f"regex({self.column}): invalid pattern {self.pattern!r}: {exc}") from exc
        return _passes(matched, values)


@dataclass(frozen=True, kw_only=True)
class MaxLength(_ColumnRule):
    """The text has at most ``n`` characters. Built by :func:`max_length`."""

    kind: ClassVar[str] = "max_length"
    n: int = 0

    def _default_name(self) -> str:
        return f"max_length({self.column}, {self.n})"

    @property
    def description(self) -> str:
        return f"{self.column} must have at most {self.n} characters"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, "n": self.n}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, _text, "text")
        return _passes(pc.less_equal(pc.utf8_length(values), self.n), values)


@dataclass(frozen=True, kw_only=True)
class NotFuture(_ColumnRule):
    """The timestamp is not later than ``now`` (the time of the check unless given). Built by :func:`not_future`."""

    kind: ClassVar[str] = "not_future"
    dimension: Dimension = "timeliness"
    now: dt.datetime | None = None

    @property
    def description(self) -> str:
        return f"{self.column} must not be in the future"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, **({"now": self.now} if self.now is not None else {})}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        _require_type(table, self.column, pa.types.is_timestamp, "timestamps")
        now = self.now or dt.datetime.now(dt.timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        if values.type.tz is None:  # a naive column is read as UTC, like ecomkit.schema does
            now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return _passes(pc.less_equal(values, pa.scalar(now, type=values.type)), values)


@dataclass(frozen=True, kw_only=True)
class Unique(Rule):
    """No two rows share the values of ``key`` (rows with a missing key part are ignored).

    Every copy of a repeated key fails, since which copy is right is unknown; use
    ``ecomkit.cleaning.dedupe`` first to keep one. Built by :func:`unique`.
    """

    kind: ClassVar[str] = "unique"
    dimension: Dimension = "uniqueness"
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.key:
            raise ConfigError("unique() needs at least one column")
        super().__post_init__()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key

    @property
    def description(self) -> str:
        return f"({', '.join(self.key)}) must be unique"

    def _args(self) -> dict[str, Any]:
        return {"columns": list(self.key)}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        require_columns(table, self.key, what="table to validate")
        keyed = _duck.with_row(table.select(list(self.key)))
        cols = _duck.idents(self.key)
        present = " AND ".join(f"{_duck.ident(c)} IS NOT NULL" for c in self.key)
        sql = (
            f"SELECT t.{_duck.ident(_duck.ROW)} FROM t JOIN "
            f"(SELECT {cols} FROM t WHERE {present} GROUP BY {cols} HAVING count(*) > 1) d "
            f"USING ({cols})"
        )
        with _duck.connect(t=keyed) as con:
            failing = _duck.row_positions(con, sql)
        return pa.chunked_array([_duck.mask_from_positions(table.num_rows, failing, value=False)])


@dataclass(frozen=True, kw_only=True)
class SumsTo(Rule):
    """``|total - sum(parts)| <= tolerance``. Built by :func:`sums_to`."""

    kind: ClassVar[str] = "sums_to"
    dimension: Dimension = "consistency"
    total: str = ""
    parts: tuple[str, ...] = ()
    tolerance: float = 0.01

    def __post_init__(self) -> None:
        if not self.total or not self.parts:
            raise ConfigError("sums_to() needs a total column and at least one part column")
        if self.tolerance < 0:
            raise ConfigError(f"sums_to({self.total}): tolerance must be >= 0, got {self.tolerance}")
        super().__post_init__()

    def _default_name(self) -> str:
        return f"sums_to({self.total}, {' + '.join(self.parts)})"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.total, *self.parts)

    @property
    def description(self) -> str:
        return f"{self.total} must equal {' + '.join(self.parts)} within {self.tolerance}"

    def _args(self) -> dict[str, Any]:
        return {"total": self.total, "parts": list(self.parts), "tolerance": self.tolerance}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        require_columns(table, self.columns, what="table to validate")
        for column in self.columns:
            _require_type(table, column, _numeric, "numbers")
        cols = [table.column(c).cast(pa.float64()) for c in self.columns]
        total = cols[0]
        parts_sum = cols[1]
        for part in cols[2:]:
            parts_sum = pc.add(parts_sum, part)
        gap = pc.abs(pc.subtract(total, parts_sum))
        # a hair of slack so that 0.1 + 0.2 vs 0.3 never fails on float rounding at the boundary
        return _passes(pc.less_equal(gap, self.tolerance + 1e-9), *cols)


@dataclass(frozen=True, kw_only=True)
class Ordered(Rule):
    """``later >= earlier`` (e.g. ``delivered_at >= purchased_at``). Built by :func:`ordered`."""

    kind: ClassVar[str] = "ordered"
    dimension: Dimension = "consistency"
    earlier: str = ""
    later: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.earlier, self.later)

    @property
    def description(self) -> str:
        return f"{self.later} must not be before {self.earlier}"

    def _args(self) -> dict[str, Any]:
        return {"earlier": self.earlier, "later": self.later}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        require_columns(table, self.columns, what="table to validate")
        earlier, later = table.column(self.earlier), table.column(self.later)
        try:
            ok = pc.greater_equal(later, earlier)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ConfigError(
                f"ordered({self.earlier}, {self.later}): cannot compare {earlier.type} with {later.type}"
            ) from exc
        return _passes(ok, earlier, later)


@dataclass(frozen=True, kw_only=True, eq=False)
class References(_ColumnRule):
    """Every value occurs in ``other_column`` of the ``other`` table (a foreign key). Built by :func:`references`.

    ``other_name`` names the referenced table in serialized form (see :func:`from_dict`).
    """

    kind: ClassVar[str] = "references"
    dimension: Dimension = "consistency"
    other: pa.Table = field(default=None, repr=False)
    other_column: str = ""
    other_name: str = "other"

    def _default_name(self) -> str:
        return f"references({self.column}, {self.other_name}.{self.other_column})"

    @property
    def description(self) -> str:
        return f"{self.column} must exist in {self.other_name}.{self.other_column}"

    def _args(self) -> dict[str, Any]:
        return {"column": self.column, "table": self.other_name, "other_column": self.other_column}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        values = self._values(table)
        if self.other is None:
            raise ConfigError(f"{self.name}: no referenced table was given")
        require_columns(self.other, [self.other_column], what=f"referenced table {self.other_name!r}")
        keys = pc.unique(self.other.column(self.other_column).drop_null())
        try:
            keys = keys.cast(values.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ConfigError(
                f"{self.name}: cannot compare {values.type} with {keys.type} of {self.other_column!r}"
            ) from exc
        return _passes(pc.is_in(values, value_set=keys), values)


@dataclass(frozen=True, kw_only=True, eq=False)
class Custom(Rule):
    """A vectorized predicate ``fn(table) -> BooleanArray`` (True = pass; null = pass). Built by :func:`custom`."""

    kind: ClassVar[str] = "custom"
    fn: Callable[[pa.Table], Any] | None = field(default=None, repr=False)
    reads: tuple[str, ...] = ()
    message: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.reads

    @property
    def description(self) -> str:
        return self.message or self.name

    def _default_name(self) -> str:
        raise ConfigError("custom() rules need a name")

    def _args(self) -> dict[str, Any]:
        return {"columns": list(self.reads)}

    def check(self, table: pa.Table) -> pa.ChunkedArray:
        require_columns(table, self.reads, what="table to validate")
        if self.fn is None:
            raise ConfigError(f"custom rule {self.name!r} has no function")
        result = self.fn(table)
        if isinstance(result, pa.Array):
            result = pa.chunked_array([result])
        elif not isinstance(result, pa.ChunkedArray):
            result = pa.chunked_array([pa.array(result)])
        if not pa.types.is_boolean(result.type) or len(result) != table.num_rows:
            raise ConfigError(
                f"custom rule {self.name!r} must return one boolean per row; "
                f"got {len(result)} values of type {result.type} for {table.num_rows} rows"
            )
        return pc.fill_null(result, True)


def _scalar(value: Any, kind: pa.DataType) -> pa.Scalar:
    if pa.types.is_timestamp(kind) and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if pa.types.is_timestamp(kind) and isinstance(value, dt.datetime):
        if kind.tz is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        elif kind.tz is None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    try:
        if pa.types.is_integer(kind) and isinstance(value, float) and not value.is_integer():
            return pa.scalar(value, type=pa.float64())
        return pa.scalar(value, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError) as exc:
        raise ConfigError(f"rule bound {value!r} cannot be compared with type {kind}") from exc


# --- factories -------------------------------------------------------------------------------------------


def not_null(column: str, *, name: str = "", severity: Severity = "error") -> NotNull:
    """Rule: ``column`` has a value (dimension completeness).

    Example:
        >>> not_null("customer_id").name
        'not_null(customer_id)'
    """
    return NotNull(column=column, name=name, severity=severity)


def unique(*columns: str, name: str = "", severity: Severity = "error") -> Unique:
    """Rule: the combination of ``columns`` is unique; every copy of a repeated key fails (uniqueness)."""
    return Unique(key=tuple(columns), name=name, severity=severity)


def between(
    column: str,
    lo: Any,
    hi: Any,
    *,
    name: str = "",
    severity: Severity = "error",
    dimension: Dimension = "validity",
) -> Between:
    """Rule: ``lo <= column <= hi``; either bound may be None for a one-sided check (validity)."""
    return Between(column=column, lo=lo, hi=hi, name=name, severity=severity, dimension=dimension)


def positive(column: str, *, name: str = "", severity: Severity = "error") -> Positive:
    """Rule: ``column > 0`` (validity)."""
    return Positive(column=column, name=name, severity=severity)


def non_negative(column: str, *, name: str = "", severity: Severity = "error") -> NonNegative:
    """Rule: ``column >= 0`` (validity)."""
    return NonNegative(column=column, name=name, severity=severity)


def isin(column: str, values: Sequence[Any], *, name: str = "", severity: Severity = "error") -> IsIn:
    """Rule: ``column`` is one of ``values`` (validity)."""
    return IsIn(column=column, values=tuple(values), name=name, severity=severity)


def regex(column: str, pattern: str, *, name: str = "", severity: Severity = "error") -> Regex:
    """Rule: the whole text of ``column`` matches ``pattern`` (RE2 syntax, anchored; validity)."""
    return Regex(column=column, pattern=pattern, name=name, severity=severity)


def max_length(column: str, n: int, *, name: str = "", severity: Severity = "error") -> MaxLength:
    """Rule: ``column`` has at most ``n`` characters (validity)."""
    return MaxLength(column=column, n=n, name=name, severity=severity)


def not_future(
    column: str, *, now: dt.datetime | None = None, name: str = "", severity: Severity = "error"
) -> NotFuture:
    """Rule: the timestamp ``column`` is not after ``now`` (default: when checked; timeliness)."""
    return NotFuture(column=column, now=now, name=name, severity=severity)


def sums_to(
    total_col: str,
    parts: Sequence[str],
    *,
    tolerance: float = 0.01,
    name: str = "",
    severity: Severity = "error",
) -> SumsTo:
    """Rule: ``total_col`` equals the sum of the ``parts`` columns within ``tolerance`` (consistency).

    Example:
        >>> sums_to("total_amount", ["items_total", "freight_total"]).name
        'sums_to(total_amount, items_total + freight_total)'
    """
    return SumsTo(total=total_col, parts=tuple(parts), tolerance=tolerance, name=name, severity=severity)


def ordered(earlier_col: str, later_col: str, *, name: str = "", severity: Severity = "error") -> Ordered:
    """Rule: ``later_col >= earlier_col``, e.g. ``ordered("purchased_at", "delivered_at")`` (consistency)."""
    return Ordered(earlier=earlier_col, later=later_col, name=name, severity=severity)


def references(
    column: str,
    other_table: pa.Table,
    other_col: str,
    *,
    other_name: str = "other",
    name: str = "",
    severity: Severity = "error",
) -> References:
    """Rule: every value of ``column`` occurs in ``other_table[other_col]`` (consistency)."""
    return References(
        column=column,
        other=other_table,
        other_column=other_col,
        other_name=other_name,
        name=name,
        severity=severity,
    )


def custom(
    name: str,
    fn: Callable[[pa.Table], Any],
    *,
    columns: Sequence[str] = (),
    dimension: Dimension = "validity",
    severity: Severity = "error",
) -> Custom:
    """Rule: a vectorized predicate ``fn(table)`` returning one boolean per row (True passes).

    Example:
        >>> import pyarrow.compute as pc
        >>> big = custom("small_order", lambda t: pc.less(t["quantity"], 100), columns=["quantity"])
    """
    return Custom(name=name, fn=fn, reads=tuple(columns), dimension=dimension, severity=severity)


# --- serialized form -------------------------------------------------------------------------------------

_FACTORIES: dict[str, Callable[..., Rule]] = {
    "not_null": lambda d: not_null(d.pop("column"), **d),
    "unique": lambda d: unique(*d.pop("columns"), **d),
    "between": lambda d: between(d.pop("column"), d.pop("lo", None), d.pop("hi", None), **d),
    "positive": lambda d: positive(d.pop("column"), **d),
    "non_negative": lambda d: non_negative(d.pop("column"), **d),
    "isin": lambda d: isin(d.pop("column"), d.pop("values"), **d),
    "regex": lambda d: regex(d.pop("column"), d.pop("pattern"), **d),
    "max_length": lambda d: max_length(d.pop("column"), d.pop("n"), **d),
    "not_future": lambda d: not_future(d.pop("column"), **d),
    "sums_to": lambda d: sums_to(d.pop("total"), d.pop("parts"), **d),
    "ordered": lambda d: ordered(d.pop("earlier"), d.pop("later"), **d),
}


def from_dict(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    tables: Mapping[str, pa.Table] | None = None,
    functions: Mapping[str, Callable[[pa.Table], Any]] | None = None,
) -> list[Rule]:
    """Build rules from plain data: a list of rule dicts, or a mapping with a ``rules`` list.

    Each dict has ``check`` (the factory name, e.g. ``"between"``), the factory's arguments by name
    (``column``, ``lo``/``hi``, ``values``, ``pattern``, ``n``, ``total``/``parts``/``tolerance``,
    ``earlier``/``later``, ``columns`` for ``unique``) and optionally ``name``, ``severity``, ``dimension``.
    ``references`` takes ``column``, ``table`` (a key of ``tables``) and ``other_column``; ``custom`` takes
    ``name`` (looked up in ``functions``) and optionally ``columns``.

    Raises:
        ConfigError: an unknown check, a missing or unexpected argument, or an unknown table or function.

    Example:
        >>> from_dict({"rules": [{"check": "between", "column": "quantity", "lo": 1, "hi": 100}]})[0].name
        'between(quantity, 1, 100)'
    """
    items = data.get("rules", []) if isinstance(data, Mapping) else data
    out: list[Rule] = []
    for position, item in enumerate(items):
        spec = dict(item)
        check = spec.pop("check", None)
        try:
            if check == "references":
                table_name = spec.pop("table")
                if tables is None or table_name not in tables:
                    raise ConfigError(
                        f"rule {position}: references table {table_name!r}, not given in tables="
                    )
                dimension = spec.pop("dimension", "consistency")
                rule: Rule = references(
                    spec.pop("column"),
                    tables[table_name],
                    spec.pop("other_column"),
                    other_name=table_name,
                    **spec,
                )
            elif check == "custom":
                fn_name = spec.pop("name")
                if functions is None or fn_name not in functions:
                    raise ConfigError(f"rule {position}: custom function {fn_name!r} not given in functions=")
                rule = custom(fn_name, functions[fn_name], columns=spec.pop("columns", ()), **spec)
                dimension = rule.dimension
            elif check in _FACTORIES:
                dimension = spec.pop("dimension", None)
                rule = _FACTORIES[check](spec)
                dimension = dimension or rule.dimension
            else:
                raise ConfigError(
                    f"rule {position}: unknown check {check!r}; use one of {sorted(_FACTORIES)}"
                )
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"rule {position} ({check}): missing or unexpected argument: {exc}") from exc
        if dimension != rule.dimension:
            rule = _with(rule, dimension=dimension)
        out.append(rule)
    return out


def from_toml(source: str | Path, **kwargs: Any) -> list[Rule]:
    """Build rules from TOML text or a ``.toml`` file: an array of tables named ``rules``.

    Keyword arguments go to :func:`from_dict`.

    Example:
        >>> from_toml('[[rules]]\\ncheck = "not_null"\\ncolumn = "order_id"')[0].name
        'not_null(order_id)'
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]
        except ModuleNotFoundError as exc:
            raise ConfigError("reading TOML rules on Python 3.10 needs the 'tomli' package") from exc
    text = source.read_text() if isinstance(source, Path) else source
    if isinstance(source, str) and source.endswith(".toml") and "\n" not in source:
        text = Path(source).read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML rules: {exc}") from exc
    return from_dict(data, **kwargs)


def _with(rule: Rule, **changes: Any) -> Rule:
    from dataclasses import replace

    return replace(rule, **changes)
