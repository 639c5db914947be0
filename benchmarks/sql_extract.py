"""Read N rows × 6 columns from PostgreSQL into Arrow: ecomkit.connectors.sql vs its peers, in one run.

Peers: raw ADBC ``fetch_arrow_table`` (target: ecomkit within 1.2×), SQLAlchemy ``fetchall`` →
``pa.Table.from_pylist`` (target: ecomkit ≥ 5× faster) and ``pandas.read_sql`` → Arrow. Also the peak RSS
of streaming the table with ``read_batches`` (in a fresh process) against the table's Arrow size: memory
bounded by the batch, not the table. Run from the repository root:

    PYTHONPATH=src python benchmarks/sql_extract.py              # 1,000,000 rows
    PYTHONPATH=src python benchmarks/sql_extract.py --quick      # 100,000 rows
    PYTHONPATH=src python benchmarks/sql_extract.py --rss-rows 5000000

The table (id, customer, amount numeric(12,2), qty, purchased_at timestamptz, status) is generated
by the server and dropped afterwards. Times are the best of ``--repeat`` rounds in which the
readers take turns, so a busy machine slows each of them alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import adbc_driver_postgresql.dbapi as adbc_pg
import pyarrow as pa
import sqlalchemy as sa

from ecomkit._sql import adbc_uri, engine_for
from ecomkit.connectors import sql

URL = os.environ.get("ECOMKIT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def create(engine: sa.Engine, name: str, rows: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'CREATE TABLE "{name}" AS SELECT g::bigint AS id, '
            f"'customer-' || mod(g, 50000) AS customer, (mod(g, 100000) / 100.0)::numeric(12, 2) AS amount, "
            f"mod(g, 7)::int AS qty, timestamptz '2024-01-01' + g * interval '1 second' AS purchased_at, "
            f"(ARRAY['delivered', 'shipped', 'canceled'])[mod(g, 3) + 1] AS status "
            f"FROM generate_series(1, {rows}) g"
        )
        conn.exec_driver_sql(f'ANALYZE "{name}"')


def interleaved(
    runs: dict[str, Callable[[], pa.Table]], repeat: int
) -> tuple[dict[str, float], dict[str, pa.Table]]:
    """Best time of each run over ``repeat`` rounds, the runs taking turns (fair on a busy machine)."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    tables: dict[str, pa.Table] = {}
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            tables[label] = run()
            times[label].append(time.perf_counter() - start)
    return {label: min(ts) for label, ts in times.items()}, tables


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_child(name: str, batch_size: int) -> None:
    """(Runs in a fresh process.) Stream the table; print rows, RSS before and peak RSS (MiB)."""
    sql.read(URL, sa.text("SELECT 1 AS warm_up"))
    base = _status_mib("VmRSS")
    rows = 0
    for batch in sql.read_batches(URL, name, batch_size=batch_size):
        rows += batch.num_rows
    print(rows, base, _status_mib("VmHWM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--rss-rows", type=int, default=None, help="rows for the RSS check (default: --rows)")
    parser.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        peak_rss_child(args.rss_child, args.batch_size)
        return
    rows = 100_000 if args.quick else args.rows
    engine = engine_for(URL)
    name = f"bench_read_{uuid.uuid4().hex[:8]}"
    create(engine, name, rows)
    try:
        results: dict[str, float] = {}

        def ecomkit() -> pa.Table:
            return sql.read(URL, name, batch_size=args.batch_size)

        def adbc() -> pa.Table:
            with adbc_pg.connect(adbc_uri(URL)) as conn, conn.cursor() as cur:
                cur.execute(f'SELECT * FROM "{name}"')
                table: pa.Table = cur.fetch_arrow_table()
                return table

        def sqlalchemy_rows() -> pa.Table:
            with engine.connect() as conn:
                result = conn.execute(sa.text(f'SELECT * FROM "{name}"'))
                return pa.Table.from_pylist([dict(row._mapping) for row in result.fetchall()])

        def pandas_read_sql() -> pa.Table:
            import pandas as pd

            return pa.Table.from_pandas(pd.read_sql(f'SELECT * FROM "{name}"', engine), preserve_index=False)

        timed, tables = interleaved(
            {"ecomkit sql.read": ecomkit, "raw ADBC fetch_arrow_table": adbc}, args.repeat
        )
        results.update(timed)
        ours, theirs = tables["ecomkit sql.read"], tables["raw ADBC fetch_arrow_table"]
        slow, _ = interleaved(
            {
                "SQLAlchemy fetchall → from_pylist": sqlalchemy_rows,
                "pandas.read_sql → Arrow": pandas_read_sql,
            },
            max(1, args.repeat // 2),
        )
        results.update(slow)
        assert ours.num_rows == theirs.num_rows == rows
        print(f"read {rows:,} rows × {ours.num_columns} columns from PostgreSQL into Arrow")
        print(f"  ecomkit schema: {', '.join(f'{f.name}:{f.type}' for f in ours.schema)}")
        print(f"  ADBC schema:    {', '.join(f'{f.name}:{f.type}' for f in theirs.schema)}")
        for label, seconds in results.items():
            print(f"  {label:<36} {seconds:8.3f} s  {rows / seconds:12,.0f} rows/s")
        mine = results["ecomkit sql.read"]
        print(
            f"  ecomkit / raw ADBC:            {mine / results['raw ADBC fetch_arrow_table']:.2f}×  (goal <= 1.2×)"
        )
        print(
            f"  SQLAlchemy rows / ecomkit:     {results['SQLAlchemy fetchall → from_pylist'] / mine:.1f}×  "
            "(goal >= 5×)"
        )
        print(f"  pandas.read_sql / ecomkit:     {results['pandas.read_sql → Arrow'] / mine:.1f}×")

        rss_rows = args.rss_rows or rows
        rss_name = name
        if rss_rows != rows:
            rss_name = f"{name}_rss"
            create(engine, rss_name, rss_rows)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--rss-child", rss_name, "--batch-size", str(args.batch_size)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            streamed, base_mib, peak_mib = int(out[0]), float(out[1]), float(out[2])
            table_mib = ours.nbytes / 2**20 * rss_rows / rows
            print(
                f"  read_batches over {streamed:,} rows (batch {args.batch_size:,}): peak RSS {peak_mib:.0f} MiB "
                f"(RSS before the read {base_mib:.0f} MiB); the whole table as Arrow is ≈ {table_mib:.0f} MiB"
            )
        finally:
            if rss_name != name:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f'DROP TABLE "{rss_name}"')
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
