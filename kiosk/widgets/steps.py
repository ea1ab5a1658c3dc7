"""What the step-by-step service screens (withdrawal, certificates, password change) share: a choice that
says what it means for this citizen, a turning arc and a line of words while the kiosk waits, a calm
warning panel, a labelled value, the big number of a result, and the footer that leads home or out."""

from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

_FRAME_S = 1 / 30
_DEGREES_PER_S = 300


class ChoiceTile(ButtonBehavior, BoxLayout):
    """A choice with a title and, below it, as many lines as it takes to say what it means. A `note` or
    `refused` tile is shown but cannot be chosen (make it `disabled`); `refused` says why in warning colour."""

    title = StringProperty("")
    detail = StringProperty("")
    kind = OptionProperty("choice", options=["choice", "note", "refused"])


class BusySpinner(Widget):
    """A turning arc that says "working on it" without words."""

    active = BooleanProperty(False)
    angle = NumericProperty(0)
    # The Clock event while turning; None while still, so nothing runs for a spinner nobody sees.
    _turning: Any = None

    def on_active(self, _widget: Any, active: bool) -> None:
        if active and self._turning is None:
            self._turning = Clock.schedule_interval(self._turn, _FRAME_S)
        elif not active and self._turning is not None:
            self._turning.cancel()
            self._turning = None

    def _turn(self, dt: float) -> None:
        self.angle = (self.angle + _DEGREES_PER_S * dt) % 360


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<ChoiceTile>:
    orientation: "vertical"
    size_hint_y: None
    height: title_text.height + detail_text.height + self.spacing + dp(48)
    padding: dp(36), dp(24)
    spacing: dp(8)
    canvas.before:
        Color:
            rgba: (theme.PRIMARY_PRESSED if self.state == "down" else theme.PRIMARY) if self.kind == "choice" else theme.SURFACE
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(28)]
        Color:
            rgba: (0, 0, 0, 0) if self.kind == "choice" else theme.DIVIDER
        Line:
            rounded_rectangle: (self.x + dp(1), self.y + dp(1), self.width - dp(2), self.height - dp(2), dp(28))
            width: dp(2)
    Label:
        id: title_text
        text: root.title
        bold: True
        # What can be chosen stands out; what cannot is there to read, smaller.
        font_size: (sp(50) if root.kind == "choice" else sp(42)) * app.text_scale
        color: theme.ON_PRIMARY if root.kind == "choice" else theme.MUTED
        disabled_color: self.color
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        halign: "left"
    Label:
        id: detail_text
        text: root.detail
        font_size: sp(theme.SMALL) * app.text_scale
        color: (1, 1, 1, 0.9) if root.kind == "choice" else (theme.WARNING if root.kind == "refused" else theme.TEXT)
        disabled_color: self.color
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        halign: "left"

<BusySpinner>:
    size_hint: None, None
    size: dp(96), dp(96)
    opacity: 1 if self.active else 0
    canvas:
        Color:
            rgba: theme.DIVIDER
        Line:
            circle: self.center_x, self.center_y, min(self.width, self.height) / 2 - dp(8)
            width: dp(6)
        Color:
            rgba: theme.PRIMARY
        Line:
            circle: self.center_x, self.center_y, min(self.width, self.height) / 2 - dp(8), self.angle, self.angle + 100
            width: dp(6)
            cap: "round"

# A spinner and what the kiosk is doing; takes no room when not shown.
<StepWaiting@BoxLayout>:
    shown: False
    text: ""
    orientation: "vertical"
    size_hint_y: None
    height: (spinner.height + words.height + self.spacing) if self.shown else 0
    opacity: 1 if self.shown else 0
    spacing: dp(16)
    BusySpinner:
        id: spinner
        active: root.shown
        pos_hint: {"center_x": 0.5}
    KText:
        id: words
        halign: "center"
        color: theme.MUTED
        text: root.text

# Something that did not work, said calmly: a title and what to do. Takes no room when there is nothing.
<StepWarning@BoxLayout>:
    title: ""
    body: ""
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height if self.title else 0
    opacity: 1 if self.title else 0
    padding: (dp(44), dp(36)) if self.title else (0, 0)
    spacing: dp(20)
    canvas.before:
        Color:
            rgba: theme.WARNING_SURFACE if self.title else (0, 0, 0, 0)
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(28)]
    KText:
        bold: True
        halign: "center"
        color: theme.WARNING
        font_size: sp(theme.HEADLINE) * app.text_scale
        text: root.title
        height: self.texture_size[1] if root.title else 0
    KText:
        halign: "center"
        text: root.body
        height: self.texture_size[1] if root.body else 0

# One labelled value on a card: the label on the left, the value on the right.
<StepField@BoxLayout>:
    label: ""
    value: ""
    value_color: theme.TEXT
    size_hint_y: None
    height: max(dp(96), label_text.texture_size[1] + dp(28), value_text.texture_size[1] + dp(28))
    spacing: dp(24)
    canvas.after:
        Color:
            rgba: theme.DIVIDER
        Rectangle:
            pos: self.x, self.y
            size: self.width, dp(2)
    Label:
        id: label_text
        text: root.label
        color: theme.MUTED
        font_size: sp(theme.SMALL + 4) * app.text_scale
        size_hint_x: 0.38
        text_size: self.width, None
        halign: "left"
        valign: "middle"
    Label:
        id: value_text
        text: root.value
        color: root.value_color
        bold: True
        font_size: sp(theme.BODY + 4) * app.text_scale
        text_size: self.width, None
        halign: "right"
        valign: "middle"

# The number a citizen quotes later (a claim number, a verification code): large, and easy to copy down.
# A long one sets a smaller `base_size` (sp, before large text) so that it stays on one line.
<StepNumber@Label>:
    base_size: 84
    color: theme.PRIMARY
    bold: True
    font_size: sp(self.base_size) * app.text_scale
    size_hint_y: None
    height: self.texture_size[1] + dp(16)
    text_size: self.width, None
    halign: "center"

<StepFooter@BoxLayout>:
    size_hint_y: None
    height: dp(150)
    spacing: dp(32)
    SecondaryButton:
        text: app.t("Home", app.locale)
        on_release: app.go_home()
    KioskButton:
        text: app.t("Exit", app.locale)
        on_release: app.finish()
"""
)
