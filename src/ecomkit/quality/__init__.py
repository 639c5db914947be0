"""Data-quality profiles and scores, JSON and a self-contained HTML dashboard, before/after comparison."""

from __future__ import annotations

__all__: list[str] = []
