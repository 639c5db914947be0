"""Deterministic synthetic e-commerce data with injected defects."""

from __future__ import annotations

__all__: list[str] = []
