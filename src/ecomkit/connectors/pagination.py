"""Paginators: how to find the records in a page and the request for the next one.

A paginator is a small state machine shared by the sync and async clients. It never stops silently:
it stops on an empty page, a missing next link/cursor, ``has_more=false`` or the last page the server
announced, and raises :class:`~ecomkit.errors.PaginationError` on a page it cannot read (not JSON, no
record list where one should be, a cursor that does not advance).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx
import pyarrow as pa

from ecomkit.errors import ConfigError, PaginationError

__all__ = [
    "CursorPaginator",
    "LinkHeaderPaginator",
    "NextRequest",
    "OffsetPaginator",
    "PageNumberPaginator",
    "Paginator",
    "StripePaginator",
    "records_at",
]

_Params = dict[str, Any]


@dataclass(frozen=True)
class NextRequest:
    """The next page's request: a full URL (used as is) or the base path with these params."""

    params: _Params
    url: str | None = None


def records_at(body: Any, path: str | None, *, where: str) -> list[dict[str, Any]]:
    """The list of record objects at dotted ``path`` in ``body`` (``None``: the body is the list).

    Raises:
        PaginationError: nothing, or not a list of objects, is at ``path``.
    """
    node = body
    for part in path.split(".") if path else ():
        if not isinstance(node, Mapping) or part not in node:
            raise PaginationError(f"{where}: the page has no {path!r} record list")
        node = node[part]
    if not isinstance(node, list):
        raise PaginationError(
            f"{where}: expected a list of records at {path or 'the top level'!r}, got {type(node).__name__}"
        )
    for position, record in enumerate(node):
        if not isinstance(record, Mapping):
            raise PaginationError(f"{where}: record {position} is {type(record).__name__}, not an object")
    return node


class Paginator(abc.ABC):
    """How pages are numbered and where the records are.

    Args:
        records_path: dotted path of the record list in the JSON body (``None``: the body is a list).
    """

    #: Dotted paths of the body values :meth:`next` reads, with their JSON types. When a client
    #: decodes pages straight to Arrow it parses only these and the records; ``body`` then holds
    #: just them.
    body_fields: Mapping[str, pa.DataType] = MappingProxyType({})

    def __init__(self, *, records_path: str | None = None) -> None:
        self.records_path = records_path

    def records(self, body: Any, *, where: str) -> list[dict[str, Any]]:
        """The records of one page."""
        return records_at(body, self.records_path, where=where)

    def first(self, params: Mapping[str, Any]) -> _Params:
        """The params of the first request."""
        return dict(params)

    @abc.abstractmethod
    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """The next request after a page, or ``None`` when this was the last page."""


class PageNumberPaginator(Paginator):
    """``?page=N&per_page=M``; stops on an empty page or after the last page the server announces.

    Args:
        page_param: the page number parameter.
        size_param: the page size parameter.
        size: records per page.
        first_page: the number of the first page.
        total_pages_header: a response header with the page count (WordPress: ``X-WP-TotalPages``).
    """

    def __init__(
        self,
        *,
        page_param: str = "page",
        size_param: str = "per_page",
        size: int = 100,
        first_page: int = 1,
        total_pages_header: str | None = None,
        records_path: str | None = None,
    ) -> None:
        super().__init__(records_path=records_path)
        if size < 1:
            raise ConfigError(f"PageNumberPaginator(size=...) must be >= 1; got {size}")
        self.page_param, self.size_param, self.size = page_param, size_param, size
        self.first_page, self.total_pages_header = first_page, total_pages_header

    def first(self, params: Mapping[str, Any]) -> _Params:
        """Page one."""
        return {**params, self.page_param: self.first_page, self.size_param: self.size}

    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """The following page number, unless this page was empty or the last."""
        if not records:
            return None
        page = int(params[self.page_param])
        if self.total_pages_header:
            raw = response.headers.get(self.total_pages_header)
            if raw is not None:
                try:
                    total = int(raw)
                except ValueError:
                    raise PaginationError(
                        f"{where}: header {self.total_pages_header} is {raw!r}, not a page count"
                    ) from None
                if page - self.first_page + 1 >= total:
                    return None
        return NextRequest({**params, self.page_param: page + 1})


