from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.cleaning import dedupe
from ecomkit.errors import ConfigError, MissingColumnError


def _table() -> pa.Table:
    return pa.table(
        {
            "id": [1, 1, 2, 2, None, None, 3],
            "v": ["a", "b", "c", "d", "e", "f", "g"],
            "ts": [5, 3, None, 7, 1, 2, 9],
        }
    )


def test_keys_keep_first_and_last_keep_input_order() -> None:
    t = _table()
    assert dedupe(t, "id").column("v").to_pylist() == ["a", "c", "e", "g"]
    assert dedupe(t, ["id"], keep="last").column("v").to_pylist() == ["b", "d", "f", "g"]


def test_order_by_keeps_latest_version_and_nulls_are_oldest() -> None:
    out = dedupe(_table(), "id", order_by="ts")
    # id 1: ts 5 beats 3; id 2: ts 7 beats null; null key: ts 2 beats 1
    assert out.column("v").to_pylist() == ["a", "d", "f", "g"]


def test_order_by_ties_broken_by_keep() -> None:
    t = pa.table({"id": [1, 1, 1], "ts": [2, 2, 1], "v": ["x", "y", "z"]})
    assert dedupe(t, "id", order_by="ts").column("v").to_pylist() == ["x"]
    assert dedupe(t, "id", order_by="ts", keep="last").column("v").to_pylist() == ["y"]


def test_exact_duplicates_treat_nan_and_null_as_equal() -> None:
    t = pa.table(
        {"a": [1.0, 1.0, math.nan, math.nan, None, None, 1.0], "b": ["x", "x", "y", "y", "z", "z", "w"]}
    )
    out = dedupe(t, None)
    assert out.column("b").to_pylist() == ["x", "y", "z", "w"]


def test_empty_and_single_row_tables_pass_through() -> None:
    empty = pa.table({"id": pa.array([], pa.int64())})
    assert dedupe(empty, "id").num_rows == 0
    assert dedupe(pa.table({"id": [1]}), "id").num_rows == 1


def test_errors_name_the_problem() -> None:
    with pytest.raises(MissingColumnError, match="nope"):
        dedupe(_table(), "nope")
    with pytest.raises(ConfigError, match="keep"):
        dedupe(_table(), "id", keep="middle")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        dedupe(_table(), [])


def test_unicode_keys() -> None:
    t = pa.table({"k": ["ção", "ção", "日本", "😀", "😀"], "n": [1, 2, 3, 4, 5]})
    assert dedupe(t, "k", keep="last").column("n").to_pylist() == [2, 3, 5]


rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", None]), st.integers(0, 3), st.one_of(st.none(), st.integers(0, 5))
    ),
    max_size=40,
)


@settings(max_examples=25, deadline=None)
@given(rows, st.sampled_from(["first", "last"]), st.booleans())
def test_dedupe_is_idempotent_and_keeps_one_row_per_key(data: list, keep: str, latest: bool) -> None:
    t = pa.table(
        {"k": [r[0] for r in data], "x": [r[1] for r in data], "ts": [r[2] for r in data]},
        schema=pa.schema([("k", pa.string()), ("x", pa.int64()), ("ts", pa.int64())]),
    )
    order_by = "ts" if latest else None
    once = dedupe(t, ["k"], keep=keep, order_by=order_by)  # type: ignore[arg-type]
    assert dedupe(once, ["k"], keep=keep, order_by=order_by).equals(once)  # type: ignore[arg-type]
    assert once.num_rows == len({r[0] for r in data})
    exact = dedupe(t, None)
    assert exact.num_rows == len(set(data))
    assert dedupe(exact, None).equals(exact)
    if latest:  # the survivor of each key has the greatest version of that key
        best: dict = {}
        for k, _, ts in data:
            if ts is not None:
                best[k] = max(best.get(k, ts), ts)
        for k, ts in zip(once.column("k").to_pylist(), once.column("ts").to_pylist(), strict=True):
            assert ts == best.get(k)


rows_with_repeats = st.lists(
    st.tuples(
        st.sampled_from(["x", "y", None]),
        st.one_of(st.none(), st.integers(0, 2)),
        st.sampled_from([0.0, -0.0, math.nan, 1.5, None]),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows_with_repeats, st.sampled_from(["first", "last"]), st.booleans())
def test_hash_pruning_equals_grouping_every_row(rows: list, keep: str, versioned: bool) -> None:
    from ecomkit.cleaning.dedupe import _dropped_positions, _hash_candidates

    t = pa.table(
        {
            "k": pa.array([r[0] for r in rows], pa.string()),
            "n": pa.array([r[1] for r in rows], pa.int64()),
            "f": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    everyone = np.arange(t.num_rows, dtype=np.int64)
    for group in (["k"], ["k", "n"], ["k", "n", "f"]):
        order = ["f"] if versioned and "f" not in group else []
        pruned = _dropped_positions(t, group, keep=keep, order_by=order)  # type: ignore[arg-type]
        full = _dropped_positions(t, group, keep=keep, order_by=order, candidates=everyone)  # type: ignore[arg-type]
        assert pruned.tolist() == full.tolist()
        # every dropped row shares its group's hash, so it is a candidate
        assert set(full.tolist()) <= set(_hash_candidates(t, group).tolist())
