"""Spec validation: every bad spec fails in Python with a SpecError naming the field."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from ecomkit.errors import ConfigError, SpecError
from ecomkit.schema import TIMESTAMP
from ecomkit.warehouse.timescale import (
    Column,
    Compression,
    ContinuousAggregate,
    Hypertable,
    Index,
    Measure,
    RefreshPolicy,
    Reorder,
    Retention,
    Table,
    Warehouse,
    parse_interval,
    preset,
)

COLUMNS = (
    Column("id", pa.string(), nullable=False),
    Column("at", TIMESTAMP),
    Column("customer", pa.string()),
    Column("amount", pa.float64()),
)


def events(**options: object) -> Table:
    base: dict[str, object] = {"primary_key": ("id", "at"), "hypertable": Hypertable("at", "1 day")}
    base.update(options)
    return Table("events", COLUMNS, **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 days", "7 days"),
        ("1 day", "1 day"),
        ("10 min", "10 minutes"),
        ("1h", "1 hour"),
        ("90 minutes", "1 hour 30 minutes"),
        ("3 years", "3 years"),
        ("14 months", "1 year 2 months"),
        ("2 weeks", "14 days"),
        (dt.timedelta(hours=36), "1 day 12 hours"),
    ],
)
def test_intervals_parse_and_normalize(text: str | dt.timedelta, expected: str) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("bad", ["", "seven days", "7 fortnights", "0 days", "-1 day", "1 day; DROP TABLE x"])
def test_bad_intervals_are_spec_errors_naming_the_field(bad: str) -> None:
    with pytest.raises(SpecError, match=r"Retention.drop_after"):
        Retention(bad)


def test_spec_error_is_a_config_error() -> None:
    assert issubclass(SpecError, ConfigError)


def test_primary_key_must_include_the_time_column() -> None:
    with pytest.raises(SpecError, match=r"primary_key.*'at'"):
        events(primary_key=("id",))


def test_unique_index_must_include_the_time_column() -> None:
    with pytest.raises(SpecError, match=r"unique index.*'at'"):
        events(indexes=(Index(("customer",), unique=True),))


def test_time_column_must_exist_and_be_temporal() -> None:
    with pytest.raises(SpecError, match=r"hypertable.time_column names column 'when'"):
        events(primary_key=(), hypertable=Hypertable("when"))
    with pytest.raises(SpecError, match=r"must be a timestamp"):
        events(primary_key=(), hypertable=Hypertable("amount"))


def test_compression_columns_must_exist() -> None:
    with pytest.raises(SpecError, match=r"compression.segment_by names column 'device'"):
        events(compression=Compression("30 days", segment_by=("device",)))
    with pytest.raises(SpecError, match=r"compression.order_by names column 'nope'"):
        events(compression=Compression("30 days", order_by=("nope DESC",)))


def test_policies_need_a_hypertable() -> None:
    with pytest.raises(SpecError, match=r"retention needs a hypertable"):
        Table("plain", COLUMNS, retention=Retention("1 year"))


def test_reorder_must_name_an_index_of_the_table() -> None:
    with pytest.raises(SpecError, match=r"reorder.index 'missing_idx'"):
        events(reorder=Reorder("missing_idx"))
    table = events(indexes=(Index(("customer", "at DESC")),), reorder=Reorder("events_customer_at_idx"))
    assert table.reorder is not None


def test_duplicate_columns_are_refused() -> None:
    with pytest.raises(SpecError, match=r"duplicate columns"):
        Table("t", (Column("a", pa.int64()), Column("a", pa.int64())))


def _agg(name: str, source: str, bucket: str, *measures: Measure, **options: object) -> ContinuousAggregate:
    return ContinuousAggregate(name, source, bucket, measures=measures or (Measure("n", "count"),), **options)  # type: ignore[arg-type]


def test_aggregate_source_must_be_a_hypertable_or_aggregate() -> None:
    with pytest.raises(SpecError, match=r"source 'nowhere'"):
        Warehouse((events(),), (_agg("a", "nowhere", "1 hour"),))
    plain = Table("plain", COLUMNS)
    with pytest.raises(SpecError, match=r"not a hypertable"):
        Warehouse((plain,), (_agg("a", "plain", "1 hour"),))


def test_aggregate_columns_must_exist_in_the_source() -> None:
    with pytest.raises(SpecError, match=r"column 'region'"):
        Warehouse((events(),), (_agg("a", "events", "1 hour", group_by=("region",)),))
    with pytest.raises(SpecError, match=r"column 'price'"):
        Warehouse((events(),), (_agg("a", "events", "1 hour", Measure("s", "sum", "price")),))


@pytest.mark.parametrize(
    ("parent", "child", "ok"),
    [
        ("1 hour", "1 day", True),
        ("1 hour", "90 minutes", False),
        ("1 day", "1 month", True),
        ("7 days", "1 month", False),
        ("1 month", "3 months", True),
        ("1 month", "30 days", False),
        ("1 day", "1 day", False),
    ],
)
def test_hierarchical_buckets_must_be_multiples(parent: str, child: str, ok: bool) -> None:
    aggs = (
        _agg("base", "events", parent, Measure("total", "sum", "amount")),
        _agg("rollup", "base", child, Measure("total", "sum", "total")),
    )
    if ok:
        assert [a.name for a in Warehouse((events(),), aggs).ordered_aggregates] == ["base", "rollup"]
    else:
        with pytest.raises(SpecError, match=r"multiple"):
            Warehouse((events(),), aggs)


def test_averages_of_averages_are_refused() -> None:
    aggs = (
        _agg("base", "events", "1 hour", Measure("avg_amount", "avg", "amount")),
        _agg("rollup", "base", "1 day", Measure("avg_amount", "avg", "avg_amount")),
    )
    with pytest.raises(SpecError, match=r"does not re-aggregate"):
        Warehouse((events(),), aggs)


def test_aggregates_are_ordered_sources_first() -> None:
    aggs = (
        _agg("rollup", "base", "1 day", Measure("total", "sum", "total")),
        _agg("base", "events", "1 hour", Measure("total", "sum", "amount")),
    )
    assert [a.name for a in Warehouse((events(),), aggs).ordered_aggregates] == ["base", "rollup"]


def test_refresh_window_rules() -> None:
    with pytest.raises(SpecError, match=r"start_offset .* must be larger than end_offset"):
        RefreshPolicy("1 hour", "1 day", "1 hour")
    with pytest.raises(SpecError, match=r"at least two buckets"):
        _agg("a", "events", "1 day", refresh=RefreshPolicy("1 day", "1 hour", "1 hour"))


def test_refresh_window_must_stay_inside_retention() -> None:
    table = events(retention=Retention("30 days"))
    agg = _agg("a", "events", "1 hour", refresh=RefreshPolicy("60 days", "1 hour", "1 hour"))
    with pytest.raises(SpecError, match=r"retention drop_after"):
        Warehouse((table,), (agg,))


def test_bucket_cannot_mix_months_and_days() -> None:
    with pytest.raises(SpecError, match=r"mixes months"):
        _agg("a", "events", "1 month 2 days")


def test_duplicate_names_across_tables_and_aggregates() -> None:
    with pytest.raises(SpecError, match=r"duplicate"):
        Warehouse((events(),), (_agg("events", "events", "1 hour"),))


def test_preset_matches_the_promised_warehouse() -> None:
    wh = preset.ecommerce()
    tables = {t.name: t for t in wh.tables}
    assert set(tables) == {"orders", "order_items", "customer_metrics"}
    assert tables["orders"].hypertable is not None
    assert tables["orders"].hypertable.chunk_interval == "7 days"
    assert tables["order_items"].hypertable is not None
    assert tables["order_items"].hypertable.chunk_interval == "7 days"
    assert tables["customer_metrics"].hypertable is not None
    assert tables["customer_metrics"].hypertable.chunk_interval == "1 month"
    for name, segment in [("orders", ("customer_id",)), ("order_items", ("order_id",))]:
        comp = tables[name].compression
        assert comp is not None
        assert comp.after == "30 days"
        assert comp.segment_by == segment
        retention = tables[name].retention
        assert retention is not None
        assert retention.drop_after == "3 years"
    refresh = {a.name: a.refresh.schedule_interval for a in wh.aggregates if a.refresh is not None}
    assert refresh == {
        "daily_sales_summary": "1 hour",
        "hourly_sales_summary": "10 minutes",
        "monthly_customer_summary": "1 day",
    }


def test_unknown_preset() -> None:
    with pytest.raises(SpecError, match=r"unknown preset 'shop'"):
        preset.by_name("shop")
