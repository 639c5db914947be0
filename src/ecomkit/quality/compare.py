"""Compare two quality reports (before and after cleaning): score, count, rule and field differences."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ecomkit.quality.profile import QualityReport, _json_safe

__all__ = ["Comparison", "compare"]

_COUNTS = ("rows", "valid_rows", "invalid_rows", "warned_rows", "duplicate_rows", "exact_duplicate_rows")


@dataclass(frozen=True)
class Comparison:
    """Differences between two reports; every delta is ``after - before``.

    Attributes:
        before: the first report.
        after: the second report.
        scores: dimension (and ``"overall"``) -> (before, after, delta).
        counts: count name (rows, valid_rows, ..., missing_cells) -> (before, after, delta).
        rule_failures: rule name -> (before, after, delta); a rule missing on one side counts 0 there.
        fields: column -> {"nulls" | "distinct" | "mean" | "min" | "max": (before, after)}, for columns in both.
        title: heading of the HTML page.
    """

    before: QualityReport
    after: QualityReport
    scores: Mapping[str, tuple[float, float, float]]
    counts: Mapping[str, tuple[int, int, int]]
    rule_failures: Mapping[str, tuple[int, int, int]]
    fields: Mapping[str, Mapping[str, tuple[Any, Any]]]
    title: str = "Data quality: before and after"

    def to_dict(self) -> dict[str, Any]:
        """The differences as plain JSON-able data (the two reports are not repeated)."""
        return {
            "scores": {k: list(v) for k, v in self.scores.items()},
            "counts": {k: list(v) for k, v in self.counts.items()},
            "rule_failures": {k: list(v) for k, v in self.rule_failures.items()},
            "fields": {k: {s: list(v) for s, v in d.items()} for k, d in self.fields.items()},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The differences as JSON text."""
        return json.dumps(_json_safe(self.to_dict()), indent=indent, allow_nan=False)

    def to_html(self, path: str | Path | None = None) -> str:
        """The comparison as one self-contained HTML page; also written to ``path`` when given."""
        from ecomkit.quality.html import render_comparison

        page = render_comparison(self)
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page


def compare(before: QualityReport, after: QualityReport) -> Comparison:
    """Differences between two reports, e.g. the raw table's and the cleaned table's.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit.quality import profile
        >>> raw = profile(pa.table({"x": [1.0, None, 1.0]}))
        >>> cleaned = profile(pa.table({"x": [1.0]}))
        >>> compare(raw, cleaned).counts["rows"]
        (3, 1, -2)
    """
    scores = {"overall": (before.overall, after.overall, after.overall - before.overall)}
    for dimension, score in after.scores.items():
        old = before.scores[dimension]
        scores[dimension] = (old, score, score - old)
    counts: dict[str, tuple[int, int, int]] = {}
    for name in _COUNTS:
        b, a = int(getattr(before, name)), int(getattr(after, name))
        counts[name] = (b, a, a - b)
    b_missing, a_missing = sum(before.null_counts.values()), sum(after.null_counts.values())
    counts["missing_cells"] = (b_missing, a_missing, a_missing - b_missing)
    rules: dict[str, tuple[int, int, int]] = {}
    for name in dict.fromkeys([*before.rule_failures, *after.rule_failures]):
        b, a = before.rule_failures.get(name, 0), after.rule_failures.get(name, 0)
        rules[name] = (b, a, a - b)
    fields: dict[str, Mapping[str, tuple[Any, Any]]] = {}
    for name, new in after.fields.items():
        previous = before.fields.get(name)
        if previous is None:
            continue
        fields[name] = MappingProxyType(
            {
                stat: (getattr(previous, stat), getattr(new, stat))
                for stat in ("nulls", "distinct", "mean", "min", "max")
            }
        )
    return Comparison(
        before=before,
        after=after,
        scores=MappingProxyType(scores),
        counts=MappingProxyType(counts),
        rule_failures=MappingProxyType(rules),
        fields=MappingProxyType(fields),
    )
