"""Inline SVG charts (no scripts, no external resources).

- ``tolerance_chart``: per subject, the worst tolerance ratio of each column
  (``model.tolerance_ratio``: min(max_abs_err / atol, max_rel_err / rtol)) on a log axis,
  with the tolerance (ratio 1) marked: failing cells and passing cells in two panels, each
  with its scale in its caption (a passing cell's ratio can exceed 1 when it passed through
  ``atol + rtol·|expected|`` together: it is drawn at the tolerance, not among the failures);
- ``duration_chart``: seconds spent per property area, one stacked segment per column.
"""
import collections
import math
from .model import area_of, column_of, tolerance_ratio
from .text import e

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
LABEL_WIDTH = 190
PLOT_WIDTH = 560
ROW_HEIGHT = 20
MIN_EXPONENT, MAX_EXPONENT = -8, 4


def column_colors(columns):
    return {column: PALETTE[index % len(PALETTE)] for index, column in enumerate(columns)}


def legend(columns, colors):
    items = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{colors[c]}"></span>'
        f'{e(c.label())}</span>' for c in columns)
    return f'<div class="legend">{items}</div>'


def _fmt(value):
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def tolerance_data(cells, columns, passing=None):
    """{subject: {column: (ratio, cell)}} with the worst ratio of each subject and column, over
    the passing cells (``passing=True``), the failing and erroring ones (``False``) or all."""
    data = collections.defaultdict(dict)
    for cell in cells:
        if passing is not None and (cell["outcome"] == "pass") != passing:
            continue
        if cell["outcome"] == "skip":
            continue
        ratio = tolerance_ratio(cell)
        if ratio is None or math.isnan(ratio):
            continue
        column = column_of(cell)
        current = data[cell["subject"]].get(column)
        if current is None or ratio > current[0]:
            data[cell["subject"]][column] = (ratio, cell)
    return data


def _x(ratio, low, high):
    if ratio <= 0:
        exponent = low
    elif math.isinf(ratio):
        exponent = high
    else:
        exponent = min(max(math.log10(ratio), low), high)
    return LABEL_WIDTH + (exponent - low) / (high - low) * PLOT_WIDTH


def _exponents(data, cap_at_tolerance):
    ratios = [r for entries in data.values() for r, _ in entries.values() if r > 0 and math.isfinite(r)]
    low = max(MIN_EXPONENT, math.floor(math.log10(min(ratios)))) if ratios else -3
    if cap_at_tolerance:
        return min(low, -1), 0
    high = min(MAX_EXPONENT, max(1, math.ceil(math.log10(max(ratios))))) if ratios else 1
    return min(low, -1), high


def _panel(data, columns, colors, top, width, caption, cap_at_tolerance):
    """(svg parts, height) of one panel: a caption, the axis, one row per subject."""
    low, high = _exponents(data, cap_at_tolerance)
    subjects = sorted(data, key=lambda s: (-max(r for r, _ in data[s].values()), s))
    lines = caption(low, high)
    parts = [f'<text x="6" y="{top + 14 * (index + 1)}" class="caption">{e(line)}</text>'
             for index, line in enumerate(lines)]
    axis_top = top + 14 * len(lines) + 24
    height = axis_top - top + len(subjects) * ROW_HEIGHT + 8
    for index in range(0, len(subjects), 2):   # zebra bands first, so the grid stays visible
        y = axis_top + index * ROW_HEIGHT
        parts.append(f'<rect x="0" y="{y}" width="{width}" height="{ROW_HEIGHT}" class="band"/>')
    bottom = axis_top + len(subjects) * ROW_HEIGHT
    for exponent in range(low, high + 1):
        x = _x(10.0 ** exponent, low, high)
        strong = exponent == 0
        parts.append(f'<line x1="{x:.1f}" y1="{axis_top - 6}" x2="{x:.1f}" y2="{bottom}" '
                     f'class="{"tol-line" if strong else "grid"}"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_top - 10}" class="axis" text-anchor="middle">'
                     f'{"tolerance" if strong else f"1e{exponent}"}</text>')
    for index, subject in enumerate(subjects):
        y = axis_top + index * ROW_HEIGHT + ROW_HEIGHT / 2
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 4:.1f}" class="label" '
                     f'text-anchor="end">{e(_short(subject))}</text>')
        for column in columns:
            if column not in data[subject]:
                continue
            ratio, cell = data[subject][column]
            x = _x(ratio, low, high)
            tip = (f"{subject} · {column.label()} · {cell['property']} {cell['dtype'] or ''}: "
                   f"ratio {_fmt(ratio)} (max_abs_err {_fmt(cell['max_abs_err'])}, atol "
                   f"{_fmt(cell['atol'])}, max_rel_err {_fmt(cell['max_rel_err'])}, rtol "
                   f"{_fmt(cell['rtol'])}) — {cell['outcome']}")
            if cap_at_tolerance and ratio > 1:   # passed through atol + rtol·|expected| together
                tip += " — passed through atol + rtol·|expected| together; drawn at the tolerance"
                parts.append(f'<path d="M{x:.1f} {y - 6:.1f} l6 6 l-6 6 l-6 -6 z" fill="#fff" '
                             f'stroke="{colors[column]}" stroke-width="2"><title>{e(tip)}</title></path>')
                continue
            stroke = ' stroke="#b3261e" stroke-width="2.5"' if not cap_at_tolerance else ' stroke="#fff" stroke-width="1"'
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colors[column]}"{stroke}>'
                         f'<title>{e(tip)}</title></circle>')
    return parts, height


