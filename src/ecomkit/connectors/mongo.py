"""Read MongoDB collections as Arrow: batched cursors, typed columns, incremental by a cursor field.

Documents are decoded by pymongo's C extension a server batch at a time and turned into Arrow columns
in one call per batch. BSON types map as: ObjectId → ``string`` (hex), Decimal128 → ``decimal128``,
datetime → ``timestamp[us, UTC]``, UUID (binary subtype 4) → ``string``, other binary → ``binary``,
embedded documents → ``struct`` (or dotted columns with ``flatten=True``), arrays → ``list``.

Without ``schema=`` the schema is inferred from the first ``sample_size`` documents the read matches. A
document that does not fit the schema raises :class:`~ecomkit.errors.SourceDataError` naming the field
and the document's ``_id`` — a value of the wrong type is never turned into a null. With an inferred
schema a field the sample did not contain is an error too; with your own schema, fields outside it are
not read (your schema is the projection).

Example:
    >>> from ecomkit.connectors import mongo
    >>> orders = mongo.read("mongodb://127.0.0.1:27017", "shop", "orders",
    ...                     filter={"status": "delivered"})  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bson
import pyarrow as pa
from bson.codec_options import CodecOptions, TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128

from ecomkit.connectors import _incremental
from ecomkit.connectors._incremental import ObjectIdText, StateSpec, Watermark, resolve_state
from ecomkit.connectors.progress import ProgressHook, track
from ecomkit.connectors.state import State
from ecomkit.errors import ConfigError, DatabaseError, SourceDataError

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.collection import Collection

__all__ = ["Watermark", "infer_schema", "read", "read_batches"]

_UTC = dt.timezone.utc
_ARROW_ERRORS = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
    TypeError,
    ValueError,
    OverflowError,
)


class _ObjectIdAsText(TypeDecoder):
    bson_type = bson.ObjectId

    def transform_bson(self, value: Any) -> Any:
        return ObjectIdText(str(value))


class _Decimal128AsDecimal(TypeDecoder):
    bson_type = Decimal128

    def transform_bson(self, value: Any) -> Any:
        return value.to_decimal()


class _BinaryAsValue(TypeDecoder):
    bson_type = bson.Binary

    def transform_bson(self, value: Any) -> Any:
        if value.subtype == 4 and len(value) == 16:
            return str(uuid.UUID(bytes=bytes(value)))
        return bytes(value)


_CODECS: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=True,
    tzinfo=_UTC,
    type_registry=TypeRegistry([_ObjectIdAsText(), _Decimal128AsDecimal(), _BinaryAsValue()]),
)


def _redact(uri: str) -> str:
    return re.sub(r"(mongodb(?:\+srv)?://[^:/@]*):[^@/]*@", r"\1:***@", uri)


# --- schema inference ---------------------------------------------------------------------------


def _normalize(kind: pa.DataType) -> pa.DataType:
    """Widen an inferred type to what every later document of the same kind fits."""
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_decimal(kind):
        return pa.decimal128(38, min(kind.scale, 38))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _normalize(f.type)) for f in kind])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_normalize(kind.value_type))
    return kind


def _doc_id(doc: Mapping[str, Any]) -> Any:
    return doc.get("_id")


def _schema_of(documents: Sequence[Mapping[str, Any]]) -> pa.Schema:
    if not documents:
        return pa.schema([])
    try:
        inferred = pa.array(documents).type
    except _ARROW_ERRORS as exc:
        keys = dict.fromkeys(k for d in documents for k in d)
        for key in keys:
            try:
                pa.array([d.get(key) for d in documents])
            except _ARROW_ERRORS:
                raise SourceDataError(
                    f"field {key!r} has values of different types in the first {len(documents)} documents "
                    f"({_first_line(exc)}); pass schema= to say which type it has"
                ) from None
        raise SourceDataError(f"cannot infer a schema from the documents: {_first_line(exc)}") from None
    fields = [pa.field(f.name, _normalize(f.type)) for f in inferred]
    fields.sort(key=lambda f: f.name != "_id")  # _id first, the rest in the order first seen
    return pa.schema(fields)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- documents to Arrow -------------------------------------------------------------------------


def _misfit(path: str, value: Any, kind: pa.DataType) -> str | None:
    """The dotted path of the first part of ``value`` that does not fit ``kind`` (None if it fits)."""
    if value is None:
        return None
    if pa.types.is_struct(kind) and isinstance(value, Mapping):
        for field in kind:
            found = _misfit(f"{path}.{field.name}" if path else field.name, value.get(field.name), field.type)
            if found:
                return found
        return None
    try:
        pa.array([value], type=kind)
    except _ARROW_ERRORS:
        return path
    return None


def _raise_misfit(docs: Sequence[Mapping[str, Any]], kind: pa.StructType, exc: BaseException) -> None:
    for doc in docs:
        path = _misfit("", doc, kind)
        if path:
            value: Any = doc
            for part in path.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            target = _field_type(kind, path)
            raise SourceDataError(
                f"document _id={_doc_id(doc)!r}: field {path!r} = {value!r:.80} does not fit the schema "
                f"type {target}"
            ) from None
    raise SourceDataError(f"documents do not fit the schema: {_first_line(exc)}") from None


def _field_type(kind: pa.DataType, path: str) -> pa.DataType:
    for part in path.split("."):
        kind = kind.field(part).type
    return kind


def _check_unknown(
    values: Sequence[Any], ids: Sequence[Any], kind: pa.StructType, path: str, sample: int
) -> None:
    """Raise when a document has a field the inferred schema does not know (it would be dropped)."""
    names = set(kind.names)
    pairs = [(v, i) for v, i in zip(values, ids, strict=True) if isinstance(v, Mapping)]
    if not all(map(names.issuperset, (v for v, _ in pairs))):
        for value, doc_id in pairs:
            extra = [k for k in value if k not in names]
            if extra:
                raise SourceDataError(
                    f"document _id={doc_id!r}: field {path + extra[0]!r} is not in the schema inferred from "
                    f"the first {sample} documents; pass schema= (or a larger sample_size)"
                )
    for field in kind:
        child_kind = field.type
        children = [v.get(field.name) for v, _ in pairs]
        child_ids = [i for _, i in pairs]
        if pa.types.is_list(child_kind) and pa.types.is_struct(child_kind.value_type):
            flat = [
                (x, i) for xs, i in zip(children, child_ids, strict=True) if isinstance(xs, list) for x in xs
            ]
            children, child_ids = [x for x, _ in flat], [i for _, i in flat]
            child_kind = child_kind.value_type
        if pa.types.is_struct(child_kind) and children:
            _check_unknown(children, child_ids, child_kind, f"{path}{field.name}.", sample)


def _flatten(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays: list[pa.Array] = []
    names: list[str] = []

    def walk(name: str, array: pa.Array) -> None:
        if pa.types.is_struct(array.type):
            for field, child in zip(array.type, array.flatten(), strict=True):
                walk(f"{name}.{field.name}", child)
        else:
            names.append(name)
            arrays.append(array)

    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        walk(name, column)
    return pa.RecordBatch.from_arrays(arrays, names=names)


@dataclass(frozen=True)
class _Converter:
    schema: pa.Schema
    inferred: bool
    sample: int
    flatten: bool

    def __call__(self, docs: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        kind = pa.struct(list(self.schema))
        try:
            array = pa.array(docs, type=kind)
        except _ARROW_ERRORS as exc:
            _raise_misfit(docs, kind, exc)
            raise  # unreachable: _raise_misfit always raises
        if self.inferred:
            _check_unknown(docs, [_doc_id(d) for d in docs], kind, "", self.sample)
        batch = pa.RecordBatch.from_struct_array(array)
        return _flatten(batch) if self.flatten else batch


# --- reading ------------------------------------------------------------------------------------


def _lookup(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _to_bson(value: Any) -> Any:
    if isinstance(value, ObjectIdText):
        return bson.ObjectId(str(value))
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    return value


def _position(cursor_field: str, since: Any, after: Watermark | None) -> dict[str, Any]:
    if after is not None:
        value, key = _to_bson(after.cursor), _to_bson(after.key)
        return {"$or": [{cursor_field: {"$gt": value}}, {cursor_field: value, "_id": {"$gt": key}}]}
    present: dict[str, Any] = {cursor_field: {"$exists": True, "$ne": None}}
    if since is not None:
        present[cursor_field]["$gte"] = _to_bson(since)
    return present


def _check_projection(projection: Mapping[str, Any] | Sequence[str] | None, cursor_field: str) -> None:
    if projection is None:
        return
    spec = dict.fromkeys(projection, 1) if not isinstance(projection, Mapping) else dict(projection)
    if spec.get("_id", 1) in (0, False):
        raise ConfigError("an incremental read needs _id; do not exclude it in projection=")
    inclusive = any(v not in (0, False) for k, v in spec.items() if k != "_id")
    root = cursor_field.split(".")[0]
    kept = (
        any(k in (cursor_field, root) for k, v in spec.items() if v not in (0, False))
        if inclusive
        else spec.get(cursor_field, 1) not in (0, False) and spec.get(root, 1) not in (0, False)
    )
    if not kept:
        raise ConfigError(f"projection= drops cursor_field={cursor_field!r}, which an incremental read needs")


def _open(uri_or_client: str | MongoClient[Any]) -> tuple[MongoClient[Any], bool, str]:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    if isinstance(uri_or_client, str):
        try:
            return MongoClient(uri_or_client), True, _redact(uri_or_client)
        except (PyMongoError, ValueError, TypeError) as exc:  # ConfigurationError, InvalidURI...
            raise ConfigError(
                f"not a usable MongoDB URI {_redact(uri_or_client)!r}: {_first_line(exc)}"
            ) from None
    if isinstance(uri_or_client, MongoClient):
        return uri_or_client, False, "the given MongoClient"
    raise ConfigError(
        f"uri_or_client must be a MongoDB URI or a pymongo.MongoClient; got {type(uri_or_client).__name__}"
    )


def _collection(client: MongoClient[Any], database: str, collection: str, where: str) -> Collection[Any]:
    db = client.get_database(database, codec_options=_CODECS)
    if collection not in db.list_collection_names(filter={"name": collection}):
        raise DatabaseError(f"collection {database}.{collection} does not exist at {where}")
    return db.get_collection(collection, codec_options=_CODECS)


def _find(
    coll: Collection[Any],
    query: Mapping[str, Any],
    projection: Any,
    sort: list[tuple[str, int]] | None,
    batch_size: int,
    limit: int = 0,
) -> Iterator[list[dict[str, Any]]]:
    raw_batches = coll.find_raw_batches(query, projection, sort=sort, batch_size=batch_size, limit=limit)
    for raw in raw_batches:
        docs = bson.decode_all(raw, _CODECS)
        if docs:
            yield docs


def _sample(
    coll: Collection[Any],
    query: Mapping[str, Any],
    projection: Any,
    sort: list[tuple[str, int]] | None,
    size: int,
) -> list[dict[str, Any]]:
    """The first ``size`` matching documents, which schema inference looks at."""
    return [d for docs in _find(coll, query, projection, sort, size, size) for d in docs]


@contextmanager
def _opened(
    uri_or_client: str | MongoClient[Any], database: str, collection: str
) -> Iterator[Collection[Any]]:
    """The collection, checked to exist; server errors become DatabaseError, a client opened here is closed."""
    from pymongo.errors import PyMongoError

    client, owned, where = _open(uri_or_client)
    try:
        yield _collection(client, database, collection, where)
    except PyMongoError as exc:
        raise DatabaseError(
            f"reading {database}.{collection} from {where} failed: {_first_line(exc)}"
        ) from exc
    finally:
        if owned:
            client.close()


def _check_args(batch_size: int, sample_size: int, schema: pa.Schema | None) -> None:
    for name, value in (("batch_size", batch_size), ("sample_size", sample_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}")
    if schema is not None and not isinstance(schema, pa.Schema):
        raise ConfigError(f"schema must be a pyarrow.Schema; got {type(schema).__name__}")


def _check_incremental(cursor_field: str | None, since: Any, state: StateSpec, projection: Any) -> None:
    if cursor_field is None and (since is not None or state is not None):
        raise ConfigError("since= and state= need cursor_field= (the field incremental reads follow)")
    if cursor_field is not None:
        _check_projection(projection, cursor_field)


def read_batches(
    uri_or_client: str | MongoClient[Any],
    database: str,
    collection: str,
    *,
    filter: Mapping[str, Any] | None = None,
    projection: Mapping[str, Any] | Sequence[str] | None = None,
    schema: pa.Schema | None = None,
    cursor_field: str | None = None,
    since: Any = None,
    batch_size: int = 10_000,
    flatten: bool = False,
    sample_size: int = 1_000,
    state: StateSpec = None,
    state_key: str | None = None,
    progress: ProgressHook | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a collection as Arrow record batches of at most ``batch_size`` documents.

    Arguments are checked when you call this; the collection is opened, checked and (without
    ``schema=``) sampled when iteration starts. With ``cursor_field=`` the read is incremental: documents
    come in ``(cursor_field, _id)`` order, after ``since`` or the watermark in ``state``; documents without
    the cursor field are not part of that order and are not read.

    Args:
        uri_or_client: a ``mongodb://`` URI (a client is opened and closed for the read) or a
            ``pymongo.MongoClient`` (left open).
        database: the database name.
        collection: the collection name.
        filter: a MongoDB query document.
        projection: the fields to read (a list of names or a projection document).
        schema: the Arrow schema of the documents (nested fields as structs); inferred when omitted.
        cursor_field: the field incremental reads follow (dotted paths allowed), e.g. ``"updated_at"``.
        since: where to start: a cursor value (``cursor_field >= since``) or a :class:`Watermark` whose key
            is an ``_id`` (documents strictly after it). Overrides the watermark in ``state``.
        batch_size: the most documents per batch (also the server's cursor batch size).
        flatten: emit embedded documents as dotted columns (``address.city``) instead of structs.
        sample_size: how many matching documents schema inference looks at.
        state: where the watermark is kept: a ``State`` from ``ecomkit.connectors.state``, a JSON file
            path or a database URL (as for ``open_state``). A batch's watermark is committed when the
            next batch is requested (or the read ends).
        state_key: the key of the watermark in ``state`` (default ``"mongo:<database>.<collection>"``).
        progress: called with a ``Progress`` after each batch.

    Returns:
        An iterator of ``pyarrow.RecordBatch``.

    Raises:
        SourceDataError: a document does not fit the schema (names the field and the ``_id``).
        DatabaseError: the collection does not exist or the server failed.
        ConfigError: invalid arguments.

    Example:
        >>> for batch in read_batches("mongodb://127.0.0.1:27017", "shop", "orders",
        ...                           cursor_field="updated_at", state=state):  # doctest: +SKIP
        ...     load(batch)
    """
    _check_args(batch_size, sample_size, schema)
    _check_incremental(cursor_field, since, state, projection)
    key = state_key or f"mongo:{database}.{collection}"
    store = resolve_state(state)
    pairs = _run(
        uri_or_client,
        database,
        collection,
        filter=filter,
        projection=projection,
        schema=schema,
        cursor_field=cursor_field,
        since=since,
        batch_size=batch_size,
        flatten=flatten,
        sample_size=sample_size,
        state=store,
        state_key=key,
    )
    save = (
        None if store is None or cursor_field is None else functools.partial(_save, store, key, cursor_field)
    )
    return track(_incremental.commit_as_taken(pairs, save), progress)


