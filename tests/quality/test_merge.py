from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.cleaning import rules
from ecomkit.errors import ConfigError
from ecomkit.quality import merge, profile

CHECKS = [rules.positive("q"), rules.not_null("k", severity="warn")]

row = st.tuples(
    st.sampled_from(["a", "b", "c", None]),
    st.one_of(st.none(), st.integers(-3, 9)),
    st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)),
)


def _table(data: list) -> pa.Table:
    schema = pa.schema([("k", pa.string()), ("q", pa.int64()), ("x", pa.float64())])
    return pa.table(
        {"k": [r[0] for r in data], "q": [r[1] for r in data], "x": [r[2] for r in data]}, schema=schema
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(row, max_size=30), st.lists(row, max_size=30))
def test_merge_equals_one_shot_on_exact_statistics(a: list, b: list) -> None:
    # partition by key, as the documented path does, so duplicate groups never span parts
    left = [r for r in a + b if r[0] in ("a", None)]
    right = [r for r in a + b if r[0] not in ("a", None)]
    whole = profile(_table(left + right), rules=CHECKS, keys=["k"])
    merged = merge(
        profile(_table(left), rules=CHECKS, keys=["k"]), profile(_table(right), rules=CHECKS, keys=["k"])
    )
    for attr in (
        "rows",
        "exact_duplicate_rows",
        "duplicate_rows",
        "valid_rows",
        "invalid_rows",
        "warned_rows",
    ):
        assert getattr(merged, attr) == getattr(whole, attr), attr
    assert merged.null_counts == whole.null_counts
    assert merged.rule_failures == whole.rule_failures
    assert merged.failing_rows == whole.failing_rows
    for d, score in whole.scores.items():
        assert merged.scores[d] == pytest.approx(score)
    assert merged.overall == pytest.approx(whole.overall)
    for name in ("q", "x"):
        m, w = merged.fields[name], whole.fields[name]
        assert (m.min, m.max, m.nulls) == (w.min, w.max, w.nulls)
        assert m.mean == pytest.approx(w.mean, rel=1e-9, abs=1e-9) if w.mean is not None else m.mean is None
        if w.stddev is not None:
            assert m.stddev == pytest.approx(w.stddev, rel=1e-6, abs=1e-9)


def test_merged_approximations_are_flagged() -> None:
    a = profile(pa.table({"s": ["x", "y"], "n": [1.0, 2.0]}))
    b = profile(pa.table({"s": ["x", "z"], "n": [3.0, 4.0]}))
    merged = merge(a, b)
    assert not merged.fields["s"].exact
    assert merged.fields["s"].distinct == 4  # upper bound of the true 3
    assert merged.fields["s"].top[0] == ("x", 2)
    assert merged.fields["n"].quantiles["p50"] == pytest.approx(2.5)
    assert sum(c for _, _, c in merged.fields["n"].histogram) == 4
    with pytest.raises(ConfigError):
        merge()
    with pytest.raises(ConfigError, match="same columns"):
        merge(a, profile(pa.table({"other": [1]})))
