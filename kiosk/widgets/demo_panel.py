"""The demo's staff panel beside the kiosk screen: place any synthetic citizen's card on the emulated
reader, or take it away; put a bank card in the emulated bank card reader, or take it out. Not part of a
production kiosk."""

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.modalview import ModalView

from kiosk.i18n import N_
from kiosk.services.demo import BankCardKind, DemoCitizen, DemoService, NoCitizenPlaced

_INSERTED = {
    "own_debit": N_("The citizen's debit card is in the reader: {card}"),
    "credit": N_("The citizen's credit card is in the reader: {card}"),
    "someone_else": N_("Someone else's debit card is in the reader: {card}"),
}


class DemoPanel(BoxLayout):
    status = StringProperty("")

    def __init__(self, demo: DemoService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._demo = demo
        self.status = app_t("Loading the synthetic citizens…")
        App.get_running_app().background(demo.citizens, on_result=self._show, on_error=self._failed)

    def _show(self, citizens: list[DemoCitizen]) -> None:
        self.status = app_t("{count} synthetic citizens").format(count=len(citizens))
        listing = self.ids.listing
        for citizen in citizens:
            row = Factory.DemoRow()
            row.title = f"{citizen.name}   {citizen.id_masked}"
            row.tags = "  ·  ".join(App.get_running_app().t(tag) for tag in citizen.tags)
            row.bind(on_place=lambda _row, c=citizen: self.place(c))
            listing.add_widget(row)

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
        height: dp(60)
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
