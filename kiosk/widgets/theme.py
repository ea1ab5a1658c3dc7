"""Colours and type sizes: calm, high-contrast, large. Sizes are in design pixels of a 1080x1920 panel.

A design pixel is one pixel of the kiosk's 21.5" portrait panel (102.5 ppi): 0.248 mm, or 1.56 dp with dp
defined physically as 1/160 inch (kiosk/accessibility.py). So BODY (40) is 62 dp and 9.9 mm; SMALL (32) is
50 dp, its uppercase I 5.8 mm (ADA §707.7.2 asks 4.8 mm); a 150-pixel button is 234 dp high.

Elderly mode ("大字", `app.text_scale` = ELDERLY_SCALE) multiplies every size that scales: the rules it must
meet (targets ≥ 60x60 dp, text ≥ 18 dp, key figures ≥ 30 dp, line spacing ≥ 1.3, contrast ≥ 4.5:1 or 3:1
for large text) are measured on every screen by tests/ui/test_accessibility.py.
"""

BACKGROUND = (0.957, 0.965, 0.976, 1)
SURFACE = (1, 1, 1, 1)
PRIMARY = (0.114, 0.353, 0.639, 1)  # 住房公积金 blue
PRIMARY_PRESSED = (0.078, 0.259, 0.486, 1)
ON_PRIMARY = (1, 1, 1, 1)
TEXT = (0.11, 0.141, 0.188, 1)
MUTED = (0.36, 0.4, 0.46, 1)
DIVIDER = (0.86, 0.88, 0.91, 1)
MONEY = (0.043, 0.42, 0.3, 1)
WARNING = (0.71, 0.28, 0.03, 1)
WARNING_SURFACE = (1, 0.96, 0.89, 1)
ERROR = (0.71, 0.14, 0.09, 1)
SCRIM = (0.06, 0.09, 0.14, 0.72)

TITLE = 64
HEADLINE = 52
BODY = 40
SMALL = 32
BUTTON = 44
# The smallest text a citizen's screen may use, in either mode: 28 design px puts the uppercase I of the
# kiosk's font at 5.1 mm (ADA: 4.8 mm). 26 gave 4.7 mm.
MIN_TEXT = 28

ELDERLY_SCALE = 1.25  # kiosk.app.LARGE_TEXT_SCALE: how much larger elderly mode draws the text
