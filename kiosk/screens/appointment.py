"""Appointments (预约), one screen per step: the business type, the office (skipped when there is only one),
the day and the time from the centre's calendar, and the booked appointment with its call number. From the
first step, the citizen's own appointments with Cancel. Booking needs the centre; when it cannot be
reached the citizen is told so calmly and offered pre-registration, which works without it.

The rules are the appointment service's (kiosk/services/appointments.py); these screens show what it says
and pass the citizen's taps back."""

from __future__ import annotations

from datetime import date
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from kiosk.i18n import N_
from kiosk.screens.business_types import BusinessTypesStep
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.applications import STATE_NAMES
from kiosk.services.appointments import (
    AppointmentRefused,
    AppointmentService,
    AppointmentView,
    Booked,
    Cancelled,
    DayView,
)
from kiosk.services.catalogue import BusinessView, OfficeView
from kiosk.services.citizen import Unavailable
from kiosk.widgets.choices import ChoiceTile
from kiosk.widgets.flow import ConfirmOverlay, ListRow

# Monday first, as date.weekday() counts.
_WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def day_text(app: Any, day: date) -> str:
    return f"{day:%Y-%m-%d} {app.t(_WEEKDAYS[day.weekday()])}"


def pre_registration_offered(app: Any) -> bool:
    """Whether the way on from a booking that needs the centre is open: switched on by the operators,
    open now, and this kiosk able to keep it (its outbox is open)."""
    runtime = app.runtime
    listed = any(offer.id == "pre_registration" and offer.open for offer in runtime.policy.services())
    return listed and runtime.visit.offered("pre_registration")


class _AppointmentStep(RenderedScreen):
    @property
    def appointments(self) -> AppointmentService:
        return self.app.runtime.visit.appointments

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, Unavailable):
            self.app.go("appointment_unavailable")
            return
        raise error  # not the centre: a bug; Kivy's fault handler logs it and wipes the visit


class AppointmentScreen(_AppointmentStep, BusinessTypesStep):
    """What would you like to book? And the way to the appointments the citizen already has."""

    def load_types(self) -> list[BusinessView]:
        return self.appointments.business_types()

    def render(self) -> None:
        choices = self.ids.choices
        choices.clear_widgets()
        for business in self.types:
            choice = ChoiceTile(title=business.name(self.app.locale))
            choice.bind(on_release=lambda _choice, chosen=business: self.choose(chosen))
            choices.add_widget(choice)

    def choose(self, business: BusinessView) -> None:
        self.app.background(
            self.appointments.offices,
            business.code,
            on_result=lambda offices: self._to_office(business, offices),
            on_error=self._failed,
        )

    def _to_office(self, business: BusinessView, offices: list[OfficeView]) -> None:
        if len(offices) == 1:
            self.app.go("appointment_slots", business=business, office=offices[0], offices=offices)
        elif offices:
            self.app.go("appointment_office", business=business, offices=offices)
        else:  # the kept catalogue names no office of it: only the centre can say more
            self.app.go("appointment_unavailable")


class AppointmentOfficeScreen(_AppointmentStep):
    business = ObjectProperty(None, allownone=True)
    offices = ListProperty([])  # OfficeView

    def prepare(self, **params: Any) -> None:
        self.business = params["business"]
        self.offices = params["offices"]
        self.render()

    def render(self) -> None:
        choices = self.ids.choices
        choices.clear_widgets()
        for office in self.offices:
            choice = ChoiceTile(title=office.name(self.app.locale))
            choice.bind(on_release=lambda _choice, chosen=office: self.choose(chosen))
            choices.add_widget(choice)

    def choose(self, office: OfficeView) -> None:
        self.app.go("appointment_slots", business=self.business, office=office, offices=self.offices)

    def wipe(self) -> None:
        self.business = None
        self.offices = []
        self.render()


