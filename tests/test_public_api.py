"""Every public module declares ``__all__``, and ``__all__`` is exactly its public surface."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import ecomkit

OPTIONAL = {"ecomkit.adapters.airflow", "ecomkit.adapters.prefect", "ecomkit.adapters.spark"}


def _public_modules() -> list[str]:
    names = ["ecomkit"]
    for info in pkgutil.walk_packages(ecomkit.__path__, "ecomkit."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return sorted(names)


def _defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("name", _public_modules())
def test_all_is_exactly_the_public_surface(name: str) -> None:
    if name in OPTIONAL:
        pytest.importorskip(name, reason=f"{name} needs its optional extra")
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ has duplicates"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which does not exist"
    path = Path(module.__file__ or "")
    defined = _defined_names(path)
    missing = defined - set(exported)
    assert not missing, f"{name} defines public names missing from __all__: {sorted(missing)}"


def test_version_is_read_from_metadata() -> None:
    from importlib.metadata import version

    assert ecomkit.__version__ == version("ecomkit")
