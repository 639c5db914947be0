"""The whole ecomkit pipeline on Apache Spark (local[2]): clean, profile, measure, fit CLV, write Parquet.

Generates the synthetic shop with defects, then on Spark DataFrames: de-duplicates (latest version of each
order), validates with a quarantine, imputes missing prices with the product's exact median, profiles the
raw lines, computes order/customer metrics and the RFM summary, fits BG/NBD and Gamma-Gamma on the
collected summary, and writes every result as Parquet. Checks its own results and exits non-zero on failure.

    python examples/spark_pipeline.py [--orders 5000] [--out ./spark-out] [--cores 2]

Needs the ``spark`` extra: ``pip install 'ecomkit[spark]'`` (and Java 17+).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import warnings
from pathlib import Path


def main(n_orders: int, out: Path, cores: int) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)  # PySpark's note about pandas 3
    from pyspark.sql import functions as F

    from ecomkit import datasets, metrics
    from ecomkit.adapters import spark as eks
    from ecomkit.cleaning import rules
    from ecomkit.pipeline.stages import ITEM_RULES

    session = eks.local_session(cores=cores)
    session.sparkContext.setLogLevel("ERROR")
    data = datasets.synthetic(n_orders, seed=11)
    raw_orders = eks.to_spark(session, data.orders).repartition(2 * cores)
    raw_items = eks.to_spark(session, data.order_items).repartition(2 * cores)

    # clean: latest version of each order, one row per line, rules with a quarantine, exact median prices
    orders = eks.dedupe(raw_orders, "order_id", order_by="updated_at").cache()
    items = eks.dedupe(raw_items, ["order_id", "line_number"]).cache()
    checked_items = eks.validate(items, list(ITEM_RULES))
    checked_orders = eks.validate(
        orders, [rules.not_null("customer_id"), rules.isin("status", datasets.ORDER_STATUSES)]
    )
    clean_items = eks.impute(checked_items.valid, {"unit_price": "median"}, by="product_id").cache()
    clean_orders = checked_orders.valid.join(
        clean_items.select("order_id").distinct(), on="order_id", how="left_semi"
    ).cache()

    # quality of the raw lines, one profile per partition merged into the one-machine report
    report = eks.profile(
        raw_items, rules=list(ITEM_RULES), keys=["order_id", "line_number"], timestamp="shipping_limit_at"
    )

    # metrics per key, CLV models on the collected per-customer summary
    per_order = eks.order_metrics(clean_items)
    per_customer = eks.customer_metrics(clean_orders, items=clean_items)
    summary = eks.rfm_summary(clean_orders, value_col="total_amount", freq="W").cache()
    bgnbd = eks.fit(metrics.BetaGeo, summary, penalizer=0.001)
    spend = eks.fit(metrics.GammaGamma, summary.where(F.col("frequency") > 0))

    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "orders": clean_orders,
        "order_items": clean_items,
        "quarantine_items": checked_items.invalid,
        "quarantine_orders": checked_orders.invalid,
        "order_metrics": per_order,
        "customer_metrics": per_customer,
        "rfm_summary": summary,
    }
    for name, frame in outputs.items():
        frame.write.mode("overwrite").parquet(str(out / name))
    (out / "quality.json").write_text(report.to_json(), encoding="utf-8")

    counts = {name: session.read.parquet(str(out / name)).count() for name in outputs}
    print(json.dumps(counts, indent=2))
    print(
        f"quality: {report.rows:,} raw lines, {report.duplicate_rows:,} duplicates, "
        f"{report.invalid_rows:,} invalid, overall score {report.overall:.3f}"
    )
    print("BG/NBD", {k: round(v, 4) for k, v in bgnbd.params.items()})
    print("Gamma-Gamma", {k: round(v, 4) for k, v in spend.params.items()})

    failures = []
    quarantined = checked_items.invalid.select("row").distinct().count()
    if counts["order_items"] + quarantined != items.count():
        failures.append("valid + quarantined lines != de-duplicated lines")
    if report.duplicate_rows != data.order_items.num_rows - items.count():
        failures.append("the profile's duplicate count disagrees with dedupe")
    if counts["customer_metrics"] != counts["rfm_summary"] or counts["customer_metrics"] == 0:
        failures.append("customer metrics and RFM summary disagree on the number of customers")
    if clean_items.where(F.col("unit_price").isNull()).count():
        failures.append("missing prices left after imputation")
    if not all(math.isfinite(v) and v > 0 for v in (*bgnbd.params.values(), *spend.params.values())):
        failures.append("a model parameter is not a positive number")
    for failure in failures:
        print("FAILED:", failure, file=sys.stderr)
    session.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    if args.out is None:
        with tempfile.TemporaryDirectory(prefix="ecomkit-spark-") as folder:
            sys.exit(main(args.orders, Path(folder), args.cores))
    sys.exit(main(args.orders, args.out, args.cores))
