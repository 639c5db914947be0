"""Async iteration over the sources' streams, for asyncio pipelines.

The sources' streams are plain iterators driven by the synchronous client. :func:`astream` wraps one
so that an event loop can consume it without blocking: each step (fetching a page, decoding it and
committing the previous batch's watermark) runs in a worker thread, one step at a time, so the
stream's exactly-once contract is unchanged — a batch is committed when the consumer asks for the
next one. For your own APIs, :class:`~ecomkit.connectors.http.AsyncRestClient` is natively async.

Example:
    >>> import asyncio
    >>> from ecomkit.connectors.aio import astream
    >>> async def count(stream):
    ...     return sum([len(batch) async for batch in astream(stream)])
    >>> asyncio.run(count(iter([[1, 2], [3]])))
    3
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

__all__ = ["astream"]

_T = TypeVar("_T")
_DONE = object()


def _step(iterator: object) -> object:
    try:
        return next(iterator)  # type: ignore[call-overload]
    except StopIteration:
        return _DONE


async def astream(stream: Iterable[_T]) -> AsyncIterator[_T]:
    """Iterate ``stream`` (e.g. ``shop.orders(since=...)``) from asyncio, each step in a worker thread.

    Leaving the ``async for`` early closes the stream, as leaving a ``for`` loop would.

    Args:
        stream: an iterable, usually a source's stream.

    Yields:
        The stream's items, in order.
    """
    iterator = iter(stream)
    try:
        while True:
            item = await asyncio.to_thread(_step, iterator)
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
