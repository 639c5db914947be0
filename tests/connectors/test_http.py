"""RestClient and AsyncRestClient, unit-tested over httpx.MockTransport: auth, retries, typed errors, redaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pyarrow as pa
import pytest

from ecomkit.connectors import AsyncRestClient, RestClient, StripePaginator
from ecomkit.connectors.auth import ApiKeyAuth, BearerAuth, WooCommerceAuth
from ecomkit.connectors.http import redact_url
from ecomkit.errors import ConfigError, HTTPStatusError, PaginationError, RetryExhaustedError
from ecomkit.resilience import Policy, Retry

KEY = "sk_test_very_secret"
ROWS = [{"id": f"ch_{i:03d}", "amount": i} for i in range(25)]
SCHEMA = pa.schema([("id", pa.string()), ("amount", pa.int64())])


def _stripe_like(
    fail_first: int = 0, status: int = 503
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return httpx.Response(401, json={"error": {"message": "Invalid API Key provided"}})
        if len(seen) <= fail_first:
            return httpx.Response(status, json={"error": {}}, headers={"Retry-After": "0"})
        after = request.url.params.get("starting_after")
        start = 0 if after is None else [r["id"] for r in ROWS].index(after) + 1
        page = ROWS[start : start + 10]
        return httpx.Response(200, json={"object": "list", "data": page, "has_more": start + 10 < len(ROWS)})

    return handler, seen


def _async_client(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> AsyncRestClient:
    kw.setdefault("policy", Policy(retry=Retry(attempts=4, initial=0, max_wait=0)))
    return AsyncRestClient(
        "https://api.test/v1",
        auth=BearerAuth(KEY),
        transport=httpx.MockTransport(handler),
        **kw,  # type: ignore[arg-type]
    )


def test_async_paginate_yields_every_page_in_order_with_batches() -> None:
    handler, seen = _stripe_like()

    async def run() -> list[list[str]]:
        async with _async_client(handler) as client:
            pages = [
                page async for page in client.paginate("charges", StripePaginator(limit=10), schema=SCHEMA)
            ]
        assert all(p.batch is not None for p in pages)
        return [p.batch.column("id").to_pylist() for p in pages if p.batch is not None]

    got = asyncio.run(run())
    assert [i for page in got for i in page] == [r["id"] for r in ROWS]
    assert [r.url.params.get("starting_after") for r in seen] == [None, "ch_009", "ch_019"]


def test_async_client_retries_transient_statuses_once_per_request() -> None:
    handler, seen = _stripe_like(fail_first=2)

    async def run() -> int:
        async with _async_client(handler) as client:
            return sum([len(p.records) async for p in client.paginate("charges", StripePaginator(limit=10))])

    assert asyncio.run(run()) == len(ROWS)
    assert len(seen) == 2 + 3  # two 503s retried, then three pages


def test_async_client_gives_up_with_a_typed_error() -> None:
    handler, seen = _stripe_like(fail_first=99)

    async def run() -> None:
        async with _async_client(handler) as client:
            await client.get("charges")

    with pytest.raises(RetryExhaustedError, match="HTTP 503"):
        asyncio.run(run())
    assert len(seen) == 4


def test_async_4xx_surfaces_at_once_and_never_shows_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"error": "nope"})

    async def run() -> None:
        client = AsyncRestClient(
            "https://api.test/v1",
            auth=ApiKeyAuth(KEY, name="api_key", location="query"),
            transport=httpx.MockTransport(handler),
            policy=Policy(retry=Retry(attempts=5, initial=0)),
        )
        try:
            await client.get("orders", params={"page": 2})
        finally:
            await client.aclose()

    with pytest.raises(HTTPStatusError) as info:
        asyncio.run(run())
    assert info.value.status_code == 404
    assert len(seen) == 1
    assert seen[0].url.params["api_key"] == KEY  # sent to the server ...
    assert KEY not in str(info.value)  # ... never shown
    assert "api_key=***" in str(info.value)


def test_async_transport_timeouts_are_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})

    async def run() -> int:
        async with _async_client(handler) as client:
            return len((await client.get_page("charges", StripePaginator())).records)

    assert asyncio.run(run()) == 0
    assert len(calls) == 3


def test_async_malformed_page_is_a_pagination_error() -> None:
    async def run() -> None:
        async with _async_client(lambda r: httpx.Response(200, content=b'{"data": [')) as client:
            await client.get_page("charges", StripePaginator(), schema=SCHEMA)

    with pytest.raises(PaginationError, match="not valid JSON"):
        asyncio.run(run())


def test_sync_client_sends_auth_and_hides_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    auth = WooCommerceAuth("ck_key_1", "cs_secret_2", location="query")
    with RestClient(
        "https://shop.test/wp-json/wc/v3", auth=auth, transport=httpx.MockTransport(handler)
    ) as client:
        assert client.get("orders").json() == {"ok": True}
        assert "cs_secret_2" not in repr(client)
        assert "cs_secret_2" not in repr(auth)
    assert seen[0].url.params["consumer_secret"] == "cs_secret_2"
    assert seen[0].headers["Accept"] == "application/json"


def test_unsafe_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="plain http"):
        RestClient("http://shop.example.com", auth=BearerAuth(KEY))
    with pytest.raises(ConfigError, match="TLS verification"):
        RestClient("https://shop.example.com", verify=False)
    with pytest.raises(ConfigError, match="http"):
        AsyncRestClient("ftp://shop.example.com")
    RestClient("http://127.0.0.1:9", auth=BearerAuth(KEY), verify=False).close()  # loopback: allowed


def test_redact_url_hides_userinfo_and_secret_params() -> None:
    assert redact_url("https://user:pw@api.test/x?token=abc&page=2") == "https://api.test/x?token=***&page=2"
    assert redact_url("https://api.test/x?sig=1", frozenset({"sig"})) == "https://api.test/x?sig=***"
