"""Every docstring example in the package runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ecomkit

# The orchestrator adapters' examples need Airflow, Prefect or Spark (their own test environments).
_SKIP = ("ecomkit.adapters.",)
_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(ecomkit.__path__, "ecomkit.")
    if not info.name.startswith(_SKIP) and not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples failed in {name}"
