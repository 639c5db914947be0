"""The synthetic generator: canonical schemas, determinism, an exactly checkable defect manifest, realism."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomkit import schema
from ecomkit.datasets import (
    ORDER_STATUSES,
    PAYMENT_METHODS,
    DefectManifest,
    Defects,
    SyntheticData,
    synthetic,
)
from ecomkit.errors import ConfigError

UTC = dt.timezone.utc
HEAVY = Defects(
    orders_exact_duplicates=0.05,
    orders_late_updates=0.05,
    orders_missing_customer=0.04,
    orders_unknown_status=0.04,
    orders_total_mismatch=0.05,
    items_exact_duplicates=0.04,
    items_negative_quantity=0.03,
    items_negative_price=0.03,
    items_missing_price=0.03,
)


@pytest.fixture(scope="module")
def data() -> SyntheticData:
    return synthetic(20_000, seed=11)


@pytest.fixture(scope="module")
def heavy() -> SyntheticData:
    return synthetic(4_000, seed=5, defects=HEAVY)


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


def _register(con: duckdb.DuckDBPyConnection, data: SyntheticData) -> None:
    for name, table in data.tables.items():
        con.register(name, table)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    assert len(rows) == 1
    return int(rows[0][0])


_KNOWN = ", ".join(f"'{s}'" for s in ORDER_STATUSES)
_ITEM_TOTALS = """
    item_totals AS (
        -- an order with a missing price has no known product total (NULL), as in ecomkit.metrics
        SELECT order_id,
               CASE WHEN count(*) = count(unit_price) THEN sum(quantity * unit_price) END AS product_total,
               sum(freight) AS freight_total
        FROM (SELECT DISTINCT * FROM order_items) GROUP BY order_id
    ),
    order_totals AS (SELECT DISTINCT order_id, total_amount FROM orders)
"""


def observed_defects(con: duckdb.DuckDBPyConnection, data: SyntheticData) -> dict[str, int]:
    """Count every defect straight from the tables, without using the generator's bookkeeping."""
    _register(con, data)
    return {
        "orders_exact_duplicates": _one(
            con, "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM orders)) FROM orders"
        ),
        "orders_late_updates": _one(
            con,
            "SELECT (SELECT count(*) FROM (SELECT DISTINCT * FROM orders)) - count(DISTINCT order_id) FROM orders",
        ),
        "orders_missing_customer": _one(con, "SELECT count(*) FROM orders WHERE customer_id IS NULL"),
        "orders_unknown_status": _one(con, f"SELECT count(*) FROM orders WHERE status NOT IN ({_KNOWN})"),
        "orders_total_mismatch": _one(
            con,
            f"""WITH {_ITEM_TOTALS}
            SELECT count(*) FROM order_totals JOIN item_totals USING (order_id)
            WHERE abs(total_amount - (product_total + freight_total)) > 0.01""",
        ),
        "items_exact_duplicates": _one(
            con,
            "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM order_items)) FROM order_items",
        ),
        "items_negative_quantity": _one(con, "SELECT count(*) FROM order_items WHERE quantity < 0"),
        "items_negative_price": _one(con, "SELECT count(*) FROM order_items WHERE unit_price < 0"),
        "items_missing_price": _one(con, "SELECT count(*) FROM order_items WHERE unit_price IS NULL"),
    }


