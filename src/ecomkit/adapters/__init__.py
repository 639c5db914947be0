"""Thin orchestrator adapters (Airflow 3, Prefect 3); each imports its orchestrator lazily."""

from __future__ import annotations

__all__: list[str] = []
