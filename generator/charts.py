"""charts.py — build-time SVG charts: no JavaScript, crisp at any size, printable.

Each chart is a <figure> with an SVG that has a title and a description for screen readers,
and the same numbers as a table beside it, so nothing is shown only as a picture.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 200
LEFT, BOTTOM, TOP = 40, 28, 12


def _ticks(maximum: int) -> list[int]:
    """Gridline values 0, step, 2·step, … up to at least `maximum`, with a round step (1, 2, 5 × 10ⁿ)
    chosen so that there are at most five lines."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if maximum <= 4 * step:
                return list(range(0, -(-maximum // step) * step + 1, step))
        magnitude *= 10


def column_chart(chart_id: str, title: str, description: str, series: list[tuple[int, int]], unit: str) -> Markup:
    """Columns by year: series is [(year, value)], contiguous years, gaps as 0."""
    if not series:
        return Markup("")
    ticks = _ticks(max(value for _, value in series) or 1)
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(series)
    label_every = max(1, round(len(series) / 10))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>')
    for index, (year, value) in enumerate(series):
        height = plot_h * value / top
        bar = min(slot * 0.7, 48)
        centre = LEFT + index * slot + slot / 2
        parts.append(f'<rect class="bar" x="{centre - bar / 2:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" height="{height:.1f}"/>')
        if index % label_every == 0:
            parts.append(f'<text class="axis" x="{centre:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{year}</text>')
    parts.append("</svg>")
    rows = [(str(year), value) for year, value in series if value]
    return _figure(chart_id, title, "".join(parts), "Year", unit, rows)


def bar_chart(chart_id: str, title: str, description: str, items: list[tuple[str, int]], unit: str) -> Markup:
    """Horizontal bars, largest first: items is [(label, value)], at most ten shown."""
    items = items[:10]
    if not items:
        return Markup("")
    row_h, label_w = 28, 130
    height = row_h * len(items) + 8
    largest = max(value for _, value in items) or 1
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    for index, (label, value) in enumerate(items):
        y = 4 + index * row_h
        width = (WIDTH - label_w - 60) * value / largest
        parts.append(f'<text class="label" x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
                     f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row_h - 8}"/>'
                     f'<text class="axis" x="{label_w + width + 6:.1f}" y="{y + 17}">{value:,}</text>')
    parts.append("</svg>")
    return _figure(chart_id, title, "".join(parts), "Party", unit, items)


def _figure(chart_id: str, title: str, svg: str, label_heading: str, unit: str, rows: list[tuple[str, int]]) -> Markup:
    """The chart and its numbers as a table, side by side under one caption."""
    body = "".join(f'<tr><th scope="row">{escape(label)}</th><td class="num">{value:,}</td></tr>' for label, value in rows)
    table = (f'<div class="chart-data" role="region" aria-label="{escape(title)}: the numbers" tabindex="0"><table>'
             f'<caption class="visually-hidden">{escape(title)}</caption><thead><tr><th scope="col">{label_heading}</th>'
             f'<th scope="col" class="num">{escape(unit)}</th></tr></thead><tbody>{body}</tbody></table></div>')
    return Markup(f'<figure class="chart-figure" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
                  f'<div class="chart-plot">{svg}</div>{table}</figure>')