def check_invariants(con: duckdb.DuckDBPyConnection, data: SyntheticData, n_orders: int) -> None:
    """Structural invariants that hold for any size, seed and defect rates."""
    _register(con, data)
    m = data.manifest
    assert data.orders.num_rows == n_orders + m.orders_exact_duplicates + m.orders_late_updates
    assert _one(con, "SELECT count(DISTINCT order_id) FROM orders") == n_orders
    # every order has at least one line; every line belongs to an order
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT DISTINCT order_id FROM orders) ANTI JOIN order_items USING (order_id)",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM order_items ANTI JOIN orders USING (order_id)") == 0
    # (order_id, line_number) is unique once exact copies are removed
    assert (
        _one(
            con,
            "SELECT count(*) - count(DISTINCT (order_id, line_number)) FROM (SELECT DISTINCT * FROM order_items)",
        )
        == 0
    )
    # referential integrity
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders WHERE customer_id IS NOT NULL AND customer_id NOT IN (SELECT customer_id FROM customers)",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM order_items ANTI JOIN products USING (product_id)") == 0
    assert _one(con, "SELECT count(*) FROM payments ANTI JOIN orders USING (order_id)") == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT DISTINCT order_id FROM orders) ANTI JOIN payments USING (order_id)",
        )
        == 0
    )
    for name, key in (("customers", "customer_id"), ("payments", "payment_id"), ("products", "product_id")):
        assert _one(con, f"SELECT count(*) - count(DISTINCT {key}) FROM {name}") == 0
    # a null customer only where the manifest says so; the null-customer orders still have items
    assert (
        _one(con, "SELECT count(*) FROM order_items JOIN orders USING (order_id) WHERE customer_id IS NULL")
        >= m.orders_missing_customer
    )
    # no order's product total is all nulls
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT order_id FROM order_items GROUP BY 1 HAVING count(unit_price) = 0)",
        )
        == 0
    )
    # times are ordered
    assert (
        _one(con, "SELECT count(*) FROM orders WHERE updated_at < purchased_at OR approved_at < purchased_at")
        == 0
    )
    assert (
        _one(
            con, "SELECT count(*) FROM orders WHERE delivered_at <= purchased_at OR shipped_at > delivered_at"
        )
        == 0
    )
    # a delivered_at exactly on delivered orders (first versions with a known status; a late update
    # changes only status and updated_at)
    assert (
        _one(
            con,
            f"""SELECT count(*) FROM orders WHERE status IN ({_KNOWN})
            AND updated_at = (SELECT min(updated_at) FROM orders AS o WHERE o.order_id = orders.order_id)
            AND (status = 'delivered') <> (delivered_at IS NOT NULL)""",
        )
        == 0
    )
    assert observed_defects(con, data) == m.to_dict()


# ---------------------------------------------------------------------------------------------- schemas


def test_every_table_has_exactly_its_canonical_schema(data: SyntheticData) -> None:
    assert list(data.tables) == ["orders", "order_items", "customers", "payments", "products"]
    for name, table in data.tables.items():
        assert table.schema.equals(schema.SCHEMAS[name]), name
        assert table.num_rows > 0
        assert pc.all(pc.equal(table["source"], "synthetic")).as_py()
        ingested = pc.unique(table["ingested_at"]).to_pylist()
        assert ingested == [dt.datetime(2026, 1, 1, tzinfo=UTC)]


def test_tables_mapping_is_read_only_and_repr_is_short(data: SyntheticData) -> None:
    with pytest.raises(TypeError):
        data.tables["orders"] = data.customers  # type: ignore[index]
    assert repr(data).startswith("SyntheticData(orders=20400 rows, order_items=")
    assert len(repr(data)) < 600
    assert np.isfinite(data.orders["total_amount"].to_numpy()).all()


def test_zero_orders_gives_empty_canonical_tables() -> None:
    empty = synthetic(0)
    for name, table in empty.tables.items():
        assert table.num_rows == 0
        assert table.schema.equals(schema.SCHEMAS[name])
    assert empty.manifest == DefectManifest()


