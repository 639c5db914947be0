"""Shared SQL plumbing for connectors and the warehouse (private).

One pooled SQLAlchemy engine per URL, URL normalization (a plain ``postgresql://`` URL uses psycopg 3, a
plain ``mysql://`` URL uses pymysql), the ADBC URI for a URL, and redaction of passwords for messages.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from ecomkit.errors import ConfigError

__all__ = ["adbc_uri", "backend", "engine_for", "normalize_url", "redact"]

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()

_DEFAULT_DRIVERS = {
    "postgresql": "psycopg",
    "postgres": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick ecomkit's default driver when none is named."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(f"not a database URL: {redact(str(url))!r}") from None
    name = parsed.get_backend_name()
    if parsed.drivername in _DEFAULT_DRIVERS:
        backend_name = "postgresql" if name == "postgres" else name
        parsed = parsed.set(drivername=f"{backend_name}+{_DEFAULT_DRIVERS[parsed.drivername]}")
    return parsed


def engine_for(source: str | URL | Engine, **kwargs: Any) -> Engine:
    """Return ``source`` if it is an Engine, else the one pooled engine for its URL (created once)."""
    if isinstance(source, Engine):
        return source
    url = normalize_url(source)
    key = url.render_as_string(hide_password=False)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
            _ENGINES[key] = engine
        return engine


def backend(source: str | URL | Engine) -> str:
    """The dialect name: ``postgresql``, ``mysql``, ``sqlite``, ``mssql``, ``duckdb``..."""
    url = source.url if isinstance(source, Engine) else normalize_url(source)
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def adbc_uri(source: str | URL | Engine) -> str:
    """The libpq-style URI ADBC's PostgreSQL driver takes for a PostgreSQL URL or engine."""
    url = source.url if isinstance(source, Engine) else normalize_url(source)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"ADBC URI requested for a {url.get_backend_name()} URL; only PostgreSQL is supported"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def redact(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (safe for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable url>"
