"""The SVG chart helpers for any labels and values: well-formed XML, every label escaped (and kept, in a
<title>), no NaN or infinity in a coordinate, bars as long as their values say."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from central_server.console.svg import Bar, bar_chart, hbar_chart

NS = "{http://www.w3.org/2000/svg}"
GEOMETRY = ("x", "y", "x1", "y1", "x2", "y2", "width", "height")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _shown(text: str) -> str:
    """A label as the chart carries it: without what XML cannot hold, on one line."""
    return re.sub("[\t\n\r]", " ", _NOT_XML.sub("", text))


values = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12)
bars = st.lists(st.builds(Bar, st.text(max_size=40), values, st.text(max_size=12)), max_size=60)


def _parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    return ET.fromstring(str(chart))


def _check(root: ET.Element, title: str, drawn: list[Bar]) -> None:
    assert root.tag == NS + "svg" and root.get("role") == "img" and root.get("class") == "chart"
    assert root.get("aria-label") == _shown(title)
    assert root.findtext(NS + "title") == _shown(title)
    for element in root.iter():
        for name in GEOMETRY:
            if name in element.attrib:
                number = float(element.attrib[name])
                assert math.isfinite(number), (element.tag, name, element.attrib[name])
                if name in ("width", "height"):
                    assert number >= 0
    titles = [g.findtext(NS + "title") for g in root.iter(NS + "g")]
    assert titles == [_shown(f"{bar.label}: {bar.text}") for bar in drawn]


@given(st.text(max_size=30), bars)
def test_upright_bars_are_well_formed_for_any_labels_and_values(title: str, drawn: list[Bar]) -> None:
    _check(_parse(bar_chart(title, drawn, empty="none")), title, drawn)


@given(st.text(max_size=30), bars, st.floats(allow_nan=True, allow_infinity=True))
def test_lying_bars_are_well_formed_for_any_labels_and_values(
    title: str, drawn: list[Bar], scale: float
) -> None:
    _check(_parse(hbar_chart(title, drawn, empty="none", scale=scale)), title, drawn)


def test_markup_in_labels_is_text() -> None:
    chart = bar_chart('<b>"t"</b>', [Bar("<script>alert(1)</script>", 3, "3 & more")], empty="")
    assert "<script>" not in chart and "<b>" not in chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart and "3 &amp; more" in chart
    root = _parse(chart)
    assert [t.text for t in root.iter(NS + "text")] == ["3 & more", "<script>alert(1)</script>"]


def test_bars_are_as_long_as_their_values() -> None:
    root = _parse(
        hbar_chart(
            "t", [Bar("a", 0.5, "50%"), Bar("b", 1.0, "100%"), Bar("c", 2.0, "200%")], empty="", scale=1
        )
    )
    widths = [float(r.attrib["width"]) for r in root.iter(NS + "rect")]
    assert widths[0] * 2 == widths[1] == widths[2]  # beyond the scale a bar stops at full length
    upright = _parse(bar_chart("t", [Bar("a", 1, "1"), Bar("b", 4, "4"), Bar("c", math.nan, "?")], empty=""))
    heights = [float(r.attrib["height"]) for r in upright.iter(NS + "rect")]
    assert heights[0] * 4 == heights[1] and heights[2] == 0


def test_no_bars_say_so() -> None:
    root = _parse(hbar_chart("Visits", [], empty="No data"))
    assert [t.text for t in root.iter(NS + "text")] == ["No data"] and root.findtext(NS + "title") == "Visits"
