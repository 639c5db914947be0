"""PipelineSpec: plain data, loadable from TOML, with clear errors for bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomkit.errors import ConfigError
from ecomkit.pipeline import PipelineSpec, SourceSpec, TargetSpec


def test_from_toml_reads_every_section(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "nightly"\nout_dir = "/srv/out"\nquality_threshold = 0.9\nlifespan_months = 24\n'
        '[source]\nkind = "olist"\npath = "/data/olist"\n'
        '[target]\nurl = "postgresql://etl@127.0.0.1/shop"\nmode = "replace"\n'
    )
    spec = PipelineSpec.from_toml(path)
    assert spec == PipelineSpec(
        name="nightly",
        out_dir="/srv/out",
        quality_threshold=0.9,
        lifespan_months=24,
        source=SourceSpec(kind="olist", path="/data/olist"),
        target=TargetSpec(url="postgresql://etl@127.0.0.1/shop", mode="replace"),
    )
    assert spec.warehouse_target == "postgresql://etl@127.0.0.1/shop"


def test_duckdb_target_resolves_under_out_dir() -> None:
    spec = PipelineSpec(out_dir="out", target=TargetSpec(url="wh.duckdb"))
    assert spec.warehouse_target == str(Path("out") / "wh.duckdb")
    assert PipelineSpec(target=TargetSpec(url="duckdb:////abs/x.duckdb")).warehouse_target == "/abs/x.duckdb"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"quality_threshold": 1.5}, "quality_threshold"),
        ({"colour": "red"}, "colour"),
        ({"source": {"kind": "ftp"}}, "source.kind"),
        ({"source": {"kind": "olist"}}, "source.path"),
        ({"source": {"orders": 0}}, "source.orders"),
        ({"target": {"mode": "merge"}}, "target.mode"),
        ({"target": {"uri": "x"}}, "uri"),
        ({"name": "bad name;"}, "name"),
    ],
)
def test_bad_settings_name_the_setting(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        PipelineSpec.from_dict(data)


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        PipelineSpec.from_toml(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        PipelineSpec.from_toml(broken)
