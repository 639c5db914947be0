"""The Prefect 3 adapter, end to end under ``prefect_test_harness()`` (a temporary local Prefect server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect", reason="needs the prefect extra: pip install 'ecomkit[prefect]'")

import duckdb
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.testing.utilities import prefect_test_harness

from ecomkit.adapters import TaskPolicy
from ecomkit.adapters.prefect import artifact_key, build_flow, retry_delays, task_options
from ecomkit.errors import QualityGateError
from ecomkit.pipeline import STAGES, PipelineSpec

STAGE_IDS = [name for name, _ in STAGES]
FAST = TaskPolicy(retries=2, retry_delay=timedelta(seconds=1), max_retry_delay=timedelta(seconds=2))


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    """One temporary Prefect server and database for this module."""
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _artifact(key: str) -> Any:
    with get_client(sync_client=True) as client:
        (latest,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=1, sort="CREATED_DESC"
        )
    return latest


def _task_runs(state: Any) -> dict[str, Any]:
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run for run in runs}  # task run names are "<task>-<suffix>"


def test_retry_delays_are_prefects_exponential_backoff_capped() -> None:
    policy = TaskPolicy(retries=5, retry_delay=timedelta(seconds=2), max_retry_delay=timedelta(seconds=10))
    assert retry_delays(policy) == [2.0, 4.0, 8.0, 10.0, 10.0]
    options = task_options(policy)
    assert options["retries"] == 5
    assert options["timeout_seconds"] == 7200.0
    assert task_options(TaskPolicy(timeout=None))["timeout_seconds"] is None


def test_artifact_keys_are_valid_prefect_keys(make_spec: Callable[..., PipelineSpec]) -> None:
    assert artifact_key(make_spec("Nightly_Shop")) == "nightly-shop-quality"


def test_flow_runs_every_stage_and_loads_duckdb(make_spec: Callable[..., PipelineSpec]) -> None:
    spec = make_spec("prefect_duckdb")
    results = build_flow(spec, policy=FAST)()
    assert list(results) == STAGE_IDS
    assert [r["stage"] for r in results.values()] == STAGE_IDS
    assert results["load"]["rows"]["orders"] == results["clean"]["rows"]["orders"]
    with duckdb.connect(spec.warehouse_target, read_only=True) as con:
        for table, rows in results["load"]["rows"].items():
            assert con.execute(f'select count(*) from "{table}"').fetchone() == (rows,)
    artifact = _artifact("prefect-duckdb-quality")
    assert artifact.type == "markdown"
    assert "| measure | value |" in artifact.data
    for name, value in results["quality"]["scores"].items():
        assert f"| score `{name}` | {value:.4f} |" in artifact.data
    report = (Path(spec.out_dir) / "quality.html").resolve()
    assert f"HTML report: `{report}`" in artifact.data
    assert report.stat().st_size > 0


def test_failing_quality_gate_fails_the_flow_without_retries(make_spec: Callable[..., PipelineSpec]) -> None:
    spec = make_spec("prefect_gate", threshold=1.0, orders=200)  # synthetic data has defects: never perfect
    flow = build_flow(spec, policy=FAST)
    with pytest.raises(QualityGateError, match=r"below the threshold 1\.000"):
        flow()
    state = flow(return_state=True)
    assert state.is_failed()
    runs = _task_runs(state)
    assert runs["quality"].state.is_failed()
    assert runs["quality"].run_count == 1  # a failed gate is not retried
    assert "metrics" not in runs
    assert "load" not in runs
    artifact = _artifact("prefect-gate-quality")
    assert "**Quality gate failed**" in artifact.data
    assert "| threshold | 1.0000 |" in artifact.data


def test_unreachable_warehouse_is_retried_then_fails_the_flow(
    make_spec: Callable[..., PipelineSpec], closed_port_url: str
) -> None:
    spec = make_spec("prefect_unreachable", target=closed_port_url, orders=100)
    state = build_flow(spec, policy=FAST)(return_state=True)
    assert state.is_failed()
    runs = _task_runs(state)
    assert runs["load"].run_count == 3  # the first try and two retries
    assert runs["load"].state.is_failed()
    assert all(runs[name].state.is_completed() for name in STAGE_IDS[:-1])
