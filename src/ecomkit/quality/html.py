"""Render quality reports and comparisons as one self-contained HTML page (inline CSS and SVG, no assets).

Every value taken from the data (column names, values, rule names, reasons) goes through
``html.escape``, so a value such as ``<script>`` is shown, never run. The page loads nothing from the
network and runs no script.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecomkit.quality.compare import Comparison
    from ecomkit.quality.profile import FieldProfile, QualityReport

__all__ = [
    "comparison_sections",
    "comparison_subtitle",
    "render_comparison",
    "render_report",
    "report_sections",
    "report_subtitle",
]


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, subtitle: str, body: str, footer: str) -> str:
    template = Template(
        resources.files("ecomkit.quality").joinpath("templates/report.html").read_text("utf-8")
    )
    return template.substitute(title=_esc(title), subtitle=_esc(subtitle), body=body, footer=footer)


def _grade(score: float) -> str:
    return "good" if score >= 0.95 else ("fair" if score >= 0.8 else "poor")


_COLORS = {"good": "#2f9e44", "fair": "#f08c00", "poor": "#e03131"}


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return '<span class="muted">—</span>'
    if isinstance(value, bool):
        return _esc(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return _esc(value)
        if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-3):
            return f"{value:.{digits}g}"
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return _esc(value)


def _when(epoch_us: float) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=epoch_us)
    return moment.strftime("%Y-%m-%d %H:%M")


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole else "0%"


def _score_bar(score: float, width: int = 260) -> str:
    filled = max(0.0, min(1.0, score)) * width
    color = _COLORS[_grade(score)]
    return (
        f'<svg width="{width}" height="14" role="img" aria-label="{score:.3f}">'
        f'<rect width="{width}" height="14" rx="3" fill="#e9ecef"/>'
        f'<rect width="{filled:.1f}" height="14" rx="3" fill="{color}"/></svg>'
    )


def _histogram_svg(field: FieldProfile, width: int = 160, height: int = 36) -> str:
    bins = field.histogram
    if not bins:
        return '<span class="muted">—</span>'
    peak = max(c for _, _, c in bins) or 1
    bar = width / len(bins)
    rects = []
    for i, (lo, hi, count) in enumerate(bins):
        h = 0 if count == 0 else max(1.0, height * count / peak)
        if field.kind == "timestamp":
            label = _esc(f"{_when(lo)} – {_when(hi)}: {count:,}")
        else:
            label = _esc(f"[{_num(lo)}, {_num(hi)}): {count:,}")
        rects.append(
            f'<rect x="{i * bar:.1f}" y="{height - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
            f'fill="#748ffc"><title>{label}</title></rect>'
        )
    return f'<svg width="{width}" height="{height}" role="img" aria-label="histogram">{"".join(rects)}</svg>'


def _null_bar(nulls: int, rows: int, width: int = 70) -> str:
    share = nulls / rows if rows else 0.0
    color = "#e03131" if share > 0.05 else ("#f08c00" if share > 0 else "#2f9e44")
    return (
        f'<svg width="{width}" height="8"><rect width="{width}" height="8" rx="2" fill="#e9ecef"/>'
        f'<rect width="{share * width:.1f}" height="8" rx="2" fill="{color}"/></svg>'
    )


def _card(label: str, value: str, sub: str = "", grade: str = "") -> str:
    cls = f' class="value {grade}"' if grade else ' class="value"'
    return f'<div class="card"><div class="label">{label}</div><div{cls}>{value}</div><div class="sub">{sub}</div></div>'


def _field_row(field: FieldProfile, rows: int) -> str:
    if field.kind == "number":
        detail = (
            f"mean {_num(field.mean)} · sd {_num(field.stddev)}<br>"
            f"p05 {_num(field.quantiles.get('p05'))} · p50 {_num(field.quantiles.get('p50'))}"
            f" · p95 {_num(field.quantiles.get('p95'))}"
        )
    elif field.kind == "text":
        tops = ", ".join(f"<code>{_esc(v)}</code> {n:,}" for v, n in field.top[:3])
        detail = f"length {_num(field.min_length)}–{_num(field.max_length)}<br>{tops}"
    elif field.kind == "boolean":
        detail = f"true {_num(field.true_count)}"
    else:
        detail = ""
    approx = "" if field.exact else ' <span class="tag" title="merged: approximate">≈</span>'
    return (
        f"<tr><td><code>{_esc(field.name)}</code>{approx}<br><span class='muted'>{_esc(field.type)}</span></td>"
        f'<td class="num">{field.nulls:,}<br>{_null_bar(field.nulls, rows)} {_pct(field.nulls, rows)}</td>'
        f'<td class="num">{_num(field.distinct)}</td>'
        f'<td class="num">{_num(field.min)}</td><td class="num">{_num(field.max)}</td>'
        f"<td>{detail}</td><td>{_histogram_svg(field)}</td></tr>"
    )


def _samples_table(rows: tuple[Any, ...]) -> str:
    if not rows:
        return ""
    columns = list(rows[0].keys())
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return (
        f'<details class="samples"><summary>{len(rows)} sample row(s)</summary>'
        f"<table><tr>{head}</tr>{body}</table></details>"
    )


_REPORT_FOOTER = (
    "Scores are 1 − (rows failing a check of the dimension) / rows; completeness without rules is "
    "1 − missing cells / all cells; uniqueness counts duplicates beyond the first copy. "
    "Overall = weighted mean of the five scores. Generated by ecomkit."
)


def report_sections(report: QualityReport, *, level: int = 2) -> str:
    """The body of a report's page (cards, dimension scores, rule failures, fields), headings at ``<h{level}>``."""
    h = f"h{level}"
    rows = report.rows
    grade = _grade(report.overall)
    cards = "".join(
        [
            _card("Overall score", f"{report.overall:.3f}", "weighted, 0–1", grade),
            _card("Rows", f"{rows:,}", f"{report.columns} columns"),
            _card("Valid rows", f"{report.valid_rows:,}", _pct(report.valid_rows, rows)),
            _card(
                "Invalid rows",
                f"{report.invalid_rows:,}",
                _pct(report.invalid_rows, rows),
                "poor" if report.invalid_rows else "",
            ),
            _card(
                "Duplicate rows",
                f"{report.duplicate_rows:,}",
                "by " + ", ".join(_esc(k) for k in report.keys) if report.keys else "identical rows",
            ),
            _card(
                "Exact duplicates",
                f"{report.exact_duplicate_rows:,}",
                _pct(report.exact_duplicate_rows, rows),
            ),
            _card("Missing cells", f"{sum(report.null_counts.values()):,}", "null or NaN"),
        ]
    )
    score_rows = "".join(
        f"<tr><td>{_esc(d)}</td><td>{_score_bar(s)}</td><td class='num {_grade(s)}'>{s:.3f}</td>"
        f"<td class='num'>{_num(report.weights[d], 2)}</td>"
        f"<td>{'' if d in report.measured or d == 'completeness' else '<span class=muted>no checks</span>'}</td></tr>"
        for d, s in report.scores.items()
    )
    field_rows = "".join(_field_row(f, rows) for f in report.fields.values())
    rule_rows = "".join(
        f"<tr><td><code>{_esc(name)}</code><br><span class='muted'>{_esc(report.rule_info[name]['description'])}</span>"
        f"{_samples_table(report.samples.get(name, ()))}</td>"
        f"<td>{_esc(report.rule_info[name]['dimension'])}</td>"
        f"<td><span class='tag {_esc(report.rule_info[name]['severity'])}'>{_esc(report.rule_info[name]['severity'])}</span></td>"
        f"<td class='num'>{count:,}</td><td class='num'>{_pct(count, rows)}</td></tr>"
        for name, count in sorted(report.rule_failures.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    rules_html = (
        '<div class="panel"><table><tr><th>rule</th><th>dimension</th><th>severity</th>'
        f'<th class="num">failing rows</th><th class="num">share</th></tr>{rule_rows}</table></div>'
        if rule_rows
        else '<p class="muted">No rules were checked.</p>'
    )
    return (
        f'<div class="cards">{cards}</div>'
        f'<{h}>Quality dimensions</{h}><div class="panel"><table><tr><th>dimension</th><th></th>'
        f'<th class="num">score</th><th class="num">weight</th><th></th></tr>{score_rows}</table></div>'
        f"<{h}>Rule failures</{h}>{rules_html}"
        f'<{h}>Fields</{h}><div class="panel"><table><tr><th>field</th><th class="num">missing</th>'
        '<th class="num">distinct</th><th class="num">min</th><th class="num">max</th><th>details</th>'
        f"<th>distribution</th></tr>{field_rows}</table></div>"
    )


def report_subtitle(report: QualityReport) -> str:
    """One line about a report: its size and when it was made (plain text, not escaped)."""
    return f"{report.rows:,} rows × {report.columns} columns · generated {report.generated_at}"


def render_report(report: QualityReport) -> str:
    """The HTML page of a quality report: summary cards, score bars, fields with histograms, rule failures."""
    return _page(report.title, report_subtitle(report), report_sections(report), _esc(_REPORT_FOOTER))


def _delta(before: float, after: float, *, higher_is_better: bool, digits: int = 3) -> str:
    change = after - before
    if change == 0:
        return '<span class="muted">±0</span>'
    good = (change > 0) == higher_is_better
    text = f"{change:+.{digits}f}" if isinstance(change, float) and digits else f"{change:+,}"
    return f'<span class="{"delta-up" if good else "delta-down"}">{text}</span>'


def comparison_sections(comparison: Comparison, *, level: int = 2) -> str:
    """The body of a comparison's page (score, count, rule and field changes), headings at ``<h{level}>``."""
    h = f"h{level}"
    b, a = comparison.before, comparison.after
    score_rows = "".join(
        f"<tr><td>{_esc(d)}</td><td class='num'>{b.scores[d]:.3f}</td><td class='num'>{a.scores[d]:.3f}</td>"
        f"<td class='num'>{_delta(b.scores[d], a.scores[d], higher_is_better=True)}</td>"
        f"<td>{_score_bar(a.scores[d], 200)}</td></tr>"
        for d in ("overall", *a.scores)
        if d != "overall"
    )
    score_rows = (
        f"<tr><td><b>overall</b></td><td class='num'>{b.overall:.3f}</td><td class='num'>{a.overall:.3f}</td>"
        f"<td class='num'>{_delta(b.overall, a.overall, higher_is_better=True)}</td>"
        f"<td>{_score_bar(a.overall, 200)}</td></tr>" + score_rows
    )
    lower_better = {"invalid_rows", "duplicate_rows", "exact_duplicate_rows", "warned_rows", "missing_cells"}
    count_rows = "".join(
        f"<tr><td>{_esc(name)}</td><td class='num'>{before:,}</td><td class='num'>{after:,}</td>"
        f"<td class='num'>{_delta(before, after, higher_is_better=name not in lower_better, digits=0)}</td></tr>"
        for name, (before, after, _) in comparison.counts.items()
    )
    rule_rows = "".join(
        f"<tr><td><code>{_esc(name)}</code></td><td class='num'>{before:,}</td><td class='num'>{after:,}</td>"
        f"<td class='num'>{_delta(before, after, higher_is_better=False, digits=0)}</td></tr>"
        for name, (before, after, _) in comparison.rule_failures.items()
    )
    field_rows = "".join(
        f"<tr><td><code>{_esc(name)}</code></td><td class='num'>{d['nulls'][0]:,}</td><td class='num'>{d['nulls'][1]:,}</td>"
        f"<td class='num'>{_num(d['distinct'][0])}</td><td class='num'>{_num(d['distinct'][1])}</td>"
        f"<td class='num'>{_num(d['mean'][0])}</td><td class='num'>{_num(d['mean'][1])}</td></tr>"
        for name, d in comparison.fields.items()
    )
    return (
        f'<{h}>Scores</{h}><div class="panel"><table><tr><th>dimension</th><th class="num">before</th>'
        f'<th class="num">after</th><th class="num">change</th><th></th></tr>{score_rows}</table></div>'
        f'<{h}>Counts</{h}><div class="panel"><table><tr><th>count</th><th class="num">before</th>'
        f'<th class="num">after</th><th class="num">change</th></tr>{count_rows}</table></div>'
        f'<{h}>Rule failures</{h}><div class="panel"><table><tr><th>rule</th><th class="num">before</th>'
        f'<th class="num">after</th><th class="num">change</th></tr>{rule_rows}</table></div>'
        f'<{h}>Fields</{h}><div class="panel"><table><tr><th>field</th><th class="num">missing before</th>'
        '<th class="num">missing after</th><th class="num">distinct before</th><th class="num">distinct after</th>'
        f'<th class="num">mean before</th><th class="num">mean after</th></tr>{field_rows}</table></div>'
    )


def comparison_subtitle(comparison: Comparison) -> str:
    """One line about a comparison: the two reports' sizes and times (plain text, not escaped)."""
    b, a = comparison.before, comparison.after
    return f"before: {b.rows:,} rows ({b.generated_at}) · after: {a.rows:,} rows ({a.generated_at})"


def render_comparison(comparison: Comparison) -> str:
    """The HTML page of a before/after comparison: score and count deltas, per-field and per-rule changes."""
    return _page(
        comparison.title,
        comparison_subtitle(comparison),
        comparison_sections(comparison),
        "Generated by ecomkit.",
    )
