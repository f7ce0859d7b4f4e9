"""Bar charts as server-side SVG for the pipeline dashboard: pure geometry, the templates
(`web/_bar_chart.html`, `web/_column_chart.html`) draw it with autoescaping on.

No script and no request to anyone else: the page is the picture. Each chart is an
`<svg role="img">` with a `<title>` and a `<desc>`, every bar carries its number as text
(so the chart reads without telling colours apart), and the page puts the same numbers in
a table next to it for screen readers and for copying.
"""

from dataclasses import dataclass

# Fill colours of the decision outcomes; each has a contrast of at least 4.5:1 on white
# (WCAG 1.4.11 asks 3:1 for graphics), and the legend and the numbers say the same.
OUTCOME_COLOURS = {
    "positive": "#1b6e20",
    "positive_with_conditions": "#7a4d00",
    "negative": "#a4161a",
}
BAR_COLOUR = "#0b4f8a"
OVERDUE_COLOUR = "#a4161a"


@dataclass(frozen=True)
class Bar:
    label: str
    value: object  # the number drawn (int or float), None for "no figure"
    text: str  # the number as shown


def bar_chart(bars, *, title, desc, colour=BAR_COLOUR, label_width=200, bar_width=360):
    """A horizontal bar chart: one row per bar, its label on the left, its number after
    the bar. Bars are scaled to the largest value; a zero or missing value draws no bar
    but still shows its number (or "–")."""
    row, thickness, top = 26, 16, 6
    largest = max((b.value for b in bars if b.value), default=0) or 1
    x0 = label_width + 8
    rows = []
    for i, b in enumerate(bars):
        y = top + i * row
        length = round(bar_width * (b.value or 0) / largest, 1)
        rows.append(
            {
                "label": b.label,
                "text": b.text,
                "y": y,
                "text_y": y + thickness - 3,
                "length": length,
                "value_x": x0 + length + 6,
            }
        )
    return {
        "title": title,
        "desc": desc,
        "colour": colour,
        "rows": rows,
        "label_x": label_width,
        "x0": x0,
        "thickness": thickness,
        "width": x0 + bar_width + 60,
        "height": top * 2 + max(len(bars), 1) * row,
    }


def column_chart(groups, series, *, title, desc, plot_height=160):
    """Grouped vertical bars: `groups` is [(label, {series key: value})], `series` is
    [(key, label, colour)]. Each bar has its number above it; the group's label is under
    the group."""
    bar, gap, left, top, bottom = 14, 16, 12, 18, 34
    group_width = bar * len(series) + gap
    largest = max((v for _, values in groups for v in values.values()), default=0) or 1
    base = top + plot_height
    drawn = []
    for g, (label, values) in enumerate(groups):
        gx = left + g * group_width
        bars = []
        for s, (key, series_label, colour) in enumerate(series):
            value = values.get(key, 0)
            height = round(plot_height * value / largest, 1)
            x = gx + s * bar
            bars.append(
                {
                    "key": key,
                    "series": series_label,
                    "colour": colour,
                    "value": value,
                    "x": x,
                    "y": round(base - height, 1),
                    "height": height,
                    "text_x": x + bar / 2,
                    "text_y": round(base - height - 4, 1),
                }
            )
        drawn.append(
            {"label": label, "bars": bars, "label_x": gx + (group_width - gap) / 2, "x": gx}
        )
    return {
        "title": title,
        "desc": desc,
        "groups": drawn,
        "series": [{"key": k, "label": lab, "colour": c} for k, lab, c in series],
        "bar": bar,
        "base": base,
        "label_y": base + 18,
        "width": left * 2 + len(groups) * group_width,
        "height": base + bottom,
    }
