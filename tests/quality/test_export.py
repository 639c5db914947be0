"""Quality reports as flat tables and CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from ecomkit import quality
from ecomkit.cleaning import rules
from ecomkit.errors import ConfigError


@pytest.fixture
def report() -> quality.QualityReport:
    table = pa.table({"qty": [1, 2, -3, None, 5], "sku": ["a", "bb", None, "a", "ccc"]})
    return quality.profile(table, rules=[rules.positive("qty"), rules.not_null("sku")])


def test_field_table_has_a_row_per_column_with_its_statistics(report: quality.QualityReport) -> None:
    fields = {row["field"]: row for row in quality.field_table(report).to_pylist()}
    assert set(fields) == {"qty", "sku"}
    assert (fields["qty"]["rows"], fields["qty"]["nulls"], fields["qty"]["null_rate"]) == (5, 1, 0.2)
    assert fields["qty"]["min"] == "-3.0"
    assert fields["qty"]["max"] == "5.0"
    assert fields["qty"]["mean"] == pytest.approx(1.25)
    assert fields["qty"]["p50"] == pytest.approx(1.5)
    assert (fields["sku"]["distinct"], fields["sku"]["min_length"], fields["sku"]["max_length"]) == (3, 1, 3)


def test_rule_table_counts_failures(report: quality.QualityReport) -> None:
    rows = {row["rule"]: row for row in quality.rule_table(report).to_pylist()}
    assert rows["positive(qty)"]["failing_rows"] == 1
    assert rows["not_null(sku)"]["failing_rows"] == 1
    assert rows["not_null(sku)"]["dimension"] == "completeness"
    assert rows["positive(qty)"]["failure_rate"] == pytest.approx(0.2)


def test_write_csv_writes_both_files(report: quality.QualityReport, tmp_path: Path) -> None:
    fields_path, rules_path = quality.write_csv(report, tmp_path, prefix="orders")
    assert fields_path.name == "orders_fields.csv"
    assert rules_path.name == "orders_rules.csv"
    with fields_path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["field"] for r in rows] == ["qty", "sku"]
    assert rows[0]["nulls"] == "1"
    with pytest.raises(ConfigError, match="existing folder"):
        quality.write_csv(report, tmp_path / "missing")
