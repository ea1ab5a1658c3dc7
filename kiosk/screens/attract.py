"""The resting screen: says what the kiosk does and invites a touch, or an ID card on the reader."""

from typing import Any

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    def on_touch_down(self, touch: Any) -> bool:
        # Taps in the staff corner are the hidden entry to maintenance mode; they never start a visit.
        if self.app.staff_corner_tap(self, touch):
            return True
        return bool(super().on_touch_down(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if super().on_touch_up(touch):
            return True
        if self.app.in_staff_corner(self, touch):
            return True
        header = self.ids.header
        if self.collide_point(*touch.pos) and not header.collide_point(*touch.pos):
            self.app.go("home")
            return True
        return False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<AttractScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
            id: header
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(120), dp(72), dp(120)
            spacing: dp(40)
            Widget:
                size_hint_y: 0.3
            Label:
                text: app.t("Housing Provident Fund", app.locale)
                font_size: sp(96)
                bold: True
                color: theme.PRIMARY
                size_hint_y: None
                height: dp(150)
            Label:
                text: app.t("Self-service kiosk", app.locale)
                font_size: sp(64)
                color: theme.TEXT
                size_hint_y: None
                height: dp(100)
            Widget:
                size_hint_y: None
                height: dp(40)
            KLead:
                text: app.t("Account, deposit records and loan, at any time of day.", app.locale)
            NoticeBanner:
            Widget:
            IdCardPicture:
                size_hint: None, None
                size: dp(420), dp(260)
                pos_hint: {"center_x": 0.5}
            Widget:
                size_hint_y: 0.2
            KioskButton:
                text: app.t("Touch to start", app.locale)
                base_font_size: sp(56)
                height: dp(180)
                on_release: app.go("home")
            KMuted:
                halign: "center"
                text: app.t("or place your ID card on the reader below the screen", app.locale)
"""
)
