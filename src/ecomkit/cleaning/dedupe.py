"""Remove duplicate rows: exact copies, or repeated keys keeping the first, last or latest version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import TableLike, require_columns, to_table
from ecomkit.cleaning import _duck
from ecomkit.errors import ConfigError

__all__ = ["Keep", "dedupe", "duplicate_mask"]

#: Which copy of a duplicate survives: the first or the last in input order (or among equally recent
#: versions when ``order_by`` is given).
Keep = Literal["first", "last"]


def dedupe(
    table: TableLike,
    keys: Sequence[str] | str | None = None,
    *,
    keep: Keep = "first",
    order_by: Sequence[str] | str | None = None,
) -> pa.Table:
    """Drop duplicate rows, keeping one row per key, in input order.

    * ``keys=None``: exact duplicates — rows equal on every column (nulls equal nulls, NaN equals NaN).
    * ``keys=[...]``: rows sharing the key values are duplicates (a null key part equals another null,
      as in ``GROUP BY``); ``keep`` picks the first or last copy by position.
    * ``order_by=[...]``: the latest version wins — the row with the greatest ``order_by`` values per key
      (nulls count as oldest); ties are broken by ``keep``. Use it for late-arriving updates.

    The result keeps the surviving rows in their original order, so it is deterministic and stable, and
    ``dedupe(dedupe(t, k), k) == dedupe(t, k)``. Grouping runs in DuckDB on the Arrow data.

    Args:
        table: the input (Arrow or any PyCapsule-stream object).
        keys: the key column(s), or None for whole-row duplicates.
        keep: ``"first"`` or ``"last"``.
        order_by: version column(s), e.g. ``"updated_at"``; the greatest wins.

    Returns:
        The de-duplicated table with the input's schema.

    Raises:
        MissingColumnError: a key or ``order_by`` column is absent.
        ConfigError: ``keep`` is not ``"first"``/``"last"`` or ``keys`` is empty.

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"id": [1, 1, 2], "v": ["old", "new", "x"], "ts": [1, 2, 1]})
        >>> dedupe(t, "id", order_by="ts").column("v").to_pylist()
        ['new', 'x']
    """
    table = to_table(table)
    keep_mask = _keep_mask(table, keys, keep=keep, order_by=order_by)
    if keep_mask is None:
        return table
    return table.filter(keep_mask)


def duplicate_mask(
    table: TableLike,
    keys: Sequence[str] | str | None = None,
    *,
    keep: Keep = "first",
    order_by: Sequence[str] | str | None = None,
) -> pa.Array:
    """A boolean array, True for every row that :func:`dedupe` with the same arguments would drop."""
    table = to_table(table)
    keep_mask = _keep_mask(table, keys, keep=keep, order_by=order_by)
    if keep_mask is None:
        return pa.repeat(pa.scalar(False), table.num_rows)
    return pc.invert(keep_mask)


def _as_list(value: Sequence[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _keep_mask(
    table: pa.Table,
    keys: Sequence[str] | str | None,
    *,
    keep: Keep,
    order_by: Sequence[str] | str | None,
) -> pa.Array | None:
    if keep not in ("first", "last"):
        raise ConfigError(f"keep must be 'first' or 'last', got {keep!r}")
    key_list = _as_list(keys)
    order_list = _as_list(order_by) or []
    if key_list is not None and not key_list:
        raise ConfigError("keys must name at least one column (or be None for exact duplicates)")
    require_columns(table, [*(key_list or []), *order_list], what="table to dedupe")
    if table.num_rows < 2:
        return None
    group = key_list if key_list is not None else table.column_names
    needed = list(dict.fromkeys([*group, *order_list]))
    source = _duck.with_row(table.select(needed))
    cols = _duck.idents(group)
    row = _duck.ident(_duck.ROW)
    if order_list:
        tiebreak = "DESC" if keep == "last" else "ASC"
        versions = ", ".join(f"{_duck.ident(c)} DESC NULLS LAST" for c in order_list)
        sql = (
            f"SELECT {row} FROM (SELECT {row}, row_number() OVER "
            f"(PARTITION BY {cols} ORDER BY {versions}, {row} {tiebreak}) AS rn FROM t) WHERE rn = 1"
        )
    else:
        sql = f"SELECT {'min' if keep == 'first' else 'max'}({row}) FROM t GROUP BY {cols}"
    with _duck.connect(t=source) as con:
        kept = _duck.row_positions(con, sql)
    if len(kept) == table.num_rows:
        return None
    return _duck.mask_from_positions(table.num_rows, kept, value=True)
