"""Benchmark: ecomkit.metrics vs lifetimes — rfm_summary and the BG/NBD fit, side by side.

Run: ``python benchmarks/metrics_rfm_btyd.py [--quick] [--rows N]`` (needs ``pip install lifetimes``).
Prints times, speed-up ratios, peak memory (tracemalloc) and the fitted parameters' differences.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from ecomkit.metrics import BetaGeo, rfm_summary


def _transactions(rows: int, seed: int = 1) -> pa.Table:
    """About ``rows`` transactions drawn from a BG/NBD process (so churn is real), over two years."""
    rng = np.random.default_rng(seed)
    customers = max(rows // 6, 1)
    birth = rng.uniform(0, 700, customers)  # first purchase, in days since 2022-01-01
    lam = rng.gamma(0.9, 1 / 25.0, customers)
    drop = rng.beta(1.2, 5.0, customers)
    ids, days = [np.arange(customers)], [birth]
    t = birth.copy()
    active = np.ones(customers, dtype=bool)
    while active.any() and sum(len(d) for d in days) < rows:
        t = t + rng.exponential(1 / lam)
        active &= (t < 730) & (rng.random(customers) >= drop)
        ids.append(np.flatnonzero(active))
        days.append(t[active])
    cust = np.concatenate(ids)[:rows]
    when = np.concatenate(days)[:rows]
    us = np.datetime64("2022-01-01T00:00:00", "us") + (when * 86400e6).astype("timedelta64[us]")
    return pa.table(
        {
            "customer_id": pa.array([f"C{c:07d}" for c in cust]),
            "purchased_at": pa.array(us).cast(pa.timestamp("us", tz="UTC")),
            "amount": np.round(rng.gamma(2.0, 25.0, len(cust)), 2),
        }
    )


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, int, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k rows, one repetition")
    args = parser.parse_args()
    rows = 100_000 if args.quick else args.rows
    repeat = 1 if args.quick else 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter
        from lifetimes.utils import summary_data_from_transaction_data

    table = _transactions(rows)
    frame = table.to_pandas()
    frame["purchased_at"] = frame["purchased_at"].dt.tz_localize(None)
    print(f"transactions: {rows:,}  customers: {len(set(frame['customer_id'])):,}")

    for freq in ("D", "W"):
        ours_s, ours_mem, ours = _timed(lambda f=freq: rfm_summary(table, value_col="amount", freq=f), repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_s, theirs_mem, theirs = _timed(
                lambda f=freq: summary_data_from_transaction_data(
                    frame, "customer_id", "purchased_at", "amount", freq=f
                ),
                1,
            )
        got = ours.to_pandas().set_index("customer_id")[theirs.columns]
        diff = float(np.abs(got.to_numpy(float) - theirs.to_numpy(float)).max())
        print(
            f"rfm_summary freq={freq}: ecomkit {ours_s * 1e3:8.1f} ms ({ours_mem / 2**20:6.1f} MiB peak)  "
            f"lifetimes {theirs_s * 1e3:8.1f} ms ({theirs_mem / 2**20:6.1f} MiB peak)  "
            f"speed-up {theirs_s / ours_s:6.1f}x  max |diff| {diff:.2e}"
        )

    summary = rfm_summary(table, freq="W")
    sf = summary.to_pandas()
    ours_s, ours_mem, model = _timed(lambda: BetaGeo.fit(summary), repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_s, theirs_mem, fitter = _timed(
            lambda: BetaGeoFitter().fit(sf["frequency"], sf["recency"], sf["T"]), 1
        )
    print(
        f"BG/NBD fit ({summary.num_rows:,} customers, weeks): ecomkit {ours_s * 1e3:8.1f} ms "
        f"({ours_mem / 2**20:6.1f} MiB peak)  lifetimes {theirs_s * 1e3:8.1f} ms "
        f"({theirs_mem / 2**20:6.1f} MiB peak)  speed-up {theirs_s / ours_s:6.1f}x"
    )
    theirs_ll = -fitter._negative_log_likelihood_ * summary.num_rows
    for name, value in model.params.items():
        other = float(fitter.params_[name])
        print(
            f"  {name:>5}: ecomkit {value:.6f}  lifetimes {other:.6f}  rel. diff {abs(value / other - 1):.1e}"
        )
    print(f"  log-likelihood: ecomkit {model.log_likelihood:.3f}  lifetimes (scaled units) {theirs_ll:.3f}")


if __name__ == "__main__":
    main()
