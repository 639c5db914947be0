"""Fixtures of the orchestrator adapter tests: an isolated Airflow home and Prefect home, small pipelines.

Airflow reads its configuration when it is first imported, so the environment is set here, when pytest
loads this file and before any test module imports Airflow: a temporary ``AIRFLOW_HOME`` with a SQLite
metadata database and its own DAG folder, and a temporary ``PREFECT_HOME``. Nothing here imports an
orchestrator, so the policy tests run in an environment without either.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ecomkit.pipeline import PipelineSpec

_SCRATCH = Path(tempfile.mkdtemp(prefix="ecomkit-orchestrators-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)

AIRFLOW_HOME = _SCRATCH / "airflow"
DAGS_FOLDER = AIRFLOW_HOME / "dags"
DAGS_FOLDER.mkdir(parents=True)
os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "PREFECT_HOME": str(_SCRATCH / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
)


@pytest.fixture
def closed_port_url() -> str:
    """A PostgreSQL URL at a port of 127.0.0.1 where nothing listens: connecting fails at once."""
    with socket.socket() as sock:  # a port that was free a moment ago, and is closed again
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere"


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., PipelineSpec]:
    """Build a small synthetic pipeline writing under a fresh folder; keyword overrides as in the TOML."""

    def make(
        name: str, *, target: str | None = None, threshold: float = 0.0, orders: int = 400
    ) -> PipelineSpec:
        data: dict[str, object] = {
            "name": name,
            "out_dir": str(tmp_path / name),
            "quality_threshold": threshold,
            "source": {"kind": "synthetic", "orders": orders, "seed": 7},
        }
        if target is not None:
            data["target"] = {"url": target, "mode": "upsert"}
        return PipelineSpec.from_dict(data)

    return make


@pytest.fixture(scope="session")
def spark() -> Any:
    """A local Spark session on two cores (PySpark is imported here, so the other adapters' venvs never need it)."""
    import warnings

    from ecomkit.adapters import spark as eks

    warnings.filterwarnings("ignore", category=FutureWarning)
    session = eks.local_session(cores=2, shuffle_partitions=4)
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="module")
def olist(olist_folder: Path) -> dict[str, pa.Table]:
    """The Olist sample as canonical tables."""
    from ecomkit.connectors.files import read_olist

    return read_olist(olist_folder)
