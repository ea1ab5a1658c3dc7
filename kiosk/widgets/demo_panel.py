"""The demo's staff panel beside the kiosk screen: place any synthetic citizen's card on the emulated
reader, or take it away; put a bank card in the emulated bank card reader, or take it out; stop the
reference centre and start it again; open the centre's verify page. Not part of a production kiosk."""

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.modalview import ModalView

from kiosk.i18n import N_
from kiosk.services.demo import BankCardKind, DemoCitizen, DemoError, DemoService, NoCitizenPlaced

_INSERTED = {
    "own_debit": N_("The citizen's debit card is in the reader: {card}"),
    "credit": N_("The citizen's credit card is in the reader: {card}"),
    "someone_else": N_("Someone else's debit card is in the reader: {card}"),
}


# How often the panel looks whether the centre still runs: it may also end by itself.
_CENTRE_CHECK_S = 1.0
_ROWS_PER_FRAME = 16

T = TypeVar("T")


class DemoPanel(BoxLayout):
    status = StringProperty("")
    centre_running = BooleanProperty(True)
    centre_busy = BooleanProperty(False)  # stopping or starting: the button waits
    verify_url = StringProperty("")

    def __init__(self, demo: DemoService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._demo = demo
        self.verify_url = demo.verify_page()
        if demo.can_switch_centre:
            Clock.schedule_interval(self._check_centre, _CENTRE_CHECK_S)
        else:
            self.ids.centre_row.remove_widget(self.ids.centre_button)
        self.status = app_t("Loading the synthetic citizens…")
        App.get_running_app().background(demo.citizens, on_result=self._show, on_error=self._failed)

    def _show(self, citizens: list[DemoCitizen]) -> None:
        self.status = app_t("{count} synthetic citizens").format(count=len(citizens))
        # The demo centre has hundreds of citizens: rows are added a few per frame, so the kiosk beside
        # the panel never waits for the whole list to be built.
        pending = list(citizens)

        def add_some(_dt: float) -> bool:
            listing = self.ids.listing
            for citizen in pending[:_ROWS_PER_FRAME]:
                row = Factory.DemoRow()
                row.title = f"{citizen.name}   {citizen.id_masked}"
                row.tags = "  ·  ".join(App.get_running_app().t(tag) for tag in citizen.tags)
                row.bind(on_place=lambda _row, c=citizen: self.place(c))
                listing.add_widget(row)
            del pending[:_ROWS_PER_FRAME]
            return bool(pending)

        if add_some(0):
            Clock.schedule_interval(add_some, 0)

    def _failed(self, error: BaseException) -> None:
        self.status = app_t("Could not load the synthetic citizens ({error})").format(error=type(error).__name__)

    def place(self, citizen: DemoCitizen) -> None:
        App.get_running_app().background(self._demo.place, citizen)
        self.status = app_t("Card placed: {name}").format(name=citizen.name)

    def show_last_receipt(self) -> None:
        path = self._demo.last_receipt()
        if path is None:
            self.status = app_t("No receipt printed yet")
            return
        view = ModalView(size_hint=(0.9, 0.95))
        view.add_widget(Image(source=str(path), nocache=True, fit_mode="contain"))
        view.open()

    def remove(self) -> None:
        App.get_running_app().background(self._demo.remove)
        self.status = app_t("Card removed from the reader")

    def insert_bank_card(self, kind: BankCardKind) -> None:
        self.status = app_t("Inserting the bank card…")
        App.get_running_app().background(
            self._demo.insert_bank_card,
            kind,
            on_result=lambda card: setattr(self, "status", app_t(_INSERTED[kind]).format(card=card)),
            on_error=self._bank_card_failed,
        )

    def _bank_card_failed(self, error: BaseException) -> None:
        if isinstance(error, NoCitizenPlaced):
            self.status = app_t("Place a citizen's ID card first: the bank card carries their ID number")
        else:
            self.status = app_t("Could not insert the bank card ({error})").format(error=type(error).__name__)

    def take_bank_card_out(self) -> None:
        App.get_running_app().background(self._demo.take_bank_card_out)
        self.status = app_t("Bank card taken out of the reader")

    def _check_centre(self, _dt: float) -> None:
        if not self.centre_busy:
            self.centre_running = self._demo.centre_running

    def switch_centre(self) -> None:
        if self.centre_busy:
            return
        self.centre_busy = True
        if self.centre_running:
            self.status = app_t("Stopping the centre…")
            _on_worker(self._demo.stop_centre, self._centre_stopped)
        else:
            self.status = app_t("Starting the centre…")
            _on_worker(self._demo.start_centre, self._centre_started)

    def _centre_stopped(self, done: Future[None]) -> None:
        self.centre_busy = False
        self.centre_running = self._demo.centre_running
        error = done.exception()
        if error is not None:
            self.status = app_t("Could not stop the centre ({error})").format(error=type(error).__name__)
        else:
            self.status = app_t(
                "The centre is stopped: the kiosk keeps what citizens file in its outbox and sends it when "
                "the centre is back"
            )

    def _centre_started(self, done: Future[None]) -> None:
        self.centre_busy = False
        self.centre_running = self._demo.centre_running
        error = done.exception()
        if error is None:
            self.status = app_t("The centre is running again: what waited in the outbox is being sent")
        else:
            # A DemoError says why in one line; anything else is named by its type only.
            reason = str(error) if isinstance(error, DemoError) else type(error).__name__
            self.status = app_t("Could not start the centre: {error}").format(error=reason)

    def open_verify_page(self) -> None:
        _on_worker(self._demo.open_verify_page, self._verify_page_opened)

    def _verify_page_opened(self, done: Future[bool]) -> None:
        if done.exception() is not None or not done.result():
            self.status = app_t("No web browser opened here: open {url} in one").format(url=self.verify_url)


def _on_worker(fn: Callable[[], T], done: Callable[[Future[T]], None]) -> None:
    """Run `fn` on a worker and hand its future to `done` on the UI thread. Unlike app.background, even
    after the citizen's visit has ended: the centre and the browser are the demo's, not the visit's."""
    future = App.get_running_app().runtime.background.submit(fn)
    future.add_done_callback(lambda _f: Clock.schedule_once(lambda _dt: done(future), 0))


def app_t(message: str) -> str:
    return App.get_running_app().t(message)


class DemoRow(BoxLayout):
    title = StringProperty("")
    tags = StringProperty("")
    __events__ = ("on_place",)

    def on_place(self) -> None:
        pass


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<DemoRow>:
    size_hint_y: None
    height: dp(120)
    padding: dp(16), dp(8)
    spacing: dp(16)
    BoxLayout:
        orientation: "vertical"
        Label:
            text: root.title
            color: theme.TEXT
            font_size: sp(30)
            text_size: self.size
            halign: "left"
            valign: "middle"
        Label:
            text: root.tags
            color: theme.WARNING
            font_size: sp(24)
            text_size: self.size
            halign: "left"
            valign: "middle"
    KioskButton:
        size_hint_x: None
        width: dp(200)
        height: dp(96)
        pos_hint: {"center_y": 0.5}
        base_font_size: sp(30)
        scales: False
        text: app.t("Place card", app.locale)
        on_release: root.dispatch("on_place")

<DemoPanel>:
    orientation: "vertical"
    padding: dp(24)
    spacing: dp(16)
    canvas.before:
        Color:
            rgba: 0.9, 0.91, 0.93, 1
        Rectangle:
            pos: self.pos
            size: self.size
        Color:
            rgba: theme.MUTED
        Rectangle:
            pos: self.x, self.y
            size: dp(4), self.height
    Label:
        text: app.t("Demo controls (hall staff)", app.locale)
        font_size: sp(40)
        bold: True
        color: theme.TEXT
        size_hint_y: None
        height: dp(80)
    Label:
        text: app.t("Query password of every synthetic citizen: 123456", app.locale)
        font_size: sp(28)
        bold: True
        color: theme.PRIMARY
        size_hint_y: None
        height: dp(50)
        text_size: self.width, None
        halign: "left"
    Label:
        text: root.status
        font_size: sp(26)
        color: theme.MUTED
        size_hint_y: None
        # A failed start says why, which may take two lines.
        height: max(dp(60), self.texture_size[1])
        text_size: self.width, None
        halign: "left"
    BoxLayout:
        size_hint_y: None
        height: dp(110)
        spacing: dp(16)
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(30)
            scales: False
            text: app.t("Remove card from reader", app.locale)
            on_release: root.remove()
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(30)
            scales: False
            text: app.t("Last receipt", app.locale)
            on_release: root.show_last_receipt()
    BoxLayout:
        id: centre_row
        size_hint_y: None
        height: dp(110)
        spacing: dp(16)
        SecondaryButton:
            id: centre_button
            height: dp(110)
            base_font_size: sp(30)
            scales: False
            disabled: root.centre_busy
            text: app.t("Stop the centre", app.locale) if root.centre_running else app.t("Start the centre", app.locale)
            on_release: root.switch_centre()
        Label:
            markup: True
            # The address on a line of its own: Kivy would break it anywhere.
            text: "[ref=verify]" + app.t("Certificate verify page (tap to open)", app.locale) + "\\n[u]" + root.verify_url + "[/u][/ref]"
            on_ref_press: root.open_verify_page()
            font_size: sp(24)
            color: theme.PRIMARY
            text_size: self.size
            halign: "left"
            valign: "middle"
    GridLayout:
        cols: 2
        size_hint_y: None
        height: dp(236)
        spacing: dp(16)
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(26)
            scales: False
            text: app.t("Insert debit card (the citizen's)", app.locale)
            on_release: root.insert_bank_card("own_debit")
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(26)
            scales: False
            text: app.t("Insert credit card", app.locale)
            on_release: root.insert_bank_card("credit")
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(26)
            scales: False
            text: app.t("Insert someone else's card", app.locale)
            on_release: root.insert_bank_card("someone_else")
        SecondaryButton:
            height: dp(110)
            base_font_size: sp(26)
            scales: False
            text: app.t("Take bank card out", app.locale)
            on_release: root.take_bank_card_out()
    ScrollView:
        do_scroll_x: False
        bar_width: dp(12)
        GridLayout:
            id: listing
            cols: 1
            spacing: dp(8)
            size_hint_y: None
            height: self.minimum_height
"""
)
