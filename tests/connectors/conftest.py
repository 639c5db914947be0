"""Fixtures for the database connector tests: a MongoDB wire-protocol server.

``mongo_url`` is ``ECOMKIT_TEST_MONGO_URL`` when set (a real MongoDB), otherwise the URL of a SecantusDB
server (the test-only ``secantusdb`` package) started in this process on 127.0.0.1 with a free port and
in-memory storage, stopped after the session.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


def unavailable(reason: str) -> None:
    """The shared ``unavailable`` of tests/conftest.py: skip, or fail when CI requires services.

    ``tests`` is not a package, so the root conftest is loaded by path (``import conftest`` would find
    this file).
    """
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_ecomkit_root_conftest", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.unavailable(reason)


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """The URL of a reachable MongoDB wire-protocol server."""
    configured = os.environ.get("ECOMKIT_TEST_MONGO_URL")
    if configured:
        import pymongo

        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            configured, serverSelectionTimeoutMS=3000
        )
        try:
            client.admin.command("ping")
        except pymongo.errors.PyMongoError as exc:
            unavailable(f"no MongoDB server at ECOMKIT_TEST_MONGO_URL: {str(exc).splitlines()[0]}")
        finally:
            client.close()
        yield configured
        return
    try:
        from secantus import SecantusDBServer
    except ImportError as exc:
        unavailable(f"no MongoDB server: set ECOMKIT_TEST_MONGO_URL or install secantusdb ({exc})")
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    try:
        server.start()
    except OSError as exc:
        unavailable(f"cannot start the SecantusDB server on 127.0.0.1: {exc}")
    try:
        yield server.uri
    finally:
        server.stop()
