"""Cleaning on Arrow tables: de-duplicate, impute, coerce and validate business rules with a quarantine.

Example:
    >>> import pyarrow as pa
    >>> from ecomkit import cleaning
    >>> from ecomkit.cleaning import rules
    >>> items = pa.table({"id": [1, 1, 2, 3], "price": [5.0, 5.0, None, -2.0]})
    >>> result = cleaning.clean(items, dedupe=True, impute={"price": "median"},
    ...                         rules=[rules.positive("price")])
    >>> result.table.column("price").to_pylist(), result.quarantine.column("reason").to_pylist()
    ([5.0, 1.5], ['price must be > 0, got -2'])
"""

from __future__ import annotations

from ecomkit.cleaning import rules
from ecomkit.cleaning.clean import Cleaned, CleanReport, Dedupe, Impute, clean
from ecomkit.cleaning.coerce import coerce
from ecomkit.cleaning.dedupe import dedupe, duplicate_mask
from ecomkit.cleaning.impute import impute
from ecomkit.cleaning.rules import Rule
from ecomkit.cleaning.validate import Validation, validate

__all__ = [
    "CleanReport",
    "Cleaned",
    "Dedupe",
    "Impute",
    "Rule",
    "Validation",
    "clean",
    "coerce",
    "dedupe",
    "duplicate_mask",
    "impute",
    "rules",
    "validate",
]
