"""Device tests: read a test ID card, read a test bank card, print a test slip, each with its last result
(pass or fail, what to do, the card's data masked), and the devices' counters. One test at a time: a
reader waits for a card up to 20 s and the printer up to a minute, and the devices are shared."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty

from kiosk.i18n import N_
from kiosk.screens.maintenance_frame import MaintenanceScreen
from kiosk.screens.maintenance_status import DEVICE_NAMES, status_row, words
from kiosk.widgets.common import Card

if TYPE_CHECKING:
    from kiosk.services.device_tests import DeviceTestResult

# device: (button, what to do while waiting)
_TESTS = {
    "idcard": (N_("Read an ID card"), N_("Place a test ID card on the reader…")),
    "bankcard": (N_("Read a bank card"), N_("Insert a test bank card…")),
    "printer": (N_("Print a test slip"), N_("Printing the test slip…")),
}
# The keys of DeviceTestResult.shown (kiosk/services/device_tests.py).
_SHOWN = {
    "name": N_("Name"),
    "id_number": N_("ID number"),
    "pan": N_("Card number"),
    "label": N_("Card application"),
    "status": N_("Printer status"),
}
# PrinterStatus.describe() (kiosk/devices/printer/status.py), the printer's "status" above.
_PRINTER_STATUS = {
    "ready": N_("Ready"),
    "ready, paper near end": N_("Ready, nearly out of paper"),
    "no answer": N_("No answer"),
    "cover open": N_("Cover open"),
    "paper out": N_("Out of paper"),
    "cutter error": N_("Cutter fault"),
    "unrecoverable error": N_("Fault that needs service"),
    "recoverable error": N_("Fault (clear it and test again)"),
    "offline": N_("Offline"),
    "incomplete answer": N_("Incomplete answer"),
}
# kiosk.devices.statistics.Statistics fields.
_COUNTERS = {
    "commands": N_("Commands"),
    "reads": N_("Reads"),
    "failures": N_("Failures"),
    "communication_errors": N_("Link errors"),
    "timeouts": N_("Timeouts"),
    "reopen_attempts": N_("Reconnects"),
    "hours_open": N_("Hours in use"),
}
PASS = N_("Pass")
FAIL = N_("Fail")


class DeviceTestCard(Card):
    """One device's test: its button, what to do while it runs, and its last result."""

    device = StringProperty("")
    title = StringProperty("")
    action = StringProperty("")
    waiting = StringProperty("")  # shown while this device's test runs
    verdict = StringProperty("")  # Pass or Fail, translated; empty before the first test
    passed = BooleanProperty(False)
    message = StringProperty("")
    running = BooleanProperty(False)
    locked = BooleanProperty(False)  # a test (or a refresh) is running: the button waits
    start: Callable[[str], None] | None = None


