"""What citizens see while hall staff have taken the kiosk out of service: a calm 暂停服务 and where else
they can be served, nearest first (the configuration's `alternatives`). It stands in for the attract
screen, so the hidden staff gesture works here too: it is how staff put the kiosk back."""

from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import ListProperty

from kiosk.screens.base import KioskScreen


class OutOfServiceScreen(KioskScreen):
    alternatives = ListProperty([])  # AlternativeText, nearest first

    def prepare(self, **params: Any) -> None:
        self.alternatives = self.app.runtime.policy.alternatives()
        places = self.ids.places
        places.clear_widgets()
        for alternative in self.alternatives:
            place = Factory.AlternativePlace()
            place.alternative = alternative  # a kv dynamic class's property exists once its rule applied
            places.add_widget(place)

    def on_touch_down(self, touch: Any) -> bool:
        if self.app.staff_corner_tap(self, touch):
            return True
        return bool(super().on_touch_down(touch))


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<AlternativePlace@BoxLayout>:
    alternative: None
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(6)
    KText:
        bold: True
        text: root.alternative.name(app.locale) if root.alternative else ""
    KMuted:
        text: root.alternative.where(app.locale) if root.alternative else ""
        height: self.texture_size[1] if self.text else 0

<OutOfServiceScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(120), dp(72), dp(120)
            spacing: dp(48)
            Widget:
                size_hint_y: 0.3
            Label:
                text: app.t("Temporarily out of service", app.locale)
                font_size: sp(88)
                bold: True
                color: theme.PRIMARY
                size_hint_y: None
                height: dp(150)
            KLead:
                text: app.t("This kiosk is paused for maintenance. We are sorry for the inconvenience.", app.locale)
            Card:
                padding: dp(56)
                spacing: dp(32)
                KText:
                    bold: True
                    color: theme.PRIMARY
                    text: app.t("You can be served here instead:", app.locale) if root.alternatives else app.t("Please ask at a service counter in this hall.", app.locale)
                BoxLayout:
                    id: places
                    orientation: "vertical"
                    size_hint_y: None
                    height: self.minimum_height
                    spacing: dp(32)
            Widget:
"""
)
