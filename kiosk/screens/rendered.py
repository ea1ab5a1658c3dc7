"""A screen whose content is built in Python from what a service answered (a list of business types, days,
applications): it is built again when the citizen switches language, since each entry carries both."""

from typing import Any

from kivy.app import App

from kiosk.screens.base import KioskScreen


class RenderedScreen(KioskScreen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Bound for the screen's whole life, but only the screen showing redraws: every other one is
        # prepared (and so drawn) again before it is shown, and may hold nothing to draw yet.
        App.get_running_app().bind(locale=self._language_switched)

    def _language_switched(self, *_args: Any) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.render()

    def render(self) -> None:
        """Build the content from what the screen holds now."""