def test_nulls_only_where_expected(data: SyntheticData) -> None:
    clean = synthetic(5_000, seed=2, defects=None)
    orders = clean.orders
    for column in (
        "order_id",
        "customer_id",
        "source_customer_id",
        "status",
        "purchased_at",
        "updated_at",
        "estimated_delivery_at",
        "currency",
        "total_amount",
    ):
        assert orders[column].null_count == 0, column
    undelivered = pc.not_equal(orders["status"], "delivered")
    assert orders["delivered_at"].null_count == pc.sum(undelivered).as_py()
    items = clean.order_items
    for column in items.column_names:
        assert items[column].null_count == 0, column
    for column in clean.products.column_names + clean.payments.column_names:
        table = clean.products if column in clean.products.column_names else clean.payments
        assert table[column].null_count == 0, column
    customers = clean.customers
    assert 0 < customers["email"].null_count < 0.15 * customers.num_rows
    for column in ("customer_id", "name", "city", "state", "postal_code", "country", "created_at"):
        assert customers[column].null_count == 0, column


# ------------------------------------------------------------------------------------------ determinism


def test_same_seed_gives_identical_tables() -> None:
    first, second = synthetic(3_000, seed=42), synthetic(3_000, seed=42)
    assert first.manifest == second.manifest
    for name in first.tables:
        assert first.tables[name].equals(second.tables[name]), name


def test_different_seeds_give_different_data() -> None:
    first, second = synthetic(2_000, seed=1), synthetic(2_000, seed=2)
    assert not first.orders.equals(second.orders)
    assert first.orders["total_amount"].to_pylist() != second.orders["total_amount"].to_pylist()


# -------------------------------------------------------------------------------------------- manifest


@pytest.mark.parametrize("fixture", ["data", "heavy"])
def test_manifest_counts_equal_what_is_in_the_data(
    fixture: str, request: pytest.FixtureRequest, db: duckdb.DuckDBPyConnection
) -> None:
    generated: SyntheticData = request.getfixturevalue(fixture)
    assert observed_defects(db, generated) == generated.manifest.to_dict()
    assert all(count > 0 for count in generated.manifest.to_dict().values())


def test_manifest_counts_follow_the_rates(heavy: SyntheticData) -> None:
    m = heavy.manifest
    n_items = heavy.order_items.num_rows - m.items_exact_duplicates
    assert m.orders_exact_duplicates == round(0.05 * 4_000)
    assert m.orders_late_updates == round(0.05 * 4_000)
    assert m.orders_missing_customer == m.orders_unknown_status == round(0.04 * 4_000)
    assert m.items_negative_quantity == round(0.03 * n_items)
    assert m.items_exact_duplicates == round(0.04 * n_items)


def test_default_defect_rates_are_small(data: SyntheticData) -> None:
    m = data.manifest
    for name, count in m.to_dict().items():
        base = 20_000 if name.startswith("orders") else data.order_items.num_rows
        assert 0.004 <= count / base <= 0.021, name


