"""Run an ecomkit pipeline as an Airflow 3 DAG (TaskFlow API of ``airflow.sdk``).

Needs the ``airflow`` extra: ``pip install "ecomkit[airflow]"``. Importing this module imports Airflow;
``import ecomkit`` and ``import ecomkit.adapters`` never do.

Each stage of :data:`ecomkit.pipeline.STAGES` (extract → clean → quality → metrics → load) becomes one task,
chained in that order. Tasks exchange data through Parquet files under the pipeline's ``out_dir`` and the
warehouse; through XCom each task returns only its :meth:`~ecomkit.pipeline.StageResult.to_dict` (row counts,
scores, seconds). Retries follow a :class:`~ecomkit.adapters.TaskPolicy` with exponential backoff; failures
that a retry cannot fix (:data:`~ecomkit.adapters.NON_RETRYABLE`, among them a failed quality gate) fail the
task at once with ``AirflowFailException``. There are no SLA or e-mail options (Airflow 3 removed them): use
failure callbacks such as :class:`FileNotifier` and :func:`log_failure`, and a Deadline Alert
(``deadline=``) for "the run is late".

Example, a whole DAG file::

    from ecomkit.adapters.airflow import FileNotifier, build_dag
    from ecomkit.pipeline import PipelineSpec

    dag = build_dag(
        PipelineSpec.from_toml("/opt/pipelines/nightly.toml"),
        schedule="@daily",
        on_failure_callback=FileNotifier("/var/log/ecomkit/failures.jsonl"),
    )
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ecomkit.adapters import TaskPolicy, is_retryable
from ecomkit.errors import ConfigError
from ecomkit.pipeline import PipelineSpec, StageResult, stages

try:
    from airflow.sdk import BaseNotifier, TaskGroup, chain, dag, task
    from airflow.sdk.exceptions import AirflowFailException
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    raise ModuleNotFoundError(
        "ecomkit.adapters.airflow needs Apache Airflow 3: pip install 'ecomkit[airflow]'", name=exc.name
    ) from exc

__all__ = [
    "DEFAULT_START_DATE",
    "FileNotifier",
    "build_dag",
    "build_task_group",
    "deadline_alert",
    "log_deadline_missed",
    "log_failure",
    "task_arguments",
]

_log = logging.getLogger(__name__)

#: The ``start_date`` of a built DAG unless one is given (a fixed date, so parsing is deterministic).
DEFAULT_START_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)

#: An Airflow task or DAG state callback: called with the Airflow context.
_Callback = Callable[[Any], None]


def task_arguments(
    policy: TaskPolicy | None = None,
    *,
    on_failure_callback: _Callback | Sequence[_Callback] | None = None,
    on_retry_callback: _Callback | Sequence[_Callback] | None = None,
) -> dict[str, Any]:
    """The Airflow task arguments for a :class:`~ecomkit.adapters.TaskPolicy` (usable as ``default_args``).

    Args:
        policy: retries, backoff and timeout (default ``TaskPolicy()``).
        on_failure_callback: called with the context when a task fails for good.
        on_retry_callback: called with the context when a task fails and will be retried.

    Returns:
        ``retries``, ``retry_delay``, ``retry_exponential_backoff`` (2.0: the delay doubles),
        ``max_retry_delay``, ``execution_timeout``, ``priority_weight``, the ``pool`` when one is set and
        the callbacks that are set.
    """
    policy = policy or TaskPolicy()
    arguments: dict[str, Any] = {
        "retries": policy.retries,
        "retry_delay": policy.retry_delay,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": policy.max_retry_delay,
        "execution_timeout": policy.timeout,
        "priority_weight": policy.priority_weight,
    }
    if policy.pool is not None:
        arguments["pool"] = policy.pool
    if on_failure_callback is not None:
        arguments["on_failure_callback"] = _as_list(on_failure_callback)
    if on_retry_callback is not None:
        arguments["on_retry_callback"] = _as_list(on_retry_callback)
    return arguments


def _as_list(callbacks: _Callback | Sequence[_Callback]) -> list[_Callback]:
    return list(callbacks) if isinstance(callbacks, Sequence) else [callbacks]


def _stage_callable(name: str, spec: PipelineSpec) -> Callable[[], dict[str, Any]]:
    """The body of one task: run the stage, turn unfixable failures into ``AirflowFailException``."""

    def run_stage() -> dict[str, Any]:
        stage = dict(stages.STAGES)[name]  # looked up at run time, so the current stage code runs
        try:
            result: StageResult = stage(spec)
        except Exception as exc:
            if is_retryable(exc):
                raise
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        _log.info("ecomkit stage %s: %s", name, result.to_dict())
        return result.to_dict()

    run_stage.__name__ = name
    run_stage.__doc__ = f"Run the ecomkit {name!r} stage of pipeline {spec.name!r}."
    return run_stage


def _add_stage_tasks(spec: PipelineSpec, arguments: Mapping[str, Any]) -> list[Any]:
    tasks = [
        task(task_id=name, multiple_outputs=False, **arguments)(_stage_callable(name, spec))()
        for name, _ in stages.STAGES
    ]
    chain(*tasks)
    return tasks


def build_task_group(
    spec: PipelineSpec,
    *,
    group_id: str | None = None,
    policy: TaskPolicy | None = None,
    on_failure_callback: _Callback | Sequence[_Callback] | None = None,
    on_retry_callback: _Callback | Sequence[_Callback] | None = None,
) -> Any:
    """Add the pipeline's stages as a task group to the DAG being defined (call it inside a DAG).

    Use this to embed the ecomkit pipeline in a larger DAG, between your own tasks.

    Args:
        spec: the pipeline.
        group_id: the task group's id (default: ``spec.name``).
        policy: retries, backoff and timeout of every task (default ``TaskPolicy()``).
        on_failure_callback: called with the task context when a task fails for good.
        on_retry_callback: called with the task context when a task will be retried.

    Returns:
        The ``TaskGroup``; set dependencies on it with ``>>`` as on any task.

    Example:
        >>> @dag(schedule=None)  # doctest: +SKIP
        ... def shop():
        ...     start = EmptyOperator(task_id="start")
        ...     start >> build_task_group(PipelineSpec(name="nightly"))
    """
    arguments = task_arguments(
        policy, on_failure_callback=on_failure_callback, on_retry_callback=on_retry_callback
    )
    with TaskGroup(group_id=group_id or spec.name) as group:
        _add_stage_tasks(spec, arguments)
    return group


def build_dag(
    spec: PipelineSpec,
    *,
    dag_id: str | None = None,
    schedule: Any = None,
    start_date: datetime = DEFAULT_START_DATE,
    policy: TaskPolicy | None = None,
    on_failure_callback: _Callback | Sequence[_Callback] | None = None,
    on_retry_callback: _Callback | Sequence[_Callback] | None = None,
    on_dag_failure_callback: _Callback | Sequence[_Callback] | None = None,
    on_dag_success_callback: _Callback | Sequence[_Callback] | None = None,
    deadline: Any = None,
    tags: Sequence[str] = ("ecomkit",),
) -> Any:
    """Build an Airflow DAG that runs the pipeline: extract → clean → quality → metrics → load.

    The DAG does not catch up missed intervals and runs one DAG run at a time (``max_active_runs=1``), since
    the runs of one pipeline share the Parquet files under its ``out_dir``. Tasks that run on several workers
    need ``out_dir`` on storage they all see.

    Args:
        spec: the pipeline.
        dag_id: the DAG id (default: ``spec.name``).
        schedule: anything Airflow takes as a schedule (``"@daily"``, a cron string, a timetable); ``None``
            runs only when triggered.
        start_date: the DAG's start date.
        policy: retries, backoff and timeout of every task (default ``TaskPolicy()``).
        on_failure_callback: task-level: called with the task context when a task fails for good
            (a callable or a ``BaseNotifier`` such as :class:`FileNotifier`, or a list of them).
        on_retry_callback: task-level: called with the task context when a task will be retried.
        on_dag_failure_callback: DAG-level: called with the context when the DAG run fails.
        on_dag_success_callback: DAG-level: called with the context when the DAG run succeeds (a
            completion summary: the stages' row counts and scores are in the tasks' XComs).
        deadline: a Deadline Alert (see :func:`deadline_alert`) or a list of them, for runs that take too
            long; the replacement of Airflow 2's SLAs.
        tags: the DAG's tags.

    Returns:
        The ``DAG``; assign it at a DAG file's top level so Airflow finds it, or call ``.test()`` on it.

    Example:
        >>> dag = build_dag(PipelineSpec(name="nightly"), schedule="@daily")  # doctest: +SKIP
        >>> dag.test().state  # doctest: +SKIP
        'success'
    """
    arguments = task_arguments(
        policy, on_failure_callback=on_failure_callback, on_retry_callback=on_retry_callback
    )
    options: dict[str, Any] = {
        "dag_id": dag_id or spec.name,
        "schedule": schedule,
        "start_date": start_date,
        "catchup": False,
        "max_active_runs": 1,
        "tags": list(tags),
        "doc_md": _doc(spec),
    }
    if on_dag_failure_callback is not None:
        options["on_failure_callback"] = _as_list(on_dag_failure_callback)
    if on_dag_success_callback is not None:
        options["on_success_callback"] = _as_list(on_dag_success_callback)
    if deadline is not None:
        options["deadline"] = deadline

    def pipeline() -> None:
        _add_stage_tasks(spec, arguments)

    pipeline.__name__ = options["dag_id"]
    return dag(**options)(pipeline)()


def _doc(spec: PipelineSpec) -> str:
    target = spec.warehouse_target if not spec.target.is_url else spec.target.url.split("://", 1)[0] + "://…"
    return (
        f"ecomkit pipeline **{spec.name}**: {spec.source.kind} source → clean → quality gate "
        f"(threshold {spec.quality_threshold:g}) → metrics → load into `{target}` ({spec.target.mode}).\n\n"
        f"Work files and the quality report (`quality.html`) are under `{spec.out_dir}`."
    )


def deadline_alert(
    interval: timedelta,
    *,
    callback: str | Callable[..., Any] = "ecomkit.adapters.airflow.log_deadline_missed",
    kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """A Deadline Alert: call ``callback`` when a DAG run has not finished ``interval`` after it was queued.

    Deadline Alerts (Airflow 3.1+, experimental) replace Airflow 2's SLAs; the triggerer runs the
    callback, which must be an ``async`` function importable by its dotted path.

    Args:
        interval: how long after the run was queued it must have finished.
        callback: the async callable or its dotted path (default :func:`log_deadline_missed`).
        kwargs: JSON-safe keyword arguments for the callback.

    Returns:
        An ``airflow.sdk.definitions.deadline.DeadlineAlert`` for :func:`build_dag`'s ``deadline``.

    Raises:
        ConfigError: the installed Airflow has no Deadline Alerts, or ``interval`` is not positive.
    """
    if interval <= timedelta(0):
        raise ConfigError(f"deadline interval must be positive; got {interval}")
    try:
        from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference
    except ImportError:
        raise ConfigError("this Airflow has no Deadline Alerts (they need Airflow 3.1 or later)") from None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(callback, kwargs=dict(kwargs or {})),
    )


async def log_deadline_missed(**kwargs: Any) -> None:
    """A Deadline Alert callback: log a warning naming the DAG run that missed its deadline.

    Args:
        kwargs: what Airflow passes (``context``, with the ``dag_run`` and the ``deadline``) and the
            alert's own keyword arguments, which are logged as given.
    """
    context = kwargs.pop("context", None)
    context = context if isinstance(context, Mapping) else {}
    dag_run = context.get("dag_run")
    dag_run = dag_run if isinstance(dag_run, Mapping) else {}
    deadline = context.get("deadline")
    deadline = deadline if isinstance(deadline, Mapping) else {}
    _log.warning(
        "ecomkit pipeline missed its deadline: dag_id=%s run_id=%s deadline=%s %s",
        dag_run.get("dag_id"),
        dag_run.get("dag_run_id") or dag_run.get("run_id"),
        deadline.get("deadline_time"),
        kwargs,
    )


def _event(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """The JSON-safe facts of a callback context: what failed, where, on which try, and why."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    return {
        "event": event,
        "at": datetime.now(timezone.utc).isoformat(),
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "try_number": getattr(ti, "try_number", None),
        "error": None if exception is None else f"{type(exception).__name__}: {exception}",
    }


