"""Colours and type sizes: calm, high-contrast, large. Sizes are in design pixels of a 1080x1920 panel."""

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
