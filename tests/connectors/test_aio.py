"""astream: a source's stream consumed from asyncio, against the Shopify contract server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_servers import Fault, ShopifyServer
from test_shopify import N, _ids, _orders, _shop

from ecomkit.connectors import astream


@pytest.fixture
def server() -> Iterator[ShopifyServer]:
    srv = ShopifyServer(_orders())
    yield srv
    srv.close()


def test_astream_delivers_every_order_once_and_resumes_after_a_break(
    server: ShopifyServer, tmp_path: Path
) -> None:
    async def first_run() -> list[str]:
        stored = []
        async for batch in astream(_shop(server, tmp_path).orders()):
            if len(stored) == 2:  # crash while storing the third batch
                break
            stored.append(batch)
        return _ids(stored)

    async def second_run() -> list[str]:
        return _ids([batch async for batch in astream(_shop(server, tmp_path).orders())])

    got = asyncio.run(first_run()) + asyncio.run(second_run())
    assert len(got) == len(set(got)) == N


def test_astream_does_not_block_the_event_loop(server: ShopifyServer) -> None:
    server.inject(Fault("slow", seconds=0.3))
    ticks = 0

    async def ticker(done: asyncio.Event) -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def main() -> int:
        done = asyncio.Event()
        tick = asyncio.create_task(ticker(done))
        rows = sum([batch.num_rows async for batch in astream(_shop(server).orders())])
        done.set()
        await tick
        return rows

    assert asyncio.run(main()) == N
    assert ticks >= 5  # the loop kept running while a page took 0.3 s
