from __future__ import annotations

import json

import pyarrow as pa
import pytest

from ecomkit.cleaning import clean, rules
from ecomkit.quality import compare, profile


def test_before_after_deltas_by_hand() -> None:
    raw = pa.table({"id": [1, 1, 2, 3], "q": [5, 5, None, -1]})
    checks = [rules.positive("q")]
    before = profile(raw, rules=checks, keys=["id"])
    cleaned = clean(raw, dedupe="id", impute={"q": "median"}, rules=checks)
    after = profile(cleaned.table, rules=checks, keys=["id"])
    diff = compare(before, after)
    assert diff.counts["rows"] == (4, 2, -2)
    assert diff.counts["duplicate_rows"] == (1, 0, -1)
    assert diff.counts["invalid_rows"] == (1, 0, -1)
    assert diff.counts["missing_cells"] == (1, 0, -1)
    assert diff.rule_failures["positive(q)"] == (1, 0, -1)
    assert diff.scores["validity"] == pytest.approx((0.75, 1.0, 0.25))
    assert diff.scores["overall"][2] > 0
    assert diff.fields["q"]["nulls"] == (1, 0)
    assert json.loads(diff.to_json())["counts"]["rows"] == [4, 2, -2]
