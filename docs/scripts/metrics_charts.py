"""Draw the CLV guide's charts as inline SVG, from the BG/NBD fit on CDNOW's published parameters.

Run from the repository root: ``PYTHONPATH=src python docs/scripts/metrics_charts.py``. The values come
from :mod:`ecomkit.metrics`; each chart replaces the text between ``<!-- chart:NAME -->`` and
``<!-- /chart -->`` in ``docs/guide/metrics.md``. No plotting library is needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

import numpy as np
import pyarrow as pa

from ecomkit.metrics import BetaGeo

PAGE = Path(__file__).resolve().parents[1] / "guide" / "metrics.md"
#: Fader, Hardie & Lee (2005), the BG/NBD fit on CDNOW (weeks); T = 39 weeks of observation
MODEL = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
T_WEEKS = 39.0
COLOURS = ("#2563eb", "#16a34a", "#d97706", "#dc2626")

# plot area inside a 460 x 220 picture
LEFT, RIGHT, TOP, BOTTOM = 48, 440, 16, 180


def _svg(
    label: str,
    x_max: float,
    y_max: float,
    x_ticks: Sequence[float],
    y_ticks: Sequence[float],
    x_title: str,
    series: Sequence[tuple[str, np.ndarray, np.ndarray]],
) -> str:
    def px(x: float) -> float:
        return LEFT + (RIGHT - LEFT) * x / x_max

    def py(y: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * y / y_max

    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="460" height="220" viewBox="0 0 460 220" '
        f'role="img" aria-label="{escape(label)}" font-family="sans-serif" font-size="11">',
        f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}" stroke="#555"/>',
    ]
    for x in x_ticks:
        lines.append(
            f'<line x1="{px(x):.1f}" y1="{BOTTOM}" x2="{px(x):.1f}" y2="{BOTTOM + 4}" stroke="#555"/>'
            f'<text x="{px(x):.1f}" y="{BOTTOM + 15}" text-anchor="middle">{x:g}</text>'
        )
    for y in y_ticks:
        lines.append(
            f'<line x1="{LEFT - 4}" y1="{py(y):.1f}" x2="{RIGHT}" y2="{py(y):.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 7}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>'
        )
    lines.append(f'<text x="{(LEFT + RIGHT) / 2}" y="{BOTTOM + 30}" text-anchor="middle">{x_title}</text>')
    for i, (name, xs, ys) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{px(float(x)):.1f},{py(float(y)):.1f}" for x, y in zip(xs, ys, strict=True))
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        lines.append(f'<text x="{LEFT + 10}" y="{TOP + 12 + 14 * i}" fill="{colour}">{escape(name)}</text>')
    lines.append("</svg>")
    return "\n".join(lines)


def expected_purchases_chart() -> str:
    """E[X(t)] of a new customer for t = 0 … 78 weeks."""
    weeks = np.linspace(0.0, 78.0, 79)
    values = np.asarray(MODEL.expected_purchases(weeks.tolist()).to_numpy(), dtype=float)
    return _svg(
        "expected purchases of a new customer",
        78.0,
        2.5,
        [0, 13, 26, 39, 52, 65, 78],
        [0, 0.5, 1, 1.5, 2, 2.5],
        "weeks since the first purchase",
        [(f"E[X(t)]  ({values[39]:.2f} at 39 weeks, {values[78]:.2f} at 78)", weeks, values)],
    )


def probability_alive_chart() -> str:
    """P(alive) at T = 39 weeks against recency, for a few repeat-purchase frequencies."""
    recency = np.linspace(0.0, T_WEEKS, 79)
    series = []
    for frequency in (1, 3, 6, 12):
        summary = pa.table(
            {
                "frequency": np.full(len(recency), float(frequency)),
                "recency": recency,
                "T": np.full(len(recency), T_WEEKS),
            }
        )
        alive = np.asarray(MODEL.probability_alive(summary).to_numpy(), dtype=float)
        series.append((f"{frequency} repeat purchase{'s' * (frequency > 1)}", recency, alive))
    return _svg(
        "probability alive against recency",
        T_WEEKS,
        1.0,
        [0, 5, 10, 15, 20, 25, 30, 35, 39],
        [0, 0.2, 0.4, 0.6, 0.8, 1],
        f"recency (week of the last purchase), T = {T_WEEKS:g} weeks",
        series,
    )


def main() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for name, draw in (
        ("expected-purchases", expected_purchases_chart),
        ("p-alive", probability_alive_chart),
    ):
        pattern = re.compile(rf"(<!-- chart:{name} -->\n)(?:[^\n]*\n)*?(<!-- /chart -->)", re.DOTALL)
        if not pattern.search(page):
            raise SystemExit(f"{PAGE}: no <!-- chart:{name} --> … <!-- /chart --> block")
        svg = draw()
        page = pattern.sub(lambda match, svg=svg: match.group(1) + svg + "\n" + match.group(2), page)
    PAGE.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
