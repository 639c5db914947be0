"""ecomkit: typed, Arrow-native building blocks for e-commerce data pipelines.

Import the module you need (``from ecomkit import cleaning``) or use the names re-exported here. Submodules
load on first use, so ``import ecomkit`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ecomkit.errors import EcomkitError

if TYPE_CHECKING:
    from ecomkit import (
        adapters,
        cleaning,
        connectors,
        datasets,
        errors,
        metrics,
        quality,
        resilience,
        schema,
        warehouse,
    )

__all__ = [
    "EcomkitError",
    "__version__",
    "adapters",
    "cleaning",
    "connectors",
    "datasets",
    "errors",
    "metrics",
    "quality",
    "resilience",
    "schema",
    "warehouse",
]

_SUBMODULES = frozenset(__all__) - {"EcomkitError", "__version__"}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("ecomkit")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0.0.0+unknown"
    if name in _SUBMODULES:
        return importlib.import_module(f"ecomkit.{name}")
    raise AttributeError(f"module 'ecomkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
