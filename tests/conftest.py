"""Shared fixtures: real service databases created per test session and dropped after.

PostgreSQL and MariaDB default to the servers at 127.0.0.1 (``ECOMKIT_TEST_POSTGRES_URL`` and
``ECOMKIT_TEST_MYSQL_URL`` override). Without a reachable server the tests that need it skip with the
reason; with ``ECOMKIT_REQUIRE_SERVICES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm

REQUIRE_SERVICES = os.environ.get("ECOMKIT_REQUIRE_SERVICES", "") not in ("", "0", "false")

POSTGRES_URL = os.environ.get(
    "ECOMKIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("ECOMKIT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("ECOMKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

OLIST_SAMPLE = Path(
    os.environ.get(
        "ECOMKIT_OLIST_SAMPLE",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "olist_sample",
    )
)


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"ECOMKIT_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _scratch_database(admin_url: str, kind: str) -> Iterator[str]:
    name = f"ecomkit_test_{uuid.uuid4().hex[:12]}"
    url = sa.make_url(admin_url)
    try:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as conn:
            conn.execute(
                sa.text(f'CREATE DATABASE "{name}"' if kind == "postgresql" else f"CREATE DATABASE `{name}`")
            )
    except (sa.exc.OperationalError, sa.exc.InterfaceError, ModuleNotFoundError) as exc:
        unavailable(
            f"no {kind} server at {url.render_as_string(hide_password=True)}: {str(exc).splitlines()[0]}"
        )
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        sa.orm.close_all_sessions()
        from ecomkit import _sql

        for key, engine in list(_sql._ENGINES.items()):
            if name in key:
                engine.dispose()
                _sql._ENGINES.pop(key, None)
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a fresh PostgreSQL database, dropped after the session."""
    yield from _scratch_database(POSTGRES_URL, "postgresql")


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A SQLAlchemy URL of a fresh MariaDB/MySQL database, dropped after the session."""
    yield from _scratch_database(MYSQL_URL, "mysql")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a reachable Redis server."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable(f"no Redis server at {REDIS_URL}: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def olist_folder() -> Path:
    """The real Olist sample (3,000 whole orders) shipped beside the repository."""
    if not (OLIST_SAMPLE / "olist_orders_dataset.csv").exists():
        pytest.skip(f"the Olist sample is not at {OLIST_SAMPLE} (set ECOMKIT_OLIST_SAMPLE to its folder)")
    return OLIST_SAMPLE
