"""Order-preserving integer keys for customer ids, computed arithmetically where the ids allow it.

``customer_keys(column)`` gives every row a key in ``[0, space)`` such that equal ids get equal keys
and the key order is the id order (numeric for integers, byte-wise for strings). Arrow's hash-based
``dictionary_encode`` does this for any type, but costs some 25-30 ns a row; most customer ids are
either integers in a compact range or short strings built from few characters per position
(``"C0012345"``, ``"DE-4711"``, ``"4711x"``). For those a key is pure arithmetic:

* integers: ``id - min``;
* strings and binaries of at most :data:`_MAX_WIDTH` bytes: shorter ids are padded with zero bytes
  (ASCII ids without NUL only, so padding cannot make two ids equal and ``"ab" < "abc"`` still holds),
  each byte position ``i`` has a range ``[lo_i, hi_i]`` over the column, and the mixed-radix number
  with digit ``byte_i - lo_i`` and radix ``hi_i - lo_i + 1`` is injective and preserves the byte-wise
  order. Positions are taken two at a time through a 65,536-entry lookup table, so a row costs one
  gather and one add per pair of varying positions.

The key space (the product of the radices, or ``max - min + 1``) must stay small, at most
:func:`_key_space_limit`; anything else is hashed and the keys are then the dense ranks.
:meth:`CustomerKeys.decode` turns keys back into ids, so no row of the input has to be looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecomkit._arrow import one_array
from ecomkit._threads import for_chunks

IntArray = npt.NDArray[np.int64]
#: Keys are 32-bit where the key space allows (half the memory traffic), else 64-bit.
KeyArray = npt.NDArray[np.signedinteger[Any]]

#: Longest string id (in bytes) keyed arithmetically; longer ids are hashed.
_MAX_WIDTH = 24


@dataclass(frozen=True)
class CustomerKeys:
    """Per-row keys of a customer column: equal ids, equal keys; key order is id order."""

    #: one key per row, in ``[0, space)``; int32 when ``space`` < 2**31
    key: KeyArray
    #: an upper bound of the keys (keys need not be dense)
    space: int
    #: the ids of an array of keys, with the column's type
    decode: Callable[[IntArray], pa.Array]


def customer_keys(column: pa.ChunkedArray | pa.Array) -> CustomerKeys:
    """Order-preserving keys of a null-free ``column`` (see the module docstring)."""
    array = one_array(column)
    if len(array) == 0:
        empty = pa.array([], type=array.type)
        return CustomerKeys(np.zeros(0, dtype=np.int64), 0, lambda keys: empty.take(pa.array(keys)))
    kind = array.type
    fast: CustomerKeys | None = None
    if pa.types.is_integer(kind):
        fast = _integer_keys(array)
    elif _is_variable_width(kind):
        fast = _string_keys(array)
    return fast if fast is not None else _hashed_keys(array)


def customer_codes(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, IntArray]:
    """Sorted distinct values of a null-free ``column`` and each row's index into them (dense ranks)."""
    keys = customer_keys(column)
    present, code = dense(keys.key, keys.space)
    return keys.decode(present), code


def dense(key: KeyArray, size: int) -> tuple[IntArray, IntArray]:
    """The present keys (sorted) and each key's rank among them, for keys in ``[0, size)``."""
    present = np.zeros(size, dtype=bool)
    present[key] = True
    rank = np.cumsum(present, dtype=np.int64)
    rank -= 1
    return np.flatnonzero(present), rank[key]


def _key_type(space: int) -> type[np.int32] | type[np.int64]:
    return np.int32 if space < 2**31 else np.int64


def _key_space_limit(rows: int) -> int:
    return 4 * rows + 4096


