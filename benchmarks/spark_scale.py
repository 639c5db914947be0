"""Spark scale-out: the ecomkit pipeline on growing synthetic data with local[2], time per row, vs one machine.

For each size: dedupe (latest order version) + validate + exact-median impute + order metrics + RFM summary
on Spark, and the same steps with the single-machine functions where the data fits in memory. Prints the
time per row (it should stay flat as the data grows) and the Spark / one-machine ratio.

    python benchmarks/spark_scale.py --quick          # 20k and 100k order lines
    python benchmarks/spark_scale.py                  # 1M, 5M, 20M order lines
    python benchmarks/spark_scale.py --sizes 1000000 --no-local
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ecomkit import cleaning, datasets, metrics
from ecomkit.pipeline.stages import ITEM_RULES

#: Order lines per order in the synthetic data is about 1.7; sizes are counted in order lines.
_LINES_PER_ORDER = 1.7


def _local(orders: pa.Table, items: pa.Table) -> float:
    start = time.perf_counter()
    latest = cleaning.dedupe(orders, "order_id", order_by="updated_at")
    lines = cleaning.dedupe(items, ["order_id", "line_number"])
    valid = cleaning.validate(lines, list(ITEM_RULES)).valid
    valid = cleaning.impute(valid, {"unit_price": "median"})
    metrics.order_metrics(valid)
    metrics.rfm_summary(latest, value_col="total_amount", freq="W")
    return time.perf_counter() - start


def _spark(session: object, folder: Path) -> float:
    from ecomkit.adapters import spark as eks

    start = time.perf_counter()
    orders = session.read.parquet(str(folder / "orders"))  # type: ignore[attr-defined]
    items = session.read.parquet(str(folder / "items"))  # type: ignore[attr-defined]
    latest = eks.dedupe(orders, "order_id", order_by="updated_at")
    lines = eks.dedupe(items, ["order_id", "line_number"])
    valid = eks.validate(lines, list(ITEM_RULES), cache=False).valid
    valid = eks.impute(valid, {"unit_price": "median"})
    eks.order_metrics(valid).write.mode("overwrite").format("noop").save()
    eks.rfm_summary(latest, value_col="total_amount", freq="W").write.mode("overwrite").format("noop").save()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 5_000_000, 20_000_000])
    parser.add_argument("--quick", action="store_true", help="20k and 100k lines")
    parser.add_argument("--no-local", action="store_true", help="skip the single-machine run")
    parser.add_argument("--local-limit", type=int, default=5_000_000, help="largest size run on one machine")
    args = parser.parse_args()
    sizes = [20_000, 100_000] if args.quick else args.sizes
    warnings.filterwarnings("ignore", category=FutureWarning)

    from ecomkit.adapters import spark as eks

    # applyInArrow hands each hash bucket of keys to Python as one Arrow batch: with many rows, use enough
    # buckets (shuffle partitions) that a bucket stays well inside the JVM's direct memory.
    largest = max(sizes)
    session = eks.local_session(
        cores=2,
        shuffle_partitions=max(4, largest // 250_000),
        config={"spark.driver.memory": "8g", "spark.driver.extraJavaOptions": "-XX:MaxDirectMemorySize=6g"},
    )
    session.sparkContext.setLogLevel("ERROR")
    print(
        f"{'lines':>12} {'spark s':>9} {'spark us/line':>14} {'local s':>9} {'local us/line':>14} {'spark/local':>12}"
    )
    for size in sizes:
        data = datasets.synthetic(max(1, int(size / _LINES_PER_ORDER)), seed=1)
        lines = data.order_items.num_rows
        with tempfile.TemporaryDirectory(prefix="ecomkit-spark-bench-") as tmp:
            folder = Path(tmp)
            for name, table in (("orders", data.orders), ("items", data.order_items)):
                (folder / name).mkdir()
                pq.write_table(table, folder / name / "part-0.parquet", row_group_size=256_000)
            spark_s = _spark(session, folder)
        local_s = None
        if not args.no_local and size <= args.local_limit:
            local_s = _local(data.orders, data.order_items)
        local_text = (
            f"{local_s:9.2f} {local_s / lines * 1e6:14.3f} {spark_s / local_s:12.2f}" if local_s else ""
        )
        print(f"{lines:12,d} {spark_s:9.2f} {spark_s / lines * 1e6:14.3f} {local_text}", flush=True)
        del data
    session.stop()


if __name__ == "__main__":
    main()
