"""Run the ecomkit pipeline as a Prefect 3 flow: extract → clean → quality gate → metrics → load.

    pip install "ecomkit[prefect]"
    python examples/prefect_flow.py

Without a configured Prefect API, Prefect starts a temporary local server for the run. The flow runs on
generated data into an embedded DuckDB warehouse (set ``ECOMKIT_PIPELINE`` to a pipeline description in
TOML to run yours), publishes the quality report as a markdown artifact, prints each task's result and
exits non-zero unless the flow run completed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

# The temporary server can take a while to start on a small machine (Prefect's default wait is 20 s).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from ecomkit.adapters import TaskPolicy
from ecomkit.adapters.prefect import artifact_key, build_flow
from ecomkit.pipeline import PipelineSpec, SourceSpec


def main() -> int:
    """Run the flow once and report it; 0 only if the flow run completed."""
    if os.environ.get("ECOMKIT_PIPELINE"):
        spec = PipelineSpec.from_toml(os.environ["ECOMKIT_PIPELINE"])
    else:
        out = Path(os.environ.get("ECOMKIT_OUT") or tempfile.mkdtemp(prefix="ecomkit-prefect-"))
        spec = PipelineSpec(
            name="ecomkit_prefect_example",
            source=SourceSpec(kind="synthetic", orders=2_000, seed=1),
            out_dir=str(out),
            quality_threshold=0.5,  # the generated data carries defects on purpose; fail only if it is wrecked
        )
    flow = build_flow(
        spec,
        policy=TaskPolicy(retries=3, retry_delay=timedelta(seconds=10), timeout=timedelta(minutes=30)),
    )
    state = flow(return_state=True)
    print(f"\nflow run {state.state_details.flow_run_id}: {state.type.value}", state.message or "")
    if not state.is_completed():
        return 1
    for stage, result in state.result().items():
        print(f"  {stage:<8} rows {result['rows']}  scores {result['scores']}")
    print(f"quality artifact: {artifact_key(spec)}; report: {Path(spec.out_dir) / 'quality.html'}")
    print(f"warehouse: {spec.warehouse_target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
