"""Run an ecomkit pipeline as a Prefect 3 flow of tasks.

Needs the ``prefect`` extra: ``pip install "ecomkit[prefect]"``. Importing this module imports Prefect;
``import ecomkit`` and ``import ecomkit.adapters`` never do.

Each stage of :data:`ecomkit.pipeline.STAGES` (extract → clean → quality → metrics → load) becomes one task,
run in that order. Tasks exchange data through Parquet files under the pipeline's ``out_dir`` and the
warehouse; each task returns only its :meth:`~ecomkit.pipeline.StageResult.to_dict`. Retries follow a
:class:`~ecomkit.adapters.TaskPolicy` (``exponential_backoff`` delays, capped) with a timeout per try;
failures that a retry cannot fix (:data:`~ecomkit.adapters.NON_RETRYABLE`, among them a failed quality
gate) are not retried. The quality stage publishes a markdown artifact (key ``<name>-quality``) with the
scores and the path of the HTML report, also when the gate fails, and a failed gate fails the flow.

Example:
    >>> from ecomkit.adapters.prefect import build_flow  # doctest: +SKIP
    >>> flow = build_flow(PipelineSpec.from_toml("nightly.toml"))  # doctest: +SKIP
    >>> load = flow()["load"]  # doctest: +SKIP
    >>> load.get("rows")  # doctest: +SKIP
    {'orders': 9873, ...}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ecomkit.adapters import TaskPolicy, is_retryable
from ecomkit.errors import QualityGateError
from ecomkit.pipeline import PipelineSpec, StageResult, stages

try:
    from prefect import flow, task
    from prefect.artifacts import create_markdown_artifact
    from prefect.cache_policies import NO_CACHE
    from prefect.tasks import exponential_backoff
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    raise ModuleNotFoundError(
        "ecomkit.adapters.prefect needs Prefect 3: pip install 'ecomkit[prefect]'", name=exc.name
    ) from exc

__all__ = ["artifact_key", "build_flow", "quality_markdown", "retry_delays", "task_options"]


def retry_delays(policy: TaskPolicy) -> list[float]:
    """The ``retry_delay_seconds`` list for a policy: Prefect's ``exponential_backoff``, capped.

    Example:
        >>> retry_delays(TaskPolicy(retries=3, retry_delay=timedelta(seconds=10)))  # doctest: +SKIP
        [10.0, 20.0, 40.0]
    """
    schedule = exponential_backoff(backoff_factor=policy.retry_delay.total_seconds())(policy.retries)
    cap = policy.max_retry_delay.total_seconds()
    return [float(min(delay, cap)) for delay in schedule]


def _retry_condition(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect's ``retry_condition_fn``: retry unless the failure is one a retry cannot fix."""
    failure = state.result(raise_on_failure=False)
    return not isinstance(failure, BaseException) or is_retryable(failure)


def task_options(policy: TaskPolicy | None = None) -> dict[str, Any]:
    """The Prefect task options for a :class:`~ecomkit.adapters.TaskPolicy`.

    Args:
        policy: retries, backoff and timeout (default ``TaskPolicy()``).

    Returns:
        ``retries``, ``retry_delay_seconds`` (see :func:`retry_delays`), ``timeout_seconds``, a
        ``retry_condition_fn`` that skips retries of :data:`~ecomkit.adapters.NON_RETRYABLE` failures, and
        ``cache_policy=NO_CACHE`` (a stage always runs: its inputs are files, not task arguments).
    """
    policy = policy or TaskPolicy()
    return {
        "retries": policy.retries,
        "retry_delay_seconds": retry_delays(policy) or 0,
        "timeout_seconds": None if policy.timeout is None else policy.timeout.total_seconds(),
        "retry_condition_fn": _retry_condition,
        "cache_policy": NO_CACHE,
    }


