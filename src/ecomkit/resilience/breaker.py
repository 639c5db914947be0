"""A circuit breaker on pybreaker: stop calling a service that keeps failing.

After ``failures`` consecutive failed calls the circuit opens: every call raises
:class:`~ecomkit.errors.CircuitOpenError` at once, without touching the service, and that error is
never retried. After ``reset_after`` seconds one trial call is let through (half-open); a success
closes the circuit, a failure opens it again. Only transient failures (those
:func:`~ecomkit.resilience.is_retryable` accepts: timeouts, connection errors, 429 and 5xx) count; a
404 or a 401 says nothing about the service's health.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Literal, TypeVar

import pybreaker

from ecomkit.errors import CircuitOpenError, ConfigError
from ecomkit.resilience.retry import is_retryable

__all__ = ["Breaker"]

_T = TypeVar("_T")


class Breaker:
    """Open after ``failures`` consecutive transient failures; try again after ``reset_after`` seconds.

    Args:
        failures: consecutive transient failures that open the circuit.
        reset_after: seconds the circuit stays open before one trial call.
        name: shown in errors and logs.

    Example:
        >>> breaker = Breaker(failures=3, reset_after=30.0, name="shopify")
        >>> breaker.state
        'closed'
    """

    def __init__(self, *, failures: int = 5, reset_after: float = 30.0, name: str = "ecomkit") -> None:
        if not isinstance(failures, int) or failures < 1:
            raise ConfigError(f"Breaker(failures=...) must be an int >= 1; got {failures!r}")
        if not (math.isfinite(reset_after) and reset_after > 0):
            raise ConfigError(f"Breaker(reset_after=...) must be > 0 seconds; got {reset_after!r}")
        self.name = name
        self.failures = failures
        self.reset_after = float(reset_after)
        self._cb = pybreaker.CircuitBreaker(
            fail_max=failures,
            reset_timeout=reset_after,
            exclude=[lambda exc: not is_retryable(exc)],
            name=name,
            throw_new_error_on_trip=False,
        )

    def __repr__(self) -> str:
        return f"Breaker(failures={self.failures}, reset_after={self.reset_after}, name={self.name!r}, state={self.state!r})"

    @property
    def state(self) -> Literal["closed", "open", "half-open"]:
        """The circuit's state."""
        current: Any = self._cb.current_state
        return {"closed": "closed", "open": "open"}.get(str(current), "half-open")  # type: ignore[return-value]

    def reset(self) -> None:
        """Close the circuit and forget past failures."""
        self._cb.close()

    def _open_error(self) -> CircuitOpenError:
        opened = self._cb._state_storage.opened_at
        left = self.reset_after
        if isinstance(opened, dt.datetime):
            now = dt.datetime.now(opened.tzinfo or dt.timezone.utc)
            left = max(0.0, self.reset_after - (now - opened).total_seconds())
        return CircuitOpenError(
            f"circuit {self.name!r} is open after {self.failures} consecutive failures; "
            f"no call is made for another {left:.0f}s"
        )

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Run the ``with`` block under the breaker (works around ``await`` too).

        Raises:
            CircuitOpenError: the circuit is open; the block did not run.
        """
        try:
            with self._cb.calling():
                yield
        except pybreaker.CircuitBreakerError:
            raise self._open_error() from None

    def call(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Call ``fn`` under the breaker.

        Raises:
            CircuitOpenError: the circuit is open; ``fn`` was not called.
        """
        with self.guard():
            return fn(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover - the guard re-raises

    async def acall(self, fn: Callable[..., Awaitable[_T]], /, *args: Any, **kwargs: Any) -> _T:
        """The async form of :meth:`call`."""
        with self.guard():
            return await fn(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover
