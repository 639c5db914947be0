"""Thin orchestrator adapters that run the pipeline's stages as Airflow 3 or Prefect 3 tasks.

This package itself never imports an orchestrator: :mod:`ecomkit.adapters.airflow` needs the ``airflow``
extra (``pip install "ecomkit[airflow]"``) and :mod:`ecomkit.adapters.prefect` the ``prefect`` extra. What both
share lives here: the :class:`TaskPolicy` (retries with exponential backoff, a timeout) and the rule of which
failures are worth a retry (:func:`is_retryable`).

Each stage of :data:`ecomkit.pipeline.STAGES` becomes one task; stages hand their data to each other through
Parquet files under the pipeline's ``out_dir`` and the warehouse, and only each stage's small
:class:`~ecomkit.pipeline.StageResult` (row counts, scores, seconds) travels through the orchestrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ecomkit.errors import ConfigError, SchemaError, ValidationError

__all__ = ["NON_RETRYABLE", "TaskPolicy", "is_retryable"]

#: Failures that a retry cannot fix: a bad setting, data that does not fit the schema, a broken rule or a
#: failed quality gate. A task that raises one of these fails at once, without using up its retries.
NON_RETRYABLE: tuple[type[Exception], ...] = (ConfigError, SchemaError, ValidationError)


def is_retryable(exc: BaseException) -> bool:
    """Whether a stage's failure is worth a retry (anything but :data:`NON_RETRYABLE`).

    Example:
        >>> from ecomkit.errors import LoadError, QualityGateError
        >>> is_retryable(LoadError("connection refused")), is_retryable(QualityGateError(0.5, 0.9))
        (True, False)
    """
    return not isinstance(exc, NON_RETRYABLE)


@dataclass(frozen=True)
class TaskPolicy:
    """How every pipeline task is retried and bounded; both adapters read the same policy.

    The n-th retry (n = 1, 2, ...) waits ``retry_delay * 2 ** (n - 1)``, capped at ``max_retry_delay``
    (:meth:`delays` lists the schedule). Airflow gets ``retries``, ``retry_delay``,
    ``retry_exponential_backoff=2.0``, ``max_retry_delay`` and ``execution_timeout``; Prefect gets
    ``retries``, ``retry_delay_seconds`` from ``prefect.tasks.exponential_backoff`` (capped) and
    ``timeout_seconds``. Airflow adds its own small jitter to each delay.

    Args:
        retries: how many times a failed task is tried again (0 = never).
        retry_delay: the wait before the first retry.
        max_retry_delay: the longest wait between two tries.
        timeout: the longest one try of a task may run before it is stopped and counted as failed;
            ``None`` means no limit.
        priority_weight: Airflow's scheduling priority of the pipeline's tasks against other DAGs'.
        pool: the Airflow pool the tasks run in (``None``: the default pool), to cap how many pipeline
            tasks hit a source or the warehouse at once.

    Example:
        >>> TaskPolicy(retries=3, retry_delay=timedelta(seconds=10)).delays()
        (10.0, 20.0, 40.0)
    """

    retries: int = 3
    retry_delay: timedelta = timedelta(seconds=30)
    max_retry_delay: timedelta = timedelta(minutes=30)
    timeout: timedelta | None = timedelta(hours=2)
    priority_weight: int = 1
    pool: str | None = None

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ConfigError(f"TaskPolicy.retries must be 0 or more; got {self.retries}")
        if self.retry_delay < timedelta(0):
            raise ConfigError(f"TaskPolicy.retry_delay must not be negative; got {self.retry_delay}")
        if self.max_retry_delay < self.retry_delay:
            raise ConfigError(
                f"TaskPolicy.max_retry_delay ({self.max_retry_delay}) must be at least retry_delay ({self.retry_delay})"
            )
        if self.priority_weight < 1:
            raise ConfigError(f"TaskPolicy.priority_weight must be 1 or more; got {self.priority_weight}")
        if self.pool is not None and not self.pool.strip():
            raise ConfigError("TaskPolicy.pool must be a pool name or None; got an empty string")
        if self.timeout is not None and self.timeout <= timedelta(0):
            raise ConfigError(f"TaskPolicy.timeout must be positive or None; got {self.timeout}")

    def delays(self) -> tuple[float, ...]:
        """The wait in seconds before each retry: doubling from ``retry_delay``, capped at ``max_retry_delay``."""
        base = self.retry_delay.total_seconds()
        cap = self.max_retry_delay.total_seconds()
        return tuple(min(base * 2.0**n, cap) for n in range(self.retries))
