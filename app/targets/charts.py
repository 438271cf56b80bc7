"""The board's chart: per year, the value as a bar (one pattern per series: the county, the nation)
and the year's target as a dashed line across the year with its percentage written beside it.
Drawn on the server as SVG (no script, no CDN), readable in black and white, every value written."""
from __future__ import annotations

from markupsafe import Markup, escape

from ..reports.charts import FONT, PATTERNS


def target_chart(title: str, groups: list[str], series: list[tuple[str, list[float | None]]],
                 targets: list[float | None], notes: list[str], width: int = 640, height: int = 270) -> Markup:
    """``groups`` the years; ``series`` name and a value (percent) or None per year; ``targets`` the
    year's target or None (no line); ``notes`` what to write where there is no value (「尚未開始」)."""
    top, bottom, left, right = 30, 58, 40, 12
    plot_h = height - top - bottom
    group_w = (width - left - right) / max(len(groups), 1)
    bar_w = min(40, group_w * 0.7 / max(len(series), 1))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" class="target-chart">',
             f'<title>{escape(title)}</title><defs>{"".join(PATTERNS)}</defs>',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold" {FONT}>{escape(title)}</text>']
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.6"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="9.5" {FONT}>{tick}%</text>')
    for g, group in enumerate(groups):
        x0 = left + group_w * g
        start = x0 + (group_w - bar_w * len(series)) / 2
        drawn = False
        for s, (_, values) in enumerate(series):
            value = values[g]
            if value is None:
                continue
            drawn = True
            h = plot_h * min(value, 100) / 100
            x, y = start + s * bar_w, top + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="url(#p{(s * 2 + 1) % len(PATTERNS)})" stroke="#000" stroke-width="0.8"/>')
            parts.append(f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="9.5" {FONT}>{value:.1f}%</text>')
        target = targets[g]
        if target is not None:
            y = top + plot_h * (1 - target / 100)
            parts.append(f'<line x1="{x0 + 6:.1f}" y1="{y:.1f}" x2="{x0 + group_w - 6:.1f}" y2="{y:.1f}" stroke="#b00" stroke-width="2" stroke-dasharray="6 3" class="target-line"/>')
            parts.append(f'<text x="{x0 + group_w - 6:.1f}" y="{y - 3:.1f}" text-anchor="end" font-size="9" fill="#b00" {FONT}>目標 {target:g}%</text>')
        if not drawn and notes[g]:
            parts.append(f'<text x="{x0 + group_w / 2:.1f}" y="{top + plot_h - 8:.1f}" text-anchor="middle" font-size="10" fill="#555" {FONT}>{escape(notes[g])}</text>')
        parts.append(f'<text x="{x0 + group_w / 2:.1f}" y="{top + plot_h + 16:.1f}" text-anchor="middle" font-size="11.5" {FONT}>{escape(group)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#000" stroke-width="1"/>')
    legend_y = height - 14
    x = left
    for s, (name, _) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="14" height="12" fill="url(#p{(s * 2 + 1) % len(PATTERNS)})" stroke="#000" stroke-width="0.8"/>')
        parts.append(f'<text x="{x + 20}" y="{legend_y}" font-size="11" {FONT}>{escape(name)}</text>')
        x += 30 + 14 * len(name)
    if any(t is not None for t in targets):
        parts.append(f'<line x1="{x}" y1="{legend_y - 4}" x2="{x + 22}" y2="{legend_y - 4}" stroke="#b00" stroke-width="2" stroke-dasharray="6 3"/>')
        parts.append(f'<text x="{x + 28}" y="{legend_y}" font-size="11" {FONT}>當年度目標</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
