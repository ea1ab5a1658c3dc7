"""The band at the top of every screen: who serves the citizen, the time, and the language switch."""

from datetime import datetime

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.services.policy import CENTRE_TIME


class Header(BoxLayout):
    clock_text = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._tick()
        Clock.schedule_interval(self._tick, 1)

    def _tick(self, *_args: object) -> None:
        # The centre's time, as on every slip and appointment: a kiosk whose system zone is UTC (a common
        # image default) must not show the hall another hour than its paper.
        self.clock_text = datetime.now(CENTRE_TIME).strftime("%Y-%m-%d  %H:%M")


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<Header>:
    size_hint_y: None
    height: dp(150)
    padding: dp(40), dp(20)
    spacing: dp(24)
    canvas.before:
        Color:
            rgba: theme.PRIMARY
        Rectangle:
            pos: self.pos
            size: self.size
    BoxLayout:
        orientation: "vertical"
        Label:
            text: app.t("Housing Fund Self-Service", app.locale)
            # English runs about twice as wide as Chinese for the same title.
            font_size: sp(44) if app.locale == "zh_CN" else sp(34)
            bold: True
            color: theme.ON_PRIMARY
            halign: "left"
            valign: "middle"
            text_size: self.size
            shorten: True
        Label:
            # The clock, and a quiet word when the centre cannot be reached (queries will wait).
            text: root.clock_text + ("   " + app.t("Centre offline", app.locale) if app.connectivity == "offline" else "")
            font_size: sp(30)
            color: 1, 1, 1, 0.85
            halign: "left"
            valign: "middle"
            text_size: self.size
    SecondaryButton:
        size_hint: None, None
        width: dp(170)
        height: dp(96)
        pos_hint: {"center_y": 0.5}
        base_font_size: sp(36) if app.locale == "zh_CN" else sp(28)
        scales: False
        radius: 48
        text: app.t("Large text", app.locale) if app.text_scale == 1 else app.t("Normal text", app.locale)
        on_release: app.toggle_large_text()
    SecondaryButton:
        id: language
        opacity: 1 if app.english_offered else 0
        disabled: not app.english_offered
        size_hint: None, None
        width: dp(200)
        height: dp(96)
        pos_hint: {"center_y": 0.5}
        base_font_size: sp(36)
        scales: False
        radius: 48
        # The switch is labelled in the language it switches TO, so a visitor who reads only that one finds it.
        text: "English" if app.locale == "zh_CN" else "中文"
        on_release: app.toggle_locale()
"""
)
