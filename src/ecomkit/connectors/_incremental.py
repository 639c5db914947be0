"""Watermarks for incremental reads, and their JSON form in a sync ``State`` (private).

A watermark is the position just after the last row handed on: the pair (cursor value, key value).
Values are stored in a tagged JSON form so that a datetime comes back as a datetime, a Decimal as a
Decimal and a MongoDB ObjectId as an ObjectId, with no precision lost.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ecomkit.connectors.progress import ProgressHook, track
from ecomkit.connectors.state import State, open_state
from ecomkit.errors import StateError

__all__ = [
    "ObjectIdText",
    "StateSpec",
    "Watermark",
    "collect",
    "commit_as_taken",
    "decode_value",
    "encode_value",
    "load",
    "resolve_state",
    "save",
]

#: What ``state=`` accepts: a State, a JSON file path, a database URL (see ``open_state``), or None.
StateSpec = State | str | os.PathLike[str] | None


def resolve_state(spec: StateSpec) -> State | None:
    """The State for ``state=`` (``None`` stays ``None``: no watermark is kept)."""
    return None if spec is None else open_state(spec)


@dataclass(frozen=True)
class Watermark:
    """The position just after the last row an incremental read handed on.

    The next read returns the rows whose ``(cursor, key)`` sorts strictly after ``(cursor, key)``, so
    rows that share a cursor value are told apart by their key and none is lost or read twice.

    Attributes:
        cursor: the cursor column's value in the last row handed on.
        key: the key column's value in that row (``None`` when the cursor alone is unique).
    """

    cursor: Any
    key: Any = None


class ObjectIdText(str):
    """The hex text of a MongoDB ObjectId, marked so a watermark can turn it back into an ObjectId."""

    __slots__ = ()


def encode_value(value: Any) -> Any:
    """A JSON-safe, tagged form of a cursor or key value."""
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, ObjectIdText)):
        return value
    if isinstance(value, ObjectIdText):
        return {"type": "objectid", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, dt.time):
        return {"type": "time", "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return {"type": "bytes", "value": base64.b64encode(value).decode("ascii")}
    if type(value).__name__ == "ObjectId":  # a raw bson ObjectId
        return {"type": "objectid", "value": str(value)}
    raise StateError(f"cannot store a watermark value of type {type(value).__name__}: {value!r}")


_DECODERS: dict[str, Any] = {
    "float": float,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
    "objectid": ObjectIdText,
}


def decode_value(value: Any) -> Any:
    """The value :func:`encode_value` encoded."""
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None or not isinstance(value.get("value"), str):
        raise StateError(f"unreadable watermark value in state: {value!r}")
    return decoder(value["value"])


def load(state: State, key: str, *, cursor: str, key_column: str | None) -> Watermark | None:
    """The watermark stored under ``key``, checked against the columns of this read.

    Raises:
        StateError: the stored value is malformed or belongs to other cursor/key columns.
    """
    stored = state.get(key)
    if stored is None:
        return None
    if not isinstance(stored, dict) or "cursor" not in stored:
        raise StateError(f"state key {key!r} does not hold a watermark: {stored!r}")
    if stored.get("cursor_column") != cursor or stored.get("key_column") != key_column:
        raise StateError(
            f"state key {key!r} holds a watermark for cursor {stored.get('cursor_column')!r} / key "
            f"{stored.get('key_column')!r}, not {cursor!r} / {key_column!r}; use another state_key"
        )
    return Watermark(decode_value(stored["cursor"]), decode_value(stored.get("key")))


def save(state: State, key: str, mark: Watermark, *, cursor: str, key_column: str | None) -> None:
    """Commit ``mark`` under ``key``."""
    state.set(
        key,
        {
            "cursor_column": cursor,
            "key_column": key_column,
            "cursor": encode_value(mark.cursor),
            "key": encode_value(mark.key),
        },
    )


def commit_as_taken(
    pairs: Iterator[tuple[pa.RecordBatch, Watermark | None]], save: Callable[[Watermark], None] | None
) -> Iterator[pa.RecordBatch]:
    """The non-empty batches of ``(batch, watermark after it)`` pairs, each watermark saved only once
    the consumer asks for the next batch (or the read ends): the batch has been taken by then."""
    for batch, mark in pairs:
        if batch.num_rows == 0:
            continue
        yield batch
        if save is not None and mark is not None:
            save(mark)


def collect(
    pairs: Iterator[tuple[pa.RecordBatch, Watermark | None]], progress: ProgressHook | None
) -> tuple[list[pa.RecordBatch], Watermark | None]:
    """Every non-empty batch of the pairs (reported to ``progress``) and the last watermark.

    With no rows at all the list holds the first empty batch, which still carries the columns.
    """
    empty: list[pa.RecordBatch] = []
    marks: list[Watermark] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for batch, mark in pairs:
            if batch.num_rows == 0:
                empty.append(batch)
                continue
            if mark is not None:
                marks[:] = [mark]
            yield batch

    collected = list(track(batches(), progress)) or empty[:1]
    return collected, (marks[0] if marks else None)
