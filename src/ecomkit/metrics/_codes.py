"""Dense, order-preserving integer codes for customer ids, without hashing where the ids allow it.

``customer_codes(column)`` returns the sorted distinct ids and, for every row, the rank of its id
among them. Arrow's hash-based ``dictionary_encode`` does this for any type, but costs some 100-200 ns
a row; most customer ids are either integers in a compact range or short strings of one fixed
length built from few characters per position (``"C0012345"``, ``"DE-4711"``). For those, a code
is computed arithmetically:

* integers: ``id - min`` is a key into a presence table of size ``max - min + 1``;
* fixed-length strings (up to :data:`_MAX_WIDTH` bytes): each byte position ``i`` has a range
  ``[lo_i, hi_i]`` over the column; the mixed-radix number with digit ``byte_i - lo_i`` and radix
  ``hi_i - lo_i + 1`` is injective and preserves the byte-wise (lexicographic) order. Pairs of
  positions are looked up together in a 65,536-entry table, so a row costs a handful of gathers.

In both cases the key space must stay small (at most :func:`_key_space_limit`); the presence table
then turns keys into dense ranks with one ``cumsum``. Anything else falls back to hashing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]


def _is_variable_width(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


#: Longest fixed-width string id handled arithmetically (longer ids are hashed).
_MAX_WIDTH = 24


def customer_codes(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, IntArray]:
    """Sorted distinct values of a null-free ``column`` and each row's index into them."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return pa.array([], type=array.type), np.zeros(0, dtype=np.int64)
    kind = array.type
    fast: tuple[pa.Array, IntArray] | None = None
    if pa.types.is_integer(kind):
        fast = _integer_codes(array)
    elif _is_variable_width(kind):
        fast = _fixed_width_codes(array)
    return fast if fast is not None else _hashed_codes(array)


def _key_space_limit(rows: int) -> int:
    return 4 * rows + 4096


def _dense(key: npt.NDArray[np.integer[Any]], size: int) -> tuple[IntArray, IntArray]:
    """The present keys (sorted) and each key's rank among them, for keys in ``[0, size)``.

    Ranks are ``intp`` (int64): numpy converts any other index type to it on every gather and
    ``bincount``, which would cost a pass and an allocation each time downstream.
    """
    present = np.zeros(size, dtype=bool)
    present[key] = True
    rank = np.cumsum(present, dtype=np.int64)
    rank -= 1
    return np.flatnonzero(present), rank[key]


def _integer_codes(array: pa.Array) -> tuple[pa.Array, IntArray] | None:
    low, high = (value.as_py() for value in pc.min_max(array).values())
    if high - low >= _key_space_limit(len(array)):
        return None
    values = array.to_numpy(zero_copy_only=False)
    base = values.dtype.type(low)
    # in the column's own type the difference wraps around correctly even for uint64 beyond 2^63
    if values.dtype == np.uint64:
        key = (values - base).astype(np.int64)
    else:
        key = np.subtract(values, low, dtype=np.int64)  # one pass, no temporary
    present, code = _dense(key, high - low + 1)
    with np.errstate(over="ignore"):
        distinct = pa.array(present.astype(values.dtype) + base, type=array.type)
    return distinct, code


def _fixed_width_codes(array: pa.Array) -> tuple[pa.Array, IntArray] | None:
    n = len(array)
    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    offset_type = np.int64 if large else np.int32
    _, offsets_buffer, data_buffer = array.buffers()
    itemsize = np.dtype(offset_type).itemsize
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type, count=n + 1, offset=array.offset * itemsize)
    start, stop = int(offsets[0]), int(offsets[-1])
    width, rest = divmod(stop - start, n)
    if rest or not 0 < width <= _MAX_WIDTH:
        return None
    digit = np.empty(n, dtype=np.int64)  # scratch: first the row lengths, then one digit at a time
    np.subtract(offsets[1:], offsets[:-1], out=digit)
    if digit.min() != width or digit.max() != width:
        return None
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8, count=stop - start, offset=start) if data_buffer else None
    )
    if data is None:
        return None
    # rows as little-endian 64-bit words (padded when the width is not a multiple of 8): byte p of
    # a row is bits 8·(p mod 8) .. +8 of word p div 8
    words_per_row = -(-width // 8)
    if width % 8:
        padded = np.zeros((n, 8 * words_per_row), dtype=np.uint8)
        padded[:, :width] = data.reshape(n, width)
        words = padded.view("<i8")
    else:
        words = data.view("<i8").reshape(n, words_per_row)
    # positions whose byte never changes (all rows agree on every bit) need no digit
    ones = np.bitwise_and.reduce(words, axis=0)
    any_ = np.bitwise_or.reduce(words, axis=0)
    matrix = data.reshape(n, width)
    limit = _key_space_limit(n)
    lows = np.zeros(width, dtype=np.int64)
    radix = np.ones(width, dtype=np.int64)
    space = 1
    for position in range(width):
        word, shift = divmod(position, 8)
        if ((int(ones[word]) ^ int(any_[word])) >> (8 * shift)) & 0xFF == 0:
            lows[position] = (int(ones[word]) >> (8 * shift)) & 0xFF
            continue
        column = matrix[:, position]
        low, high = int(column.min()), int(column.max())
        lows[position], radix[position] = low, high - low + 1
        space *= high - low + 1
        if space > limit:
            return None
    # weight of each position in the mixed-radix key (the last position varies fastest)
    weight = np.ones(width, dtype=np.int64)
    for position in range(width - 2, -1, -1):
        weight[position] = weight[position + 1] * radix[position + 1]
    # key = Σ (byte_p - low_p)·weight_p, Horner-style and in place: no temporary per position
    key = np.zeros(n, dtype=np.int64)
    for position in (p for p in range(width) if radix[p] > 1):
        word, shift = divmod(position, 8)
        np.right_shift(words[:, word], 8 * shift, out=digit)
        np.bitwise_and(digit, 0xFF, out=digit)
        key *= radix[position]
        key += digit
    key -= int(sum(int(lows[p]) * int(weight[p]) for p in range(width) if radix[p] > 1))
    present, code = _dense(key, math.prod(int(r) for r in radix))
    # one row of each distinct id (any will do: they are equal), in rank order
    representative = np.empty(len(present), dtype=np.int64)
    representative[code] = np.arange(n, dtype=np.int64)
    distinct = array.take(pa.array(representative))
    return distinct, code


def _hashed_codes(array: pa.Array) -> tuple[pa.Array, IntArray]:
    encoded = array.dictionary_encode()
    order = pc.sort_indices(encoded.dictionary)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(order), dtype=np.int64)
    code = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    return encoded.dictionary.take(order), code