def artifact_key(spec: PipelineSpec) -> str:
    """The key of the quality artifact: ``<name>-quality`` in lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{spec.name}-quality".lower())


def quality_markdown(
    spec: PipelineSpec, result: StageResult | None = None, *, error: QualityGateError | None = None
) -> str:
    """The quality artifact's markdown: the gate's verdict, a table of the scores, the HTML report's path.

    Args:
        spec: the pipeline.
        result: the quality stage's result (scores before and after cleaning, defects found).
        error: the gate's failure, when the stage raised one.
    """
    report = (spec.out_path / "quality.html").resolve()
    lines = [f"# Data quality: {spec.name}", ""]
    if error is not None:
        lines.append(f"**Quality gate failed**: {error}.")
    elif spec.quality_threshold > 0:
        lines.append(f"**Quality gate passed** (threshold {spec.quality_threshold:.3f}).")
    else:
        lines.append("No quality gate (threshold 0).")
    lines += ["", "| measure | value |", "| --- | ---: |"]
    if result is not None:
        lines += [f"| score `{name}` | {value:.4f} |" for name, value in result.scores.items()]
        lines += [f"| `{name}` | {value} |" for name, value in result.rows.items()]
    if error is not None:
        lines += [f"| score | {error.score:.4f} |", f"| threshold | {error.threshold:.4f} |"]
    lines += ["", f"HTML report: `{report}`", ""]
    return "\n".join(lines)


def _stage_function(name: str, spec: PipelineSpec) -> Callable[[], dict[str, Any]]:
    def run_stage() -> dict[str, Any]:
        stage = dict(stages.STAGES)[name]  # looked up at run time, so the current stage code runs
        if name != "quality":
            return stage(spec).to_dict()
        try:
            result = stage(spec)
        except QualityGateError as exc:
            create_markdown_artifact(
                quality_markdown(spec, error=exc), key=artifact_key(spec), description="quality gate failed"
            )
            raise
        create_markdown_artifact(
            quality_markdown(spec, result), key=artifact_key(spec), description="data quality scores"
        )
        return result.to_dict()

    run_stage.__name__ = name
    run_stage.__qualname__ = f"{spec.name}.{name}"
    run_stage.__doc__ = f"Run the ecomkit {name!r} stage of pipeline {spec.name!r}."
    return run_stage


def build_flow(
    spec: PipelineSpec,
    *,
    flow_name: str | None = None,
    policy: TaskPolicy | None = None,
    flow_timeout: float | None = None,
) -> Any:
    """Build a Prefect flow that runs the pipeline's stages as tasks, in order.

    Calling the flow runs it and returns ``{stage: StageResult.to_dict()}``; a stage that fails for good
    (after its retries) raises out of the flow and the flow run is ``Failed``. A failed quality gate raises
    :class:`~ecomkit.errors.QualityGateError` without retries.

    Args:
        spec: the pipeline.
        flow_name: the flow's name (default: ``spec.name``).
        policy: retries, backoff and timeout of every task (default ``TaskPolicy()``).
        flow_timeout: seconds the whole flow run may take (``None``: no limit).

    Returns:
        The Prefect ``Flow``: call it, or ``.serve(...)``/deploy it.

    Example:
        >>> result = build_flow(PipelineSpec(name="nightly"))()  # doctest: +SKIP
        >>> quality = result["quality"]  # doctest: +SKIP
        >>> quality.get("scores")  # doctest: +SKIP
        {'orders_before': 0.97, ...}
    """
    options = task_options(policy)
    tasks = [(name, task(name=name, **options)(_stage_function(name, spec))) for name, _ in stages.STAGES]

    def pipeline() -> dict[str, dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        for name, stage_task in tasks:
            results[name] = stage_task()
        return results

    pipeline.__doc__ = f"The ecomkit pipeline {spec.name!r}: {' → '.join(name for name, _ in tasks)}."
    return flow(
        name=flow_name or spec.name,
        timeout_seconds=flow_timeout,
        validate_parameters=False,
        log_prints=False,
    )(pipeline)
