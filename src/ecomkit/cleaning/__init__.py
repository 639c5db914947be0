"""Cleaning on Arrow tables: de-duplicate, impute, coerce and validate business rules with a quarantine."""

from __future__ import annotations

__all__: list[str] = []
