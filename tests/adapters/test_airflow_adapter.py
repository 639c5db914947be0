"""The Airflow 3 adapter, end to end with ``dag.test()`` on a SQLite metadata database.

Each end-to-end test writes a real DAG file into the temporary DAG folder (``dag.test()`` registers the DAG
from its bundle, as the DAG processor would), imports it and runs one DAG run of the real pipeline stages.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="needs the airflow extra: pip install 'ecomkit[airflow]'")

import sqlalchemy as sa
from airflow.sdk import DAG

from ecomkit.adapters import TaskPolicy
from ecomkit.adapters.airflow import (
    FileNotifier,
    build_dag,
    build_task_group,
    deadline_alert,
    log_deadline_missed,
    log_failure,
    task_arguments,
)
from ecomkit.errors import ConfigError
from ecomkit.pipeline import STAGES, PipelineSpec

AIRFLOW_HOME = Path(os.environ["AIRFLOW_HOME"])  # set by conftest.py
DAGS_FOLDER = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
STAGE_IDS = [name for name, _ in STAGES]
FAST = TaskPolicy(retries=2, retry_delay=timedelta(seconds=1), max_retry_delay=timedelta(seconds=2))


@pytest.fixture(scope="module", autouse=True)
def airflow_db() -> Iterator[None]:
    """``airflow db migrate`` on the temporary SQLite database, once for this module."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (AIRFLOW_HOME / "airflow.db").exists()
    return


def _toml(spec: PipelineSpec) -> str:
    lines = [
        f"name = {json.dumps(spec.name)}",
        f"out_dir = {json.dumps(spec.out_dir)}",
        f"quality_threshold = {spec.quality_threshold}",
        "[source]",
        f"kind = {json.dumps(spec.source.kind)}",
        f"orders = {spec.source.orders}",
        f"seed = {spec.source.seed}",
        "[target]",
        f"url = {json.dumps(spec.target.url)}",
        f"mode = {json.dumps(spec.target.mode)}",
    ]
    return "\n".join(lines) + "\n"


def _dag_file(spec: PipelineSpec, events: Path) -> Any:
    """Write ``<dags>/<name>.py`` building the DAG from a TOML pipeline file, import it, return its DAG."""
    toml = Path(spec.out_dir).with_suffix(".toml")
    toml.write_text(_toml(spec))
    source = f"""
from datetime import timedelta

from ecomkit.adapters import TaskPolicy
from ecomkit.adapters.airflow import FileNotifier, build_dag, log_failure
from ecomkit.pipeline import PipelineSpec

EVENTS = {str(events)!r}
dag = build_dag(
    PipelineSpec.from_toml({str(toml)!r}),
    policy=TaskPolicy(retries=2, retry_delay=timedelta(seconds=1), max_retry_delay=timedelta(seconds=2)),
    on_failure_callback=[FileNotifier(EVENTS), log_failure],
    on_retry_callback=FileNotifier(EVENTS, event="retry"),
)
"""
    path = DAGS_FOLDER / f"{spec.name}.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location(f"ecomkit_test_dag_{spec.name}", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.dag


def _outcome(dag_run: Any) -> dict[str, tuple[str, int]]:
    return {ti.task_id: (str(ti.state), ti.try_number) for ti in dag_run.get_task_instances()}


def _xcoms(dag_run: Any) -> dict[str, dict[str, Any]]:
    return {
        ti.task_id: ti.xcom_pull(task_ids=ti.task_id)
        for ti in dag_run.get_task_instances()
        if str(ti.state) == "success"
    }


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# ---------------------------------------------------------------- the DAG's shape (no run)


