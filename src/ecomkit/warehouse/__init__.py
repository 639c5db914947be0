"""Warehouse DDL and fast, atomic, idempotent loading of Arrow tables."""

from __future__ import annotations

__all__: list[str] = []