def _save(state: State, key: str, cursor_field: str, mark: Watermark) -> None:
    _incremental.save(state, key, mark, cursor=cursor_field, key_column="_id")


def _run(
    uri_or_client: str | MongoClient[Any],
    database: str,
    collection: str,
    *,
    filter: Mapping[str, Any] | None,
    projection: Any,
    schema: pa.Schema | None,
    cursor_field: str | None,
    since: Any,
    batch_size: int,
    flatten: bool,
    sample_size: int,
    state: State | None,
    state_key: str,
) -> Iterator[tuple[pa.RecordBatch, Watermark | None]]:
    with _opened(uri_or_client, database, collection) as coll:
        after = since if isinstance(since, Watermark) else None
        if cursor_field is not None and after is None and since is None and state is not None:
            after = _incremental.load(state, state_key, cursor=cursor_field, key_column="_id")
        query: dict[str, Any] = dict(filter or {})
        sort: list[tuple[str, int]] | None = None
        if cursor_field is not None:
            scalar = None if isinstance(since, Watermark) else since
            query = {"$and": [query, _position(cursor_field, scalar, after)]}
            sort = [(cursor_field, 1), ("_id", 1)]
        inferred = schema is None
        if schema is None:
            schema = _schema_of(_sample(coll, query, projection, sort, sample_size))
        convert = _Converter(schema, inferred, sample_size, flatten)
        emitted = False
        for docs in _find(coll, query, projection, sort, batch_size):
            mark = None
            if cursor_field is not None:
                mark = Watermark(_lookup(docs[-1], cursor_field), _doc_id(docs[-1]))
            emitted = True
            yield convert(docs), mark
        if not emitted:
            yield convert([]), None