def test_dag_chains_one_task_per_stage_with_the_policy(make_spec: Callable[..., PipelineSpec]) -> None:
    policy = TaskPolicy(retries=4, retry_delay=timedelta(seconds=5), max_retry_delay=timedelta(minutes=3))
    dag = build_dag(make_spec("shape"), policy=policy, schedule="@daily")
    assert [t.task_id for t in dag.topological_sort()] == STAGE_IDS
    for upstream, downstream in itertools.pairwise(STAGE_IDS):
        assert dag.task_dict[upstream].downstream_task_ids == {downstream}
    for task in dag.tasks:
        assert task.retries == 4
        assert task.retry_delay == timedelta(seconds=5)
        assert task.retry_exponential_backoff == 2.0
        assert task.max_retry_delay == timedelta(minutes=3)
        assert task.execution_timeout == timedelta(hours=2)
    assert dag.dag_id == "shape"
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert "ecomkit" in dag.tags


def test_priority_pool_and_success_callback_reach_the_dag(make_spec: Callable[..., PipelineSpec]) -> None:
    policy = TaskPolicy(priority_weight=7, pool="shop_api")
    dag = build_dag(make_spec("prio"), policy=policy, on_dag_success_callback=log_failure)
    assert {(t.priority_weight, t.pool) for t in dag.tasks} == {(7, "shop_api")}
    assert dag.on_success_callback == [log_failure]
    assert "pool" not in task_arguments(TaskPolicy())


def test_dag_has_no_sla_or_email_options(make_spec: Callable[..., PipelineSpec]) -> None:
    arguments = task_arguments(FAST, on_failure_callback=log_failure)
    assert not {key for key in arguments if key.startswith(("sla", "email"))}
    dag = build_dag(make_spec("no_sla"))
    assert all(not task.email for task in dag.tasks)  # no recipients: Airflow sends no mail


def test_task_group_embeds_the_pipeline_in_a_larger_dag(make_spec: Callable[..., PipelineSpec]) -> None:
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG(dag_id="shop", schedule=None) as dag:
        start = EmptyOperator(task_id="start")
        group = build_task_group(make_spec("nightly"), group_id="ecomkit", policy=FAST)
        start >> group
    ids = [t.task_id for t in dag.topological_sort()]
    assert ids == ["start"] + [f"ecomkit.{name}" for name in STAGE_IDS]
    assert dag.task_dict["start"].downstream_task_ids == {"ecomkit.extract"}
    assert dag.task_dict["ecomkit.load"].retries == 2


def test_deadline_alert_is_attached_and_serialized(make_spec: Callable[..., PipelineSpec]) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    alert = deadline_alert(timedelta(minutes=45), kwargs={"team": "data"})
    dag = build_dag(make_spec("late"), deadline=alert)
    assert alert in list(dag.deadline)
    serialized = json.dumps(DagSerialization.serialize_dag(dag), default=str)
    assert "ecomkit.adapters.airflow.log_deadline_missed" in serialized
    assert "2700" in serialized  # 45 minutes, in seconds
    with pytest.raises(ConfigError, match="interval"):
        deadline_alert(timedelta(0))


def test_deadline_callback_names_the_late_run(caplog: pytest.LogCaptureFixture) -> None:
    # the context Airflow's scheduler hands a missed deadline's callback
    context = {
        "dag_run": {"dag_id": "nightly", "dag_run_id": "manual__1"},
        "deadline": {"deadline_time": "t"},
    }
    with caplog.at_level(logging.WARNING, logger="ecomkit.adapters.airflow"):
        asyncio.run(log_deadline_missed(context=context, team="data"))
    assert "dag_id=nightly run_id=manual__1" in caplog.text
    assert "'team': 'data'" in caplog.text


def test_log_failure_names_the_task_try_and_error(caplog: pytest.LogCaptureFixture) -> None:
    ti = SimpleNamespace(dag_id="nightly", run_id="r1", task_id="load", try_number=3)
    with caplog.at_level(logging.ERROR, logger="ecomkit.adapters.airflow"):
        log_failure({"ti": ti, "exception": ConnectionError("refused")})
    line = json.loads(caplog.records[-1].getMessage().split(": ", 1)[1])
    assert (line["dag_id"], line["task_id"], line["try_number"]) == ("nightly", "load", 3)
    assert line["error"] == "ConnectionError: refused"


