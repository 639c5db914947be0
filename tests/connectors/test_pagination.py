"""Paginators, unit-tested through RestClient over httpx.MockTransport (every paginator, both decoders)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow as pa
import pytest

from ecomkit.connectors import (
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    RestClient,
    StripePaginator,
)
from ecomkit.connectors.pagination import Paginator
from ecomkit.errors import ConfigError, PaginationError
from ecomkit.resilience import Policy

ROWS = [{"id": f"r{i:02d}", "n": i} for i in range(23)]
SCHEMA = pa.schema([("id", pa.string()), ("n", pa.int64())])
# every test runs with Python-object pages and with pages decoded straight to Arrow
DECODERS = pytest.mark.parametrize("schema", [None, SCHEMA], ids=["json", "arrow"])

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> tuple[RestClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = RestClient(
        "https://api.test/v1", policy=Policy(retry=None), transport=httpx.MockTransport(record)
    )
    return client, seen


def _ids(
    client: RestClient, path: str, paginator: Paginator, schema: pa.Schema | None, **params: Any
) -> list[str]:
    out: list[Any] = []
    for page in client.paginate(path, paginator, params=params or None, schema=schema):
        ids = [r.get("id") for r in page.records]
        if schema is not None:
            assert page.batch is not None
            assert page.batch.column("id").to_pylist() == ids
        out += ids
    return out


def _q(request: httpx.Request, name: str) -> str | None:
    return request.url.params.get(name)


@DECODERS
def test_page_number_stops_on_an_empty_page(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page, size = int(_q(request, "page") or 0), int(_q(request, "per_page") or 0)
        return httpx.Response(200, json=ROWS[(page - 1) * size : page * size])

    client, seen = _client(handler)
    assert _ids(client, "items", PageNumberPaginator(size=10), schema, status="any") == [
        r["id"] for r in ROWS
    ]
    assert [(_q(r, "page"), _q(r, "status")) for r in seen] == [
        ("1", "any"),
        ("2", "any"),
        ("3", "any"),
        ("4", "any"),
    ]


@DECODERS
def test_page_number_stops_at_the_announced_last_page(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(_q(request, "page") or 0)
        return httpx.Response(200, json=ROWS[(page - 1) * 10 : page * 10], headers={"X-WP-TotalPages": "3"})

    client, seen = _client(handler)
    got = _ids(client, "items", PageNumberPaginator(size=10, total_pages_header="X-WP-TotalPages"), schema)
    assert got == [r["id"] for r in ROWS]
    assert len(seen) == 3  # no request past the last page


@DECODERS
def test_page_number_rejects_a_bad_total_pages_header(schema: pa.Schema | None) -> None:
    client, _ = _client(lambda r: httpx.Response(200, json=ROWS[:10], headers={"X-WP-TotalPages": "many"}))
    with pytest.raises(PaginationError, match="X-WP-TotalPages"):
        _ids(client, "items", PageNumberPaginator(size=10, total_pages_header="X-WP-TotalPages"), schema)


@DECODERS
def test_offset_advances_by_the_records_received(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset, limit = int(_q(request, "offset") or 0), int(_q(request, "limit") or 0)
        return httpx.Response(
            200, json={"results": ROWS[offset : offset + min(limit, 7)]}
        )  # server caps at 7

    client, seen = _client(handler)
    assert _ids(client, "items", OffsetPaginator(limit=10, records_path="results"), schema) == [
        r["id"] for r in ROWS
    ]
    assert [_q(r, "offset") for r in seen] == ["0", "7", "14", "21", "23"]


@DECODERS
def test_cursor_in_the_body_is_followed_until_it_is_null(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(_q(request, "after") or 0)
        nxt = start + 10 if start + 10 < len(ROWS) else None
        return httpx.Response(
            200, json={"meta": {"next": None if nxt is None else str(nxt)}, "data": ROWS[start : start + 10]}
        )

    client, seen = _client(handler)
    paginator = CursorPaginator(cursor_path="meta.next", cursor_param="after")
    assert _ids(client, "items", paginator, schema) == [r["id"] for r in ROWS]
    assert [_q(r, "after") for r in seen] == [None, "10", "20"]


@DECODERS
def test_numeric_cursor_is_followed(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(_q(request, "cursor") or 0)
        nxt = start + 10 if start + 10 < len(ROWS) else None
        return httpx.Response(200, json={"data": ROWS[start : start + 10], "next_cursor": nxt})

    client, _ = _client(handler)
    assert _ids(client, "items", CursorPaginator(), schema) == [r["id"] for r in ROWS]


@DECODERS
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": ROWS[:2], "next_cursor": "same"}, "did not advance"),
        ({"data": [], "next_cursor": "more"}, "empty page with a next cursor"),
        ({"data": ROWS[:2], "next_cursor": {"a": 1}}, "cursor 'next_cursor' is dict"),
    ],
)
def test_cursor_that_cannot_be_followed_raises(
    schema: pa.Schema | None, body: dict[str, Any], message: str
) -> None:
    client, _ = _client(lambda r: httpx.Response(200, json=body))
    with pytest.raises(PaginationError, match=message):
        _ids(client, "items", CursorPaginator(), schema, cursor="same")


@DECODERS
def test_link_header_is_followed_as_given(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = _q(request, "page_info") or "0"
        start = int(token)
        headers = {}
        if start + 10 < len(ROWS):
            headers["Link"] = (
                f'</v1/orders.json?limit=10&page_info={start + 10}>; rel="next", <https://api.test/x>; rel="previous"'
            )
        return httpx.Response(200, json={"orders": ROWS[start : start + 10]}, headers=headers)

    client, seen = _client(handler)
    got = _ids(
        client, "orders.json", LinkHeaderPaginator(records_path="orders"), schema, status="any", limit=10
    )
    assert got == [r["id"] for r in ROWS]
    assert dict(seen[0].url.params) == {"status": "any", "limit": "10"}
    assert dict(seen[1].url.params) == {"limit": "10", "page_info": "10"}  # the link's params only
    assert str(seen[2].url) == "https://api.test/v1/orders.json?limit=10&page_info=20"


@DECODERS
def test_link_to_the_same_page_raises(schema: pa.Schema | None) -> None:
    client, _ = _client(
        lambda r: httpx.Response(200, json={"orders": ROWS[:2]}, headers={"Link": f'<{r.url}>; rel="next"'})
    )
    with pytest.raises(PaginationError, match="same page"):
        _ids(client, "orders.json", LinkHeaderPaginator(records_path="orders"), schema)


@DECODERS
def test_stripe_continues_after_the_last_id_while_has_more(schema: pa.Schema | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        after = _q(request, "starting_after")
        start = 0 if after is None else [r["id"] for r in ROWS].index(after) + 1
        limit = int(_q(request, "limit") or 10)
        page = ROWS[start : start + limit]
        return httpx.Response(
            200, json={"object": "list", "url": "/v1/x", "data": page, "has_more": start + limit < len(ROWS)}
        )

    client, seen = _client(handler)
    assert _ids(client, "charges", StripePaginator(limit=10), schema) == [r["id"] for r in ROWS]
    assert [_q(r, "starting_after") for r in seen] == [None, "r09", "r19"]
    assert {_q(r, "limit") for r in seen} == {"10"}


@DECODERS
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"object": "list", "data": ROWS[:2]}, "no boolean 'has_more'"),
        ({"object": "list", "data": [], "has_more": True}, "has_more is true but the page is empty"),
        ({"object": "list", "data": [{"n": 1}], "has_more": True}, "no 'id'"),
    ],
)
def test_stripe_pages_that_cannot_continue_raise(
    schema: pa.Schema | None, body: dict[str, Any], message: str
) -> None:
    client, _ = _client(lambda r: httpx.Response(200, json=body))
    with pytest.raises(PaginationError, match=message):
        _ids(client, "charges", StripePaginator(), schema)


@DECODERS
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"data": [{"id": "a"}', "not valid JSON"),
        (b'{"items": []}', "no 'data' record list"),
        (b'{"data": {"id": "a"}}', "expected a list of records"),
        (b'{"data": [{"id": "a"}, 3]}', "record 1 is int"),
    ],
)
def test_unreadable_pages_raise_never_stop(schema: pa.Schema | None, content: bytes, message: str) -> None:
    client, _ = _client(lambda r: httpx.Response(200, content=content))
    with pytest.raises(PaginationError, match=message):
        _ids(client, "items", CursorPaginator(), schema)


def test_paginator_settings_are_validated() -> None:
    with pytest.raises(ConfigError):
        StripePaginator(limit=101)
    with pytest.raises(ConfigError):
        PageNumberPaginator(size=0)
    with pytest.raises(ConfigError):
        OffsetPaginator(limit=0)


def test_pretty_printed_pages_decode_the_same() -> None:
    body = json.dumps({"data": ROWS[:5], "next_cursor": None}, indent=2).encode()
    client, _ = _client(lambda r: httpx.Response(200, content=body))
    assert _ids(client, "items", CursorPaginator(), SCHEMA) == [r["id"] for r in ROWS[:5]]
