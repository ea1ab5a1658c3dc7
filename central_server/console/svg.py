"""Charts drawn on the server as SVG: pure functions from labels and values to markup.

The console has no scripts to draw with (its policy admits only its own files) and centres often have no
internet, so a chart is plain SVG in the page. Every label is the caller's data: each is stripped of the
characters XML cannot hold and escaped here, and the result is Markup so a template includes it as is.
Each bar carries its value as text (readable without colour) and its full label in a <title>; the page
gives the same numbers as a table as well.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup, escape

BAR_FILL = "#1d5aa3"  # the console's primary blue: AA contrast on white for the labels beside it
_AXIS = "#4f5866"
# What XML 1.0 cannot carry at all, escaped or not: C0 controls but tab/newline/return, surrogates, FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
_LABEL_CHARS = 22  # a horizontal bar's label beyond this is cut (the <title> keeps all of it)


class Bar(NamedTuple):
    label: str
    value: float  # the bar's length; not finite or below 0 draws nothing
    text: str  # the value as the reader sees it ("71.4%", "12")


def _text(value: str) -> str:
    # A label is one line; XML would turn a line break inside an attribute into a space anyway.
    return str(escape(_LINE_BREAKS.sub(" ", _NOT_XML.sub("", value))))


def _n(value: float) -> str:
    """A coordinate: finite, one decimal at most."""
    if not math.isfinite(value):
        value = 0.0
    return f"{value:.1f}".removesuffix(".0")


def _length(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def _open(title: str, width: float, height: float) -> list[str]:
    label = _text(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{label}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">',
        f"<title>{label}</title>",
    ]


def _empty(title: str, empty: str, width: float) -> Markup:
    parts = _open(title, width, 60)
    parts.append(f'<text x="{_n(width / 2)}" y="35" text-anchor="middle">{_text(empty)}</text></svg>')
    return Markup("".join(parts))


def bar_chart(
    title: str, bars: Sequence[Bar], *, empty: str, width: float = 900, height: float = 240
) -> Markup:
    """Upright bars left to right (periods, scores)."""
    if not bars:
        return _empty(title, empty, width)
    top, bottom, side = 24.0, 40.0, 12.0
    plot_width, plot_height = width - 2 * side, height - top - bottom
    slot = plot_width / len(bars)
    # With many bars every n-th keeps its texts: values at least 30 px apart, labels (dates) 56 px.
    value_step = max(1, math.ceil(len(bars) * 30 / plot_width))
    label_step = max(1, math.ceil(len(bars) * 56 / plot_width))
    scale = max((_length(bar.value) for bar in bars), default=0.0) or 1.0
    baseline = top + plot_height
    parts = _open(title, width, height)
    parts.append(
        f'<line x1="{_n(side)}" y1="{_n(baseline)}" x2="{_n(width - side)}" y2="{_n(baseline)}" '
        f'stroke="{_AXIS}"/>'
    )
    for index, bar in enumerate(bars):
        centre = side + slot * (index + 0.5)
        tall = plot_height * _length(bar.value) / scale
        parts.append(
            f"<g><title>{_text(bar.label)}: {_text(bar.text)}</title>"
            f'<rect x="{_n(centre - slot * 0.35)}" y="{_n(baseline - tall)}" width="{_n(slot * 0.7)}" '
            f'height="{_n(tall)}" fill="{BAR_FILL}"/></g>'
        )
        if index % value_step == 0:
            parts.append(
                f'<text x="{_n(centre)}" y="{_n(baseline - tall - 6)}" text-anchor="middle">'
                f"{_text(bar.text)}</text>"
            )
        if index % label_step == 0:
            parts.append(
                f'<text x="{_n(centre)}" y="{_n(baseline + 18)}" text-anchor="middle">'
                f"{_text(bar.label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def hbar_chart(
    title: str, bars: Sequence[Bar], *, empty: str, width: float = 900, scale: float = 0
) -> Markup:
    """One row per bar, its label on the left and its value after it (services, kiosks). `scale` is the
    value of a full-length bar (1 for shares); 0: the largest value."""
    if not bars:
        return _empty(title, empty, width)
    row, label_width, value_width, top = 30.0, 190.0, 80.0, 8.0
    plot_width = width - label_width - value_width
    full = _length(scale) or max((_length(bar.value) for bar in bars), default=0.0) or 1.0
    height = top * 2 + row * len(bars)
    parts = _open(title, width, height)
    for index, bar in enumerate(bars):
        y = top + row * index
        long = plot_width * min(_length(bar.value) / full, 1.0)
        label = bar.label if len(bar.label) <= _LABEL_CHARS else bar.label[: _LABEL_CHARS - 1] + "…"
        parts.append(
            f"<g><title>{_text(bar.label)}: {_text(bar.text)}</title>"
            f'<text x="{_n(label_width - 8)}" y="{_n(y + row / 2 + 4)}" text-anchor="end">'
            f"{_text(label)}</text>"
            f'<rect x="{_n(label_width)}" y="{_n(y + 5)}" width="{_n(long)}" height="{_n(row - 10)}" '
            f'fill="{BAR_FILL}"/>'
            f'<text x="{_n(label_width + long + 6)}" y="{_n(y + row / 2 + 4)}">{_text(bar.text)}</text></g>'
        )
    parts.append(
        f'<line x1="{_n(label_width)}" y1="{_n(top)}" x2="{_n(label_width)}" y2="{_n(height - top)}" '
        f'stroke="{_AXIS}"/></svg>'
    )
    return Markup("".join(parts))
