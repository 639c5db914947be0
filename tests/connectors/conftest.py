"""Fixtures of the connector tests."""

# tests/conftest.py's database teardown calls ``sa.orm.close_all_sessions()``, which needs the
# submodule imported; a run of only these tests would otherwise end in an AttributeError.
import sqlalchemy.orm  # noqa: F401
