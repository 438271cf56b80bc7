"""Charts drawn as SVG for the PDF (vectors, so they print sharp), readable in
black and white: each bar or series has its own hatch pattern, and every value
is written on the chart."""
from __future__ import annotations

from markupsafe import Markup, escape

PATTERNS = [
    ('<pattern id="p0" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#333"/></pattern>'),
    ('<pattern id="p1" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
     '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2.4"/></pattern>'),
    ('<pattern id="p2" width="5" height="5" patternUnits="userSpaceOnUse">'
     '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.3" fill="#000"/></pattern>'),
    ('<pattern id="p3" width="6" height="6" patternUnits="userSpaceOnUse">'
     '<rect width="6" height="6" fill="#bbb"/></pattern>'),
    ('<pattern id="p4" width="6" height="6" patternUnits="userSpaceOnUse">'
     '<rect width="6" height="6" fill="#fff"/><path d="M0 3H6M3 0V6" stroke="#000" stroke-width="1"/></pattern>'),
    ('<pattern id="p5" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">'
     '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="1.2"/></pattern>'),
    ('<pattern id="p6" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#777"/></pattern>'),
]
FONT = 'font-family="Noto Sans CJK TC, sans-serif"'


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}%"
    return f"{value:,}"


def bar_chart(title: str, bars: list[tuple[str, float]], width: int = 640, height: int = 260) -> Markup:
    """Vertical bars, one pattern each, the value above each bar and the label below."""
    top, bottom, left = 40, 58, 12  # room for the title above the tallest bar's value
    plot_h = height - top - bottom
    biggest = max([v for _, v in bars] + [1])
    slot = (width - 2 * left) / max(len(bars), 1)
    bar_w = min(56, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<title>{escape(title)}</title><defs>{"".join(PATTERNS)}</defs>',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold" {FONT}>{escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#000" stroke-width="1"/>']
    for i, (label, value) in enumerate(bars):
        h = plot_h * (value / biggest)
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="url(#p{i % len(PATTERNS)})" stroke="#000" stroke-width="0.8"/>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" {FONT}>{_number(value)}</text>')
        for j, line in enumerate(_wrap(label, 7)):
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 15 + 13 * j:.1f}" text-anchor="middle" font-size="10.5" {FONT}>{escape(line)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_percent_chart(title: str, groups: list[str], series: list[tuple[str, list[float]]],
                          width: int = 640, height: int = 280) -> Markup:
    """Percent bars grouped (e.g. 開案時 / 結案時), one pattern per series, with a legend."""
    top, bottom, left = 28, 64, 36
    plot_h = height - top - bottom
    group_w = (width - left - 12) / max(len(groups), 1)
    bar_w = min(48, group_w * 0.8 / max(len(series), 1))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<title>{escape(title)}</title><defs>{"".join(PATTERNS)}</defs>',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold" {FONT}>{escape(title)}</text>']
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.6"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="9.5" {FONT}>{tick}%</text>')
    for g, group in enumerate(groups):
        start = left + group_w * g + (group_w - bar_w * len(series)) / 2
        for s, (_, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / 100
            x, y = start + s * bar_w, top + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="url(#p{s % len(PATTERNS)})" stroke="#000" stroke-width="0.8"/>')
            parts.append(f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10" {FONT}>{value:.2f}%</text>')
        parts.append(f'<text x="{left + group_w * g + group_w / 2:.1f}" y="{top + plot_h + 16:.1f}" text-anchor="middle" font-size="11.5" {FONT}>{escape(group)}</text>')
    legend_y = height - 18
    for s, (name, _) in enumerate(series):
        x = left + s * 150
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="14" height="12" fill="url(#p{s % len(PATTERNS)})" stroke="#000" stroke-width="0.8"/>')
        parts.append(f'<text x="{x + 20}" y="{legend_y}" font-size="11" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)][:3] or [""]
