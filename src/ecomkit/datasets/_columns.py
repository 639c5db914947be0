"""Building Arrow string and timestamp columns straight from numpy, without a Python object per row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ecomkit import schema

_Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Ids:
    """Digits per id kind; ids are a prefix and a zero-padded 1-based number (``ORD00000042``)."""

    order: int
    customer: int
    product: int
    seller: int

    def orders(self, index: _Array) -> pa.Array:
        return strings(digits(index + 1, self.order), prefix="ORD")


def _quads() -> _Array:
    """The four ASCII digits of 0..9999, packed in memory order into one uint32 each."""
    i = np.arange(10_000, dtype=np.uint32)
    chars = np.stack([i // 1000 % 10, i // 100 % 10, i // 10 % 10, i % 10], axis=1).astype(np.uint8) + 48
    return np.ascontiguousarray(chars).view(np.uint32).ravel()


_QUADS = _quads()


def digits(numbers: _Array, width: int) -> _Array:
    """Zero-padded decimal digits of non-negative ``numbers`` as an ``(n, width)`` matrix of ASCII bytes.

    Four digits at a time through a lookup table: a handful of vector operations per id column.
    """
    groups = -(-width // 4)
    rest = np.asarray(numbers, dtype=np.int64).copy()
    packed = np.empty((len(rest), groups), dtype=np.uint32)
    for group in range(groups - 1, -1, -1):  # one pass per four digits, not per row
        packed[:, group] = _QUADS[rest % 10_000]
        rest //= 10_000
    return packed.view(np.uint8).reshape(len(rest), 4 * groups)[:, 4 * groups - width :]


def text(value: str, n: int) -> _Array:
    """``value`` repeated on ``n`` rows as an ``(n, len)`` matrix of bytes."""
    encoded = np.frombuffer(value.encode(), dtype=np.uint8)
    return np.broadcast_to(encoded, (n, len(encoded)))


def strings(*parts: _Array, prefix: str = "", null: _Array | None = None) -> pa.Array:
    """Fixed-width strings from byte matrices, straight into Arrow buffers (no Python string per row)."""
    n = len(parts[0])
    chars = np.ascontiguousarray(np.hstack([text(prefix, n), *parts]) if prefix else np.hstack(parts))
    width = chars.shape[1]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = None
    null_count = 0
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
        null_count = int(null.sum())
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(chars)], null_count=null_count
    )


def constant(value: str, n: int) -> pa.Array:
    """``value`` on ``n`` rows."""
    return strings(text(value, n))


def labels(codes: _Array, values: tuple[str, ...]) -> pa.Array:
    """Strings by code (a take from the few distinct values; no Python string per row)."""
    return pa.array(values, type=pa.string()).take(pa.array(codes.astype(np.int32)))


def timestamps(values: _Array, null: _Array | None = None) -> pa.Array:
    return pa.array(values.astype(np.int64), type=schema.TIMESTAMP, mask=null)


def table(target: pa.Schema, source: str, ingested_us: int, **columns: pa.Array) -> pa.Table:
    """A table with exactly ``target``'s schema and the synthetic lineage."""
    n = len(next(iter(columns.values())))
    columns["source"] = constant(source, n)
    columns["ingested_at"] = timestamps(np.full(n, ingested_us, dtype=np.int64))
    return pa.Table.from_arrays([columns[name] for name in target.names], schema=target)
