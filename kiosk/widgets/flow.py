"""The parts every service flow's screens are built from: the footer (a way back, and out), the scroll, the
spinner with a line of words while the kiosk waits, the message after a step, a labelled fact, the big code
a citizen takes to the counter, and the question that confirms what cannot be undone."""

from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.i18n import N_
from kiosk.widgets import theme
from kiosk.widgets.common import Overlay

_FRAME_S = 1 / 30
_DEGREES_PER_S = 300


class FlowFooter(BoxLayout):
    """The way back (one step, or home from a flow's first screen) and the way out (the visit ends)."""

    back_text = StringProperty(N_("Back"))  # message ids
    exit_text = StringProperty(N_("Exit"))  # "Finish" where the citizen's business is done

    __events__ = ("on_back",)

    def on_back(self) -> None:
        """Handled by the screen."""


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


class FlowWaiting(BoxLayout):
    """The spinner and what the kiosk is doing, while `shown`; takes no room otherwise."""

    shown = BooleanProperty(False)
    message = StringProperty(N_("Loading, please wait…"))  # a message id


class ListRow(BoxLayout):
    """One row of a list on a card (a fact, an appointment, an application), a thin rule under it."""


class FlowMessage(BoxLayout):
    """What the citizen should know after a step: a sentence (what became of it: printed, cancelled, a time
    just taken) in `color`, or, with a `title`, a calm warning panel that says what went wrong and, below,
    what to do. Takes no room when there is nothing to say."""

    title = StringProperty("")  # translated
    text = StringProperty("")  # translated
    color = ColorProperty(theme.PRIMARY)  # of the sentence; a panel's colours are the warning's


class ConfirmOverlay(Overlay):
    """Covers the screen and asks once more; `on_answer` carries True (go ahead) or False (keep it).
    Touches outside its card go nowhere, so nothing behind it is tapped by mistake."""

    question = StringProperty("")  # translated
    detail = StringProperty("")  # translated
    yes_text = StringProperty("")  # translated
    no_text = StringProperty("")  # translated
    busy = BooleanProperty(False)

    __events__ = ("on_answer",)

    def on_answer(self, go_ahead: bool) -> None:
        """Handled by the screen."""

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<FlowFooter>:
    size_hint_y: None
    height: dp(150)
    spacing: dp(32)
    SecondaryButton:
        text: app.t(root.back_text, app.locale)
        on_release: root.dispatch("on_back")
    KioskButton:
        text: app.t(root.exit_text, app.locale)
        on_release: app.finish()

<FlowScroll@ScrollView>:
    do_scroll_x: False
    bar_width: dp(10)
    bar_color: theme.MUTED
    bar_inactive_color: theme.DIVIDER

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

<FlowWaiting>:
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
        text: app.t(root.message, app.locale)

<FlowMessage>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height if self.title or self.text else 0
    opacity: 1 if self.title or self.text else 0
    padding: (dp(44), dp(36)) if self.title else (0, 0)
    spacing: dp(20) if self.title else 0
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
        # On the panel the words under the title say what to do; alone, the sentence is the message.
        bold: not root.title
        color: theme.TEXT if root.title else root.color
        text: root.text
        height: self.texture_size[1] if root.text else 0

<ListRow>:
    canvas.after:
        Color:
            rgba: theme.DIVIDER
        Rectangle:
            pos: self.x, self.y
            size: self.width, dp(2)

# One labelled fact on a card: the label on the left, the value on the right.
<FactRow@ListRow>:
    label: ""
    value: ""
    value_color: theme.TEXT
    size_hint_y: None
    height: max(dp(88), label_text.texture_size[1] + dp(24), value_text.texture_size[1] + dp(24))
    spacing: dp(24)
    Label:
        id: label_text
        text: root.label
        color: theme.MUTED
        font_size: sp(theme.SMALL + 2) * app.text_scale
        size_hint_x: 0.34
        text_size: self.width, None
        halign: "left"
        valign: "middle"
    Label:
        id: value_text
        text: root.value
        color: root.value_color
        bold: True
        font_size: sp(theme.BODY) * app.text_scale
        text_size: self.width, None
        halign: "right"
        valign: "middle"

# The number a citizen quotes later (a claim number, a call number, a code), under what it is: large, and
# easy to copy down; also the one figure a screen is about (a balance), in the colour of its news. A long
# one sets a smaller `base_size` (sp, before large text) to stay on one line.
<BigCode@BoxLayout>:
    caption: ""
    code: ""
    code_color: theme.PRIMARY
    base_size: 96
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(8)
    KMuted:
        halign: "center"
        text: root.caption
    Label:
        text: root.code
        color: root.code_color
        bold: True
        font_size: sp(root.base_size) * app.text_scale
        size_hint_y: None
        height: self.texture_size[1] + dp(16)
        text_size: self.width, None
        halign: "center"

<ConfirmOverlay>:
    OverlayCard:
        spacing: dp(32)
        KTitle:
            text: root.question
        KText:
            halign: "center"
            text: root.detail
        BoxLayout:
            size_hint_y: None
            height: dp(150)
            spacing: dp(28)
            SecondaryButton:
                text: root.no_text
                disabled: root.busy
                on_release: root.dispatch("on_answer", False)
            KioskButton:
                text: root.yes_text
                disabled: root.busy
                on_release: root.dispatch("on_answer", True)
"""
)
