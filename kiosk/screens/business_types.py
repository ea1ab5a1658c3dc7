"""The first step of booking an appointment and of pre-registering: the business types, fetched on a worker
(from the centre, or the catalogue the kiosk kept), with the waiting line until they come."""

from typing import Any

from kivy.properties import BooleanProperty, ListProperty

from kiosk.screens.rendered import RenderedScreen
from kiosk.services.catalogue import BusinessView


class BusinessTypesStep(RenderedScreen):
    loading = BooleanProperty(True)
    types = ListProperty([])  # BusinessView

    def load_types(self) -> list[BusinessView]:
        """The business types to offer. Blocking: runs on a worker."""
        raise NotImplementedError

    def _failed(self, error: BaseException) -> None:
        raise error  # each flow's step says what a failure means to the citizen

    def prepare(self, **params: Any) -> None:
        self.wipe()
        self.app.background(self.load_types, on_result=self._show, on_error=self._failed)

    def _show(self, types: list[BusinessView]) -> None:
        self.types = types
        self.loading = False
        self.render()

    def wipe(self) -> None:
        self.types = []
        self.loading = True
        self.render()
