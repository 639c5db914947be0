"""A REST client on httpx whose resilience comes from one :class:`~ecomkit.resilience.Policy`.

Each request runs under the policy exactly once (one retry layer: retry → breaker → rate limit →
request). Statuses are classified there: 429/5xx and transport failures are retried, any other error
status raises :class:`~ecomkit.errors.HTTPStatusError` at once. Timeouts are on (30 s) and TLS is
verified. Credentials never reach ``repr``, logs or error text: auth lives in an httpx auth flow and
URLs are redacted before they are put in a message.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pyarrow as pa

from ecomkit.connectors._decode import RecordsView, fast_decode, records_to_batch
from ecomkit.connectors.auth import SecretAuth
from ecomkit.connectors.pagination import Paginator
from ecomkit.errors import ConfigError, HTTPError, HTTPStatusError, PaginationError
from ecomkit.resilience import Policy, parse_retry_after

__all__ = ["AsyncRestClient", "Page", "RestClient", "redact_url"]

_ALWAYS_SECRET = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "consumer_key",
        "consumer_secret",
        "key",
        "password",
        "secret",
        "token",
    }
)


def redact_url(url: str | httpx.URL, secret_params: frozenset[str] = frozenset()) -> str:
    """``url`` with userinfo and secret query values replaced by ``***``.

    Example:
        >>> redact_url("https://shop.test/x?consumer_key=ck_1&page=2")
        'https://shop.test/x?consumer_key=***&page=2'
    """
    parsed = httpx.URL(str(url))
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    hidden = _ALWAYS_SECRET | {p.lower() for p in secret_params}
    pairs = [(k, "***" if k.lower() in hidden else v) for k, v in parsed.params.multi_items()]
    text = str(parsed.copy_with(query=None))
    if pairs:
        text += "?" + "&".join(f"{k}={v}" for k, v in pairs)
    return text


class _StatusError(HTTPStatusError):
    """An error status with the server's retry hints (read by :func:`ecomkit.resilience.is_retryable`)."""

    def __init__(self, message: str, *, status_code: int, url: str, headers: httpx.Headers) -> None:
        super().__init__(message, status_code=status_code, url=url)
        self.retry_after = parse_retry_after(headers.get("retry-after"))
        hint = headers.get("stripe-should-retry", "").strip().lower()
        self.should_retry: bool | None = {"true": True, "false": False}.get(hint)