def _is_variable_width(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _integer_keys(array: pa.Array) -> CustomerKeys | None:
    low, high = (value.as_py() for value in pc.min_max(array).values())
    if high - low >= _key_space_limit(len(array)):
        return _sorted_integer_keys(array, low, high)
    values = array.to_numpy(zero_copy_only=False)
    base = values.dtype.type(low)
    # in the column's own type the difference wraps around correctly even for uint64 beyond 2^63
    key_type = _key_type(high - low + 1)
    if values.dtype == np.uint64:
        key = (values - base).astype(key_type)
    else:  # one pass, no temporary: the difference is below the key space, so it fits
        key = np.subtract(values, np.int64(low), out=np.empty(len(values), dtype=key_type), casting="unsafe")
    kind, dtype = array.type, values.dtype

    def decode(keys: IntArray) -> pa.Array:
        with np.errstate(over="ignore"):
            return pa.array(keys.astype(dtype) + base, type=kind)

    return CustomerKeys(key, high - low + 1, decode)


def _sorted_integer_keys(array: pa.Array, low: int, high: int) -> CustomerKeys | None:
    """Dense ranks of sparse integer ids (Shopify's, say) from one sort, without hashing.

    Each row becomes ``(id - min) << b | row`` (``b`` bits for the row number) in one int64, a plain
    SIMD sort orders them, and the ranks of the distinct ids go back to their rows through the row
    numbers. ``None`` when ``id - min`` needs more than ``63 - b`` bits.
    """
    n = len(array)
    row_bits = max((n - 1).bit_length(), 1)
    if high - low >= 1 << (63 - row_bits):
        return None
    values = np.asarray(array.to_numpy(zero_copy_only=False))
    packed = np.empty(n, dtype=np.int64)

    def pack(rows: slice) -> None:
        part = packed[rows]
        if values.dtype == np.uint64:  # the difference wraps around correctly in the column's type
            np.subtract(values[rows], values.dtype.type(low), out=part, casting="unsafe")
        else:
            np.subtract(values[rows], np.int64(low), out=part, casting="unsafe")
        part <<= row_bits
        part |= np.arange(rows.start, rows.stop, dtype=np.int64)

    for_chunks(pack, n)
    packed.sort()
    row = packed & ((1 << row_bits) - 1)
    packed >>= row_bits  # now id - min, ascending
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(packed[1:], packed[:-1], out=new[1:])
    distinct = packed[new]
    rank = np.cumsum(new, dtype=np.int64)
    rank -= 1
    key = np.empty(n, dtype=_key_type(len(distinct)))
    key[row] = rank
    kind, dtype = array.type, values.dtype

    def decode(keys: IntArray) -> pa.Array:
        with np.errstate(over="ignore"):
            return pa.array(distinct[keys].astype(dtype) + dtype.type(low), type=kind)

    return CustomerKeys(key, len(distinct), decode)


def _decimal_keys(array: pa.Array, width: int) -> CustomerKeys | None:
    """Keys of fixed-width decimal text ids (``"7112345678901"``, ``"000123"``) through their numbers.

    For digit strings of one width, numeric order is text order and the text is the number padded
    with zeros to the width, so the ids are parsed and keyed as integers, sorted if sparse.
    """
    if not 0 < width <= 18:
        return None
    text = array if pa.types.is_string(array.type) or pa.types.is_large_string(array.type) else None
    if text is None:  # digits are valid UTF-8: the cast only relabels
        text = array.cast(pa.large_string() if pa.types.is_large_binary(array.type) else pa.string())
    numbers = pc.cast(text, pa.int64())
    keys = _integer_keys(numbers)
    if keys is None:
        return None
    kind, number_keys = array.type, keys

    def decode(codes: IntArray) -> pa.Array:
        digits = pc.utf8_lpad(number_keys.decode(codes).cast(pa.string()), width=width, padding="0")
        return digits.cast(kind)

    return CustomerKeys(keys.key, keys.space, decode)


def _offsets(array: pa.Array) -> npt.NDArray[np.int32] | npt.NDArray[np.int64]:
    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    dtype = np.dtype(np.int64 if large else np.int32)
    buffer = array.buffers()[1]
    return np.frombuffer(buffer, dtype=dtype, count=len(array) + 1, offset=array.offset * dtype.itemsize)


def _string_keys(array: pa.Array) -> CustomerKeys | None:
    padded = _padded_matrix(array, _MAX_WIDTH)
    if padded is None:
        return None
    matrix, width, fixed = padded
    lows, highs = _byte_ranges(matrix)
    keys = _mixed_radix_keys(
        matrix, width, fixed, array.type, limit=_key_space_limit(len(array)), ranges=(lows, highs)
    )
    digits_only = bool(np.all(lows[:width] >= ord("0")) and np.all(highs[:width] <= ord("9")))
    if keys is None and fixed and digits_only:
        return _decimal_keys(array, width)
    return keys


def _padded_matrix(array: pa.Array, max_width: int) -> tuple[npt.NDArray[np.uint8], int, bool] | None:
    """The ids as an ``(n, 8·k)`` byte matrix (whole 64-bit words), the id width and whether it is fixed.

    ``None`` when an id is longer than ``max_width`` bytes, or when ids of different lengths cannot be
    padded with NUL safely (an id with a NUL or a non-ASCII byte).
    """
    n = len(array)
    offsets = _offsets(array)
    start, stop = int(offsets[0]), int(offsets[-1])
    data_buffer = array.buffers()[2]
    if data_buffer is None or stop == start:
        return None
    data = np.frombuffer(data_buffer, dtype=np.uint8, count=stop - start, offset=start)
    width, rest = divmod(stop - start, n)
    lengths = np.diff(offsets)
    fixed = not rest and int(lengths.min()) == int(lengths.max()) == width
    if not fixed:
        # shorter ids padded with NUL keep their order and stay distinct only if no id has a NUL;
        # Arrow pads bytes, so the ids must be ASCII for every row to become ``width`` bytes
        width = int(lengths.max())
        if width > max_width or int(data.max()) >= 0x80 or not data.all():
            return None
        text = array if pa.types.is_string(array.type) or pa.types.is_large_string(array.type) else None
        if text is None:  # ASCII bytes are valid UTF-8: the cast only relabels
            text = array.cast(pa.large_string() if pa.types.is_large_binary(array.type) else pa.string())
        padded = pc.ascii_rpad(text, width=width, padding="\0")
        begin = int(_offsets(padded)[0])
        data = np.frombuffer(padded.buffers()[2], dtype=np.uint8, count=n * width, offset=begin)
    if not 0 < width <= max_width:
        return None
    return _rows_as_words(data, n, width), width, fixed


def _rows_as_words(data: npt.NDArray[np.uint8], n: int, width: int) -> npt.NDArray[np.uint8]:
    """The rows as an ``(n, 8·k)`` byte matrix whose rows are whole 64-bit words (zero padded)."""
    stride = -(-width // 8) * 8
    if stride == width:
        return data.reshape(n, width)
    padded = np.zeros((n, stride), dtype=np.uint8)
    padded[:, :width] = data.reshape(n, width)
    return padded


def _byte_ranges(matrix: npt.NDArray[np.uint8]) -> tuple[IntArray, IntArray]:
    """The smallest and largest byte at each position (column) of ``matrix``.

    A reduction down a narrow matrix is slow in numpy (its inner loop is one row of a few bytes);
    viewed as blocks of 512 rows it runs over rows of 512 · width bytes at vector speed.
    """
    n, stride = matrix.shape
    rows = 512
    whole = n // rows * rows
    lows = np.full(stride, 255, dtype=np.int64)
    highs = np.zeros(stride, dtype=np.int64)
    parts = [matrix[whole:]]
    if whole:
        blocks = matrix[:whole].reshape(-1, rows * stride)
        parts.append(np.minimum.reduce(blocks, axis=0).reshape(rows, stride))
        parts.append(np.maximum.reduce(blocks, axis=0).reshape(rows, stride))
    for part in parts:
        if len(part):
            np.minimum(lows, part.min(axis=0), out=lows)
            np.maximum(highs, part.max(axis=0), out=highs)
    return lows, highs


def _mixed_radix_keys(
    matrix: npt.NDArray[np.uint8],
    width: int,
    fixed: bool,
    kind: pa.DataType,
    *,
    limit: int,
    ranges: tuple[IntArray, IntArray] | None = None,
) -> CustomerKeys | None:
    """Mixed-radix keys of the rows of ``matrix``, or ``None`` if the key space exceeds ``limit``.

    ``ranges``: the matrix's :func:`_byte_ranges`, if the caller has them already.
    """
    n, stride = matrix.shape
    lows, highs = ranges if ranges is not None else _byte_ranges(matrix)
    radix = highs - lows + 1  # 1 where every row has the same byte: no digit
    space = 1
    for position in range(width):
        space *= int(radix[position])
        if space > limit:
            return None
    # weight of each position in the mixed-radix key (the last position varies fastest)
    weight = np.ones(stride, dtype=np.int64)
    for position in range(stride - 2, -1, -1):
        weight[position] = weight[position + 1] * radix[position + 1]
    # two positions at a time: a 16-bit lane holds position 2j in its low and 2j + 1 in its high byte
    lanes = matrix.view("<u2")
    key_type = _key_type(space)
    byte = np.arange(256, dtype=np.int64)
    # entry ``high · 256 + low`` of lane j's table: the digits' share of the key (entries for bytes
    # outside the ranges hold garbage that no row looks up)
    tables = [
        (j, np.add.outer((byte - lows[2 * j + 1]) * weight[2 * j + 1], (byte - lows[2 * j]) * weight[2 * j]))
        for j in range(stride // 2)
        if radix[2 * j] > 1 or radix[2 * j + 1] > 1
    ]
    tables = [(j, table.ravel().astype(key_type)) for j, table in tables]
    key = np.zeros(n, dtype=key_type)

    def fill(rows: slice) -> None:
        part = key[rows]
        (j, table), *rest = tables
        # the lane values index 65,536-entry tables: never out of range, so ``clip`` checks nothing
        # (and unlike the default mode it writes straight into ``out``)
        np.take(table, lanes[rows, j], mode="clip", out=part)
        scratch = np.empty_like(part)
        for j, table in rest:
            np.add(part, np.take(table, lanes[rows, j], mode="clip", out=scratch), out=part)

    if tables:
        for_chunks(fill, n)

    varying = [p for p in range(width) if radix[p] > 1]
    offset_type = np.int64 if kind in (pa.large_string(), pa.large_binary()) else np.int32
    low_bytes = lows[:width].astype(np.uint8)

    def decode(keys: IntArray) -> pa.Array:
        # the digits, last position first (it varies fastest), then the lows added to every byte
        out = np.zeros((len(keys), width), dtype=np.uint8)
        rest = keys.astype(np.int32) if space < 2**31 else keys
        for position in reversed(varying):
            # floor_divide by a scalar of the array's own type is a multiply-shift (np.divmod is not)
            base = rest.dtype.type(radix[position])
            quotient = np.floor_divide(rest, base)
            out[:, position] = rest - quotient * base
            rest = quotient
        out += low_bytes
        if fixed:
            data = out.reshape(-1)
            offsets = np.arange(0, (len(keys) + 1) * width, width, dtype=offset_type)
        else:
            nonzero = out != 0  # NUL only pads: the ids have none
            data = out[nonzero]
            offsets = np.zeros(len(keys) + 1, dtype=offset_type)
            np.cumsum(nonzero.sum(axis=1), out=offsets[1:])
        # every id's bytes are some input row's bytes: valid for the type as they were
        return pa.Array.from_buffers(kind, len(keys), [None, pa.py_buffer(offsets), pa.py_buffer(data)])

    return CustomerKeys(key, space, decode)


def _hashed_keys(array: pa.Array) -> CustomerKeys:
    encoded = array.dictionary_encode()
    order = _sort_order(encoded.dictionary)
    distinct = encoded.dictionary.take(pa.array(order))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    key = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    return CustomerKeys(key, len(distinct), lambda keys: distinct.take(pa.array(keys)))


def _sort_order(distinct: pa.Array) -> npt.NDArray[np.intp]:
    """Indices that sort ``distinct`` (no two values equal).

    Strings that fit a 62-bit mixed-radix key (decimal ids of up to 18 digits, say) are sorted as
    those integers, some ten times faster than Arrow compares strings; others are sorted by Arrow.
    """
    padded = _padded_matrix(distinct, 64) if _is_variable_width(distinct.type) and len(distinct) else None
    keys = None if padded is None else _mixed_radix_keys(*padded, distinct.type, limit=2**62)
    if keys is None:
        return np.asarray(pc.sort_indices(distinct).to_numpy(), dtype=np.intp)
    return np.argsort(keys.key)
