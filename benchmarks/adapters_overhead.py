"""Benchmark: what an orchestrator adds to one pipeline run — in process vs Prefect 3 vs Airflow 3 dag.test().

Run: ``python benchmarks/adapters_overhead.py [--quick] [--orders N]`` in an environment with the
``prefect`` and/or ``airflow`` extra (each part is skipped when its orchestrator is missing). Every runner
runs the same pipeline (synthetic orders into a fresh DuckDB file) and the script prints the wall time of
each and its ratio to ``ecomkit.pipeline.run``. Orchestrator start-up (Prefect's temporary server, Airflow's
``db migrate``) is timed separately from the run itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="ecomkit-bench-adapters-"))
os.environ.setdefault("AIRFLOW_HOME", str(SCRATCH / "airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(SCRATCH / "airflow" / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from ecomkit.pipeline import PipelineSpec, SourceSpec, run  # noqa: E402


def _spec(name: str, orders: int) -> PipelineSpec:
    return PipelineSpec(name=name, source=SourceSpec(orders=orders, seed=3), out_dir=str(SCRATCH / name))


def _in_process(orders: int) -> float:
    run(_spec("bench_warmup", orders))  # the first run pays for imports and caches; time the second
    started = time.perf_counter()
    run(_spec("bench_inprocess", orders))
    return time.perf_counter() - started


def _prefect(orders: int) -> tuple[float, float] | None:
    if importlib.util.find_spec("prefect") is None:
        return None
    from prefect.testing.utilities import prefect_test_harness

    from ecomkit.adapters.prefect import build_flow

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        setup = time.perf_counter() - started
        flow = build_flow(_spec("bench_prefect", orders))
        started = time.perf_counter()
        state = flow(return_state=True)
        elapsed = time.perf_counter() - started
    if not state.is_completed():
        raise SystemExit(f"the Prefect flow run failed: {state.message}")
    return setup, elapsed


def _airflow(orders: int) -> tuple[float, float] | None:
    if importlib.util.find_spec("airflow") is None:
        return None
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    setup = time.perf_counter() - started
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    dags.mkdir(parents=True, exist_ok=True)
    dag_file = dags / "bench_airflow.py"
    dag_file.write_text(
        "from ecomkit.adapters.airflow import build_dag\n"
        "from ecomkit.pipeline import PipelineSpec, SourceSpec\n"
        f"dag = build_dag(PipelineSpec(name='bench_airflow', source=SourceSpec(orders={orders}, seed=3),"
        f" out_dir={str(SCRATCH / 'bench_airflow')!r}))\n"
    )
    module_spec = importlib.util.spec_from_file_location("bench_airflow_dag", dag_file)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    started = time.perf_counter()
    dag_run = module.dag.test()
    elapsed = time.perf_counter() - started
    if str(dag_run.state) != "success":
        raise SystemExit(f"the Airflow DAG run failed: {dag_run.state}")
    return setup, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 orders")
    args = parser.parse_args()
    orders = 2_000 if args.quick else args.orders
    try:
        base = _in_process(orders)
        print(f"orders: {orders}")
        print(f"{'runner':<28}{'setup s':>10}{'run s':>10}{'run / in-process':>18}")
        print(f"{'ecomkit.pipeline.run':<28}{'-':>10}{base:>10.2f}{1.0:>18.2f}")
        for name, measure in (("Prefect flow (harness)", _prefect), ("Airflow dag.test()", _airflow)):
            result = measure(orders)
            if result is None:
                print(f"{name:<28}{'not installed':>38}")
                continue
            setup, elapsed = result
            print(f"{name:<28}{setup:>10.2f}{elapsed:>10.2f}{elapsed / base:>18.2f}")
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
