"""A bank card going chip first into the card slot, over and over: what to do, shown without words."""

from typing import Any

from kivy.animation import Animation
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.widget import Widget

_SLIDE_S = 1.4
_REST_S = 0.6


class BankCardPicture(Widget):
    """`moving` starts and stops the animation (stop it when the screen is left: it costs frames)."""

    moving = BooleanProperty(False)
    travel = NumericProperty(0)  # 0: the card above the slot, 1: its chip end inside it
    # Where things are, from the size and `travel` (the kv rule sets them).
    card_x = NumericProperty(0)
    card_y = NumericProperty(0)
    card_w = NumericProperty(0)
    card_h = NumericProperty(0)
    slit_y = NumericProperty(0)
    _animation: Any = None

    def on_moving(self, _widget: Any, moving: bool) -> None:
        if self._animation is not None:
            self._animation.cancel(self)
            self._animation = None
        self.travel = 0
        if moving:
            self._animation = (
                Animation(travel=1, duration=_SLIDE_S, transition="in_out_quad")
                + Animation(duration=_REST_S)
                + Animation(travel=0, duration=0)
            )
            self._animation.repeat = True
            self._animation.start(self)


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<BankCardPicture>:
    # The card is upright (short edge first, as it goes in), 0.3 of the width wide; draw at about 5:6.
    card_w: self.width * 0.3
    card_h: self.width * 0.476
    slit_y: self.y + self.height * 0.22
    card_x: self.center_x - self.card_w / 2
    card_y: self.slit_y + self.height * 0.3 - self.travel * self.height * 0.45
    canvas:
        # the slot's face
        Color:
            rgba: theme.DIVIDER
        RoundedRectangle:
            pos: self.x + self.width * 0.12, self.y
            size: self.width * 0.76, self.height * 0.3
            radius: [dp(20)]
        # the card
        Color:
            rgba: 0.16, 0.42, 0.72, 1
        RoundedRectangle:
            pos: self.card_x, self.card_y
            size: self.card_w, self.card_h
            radius: [dp(16)]
        Color:
            rgba: 0.33, 0.58, 0.86, 1
        Rectangle:
            pos: self.card_x, self.card_y + self.card_h * 0.62
            size: self.card_w, self.card_h * 0.1
        # the chip, at the end that goes in first
        Color:
            rgba: 0.93, 0.77, 0.36, 1
        RoundedRectangle:
            pos: self.card_x + self.card_w * 0.3, self.card_y + self.card_h * 0.12
            size: self.card_w * 0.4, self.card_h * 0.16
            radius: [dp(6)]
        # below the slit the card is inside the kiosk: the face hides it
        Color:
            rgba: theme.DIVIDER
        Rectangle:
            pos: self.card_x - dp(4), self.y
            size: self.card_w + dp(8), self.slit_y - self.y
        # the slit
        Color:
            rgba: theme.TEXT
        RoundedRectangle:
            pos: self.center_x - self.card_w * 0.65, self.slit_y - dp(8)
            size: self.card_w * 1.3, dp(16)
            radius: [dp(8)]
        # the arrow beside the card: in, this way
        Color:
            rgba: theme.PRIMARY
        Line:
            points: self.x + self.width * 0.82, self.y + self.height * 0.92, self.x + self.width * 0.82, self.y + self.height * 0.42
            width: dp(5)
            cap: "round"
        Triangle:
            points: self.x + self.width * 0.76, self.y + self.height * 0.46, self.x + self.width * 0.88, self.y + self.height * 0.46, self.x + self.width * 0.82, self.y + self.height * 0.36
"""
)