class MaintenanceDevicesScreen(MaintenanceScreen):
    results = DictProperty({})  # device -> its last DeviceTestResult, for this visit to the screen
    testing = StringProperty("")  # the device whose test runs now
    statistics = DictProperty({})  # device -> counter -> value
    volume = NumericProperty(0)  # the voice guidance's speaker, 0 to 100

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cards: dict[str, DeviceTestCard] = {}
        for device, (action, waiting) in _TESTS.items():
            card = DeviceTestCard(device=device, action=action, waiting=waiting)
            card.start = self.start_test
            self._cards[device] = card
            self.ids.tests.add_widget(card)
        self.app.bind(locale=lambda *_args: self.render())
        self.bind(results=self._changed, testing=self._changed, busy=self._changed, statistics=self._changed)
        self.render()

    def prepare(self, **params: Any) -> None:
        self.volume = self.app.runtime.voice.volume
        if not self.busy:  # a test still running keeps its card; its result comes here when it ends
            self.results = {}
            self.testing = ""
            self.refresh_statistics()
        self.render()

    def start_test(self, device: str) -> None:
        if self.busy:
            return
        maintenance = self.app.runtime.maintenance
        tests = {
            "idcard": maintenance.test_id_card,
            "bankcard": maintenance.test_bank_card,
            "printer": maintenance.test_printer,
        }
        self.testing = device
        self.run(tests[device], on_result=self._tested)

    def change_volume(self, step: int) -> None:
        """Louder or quieter by `step`: heard at once (the speaker says the attract prompt), kept."""
        self.volume = max(0, min(100, int(self.volume) + step))
        self.run(
            self.app.runtime.set_voice_volume, int(self.volume), on_result=lambda _none: self.test_speaker()
        )

    def test_speaker(self) -> None:
        self.app.runtime.voice.test_speaker(self.app.locale)

    def _tested(self, result: DeviceTestResult) -> None:
        self.results = {**self.results, result.device: result}
        # The test moved the counters (a read, a command, a failure): show them as they are now.
        self.refresh_statistics()

    def refresh_statistics(self) -> None:
        self.run(self.app.runtime.maintenance.reader_statistics, on_result=self._counted)

    def _counted(self, statistics: dict[str, dict[str, int | float]]) -> None:
        self.statistics = statistics

    def on_busy(self, _screen: Any, busy: bool) -> None:
        # Runs one at a time, so the end of a run is the end of the test (a failed one says so in `message`).
        if not busy:
            self.testing = ""

    def _changed(self, *_args: Any) -> None:
        self.render()

    def render(self) -> None:
        t = self.app.t
        for device, card in self._cards.items():
            card.title = words(DEVICE_NAMES, device)
            card.running = self.testing == device
            card.locked = self.busy
            result: DeviceTestResult | None = self.results.get(device)
            values = card.ids.shown
            values.clear_widgets()
            if result is None:
                card.verdict = card.message = ""
                continue
            card.verdict = t(PASS if result.passed else FAIL)
            card.passed = result.passed
            card.message = t(result.message)
            for key, value in result.shown.items():
                shown = words(_PRINTER_STATUS, value) if key == "status" else value
                values.add_widget(status_row(words(_SHOWN, key), shown))
        self._render_statistics()

    def _render_statistics(self) -> None:
        box = self.ids.statistics
        box.clear_widgets()
        for device, counters in self.statistics.items():
            box.add_widget(Factory.KText(text=words(DEVICE_NAMES, device), bold=True))
            for name, value in counters.items():
                shown = f"{value:.1f}" if isinstance(value, float) else str(value)
                box.add_widget(status_row(words(_COUNTERS, name), shown))

    def wipe(self) -> None:
        super().wipe()
        self.results = {}
        self.testing = ""
        self.statistics = {}


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<DeviceTestCard>:
    padding: dp(40), dp(32)
    spacing: dp(16)
    BoxLayout:
        size_hint_y: None
        height: dp(64)
        SectionTitle:
            size_hint_y: 1
            text_size: self.size
            text: root.title
        Label:
            size_hint_x: None
            width: dp(260)
            text: root.verdict
            bold: True
            font_size: sp(44)
            halign: "right"
            valign: "middle"
            text_size: self.size
            color: theme.MONEY if root.passed else theme.ERROR
    KText:
        text: root.message
        color: theme.MONEY if root.passed else theme.ERROR
        font_size: sp(34)
        height: self.texture_size[1] if self.text else 0
    BoxLayout:
        id: shown
        orientation: "vertical"
        size_hint_y: None
        height: self.minimum_height
    KText:
        text: app.t(root.waiting, app.locale) if root.running else ""
        color: theme.MUTED
        font_size: sp(34)
        height: self.texture_size[1] if self.text else 0
    KioskButton:
        height: dp(114)
        base_font_size: sp(40)
        scales: False
        disabled: root.locked
        text: app.t(root.action, app.locale)
        on_release: root.start(root.device) if root.start else None

<MaintenanceDevicesScreen>:
    MaintenanceFrame:
        section: "maintenance_devices"
        MaintenanceMessage:
            screen: root
        BoxLayout:
            id: tests
            orientation: "vertical"
            size_hint_y: None
            height: self.minimum_height
            spacing: dp(24)
        Card:
            padding: dp(40), dp(32)
            spacing: dp(16)
            SectionTitle:
                text: app.t("Speaker (voice guidance)", app.locale)
            KText:
                text: app.t("Volume: {volume} of 100", app.locale).format(volume=int(root.volume))
            BoxLayout:
                size_hint_y: None
                height: dp(114)
                spacing: dp(24)
                SecondaryButton:
                    height: dp(114)
                    disabled: root.busy or root.volume <= 0
                    text: app.t("Quieter", app.locale)
                    on_release: root.change_volume(-10)
                SecondaryButton:
                    height: dp(114)
                    disabled: root.busy or root.volume >= 100
                    text: app.t("Louder", app.locale)
                    on_release: root.change_volume(10)
                KioskButton:
                    height: dp(114)
                    text: app.t("Test the speaker", app.locale)
                    on_release: root.test_speaker()
        Card:
            padding: dp(40), dp(32)
            spacing: dp(8)
            SectionTitle:
                text: app.t("Reader statistics", app.locale)
            BoxLayout:
                id: statistics
                orientation: "vertical"
                size_hint_y: None
                height: self.minimum_height
                spacing: dp(4)
"""
)
