"""How fast ecomkit.datasets.synthetic generates the canonical tables.

Prints, per size, the best wall and CPU time of a few runs (CPU time is the steadier number on a shared
machine), the rows generated across all five tables and the rows per second. There is no peer library that generates the same data; the reference line is the cost
of merely writing the result to Parquet in memory (a floor that any consumer pays), printed as a ratio.

    python benchmarks/synthetic_speed.py            # 100k and 1M orders
    python benchmarks/synthetic_speed.py --quick    # 10k and 100k orders
    python benchmarks/synthetic_speed.py --sizes 10000000 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import time

import pyarrow.parquet as pq

from ecomkit.datasets import SyntheticData, synthetic


def _best(fn: object, repeat: int) -> tuple[float, float, object]:
    """Best wall time, best CPU time of this process (robust on a busy machine), and the result."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    return best, best_cpu, result


def _to_parquet(data: SyntheticData) -> None:
    for table in data.tables.values():
        pq.write_table(table, io.BytesIO(), compression="none")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (10k, 100k orders)")
    parser.add_argument("--sizes", type=int, nargs="+", help="order counts to generate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is reported")
    args = parser.parse_args()
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [100_000, 1_000_000])

    synthetic(1_000)  # warm up imports (pandas is imported lazily by pyarrow's numpy conversion)
    print(
        f"{'orders':>10} {'wall s':>7} {'cpu s':>6} {'rows (5 tables)':>16} {'rows/s':>11} {'orders/s':>10}"
        f" {'vs parquet':>11}"
    )
    for n in sizes:
        seconds, cpu, data = _best(lambda n=n: synthetic(n, seed=1), args.repeat)
        assert isinstance(data, SyntheticData)
        rows = sum(t.num_rows for t in data.tables.values())
        floor, _, _ = _best(lambda data=data: _to_parquet(data), args.repeat)
        print(
            f"{n:>10,} {seconds:>7.2f} {cpu:>6.2f} {rows:>16,} {rows / seconds:>11,.0f} {n / seconds:>10,.0f}"
            f" {seconds / floor:>10.2f}x"
        )


if __name__ == "__main__":
    main()
