"""The keypad for an amount of money: digits in the usual calculator order (an amount is not a secret, so
unlike the password keypad they stay in place), the decimal point, delete and clear."""

from kivy.lang import Builder
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets.amount_entry import POINT


class AmountKeypad(BoxLayout):
    """Reports `on_key` with a digit or the point, `on_backspace` and `on_clear`."""

    __events__ = ("on_key", "on_backspace", "on_clear")
    point = POINT

    def on_key(self, key: str) -> None:
        pass

    def on_backspace(self) -> None:
        pass

    def on_clear(self) -> None:
        pass


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<AmountKey@KioskButton>:
    key: ""
    text: self.key
    size_hint_y: None
    height: dp(132)
    base_font_size: sp(60)

<AmountKeypad>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(20)
    GridLayout:
        cols: 3
        spacing: dp(20)
        size_hint_y: None
        height: self.minimum_height
        AmountKey:
            key: "1"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "2"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "3"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "4"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "5"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "6"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "7"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "8"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "9"
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: root.point
            on_release: root.dispatch("on_key", self.key)
        AmountKey:
            key: "0"
            on_release: root.dispatch("on_key", self.key)
        SecondaryButton:
            text: app.t("Delete", app.locale)
            height: dp(132)
            on_release: root.dispatch("on_backspace")
    SecondaryButton:
        text: app.t("Clear", app.locale)
        height: dp(110)
        on_release: root.dispatch("on_clear")
"""
)
