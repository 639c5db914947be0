"""PostgreSQL → Arrow → quality report: profile the orders a shop database holds.

Creates a scratch database on the local PostgreSQL server (``ECOMKIT_EXAMPLE_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test`` is used to create it), fills it with synthetic orders and
lines carrying known defects, reads them back with ``ecomkit.connectors.sql`` (ADBC binary COPY), profiles
them with business rules and writes a self-contained HTML dashboard. Checks that the report finds exactly
the injected defects, then drops the scratch database. Exits non-zero when a check fails.

    python examples/postgres_quality_report.py [--orders 20000] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from ecomkit import cleaning, datasets, metrics, quality, warehouse
from ecomkit.cleaning import rules
from ecomkit.connectors import sql
from ecomkit.connectors.progress import Progress

ADMIN_URL = os.environ.get("ECOMKIT_EXAMPLE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def report_progress(p: Progress) -> None:
    print(f"    read {p.rows:,} rows in {p.batches} batches ({p.rate:,.0f} rows/s)")


def main(n_orders: int, out: Path) -> int:
    name = f"ecomkit_example_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        sa.make_url(ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        data = datasets.synthetic(n_orders, seed=3)
        for table in ("orders", "order_items"):
            warehouse.load(data.tables[table], url, table, mode="replace")
        print(
            f"shop database {name}: {data.orders.num_rows:,} order rows, {data.order_items.num_rows:,} lines"
        )

        orders = sql.read(url, "orders", batch_size=5_000, progress=report_progress)
        items = sql.read(url, "order_items", batch_size=20_000, progress=report_progress)

        totals = metrics.order_metrics(cleaning.dedupe(items, ["order_id", "line_number"]))
        checked = orders.join(totals.select(["order_id", "product_total", "freight_total"]), "order_id")
        order_rules = [
            rules.not_null("customer_id"),
            rules.isin("status", datasets.ORDER_STATUSES),
            rules.sums_to("total_amount", ["product_total", "freight_total"], tolerance=0.01),
            rules.ordered("purchased_at", "delivered_at", severity="warn"),
        ]
        item_rules = [rules.positive("quantity"), rules.non_negative("unit_price")]
        reports = {
            "orders": quality.profile(checked, rules=order_rules, keys=["order_id"], title="orders"),
            "order_items": quality.profile(items, rules=item_rules, keys=["order_id", "line_number"]),
        }
        path = out / "postgres-quality.html"
        quality.write_dashboard(path, reports, title=f"Quality of {name}")
        for table, report in reports.items():
            print(
                f"  {table:<12} overall {report.overall:.3f}  "
                + ", ".join(f"{k} {v:.3f}" for k, v in report.scores.items())
            )
        print(f"dashboard: {path}")

        m = data.manifest
        o, i = reports["orders"], reports["order_items"]
        checks = {
            "every row read back": orders.num_rows == data.orders.num_rows
            and items.num_rows == data.order_items.num_rows,
            "exact duplicate orders found": o.exact_duplicate_rows == m.orders_exact_duplicates,
            "late updates found": o.duplicate_rows - o.exact_duplicate_rows == m.orders_late_updates,
            "missing customers found": o.rule_failures[order_rules[0].name] == m.orders_missing_customer,
            "unknown statuses found": o.rule_failures[order_rules[1].name] == m.orders_unknown_status,
            "mismatched totals found": o.rule_failures[order_rules[2].name] == m.orders_total_mismatch,
            "negative quantities found": i.rule_failures[item_rules[0].name] == m.items_negative_quantity,
            "missing prices counted": i.null_counts["unit_price"] == m.items_missing_price,
            "the dashboard is one self-contained file": "<script src=" not in path.read_text(),
        }
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for check, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(args.orders, args.out or Path(tmp)))
