"""The numbers behind the kiosk's accessibility rules: physical sizes and contrast. Pure arithmetic, no Kivy.

Sizes in the UI are *design pixels*: pixels of the 1080x1920 portrait panel the screens are laid out for
(`kiosk.display`; Kivy's `dp()` turns one design pixel into `density` window pixels). The rules we measure
against (MIIT 适老化, WCAG, ADA 2010 §707) speak of *dp* and millimetres, so:

- **dp is physical**: 1 dp = 1/160 inch (Android's definition, which the MIIT specification uses).
- A design pixel is one pixel of the panel, so its physical size follows from the panel's diagonal: the
  kiosk's panel is assumed to be 21.5" (1080x1920 → 102.5 ppi), which makes 1 design px = 0.248 mm =
  1.56 dp. `Panel` carries another diagonal where a hall has another panel.

Contrast follows WCAG 2.x: relative luminance of sRGB colours, ratio (L1 + 0.05) / (L2 + 0.05). Text counts
as *large* (3:1 suffices instead of 4.5:1) at WCAG's 18 pt, or 14 pt bold, read as 24 dp and 18.67 dp: the
stricter reading of the issue's "3:1 above 18 dp".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DP_PER_INCH = 160
MM_PER_INCH = 25.4

# The rules, in dp unless said otherwise.
TARGET_MIN_DP = 44.0  # WCAG 2.5.5 (AAA); MIIT outside elderly mode
TARGET_MIN_ELDERLY_DP = 60.0  # MIIT elderly mode
MAIN_TEXT_MIN_ELDERLY_DP = 18.0  # MIIT elderly mode, main text
KEY_FIGURE_MIN_ELDERLY_DP = 30.0  # MIIT: main-function text at its largest
LINE_SPACING_MIN_ELDERLY = 1.3  # MIIT: line spacing ≥ 1.3×
CONTRAST_MIN = 4.5
CONTRAST_MIN_LARGE = 3.0
LARGE_TEXT_DP = 24.0  # WCAG 18 pt
LARGE_BOLD_TEXT_DP = 14 * 4 / 3  # WCAG 14 pt bold = 18.67
ADA_CHARACTER_MIN_MM = 4.8  # ADA 2010 §707.7.2: characters 3/16 inch high, measured on the uppercase I

Colour = Sequence[float]  # (r, g, b) or (r, g, b, a), each 0..1


@dataclass(frozen=True)
class Panel:
    """The physical panel the design pixels are drawn on."""

    width_px: int = 1080
    height_px: int = 1920
    diagonal_in: float = 21.5

    @property
    def ppi(self) -> float:
        return math.hypot(self.width_px, self.height_px) / self.diagonal_in

    def dp(self, design_px: float) -> float:
        """Design pixels → dp (1/160 inch)."""
        return design_px * DP_PER_INCH / self.ppi

    def design_px(self, dp: float) -> float:
        """dp → design pixels: the inverse of `dp`."""
        return dp * self.ppi / DP_PER_INCH

    def mm(self, design_px: float) -> float:
        return design_px * MM_PER_INCH / self.ppi


KIOSK_PANEL = Panel()


def _linear(channel: float) -> float:
    """One sRGB channel (0..1) → linear light (IEC 61966-2-1, the threshold WCAG 2.2 now cites)."""
    if channel <= 0.04045:
        return channel / 12.92
    return float(((channel + 0.055) / 1.055) ** 2.4)


def relative_luminance(colour: Colour) -> float:
    r, g, b = (_linear(min(1.0, max(0.0, c))) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Colour, b: Colour) -> float:
    """WCAG contrast ratio of two opaque colours: 1 (same) … 21 (black on white), symmetric."""
    la, lb = relative_luminance(a), relative_luminance(b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def over(top: Colour, bottom: Colour) -> tuple[float, float, float, float]:
    """`top` (with its alpha) composited over `bottom` (source-over, in sRGB as a renderer blends)."""
    alpha = top[3] if len(top) > 3 else 1.0
    below = bottom[3] if len(bottom) > 3 else 1.0
    out_alpha = alpha + below * (1 - alpha)
    if out_alpha == 0:
        return (0.0, 0.0, 0.0, 0.0)
    channels = [
        (t * alpha + b * below * (1 - alpha)) / out_alpha for t, b in zip(top[:3], bottom[:3], strict=True)
    ]
    return (channels[0], channels[1], channels[2], out_alpha)


def is_large_text(font_dp: float, bold: bool) -> bool:
    return font_dp >= LARGE_TEXT_DP or (bold and font_dp >= LARGE_BOLD_TEXT_DP)


def contrast_needed(font_dp: float, bold: bool) -> float:
    return CONTRAST_MIN_LARGE if is_large_text(font_dp, bold) else CONTRAST_MIN


def target_needed(elderly: bool) -> float:
    return TARGET_MIN_ELDERLY_DP if elderly else TARGET_MIN_DP


# How much longer a visit may rest untouched in elderly mode before the countdown, and the countdown itself.
ELDERLY_TIMEOUT_FACTOR = 2.0


def elderly_timeouts(idle_timeout_s: float, countdown_s: float) -> tuple[float, float]:
    """The idle time-out and countdown in elderly mode: twice as long, the countdown at least 20 s."""
    return idle_timeout_s * ELDERLY_TIMEOUT_FACTOR, max(countdown_s * ELDERLY_TIMEOUT_FACTOR, 20.0)
