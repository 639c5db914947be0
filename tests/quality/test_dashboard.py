from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from ecomkit.cleaning import clean, rules
from ecomkit.errors import ConfigError
from ecomkit.quality import QualityReport, dashboard, profile, write_dashboard

EVIL = "<script>alert(1)</script>"
ITEM_RULES = [rules.positive("quantity"), rules.not_null("price")]

Screenshot = Callable[[Path, Path], "subprocess.CompletedProcess[str]"]


def _items() -> pa.Table:
    return pa.table(
        {
            "order_id": [1, 1, 2, 3, 4],
            "line": [1, 1, 1, 1, 1],
            "quantity": [2, 2, -1, 3, 1],
            "price": [9.5, 9.5, 4.0, None, 12.25],
            "sku": ["a", "a", EVIL, "c&d", "e"],
        }
    )


def _reports() -> tuple[dict[str, QualityReport], dict[str, QualityReport]]:
    items = _items()
    orders = pa.table({"order_id": [1, 2, 2], "status": ["paid", "paid", "paid"]})
    before = {
        "orders": profile(orders, keys=["order_id"]),
        "order_items": profile(items, rules=ITEM_RULES, keys=["order_id", "line"]),
        EVIL: profile(pa.table({"x": [1, 2]})),
    }
    cleaned = clean(items, dedupe=["order_id", "line"], impute={"price": "median"}, rules=ITEM_RULES)
    after = {"order_items": profile(cleaned.table, rules=ITEM_RULES, keys=["order_id", "line"])}
    return before, after


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_overview_shows_rows_and_scores_before_and_after() -> None:
    before, after = _reports()
    page = dashboard(before, after=after, title="Shop quality")
    overview = page[page.index("<h2>Overview</h2>") : page.index('<section class="table"')]
    items_b, items_a = before["order_items"], after["order_items"]
    # by hand: 5 rows, one exact key duplicate, one negative quantity -> 3 rows left after cleaning
    assert (items_b.rows, items_a.rows) == (5, 3)
    assert '5<span class="arrow">→</span>3' in overview  # rows
    assert '2<span class="arrow">→</span>0' in overview  # invalid rows
    assert '1<span class="arrow">→</span>0' in overview  # duplicate rows
    assert f'{items_b.overall:.3f}</span><span class="arrow">→</span>' in overview
    assert f"{items_a.overall:.3f}</span>" in overview
    assert items_a.overall > items_b.overall
    assert f"+{items_a.overall - items_b.overall:.3f}" in overview
    # a table without an "after" report shows its single score and its row count
    assert f"{before['orders'].overall:.3f}" in overview
    assert overview.count("<svg") == 3  # one score bar per table
    assert page.count('<section class="table"') == 3
    assert "<title>Shop quality</title>" in page


def test_sections_hold_report_and_comparison() -> None:
    before, after = _reports()
    page = dashboard(before, after=after)
    items = _section(page, "table-1")
    assert "<code>order_items</code>" in items
    assert "Before and after cleaning" in items
    assert "positive(quantity)" in items
    # the comparison's counts: rows 5 -> 3, duplicates 1 -> 0
    assert "<td>rows</td><td class='num'>5</td><td class='num'>3</td>" in items
    assert "<td>duplicate_rows</td><td class='num'>1</td><td class='num'>0</td>" in items
    assert "Cleaned data: full report" in items
    orders = _section(page, "table-0")
    assert "<code>orders</code>" in orders
    assert "Before and after cleaning" not in orders
    assert "Quality dimensions" in orders
    assert f"{before['orders'].duplicate_rows:,}" in orders
    assert before["orders"].duplicate_rows == 1


def test_everything_is_escaped_and_self_contained(tmp_path: Path) -> None:
    before, after = _reports()
    path = write_dashboard(tmp_path / "dash.html", before, after=after, title=EVIL)
    assert path == tmp_path / "dash.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "c&amp;d" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs == ["#table-0", "#table-1", "#table-2"]


def test_without_after_and_bad_inputs() -> None:
    before, _ = _reports()
    page = dashboard(before)
    assert "Before and after cleaning" not in page
    assert page.count('<section class="table"') == 3
    with pytest.raises(ConfigError, match="at least one"):
        dashboard({})
    with pytest.raises(ConfigError, match="customers"):
        dashboard(before, after={"customers": before["orders"]})


def test_dashboard_renders_in_headless_chromium(tmp_path: Path, screenshot: Screenshot) -> None:
    before, after = _reports()
    page = write_dashboard(tmp_path / "d.html", before, after=after)
    shot = tmp_path / "d.png"
    run = screenshot(page, shot)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    assert not [line for line in run.stderr.splitlines() if "CONSOLE" in line]