class AppointmentSlotsScreen(_AppointmentStep):
    """The working days ahead and the day's times, with the places left; full ones are shown, greyed."""

    business = ObjectProperty(None, allownone=True)
    office = ObjectProperty(None, allownone=True)
    loading = BooleanProperty(True)
    booking = BooleanProperty(False)
    message = StringProperty("")  # a message id: why the last booking was refused
    chosen_slot = StringProperty("")
    days = ListProperty([])  # DayView
    day = ObjectProperty(None, allownone=True)  # the date chosen
    offices = ListProperty([])  # OfficeView: more than one, and Back goes to their choice

    def prepare(self, **params: Any) -> None:
        self.business = params["business"]
        self.office = params["office"]
        self.offices = params["offices"]
        self.message = ""
        self._load()

    def _load(self) -> None:
        self.days = []
        self.chosen_slot = ""
        self.loading = True
        self.render()
        self.app.background(
            self.appointments.days,
            self.business.code,
            self.office.code,
            on_result=self._show,
            on_error=self._refused_or_failed,
        )

    def _show(self, days: list[DayView]) -> None:
        self.days = days
        free = [day.day for day in days if day.free]
        if self.day not in free:
            self.day = free[0] if free else None
        self.loading = False
        if not free and not self.message:
            self.message = N_("Every time in the next two weeks is taken. Please choose another office.")
        self.render()

    def render(self) -> None:
        t = self.app.t
        days, slots = self.ids.day_grid, self.ids.slot_grid
        days.clear_widgets()
        slots.clear_widgets()
        for day in self.days:
            chip = ChoiceTile(
                title=f"{day.day:%m-%d}",
                # A day without free places says so in words too: colour is never the only signal.
                detail=t(_WEEKDAYS[day.day.weekday()]) + ("" if day.free else " " + t("Full")),
                kind="option" if day.free else "note",
                selected=day.day == self.day,
                title_size=34,
                detail_size=28,
                align="center",
            )
            chip.bind(on_release=lambda _chip, chosen=day.day: self.choose_day(chosen))
            days.add_widget(chip)
        day = next((d for d in self.days if d.day == self.day), None)
        for slot in day.slots if day else ():
            chip = ChoiceTile(
                title=slot.slot,
                detail=(
                    t("{places} left").format(places=slot.places_left) if slot.places_left > 0 else t("Full")
                ),
                kind="option" if slot.places_left > 0 else "note",
                selected=slot.slot == self.chosen_slot,
                title_size=30,
                detail_size=28,  # ADA §707.7.2: characters ≥ 4.8 mm on the panel (26 gave 4.7)
                align="center",
            )
            chip.bind(on_release=lambda _chip, chosen=slot.slot: self.choose_slot(chosen))
            slots.add_widget(chip)

    def choose_day(self, day: date) -> None:
        self.day = day
        self.chosen_slot = ""
        self.render()

    def choose_slot(self, slot: str) -> None:
        self.chosen_slot = slot
        self.message = ""
        self.render()

    def chosen_text(self) -> str:
        if not self.chosen_slot or self.day is None:
            return ""
        return f"{day_text(self.app, self.day)}  {self.chosen_slot}"

    def book(self) -> None:
        if self.booking or not self.chosen_slot or self.day is None:
            return
        self.booking = True
        business = self.business
        self.app.background(
            self.appointments.book,
            business.code,
            self.office.code,
            self.day,
            self.chosen_slot,
            on_result=lambda booked: self._booked(business, booked),
            on_error=self._refused_or_failed,
        )

    def _booked(self, business: BusinessView, booked: Booked) -> None:
        self.booking = False
        if booked.printed:
            self.app.note_receipt()
        self.app.go("appointment_booked", booked=booked, business=business)

    def _refused_or_failed(self, error: BaseException) -> None:
        self.booking = False
        if isinstance(error, AppointmentRefused):
            # Back to the choice of a time, with the places as they are now.
            self.message = error.message
            self._load()
            return
        self._failed(error)

    def back(self) -> None:
        if len(self.offices) > 1:
            self.app.go("appointment_office", business=self.business, offices=self.offices)
        else:
            self.app.go("appointment")

    def wipe(self) -> None:
        self.business = self.office = None
        self.offices = []
        self.days = []
        self.day = None
        self.chosen_slot = self.message = ""
        self.loading = True
        self.booking = False
        self.render()


