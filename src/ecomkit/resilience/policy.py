"""Compose retry, rate limit and circuit breaker into one :class:`Policy`.

The order is fixed and documented: **retry → breaker → rate limit → call**.

* The retry layer is outermost, so each attempt is a full pass through the others and there is exactly
  one retry loop per request (a policy nested inside another runs its function once).
* The breaker comes next: when it is open the attempt fails at once with
  :class:`~ecomkit.errors.CircuitOpenError`, which the retry layer never retries — no retry storm —
  and no rate-limit slot is spent.
* The rate limit is innermost: every request that actually goes out, retries included, takes a slot.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

from ecomkit.resilience.breaker import Breaker
from ecomkit.resilience.rate import RateLimit
from ecomkit.resilience.retry import Retry

__all__ = ["Policy"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Policy:
    """Retry, rate limit and circuit breaker, applied in that order around a call.

    Use it as a decorator on sync or async functions, call :meth:`call` / :meth:`acall`, or hand it to
    :class:`~ecomkit.connectors.http.RestClient`. Share one ``Policy`` (or one :class:`RateLimit` /
    :class:`Breaker`) between clients that talk to the same API account: the limits and the circuit
    are in the objects.

    Args:
        retry: the retry strategy; ``None`` disables retrying.
        rate_limit: the rate limit; ``None`` means unlimited.
        breaker: the circuit breaker; ``None`` means none.

    Example:
        >>> from ecomkit.resilience import Policy, RateLimit, Retry
        >>> policy = Policy(retry=Retry(attempts=3), rate_limit=RateLimit(10, 1.0))
        >>> @policy
        ... def fetch() -> int:
        ...     return 42
        >>> fetch()
        42
    """

    retry: Retry | None = field(default_factory=Retry)
    rate_limit: RateLimit | None = None
    breaker: Breaker | None = None

    def _once(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        def attempt() -> _T:
            if self.rate_limit is not None:
                self.rate_limit.acquire()
            return fn(*args, **kwargs)

        return self.breaker.call(attempt) if self.breaker is not None else attempt()

    async def _aonce(self, fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        async def attempt() -> _T:
            if self.rate_limit is not None:
                await self.rate_limit.aacquire()
            return await fn(*args, **kwargs)

        return await (self.breaker.acall(attempt) if self.breaker is not None else attempt())

    def call(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Call ``fn(*args, **kwargs)`` under the policy.

        Raises:
            RetryExhaustedError: every attempt failed with a retryable failure.
            CircuitOpenError: the circuit is open; ``fn`` was not called.
            RateLimitedError: no rate-limit slot within the limit's ``max_wait``.
        """
        if self.retry is None:
            return self._once(fn, *args, **kwargs)
        result: _T = self.retry.call(self._once, fn, *args, **kwargs)
        return result

    async def acall(self, fn: Callable[..., Awaitable[_T]], /, *args: Any, **kwargs: Any) -> _T:
        """The async form of :meth:`call`."""
        if self.retry is None:
            return await self._aonce(fn, *args, **kwargs)
        return await self.retry.acall(self._aonce, fn, *args, **kwargs)

    def __call__(self, fn: Callable[_P, _T]) -> Callable[_P, _T]:
        """Decorate a sync or async function so every call runs under this policy."""
        if inspect.iscoroutinefunction(fn):
            async_fn = cast("Callable[..., Awaitable[Any]]", fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                return await self.acall(async_fn, *args, **kwargs)

            return cast("Callable[_P, _T]", async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            return self.call(fn, *args, **kwargs)

        return wrapper
