"""Client-side rate limiting on pyrate-limiter 4: N calls per period, shareable across workers.

A :class:`RateLimit` holds a pyrate-limiter ``Limiter`` over one bucket. The bucket decides who shares
the budget:

* ``bucket=None`` — in memory: every thread of this process that uses the same ``RateLimit`` object.
* ``bucket="sqlite:///path/limits.db"`` (or a path ending in ``.db``/``.sqlite``) — a SQLite file with a
  file lock: every process on this machine that names the same file and ``name``.
* ``bucket="redis://127.0.0.1:6379/0"`` — a Redis key: every process on every machine that names the same
  server and ``name`` (Airflow workers, Prefect task runners).

Bursts are capped as well as the average: besides ``calls`` per ``period`` no more than ``burst`` calls
(default: a tenth of ``calls``) start within ``period * burst / calls`` seconds, so the budget is spread
over the period instead of spent in its first milliseconds.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

from ecomkit.errors import ConfigError, RateLimitedError
from ecomkit.resilience.retry import is_testing

__all__ = ["RateLimit"]

# pyrate-limiter sleeps this much beyond the computed wait; its default (50 ms) costs a third of
# the budget when bursts are capped to 100 ms windows.
_BUFFER_MS = 2


def _redact(url: str) -> str:
    """``redis://:secret@host/0`` -> ``redis://***@host/0``."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


