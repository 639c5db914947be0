"""Buy-till-you-die models: BG/NBD, Pareto/NBD and Gamma-Gamma."""

from __future__ import annotations

__all__: list[str] = []
