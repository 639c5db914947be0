"""Sources: REST APIs (generic, Shopify, WooCommerce, Stripe), SQL databases, MongoDB and files, read incrementally as Arrow.

Submodules load on first use (``from ecomkit.connectors import shopify``); the REST client, paginators
state stores and :func:`~ecomkit.connectors.aio.astream` (a source's stream from asyncio) are
re-exported here.
"""

from __future__ import annotations

import importlib
from typing import Any

from ecomkit.connectors.aio import astream
from ecomkit.connectors.http import AsyncRestClient, Page, RestClient
from ecomkit.connectors.pagination import (
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    StripePaginator,
)
from ecomkit.connectors.state import JsonState, MemoryState, SqlState, State, open_state

__all__ = [
    "AsyncRestClient",
    "CursorPaginator",
    "JsonState",
    "LinkHeaderPaginator",
    "MemoryState",
    "OffsetPaginator",
    "Page",
    "PageNumberPaginator",
    "RestClient",
    "SqlState",
    "State",
    "StripePaginator",
    "astream",
    "open_state",
]


def __getattr__(name: str) -> Any:
    if name in {"shopify", "woocommerce", "stripe", "sql", "mongo", "files", "auth"}:
        return importlib.import_module(f"ecomkit.connectors.{name}")
    raise AttributeError(f"module 'ecomkit.connectors' has no attribute {name!r}")
