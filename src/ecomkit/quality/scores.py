"""Data-quality dimension scores and the weighted overall score, from counts.

Every score is in [0, 1] and is computed from counts only, so a merged profile scores exactly like a
one-shot profile of the same rows. With ``n`` rows:

* **completeness** = 1 - (rows failing a completeness rule) / n when there are completeness rules
  (``not_null``); otherwise 1 - (missing cells) / (n x columns), a missing cell being null or NaN.
* **validity** = 1 - (rows failing a validity rule) / n.
* **uniqueness** = 1 - (rows that are key duplicates beyond the first copy, or fail a uniqueness rule) / n.
* **consistency** = 1 - (rows failing a consistency rule) / n.
* **timeliness** = 1 - (rows failing a timeliness rule) / n.

A row failing two rules of one dimension counts once for it. A dimension with nothing to check scores 1.0
(nothing was found wrong) and is listed as unmeasured. An empty table scores 1.0 everywhere.

``overall = sum(weight[d] * score[d]) / sum(weight)`` with :data:`DEFAULT_WEIGHTS` unless given.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ecomkit.errors import ConfigError

__all__ = ["DEFAULT_WEIGHTS", "DIMENSIONS", "dimension_scores", "overall_score", "resolve_weights"]

#: The five quality dimensions, in display order.
DIMENSIONS: tuple[str, ...] = ("completeness", "validity", "uniqueness", "consistency", "timeliness")

#: Default weights of the overall score: validity and completeness matter most for downstream metrics.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"completeness": 0.25, "validity": 0.30, "uniqueness": 0.20, "consistency": 0.15, "timeliness": 0.10}
)


def resolve_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Default weights overridden by ``weights``.

    Raises:
        ConfigError: an unknown dimension, a negative weight, or all weights zero.
    """
    out = dict(DEFAULT_WEIGHTS)
    for name, weight in (weights or {}).items():
        if name not in DIMENSIONS:
            raise ConfigError(f"unknown quality dimension {name!r} in weights; use {DIMENSIONS}")
        if weight < 0:
            raise ConfigError(f"weight of {name!r} must be >= 0, got {weight}")
        out[name] = float(weight)
    if sum(out.values()) <= 0:
        raise ConfigError("at least one quality weight must be positive")
    return out


def dimension_scores(
    *,
    rows: int,
    columns: int,
    missing_cells: int,
    failing_rows: Mapping[str, int],
    measured: frozenset[str] | set[str],
) -> dict[str, float]:
    """The five dimension scores from counts (see the module docstring for the formulas).

    Args:
        rows: number of rows.
        columns: number of columns.
        missing_cells: null or NaN cells over the whole table.
        failing_rows: dimension -> rows failing at least one of its checks.
        measured: dimensions that had a rule (completeness falls back to missing cells without one).
    """
    scores: dict[str, float] = {}
    for dimension in DIMENSIONS:
        if rows == 0:
            scores[dimension] = 1.0
        elif dimension == "completeness" and dimension not in measured:
            cells = rows * columns
            scores[dimension] = 1.0 - missing_cells / cells if cells else 1.0
        else:
            scores[dimension] = 1.0 - failing_rows.get(dimension, 0) / rows
        scores[dimension] = min(1.0, max(0.0, scores[dimension]))
    return scores


def overall_score(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted mean of the dimension scores."""
    total = sum(weights[d] for d in DIMENSIONS)
    return sum(weights[d] * scores[d] for d in DIMENSIONS) / total