class RateLimit:
    """At most ``calls`` calls per ``period`` seconds, shared by everyone using the same bucket.

    Args:
        calls: calls allowed per period.
        period: the period in seconds.
        burst: the most calls that may start together; defaults to ``ceil(calls / 10)``. Set it to
            ``calls`` to allow the whole period's budget at once.
        bucket: where the budget lives (``None`` in memory; a SQLite URL or file path; a Redis URL).
        name: the budget's name inside a shared bucket (one per API account, e.g. ``"shopify:my-shop"``).
        max_wait: the most seconds one call waits for a slot before
            :class:`~ecomkit.errors.RateLimitedError` is raised.

    Example:
        >>> limit = RateLimit(50, 1.0)  # 50 requests per second, at most 5 every 100 ms
        >>> limit.acquire()
    """

    def __init__(
        self,
        calls: int,
        period: float = 1.0,
        *,
        burst: int | None = None,
        bucket: str | os.PathLike[str] | None = None,
        name: str = "ecomkit",
        max_wait: float = 120.0,
    ) -> None:
        if not isinstance(calls, int) or calls < 1:
            raise ConfigError(f"RateLimit(calls=...) must be an int >= 1; got {calls!r}")
        if not (math.isfinite(period) and period > 0):
            raise ConfigError(f"RateLimit(period=...) must be > 0 seconds; got {period!r}")
        burst = max(1, math.ceil(calls / 10)) if burst is None else burst
        if not isinstance(burst, int) or not 1 <= burst <= calls:
            raise ConfigError(f"RateLimit(burst=...) must be an int in [1, calls={calls}]; got {burst!r}")
        if not (math.isfinite(max_wait) and max_wait >= 0):
            raise ConfigError(f"RateLimit(max_wait=...) must be >= 0 seconds; got {max_wait!r}")
        if not name:
            raise ConfigError("RateLimit(name=...) must be a non-empty string")
        self.calls = calls
        self.period = float(period)
        self.burst = burst
        self.name = name
        self.max_wait = float(max_wait)
        self._bucket_spec = None if bucket is None else os.fspath(bucket)
        self._limiter = self._build_limiter()
        self._pause_lock = threading.Lock()
        self._resume_at = 0.0

    def __repr__(self) -> str:
        where = "memory" if self._bucket_spec is None else _redact(self._bucket_spec)
        return (
            f"RateLimit(calls={self.calls}, period={self.period}, burst={self.burst}, "
            f"bucket={where!r}, name={self.name!r})"
        )

    # --- construction ------------------------------------------------------------------------
    def _rates(self) -> list[Any]:
        from pyrate_limiter import Rate

        period_ms = max(1, round(self.period * 1000))
        rates = []
        if self.burst < self.calls:
            # Round the short window up so its density never exceeds the long one (pyrate's rule).
            rates.append(Rate(self.burst, max(1, math.ceil(period_ms * self.burst / self.calls))))
        rates.append(Rate(self.calls, period_ms))
        return rates

    def _build_limiter(self) -> Any:
        from pyrate_limiter import InMemoryBucket, Limiter

        rates = self._rates()
        spec = self._bucket_spec
        if spec is None:
            return Limiter(InMemoryBucket(rates), buffer_ms=_BUFFER_MS)
        if spec.startswith(("redis://", "rediss://", "unix://")):
            return Limiter(self._redis_bucket(rates, spec), buffer_ms=_BUFFER_MS)
        if spec.startswith("sqlite:///"):
            spec = spec[len("sqlite:///") :]
        elif "://" in spec:
            raise ConfigError(
                f"RateLimit(bucket=...) must be None, a Redis URL, a sqlite:/// URL or a file path; "
                f"got {_redact(spec)!r}"
            )
        return Limiter(self._sqlite_bucket(rates, spec), buffer_ms=_BUFFER_MS)

    def _sqlite_bucket(self, rates: list[Any], path: str) -> Any:
        from pyrate_limiter import SQLiteBucket

        try:
            import filelock  # noqa: F401  # pyrate-limiter needs it for a cross-process lock
        except ImportError:
            raise ConfigError(
                "a SQLite rate-limit bucket needs the 'filelock' package: pip install filelock"
            ) from None
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        table = "ecomkit_rate_" + "".join(c if c.isalnum() else "_" for c in self.name)
        return SQLiteBucket.init_from_file(rates, table=table, db_path=path, use_file_lock=True)

    def _redis_bucket(self, rates: list[Any], url: str) -> Any:
        from pyrate_limiter import RedisBucket

        try:
            import redis
        except ImportError:
            raise ConfigError(
                "a Redis rate-limit bucket needs the 'redis' package: pip install redis"
            ) from None
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        try:
            return RedisBucket.init(rates, client, bucket_key=f"ecomkit:rate:{self.name}")
        except redis.exceptions.RedisError as exc:
            raise ConfigError(
                f"cannot use the Redis rate-limit bucket at {_redact(url)!r}: {type(exc).__name__}"
            ) from None

    # --- use ---------------------------------------------------------------------------------
    def slow_down(self, seconds: float) -> None:
        """Hold every call of this process for ``seconds`` (the API said it is near its limit)."""
        if seconds <= 0:
            return
        with self._pause_lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def observe_usage(
        self, used: int, limit: int, *, restore_per_second: float, threshold: float = 0.8
    ) -> float:
        """Slow down when the API reports a nearly full budget; return the pause chosen (seconds).

        For leaky-bucket APIs such as Shopify (``X-Shopify-Shop-Api-Call-Limit: 32/40``, restored at
        2 calls per second) the pause lets the bucket drain back to ``threshold * limit``.
        """
        if limit <= 0 or restore_per_second <= 0 or used < threshold * limit:
            return 0.0
        pause = (used - threshold * limit + 1) / restore_per_second
        self.slow_down(pause)
        return pause

    def _pause_left(self) -> float:
        with self._pause_lock:
            return self._resume_at - time.monotonic()

    def acquire(self) -> None:
        """Block until a slot is free (a no-op in testing mode).

        Raises:
            RateLimitedError: no slot within ``max_wait`` seconds.
        """
        if is_testing():
            return
        pause = self._pause_left()
        if pause > 0:
            time.sleep(pause)
        ok = self._limiter.try_acquire(self.name, blocking=True, timeout=self.max_wait)
        if not ok:
            raise RateLimitedError(
                f"rate limit {self.name!r} ({self.calls} calls per {self.period:g}s) gave no slot "
                f"within {self.max_wait:g}s; raise max_wait or lower the concurrency"
            )

    async def aacquire(self) -> None:
        """The async form of :meth:`acquire`."""
        if is_testing():
            return
        pause = self._pause_left()
        if pause > 0:
            await asyncio.sleep(pause)
        ok = await self._limiter.try_acquire_async(self.name, blocking=True, timeout=self.max_wait)
        if not ok:
            raise RateLimitedError(
                f"rate limit {self.name!r} ({self.calls} calls per {self.period:g}s) gave no slot "
                f"within {self.max_wait:g}s"
            )

    def close(self) -> None:
        """Release the bucket's resources (its connection and leak thread)."""
        close = getattr(self._limiter, "close", None)
        if close is not None:
            close()
