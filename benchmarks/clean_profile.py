"""Clean + profile benchmark: ecomkit vs polars vs DuckDB SQL vs pandas on the same order-item rows.

The pipeline: dedupe on (order_id, line_number) keeping the latest ``updated_at`` version, impute missing
``unit_price`` with the exact median per ``product_id`` (global median where a product has none), five rules
(quarantining failures), then a profile of the cleaned rows: per-column null and distinct counts,
min/max/mean/median of the numeric columns, exact-duplicate rows and rule failure counts. The peers do only
that; ecomkit's profile does more on top (key duplicates, all seven quantiles and stddev of every number,
histograms, text top values and lengths, the rules again with samples, scores), so the comparison does not
flatter ecomkit. Each peer is written idiomatically (polars sorts only the key/version columns before
gathering the survivors). Each engine runs in its own process, reading the same Arrow IPC file, so its time
and peak RSS are its own. Results are asserted equal (against ecomkit, or the first engine run).

    python benchmarks/clean_profile.py --rows 10000000
    python benchmarks/clean_profile.py --quick          # 200k rows
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KEYS = ["order_id", "line_number"]
ENGINES = ("ecomkit", "polars", "duckdb", "pandas")


def generate(rows: int, seed: int = 7) -> pa.Table:
    """Order items with injected defects: late-arriving updates, null/bad prices, negative quantities."""
    rng = np.random.default_rng(seed)
    base = int(rows * 0.95)
    # unique (order, line) pairs, two to three lines an order, in shuffled order; then updates of random rows
    position = rng.permutation(base)
    orders = (position // 3).astype(np.int64)
    line = (position % 3 + 1).astype(np.int32)
    picks = rng.integers(0, base, rows - base)
    orders = np.concatenate([orders, orders[picks]])
    line = np.concatenate([line, line[picks]])
    t0 = 1_700_000_000_000_000
    updated = t0 + rng.integers(0, 10**12, rows)
    updated[base:] = updated[picks] + rng.integers(1, 10**9, rows - base)
    products = rng.integers(0, 30_000, rows)
    price = np.round(rng.gamma(2.0, 60.0, rows), 2)
    quantity = rng.integers(1, 5, rows).astype(np.int32)
    bad = rng.random(rows)
    price_null = bad < 0.02
    quantity[(bad >= 0.02) & (bad < 0.025)] *= -1
    price[(bad >= 0.025) & (bad < 0.03)] = 25_000.0
    product_null = (bad >= 0.03) & (bad < 0.031)

    def ids(prefix: str, values: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), pa.string()), "")

    ts = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "order_id": ids("o", orders),
            "line_number": pa.array(line),
            "product_id": pc.if_else(
                pa.array(product_null), pa.scalar(None, pa.string()), ids("p", products)
            ),
            "seller_id": ids("s", rng.integers(0, 3_000, rows)),
            "quantity": pa.array(quantity),
            "unit_price": pa.array(price, mask=price_null),
            "freight": pa.array(np.round(rng.gamma(1.5, 10.0, rows), 2)),
            "shipping_limit_at": pa.array(t0 + rng.integers(0, 10**12, rows)).cast(ts),
            "updated_at": pa.array(updated).cast(ts),
            "source": pa.repeat(pa.scalar("bench"), rows),
        }
    )


# --- the pipeline in each engine -------------------------------------------------------------------------


def run_ecomkit(table: pa.Table) -> dict[str, Any]:
    from ecomkit.cleaning import Dedupe, Impute, clean, rules
    from ecomkit.quality import profile

    checks = [
        rules.not_null("product_id"),
        rules.positive("quantity"),
        rules.between("unit_price", 0.01, 10_000),
        rules.non_negative("freight"),
        rules.max_length("seller_id", 12),
    ]
    out = clean(
        table,
        dedupe=Dedupe(keys=tuple(KEYS), keep="last", order_by=("updated_at",)),
        impute=Impute({"unit_price": "median"}, by=("product_id",)),
        rules=checks,
    )
    report = profile(out.table, rules=checks, keys=KEYS)
    return {
        "rows_out": out.table.num_rows,
        "quarantined": out.report.quarantined_rows,
        "price_sum": round(float(pc.sum(out.table["unit_price"]).as_py()), 2),
        "exact_duplicates": report.exact_duplicate_rows,
        "nulls": dict(report.null_counts),
        "distinct_orders": report.fields["order_id"].distinct,
        "median_price": round(report.fields["unit_price"].quantiles["p50"], 6),
    }


def run_polars(table: pa.Table) -> dict[str, Any]:
    import polars as pl

    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    df = df.with_row_index("__row")
    # sort only the key/version columns, then gather the surviving rows in input order
    survivors = (
        df.select([*KEYS, "updated_at", "__row"])
        .sort(["updated_at", "__row"], nulls_last=False)
        .unique(KEYS, keep="last", maintain_order=False)
        .get_column("__row")
        .sort()
    )
    latest = df.select(pl.all().gather(survivors))
    global_median = latest["unit_price"].median()
    latest = latest.with_columns(
        pl.col("unit_price").fill_null(
            pl.col("unit_price").median().over("product_id").fill_null(global_median)
        )
    )
    ok = (
        pl.col("product_id").is_not_null()
        & (pl.col("quantity") > 0).fill_null(True)
        & pl.col("unit_price").is_between(0.01, 10_000).fill_null(True)
        & (pl.col("freight") >= 0).fill_null(True)
        & (pl.col("seller_id").str.len_chars() <= 12).fill_null(True)
    )
    flagged = latest.with_columns(ok.alias("__ok"))
    valid = flagged.filter(pl.col("__ok")).drop(["__ok", "__row"])
    quarantined = flagged.height - valid.height
    nulls = valid.null_count().row(0, named=True)
    numeric = ["line_number", "quantity", "unit_price", "freight"]
    valid.select(
        [pl.col(c).n_unique().alias(f"d_{c}") for c in valid.columns]
        + [pl.col(c).min().alias(f"min_{c}") for c in numeric]
        + [pl.col(c).max().alias(f"max_{c}") for c in numeric]
        + [pl.col(c).mean().alias(f"mean_{c}") for c in numeric]
    )
    median_price = valid["unit_price"].median()
    exact = valid.height - valid.unique().height
    return {
        "rows_out": valid.height,
        "quarantined": quarantined,
        "price_sum": round(float(valid["unit_price"].sum()), 2),
        "exact_duplicates": exact,
        "nulls": {k: int(v) for k, v in nulls.items()},
        "distinct_orders": valid["order_id"].n_unique(),
        "median_price": round(float(median_price), 6),
    }


def run_duckdb(table: pa.Table) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.register("items", table)
    con.execute("""
        CREATE TEMP TABLE latest AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY order_id, line_number
                                         ORDER BY updated_at DESC NULLS LAST, r DESC) AS rn
            FROM (SELECT *, row_number() OVER () AS r FROM items)
        ) WHERE rn = 1 ORDER BY r
    """)
    con.execute("""
        CREATE TEMP TABLE filled AS
        WITH med AS (SELECT product_id, median(unit_price) AS m FROM latest GROUP BY product_id),
             g AS (SELECT median(unit_price) AS gm FROM latest)
        SELECT l.* REPLACE (coalesce(l.unit_price, med.m, g.gm) AS unit_price)
        FROM latest l LEFT JOIN med ON l.product_id IS NOT DISTINCT FROM med.product_id, g
    """)
    con.execute("""
        CREATE TEMP TABLE valid AS SELECT * EXCLUDE (r) FROM filled WHERE product_id IS NOT NULL
          AND coalesce(quantity > 0, true) AND coalesce(unit_price BETWEEN 0.01 AND 10000, true)
          AND coalesce(freight >= 0, true) AND coalesce(length(seller_id) <= 12, true)
        ORDER BY r
    """)
    total = con.execute("SELECT count(*) FROM filled").fetchone()[0]  # type: ignore[index]
    cols = [r[0] for r in con.execute("DESCRIBE valid").fetchall()]
    numeric = ["line_number", "quantity", "unit_price", "freight"]
    parts = [f'count(*) - count("{c}") AS "n_{c}"' for c in cols]
    parts += [f'count(DISTINCT "{c}")' for c in cols]
    parts += [f'min("{c}"), max("{c}"), avg("{c}")' for c in numeric]
    parts += ["median(unit_price) AS med", "sum(unit_price) AS s", "count(*) AS rows"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM valid").fetchone()
    assert row is not None
    names = [d[0] for d in con.description]  # type: ignore[union-attr]
    stats = dict(zip(names, row, strict=True))
    distinct_all = con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM valid)").fetchone()[0]  # type: ignore[index]
    distinct_orders = con.execute("SELECT count(DISTINCT order_id) FROM valid").fetchone()[0]  # type: ignore[index]
    return {
        "rows_out": stats["rows"],
        "quarantined": total - stats["rows"],
        "price_sum": round(float(stats["s"]), 2),
        "exact_duplicates": stats["rows"] - distinct_all,
        "nulls": {c: int(stats[f"n_{c}"]) for c in cols},
        "distinct_orders": distinct_orders,
        "median_price": round(float(stats["med"]), 6),
    }


def run_pandas(table: pa.Table) -> dict[str, Any]:
    import pandas as pd

    df = table.to_pandas()
    df["__row"] = np.arange(len(df))
    latest = (
        df.sort_values(["updated_at", "__row"], na_position="first", kind="stable")
        .drop_duplicates(KEYS, keep="last")
        .sort_values("__row")
    )
    global_median = latest["unit_price"].median()
    by_product = latest.groupby("product_id", dropna=False)["unit_price"].transform("median")
    latest["unit_price"] = latest["unit_price"].fillna(by_product.fillna(global_median))
    ok = (
        latest["product_id"].notna()
        & ~(latest["quantity"] <= 0)
        & ~((latest["unit_price"] < 0.01) | (latest["unit_price"] > 10_000))
        & ~(latest["freight"] < 0)
        & ~(latest["seller_id"].str.len() > 12)
    )
    valid = latest[ok].drop(columns="__row")
    nulls = valid.isna().sum().to_dict()
    valid.nunique()
    numeric = ["line_number", "quantity", "unit_price", "freight"]
    valid[numeric].agg(["min", "max", "mean"])
    exact = int(valid.duplicated().sum())
    return {
        "rows_out": len(valid),
        "quarantined": int(len(latest) - len(valid)),
        "price_sum": round(float(valid["unit_price"].sum()), 2),
        "exact_duplicates": exact,
        "nulls": {k: int(v) for k, v in nulls.items()},
        "distinct_orders": int(valid["order_id"].nunique()),
        "median_price": round(float(valid["unit_price"].median()), 6),
        "_pandas_version": pd.__version__,
    }


RUNNERS = {"ecomkit": run_ecomkit, "polars": run_polars, "duckdb": run_duckdb, "pandas": run_pandas}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(engine: str, path: str) -> None:
    """Run one engine on the IPC file and print its timings and memory as JSON."""
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    table = table.combine_chunks()  # materialize: the input is in memory, as in a pipeline
    modules = {"ecomkit": ["ecomkit.cleaning", "ecomkit.quality"], "pandas": ["pandas"], "polars": ["polars"]}
    for module in modules.get(engine, ["duckdb"]):
        __import__(module)  # imports are not the pipeline's memory
    baseline = _rss_mb()
    start = time.perf_counter()
    result = RUNNERS[engine](table)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "baseline_mb": baseline, "result": result}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200k rows")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.input)
        return
    rows = 200_000 if args.quick else args.rows
    table = generate(rows)
    input_mb = table.nbytes / 2**20
    print(f"{rows:,} order-item rows, {input_mb:,.0f} MiB as Arrow")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "items.arrow")
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        del table
        results: dict[str, dict[str, Any]] = {}
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        for engine in args.engines.split(","):
            run = subprocess.run(
                [sys.executable, __file__, "--child", engine, "--input", path],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if run.returncode != 0:
                print(f"{engine} failed:\n{run.stderr[-3000:]}")
                continue
            results[engine] = json.loads(run.stdout.strip().splitlines()[-1])
            r = results[engine]
            print(
                f"{engine:>8}: {r['seconds']:7.2f} s   peak RSS {r['peak_mb']:7.0f} MiB "
                f"(+{r['peak_mb'] - r['baseline_mb']:6.0f} over the loaded input; "
                f"{(r['peak_mb'] - r['baseline_mb']) / input_mb:4.2f}x input, total {r['peak_mb'] / input_mb:4.2f}x)"
            )
    first = next(iter(results.values()), {})
    reference = results.get("ecomkit", first).get("result")
    for engine, r in results.items():
        got = {k: v for k, v in r["result"].items() if not k.startswith("_")}
        want = {k: v for k, v in (reference or {}).items() if not k.startswith("_")}
        # float sums differ in the last cent with summation order; compare them relatively
        close = math.isclose(got.pop("price_sum"), want.pop("price_sum"), rel_tol=1e-9)
        same = got == want and close
        if not same:
            diff = {k: (want.get(k), got.get(k)) for k in set(got) | set(want) if want.get(k) != got.get(k)}
            print(f"  {engine} result differs from the reference: {diff}")
        assert same, engine
    if "ecomkit" in results:
        mine = results["ecomkit"]["seconds"]
        for engine, r in results.items():
            if engine != "ecomkit":
                print(f"ecomkit vs {engine:>7}: {r['seconds'] / mine:5.2f}x faster")
    print("results equal across engines:", ", ".join(results))


if __name__ == "__main__":
    main()
