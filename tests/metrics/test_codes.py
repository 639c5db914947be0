from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.metrics._codes import customer_codes


def _reference(values: list) -> tuple[list, list[int]]:
    distinct = sorted(set(values))
    rank = {v: i for i, v in enumerate(distinct)}
    return distinct, [rank[v] for v in values]


def _check(array: pa.Array | pa.ChunkedArray) -> None:
    values = array.to_pylist()
    distinct, code = customer_codes(array)
    want_distinct, want_code = _reference(values)
    assert distinct.type == array.type
    assert distinct.to_pylist() == want_distinct
    assert np.asarray(code).tolist() == want_code


@pytest.mark.parametrize(
    "array",
    [
        pa.array(["C0000012", "C0000003", "C0000012", "C0100000", "C0000003"]),  # fixed width, arithmetic
        pa.array(["C0000012", "C0000003", "C0000012"], type=pa.large_string()),
        pa.array([b"ab\x00", b"ab\x01", b"\xffzz", b"ab\x00"], type=pa.binary()),  # zero and high bytes
        pa.array(["odd", "ids", "odd", "abc", "zzz"]),  # odd width: per-position lookups
        pa.array(["a", "bb", "a", "ccc", ""]),  # variable width: hashed
        pa.array(["x" * 40, "y" * 40, "x" * 40]),  # too wide: hashed
        pa.array([f"{i:032x}" for i in (5, 3, 5, 2**120)]),  # 32-char hex: key space too big, hashed
        pa.array(["ä", "a", "é", "ä"]),  # UTF-8, two bytes each
        pa.array([7, -3, 7, 120, -128], type=pa.int8()),  # the difference would overflow int8
        pa.array([2**64 - 1, 2**63 + 5, 2**64 - 1], type=pa.uint64()),  # beyond int64
        pa.array([10**15, 3, 10**15], type=pa.int64()),  # sparse range: one sort of (id, row)
        pa.array([-5 * 10**12, 7, -5 * 10**12, 2**61], type=pa.int64()),  # too sparse to pack: hashed
        pa.array([2**40, 3, 2**40 + 7, 3], type=pa.uint64()),
        # fixed-width decimal text, sparse: parsed and keyed as numbers (leading zeros kept)
        pa.array(["7112345678901", "6812345678901", "7112345678901", "0000000000042"]),
        pa.array([b"7112345678901", b"0000000000042", b"7112345678901"], type=pa.large_binary()),
        pa.array(["k7", "k1", "k3", "k1", "k9"]).slice(1, 3),  # sliced: offsets start inside the buffer
        # sparse decimal ids: hashed, and the distinct ids sorted as mixed-radix integers
        pa.array(["7112345678901", "99", "7112345678901", "10", "100", "6812345678901"]),
        pa.array([b"7112345678901", b"10", b"7112345678901"], type=pa.large_binary()),
        pa.array(["cus_NffrFeUfNV2Hib", "cus_A", "cus_NffrFeUfNV2Hia"]),  # too many digits: Arrow sorts
        pa.chunked_array([["C01", "C02"], ["C01", "C00"]]),
    ],
)
def test_codes_equal_sorting(array: pa.Array | pa.ChunkedArray) -> None:
    _check(array)


def test_empty() -> None:
    distinct, code = customer_codes(pa.array([], type=pa.string()))
    assert len(distinct) == 0
    assert len(code) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 10),
    st.lists(st.text(alphabet="AZaz09-_é", min_size=0, max_size=10), min_size=1, max_size=60),
)
def test_fixed_width_strings_any_alphabet(width: int, words: list[str]) -> None:
    # pad (or cut) to a fixed byte width so the arithmetic path is taken whenever it fits
    fixed = [(w.encode() + b"#" * width)[:width] for w in words]
    _check(pa.array(fixed, type=pa.binary()))
    _check(pa.array(words))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=60), st.integers(0, 3))
def test_integers(values: list[int], spread: int) -> None:
    # spread 0 keeps values close together (presence table); larger spreads force hashing
    scaled = [v // (2**30) if spread == 0 else v for v in values]
    _check(pa.array(scaled, type=pa.int64()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="09x-", min_size=0, max_size=12), min_size=1, max_size=80))
def test_short_ascii_ids_of_any_length(words: list[str]) -> None:
    # padded with NUL to the longest id and keyed arithmetically when the key space allows
    _check(pa.array(words))
    _check(pa.array(words, type=pa.large_string()))
    _check(pa.array([w.encode() for w in words], type=pa.binary()))


def test_keys_preserve_order_and_decode() -> None:
    from ecomkit.metrics._codes import customer_keys

    for array in (
        # variable-length ASCII, padded with NUL; enough rows for the key space (2 · 99 · 99)
        pa.array(["ab", "a", "abb", "b", "ab"] * 1000),
        pa.array(["C0000012", "C0000003", "C0100000"]),  # fixed width
        pa.array([10**6 + 5, 10**6, 10**6 + 5]),  # integers
    ):
        keys = customer_keys(array)
        values = array.to_pylist()
        assert keys.key.dtype == np.int32  # small key spaces use 32-bit keys
        assert keys.key.min() >= 0
        assert keys.key.max() < keys.space
        first = range(min(5, len(values)))
        for i, j in ((a, b) for a in first for b in first):
            assert (keys.key[i] < keys.key[j]) == (values[i] < values[j])
        order = np.unique(keys.key)
        assert keys.decode(order).to_pylist() == sorted(set(values))
        assert keys.decode(order).type == array.type


def test_ids_with_nul_or_non_ascii_bytes_are_hashed() -> None:
    _check(pa.array([b"a\x00", b"a", b"b"], type=pa.binary()))  # NUL would collide with padding
    _check(pa.array(["é", "e", "éé", "e"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10**13 - 1), min_size=1, max_size=60), st.sampled_from([13, 14, 18]))
def test_fixed_width_decimal_ids(numbers: list[int], width: int) -> None:
    _check(pa.array([f"{v:0{width}d}" for v in numbers]))


def test_sparse_ids_are_sorted_not_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecomkit.metrics import _codes

    def no_hashing(array: pa.Array) -> None:
        raise AssertionError("hashed")

    monkeypatch.setattr(_codes, "_hashed_keys", no_hashing)
    for array in (
        pa.array([7112345678901, 6812345678901, 7112345678901, 42]),
        pa.array(["7112345678901", "6812345678901", "7112345678901", "0000000000042"]),
    ):
        keys = _codes.customer_keys(array)
        assert keys.key.tolist() == [2, 1, 2, 0]
        assert keys.decode(np.arange(3)).to_pylist() == sorted(set(array.to_pylist()))
