from __future__ import annotations

import pyarrow as pa

from ecomkit.cleaning import Dedupe, Impute, clean, rules


def test_clean_composes_dedupe_impute_validate() -> None:
    items = pa.table(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4"],
            "line": [1, 1, 1, 1, 1],
            "product_id": ["p", "p", "p", "q", "q"],
            "unit_price": [10.0, 12.0, None, -5.0, 4.0],
            "updated_at": [1, 2, 1, 1, 1],
        }
    )
    out = clean(
        items,
        dedupe=Dedupe(keys=("order_id", "line"), order_by=("updated_at",)),
        impute=Impute({"unit_price": "median"}, by=("product_id",)),
        rules=[rules.positive("unit_price"), rules.not_null("unit_price")],
    )
    # o1 keeps the update (12.0); o2's price is the median of p = 12.0; o3 is quarantined
    assert out.table.column("order_id").to_pylist() == ["o1", "o2", "o4"]
    assert out.table.column("unit_price").to_pylist() == [12.0, 12.0, 4.0]
    assert out.quarantine.column("order_id").to_pylist() == ["o3"]
    assert out.report.to_dict() == {
        "rows_in": 5,
        "duplicates_removed": 1,
        "imputed": {"unit_price": 1},
        "failures": {"positive(unit_price)": 1, "not_null(unit_price)": 0},
        "quarantined_rows": 1,
        "warned_rows": 0,
        "rows_out": 3,
    }


def test_clean_shorthands_and_nothing_to_do() -> None:
    t = pa.table({"a": [1, 1, 2]})
    assert clean(t, dedupe=True).table.column("a").to_pylist() == [1, 2]
    assert clean(t, dedupe="a").report.duplicates_removed == 1
    unchanged = clean(t)
    assert unchanged.table.equals(t)
    assert unchanged.report.rows_out == 3
    warned = clean(t, rules=[rules.unique("a", severity="warn")])
    assert warned.report.warned_rows == 2
    assert warned.report.rows_out == 3


def test_clean_equals_the_steps_run_one_by_one() -> None:
    from ecomkit.cleaning import dedupe, impute, validate

    items = pa.table(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o5"],
            "note": ["a", "b", "c", "d", "e", "f", "g"],
            "product_id": ["p", "p", "p", "q", "q", None, None],
            "unit_price": [10.0, None, None, -5.0, 4.0, 30.0, None],
            "qty": [1, 2, 3, 4, -1, 2, 2],
            "updated_at": [1, 2, 1, 1, 1, 5, 3],
        }
    )
    checks = [
        rules.positive("unit_price"),
        rules.positive("qty"),
        rules.max_length("note", 0, severity="warn"),
    ]
    out = clean(
        items,
        dedupe=Dedupe(keys=("order_id",), order_by=("updated_at",)),
        impute=Impute({"unit_price": "median"}, by=("product_id",)),
        rules=checks,
    )
    step = dedupe(items, "order_id", order_by="updated_at")
    step = impute(step, {"unit_price": "median"}, by="product_id")
    checked = validate(step, checks)
    assert out.table.equals(checked.valid)
    assert out.quarantine.equals(checked.invalid)
    assert out.warnings.equals(checked.warnings)
    assert out.report.rows_out == checked.valid_rows == 3
    assert out.report.quarantined_rows == 2
    assert out.report.warned_rows == 5  # every de-duplicated row has a non-empty note
