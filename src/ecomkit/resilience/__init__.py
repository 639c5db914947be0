"""Retry with backoff, rate limiting and circuit breaking: policies built on tenacity, pyrate-limiter and pybreaker.

``Policy(retry=Retry(...), rate_limit=RateLimit(...), breaker=Breaker(...))`` applies them in the order
retry → breaker → rate limit → call, as a decorator (sync or async) or inside
:class:`~ecomkit.connectors.http.RestClient`. Only transient failures are retried (:func:`is_retryable`);
``set_testing(True)`` removes every wait for test suites.

Example:
    >>> from ecomkit.resilience import Breaker, Policy, RateLimit, Retry
    >>> policy = Policy(retry=Retry(attempts=4, timeout=30.0), rate_limit=RateLimit(2, 1.0),
    ...                 breaker=Breaker(failures=5, reset_after=30.0))
"""

from __future__ import annotations

from ecomkit.resilience.breaker import Breaker
from ecomkit.resilience.policy import Policy
from ecomkit.resilience.rate import RateLimit
from ecomkit.resilience.retry import (
    RETRYABLE_STATUS,
    Retry,
    is_retryable,
    is_testing,
    parse_retry_after,
    retry_after,
    set_testing,
)

__all__ = [
    "RETRYABLE_STATUS",
    "Breaker",
    "Policy",
    "RateLimit",
    "Retry",
    "is_retryable",
    "is_testing",
    "parse_retry_after",
    "retry_after",
    "set_testing",
]