def infer_schema(
    uri_or_client: str | MongoClient[Any],
    database: str,
    collection: str,
    *,
    filter: Mapping[str, Any] | None = None,
    projection: Mapping[str, Any] | Sequence[str] | None = None,
    sample_size: int = 1_000,
) -> pa.Schema:
    """The Arrow schema :func:`read_batches` would infer: from the first ``sample_size`` matching documents.

    Useful to pin a schema once (review it, widen a type, save it) and pass it as ``schema=`` afterwards.

    Raises:
        SourceDataError: a field has values of different types in the sample.
        DatabaseError: the collection does not exist or the server failed.

    Example:
        >>> schema = infer_schema("mongodb://127.0.0.1:27017", "shop", "orders")  # doctest: +SKIP
    """
    _check_args(1, sample_size, None)
    with _opened(uri_or_client, database, collection) as coll:
        return _schema_of(_sample(coll, dict(filter or {}), projection, None, sample_size))


def read(
    uri_or_client: str | MongoClient[Any],
    database: str,
    collection: str,
    *,
    filter: Mapping[str, Any] | None = None,
    projection: Mapping[str, Any] | Sequence[str] | None = None,
    schema: pa.Schema | None = None,
    cursor_field: str | None = None,
    since: Any = None,
    batch_size: int = 10_000,
    flatten: bool = False,
    sample_size: int = 1_000,
    state: StateSpec = None,
    state_key: str | None = None,
    progress: ProgressHook | None = None,
) -> pa.Table:
    """Read a collection into one ``pyarrow.Table`` (see :func:`read_batches` for the arguments).

    With ``state=``, the watermark is committed once, after the whole collection has been read.

    Example:
        >>> customers = read("mongodb://127.0.0.1:27017", "shop", "customers", flatten=True)  # doctest: +SKIP
    """
    _check_args(batch_size, sample_size, schema)
    _check_incremental(cursor_field, since, state, projection)
    key = state_key or f"mongo:{database}.{collection}"
    store = resolve_state(state)
    pairs = _run(
        uri_or_client,
        database,
        collection,
        filter=filter,
        projection=projection,
        schema=schema,
        cursor_field=cursor_field,
        since=since,
        batch_size=batch_size,
        flatten=flatten,
        sample_size=sample_size,
        state=store,
        state_key=key,
    )
    collected, last = _incremental.collect(pairs, progress)
    table = pa.Table.from_batches(collected)
    if store is not None and last is not None and cursor_field is not None:
        _save(store, key, cursor_field, last)
    return table