def log_failure(context: Mapping[str, Any]) -> None:
    """A failure callback that logs one error line naming the DAG, run, task, try and exception.

    Pass it as ``on_failure_callback`` (or ``on_retry_callback``) of :func:`build_dag`.
    """
    _log.error("ecomkit task failed: %s", json.dumps(_event(context, "failure"), default=str))


class FileNotifier(BaseNotifier):  # type: ignore[misc,unused-ignore]  # BaseNotifier is untyped here
    """A notifier that appends one JSON line per event to a file (a stand-in for Slack, PagerDuty...).

    Each line holds ``event``, ``at``, ``dag_id``, ``run_id``, ``task_id``, ``try_number`` and ``error``.

    Args:
        path: the file to append to (its folder is created).
        event: the ``event`` field written (e.g. ``"failure"`` or ``"retry"``).

    Example:
        >>> build_dag(spec, on_failure_callback=FileNotifier("/var/log/ecomkit/failures.jsonl"))  # doctest: +SKIP
    """

    template_fields = ("path",)

    def __init__(self, path: str | Path, *, event: str = "failure") -> None:
        super().__init__()
        self.path = str(path)
        self.event = event

    def notify(self, context: Mapping[str, Any]) -> None:
        """Append the event's line to :attr:`path`."""
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(_event(context, self.event), default=str) + "\n")
