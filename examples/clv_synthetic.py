"""Customer lifetime value on the synthetic dataset: classic CLV and the BG/NBD + Gamma-Gamma models.

Generates orders with defects, cleans them, computes each person's classic CLV, fits BG/NBD and
Gamma-Gamma on a calibration period and checks the predictions against the holdout period.
Exits non-zero when a check fails.

    python examples/clv_synthetic.py [--orders 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np
import pyarrow.compute as pc

from ecomkit import cleaning, datasets, metrics
from ecomkit.cleaning import rules


def main(n_orders: int) -> int:
    data = datasets.synthetic(n_orders, seed=11)
    orders = cleaning.dedupe(data.orders, ["order_id"], keep="last", order_by="updated_at")
    items = cleaning.dedupe(data.order_items, ["order_id", "line_number"])
    items = cleaning.validate(items, [rules.positive("quantity"), rules.non_negative("unit_price")]).valid
    orders = cleaning.validate(orders, [rules.not_null("customer_id")]).valid
    orders = orders.filter(pc.is_in(orders.column("order_id"), items.column("order_id")))

    classic = metrics.customer_metrics(orders, items=items, lifespan_months=36)
    print(f"{classic.num_rows:,} customers; mean classic CLV {pc.mean(classic.column('clv')).as_py():,.2f}")

    # Probabilistic CLV: fit on two years, check the third.
    split = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc)
    summary = metrics.rfm_summary(
        orders,
        customer_col="customer_id",
        time_col="purchased_at",
        value_col="total_amount",
        freq="W",
        calibration_end=split,
        observation_end=end,
    )
    calibration = summary.rename_columns(
        [c.removesuffix("_cal") for c in summary.column_names]
    )  # the *_cal columns are the model's input
    bgnbd = metrics.BetaGeo.fit(calibration)
    print("BG/NBD", {k: round(v, 4) for k, v in bgnbd.params.items()}, f"LL={bgnbd.log_likelihood:,.1f}")
    horizon = float(pc.max(summary.column("duration_holdout")).as_py())
    predicted = bgnbd.conditional_expected_purchases(calibration, horizon).to_numpy(zero_copy_only=False)
    actual = summary.column("frequency_holdout").to_numpy(zero_copy_only=False).astype(float)
    ratio = predicted.sum() / max(actual.sum(), 1.0)
    print(
        f"holdout purchases: predicted {predicted.sum():,.0f}, actual {actual.sum():,.0f} (ratio {ratio:.2f})"
    )

    repeaters = calibration.filter(pc.greater(calibration.column("frequency"), 0))
    spend = metrics.GammaGamma.fit(repeaters)
    print("Gamma-Gamma", {k: round(v, 4) for k, v in spend.params.items()})
    clv = metrics.lifetime_value(bgnbd, spend, repeaters, months=12, discount_rate=0.01, freq="W")
    values = clv.column("clv").to_numpy(zero_copy_only=False)
    print(f"12-month discounted CLV of {len(values):,} repeat customers: mean {values.mean():,.2f}")

    checks = {
        "every person has one row": classic.num_rows
        == pc.count_distinct(orders.column("customer_id")).as_py(),
        "classic CLV is finite and positive": bool(
            np.all(np.isfinite(classic.column("clv").to_numpy(zero_copy_only=False)))
        ),
        "holdout purchases predicted within 35%": 0.65 <= ratio <= 1.35,
        "model CLV finite and non-negative": bool(np.all(np.isfinite(values)) and np.all(values >= 0)),
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    sys.exit(main(parser.parse_args().orders))
