"""Charts drawn on the server as SVG: no CDN and no script (the app runs offline and its
Content-Security-Policy allows no inline code). Each chart has a <title> and a <desc>, and the
page keeps the figures in a table beside it, so nothing is only in the picture.

Values that are masked ("M"), zero (".") or missing are not drawn: a chart never shows what
its table hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#6f3c97", "#b58840")


def number(value: object) -> float | None:
    """A drawable value: masked "M", zero "." and None are not drawn."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _nice_max(top: float) -> float:
    if top <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top <= step:
            return float(step)
    return float(top * 1.1)


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass
class Series:
    name: str
    values: Sequence[object]


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "%",
               width: int = 640, height: int = 240) -> Markup:
    """Lines over categories (runs, periods); a series' masked points leave gaps."""
    left, right, top_pad, bottom = 56, 16, 16, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    height += 18 * len(series)  # the legend, one series a line
    drawn = [v for s in series for v in map(number, s.values) if v is not None]
    top = _nice_max(max(drawn, default=0.0))
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top_pad + plot_h - plot_h * v / top

    desc = "; ".join(
        f"{s.name}: " + ", ".join(f"{lab} {v if number(v) is not None else 'not shown'}"
                                   for lab, v in zip(labels, s.values, strict=False))
        for s in series)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"]
    for t in _ticks(top):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                     'stroke="#d0d0d0" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#444">{_fmt(t)}{escape(unit)}</text>')
    step = max(1, (len(labels) + 7) // 8)
    for i, lab in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{top_pad + plot_h + 16}" '
                         'text-anchor="middle" '
                         f'font-size="11" fill="#444">{escape(lab)}</text>')
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        run: list[str] = []
        for i, v in enumerate(s.values):
            value = number(v)
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                                 f'points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" '
                         f'fill="{colour}"><title>{escape(s.name)}, {escape(labels[i])}: '
                         f"{value:g}{escape(unit)}</title></circle>")
        if len(run) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                         f'points="{" ".join(run)}"/>')
        ly = top_pad + plot_h + bottom + 18 * k
        parts.append(f'<rect x="{left}" y="{ly}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + 18}" y="{ly + 10}" font-size="12" '
                     f'fill="#222">{escape(s.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Interval:
    label: str
    value: object
    low: object
    high: object


def interval_chart(title: str, groups: Sequence[tuple[str, Sequence[Interval]]],
                   unit: str = "%", width: int = 640) -> Markup:
    """Rates as dots with their 95% interval as whiskers, grouped (a measure: matched and
    other). A masked rate draws nothing but its label and "masked"."""
    row_h, left, right, top_pad = 22, 210, 24, 24
    rows = sum(len(items) + 1 for _, items in groups)
    height = top_pad + rows * row_h + 24
    highs = [number(i.high) or number(i.value) or 0.0 for _, items in groups for i in items]
    top = _nice_max(max(highs, default=0.0))
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * min(max(v, 0.0), top) / top

    desc = "; ".join(f"{g}: " + ", ".join(
        f"{i.label} {i.value} ({i.low} to {i.high})" for i in items) for g, items in groups)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"]
    for t in _ticks(top):
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top_pad - 8}" '
                     f'y2="{height - 20}" stroke="#e0e0e0" stroke-width="1"/>')
        parts.append(f'<text x="{x(t):.1f}" y="{top_pad - 10}" text-anchor="middle" '
                     f'font-size="11" fill="#444">{_fmt(t)}{escape(unit)}</text>')
    row = 0
    for g, items in groups:
        yy = top_pad + row * row_h + 14
        parts.append(f'<text x="4" y="{yy}" font-size="12" font-weight="bold" '
                     f'fill="#222">{escape(g)}</text>')
        row += 1
        for k, item in enumerate(items):
            yy = top_pad + row * row_h + 10
            colour = COLOURS[k % len(COLOURS)]
            parts.append(f'<text x="16" y="{yy + 4}" font-size="12" '
                         f'fill="#222">{escape(item.label)}</text>')
            value, low, high = number(item.value), number(item.low), number(item.high)
            if value is None:
                parts.append(f'<text x="{left}" y="{yy + 4}" font-size="12" fill="#555">'
                             f'{"masked (small numbers)" if item.value == "M" else "none"}'
                             "</text>")
            else:
                if low is not None and high is not None:
                    parts.append(f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{yy}" '
                                 f'y2="{yy}" stroke="{colour}" stroke-width="2"/>')
                    for end in (low, high):
                        parts.append(f'<line x1="{x(end):.1f}" x2="{x(end):.1f}" '
                                     f'y1="{yy - 5}" y2="{yy + 5}" stroke="{colour}" '
                                     'stroke-width="2"/>')
                parts.append(f'<circle cx="{x(value):.1f}" cy="{yy}" r="4.5" fill="{colour}">'
                             f"<title>{escape(item.label)}: {value:g}{escape(unit)}"
                             f"</title></circle>")
            row += 1
    parts.append("</svg>")
    return Markup("".join(parts))


def waterfall(title: str, steps: Sequence[tuple[str, float | None, float]],
              width: int = 640) -> Markup:
    """A weight waterfall: each step's bar runs from the running total before it to after it
    (green for evidence for, red against), in log2 odds (bits)."""
    row_h, left, right, top_pad = 22, 230, 60, 20
    height = top_pad + len(steps) * row_h + 16
    points = [0.0]
    for _, _, running in steps:
        points.append(running)
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return left + (width - left - right) * (v - lo) / span

    desc = "; ".join(f"{label} {'none' if c is None else f'{c:+.2f}'}"
                     for label, c, _ in steps)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
             f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="6" y2="{height - 6}" '
             'stroke="#888" stroke-width="1" stroke-dasharray="3 3"/>']
    before = 0.0
    for i, (label, contribution, running) in enumerate(steps):
        yy = top_pad + i * row_h
        parts.append(f'<text x="4" y="{yy + 12}" font-size="12" fill="#222">'
                     f"{escape(label)}</text>")
        if contribution is None:
            parts.append(f'<text x="{left}" y="{yy + 12}" font-size="12" fill="#555">'
                         "missing on a side: no evidence</text>")
        else:
            a, b = sorted((before, running))
            colour = "#00703c" if contribution >= 0 else "#d4351c"
            parts.append(f'<rect x="{x(a):.1f}" y="{yy + 2}" width="{max(x(b) - x(a), 1):.1f}" '
                         f'height="{row_h - 6}" fill="{colour}"/>')
            parts.append(f'<text x="{x(b) + 4:.1f}" y="{yy + 13}" font-size="11" '
                         f'fill="#222">{contribution:+.2f}</text>')
        before = running
    parts.append("</svg>")
    return Markup("".join(parts))
