"""Fixtures for the metrics tests: the CDNOW sample from an installed lifetimes, and simulators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as csv
import pytest


def _lifetimes_datasets() -> Path:
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes (test-only) is not installed")
    return Path(lifetimes.__file__).parent / "datasets"


@pytest.fixture(scope="session")
def cdnow() -> pa.Table:
    """CDNOW sample summary (2,357 customers, weeks) with frequency, recency, T, monetary_value."""
    path = _lifetimes_datasets() / "cdnow_customers_summary_with_transactions.csv"
    if not path.exists():
        pytest.skip(f"the CDNOW summary is not in the installed lifetimes ({path})")
    raw = csv.read_csv(path)
    return pa.table(
        {
            "customer_id": raw.column("ID").cast(pa.string()),
            "frequency": raw.column("x").cast(pa.float64()),
            "recency": raw.column("t_x").cast(pa.float64()),
            "T": raw.column("T").cast(pa.float64()),
            "monetary_value": raw.column("zbar").cast(pa.float64()),
        }
    )


def simulate_betageo(
    r: float, alpha: float, a: float, b: float, T: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Draw BG/NBD histories: frequency, recency, T (independent of the code under test)."""
    n = len(T)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        t[active] += rng.exponential(1 / lam[active])
        bought = active & (t <= T)
        x[bought] += 1
        tx[bought] = t[bought]
        drop = rng.random(n) < p
        active = bought & ~drop
    return pa.table({"frequency": x, "recency": tx, "T": T.astype(float)})


def simulate_paretonbd(
    r: float, alpha: float, s: float, beta: float, T: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Draw Pareto/NBD histories: frequency, recency, T."""
    n = len(T)
    lam = rng.gamma(r, 1 / alpha, n)
    mu = rng.gamma(s, 1 / beta, n)
    death = np.minimum(rng.exponential(1 / mu), T)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        t[active] += rng.exponential(1 / lam[active])
        bought = active & (t <= death)
        x[bought] += 1
        tx[bought] = t[bought]
        active = bought
    return pa.table({"frequency": x, "recency": tx, "T": T.astype(float)})


@pytest.fixture(scope="session")
def simulators() -> dict[str, object]:
    """The BG/NBD and Pareto/NBD simulators, by model name."""
    return {"betageo": simulate_betageo, "paretonbd": simulate_paretonbd}
