"""The pipeline's stages: extract → clean → quality → metrics → load.

Each stage is one function of a :class:`~ecomkit.pipeline.PipelineSpec`. Stages hand data to each other
through Parquet files under ``<out_dir>/work/`` (never through an orchestrator's message channel) and return
a small :class:`StageResult` of row counts and scores, which is all an Airflow XCom or a Prefect result needs
to carry. Running the stages in order in one process is :func:`run`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecomkit import cleaning, datasets, metrics, quality, schema, warehouse
from ecomkit.cleaning import rules
from ecomkit.errors import ConfigError, QualityGateError
from ecomkit.pipeline.spec import PipelineSpec

__all__ = [
    "ITEM_KEY",
    "ITEM_RULES",
    "ORDER_KEY",
    "ORDER_RULES",
    "STAGES",
    "RunSummary",
    "StageResult",
    "clean",
    "extract",
    "load",
    "metrics_stage",
    "quality_stage",
    "run",
]

ORDER_KEY = ("order_id",)
ITEM_KEY = ("order_id", "line_number")

#: Rules every canonical order must pass; checked on orders joined with their item totals.
ORDER_RULES = (
    rules.not_null("customer_id"),
    rules.isin("status", datasets.ORDER_STATUSES),
    rules.sums_to("total_amount", ["product_total", "freight_total"], tolerance=0.01),
)
#: Rules every canonical order line must pass.
ITEM_RULES = (
    rules.positive("quantity"),
    rules.non_negative("unit_price"),
)

_KEYS: Mapping[str, tuple[str, ...]] = {
    "orders": ORDER_KEY,
    "order_items": ITEM_KEY,
    "customers": ("customer_id",),
    "payments": ("payment_id",),
    "products": ("product_id",),
    "order_metrics": ("order_id",),
    "customer_metrics": ("customer_id",),
}


@dataclass(frozen=True)
class StageResult:
    """What a stage reports: small numbers only, safe to pass between orchestrator tasks."""

    stage: str
    rows: Mapping[str, int]
    scores: Mapping[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serializable data."""
        return {
            "stage": self.stage,
            "rows": dict(self.rows),
            "scores": dict(self.scores),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class RunSummary:
    """The results of a whole run, stage by stage, and where its outputs are."""

    stages: tuple[StageResult, ...]
    warehouse: str
    report_html: Path
    defects: Mapping[str, tuple[int, int]]

    def stage(self, name: str) -> StageResult:
        """The result of stage ``name``."""
        for result in self.stages:
            if result.stage == name:
                return result
        raise KeyError(name)


def _dir(spec: PipelineSpec, part: str) -> Path:
    path = spec.out_path / "work" / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(folder: Path, tables: Mapping[str, pa.Table]) -> None:
    for name, table in tables.items():
        tmp = folder / f".{name}.parquet.tmp"
        pq.write_table(table, tmp)
        tmp.replace(folder / f"{name}.parquet")  # readers never see a half-written file


def _read(spec: PipelineSpec, part: str, name: str) -> pa.Table:
    path = spec.out_path / "work" / part / f"{name}.parquet"
    if not path.exists():
        raise ConfigError(f"{path} does not exist: run the stage that writes {part}/ first")
    return pq.read_table(path)


def extract(spec: PipelineSpec) -> StageResult:
    """Read the source into canonical tables (``work/raw/``); a synthetic source also writes its manifest."""
    started = time.perf_counter()
    out = _dir(spec, "raw")
    src = spec.source
    manifest: dict[str, int] = {}
    if src.kind == "synthetic":
        data = datasets.synthetic(
            src.orders, seed=src.seed, defects=datasets.Defects() if src.defects else None
        )
        tables = dict(data.tables)
        manifest = data.manifest.to_dict()
    else:
        from ecomkit.connectors import files

        assert src.path is not None  # checked by SourceSpec
        tables = {name: files.read_olist(src.path)[name] for name in schema.SCHEMAS}
    tables = {name: schema.unify(table, f"canonical.{name}") for name, table in tables.items()}
    _write(out, tables)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    rows = {name: table.num_rows for name, table in tables.items()}
    return StageResult("extract", rows, seconds=time.perf_counter() - started)


def _orders_with_totals(orders: pa.Table, items: pa.Table) -> pa.Table:
    """Orders joined with their items' product and freight totals (for the cross-field rule)."""
    totals = metrics.order_metrics(items).select(["order_id", "product_total", "freight_total"])
    return orders.join(totals, "order_id", join_type="left outer", use_threads=True).sort_by(
        [("purchased_at", "ascending"), ("order_id", "ascending")]
    )


def _reconstruct_prices(items: pa.Table, orders: pa.Table) -> pa.Table:
    """Fill a missing ``unit_price`` from the order's own total where that determines it exactly.

    When exactly one line of an order lacks its price and the order's ``total_amount`` is known, that line's
    value is the total minus the order's freight and its other lines; its unit price is that value divided by
    its quantity. Other missing prices are left for :func:`ecomkit.cleaning.impute`.
    """
    missing = pc.is_null(items.column("unit_price"))
    if not pc.any(missing).as_py():
        return items
    per_order = (
        items.append_column("line_value", pc.multiply(items.column("quantity"), items.column("unit_price")))
        .append_column("price_missing", pc.cast(missing, pa.int64()))
        .group_by("order_id")
        .aggregate([("line_value", "sum"), ("freight", "sum"), ("price_missing", "sum")])
    )
    per_order = per_order.filter(pc.equal(per_order.column("price_missing_sum"), 1))
    per_order = per_order.join(orders.select(["order_id", "total_amount"]), "order_id", join_type="inner")
    known = pc.fill_null(per_order.column("line_value_sum"), 0.0)
    rest = pc.subtract(pc.subtract(per_order.column("total_amount"), known), per_order.column("freight_sum"))
    derived = pa.table({"order_id": per_order.column("order_id"), "_derived_value": rest})
    indexed = items.append_column("_row", pa.array(range(items.num_rows), pa.int64()))
    joined = indexed.join(derived, "order_id", join_type="left outer").sort_by("_row")
    price = pc.if_else(
        pc.and_(missing, pc.greater(joined.column("quantity"), 0)),
        pc.divide(joined.column("_derived_value"), pc.cast(joined.column("quantity"), pa.float64())),
        items.column("unit_price"),
    )
    return items.set_column(items.schema.get_field_index("unit_price"), "unit_price", price)


def clean(spec: PipelineSpec) -> StageResult:
    """De-duplicate, validate and impute (``work/clean/`` and ``work/quarantine/``).

    * Orders keep the latest version per ``order_id`` (late-arriving updates win by ``updated_at``); order
      lines are de-duplicated on ``(order_id, line_number)``.
    * Lines that break :data:`ITEM_RULES` are quarantined with the rule and the reason, and so is the
      order they belong to (rule ``lines_valid``): an order with a negative quantity or price cannot be
      trusted as a whole. Orders that break :data:`ORDER_RULES` are quarantined, and their lines with
      them (rule ``references(order_id)``): the warehouse never holds orphan lines.
    * A missing unit price is reconstructed from the order's total where exactly one line lacks it;
      what remains is imputed with the product's median price (the global median where the product has
      no priced line).
    """
    started = time.perf_counter()
    orders = cleaning.dedupe(
        _read(spec, "raw", "orders"), list(ORDER_KEY), keep="last", order_by="updated_at"
    )
    items = cleaning.dedupe(_read(spec, "raw", "order_items"), list(ITEM_KEY))
    line_check = cleaning.validate(items, list(ITEM_RULES))
    bad_orders = pc.unique(line_check.invalid.column("order_id"))
    lines_valid = rules.custom(
        "lines_valid",
        lambda t: pc.invert(pc.is_in(t.column("order_id"), value_set=bad_orders)),
        columns=["order_id"],
        dimension="consistency",
    )
    checked_orders = cleaning.validate(_orders_with_totals(orders, items), [*ORDER_RULES, lines_valid])
    of_valid_order = rules.references(
        "order_id", checked_orders.valid.select(["order_id"]), "order_id", other_name="clean orders"
    )
    checked_items = cleaning.validate(items, [*ITEM_RULES, of_valid_order])
    clean_orders = checked_orders.valid.drop_columns(["product_total", "freight_total"])
    clean_items = cleaning.impute(
        _reconstruct_prices(checked_items.valid, clean_orders), {"unit_price": "median"}, by="product_id"
    )
    tables = {
        "orders": clean_orders,
        "order_items": clean_items,
        "customers": cleaning.dedupe(_read(spec, "raw", "customers"), ["customer_id"]),
        "payments": cleaning.dedupe(_read(spec, "raw", "payments"), ["payment_id"]),
        "products": cleaning.dedupe(_read(spec, "raw", "products"), ["product_id"]),
    }
    _write(_dir(spec, "clean"), tables)
    quarantine = {"orders": checked_orders.invalid, "order_items": checked_items.invalid}
    _write(_dir(spec, "quarantine"), quarantine)
    rows = {name: t.num_rows for name, t in tables.items()}
    rows["quarantined_orders"] = checked_orders.invalid_rows
    rows["quarantined_order_items"] = checked_items.invalid_rows
    return StageResult("clean", rows, seconds=time.perf_counter() - started)


#: How each injected defect is found in the quality reports: defect -> (table, measure, rule or column).
_DEFECT_CHECKS: Mapping[str, tuple[str, str, str]] = {
    "orders_exact_duplicates": ("orders", "exact_duplicates", ""),
    "orders_late_updates": ("orders", "key_duplicates_not_exact", ""),
    "orders_missing_customer": ("orders", "rule", ORDER_RULES[0].name),
    "orders_unknown_status": ("orders", "rule", ORDER_RULES[1].name),
    "orders_total_mismatch": ("orders", "rule", ORDER_RULES[2].name),
    "items_exact_duplicates": ("order_items", "exact_duplicates", ""),
    "items_negative_quantity": ("order_items", "rule", ITEM_RULES[0].name),
    "items_negative_price": ("order_items", "rule", ITEM_RULES[1].name),
    "items_missing_price": ("order_items", "nulls", "unit_price"),
}


def _found(report: quality.QualityReport, measure: str, what: str) -> int:
    if measure == "exact_duplicates":
        return report.exact_duplicate_rows
    if measure == "key_duplicates_not_exact":
        return report.duplicate_rows - report.exact_duplicate_rows
    if measure == "nulls":
        return report.null_counts[what]
    return report.rule_failures.get(what, 0)


def _profiles(orders: pa.Table, totals_items: pa.Table, items: pa.Table) -> dict[str, quality.QualityReport]:
    """The profiles of ``orders`` (joined with the totals of ``totals_items``) and of ``items``."""
    return {
        "orders": quality.profile(
            _orders_with_totals(orders, totals_items), rules=ORDER_RULES, keys=ORDER_KEY
        ),
        "order_items": quality.profile(items, rules=ITEM_RULES, keys=ITEM_KEY),
    }


def quality_stage(spec: PipelineSpec) -> StageResult:
    """Profile the incoming and the cleaned data, write ``quality.html``/``quality.json``, apply the gate.

    The incoming orders are profiled with :data:`ORDER_RULES` (joined with their de-duplicated items'
    totals) and keys ``order_id``; order lines with :data:`ITEM_RULES` and keys ``(order_id, line_number)``.
    For a synthetic source every injected defect is reconciled with what the reports found.

    Raises:
        QualityGateError: the incoming orders' overall score is below ``spec.quality_threshold``.
    """
    started = time.perf_counter()
    raw_items = _read(spec, "raw", "order_items")
    deduped_items = cleaning.dedupe(raw_items, list(ITEM_KEY))
    before = _profiles(_read(spec, "raw", "orders"), deduped_items, raw_items)
    clean_items = _read(spec, "clean", "order_items")
    after = _profiles(_read(spec, "clean", "orders"), clean_items, clean_items)
    manifest = json.loads((spec.out_path / "work" / "raw" / "manifest.json").read_text())
    defects = {
        name: (int(manifest[name]), _found(before[table], measure, what))
        for name, (table, measure, what) in _DEFECT_CHECKS.items()
        if name in manifest
    }
    html = quality.dashboard(before, after=after, title=f"{spec.name} data quality")
    (spec.out_path / "quality.html").write_text(html, encoding="utf-8")
    document = {
        "before": {name: report.to_dict() for name, report in before.items()},
        "after": {name: report.to_dict() for name, report in after.items()},
        "defects": {name: {"injected": inj, "found": found} for name, (inj, found) in defects.items()},
    }
    (spec.out_path / "quality.json").write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    scores = {
        "orders_before": before["orders"].overall,
        "orders_after": after["orders"].overall,
        "items_before": before["order_items"].overall,
        "items_after": after["order_items"].overall,
    }
    result = StageResult(
        "quality",
        {f"defect_{name}": found for name, (_, found) in defects.items()},
        scores,
        time.perf_counter() - started,
    )
    if scores["orders_before"] < spec.quality_threshold:
        raise QualityGateError(
            scores["orders_before"], spec.quality_threshold, what="incoming orders' quality score"
        )
    return result


def metrics_stage(spec: PipelineSpec) -> StageResult:
    """Order metrics and customer metrics with the classic CLV (``work/metrics/``)."""
    started = time.perf_counter()
    orders = _read(spec, "clean", "orders")
    items = _read(spec, "clean", "order_items")
    tables = {
        "order_metrics": metrics.order_metrics(items),
        "customer_metrics": metrics.customer_metrics(
            orders, items=items, lifespan_months=spec.lifespan_months, margin=spec.margin
        ),
    }
    _write(_dir(spec, "metrics"), tables)
    clv = tables["customer_metrics"].column("clv")
    scores = {"mean_clv": float(pc.mean(clv).as_py() or 0.0), "customers": float(len(clv))}
    return StageResult(
        "metrics", {n: t.num_rows for n, t in tables.items()}, scores, time.perf_counter() - started
    )


def load(spec: PipelineSpec) -> StageResult:
    """Load the cleaned tables, the metrics and the quarantine into the warehouse target."""
    started = time.perf_counter()
    target = spec.warehouse_target
    if not spec.target.is_url:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    plan = [("clean", name) for name in schema.SCHEMAS] + [
        ("metrics", "order_metrics"),
        ("metrics", "customer_metrics"),
    ]
    for part, name in plan:
        result = warehouse.load(
            _read(spec, part, name), target, name, mode=spec.target.mode, key=list(_KEYS[name])
        )
        rows[name] = result.rows
    for name in ("orders", "order_items"):
        table = _read(spec, "quarantine", name)
        result = warehouse.load(table, target, f"quarantine_{name}", mode="replace")
        rows[f"quarantine_{name}"] = result.rows
    return StageResult("load", rows, seconds=time.perf_counter() - started)


#: The stages in the order they run.
STAGES: tuple[tuple[str, Callable[[PipelineSpec], StageResult]], ...] = (
    ("extract", extract),
    ("clean", clean),
    ("quality", quality_stage),
    ("metrics", metrics_stage),
    ("load", load),
)


def run(spec: PipelineSpec, *, on_stage: Callable[[str, int, int], None] | None = None) -> RunSummary:
    """Run every stage in order in this process.

    Args:
        spec: the pipeline.
        on_stage: called as ``on_stage(name, index, total)`` before each stage (the CLI draws its
            progress bar with it).
    """
    results = []
    for index, (name, stage) in enumerate(STAGES):
        if on_stage is not None:
            on_stage(name, index, len(STAGES))
        results.append(stage(spec))
    if on_stage is not None:
        on_stage("done", len(STAGES), len(STAGES))
    document = json.loads((spec.out_path / "quality.json").read_text())
    defects = {name: (d["injected"], d["found"]) for name, d in document["defects"].items()}
    return RunSummary(tuple(results), spec.warehouse_target, spec.out_path / "quality.html", defects)
