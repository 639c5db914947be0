"""One self-contained HTML dashboard for several tables' quality reports, optionally before and after cleaning.

The page starts with an overview (one row per table: rows and overall score before → after, a score bar,
the change) and then has one section per table holding that table's report and, when an ``after`` report
is given for it, the before/after comparison and the cleaned table's full report (folded). The sections
are the same HTML as the single-report and comparison pages (``ecomkit.quality.html``). Inline CSS and SVG
only, no script, nothing loaded from the network; every name and value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ecomkit.errors import ConfigError
from ecomkit.quality.compare import compare
from ecomkit.quality.html import (
    _REPORT_FOOTER,
    _delta,
    _esc,
    _grade,
    _page,
    _score_bar,
    comparison_sections,
    report_sections,
    report_subtitle,
)
from ecomkit.quality.profile import QualityReport

__all__ = ["dashboard", "write_dashboard"]


def dashboard(
    reports: Mapping[str, QualityReport],
    *,
    after: Mapping[str, QualityReport] | None = None,
    title: str = "Data quality",
) -> str:
    """One self-contained HTML page with an overview of several tables and a section per table.

    Args:
        reports: table name -> its quality report (the incoming data), in display order.
        after: table name -> the report of the same table after cleaning; tables present here also get
            scores/rows "before → after" in the overview and a before/after comparison in their section.
        title: heading of the page.

    Returns:
        The HTML text.

    Raises:
        ConfigError: ``reports`` is empty, or ``after`` names a table that ``reports`` lacks.

    Example:
        >>> import pyarrow as pa
        >>> from ecomkit import quality
        >>> raw = quality.profile(pa.table({"x": [1.0, None, 1.0]}))
        >>> cleaned = quality.profile(pa.table({"x": [1.0]}))
        >>> page = quality.dashboard({"orders": raw}, after={"orders": cleaned}, title="Shop")
        >>> page.startswith("<!DOCTYPE html>"), "orders" in page
        (True, True)
    """
    if not reports:
        raise ConfigError("dashboard() needs at least one table's report")
    cleaned = dict(after or {})
    unknown = [name for name in cleaned if name not in reports]
    if unknown:
        raise ConfigError(
            f"dashboard(after=...) names table(s) {unknown} that have no report in `reports`; "
            f"known tables: {list(reports)}"
        )
    anchors = {name: f"table-{i}" for i, name in enumerate(reports)}
    overview = _overview(reports, cleaned, anchors)
    sections = "".join(
        _section(name, report, cleaned.get(name), anchors[name]) for name, report in reports.items()
    )
    total = sum(r.rows for r in reports.values())
    subtitle = f"{len(reports)} table(s) · {total:,} rows profiled"
    if cleaned:
        subtitle += f" · {len(cleaned)} compared before and after cleaning"
    return _page(title, subtitle, overview + sections, _esc(_REPORT_FOOTER))


def write_dashboard(
    path: str | Path,
    reports: Mapping[str, QualityReport],
    *,
    after: Mapping[str, QualityReport] | None = None,
    title: str = "Data quality",
) -> Path:
    """Write :func:`dashboard` to ``path`` (UTF-8) and return the path.

    Raises:
        ConfigError: as :func:`dashboard`.
    """
    target = Path(path)
    target.write_text(dashboard(reports, after=after, title=title), encoding="utf-8")
    return target


_ARROW = '<span class="arrow">→</span>'


def _before_after(before: QualityReport, after: QualityReport | None, attr: str) -> str:
    first = f"{int(getattr(before, attr)):,}"
    return first if after is None else f"{first}{_ARROW}{int(getattr(after, attr)):,}"


def _overview(
    reports: Mapping[str, QualityReport], cleaned: Mapping[str, QualityReport], anchors: Mapping[str, str]
) -> str:
    rows = []
    for name, before in reports.items():
        after = cleaned.get(name)
        latest = after if after is not None else before
        counts = {a: _before_after(before, after, a) for a in ("rows", "invalid_rows", "duplicate_rows")}
        score_text = f"<span class='{_grade(before.overall)}'>{before.overall:.3f}</span>"
        change = '<span class="muted">—</span>'
        if after is not None:
            score_text += f"{_ARROW}<span class='{_grade(after.overall)}'>{after.overall:.3f}</span>"
            change = _delta(before.overall, after.overall, higher_is_better=True)
        rows.append(
            f'<tr><td><a href="#{anchors[name]}"><code>{_esc(name)}</code></a></td>'
            f"<td class='num'>{counts['rows']}</td><td class='num'>{counts['invalid_rows']}</td>"
            f"<td class='num'>{counts['duplicate_rows']}</td>"
            f"<td class='num'>{score_text}</td><td class='num'>{change}</td>"
            f"<td>{_score_bar(latest.overall, 220)}</td></tr>"
        )
    return (
        '<h2>Overview</h2><div class="panel overview"><table><tr><th>table</th><th class="num">rows</th>'
        '<th class="num">invalid rows</th><th class="num">duplicate rows</th><th class="num">overall score</th>'
        f'<th class="num">change</th><th>score</th></tr>{"".join(rows)}</table>'
        '<p class="muted">Values read “before → after cleaning” where both were profiled; '
        "the bar shows the latest overall score.</p></div>"
    )


def _section(name: str, before: QualityReport, after: QualityReport | None, anchor: str) -> str:
    parts = [
        f'<section class="table" id="{anchor}"><h2>Table <code>{_esc(name)}</code></h2>',
        f'<p class="muted">{_esc(report_subtitle(before))}</p>',
    ]
    if after is None:
        parts.append(report_sections(before, level=3))
    else:
        parts.append("<h3>Before and after cleaning</h3>")
        parts.append(f'<p class="muted">after: {_esc(report_subtitle(after))}</p>')
        parts.append(comparison_sections(compare(before, after), level=4))
        parts.append("<h3>Incoming data</h3>")
        parts.append(report_sections(before, level=4))
        parts.append(
            "<details><summary>Cleaned data: full report</summary>"
            f"{report_sections(after, level=4)}</details>"
        )
    parts.append("</section>")
    return "".join(parts)
