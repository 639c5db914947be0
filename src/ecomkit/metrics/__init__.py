"""Order and customer metrics, classic CLV, RFM and probabilistic CLV models."""

from __future__ import annotations

__all__: list[str] = []