class AppointmentBookedScreen(RenderedScreen):
    booked = ObjectProperty(None, allownone=True)
    business = ObjectProperty(None, allownone=True)

    def prepare(self, **params: Any) -> None:
        self.business = params["business"]
        self.booked = params["booked"]
        self.render()

    def render(self) -> None:
        self.ids.materials.text = (
            "\n".join(f"•  {line}" for line in self.business.materials(self.app.locale))
            if self.business
            else ""
        )

    def facts(self, booked: Booked | None, _locale: str) -> dict[str, str]:
        if booked is None:
            return {"business": "", "office": "", "when": ""}
        appointment = booked.appointment
        english = self.app.locale == "en"
        return {
            "business": appointment.business_en if english else appointment.business_zh,
            "office": appointment.office_en if english else appointment.office_zh,
            "when": f"{day_text(self.app, appointment.day)}  {appointment.slot}",
        }

    def wipe(self) -> None:
        self.booked = None
        self.business = None
        self.render()


class AppointmentRow(ListRow):
    """One of the citizen's appointments, with Cancel while it can still be cancelled."""

    title = StringProperty("")
    when = StringProperty("")
    office = StringProperty("")
    number = StringProperty("")
    state_name = StringProperty("")
    cancellable = BooleanProperty(False)

    __events__ = ("on_cancel",)

    def on_cancel(self) -> None:
        """Handled by the screen."""


class MyAppointmentsScreen(_AppointmentStep):
    loading = BooleanProperty(True)
    messages = ListProperty([])  # message ids: what became of the last cancellation
    mine = ListProperty([])  # AppointmentView
    _confirm: ConfirmOverlay | None = None

    def prepare(self, **params: Any) -> None:
        self.messages = []
        self._load()

    def _load(self) -> None:
        self.mine = []
        self.loading = True
        self.render()
        self.app.background(self.appointments.mine, on_result=self._show, on_error=self._failed)

    def _show(self, mine: list[AppointmentView]) -> None:
        self.mine = mine
        self.loading = False
        self.render()

    def render(self) -> None:
        t, english = self.app.t, self.app.locale == "en"
        rows = self.ids.rows
        rows.clear_widgets()
        for appointment in self.mine:
            row = AppointmentRow(
                title=appointment.business_en if english else appointment.business_zh,
                when=f"{day_text(self.app, appointment.day)}  {appointment.slot}",
                office=appointment.office_en if english else appointment.office_zh,
                number=appointment.call_number,
                state_name=t(STATE_NAMES.get(appointment.state, appointment.state)),
                cancellable=appointment.cancellable,
            )
            row.bind(on_cancel=lambda _row, chosen=appointment: self.ask_to_cancel(chosen))
            rows.add_widget(row)

    def ask_to_cancel(self, appointment: AppointmentView) -> None:
        t, english = self.app.t, self.app.locale == "en"
        business = appointment.business_en if english else appointment.business_zh
        self._confirm = ConfirmOverlay(
            question=t("Cancel this appointment?"),
            detail=f"{business}\n{day_text(self.app, appointment.day)}  {appointment.slot}",
            yes_text=t("Cancel it"),
            no_text=t("Keep it"),
        )
        self._confirm.bind(on_answer=lambda _overlay, go: self._answered(appointment, go))
        self.add_widget(self._confirm)

    def _answered(self, appointment: AppointmentView, go_ahead: bool) -> None:
        if not go_ahead:
            self._close_confirm()
            return
        if self._confirm is not None:
            self._confirm.busy = True
        self.app.background(
            self.appointments.cancel,
            appointment.booking_id,
            on_result=self._cancelled,
            on_error=self._cancel_failed,
        )

    def _cancelled(self, cancelled: Cancelled) -> None:
        self._close_confirm()
        if cancelled.printed:
            self.app.note_receipt()
            self.messages = [N_("Your appointment is cancelled."), cancelled.message]
        else:  # the service's sentence says both that it is cancelled and what became of the slip
            self.messages = [cancelled.message]
        self._load()

    def _cancel_failed(self, error: BaseException) -> None:
        self._close_confirm()
        if isinstance(error, AppointmentRefused):
            self.messages = [error.message]
            self._load()
            return
        self._failed(error)

    def _close_confirm(self) -> None:
        if self._confirm is not None:
            self.remove_widget(self._confirm)
            self._confirm = None

    def wipe(self) -> None:
        self._close_confirm()
        self.mine = []
        self.messages = []
        self.loading = True
        self.render()


