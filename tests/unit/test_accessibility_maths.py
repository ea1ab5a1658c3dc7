"""The accessibility arithmetic (kiosk/accessibility.py): dp and mm from design pixels, WCAG contrast."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.accessibility import (
    KIOSK_PANEL,
    Panel,
    contrast_needed,
    contrast_ratio,
    elderly_timeouts,
    is_large_text,
    over,
    relative_luminance,
)
from kiosk.widgets import theme

channel = st.floats(min_value=0, max_value=1, allow_nan=False)
opaque = st.tuples(channel, channel, channel)
with_alpha = st.tuples(channel, channel, channel, channel)
sizes = st.floats(min_value=0, max_value=10_000, allow_nan=False)
diagonals = st.floats(min_value=5, max_value=100, allow_nan=False)


def test_the_kiosk_panel() -> None:
    # 21.5" 1080x1920: about 102.5 ppi; one design pixel is about a quarter of a millimetre.
    assert KIOSK_PANEL.ppi == pytest.approx(102.46, abs=0.01)
    assert KIOSK_PANEL.mm(1) == pytest.approx(0.2479, abs=0.0005)
    assert KIOSK_PANEL.dp(1) == pytest.approx(1.5616, abs=0.0005)
    # 160 dp are one inch whatever the panel.
    assert KIOSK_PANEL.mm(KIOSK_PANEL.design_px(160)) == pytest.approx(25.4)


@given(sizes, diagonals)
def test_dp_and_design_pixels_are_inverse_and_proportional(px: float, diagonal: float) -> None:
    panel = Panel(diagonal_in=diagonal)
    assert panel.design_px(panel.dp(px)) == pytest.approx(px, rel=1e-9, abs=1e-9)
    assert panel.dp(2 * px) == pytest.approx(2 * panel.dp(px), rel=1e-9, abs=1e-9)
    # dp and mm are the same length in two units: 160 dp per 25.4 mm.
    assert panel.mm(px) == pytest.approx(panel.dp(px) * 25.4 / 160, rel=1e-9, abs=1e-9)


@given(sizes, diagonals, diagonals)
def test_a_bigger_panel_makes_the_same_pixels_bigger(px: float, a: float, b: float) -> None:
    small, big = sorted((a, b))
    assert Panel(diagonal_in=small).dp(px) <= Panel(diagonal_in=big).dp(px) + 1e-9


def test_known_contrasts() -> None:
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21)
    assert contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    # WCAG's own example values: #777 on white is 4.48 (fails AA), #767676 is 4.54 (passes).
    assert contrast_ratio((0x77 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio((0x76 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)
    # The theme's body text on its background: far above 4.5.
    assert contrast_ratio(theme.TEXT, theme.BACKGROUND) > 12


@given(opaque, opaque)
def test_contrast_is_symmetric_and_bounded(a: tuple[float, ...], b: tuple[float, ...]) -> None:
    ratio = contrast_ratio(a, b)
    assert 1 <= ratio <= 21 + 1e-9
    assert ratio == pytest.approx(contrast_ratio(b, a))
    assert contrast_ratio(a, a) == pytest.approx(1)


@given(opaque, opaque)
def test_luminance_is_monotonic_in_each_channel(a: tuple[float, ...], b: tuple[float, ...]) -> None:
    brighter = tuple(max(x, y) for x, y in zip(a, b, strict=True))
    assert relative_luminance(brighter) >= relative_luminance(a) - 1e-12


@given(opaque, opaque)
def test_opaque_over_anything_is_itself_and_transparent_shows_what_is_below(
    top: tuple[float, ...], bottom: tuple[float, ...]
) -> None:
    assert over((*top, 1.0), (*bottom, 1.0))[:3] == pytest.approx(top)
    assert over((*top, 0.0), (*bottom, 1.0))[:3] == pytest.approx(bottom)


@given(with_alpha, opaque)
def test_blending_lies_between_the_two_colours(top: tuple[float, ...], bottom: tuple[float, ...]) -> None:
    blended = over(top, (*bottom, 1.0))
    assert blended[3] == pytest.approx(1.0)
    for mixed, t, b in zip(blended[:3], top[:3], bottom, strict=True):
        assert min(t, b) - 1e-9 <= mixed <= max(t, b) + 1e-9


@given(st.floats(min_value=0, max_value=200, allow_nan=False), st.booleans())
def test_large_text_rule(font_dp: float, bold: bool) -> None:
    large = is_large_text(font_dp, bold)
    assert large == (font_dp >= 24 or (bold and font_dp >= 56 / 3))
    assert contrast_needed(font_dp, bold) == (3.0 if large else 4.5)
    # Bold never needs more contrast than regular at the same size.
    assert contrast_needed(font_dp, True) <= contrast_needed(font_dp, False)


@given(st.floats(min_value=1, max_value=3600), st.floats(min_value=1, max_value=600))
def test_elderly_mode_waits_longer(idle_s: float, countdown_s: float) -> None:
    idle, countdown = elderly_timeouts(idle_s, countdown_s)
    assert idle > idle_s and countdown > countdown_s
    assert countdown >= 20
    assert math.isfinite(idle)
