"""Retry with backoff, rate limiting and circuit breaking: policies built on tenacity, pyrate-limiter and pybreaker."""

from __future__ import annotations

__all__: list[str] = []