class AppointmentUnavailableScreen(RenderedScreen):
    """Booking needs the centre's calendar: say so calmly, and offer what works without it."""

    pre_registration = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.pre_registration = pre_registration_offered(self.app)

    def explanation(self, pre_registration: bool) -> list[str]:
        """Message ids: why booking must wait, and the way on when there is one."""
        why = N_(
            "Appointments are kept in the centre's calendar, and this kiosk cannot reach the centre just now. "
            "Please try again later."
        )
        instead = N_(
            "You can pre-register here instead: the counter will have your details and the materials to bring."
        )
        return [why, instead] if pre_registration else [why]

    def pre_register(self) -> None:
        self.app.choose_service("pre_registration")


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<AppointmentScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("Book an appointment", app.locale)
            KLead:
                text: app.t("Which business would you like to come to the counter for?", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowScroll:
                ChoiceList:
                    id: choices
            SecondaryButton:
                text: app.t("My appointments", app.locale)
                on_release: app.go("my_appointments")
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<AppointmentOfficeScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("Which office?", app.locale)
            KLead:
                text: root.business.name(app.locale) if root.business else ""
            FlowScroll:
                ChoiceList:
                    id: choices
            FlowFooter:
                on_back: app.go("appointment")

<AppointmentSlotsScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(48), dp(36)
            spacing: dp(20)
            KTitle:
                text: app.t("Choose a day and a time", app.locale)
            KLead:
                text: (root.business.name(app.locale) + "  ·  " + root.office.name(app.locale)) if root.business and root.office else ""
            FlowWaiting:
                shown: root.loading
            FlowMessage:
                color: theme.WARNING
                text: app.t(root.message, app.locale) if root.message else ""
            FlowScroll:
                BoxLayout:
                    orientation: "vertical"
                    spacing: dp(16)
                    # Room on the right for the scroll bar, which large text may bring.
                    padding: 0, 0, dp(16), 0
                    size_hint_y: None
                    height: self.minimum_height
                    GridLayout:
                        id: day_grid
                        cols: 5
                        spacing: dp(14)
                        size_hint_y: None
                        height: self.minimum_height
                    Widget:
                        size_hint_y: None
                        height: dp(12)
                    GridLayout:
                        id: slot_grid
                        cols: 3
                        spacing: dp(14)
                        size_hint_y: None
                        height: self.minimum_height
            # Until a time is chosen, a plain hint stands where the Book button will be (a greyed button
            # is hard to read).
            RelativeLayout:
                size_hint_y: None
                height: dp(150)
                KText:
                    pos_hint: {"center_y": 0.5}
                    halign: "center"
                    color: theme.MUTED
                    opacity: 0 if root.chosen_slot else 1
                    text: app.t("Choose a time above", app.locale)
                KioskButton:
                    opacity: 1 if root.chosen_slot else 0
                    disabled: not root.chosen_slot or root.booking
                    text: (app.t("Booking, please wait…", app.locale) if root.booking else app.t("Book {when}", app.locale).format(when=root.chosen_text())) if root.chosen_slot else ""
                    on_release: root.book()
            FlowFooter:
                on_back: root.back()

<AppointmentBookedScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(24)
            KTitle:
                color: theme.MONEY
                text: app.t("Your appointment is booked", app.locale)
            FlowScroll:
                Card:
                    spacing: dp(8)
                    BigCode:
                        caption: app.t("Your call number", app.locale)
                        code: root.booked.appointment.call_number if root.booked else ""
                    FactRow:
                        label: app.t("Business", app.locale)
                        value: root.facts(root.booked, app.locale)["business"]
                    FactRow:
                        label: app.t("When", app.locale)
                        value: root.facts(root.booked, app.locale)["when"]
                    FactRow:
                        label: app.t("Office", app.locale)
                        value: root.facts(root.booked, app.locale)["office"]
                    Widget:
                        size_hint_y: None
                        height: dp(12)
                    KText:
                        bold: True
                        text: app.t("Please bring:", app.locale)
                    KText:
                        id: materials
                        font_size: sp(theme.SMALL + 4) * app.text_scale
            FlowMessage:
                text: app.t(root.booked.message, app.locale) if root.booked else ""
            # Finish ends the visit (the goodbye reminds of card and slip); Home keeps it for another service.
            FlowFooter:
                back_text: N_("Home")
                exit_text: N_("Finish")
                on_back: app.go_home()

<AppointmentRow>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    padding: 0, dp(18)
    spacing: dp(6)
    BoxLayout:
        size_hint_y: None
        height: max(title_label.texture_size[1], state_label.texture_size[1])
        spacing: dp(16)
        Label:
            id: title_label
            text: root.title
            bold: True
            color: theme.TEXT
            font_size: sp(theme.SMALL + 6) * app.text_scale
            text_size: self.width, None
            halign: "left"
            valign: "top"
        Label:
            id: state_label
            text: root.state_name
            bold: True
            color: theme.PRIMARY if root.cancellable else theme.MUTED
            font_size: sp(theme.SMALL + 2) * app.text_scale
            size_hint_x: None
            width: dp(220)
            text_size: self.width, None
            halign: "right"
            valign: "top"
    KMuted:
        text: root.when + "\\n" + root.office + "    " + app.t("Call number {number}", app.locale).format(number=root.number)
    SecondaryButton:
        text: app.t("Cancel this appointment", app.locale)
        opacity: 1 if root.cancellable else 0
        disabled: not root.cancellable
        height: dp(110) if root.cancellable else 0
        base_font_size: sp(theme.SMALL + 4)
        on_release: root.dispatch("on_cancel")

<MyAppointmentsScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(24)
            KTitle:
                text: app.t("My appointments", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowMessage:
                # Chinese sentences run on without a space.
                text: ("" if app.locale == "zh_CN" else " ").join(app.t(message, app.locale) for message in root.messages)
            KLead:
                text: app.t("You have no appointments.", app.locale) if not root.loading and not rows.children else ""
                height: self.texture_size[1] if self.text else 0
            FlowScroll:
                Card:
                    id: rows
                    spacing: 0
                    padding: dp(40), dp(8)
                    opacity: 1 if self.children else 0
            FlowFooter:
                on_back: app.go("appointment")

<AppointmentUnavailableScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(96)
            spacing: dp(40)
            Widget:
                size_hint_y: 0.3
            FlowMessage:
                title: app.t("Booking needs the centre", app.locale)
                text: "\\n\\n".join(app.t(message, app.locale) for message in root.explanation(root.pre_registration))
            Widget:
            KioskButton:
                text: app.t("Pre-register instead", app.locale)
                opacity: 1 if root.pre_registration else 0
                disabled: not root.pre_registration
                height: dp(150) if root.pre_registration else 0
                on_release: root.pre_register()
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()
"""
)
