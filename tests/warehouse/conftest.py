"""Fixtures for the warehouse tests: engines on the session's scratch databases, fresh table names."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm  # the shared conftest's teardown uses sa.orm

from ecomkit._sql import engine_for


@pytest.fixture
def pg(postgres_url: str) -> sa.Engine:
    """The pooled engine of the scratch PostgreSQL database."""
    return engine_for(postgres_url)


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses."""
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file URL."""
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture
def duckdb_path(tmp_path: Path) -> str:
    """A DuckDB database file path."""
    return str(tmp_path / "warehouse.duckdb")
