"""Remove duplicate rows: exact copies, or repeated keys keeping the first, last or latest version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
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
    group = key_list if key_list is not None else table.column_names
    dropped = _dropped_positions(table, group, keep=keep, order_by=order_list)
    if len(dropped) == 0:
        return None
    mask = np.ones(table.num_rows, dtype=bool)
    mask[dropped] = False
    return pa.array(mask)


def _hash_candidates(table: pa.Table, group: Sequence[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Sorted positions of the rows whose hash over ``group`` is shared with another row.

    Every member of a duplicate group is among them (equal values hash equally; DuckDB's hash, like its
    GROUP BY, treats nulls as equal, NaN as equal to NaN and -0.0 as 0.0); a hash collision only adds a
    candidate, which the exact check then keeps. Usually few rows are candidates, so the exact, heavier
    grouping runs on a small table.
    """
    n = table.num_rows
    if n < 2:
        return np.empty(0, dtype=np.int64)
    with _duck.connect(t=table.select(list(group))) as con:
        result = con.execute(f"SELECT hash({_duck.idents(group)}) AS h FROM t").fetchnumpy()
    hashes = np.asarray(result.pop("h"), dtype=np.uint64)
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered  # keep at most two arrays of the table's length alive at once
    if len(repeated) == 0:
        return np.empty(0, dtype=np.int64)
    shared = repeated[np.concatenate(([True], repeated[1:] != repeated[:-1]))]
    # a bitmap on the hashes' low bits rules out most rows with one gather; binary search confirms the rest
    bits = min(26, max(12, int(len(shared) * 16).bit_length()))
    low = np.uint64((1 << bits) - 1)
    bitmap = np.zeros(1 << bits, dtype=bool)
    bitmap[(shared & low).astype(np.intp)] = True
    slots = np.bitwise_and(hashes, low).view(np.int64)  # below 2**26: the same numbers as int64
    maybe = np.flatnonzero(bitmap[slots])
    del slots
    probe = hashes[maybe]
    slot = np.minimum(np.searchsorted(shared, probe), len(shared) - 1)
    found: np.ndarray[Any, np.dtype[np.int64]] = maybe[shared[slot] == probe].astype(np.int64)
    return found


def _dropped_positions(
    table: pa.Table,
    group: Sequence[str],
    *,
    keep: Keep = "first",
    order_by: Sequence[str] = (),
    candidates: np.ndarray[Any, np.dtype[np.int64]] | None = None,
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Sorted positions of the rows that de-duplicating on ``group`` drops (exact; nulls equal nulls).

    Args:
        table: the table.
        group: the columns that define a duplicate.
        keep: which copy survives (by position, after ``order_by``).
        order_by: version columns; the greatest survives.
        candidates: a superset of every duplicate group's rows (default: rows sharing a hash over ``group``).
    """
    cand = _hash_candidates(table, group) if candidates is None else candidates
    if len(cand) < 2:
        return np.empty(0, dtype=np.int64)
    needed = list(dict.fromkeys([*group, *order_by]))
    source = table.select(needed).take(pa.array(cand)).append_column(_duck.ROW, pa.array(cand, pa.int64()))
    cols = _duck.idents(group)
    row = _duck.ident(_duck.ROW)
    if order_by:
        tiebreak = "DESC" if keep == "last" else "ASC"
        versions = ", ".join(f"{_duck.ident(c)} DESC NULLS LAST" for c in order_by)
        sql = (
            f"SELECT {row} FROM (SELECT {row}, row_number() OVER "
            f"(PARTITION BY {cols} ORDER BY {versions}, {row} {tiebreak}) AS rn FROM t) WHERE rn = 1"
        )
    else:
        sql = f"SELECT {'min' if keep == 'first' else 'max'}({row}) FROM t GROUP BY {cols}"
    with _duck.connect(t=source) as con:
        kept = _duck.row_positions(con, sql)
    return np.setdiff1d(cand, kept, assume_unique=True).astype(np.int64)
