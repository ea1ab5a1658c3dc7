"""The on-screen numeric keypad for the query password; the digit order comes from the service."""

from collections.abc import Callable

from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.widgets.common import KioskButton, SecondaryButton


class Keypad(GridLayout):
    """Ten digit keys in the given order, plus clear and backspace; reports presses to callbacks."""

    def __init__(self, on_digit: Callable[[str], None], on_clear: Callable[[], None],
                 on_backspace: Callable[[], None], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._on_digit = on_digit
        self._on_clear = on_clear
        self._on_backspace = on_backspace

    def arrange(self, digits: list[str], clear_text: str, backspace_text: str) -> None:
        self.clear_widgets()
        keys: list[Widget] = [self._digit_key(d) for d in digits[:9]]
        clear = SecondaryButton(text=clear_text, base_font_size=self.key_font_size * 0.8)
        clear.bind(on_release=lambda *_: self._on_clear())
        backspace = SecondaryButton(text=backspace_text, base_font_size=self.key_font_size * 0.8)
        backspace.bind(on_release=lambda *_: self._on_backspace())
        keys += [clear, self._digit_key(digits[9]), backspace]
        for key in keys:
            key.size_hint_y = None
            key.height = self.key_height
            self.add_widget(key)

    def _digit_key(self, digit: str) -> KioskButton:
        key = KioskButton(text=digit, base_font_size=self.key_font_size)
        key.digit = digit
        key.bind(on_release=lambda button: self._on_digit(button.digit))
        return key

    key_height = NumericProperty(0)
    key_font_size = NumericProperty(0)


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import PASSWORD_LENGTH kiosk.services.keypad.PASSWORD_LENGTH

# What was typed of a password: a dot per digit, never a digit.
<PasswordDots@Label>:
    typed: 0
    text: "  ".join(["●"] * self.typed + ["○"] * (PASSWORD_LENGTH - self.typed))
    font_size: sp(72)
    color: theme.PRIMARY
    size_hint_y: None
    height: dp(120)

<Keypad>:
    cols: 3
    spacing: dp(24)
    size_hint_y: None
    height: self.minimum_height
    key_height: dp(160)
    key_font_size: sp(64)
"""
)
