from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomkit.cleaning import rules, validate
from ecomkit.errors import ConfigError


def test_quarantine_rows_reasons_and_counts_by_hand() -> None:
    t = pa.table({"id": ["a", "b", "c", "d"], "qty": [1, -2, None, 0], "price": [9.5, 1.0, -1.0, 3.0]})
    result = validate(
        t,
        [
            rules.positive("qty"),
            rules.not_null("qty"),
            rules.positive("price"),
            rules.between("price", 0, 5, severity="warn"),
        ],
    )
    # b: qty -2; c: qty null + price -1; d: qty 0
    assert result.valid.column("id").to_pylist() == ["a"]
    assert result.failures == {
        "positive(qty)": 2,
        "not_null(qty)": 1,
        "positive(price)": 1,
        "between(price, 0, 5)": 2,  # a (9.5) and c (-1.0)
    }
    assert result.counts == result.failures
    assert result.invalid_rows == 3
    assert result.valid_rows == 1
    inv = result.invalid
    assert inv.column_names == ["id", "qty", "price", "row", "rule", "reason"]
    assert list(zip(inv.column("row").to_pylist(), inv.column("rule").to_pylist(), strict=True)) == [
        (1, "positive(qty)"),
        (3, "positive(qty)"),
        (2, "not_null(qty)"),
        (2, "positive(price)"),
    ]
    assert inv.column("reason").to_pylist()[0] == "qty must be > 0, got -2"
    assert result.warnings.column("row").to_pylist() == [0, 2]


def test_warn_rules_keep_rows() -> None:
    t = pa.table({"q": [-1, 2]})
    result = validate(t, [rules.positive("q", severity="warn")])
    assert result.valid.num_rows == 2
    assert result.invalid.num_rows == 0
    assert result.ok


def test_empty_table_and_everything_filtered() -> None:
    empty = pa.table({"q": pa.array([], pa.int64())})
    result = validate(empty, [rules.positive("q"), rules.unique("q")])
    assert result.valid.num_rows == 0
    assert result.invalid.num_rows == 0
    bad = validate(pa.table({"q": [-1, -2]}), [rules.positive("q")])
    assert bad.valid.num_rows == 0
    assert bad.valid.schema == pa.schema([("q", pa.int64())])
    assert bad.invalid_rows == 2


def test_duplicate_rule_names_and_reserved_columns_are_refused() -> None:
    t = pa.table({"q": [1]})
    with pytest.raises(ConfigError, match="unique"):
        validate(t, [rules.positive("q"), rules.positive("q")])
    with pytest.raises(ConfigError, match="rule"):
        validate(pa.table({"rule": [1]}), [rules.positive("rule")])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(-5, 5)), st.sampled_from(["a", "b", "c", None])),
        max_size=50,
    )
)
def test_validate_partitions_its_input(data: list) -> None:
    t = pa.table(
        {"q": [d[0] for d in data], "k": [d[1] for d in data]},
        schema=pa.schema([("q", pa.int64()), ("k", pa.string())]),
    )
    checks = [
        rules.positive("q"),
        rules.not_null("k"),
        rules.unique("k", severity="warn"),
        rules.between("q", -3, 3),
    ]
    result = validate(t, checks)
    distinct_invalid = len(set(result.invalid.column("row").to_pylist()))
    assert result.valid.num_rows + distinct_invalid == t.num_rows
    assert result.invalid_rows == distinct_invalid
    expected_valid = [
        d for d in data if d[1] is not None and (d[0] is None or (d[0] > 0 and -3 <= d[0] <= 3))
    ]
    assert (
        list(zip(result.valid.column("q").to_pylist(), result.valid.column("k").to_pylist(), strict=True))
        == expected_valid
    )
