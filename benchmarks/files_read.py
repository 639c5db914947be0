"""Benchmark: CSV into canonical Arrow — ecomkit vs raw pyarrow, pandas and polars, in one run.

Every contender produces the same result: text ids, int line numbers, float prices and UTC timestamps
from naive São Paulo wall time. Raw pyarrow (``pyarrow.csv.read_csv`` with inference, no time-zone
work) is the floor. Also reports the peak Arrow memory of ``read_csv_batches`` against the whole table,
and the time of ``read_olist`` on the Olist sample when it is present.

    python benchmarks/files_read.py            # 2,000,000 rows
    python benchmarks/files_read.py --quick    # 200,000 rows
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ecomkit.connectors import files

TZ = "America/Sao_Paulo"
MAPPING = files.schema.Mapping(
    "order_items",
    columns={"line_number": "line", "unit_price": "price", "shipping_limit_at": "shipping_limit_date"},
    defaults={"quantity": 1},
    source="bench",
    timezone=TZ,
)


def make_csv(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    order = rng.integers(0, n // 2, n)
    seconds = rng.integers(1_480_000_000, 1_535_000_000, n).astype("datetime64[s]")
    table = pa.table(
        {
            "order_id": pc.utf8_lpad(pa.array(order).cast(pa.string()), 12, "0"),
            "line": rng.integers(1, 5, n),
            "product_id": pc.utf8_lpad(pa.array(rng.integers(0, 30_000, n)).cast(pa.string()), 8, "0"),
            "price": np.round(rng.gamma(2.0, 40.0, n), 2),
            "shipping_limit_date": pa.array(seconds),
        }
    )
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_pandas(path: Path) -> object:
    import pandas as pd

    frame = pd.read_csv(
        path, dtype={"order_id": str, "product_id": str, "line": "int32"}, parse_dates=["shipping_limit_date"]
    )
    frame["shipping_limit_date"] = (
        frame["shipping_limit_date"]
        .dt.tz_localize(TZ, ambiguous="NaT", nonexistent="shift_forward")
        .dt.tz_convert("UTC")
    )
    return frame


def run_polars(path: Path) -> object:
    import polars as pl

    return pl.read_csv(
        path,
        schema_overrides={"order_id": pl.Utf8, "product_id": pl.Utf8, "line": pl.Int32},
        try_parse_dates=True,
    ).with_columns(
        pl.col("shipping_limit_date")
        .dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    args = parser.parse_args()
    n = 200_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.csv"
        make_csv(path, n)
        print(f"CSV: {n:,} rows, {path.stat().st_size / 1e6:.1f} MB")
        results = {"pyarrow.csv.read_csv (raw, no tz)": timed(lambda: pacsv.read_csv(path))}
        results["ecomkit read_csv(mapping=...)"] = timed(lambda: files.read_csv(path, mapping=MAPPING))
        results["ecomkit read_csv_batches (collected)"] = timed(
            lambda: pa.Table.from_batches(
                list(files.read_csv_batches(path, mapping=MAPPING, batch_size=100_000))
            )
        )
        for name, fn in (("pandas", run_pandas), ("polars", run_polars)):
            try:
                results[name] = timed(lambda fn=fn: fn(path))  # type: ignore[misc]
            except ImportError:
                print(f"{name} not installed; skipped")
        ours = results["ecomkit read_csv(mapping=...)"]
        for name, seconds in results.items():
            print(f"  {name:40s} {seconds:7.3f} s   ecomkit/this = {ours / seconds:5.2f}x")

        whole = files.read_csv(path, mapping=MAPPING)
        base = pa.total_allocated_bytes()
        peak = 0
        for batch in files.read_csv_batches(path, mapping=MAPPING, batch_size=50_000):
            peak = max(peak, pa.total_allocated_bytes() - base)
            del batch
        print(
            f"read_csv_batches peak Arrow memory {peak / 1e6:.1f} MB vs whole table {whole.nbytes / 1e6:.1f} MB"
        )

    olist = Path(
        os.environ.get(
            "ECOMKIT_OLIST_SAMPLE", Path(__file__).resolve().parents[2] / "shared/data/olist_sample"
        )
    )
    if (olist / "olist_orders_dataset.csv").exists():
        now = dt.datetime.now(dt.timezone.utc)
        print(f"read_olist on {olist}: {timed(lambda: files.read_olist(olist, ingested_at=now)):.3f} s")


if __name__ == "__main__":
    main()
