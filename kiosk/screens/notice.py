"""A calm message (something could not be done) with one clear way on."""

from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.screens.base import KioskScreen

_AUTO_CONTINUE_S = 20


class NoticeScreen(KioskScreen):
    title = StringProperty("")
    body = StringProperty("")
    then = StringProperty("home")
    # None until on_enter: when screens change fast, on_leave can come before it.
    _auto: Any = None

    def prepare(self, **params: Any) -> None:
        self.title = params["title"]
        self.body = params["body"]
        self.then = params.get("then", "home")

    def on_enter(self, *_args: Any) -> None:
        self._cancel_auto()
        self._auto = Clock.schedule_once(lambda _dt: self.go_on(), _AUTO_CONTINUE_S)

    def on_leave(self, *_args: Any) -> None:
        self._cancel_auto()

    def _cancel_auto(self) -> None:
        if self._auto is not None:
            self._auto.cancel()
            self._auto = None

    def go_on(self) -> None:
        if self.manager.current != self.name:
            return
        if self.then == "goodbye":
            self.app.finish()
        else:
            self.app.go(self.then)

    def wipe(self) -> None:
        self.title = self.body = ""


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<NoticeScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(120)
            spacing: dp(48)
            Widget:
                size_hint_y: 0.4
            Card:
                padding: dp(56)
                spacing: dp(36)
                canvas.before:
                    Color:
                        rgba: theme.WARNING_SURFACE
                    RoundedRectangle:
                        pos: self.pos
                        size: self.size
                        radius: [dp(28)]
                KTitle:
                    color: theme.WARNING
                    text: app.t(root.title, app.locale) if root.title else ""
                KText:
                    halign: "center"
                    text: app.t(root.body, app.locale) if root.body else ""
            Widget:
            KioskButton:
                text: app.t("OK", app.locale)
                on_release: root.go_on()
"""
)
