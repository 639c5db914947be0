from __future__ import annotations

import datetime as dt
import json
import math

import pyarrow as pa
import pytest

from ecomkit.cleaning import rules
from ecomkit.errors import ConfigError, MissingColumnError
from ecomkit.quality import DEFAULT_WEIGHTS, profile

UTC = dt.timezone.utc


def _items() -> pa.Table:
    return pa.table(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o3", "o4"],
            "line": [1, 1, 1, 1, 2, 1],
            "price": [10.0, 10.0, None, -4.0, 2.0, math.nan],
            "qty": [1, 1, 2, 3, 0, 5],
            "at": pa.array(
                [dt.datetime(2024, 1, d, tzinfo=UTC) for d in (1, 1, 2, 3, 3)]
                + [dt.datetime(2031, 1, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )


def test_counts_and_scores_by_hand() -> None:
    report = profile(
        _items(),
        rules=[rules.positive("price"), rules.positive("qty"), rules.not_null("price", severity="warn")],
        keys=["order_id", "line"],
        timestamp="at",
        now=dt.datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert report.rows == 6
    assert report.columns == 5
    assert report.exact_duplicate_rows == 1  # the second o1 row
    assert report.duplicate_rows == 1
    assert report.null_counts == {"order_id": 0, "line": 0, "price": 2, "qty": 0, "at": 0}
    assert report.rule_failures == {
        "positive(price)": 1,
        "positive(qty)": 1,
        "not_null(price)": 2,
        "not_future(at)": 1,
    }
    # error failures: row 3 (price -4), row 4 (qty 0)
    assert (report.valid_rows, report.invalid_rows) == (4, 2)
    assert report.warned_rows == 2  # rows 2 and 5 fail only warn rules
    assert report.scores["validity"] == pytest.approx(1 - 2 / 6)
    assert report.scores["completeness"] == pytest.approx(1 - 2 / 6)  # rule-based: rows 2 and 5
    assert report.scores["uniqueness"] == pytest.approx(1 - 1 / 6)
    assert report.scores["timeliness"] == pytest.approx(1 - 1 / 6)
    assert report.scores["consistency"] == 1.0
    expected = sum(DEFAULT_WEIGHTS[d] * s for d, s in report.scores.items()) / sum(DEFAULT_WEIGHTS.values())
    assert report.overall == pytest.approx(expected)
    assert report.samples["positive(price)"][0]["reason"] == "price must be > 0, got -4"


def test_field_statistics_by_hand() -> None:
    report = profile(_items())
    price = report.fields["price"]
    # present prices: 10, 10, -4, 2
    assert (price.nulls, price.nans, price.distinct) == (2, 1, 3)
    assert (price.min, price.max, price.mean) == (-4.0, 10.0, 4.5)
    assert price.stddev == pytest.approx(math.sqrt(((5.5**2) * 2 + 8.5**2 + 2.5**2) / 3))
    # sorted: -4, 2, 10, 10 -> p50 = (2 + 10) / 2, p25 at rank 0.75 -> -4 + 0.75 * 6
    assert price.quantiles["p50"] == 6.0
    assert price.quantiles["p25"] == pytest.approx(0.5)
    assert sum(c for _, _, c in price.histogram) == 4
    order = report.fields["order_id"]
    assert order.distinct == 4
    assert order.top[:2] == (("o1", 2), ("o3", 2))
    assert (order.min_length, order.max_length) == (2, 2)
    assert report.fields["at"].min == "2024-01-01T00:00:00+00:00"
    # without rules, completeness is the share of present cells: 2 missing of 30
    assert report.scores["completeness"] == pytest.approx(1 - 2 / 30)
    assert report.duplicate_rows == report.exact_duplicate_rows == 1


def test_edge_tables() -> None:
    empty = profile(pa.table({"x": pa.array([], pa.float64()), "s": pa.array([], pa.string())}))
    assert empty.rows == 0
    assert empty.overall == 1.0
    assert empty.fields["x"].min is None
    nulls = profile(
        pa.table({"x": pa.nulls(3, pa.float64()), "d": pa.array([None] * 3, pa.decimal128(5, 2))})
    )
    assert nulls.null_counts == {"x": 3, "d": 3}
    assert nulls.scores["completeness"] == 0.0
    inf = profile(pa.table({"x": [1.0, math.inf, -math.inf]}))
    assert inf.fields["x"].max == math.inf
    assert json.loads(inf.to_json())["fields"]["x"]["max"] is None
    naive = profile(pa.table({"t": [dt.datetime(2024, 1, 1), None], "b": [True, None], "l": [[1], None]}))
    assert naive.fields["t"].max == "2024-01-01T00:00:00+00:00"
    assert naive.fields["b"].true_count == 1
    assert naive.fields["l"].nulls == 1
    dec = profile(pa.table({"d": pa.array([1, 2, 4], pa.decimal128(6, 2))}))
    assert dec.fields["d"].mean == pytest.approx(7 / 3)


def test_report_is_frozen_and_serializable() -> None:
    report = profile(_items(), rules=[rules.positive("qty")])
    with pytest.raises(AttributeError):
        report.rows = 1  # type: ignore[misc]
    data = json.loads(report.to_json())
    assert data["rows"] == 6
    assert data["rule_failures"] == {"positive(qty)": 1}
    assert set(data["scores"]) == {"completeness", "validity", "uniqueness", "consistency", "timeliness"}


def test_bad_arguments() -> None:
    with pytest.raises(MissingColumnError):
        profile(_items(), keys=["nope"])
    with pytest.raises(ConfigError, match="dimension"):
        profile(_items(), weights={"beauty": 1.0})


def test_olist_sample_profile(olist_folder) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.csv as csv

    items = csv.read_csv(olist_folder / "olist_order_items_dataset.csv")
    report = profile(
        items,
        rules=[
            rules.positive("price"),
            rules.non_negative("freight_value"),
            rules.unique("order_id", "order_item_id"),
        ],
        keys=["order_id", "order_item_id"],
    )
    assert report.rows == items.num_rows
    assert report.duplicate_rows == 0
    assert report.rule_failures["unique(order_id, order_item_id)"] == 0
    assert report.fields["order_id"].distinct == len(set(items.column("order_id").to_pylist()))
    assert 0.0 <= report.overall <= 1.0
