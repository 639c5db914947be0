"""A TimescaleDB DDL emitter over typed, frozen specs."""

from __future__ import annotations

__all__: list[str] = []
