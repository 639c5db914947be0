from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from ecomkit.cleaning import rules
from ecomkit.quality import compare, profile

EVIL = "<script>alert(1)</script>"

Screenshot = Callable[[Path, Path], "subprocess.CompletedProcess[str]"]


def _report():  # type: ignore[no-untyped-def]
    t = pa.table(
        {
            EVIL: [1, 2, 3],
            "name": [EVIL, "ok", "fine & dandy"],
            "price": [1.5, -2.0, None],
        }
    )
    return profile(
        t, rules=[rules.positive("price"), rules.max_length("name", 5, name=f"len {EVIL}")], title=EVIL
    )


def test_data_is_escaped() -> None:
    page = _report().to_html()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "fine &amp; dandy" in page


def test_page_is_self_contained(tmp_path: Path) -> None:
    report = _report()
    path = report.write_html(tmp_path / "q.html")
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page
    assert "<svg" in page
    assert "<style>" in page
    comparison = compare(report, profile(pa.table({EVIL: [1], "name": ["x"], "price": [1.0]})))
    other = comparison.to_html(tmp_path / "c.html")
    assert "<script" not in other.lower()
    assert "<svg" in other
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", other, re.IGNORECASE)


def test_renders_in_headless_chromium(tmp_path: Path, screenshot: Screenshot) -> None:
    page = tmp_path / "q.html"
    _report().write_html(page)
    shot = tmp_path / "q.png"
    run = screenshot(page, shot)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.exists()
    assert shot.stat().st_size > 10_000
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
