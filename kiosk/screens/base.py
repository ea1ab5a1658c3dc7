"""What every screen can do: be prepared before it is shown, and forget everything when a visit ends."""

from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

import kiosk.widgets.common
import kiosk.widgets.header
import kiosk.widgets.pictures  # noqa: F401
from kiosk.widgets.screen_label import render_deferred


class KioskScreen(Screen):
    @property
    def app(self) -> Any:
        return App.get_running_app()

    def prepare(self, **params: Any) -> None:
        """Called just before the screen is shown."""

    def wipe(self) -> None:
        """Forget everything of the citizen this screen shows or holds."""

    def on_pre_enter(self, *_args: Any) -> None:
        # Words changed while the screen was hidden (a language or text size switch) are rendered now,
        # before the frame that first shows it (kiosk/widgets/screen_label.py).
        render_deferred(self)

    def personal_speech(self) -> tuple[str, dict[str, object]] | None:
        """The personal prompt (kiosk.voice.prompts) and its facts for "read my details aloud", for a
        screen that shows the citizen's own figures; None for one that shows none."""
        return None


# The background is drawn by each screen (not only the window's clear colour) so that screenshots of the
# kiosk show exactly what the panel shows.
Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<KioskScreen>:
    canvas.before:
        Color:
            rgba: theme.BACKGROUND
        Rectangle:
            pos: self.pos
            size: self.size
"""
)
