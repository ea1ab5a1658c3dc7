"""Simple drawings that show, without words, what to do: an ID card resting on the reader."""

from kivy.lang import Builder
from kivy.uix.widget import Widget


class IdCardPicture(Widget):
    pass


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<IdCardPicture>:
    canvas:
        # the reader's pad
        Color:
            rgba: theme.DIVIDER
        RoundedRectangle:
            pos: self.x, self.y
            size: self.width, self.height * 0.28
            radius: [dp(18)]
        # the card, resting on it
        Color:
            rgba: 0.88, 0.93, 0.98, 1
        RoundedRectangle:
            pos: self.x + self.width * 0.08, self.y + self.height * 0.14
            size: self.width * 0.84, self.height * 0.84
            radius: [dp(22)]
        Color:
            rgba: theme.PRIMARY
        Line:
            rounded_rectangle: (self.x + self.width * 0.08, self.y + self.height * 0.14, self.width * 0.84, self.height * 0.84, dp(22))
            width: dp(3)
        # photo box
        Color:
            rgba: 0.7, 0.8, 0.9, 1
        RoundedRectangle:
            pos: self.x + self.width * 0.64, self.y + self.height * 0.3
            size: self.width * 0.2, self.height * 0.52
            radius: [dp(8)]
        # text lines
        Color:
            rgba: 0.62, 0.72, 0.84, 1
        Rectangle:
            pos: self.x + self.width * 0.16, self.y + self.height * 0.74
            size: self.width * 0.34, dp(14)
        Rectangle:
            pos: self.x + self.width * 0.16, self.y + self.height * 0.6
            size: self.width * 0.42, dp(14)
        Rectangle:
            pos: self.x + self.width * 0.16, self.y + self.height * 0.46
            size: self.width * 0.3, dp(14)
        Rectangle:
            pos: self.x + self.width * 0.16, self.y + self.height * 0.3
            size: self.width * 0.44, dp(14)
"""
)