def tolerance_chart(cells, columns, colors):
    """The SVG dot plot, or None when no cell records an error and a tolerance: a panel of the
    failing and erroring cells (their own log axis) above one of the passing cells (a log axis
    that ends at the tolerance: a passing cell above it is drawn at it, as an open diamond)."""
    failing = tolerance_data(cells, columns, passing=False)
    passing = tolerance_data(cells, columns, passing=True)
    if not failing and not passing:
        return None
    width = LABEL_WIDTH + PLOT_WIDTH + 20
    parts, top = [], 4
    if failing:
        panel, height = _panel(
            failing, columns, colors, top, width, lambda low, high: (
                "Failing and erroring cells (red ring): min(max_abs_err / atol, max_rel_err / rtol),",
                f"log10 scale from 1e{low} to 1e{high}; right of the tolerance line is outside "
                f"tolerance; an exact 0 sits at the left edge"), False)
        parts += panel
        top += height + 10
    if passing:
        panel, height = _panel(
            passing, columns, colors, top, width, lambda low, high: (
                f"Passing cells: the same ratio, log10 scale from 1e{low} to 1 (the tolerance) at most;",
                "a passing cell whose ratio exceeds 1 passed through atol + rtol·|expected| together:",
                "it is drawn at the tolerance as an open diamond (hover for its ratio)"), True)
        parts += panel
        top += height
    return "".join([_svg_open(width, top + 6),
                    '<title>Worst error relative to tolerance, per subject and column: failing '
                    'cells, then passing cells</title>'] + parts + ["</svg>"])


def _svg_open(width, height):
    return (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">')


def _short(text, limit=28):
    return text if len(text) <= limit else text[:limit - 1] + "…"


def duration_chart(cells, columns, colors, area_order):
    """Stacked horizontal bars of seconds per area, or None when no cell records a duration."""
    seconds = collections.defaultdict(lambda: collections.defaultdict(float))
    for cell in cells:
        if cell.get("duration_s"):
            seconds[area_of(cell["property"])][column_of(cell)] += cell["duration_s"]
    areas = [area for area in area_order if area in seconds]
    if not areas:
        return None
    longest = max(sum(per_column.values()) for per_column in seconds.values()) or 1.0
    top, bottom = 10, 24
    height = top + len(areas) * (ROW_HEIGHT + 6) + bottom
    width = LABEL_WIDTH + PLOT_WIDTH + 90
    parts = [_svg_open(width, height), '<title>Seconds per property area, stacked by column</title>']
    for index, area in enumerate(areas):
        y = top + index * (ROW_HEIGHT + 6)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" class="label" '
                     f'text-anchor="end">{e(_short(area))}</text>')
        x = float(LABEL_WIDTH)
        for column in columns:
            value = seconds[area].get(column, 0.0)
            if value <= 0:
                continue
            share = value / longest
            bar = share * PLOT_WIDTH if math.isfinite(share) else PLOT_WIDTH   # sums can overflow
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(bar, 0.5):.1f}" height="{ROW_HEIGHT}" '
                         f'fill="{colors[column]}"><title>{e(f"{area} · {column.label()}: {value:.3f} s")}'
                         f'</title></rect>')
            x += bar
        total = sum(seconds[area].values())
        parts.append(f'<text x="{x + 6:.1f}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" class="axis">'
                     f'{total:.3g} s</text>')
    parts.append(f'<text x="{LABEL_WIDTH}" y="{height - 6}" class="axis">sum of duration_s of '
                 f'the cells, seconds</text>')
    parts.append("</svg>")
    return "".join(parts)
