"""Data-quality profiles and scores, JSON and self-contained HTML pages, before/after comparison, dashboards.

Example:
    >>> import pyarrow as pa
    >>> from ecomkit import quality
    >>> from ecomkit.cleaning import rules
    >>> report = quality.profile(pa.table({"qty": [1, 2, -3, None]}), rules=[rules.positive("qty")])
    >>> report.invalid_rows, round(report.validity, 2)
    (1, 0.75)
"""

from __future__ import annotations

from ecomkit.quality.compare import Comparison, compare
from ecomkit.quality.dashboard import dashboard, write_dashboard
from ecomkit.quality.export import field_table, rule_table, write_csv
from ecomkit.quality.profile import FieldProfile, QualityReport, merge, profile
from ecomkit.quality.scores import DEFAULT_WEIGHTS, DIMENSIONS

__all__ = [
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "Comparison",
    "FieldProfile",
    "QualityReport",
    "compare",
    "dashboard",
    "field_table",
    "merge",
    "profile",
    "rule_table",
    "write_csv",
    "write_dashboard",
]