def test_defects_land_on_disjoint_rows(heavy: SyntheticData, db: duckdb.DuckDBPyConnection) -> None:
    _register(db, heavy)
    db.execute(
        f"""CREATE TEMP TABLE flags AS
        WITH {_ITEM_TOTALS},
        dup_orders AS (SELECT order_id FROM orders GROUP BY {", ".join(schema.ORDERS.names)} HAVING count(*) > 1),
        key_orders AS (SELECT order_id FROM orders GROUP BY order_id HAVING count(DISTINCT updated_at) > 1),
        item_flags AS (
            SELECT order_id,
                   count(*) FILTER (WHERE quantity < 0 OR unit_price < 0 OR unit_price IS NULL) AS bad_lines,
                   count(*) - count(DISTINCT line_number) AS copied_lines
            FROM order_items GROUP BY order_id
        )
        SELECT o.order_id,
               bool_or(o.customer_id IS NULL)::INT AS missing_customer,
               bool_or(o.status NOT IN ({_KNOWN}))::INT AS unknown_status,
               max((abs(t.total_amount - (i.product_total + i.freight_total)) > 0.01)::INT) AS mismatch,
               max(abs(t.total_amount - (i.product_total + i.freight_total))) AS gap,
               max((o.order_id IN (SELECT order_id FROM dup_orders))::INT) AS duplicated,
               max((o.order_id IN (SELECT order_id FROM key_orders))::INT) AS late,
               max(f.bad_lines) AS bad_lines, max(f.copied_lines) AS copied_lines
        FROM orders o JOIN order_totals t USING (order_id) JOIN item_totals i USING (order_id)
        JOIN item_flags f USING (order_id)
        GROUP BY o.order_id"""
    )
    # at most one order-level defect per order
    assert _one(db, "SELECT count(*) FROM flags WHERE missing_customer + unknown_status + mismatch > 1") == 0
    # copies and late updates only of orders with no defect at all
    assert (
        _one(
            db,
            """SELECT count(*) FROM flags WHERE (duplicated + late) > 0 AND
           (duplicated + late > 1 OR missing_customer + unknown_status + mismatch + bad_lines + copied_lines > 0)""",
        )
        == 0
    )
    # at most one defective (or copied) line per order, and copied lines carry no other defect
    assert _one(db, "SELECT count(*) FROM flags WHERE bad_lines + copied_lines > 1") == 0
    assert (
        _one(
            db,
            """SELECT count(*) FROM order_items WHERE (quantity < 0 OR unit_price < 0 OR unit_price IS NULL)
           AND (order_id, line_number) IN (SELECT (order_id, line_number) FROM order_items GROUP BY 1 HAVING count(*) > 1)""",
        )
        == 0
    )
    # a mismatch is more than 1.00 off
    assert _one(db, "SELECT count(*) FROM flags WHERE mismatch = 1 AND gap <= 1.0") == 0


def test_late_updates_are_newer_versions_with_a_known_status(heavy: SyntheticData) -> None:
    orders = heavy.orders
    late = orders.slice(orders.num_rows - heavy.manifest.orders_late_updates)
    original = orders.slice(0, orders.num_rows - heavy.manifest.orders_late_updates)
    first = original.join(late, "order_id", right_suffix="_new", join_type="inner")
    assert first.num_rows == heavy.manifest.orders_late_updates
    assert pc.all(pc.greater(first["updated_at_new"], first["updated_at"])).as_py()
    assert pc.all(pc.less(first["updated_at_new"], first["ingested_at"])).as_py()
    assert pc.all(pc.not_equal(first["status_new"], first["status"])).as_py()
    assert pc.all(pc.is_in(first["status_new"], pa.array(ORDER_STATUSES))).as_py()
    for column in orders.column_names:
        if column not in ("order_id", "status", "updated_at"):
            assert first[column].equals(first[f"{column}_new"]), column


def test_clean_data_has_no_defects(db: duckdb.DuckDBPyConnection) -> None:
    clean = synthetic(5_000, seed=3, defects=None)
    assert clean.manifest == DefectManifest()
    assert all(v == 0 for v in observed_defects(db, clean).values())
    assert clean.orders.num_rows == 5_000
    check_invariants(db, clean, 5_000)


def test_payments_add_up_to_the_total_of_clean_orders(
    heavy: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    _register(db, heavy)
    checked = db.sql(
        f"""WITH {_ITEM_TOTALS}, paid AS (SELECT order_id, sum(amount) AS amount FROM payments GROUP BY 1)
        SELECT count(*), count(*) FILTER (WHERE abs(paid.amount - t.total_amount) > 0.005)
        FROM order_totals t JOIN paid USING (order_id) JOIN item_totals i USING (order_id)
        WHERE t.order_id IN (SELECT order_id FROM orders GROUP BY 1 HAVING bool_and(customer_id IS NOT NULL AND status IN ({_KNOWN})))
          AND t.order_id NOT IN (SELECT order_id FROM order_items WHERE quantity < 0 OR unit_price < 0 OR unit_price IS NULL)
          AND abs(t.total_amount - (i.product_total + i.freight_total)) <= 0.01"""
    ).fetchall()[0]
    assert checked is not None
    assert checked[0] > 2_500
    assert checked[1] == 0
    assert _one(db, "SELECT count(*) FROM payments WHERE amount <= 0") == 0
    methods = set(heavy.payments["method"].to_pylist())
    assert methods == set(PAYMENT_METHODS)
    split = _one(db, "SELECT count(*) FROM (SELECT order_id FROM payments GROUP BY 1 HAVING count(*) = 2)")
    assert 0.02 * 4_000 < split < 0.1 * 4_000


def test_invariants_hold_at_scale(
    data: SyntheticData, heavy: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    check_invariants(db, data, 20_000)
    check_invariants(db, heavy, 4_000)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=120),
    seed=st.integers(min_value=0, max_value=2**32),
    rates=st.sampled_from([None, Defects(), HEAVY]),
)
def test_invariants_hold_for_any_size_and_seed(n: int, seed: int, rates: Defects | None) -> None:
    con = duckdb.connect()
    try:
        check_invariants(con, synthetic(n, seed=seed, defects=rates), n)
    finally:
        con.close()