class OffsetPaginator(Paginator):
    """``?offset=N&limit=M``; stops on an empty page."""

    def __init__(
        self,
        *,
        offset_param: str = "offset",
        limit_param: str = "limit",
        limit: int = 100,
        records_path: str | None = None,
    ) -> None:
        super().__init__(records_path=records_path)
        if limit < 1:
            raise ConfigError(f"OffsetPaginator(limit=...) must be >= 1; got {limit}")
        self.offset_param, self.limit_param, self.limit = offset_param, limit_param, limit

    def first(self, params: Mapping[str, Any]) -> _Params:
        """Offset zero."""
        return {**params, self.offset_param: 0, self.limit_param: self.limit}

    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """The following offset, unless this page was empty."""
        if not records:
            return None
        return NextRequest({**params, self.offset_param: int(params[self.offset_param]) + len(records)})


class CursorPaginator(Paginator):
    """A cursor in the body (``{"data": [...], "next_cursor": "abc"}``) sent back as a parameter.

    Stops when the cursor is missing, null or empty; raises when it repeats.

    Args:
        cursor_path: dotted path of the next cursor in the body.
        cursor_param: the parameter the cursor is sent in.
    """

    def __init__(
        self,
        *,
        cursor_path: str = "next_cursor",
        cursor_param: str = "cursor",
        records_path: str | None = "data",
    ) -> None:
        super().__init__(records_path=records_path)
        self.cursor_path, self.cursor_param = cursor_path, cursor_param
        self.body_fields = {cursor_path: pa.string()}

    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """The request with the next cursor, or ``None`` at the end."""
        node: Any = body
        for part in self.cursor_path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node in (None, ""):
            return None
        if not isinstance(node, str | int):
            raise PaginationError(f"{where}: cursor {self.cursor_path!r} is {type(node).__name__}")
        if params.get(self.cursor_param) == node:
            raise PaginationError(f"{where}: the cursor {self.cursor_path!r} did not advance")
        if not records:
            raise PaginationError(f"{where}: an empty page with a next cursor")
        return NextRequest({**params, self.cursor_param: node})


class LinkHeaderPaginator(Paginator):
    """RFC 8288 ``Link: <url>; rel="next"`` (Shopify, GitHub); the next URL is used exactly as given.

    Shopify's cursor (``page_info``) links carry every parameter the next page may have, so the
    original filters are not re-sent.
    """

    def __init__(self, *, rel: str = "next", records_path: str | None = None) -> None:
        super().__init__(records_path=records_path)
        self.rel = rel

    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """The next link, or ``None`` when there is none."""
        link = response.links.get(self.rel)
        if not link or not link.get("url"):
            return None
        url = str(response.url.join(link["url"]))
        if url == str(response.url):
            raise PaginationError(f"{where}: the {self.rel!r} link points at the same page")
        if not records:
            raise PaginationError(f"{where}: an empty page with a {self.rel!r} link")
        return NextRequest({}, url=url)


class StripePaginator(Paginator):
    """Stripe list objects: ``{"object": "list", "data": [...], "has_more": true}`` + ``starting_after``."""

    def __init__(self, *, limit: int = 100) -> None:
        super().__init__(records_path="data")
        self.body_fields = {"has_more": pa.bool_()}
        if not 1 <= limit <= 100:
            raise ConfigError(f"StripePaginator(limit=...) must be in [1, 100]; got {limit}")
        self.limit = limit

    def first(self, params: Mapping[str, Any]) -> _Params:
        """The first page, ``limit`` objects."""
        return {**params, "limit": self.limit}

    def next(
        self,
        response: httpx.Response,
        body: Any,
        records: Sequence[Mapping[str, Any]],
        params: _Params,
        *,
        where: str,
    ) -> NextRequest | None:
        """``starting_after`` the last object while ``has_more`` is true."""
        has_more = body.get("has_more") if isinstance(body, Mapping) else None
        if not isinstance(has_more, bool):
            raise PaginationError(f"{where}: the list object has no boolean 'has_more'")
        if not has_more:
            return None
        if not records:
            raise PaginationError(f"{where}: has_more is true but the page is empty")
        last = records[-1].get("id")
        if not isinstance(last, str) or not last:
            raise PaginationError(f"{where}: the last object has no 'id' to continue after")
        return NextRequest({**params, "starting_after": last})