@dataclass(frozen=True)
class Page:
    """One page: its records (JSON objects), number (from 1), body and response headers.

    When the page was requested with a ``schema``, ``batch`` holds its records as a record batch of
    that schema; ``records`` is then a read-only view of it and ``body`` holds only the values the
    paginator reads (see :attr:`Paginator.body_fields <ecomkit.connectors.pagination.Paginator.body_fields>`).
    """

    records: Sequence[Mapping[str, Any]]
    number: int
    body: Any
    headers: httpx.Headers
    batch: pa.RecordBatch | None = None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Base:
    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None,
        policy: Policy | None,
        timeout: float | httpx.Timeout,
        headers: Mapping[str, str] | None,
        verify: bool,
        response_hook: Callable[[httpx.Response], None] | None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"base_url must be an http(s) URL with a host; got {redact_url(base_url)!r}")
        if url.scheme == "http" and auth is not None and not _is_loopback(url.host):
            raise ConfigError(
                f"refusing to send credentials over plain http to {url.host!r}; use https "
                "(plain http is allowed only to a loopback address)"
            )
        if not verify and not _is_loopback(url.host):
            raise ConfigError("TLS verification can be switched off only for a loopback address")
        self.base_url = str(url).rstrip("/")
        self.policy = policy if policy is not None else Policy()
        self._secret_params = auth.secret_params if isinstance(auth, SecretAuth) else frozenset()
        self._hook = response_hook
        self._options: dict[str, Any] = {
            "auth": auth,
            "timeout": timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            "headers": {"Accept": "application/json", **(headers or {})},
            "verify": verify,
            "follow_redirects": False,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.base_url)!r}, policy={self.policy!r})"

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _where(self, url: str | httpx.URL) -> str:
        return redact_url(url, self._secret_params)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if self._hook is not None:
            self._hook(response)
        if response.is_success:
            return response
        where = self._where(response.request.url)
        reason = response.reason_phrase or "error"
        raise _StatusError(
            f"GET {where} returned HTTP {response.status_code} {reason}",
            status_code=response.status_code,
            url=where,
            headers=response.headers,
        )

    def _transport_error(self, exc: httpx.HTTPError, url: str) -> HTTPError:
        # httpx messages may quote the URL; build our own from the redacted one.
        return HTTPError(f"GET {self._where(url)} failed: {type(exc).__name__}")

    def _parse(
        self, response: httpx.Response, paginator: Paginator, number: int, schema: pa.Schema | None = None
    ) -> Page:
        if schema is not None:
            fast = fast_decode(
                response.content,
                schema,
                records_path=paginator.records_path,
                body_fields=paginator.body_fields,
            )
            if fast is not None:
                batch, meta = fast
                return Page(RecordsView(batch), number, meta, response.headers, batch)
        where = f"page {number} of {self._where(response.request.url)}"
        try:
            body = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PaginationError(f"{where} is not valid JSON ({type(exc).__name__}: {exc})") from None
        records = paginator.records(body, where=where)
        batch = None if schema is None else records_to_batch(records, schema, where=where)
        return Page(records, number, body, response.headers, batch)

    def _following(
        self, paginator: Paginator, page: Page, url: str, params: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        """The URL and params of the page after ``page`` (fetched from ``url`` with ``params``), if any."""
        response = httpx.Response(200, headers=page.headers, request=httpx.Request("GET", url))
        nxt = paginator.next(
            response, page.body, page.records, params, where=f"page {page.number} of {self._where(url)}"
        )
        if nxt is None:
            return None
        if nxt.url is not None:
            return nxt.url, {}
        return url, nxt.params


class RestClient(_Base):
    """A synchronous JSON REST client with auth, a resilience policy and paginators.

    Args:
        base_url: the API root (``https://shop.myshopify.com/admin/api/2025-10``).
        auth: an httpx auth flow, usually one of :mod:`ecomkit.connectors.auth`.
        policy: retry / rate limit / breaker; defaults to ``Policy()`` (retries only).
        timeout: seconds (or an ``httpx.Timeout``) for connect, read, write and pool.
        headers: extra headers sent with every request.
        verify: TLS verification (may be switched off only for a loopback address).
        response_hook: called with every response (e.g. to read rate-limit headers).
        transport: an httpx transport (``httpx.MockTransport`` in unit tests).

    Example:
        >>> from ecomkit.connectors.auth import BearerAuth
        >>> client = RestClient("https://api.example.com/v1", auth=BearerAuth("sk_test"))
        >>> client  # doctest: +ELLIPSIS
        RestClient('https://api.example.com/v1', policy=...)
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        policy: Policy | None = None,
        timeout: float | httpx.Timeout = 30.0,
        headers: Mapping[str, str] | None = None,
        verify: bool = True,
        response_hook: Callable[[httpx.Response], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            policy=policy,
            timeout=timeout,
            headers=headers,
            verify=verify,
            response_hook=response_hook,
        )
        self._client = httpx.Client(transport=transport, **self._options)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get_once(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        try:
            response = self._client.get(url, params=params)
            response.read()
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from exc
        return self._check(response)

    def get(self, path_or_url: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET under the policy; a 2xx response or a typed error.

        Raises:
            HTTPStatusError: a non-retryable error status (at once), e.g. 401, 404.
            RetryExhaustedError: retryable failures (429, 5xx, timeouts) outlasted the retry budget.
            CircuitOpenError: the breaker is open.
        """
        url = self._url(path_or_url)
        return self.policy.call(self._get_once, url, params)

    def get_page(
        self,
        path_or_url: str,
        paginator: Paginator,
        *,
        params: Mapping[str, Any] | None = None,
        number: int = 1,
        schema: pa.Schema | None = None,
    ) -> Page:
        """GET and parse one page (retried as one unit: a truncated body is fetched again).

        Args:
            path_or_url: a path under the base URL, or a full URL.
            paginator: where the records are.
            params: query parameters.
            number: the page's number, for messages.
            schema: decode the records straight into ``Page.batch`` with this schema (fields absent
                from a record are null, keys absent from the schema are ignored).

        Raises:
            PaginationError: the page is not JSON or has no record list.
            SourceDataError: a record does not fit ``schema``.
        """
        url = self._url(path_or_url)
        return self.policy.call(lambda: self._parse(self._get_once(url, params), paginator, number, schema))

    def paginate(
        self,
        path: str,
        paginator: Paginator,
        *,
        params: Mapping[str, Any] | None = None,
        schema: pa.Schema | None = None,
    ) -> Iterator[Page]:
        """Every page of ``path``, in order, each fetched under the policy.

        Args:
            path: a path under the base URL.
            paginator: how pages follow each other.
            params: query parameters of the first request.
            schema: decode each page's records into ``Page.batch`` (see :meth:`get_page`).

        Raises:
            PaginationError: a page that cannot be parsed (never a silent stop).
        """
        current = paginator.first(params or {})
        url = self._url(path)
        number = 1
        while True:
            page = self.get_page(url, paginator, params=current or None, number=number, schema=schema)
            yield page
            following = self._following(paginator, page, url, current)
            if following is None:
                return
            url, current = following
            number += 1


class AsyncRestClient(_Base):
    """The asyncio form of :class:`RestClient` (same arguments, ``await``-able methods)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        policy: Policy | None = None,
        timeout: float | httpx.Timeout = 30.0,
        headers: Mapping[str, str] | None = None,
        verify: bool = True,
        response_hook: Callable[[httpx.Response], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            policy=policy,
            timeout=timeout,
            headers=headers,
            verify=verify,
            response_hook=response_hook,
        )
        self._client = httpx.AsyncClient(transport=transport, **self._options)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncRestClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _get_once(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        try:
            response = await self._client.get(url, params=params)
            await response.aread()
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from exc
        return self._check(response)

    async def get(self, path_or_url: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET under the policy (see :meth:`RestClient.get`)."""
        return await self.policy.acall(self._get_once, self._url(path_or_url), params)

    async def get_page(
        self,
        path_or_url: str,
        paginator: Paginator,
        *,
        params: Mapping[str, Any] | None = None,
        number: int = 1,
        schema: pa.Schema | None = None,
    ) -> Page:
        """GET and parse one page under the policy (see :meth:`RestClient.get_page`)."""
        url = self._url(path_or_url)

        async def fetch() -> Page:
            return self._parse(await self._get_once(url, params), paginator, number, schema)

        return await self.policy.acall(fetch)

    async def paginate(
        self,
        path: str,
        paginator: Paginator,
        *,
        params: Mapping[str, Any] | None = None,
        schema: pa.Schema | None = None,
    ) -> AsyncIterator[Page]:
        """Every page of ``path`` (see :meth:`RestClient.paginate`)."""
        current = paginator.first(params or {})
        url = self._url(path)
        number = 1
        while True:
            page = await self.get_page(url, paginator, params=current or None, number=number, schema=schema)
            yield page
            following = self._following(paginator, page, url, current)
            if following is None:
                return
            url, current = following
            number += 1