@settings(max_examples=12, deadline=None)
@given(
    rates=st.lists(st.floats(min_value=0.0, max_value=0.19), min_size=9, max_size=9),
    n=st.integers(min_value=20, max_value=400),
)
def test_manifest_is_exact_for_arbitrary_rates(rates: list[float], n: int) -> None:
    defects = Defects(*rates)
    con = duckdb.connect()
    try:
        data = synthetic(n, seed=n, defects=defects)
        check_invariants(con, data, n)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------ realism


def test_time_range_and_custom_window() -> None:
    start, end = dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2024, 9, 1, tzinfo=UTC)
    data = synthetic(2_000, seed=4, start=start, end=end)
    purchased = data.orders["purchased_at"]
    assert pc.min(purchased).as_py() >= start
    assert pc.max(purchased).as_py() <= end
    assert pc.max(data.orders["updated_at"]).as_py() < end + dt.timedelta(days=1)
    assert pc.unique(data.orders["ingested_at"]).to_pylist() == [end + dt.timedelta(days=1)]


def test_customers_are_a_mix_of_one_timers_and_heterogeneous_repeat_buyers(
    data: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    _register(db, data)
    counts = np.array(
        db.execute(
            "SELECT count(DISTINCT order_id) FROM orders WHERE customer_id IS NOT NULL GROUP BY customer_id"
        ).fetchnumpy()["count(DISTINCT order_id)"]
    )
    one_timers = float(np.mean(counts == 1))
    assert 0.35 < one_timers < 0.8
    assert np.mean(counts >= 5) > 0.03
    repeats = counts - 1
    assert repeats.var() > 2 * repeats.mean()  # over-dispersed: heterogeneous purchase rates
    # every customer ordered; a few whose only order lost its customer_id are not counted above
    assert len(counts) <= data.customers.num_rows <= len(counts) + data.manifest.orders_missing_customer


def test_spend_is_a_persistent_trait_of_the_customer(
    data: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    """Gamma-gamma signal: a customer's early and late average order values are correlated."""
    _register(db, data)
    halves = db.execute(
        """WITH ranked AS (
             SELECT customer_id, total_amount,
                    row_number() OVER (PARTITION BY customer_id ORDER BY purchased_at, order_id) AS k,
                    count(*) OVER (PARTITION BY customer_id) AS n
             FROM (SELECT DISTINCT order_id, customer_id, purchased_at, total_amount FROM orders
                   WHERE customer_id IS NOT NULL AND total_amount > 0))
           SELECT avg(total_amount) FILTER (WHERE k * 2 <= n) AS early,
                  avg(total_amount) FILTER (WHERE k * 2 > n) AS late
           FROM ranked WHERE n >= 4 GROUP BY customer_id"""
    ).fetchnumpy()
    correlation = np.corrcoef(np.log(halves["early"]), np.log(halves["late"]))[0, 1]
    assert correlation > 0.25


def test_seasonality_peaks_on_black_friday_and_in_december(
    data: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    _register(db, data)
    daily = db.execute(
        "SELECT purchased_at::DATE AS day, count(DISTINCT order_id) AS n FROM orders GROUP BY 1"
    ).fetchall()
    by_day = dict(daily)
    black_friday, week_before = (
        dt.date(2024, 11, 29),
        [dt.date(2024, 11, 8) + dt.timedelta(d) for d in range(7)],
    )
    assert by_day[black_friday] > 2 * np.mean([by_day[d] for d in week_before])
    months = db.execute(
        "SELECT month(purchased_at) AS m, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1"
    ).fetchnumpy()
    share = dict(zip(months["m"].tolist(), months["n"].tolist(), strict=True))
    assert share[12] > 1.3 * share[7]
    hours = db.execute("SELECT hour(purchased_at) AS h, count(*) AS n FROM orders GROUP BY 1").fetchnumpy()
    per_hour = dict(zip(hours["h"].tolist(), hours["n"].tolist(), strict=True))
    assert per_hour[20] > 3 * per_hour[3]


def test_orders_have_several_lines_mostly_single_units(
    data: SyntheticData, db: duckdb.DuckDBPyConnection
) -> None:
    _register(db, data)
    lines = db.execute(
        "SELECT count(DISTINCT line_number) AS k FROM order_items GROUP BY order_id"
    ).fetchnumpy()["k"]
    assert 0.25 < np.mean(lines >= 2) < 0.6
    quantity = data.order_items["quantity"].to_numpy()
    assert 0.7 < np.mean(quantity == 1) < 0.95
    freight = data.order_items["freight"].to_numpy()
    assert (freight > 0).all()
    assert len(pc.unique(data.products["category"])) >= 10
    prices = data.products["price"].to_numpy()
    assert np.quantile(prices, 0.9) > 5 * np.quantile(prices, 0.1)  # a long-tailed catalogue


def test_statuses_are_mostly_delivered(data: SyntheticData) -> None:
    statuses = data.orders["status"].to_numpy(zero_copy_only=False)
    assert 0.85 < np.mean(statuses == "delivered") < 0.99
    assert (statuses == "canceled").any()


# ------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("n", [-1, 1.5, "10", True])
def test_bad_order_count_is_a_config_error(n: object) -> None:
    with pytest.raises(ConfigError, match="n_orders"):
        synthetic(n)  # type: ignore[arg-type]


def test_naive_or_reversed_window_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="start"):
        synthetic(10, start=dt.datetime(2024, 1, 1))
    with pytest.raises(ConfigError, match="before end"):
        synthetic(10, start=dt.datetime(2025, 1, 1, tzinfo=UTC), end=dt.datetime(2024, 1, 1, tzinfo=UTC))


def test_bad_rates_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="orders_late_updates"):
        Defects(orders_late_updates=-0.1)
    with pytest.raises(ConfigError, match="items_missing_price"):
        Defects(items_missing_price=1.5)
    with pytest.raises(ConfigError, match=r"orders_\* rates must sum"):
        Defects(orders_exact_duplicates=0.6, orders_late_updates=0.6)


def test_a_missing_price_hides_a_positive_value_the_total_still_includes() -> None:
    data = synthetic(5_000, seed=9)
    con = duckdb.connect()
    con.register("items", data.order_items)
    con.register("orders", data.orders)
    hidden = con.execute(
        """
        WITH lines AS (SELECT DISTINCT * FROM items),
        known AS (
            SELECT order_id, sum(quantity * unit_price) AS known_value, sum(freight) AS freight
            FROM lines GROUP BY order_id HAVING count(*) > count(unit_price)
        )
        SELECT min(o.total_amount - k.known_value - k.freight), count(*)
        FROM known k JOIN (SELECT DISTINCT order_id, total_amount FROM orders) o USING (order_id)
        """
    ).fetchone()
    assert hidden is not None
    assert hidden[1] == data.manifest.items_missing_price
    assert hidden[0] > 0.0
