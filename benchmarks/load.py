"""Load N rows into PostgreSQL: ecomkit.warehouse.load vs raw ADBC adbc_ingest vs pandas.to_sql.

Also times an upsert of N rows onto N existing rows. Run from the repository root:

    PYTHONPATH=src python benchmarks/load.py            # 1,000,000 rows
    PYTHONPATH=src python benchmarks/load.py --quick    # 100,000 rows

pandas.to_sql (method="multi", chunks of 1,000 rows, through SQLAlchemy/psycopg) runs on
``--pandas-rows`` rows (default 100,000) and its time is scaled linearly to N, because the full run
would take minutes; the output says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import adbc_driver_postgresql.dbapi as adbc_pg
import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from ecomkit import schema
from ecomkit._sql import adbc_uri, engine_for
from ecomkit.warehouse import load

URL = os.environ.get("ECOMKIT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def orders(n: int, seed: int = 7) -> pa.Table:
    """N canonical-looking orders (strings, timestamps, money)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "us")
    purchased = start + rng.integers(0, 365 * 86_400_000_000, n).astype("timedelta64[us]")
    return pa.table(
        {
            "order_id": pa.array([f"o{i:09d}" for i in range(n)]),
            "customer_id": pa.array([f"c{i:07d}" for i in rng.integers(0, n // 4 + 1, n)]),
            "status": pa.array(rng.choice(["delivered", "shipped", "canceled"], n)),
            "purchased_at": pa.array(purchased, pa.timestamp("us")).cast(schema.TIMESTAMP),
            "currency": pa.array(["BRL"] * n),
            "total_amount": pa.array(np.round(rng.gamma(2.0, 60.0, n), 2)),
            "items": pa.array(rng.integers(1, 6, n), pa.int32()),
        }
    )


def create(engine: sa.Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'CREATE TABLE "{name}" (order_id text NOT NULL, customer_id text, status text, '
            f"purchased_at timestamptz, currency text, total_amount double precision, items integer)"
        )


def drop(engine: sa.Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--pandas-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = 100_000 if args.quick else args.rows
    engine = engine_for(URL)
    data = orders(n)
    print(f"{n:,} rows, {data.nbytes / 1e6:.0f} MB of Arrow, into {engine.url.render_as_string()}")

    def raw_adbc() -> float:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        create(engine, name)
        try:
            with adbc_pg.connect(adbc_uri(engine)) as conn, conn.cursor() as cur:
                start = time.perf_counter()
                cur.adbc_ingest(name, data, mode="append")
                conn.commit()
                return time.perf_counter() - start
        finally:
            drop(engine, name)

    def ecomkit_append() -> float:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        create(engine, name)
        try:
            return timed(lambda: load(data, URL, name))
        finally:
            drop(engine, name)

    raw, eco = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same server state
        raw.append(raw_adbc())
        eco.append(ecomkit_append())
    raw_s, eco_s = statistics.median(raw), statistics.median(eco)

    pn = min(n, args.pandas_rows)
    frame = data.slice(0, pn).to_pandas()
    name = f"bench_{uuid.uuid4().hex[:8]}"
    create(engine, name)
    try:
        pandas_s = timed(
            lambda: frame.to_sql(
                name, engine, if_exists="append", index=False, method="multi", chunksize=1000
            )
        )
    finally:
        drop(engine, name)
    pandas_full = pandas_s * n / pn

    name = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        load(data, URL, name, mode="upsert", key="order_id")
        changed = data.set_column(5, "total_amount", pa.compute.multiply(data.column("total_amount"), 1.1))
        upsert = load(changed, URL, name, mode="upsert", key="order_id")
    finally:
        drop(engine, name)

    print(f"raw ADBC adbc_ingest : {raw_s:7.2f} s  ({n / raw_s:12,.0f} rows/s)  median of {args.repeat}")
    print(f"ecomkit load append  : {eco_s:7.2f} s  ({n / eco_s:12,.0f} rows/s)  median of {args.repeat}")
    extrapolated = "" if pn == n else f" (measured {pandas_s:.2f} s on {pn:,} rows, scaled linearly to {n:,})"
    print(f"pandas.to_sql multi  : {pandas_full:7.2f} s  ({n / pandas_full:12,.0f} rows/s){extrapolated}")
    print(
        f"ecomkit upsert {n:,} onto {n:,}: {upsert.seconds:.2f} s ({n / upsert.seconds:,.0f} rows/s; "
        f"inserted {upsert.inserted:,}, updated {upsert.updated:,})"
    )
    print(f"ratio ecomkit / raw ADBC     : {eco_s / raw_s:.2f}x  (goal <= 1.2x)")
    print(f"speed-up vs pandas.to_sql    : {pandas_full / eco_s:.1f}x  (goal >= 20x)")


if __name__ == "__main__":
    main()
