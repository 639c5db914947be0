"""An Airflow 3 DAG file that runs the ecomkit pipeline: extract → clean → quality gate → metrics → load.

Put this file in your DAG folder; set ``ECOMKIT_PIPELINE`` to a pipeline description (TOML) or edit the
spec below. Run it directly to test it without a scheduler::

    pip install "ecomkit[airflow]"
    python examples/airflow_dag.py

A direct run uses a throwaway Airflow home (SQLite metadata database, migrated here) unless
``AIRFLOW_HOME`` is set, runs one DAG run with ``dag.test()`` on generated data into an embedded DuckDB
warehouse, prints what each task reported through XCom, and exits non-zero unless every task succeeded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

STANDALONE = __name__ == "__main__"
if STANDALONE:  # Airflow reads its configuration on import: set up a throwaway home first
    os.environ["ECOMKIT_DAG_TEST"] = "1"  # seen by this file's copy that dag.test() parses, too
    _home = Path(os.environ.get("AIRFLOW_HOME") or tempfile.mkdtemp(prefix="ecomkit-airflow-"))
    os.environ["AIRFLOW_HOME"] = str(_home)
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(_home / "dags"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("ECOMKIT_OUT", str(_home / "ecomkit-output"))

from ecomkit.adapters import TaskPolicy  # noqa: E402
from ecomkit.adapters.airflow import FileNotifier, build_dag, deadline_alert, log_failure  # noqa: E402
from ecomkit.pipeline import PipelineSpec, SourceSpec  # noqa: E402

TESTING = os.environ.get("ECOMKIT_DAG_TEST") == "1"
OUT = Path(os.environ.get("ECOMKIT_OUT", "/tmp/ecomkit-airflow-example"))

if os.environ.get("ECOMKIT_PIPELINE"):
    spec = PipelineSpec.from_toml(os.environ["ECOMKIT_PIPELINE"])
else:
    spec = PipelineSpec(
        name="ecomkit_airflow_example",
        source=SourceSpec(kind="synthetic", orders=2_000, seed=1),
        out_dir=str(OUT),
        quality_threshold=0.5,  # the generated data carries defects on purpose; fail only if it is wrecked
    )

dag = build_dag(
    spec,
    schedule=None if TESTING else "@daily",
    policy=TaskPolicy(retries=3, retry_delay=timedelta(seconds=30), max_retry_delay=timedelta(minutes=10)),
    # Notifiers: a plain callable that logs, and a BaseNotifier subclass that appends JSON lines to a file.
    on_failure_callback=[log_failure, FileNotifier(OUT / "events.jsonl")],
    on_retry_callback=FileNotifier(OUT / "events.jsonl", event="retry"),
    # A Deadline Alert replaces Airflow 2's SLA. Airflow 3.3's dag.test() cannot finish a run of a DAG
    # that has one (it fails while pruning the run's deadlines), so a direct run leaves it out.
    deadline=None if TESTING else deadline_alert(timedelta(hours=2)),
)


def main() -> int:
    """Migrate the metadata database, run one DAG run, report it; 0 only if every task succeeded."""
    home = Path(os.environ["AIRFLOW_HOME"])
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    dags.mkdir(parents=True, exist_ok=True)
    # dag.test() registers the DAG from the DAG folder, as the DAG processor would.
    shutil.copy(__file__, dags / Path(__file__).name)
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True
    )
    if migrate.returncode != 0:
        print(migrate.stdout[-2000:], migrate.stderr[-4000:], sep="\n", file=sys.stderr)
        print("airflow db migrate failed", file=sys.stderr)
        return 1
    dag_run = dag.test()
    instances = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    print(f"\nDAG run {dag_run.run_id}: {dag_run.state} (Airflow home {home})")
    for task_id in dag.task_ids:
        ti = instances[task_id]
        xcom = ti.xcom_pull(task_ids=task_id) if str(ti.state) == "success" else None
        print(f"  {task_id:<8} {ti.state!s:<16} try {ti.try_number}  {xcom}")
    succeeded = str(dag_run.state) == "success" and all(
        str(ti.state) == "success" for ti in instances.values()
    )
    print(f"quality report: {Path(spec.out_dir) / 'quality.html'}; warehouse: {spec.warehouse_target}")
    return 0 if succeeded else 1


if STANDALONE:
    sys.exit(main())
