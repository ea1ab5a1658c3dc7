"""The citizen's screens. Thin: they show what a service returns and call a service on a tap.

Screens are built on first use (the attract screen at start, the rest just after the first frame), so the
kiosk draws its first frame without parsing every screen's layout.
"""

from importlib import import_module

from kiosk.screens.base import KioskScreen

SCREENS: dict[str, tuple[str, str]] = {
    "attract": ("kiosk.screens.attract", "AttractScreen"),
    "home": ("kiosk.screens.home", "HomeScreen"),
    "card": ("kiosk.screens.card", "CardScreen"),
    "password": ("kiosk.screens.password", "PasswordScreen"),
    "overview": ("kiosk.screens.account", "OverviewScreen"),
    "deposits": ("kiosk.screens.account", "DepositsScreen"),
    "loan": ("kiosk.screens.account", "LoanScreen"),
    "notice": ("kiosk.screens.notice", "NoticeScreen"),
    "goodbye": ("kiosk.screens.goodbye", "GoodbyeScreen"),
}


def make_screen(name: str) -> KioskScreen:
    module, cls = SCREENS[name]
    return getattr(import_module(module), cls)(name=name)
