"""The pipeline description: plain, typed, frozen data that the CLI and the orchestrator adapters share."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from ecomkit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["LoadMode", "PipelineSpec", "SourceKind", "SourceSpec", "TargetSpec"]

SourceKind = Literal["synthetic", "olist"]
LoadMode = Literal["append", "replace", "upsert"]


@dataclass(frozen=True)
class SourceSpec:
    """Where the pipeline's data comes from.

    Args:
        kind: ``"synthetic"`` (the deterministic generator of :mod:`ecomkit.datasets`, with defects) or
            ``"olist"`` (a folder holding the eight Olist CSVs).
        orders: how many orders the synthetic source generates.
        seed: the synthetic generator's seed.
        defects: whether the synthetic source injects defects.
        path: the folder of an ``olist`` source.
    """

    kind: SourceKind = "synthetic"
    orders: int = 10_000
    seed: int = 0
    defects: bool = True
    path: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("synthetic", "olist"):
            raise ConfigError(f"source.kind must be 'synthetic' or 'olist'; got {self.kind!r}")
        if self.kind == "synthetic" and self.orders < 1:
            raise ConfigError(f"source.orders must be at least 1; got {self.orders}")
        if self.kind == "olist" and not self.path:
            raise ConfigError(
                "source.path is required for an 'olist' source (the folder with the Olist CSVs)"
            )


@dataclass(frozen=True)
class TargetSpec:
    """Where the pipeline loads its tables.

    Args:
        url: a DuckDB file path (the embedded default; relative paths resolve under the pipeline's
            ``out_dir``) or a SQLAlchemy URL such as ``postgresql://user@host/db``.
        mode: how tables are written: ``"upsert"`` on each table's key (re-runs are idempotent),
            ``"replace"`` or ``"append"``.
    """

    url: str = "warehouse.duckdb"
    mode: LoadMode = "upsert"

    def __post_init__(self) -> None:
        if self.mode not in ("append", "replace", "upsert"):
            raise ConfigError(f"target.mode must be 'append', 'replace' or 'upsert'; got {self.mode!r}")

    @property
    def is_url(self) -> bool:
        """True when ``url`` is a database URL rather than a DuckDB file path."""
        return "://" in self.url and not self.url.startswith("duckdb://")


@dataclass(frozen=True)
class PipelineSpec:
    """A whole pipeline as data: source → clean → quality gate → metrics → load.

    Each step is one ecomkit function; this object only names their inputs. Load one from TOML with
    :meth:`from_toml`::

        name = "nightly"
        out_dir = "/data/ecomkit"
        quality_threshold = 0.9

        [source]
        kind = "olist"
        path = "/data/olist"

        [target]
        url = "postgresql://etl@127.0.0.1/shop"
        mode = "upsert"

    Args:
        name: a name for logs, DAG ids and flow names.
        source: the source.
        target: the warehouse target.
        out_dir: the folder for intermediate Parquet files, the HTML quality report and the default
            DuckDB warehouse.
        quality_threshold: the quality gate: the run fails when the overall quality score of the incoming
            orders (before cleaning) falls below it; 0 disables the gate.
        lifespan_months: the customer lifespan of the classic CLV formula.
        margin: the profit margin of the classic CLV formula.
    """

    name: str = "ecomkit"
    source: SourceSpec = field(default_factory=SourceSpec)
    target: TargetSpec = field(default_factory=TargetSpec)
    out_dir: str = "ecomkit-output"
    quality_threshold: float = 0.0
    lifespan_months: int = 36
    margin: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.quality_threshold <= 1.0:
            raise ConfigError(f"quality_threshold must be within [0, 1]; got {self.quality_threshold}")
        if self.lifespan_months <= 0:
            raise ConfigError(f"lifespan_months must be positive; got {self.lifespan_months}")
        if not self.name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"name may hold letters, digits, '-' and '_' only; got {self.name!r}")

    @property
    def out_path(self) -> Path:
        """``out_dir`` as a path."""
        return Path(self.out_dir)

    @property
    def warehouse_target(self) -> str:
        """The load target: the URL, or the DuckDB file path resolved under ``out_dir``."""
        url = self.target.url
        if self.target.is_url:
            return url
        path = Path(url.removeprefix("duckdb:///"))
        return str(path if path.is_absolute() else self.out_path / path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineSpec:
        """Build a spec from plain data (as parsed from TOML or JSON); unknown keys are errors."""
        values = dict(data)
        _check_keys(values, cls, "pipeline")
        if "source" in values:
            _check_keys(values["source"], SourceSpec, "source")
            values["source"] = SourceSpec(**values["source"])
        if "target" in values:
            _check_keys(values["target"], TargetSpec, "target")
            values["target"] = TargetSpec(**values["target"])
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> PipelineSpec:
        """Read a spec from a TOML file."""
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"pipeline file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"pipeline file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data)


def _check_keys(values: object, kind: type, where: str) -> None:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table of settings; got {type(values).__name__}")
    allowed = {f.name for f in fields(kind)}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigError(f"unknown {where} setting(s) {unknown}; allowed: {sorted(allowed)}")
