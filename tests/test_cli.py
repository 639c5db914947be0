"""The command line: the demo end to end, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ecomkit import schema
from ecomkit.cli import ProgressBar, main


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--orders", "3000", "--out", str(out), "--seed", "5"]) == 0
    return out


def test_demo_leaves_a_warehouse_with_canonical_tables_and_metrics(demo_dir: Path) -> None:
    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    assert set(schema.SCHEMAS) | {"order_metrics", "customer_metrics"} <= tables
    clean_orders = con.execute("select count(*), count(distinct order_id) from orders").fetchone()
    assert clean_orders is not None
    assert clean_orders[0] == clean_orders[1]
    people = con.execute("select count(*) from customer_metrics").fetchone()
    distinct = con.execute(
        "select count(distinct customer_id) from orders where customer_id is not null"
    ).fetchone()
    assert people == distinct
    bad = con.execute("select count(*) from order_items where quantity <= 0 or unit_price < 0").fetchone()
    assert bad == (0,)
    con.close()


def test_demo_reconciles_every_injected_defect(demo_dir: Path) -> None:
    document = json.loads((demo_dir / "quality.json").read_text())
    defects = document["defects"]
    assert len(defects) == 9
    assert all(d["injected"] > 0 for d in defects.values()), defects
    assert {k: d["found"] for k, d in defects.items()} == {k: d["injected"] for k, d in defects.items()}
    html = (demo_dir / "quality.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html


def test_demo_is_idempotent_on_rerun(demo_dir: Path) -> None:
    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    first = con.execute("select count(*) from orders").fetchone()
    con.close()
    assert main(["demo", "--orders", "3000", "--out", str(demo_dir), "--seed", "5"]) == 0
    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    assert con.execute("select count(*) from orders").fetchone() == first
    con.close()


def test_python_dash_m_and_help() -> None:
    done = subprocess.run([sys.executable, "-m", "ecomkit", "demo", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "--orders" in done.stdout
    done = subprocess.run([sys.executable, "-m", "ecomkit", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--orders", "0"])
    assert exc.value.code == 2


def test_errors_are_one_line_and_debug_shows_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[source]\nkind = "olist"\npath = "' + str(tmp_path / "missing") + '"\n')
    assert main(["run", str(bad)]) == 1
    err_lines = capsys.readouterr().err.splitlines()
    errors = [line for line in err_lines if line.startswith("ecomkit: error:")]
    assert len(errors) == 1
    assert "missing" in errors[0]
    assert not any(line.startswith("Traceback") for line in err_lines)
    with pytest.raises(Exception, match="missing"):
        main(["--debug", "run", str(bad)])


def test_quality_gate_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "p.toml"
    spec.write_text(f'out_dir = "{tmp_path / "out"}"\nquality_threshold = 1.0\n[source]\norders = 500\n')
    assert main(["run", str(spec)]) == 3
    assert "below the threshold" in capsys.readouterr().err


def test_progress_bar_without_a_terminal_writes_a_line_per_step() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar("extract", 0, 2)
    bar("clean", 1, 2)
    bar("done", 2, 2)
    lines = stream.getvalue().splitlines()
    assert [line[:12] for line in lines] == ["[----------]", "[#####-----]", "[##########]"]
    assert "1/2 clean" in lines[1]
