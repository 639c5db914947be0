"""Resilience policies: what is retried, Retry-After, the breaker, shared rate limits, testing mode."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ecomkit.errors import CircuitOpenError, HTTPStatusError, RetryExhaustedError
from ecomkit.resilience import Breaker, Policy, RateLimit, Retry, is_retryable, parse_retry_after, set_testing


def _status(code: int, **headers: str) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://api.test/x?api_key=SECRET")
    return httpx.HTTPStatusError(
        "boom", request=request, response=httpx.Response(code, headers=headers, request=request)
    )


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(code: int) -> None:
    assert is_retryable(_status(code))


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(code: int) -> None:
    calls = []

    @Policy(retry=Retry(attempts=5, initial=0))
    def fetch() -> None:
        calls.append(1)
        raise _status(code)

    with pytest.raises(httpx.HTTPStatusError):
        fetch()
    assert len(calls) == 1


def test_stripe_should_retry_overrides_status() -> None:
    assert is_retryable(_status(409, **{"Stripe-Should-Retry": "true"}))
    assert not is_retryable(_status(503, **{"Stripe-Should-Retry": "false"}))


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_exhausted_retries_raise_typed_error_without_secrets() -> None:
    calls = []

    @Policy(retry=Retry(attempts=3, initial=0))
    def fetch() -> None:
        calls.append(1)
        raise _status(503)

    with pytest.raises(RetryExhaustedError) as info:
        fetch()
    assert info.value.attempts == 3
    assert len(calls) == 3
    assert "SECRET" not in str(info.value)


def test_nested_policies_retry_once_only() -> None:
    calls = []
    inner = Policy(retry=Retry(attempts=4, initial=0))
    outer = Policy(retry=Retry(attempts=3, initial=0))

    def fetch() -> None:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(RetryExhaustedError):
        outer.call(inner.call, fetch)
    assert len(calls) == 3  # not 3 * 4


def test_breaker_opens_and_is_not_retried() -> None:
    calls = []
    policy = Policy(retry=Retry(attempts=10, initial=0), breaker=Breaker(failures=2, reset_after=60))

    def fetch() -> None:
        calls.append(1)
        raise TimeoutError

    with pytest.raises(CircuitOpenError):
        policy.call(fetch)
    assert len(calls) == 2
    assert policy.breaker is not None
    assert policy.breaker.state == "open"


def test_breaker_ignores_client_errors() -> None:
    breaker = Breaker(failures=1, reset_after=60)
    for _ in range(3):
        with pytest.raises(HTTPStatusError):
            breaker.call(lambda: (_ for _ in ()).throw(HTTPStatusError("nf", status_code=404, url="u")))
    assert breaker.state == "closed"


def test_async_decorator_retries() -> None:
    calls = []

    @Policy(retry=Retry(attempts=3, initial=0))
    async def fetch() -> int:
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError
        return 7

    assert asyncio.run(fetch()) == 7
    assert len(calls) == 3


def test_testing_mode_removes_waits() -> None:
    set_testing(True, attempts=2)
    try:
        calls = []

        @Policy(retry=Retry(attempts=5, initial=100), rate_limit=RateLimit(1, 60.0))
        def fetch() -> None:
            calls.append(1)
            raise _status(429, **{"Retry-After": "3600"})

        with pytest.raises(RetryExhaustedError):
            fetch()
        assert len(calls) == 2
    finally:
        set_testing(False)


def _hammer(limit: RateLimit, n: int, stamps: list[float]) -> None:
    for _ in range(n):
        limit.acquire()
        stamps.append(time.monotonic())


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, t in enumerate(stamps):
        while t - stamps[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_rate_limit_is_shared_between_threads(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bucket: str | None = None
    if kind == "sqlite":
        bucket = f"sqlite:///{tmp_path / 'rate.db'}"
    elif kind == "redis":
        bucket = request.getfixturevalue("redis_url")
    name = f"t-{uuid.uuid4().hex[:8]}"
    # two limiter objects on one shared bucket behave like two workers
    limits = [RateLimit(10, 0.5, bucket=bucket, name=name) for _ in range(2 if bucket else 1)]
    stamps: list[float] = []
    threads = [threading.Thread(target=_hammer, args=(limits[k % len(limits)], 8, stamps)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(stamps) == 24
    # stamps are taken after acquire returns, so allow 50 ms of scheduling jitter
    assert _max_in_window(stamps, 0.45) <= 10
    for limit in limits:
        limit.close()
