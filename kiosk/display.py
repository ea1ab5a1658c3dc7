"""How big the window is and how the 1080x1920 design scales onto it, decided before Kivy is imported.

Kivy reads its configuration once, on its first import, so everything about the window travels to it as
environment variables (`KCFG_<SECTION>_<KEY>` and `KIVY_*`) set here, with no Kivy import of our own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Screens are laid out for a 1080x1920 portrait panel; other sizes scale through Kivy's density.
DESIGN_WIDTH, DESIGN_HEIGHT = 1080, 1920
DEMO_PANEL_WIDTH = 760  # in design units, beside the kiosk screen in the demo window


@dataclass(frozen=True)
class WindowPlan:
    width: int
    height: int
    kiosk_width: int  # the part of the window that is the citizen's screen
    fullscreen: bool
    density: float
    kiosk_mode: bool  # closing the window is refused
    demo_panel: bool


def plan_window(
    display_width: int,
    display_height: int,
    *,
    fullscreen: bool,
    kiosk_mode: bool,
    demo_panel: bool = False,
    window_height: int | None = None,
) -> WindowPlan:
    """Full screen at the panel's size, or a window `window_height` pixels high with the same shape."""
    if fullscreen or window_height is None:
        width, height = display_width, display_height
    else:
        height = window_height
        width = round(display_width * window_height / display_height)
    if display_height >= display_width:
        density = min(width / DESIGN_WIDTH, height / DESIGN_HEIGHT)
    else:
        density = min(width / DESIGN_HEIGHT, height / DESIGN_WIDTH)
    kiosk_width = width
    if demo_panel and not fullscreen:
        width += round(DEMO_PANEL_WIDTH * density)
    return WindowPlan(width, height, kiosk_width, fullscreen, round(density, 4), kiosk_mode, demo_panel)


def kivy_environment(plan: WindowPlan) -> dict[str, str]:
    return {
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONFIG": "1",  # never read or write ~/.kivy/config.ini
        "KIVY_NO_FILELOG": "1",
        "KIVY_LOG_MODE": "PYTHON",
        "KIVY_METRICS_DENSITY": str(plan.density),
        "KIVY_METRICS_FONTSCALE": "1",
        "KCFG_GRAPHICS_WIDTH": str(plan.width),
        "KCFG_GRAPHICS_HEIGHT": str(plan.height),
        "KCFG_GRAPHICS_FULLSCREEN": "auto" if plan.fullscreen else "0",
        "KCFG_GRAPHICS_BORDERLESS": "1" if plan.fullscreen else "0",
        "KCFG_GRAPHICS_RESIZABLE": "0",
        "KCFG_GRAPHICS_SHOW_CURSOR": "0" if plan.kiosk_mode and plan.fullscreen else "1",
        "KCFG_GRAPHICS_ALLOW_SCREENSAVER": "0",
        "KCFG_GRAPHICS_MULTISAMPLES": "2",
        "KCFG_GRAPHICS_MAXFPS": "60",
        "KCFG_KIVY_EXIT_ON_ESCAPE": "0",
        "KCFG_KIVY_LOG_ENABLE": "0",
    }


def prepare_kivy(plan: WindowPlan) -> None:
    """Must run before the first `import kivy` in this process."""
    os.environ.update(kivy_environment(plan))
