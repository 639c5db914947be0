"""Retry with exponential backoff and full jitter, on tenacity, for retryable failures only.

What is retryable is decided once, here, by :func:`is_retryable`: connection errors, timeouts and the
HTTP statuses 429, 500, 502, 503 and 504. Every other status (400, 401, 403, 404, 409, 422, ...) is a
request that will fail the same way again and surfaces at once. Two server hints win over the status:
``Retry-After`` (seconds or an HTTP date) sets the wait, and Stripe's ``Stripe-Should-Retry`` header
(``true``/``false``) overrides the classification either way.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import email.utils
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import tenacity

from ecomkit.errors import (
    ConfigError,
    HTTPError,
    HTTPStatusError,
    ResilienceError,
    RetryExhaustedError,
)

__all__ = [
    "RETRYABLE_STATUS",
    "Retry",
    "describe",
    "is_retryable",
    "is_testing",
    "parse_retry_after",
    "retry_after",
    "set_testing",
]

_T = TypeVar("_T")

_log = logging.getLogger("ecomkit.resilience")

#: HTTP statuses that are retried (unless ``Stripe-Should-Retry: false`` says otherwise).
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

_TESTING: dict[str, Any] = {"on": False, "attempts": None}
# Set while a retry layer runs, so an inner policy never retries again (one retry layer per request).
_IN_RETRY: contextvars.ContextVar[bool] = contextvars.ContextVar("ecomkit_in_retry", default=False)


def set_testing(enabled: bool, *, attempts: int | None = None) -> None:
    """Switch testing mode on or off for every policy in this process.

    In testing mode retries and rate limits never sleep (waits become 0), so a test suite that
    exercises failure paths runs at full speed. ``attempts`` additionally caps the number of attempts.

    Example:
        >>> from ecomkit import resilience
        >>> resilience.set_testing(True, attempts=2)
        >>> resilience.is_testing()
        True
        >>> resilience.set_testing(False)
    """
    if attempts is not None and attempts < 1:
        raise ConfigError(f"set_testing(attempts=...) must be >= 1; got {attempts}")
    _TESTING["on"] = bool(enabled)
    _TESTING["attempts"] = attempts if enabled else None


def is_testing() -> bool:
    """Whether :func:`set_testing` switched testing mode on."""
    return bool(_TESTING["on"])


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (delta-seconds or an HTTP date).

    Returns ``None`` for a missing or unparseable value; a date in the past gives ``0.0``.

    Example:
        >>> parse_retry_after("2")
        2.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _headers(exc: BaseException) -> Mapping[str, str] | None:
    headers = getattr(exc, "headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def retry_after(exc: BaseException) -> float | None:
    """The server-requested wait carried by ``exc`` (its ``Retry-After`` header), if any."""
    explicit = getattr(exc, "retry_after", None)
    if isinstance(explicit, int | float):
        return max(0.0, float(explicit))
    headers = _headers(exc)
    return parse_retry_after(headers.get("retry-after")) if headers is not None else None


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient failure worth another attempt.

    True for connection errors and timeouts (httpx transport errors, :class:`OSError` connection
    errors, :class:`TimeoutError`, ecomkit :class:`~ecomkit.errors.HTTPError` transport failures) and
    for HTTP statuses in :data:`RETRYABLE_STATUS`. Stripe's ``Stripe-Should-Retry`` header overrides
    the status either way. Never true for resilience errors (an open circuit, an exhausted retry).
    """
    if isinstance(exc, ResilienceError):
        return False
    status = _status(exc)
    if status is not None or isinstance(exc, HTTPStatusError):
        headers = _headers(exc)
        hint = getattr(exc, "should_retry", None)
        if hint is None and headers is not None:
            raw = headers.get("stripe-should-retry")
            hint = {"true": True, "false": False}.get(raw.strip().lower()) if raw else None
        if isinstance(hint, bool):
            return hint
        return status in RETRYABLE_STATUS
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx is a core dependency
        pass
    if isinstance(exc, HTTPError):
        # Transport failures surface as plain HTTPError; its subclasses (pagination) are not transient.
        return type(exc) is HTTPError
    return isinstance(exc, TimeoutError | ConnectionError)


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a failure for logs: the class and status, never a URL."""
    status = _status(exc)
    name = next(c.__name__ for c in type(exc).__mro__ if not c.__name__.startswith("_"))
    if status is not None:
        return f"{name} (HTTP {status})"
    if type(exc).__module__.startswith("ecomkit"):
        return f"{name}: {exc}"  # ecomkit messages are redacted when they are built
    return name


@dataclass(frozen=True)
class Retry:
    """How to retry a transient failure: exponential backoff with full jitter, bounded twice.

    The wait before retry *n* is uniform in ``[0, min(max_wait, initial * 2**(n-1))]`` ("full jitter");
    a ``Retry-After`` from the server replaces it (it is a minimum, honoured exactly). Retrying stops
    after ``attempts`` attempts or when the next wait would end after ``timeout`` seconds in total,
    whichever comes first; then :class:`~ecomkit.errors.RetryExhaustedError` is raised from the last
    failure. Non-retryable failures (see :func:`is_retryable`) propagate at once, unchanged.

    Args:
        attempts: the most attempts, the first included (``1`` disables retrying).
        timeout: the most seconds across all attempts and waits.
        initial: the backoff base in seconds.
        max_wait: the cap on one backoff wait in seconds (a ``Retry-After`` may exceed it up to
            the remaining ``timeout``).

    Example:
        >>> Retry(attempts=3, timeout=10.0).attempts
        3
    """

    attempts: int = 5
    timeout: float = 60.0
    initial: float = 0.5
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"Retry(attempts=...) must be >= 1; got {self.attempts}")
        for name in ("timeout", "initial", "max_wait"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"Retry({name}=...) must be a finite number >= 0; got {value!r}")

    # --- tenacity plumbing -------------------------------------------------------------------
    def _max_attempts(self) -> int:
        cap = _TESTING["attempts"]
        return min(self.attempts, cap) if cap else self.attempts

    def _wait(self, state: tenacity.RetryCallState) -> float:
        if is_testing():
            return 0.0
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after(exc) if exc is not None else None
        if hinted is not None:
            return hinted
        backoff = tenacity.wait_random_exponential(multiplier=self.initial, max=self.max_wait)
        return float(backoff(state))

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self._max_attempts():
            return True
        if is_testing():
            return False
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after(exc) if exc is not None else None
        upcoming = hinted if hinted is not None else 0.0
        return (state.seconds_since_start or 0.0) + upcoming > self.timeout

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        _log.warning(
            "retrying %s in %.2fs (attempt %d of %d failed: %s)",
            getattr(state.fn, "__qualname__", "call"),
            wait,
            state.attempt_number,
            self._max_attempts(),
            describe(exc) if exc is not None else "no result",
        )

    def _exhausted(self, state: tenacity.RetryCallState) -> Any:
        exc = state.outcome.exception() if state.outcome else None
        assert exc is not None  # only failures are retried
        raise RetryExhaustedError(
            f"gave up after {state.attempt_number} attempts in {state.seconds_since_start:.1f}s; "
            f"last failure: {describe(exc)}",
            attempts=state.attempt_number,
        ) from exc

    def _kwargs(self) -> dict[str, Any]:
        return {
            "stop": self._stop,
            "wait": self._wait,
            "retry": tenacity.retry_if_exception(is_retryable),
            "before_sleep": self._before_sleep,
            "retry_error_callback": self._exhausted,
            "reraise": False,
        }

    def call(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Call ``fn(*args, **kwargs)``, retrying retryable failures.

        Inside another retry layer (a nested policy) ``fn`` runs exactly once: one layer retries.

        Raises:
            RetryExhaustedError: every attempt failed with a retryable failure (``__cause__`` is the last).
        """
        if _IN_RETRY.get():
            return fn(*args, **kwargs)
        token = _IN_RETRY.set(True)
        try:
            result: _T = tenacity.Retrying(**self._kwargs())(fn, *args, **kwargs)
            return result
        finally:
            _IN_RETRY.reset(token)

    async def acall(self, fn: Callable[..., Awaitable[_T]], /, *args: Any, **kwargs: Any) -> _T:
        """The async form of :meth:`call` (waits with ``asyncio.sleep``)."""
        if _IN_RETRY.get():
            return await fn(*args, **kwargs)
        token = _IN_RETRY.set(True)
        try:
            result: _T = await tenacity.AsyncRetrying(**self._kwargs())(fn, *args, **kwargs)
            return result
        finally:
            _IN_RETRY.reset(token)