# ---------------------------------------------------------------- dag.test() end to end


def test_dag_run_loads_the_duckdb_warehouse(make_spec: Callable[..., PipelineSpec], tmp_path: Path) -> None:
    import duckdb

    spec = make_spec("to_duckdb")
    events = tmp_path / "events.jsonl"
    dag_run = _dag_file(spec, events).test()
    assert str(dag_run.state) == "success", _outcome(dag_run)
    assert _outcome(dag_run) == dict.fromkeys(STAGE_IDS, ("success", 1))
    xcoms = _xcoms(dag_run)
    # only small metrics travel through XCom
    assert all(len(json.dumps(value)) < 4000 for value in xcoms.values())
    assert xcoms["load"]["rows"]["orders"] == xcoms["clean"]["rows"]["orders"]
    with duckdb.connect(spec.warehouse_target, read_only=True) as con:
        for table, rows in xcoms["load"]["rows"].items():
            assert con.execute(f'select count(*) from "{table}"').fetchone() == (rows,)
    assert (Path(spec.out_dir) / "quality.html").stat().st_size > 0
    assert _events(events) == []


@pytest.mark.postgres
def test_dag_run_loads_postgresql(
    make_spec: Callable[..., PipelineSpec], postgres_url: str, tmp_path: Path
) -> None:
    spec = make_spec("to_postgres", target=postgres_url)
    dag_run = _dag_file(spec, tmp_path / "events.jsonl").test()
    assert str(dag_run.state) == "success", _outcome(dag_run)
    loaded = _xcoms(dag_run)["load"]["rows"]
    assert loaded["orders"] > 0
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            for table, rows in loaded.items():
                count = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
                assert count == rows, table
    finally:
        engine.dispose()


def test_unreachable_warehouse_is_retried_then_fails_with_callbacks(
    make_spec: Callable[..., PipelineSpec], closed_port_url: str, tmp_path: Path
) -> None:
    spec = make_spec("unreachable", target=closed_port_url, orders=100)
    events = tmp_path / "events.jsonl"
    dag_run = _dag_file(spec, events).test()
    assert str(dag_run.state) == "failed"
    outcome = _outcome(dag_run)
    assert outcome["load"] == ("failed", 3)  # the first try and two retries
    assert all(outcome[name] == ("success", 1) for name in STAGE_IDS[:-1])
    seen = [(e["event"], e["task_id"], e["try_number"]) for e in _events(events)]
    assert seen == [("retry", "load", 1), ("retry", "load", 2), ("failure", "load", 3)]
    assert all(e["dag_id"] == "unreachable" and e["error"] for e in _events(events))


def test_failed_quality_gate_fails_the_run_without_retries(
    make_spec: Callable[..., PipelineSpec], tmp_path: Path
) -> None:
    spec = make_spec("gate", threshold=1.0, orders=200)  # the synthetic data carries defects: never perfect
    events = tmp_path / "events.jsonl"
    dag_run = _dag_file(spec, events).test()
    assert str(dag_run.state) == "failed"
    outcome = _outcome(dag_run)
    assert outcome["quality"] == ("failed", 1)
    assert outcome["metrics"][0] == outcome["load"][0] == "upstream_failed"
    (event,) = _events(events)
    assert (event["event"], event["task_id"]) == ("failure", "quality")
    assert "QualityGateError" in event["error"]
    assert "threshold 1.000" in event["error"]
    assert (Path(spec.out_dir) / "quality.html").exists()  # the report is written before the gate fails


def test_file_notifier_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "events.jsonl"
    notifier = FileNotifier(path, event="retry")
    for try_number in (1, 2):
        ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", try_number=try_number)
        notifier.notify({"ti": ti, "exception": ValueError("boom")})
    assert [(e["event"], e["try_number"], e["error"]) for e in _events(path)] == [
        ("retry", 1, "ValueError: boom"),
        ("retry", 2, "ValueError: boom"),
    ]
