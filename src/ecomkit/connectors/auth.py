"""Authentication for :class:`~ecomkit.connectors.http.RestClient`: httpx auth flows that never leak.

Every class here keeps its secret in a private attribute, shows ``***`` in ``repr`` and tells the
client which query parameters to redact from URLs in errors and logs.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from typing import Literal

import httpx

from ecomkit.errors import ConfigError

__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "SecretAuth",
    "ShopifyTokenAuth",
    "WooCommerceAuth",
]


def _need(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a non-empty string")
    return value


class SecretAuth(httpx.Auth):
    """Base of ecomkit's auth flows: a secret-free ``repr`` and the query parameters to redact."""

    #: Query parameters whose values are secret (redacted from URLs in messages).
    secret_params: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"


class BearerAuth(SecretAuth):
    """``Authorization: Bearer <token>`` (Stripe secret keys, most OAuth APIs)."""

    def __init__(self, token: str) -> None:
        self._token = _need(token, "the bearer token")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class BasicAuth(SecretAuth):
    """HTTP Basic authentication."""

    def __init__(self, username: str, password: str) -> None:
        self._header = "Basic " + base64.b64encode(
            f"{_need(username, 'the username')}:{password}".encode()
        ).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header."""
        request.headers["Authorization"] = self._header
        yield request


class ApiKeyAuth(SecretAuth):
    """An API key in a header (default ``X-API-Key``) or in a query parameter.

    Args:
        key: the API key.
        name: the header or query parameter name.
        location: ``"header"`` or ``"query"``.
    """

    def __init__(
        self, key: str, *, name: str = "X-API-Key", location: Literal["header", "query"] = "header"
    ) -> None:
        if location not in ("header", "query"):
            raise ConfigError(f"ApiKeyAuth(location=...) must be 'header' or 'query'; got {location!r}")
        self._key = _need(key, "the API key")
        self.name = _need(name, "ApiKeyAuth(name=...)")
        self.location = location
        self.secret_params = frozenset({name}) if location == "query" else frozenset()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header or query parameter."""
        if self.location == "header":
            request.headers[self.name] = self._key
        else:
            request.url = request.url.copy_merge_params({self.name: self._key})
        yield request


class ShopifyTokenAuth(SecretAuth):
    """Shopify Admin API: ``X-Shopify-Access-Token: <token>``."""

    def __init__(self, access_token: str) -> None:
        self._token = _need(access_token, "the Shopify access token")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header."""
        request.headers["X-Shopify-Access-Token"] = self._token
        yield request


class WooCommerceAuth(SecretAuth):
    """WooCommerce REST API keys over HTTPS: HTTP Basic (default) or ``consumer_key``/``consumer_secret`` query.

    WooCommerce asks for OAuth 1.0a signatures over plain HTTP; ecomkit does not send WooCommerce
    keys over plain HTTP except to a loopback address (a local proxy or test server).

    Args:
        consumer_key: the ``ck_...`` key.
        consumer_secret: the ``cs_...`` secret.
        location: ``"basic"`` (Authorization header) or ``"query"`` (for servers that drop the header).
    """

    secret_params = frozenset({"consumer_key", "consumer_secret"})

    def __init__(
        self, consumer_key: str, consumer_secret: str, *, location: Literal["basic", "query"] = "basic"
    ) -> None:
        if location not in ("basic", "query"):
            raise ConfigError(f"WooCommerceAuth(location=...) must be 'basic' or 'query'; got {location!r}")
        self._key = _need(consumer_key, "the WooCommerce consumer key")
        self._secret = _need(consumer_secret, "the WooCommerce consumer secret")
        self.location = location

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the credentials."""
        if self.location == "basic":
            token = base64.b64encode(f"{self._key}:{self._secret}".encode()).decode("ascii")
            request.headers["Authorization"] = f"Basic {token}"
        else:
            request.url = request.url.copy_merge_params(
                {"consumer_key": self._key, "consumer_secret": self._secret}
            )
        yield request
