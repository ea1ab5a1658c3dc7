"""Appointments (预约): a business type, an office, a day and a slot from the centre's calendar; booking,
cancelling, and the slip. Booking needs the centre: its calendar decides the last place, so offline the
kiosk says so (Unavailable) and the screen offers pre-registration instead."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.models import Appointment
from kiosk.i18n import N_
from kiosk.services.catalogue import BusinessView, CatalogueCache, OfficeView
from kiosk.services.citizen import CitizenService, Unavailable
from kiosk.services.filing import KioskParts

log = logging.getLogger(__name__)

_REFUSALS = {
    "slot_full": N_("That time has just been taken. Please choose another."),
    "not_bookable": N_("This service cannot be booked at that office and time. Please choose another."),
    "appointment_limit": N_(
        "You already have an appointment for this service. Cancel it first to book another time."
    ),
    "cancel_refused": N_("This appointment can no longer be cancelled: it has begun or was cancelled."),
}


class AppointmentRefused(Exception):
    """The centre refused the booking or cancellation; `message` says why and what to do (a message id)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SlotView:
    slot: str  # "09:00-09:30"
    places_left: int


@dataclass(frozen=True)
class DayView:
    day: date
    slots: tuple[SlotView, ...]

    @property
    def free(self) -> bool:
        return any(slot.places_left > 0 for slot in self.slots)


@dataclass(frozen=True)
class AppointmentView:
    booking_id: str
    call_number: str
    business: str  # the centre's code
    business_zh: str
    business_en: str
    office_zh: str
    office_en: str
    day: date
    slot: str
    state: str  # booked | cancelled | past

    @property
    def cancellable(self) -> bool:
        return self.state == "booked"


@dataclass(frozen=True)
class Booked:
    appointment: AppointmentView
    printed: bool
    message: str  # a message id


@dataclass(frozen=True)
class Cancelled:
    """A cancelled appointment, and whether its cancellation slip came out (the goodbye reminds of it)."""

    appointment: AppointmentView
    printed: bool
    message: str  # a message id


class AppointmentService:
    def __init__(
        self,
        central: CentralClient,
        citizen: CitizenService,
        catalogue: CatalogueCache,
        parts: KioskParts,
        now: Callable[[], datetime],
    ) -> None:
        self._central = central
        self._citizen = citizen
        self._catalogue = catalogue
        self._parts = parts
        self._now = now

    def wipe(self) -> None:
        """Nothing of the citizen is kept between calls."""

    def business_types(self) -> list[BusinessView]:
        """What can be booked. Blocking; Unavailable when the centre does not answer (booking needs it)."""
        self._token()
        try:
            types = self._catalogue.businesses(bookable=True, from_centre=True)
        except (CentralError, CentralUnavailable) as exc:
            raise Unavailable(str(exc)) from exc
        if not types:
            raise Unavailable("no catalogue of business types")
        return types

    def offices(self, business: str) -> list[OfficeView]:
        view = self._catalogue.business(business)
        return self._catalogue.offices(view.offices) if view else []

    def days(self, business: str, office: str) -> list[DayView]:
        """The working days ahead with their slots' free places. Blocking; Unavailable when offline."""
        try:
            answer = self._central.appointment_slots(self._token(), business, office)
        except CentralError as exc:
            if exc.code in _REFUSALS:
                raise AppointmentRefused(exc.code, _REFUSALS[exc.code]) from exc
            raise Unavailable(str(exc)) from exc
        except CentralUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        return [
            DayView(day.date, tuple(SlotView(s.slot, s.places_left) for s in day.slots))
            for day in answer.days
        ]

    def book(self, business: str, office: str, day: date, slot: str) -> Booked:
        """Book and print the slip. Blocking. AppointmentRefused (slot taken, limit) or Unavailable."""
        try:
            booked = self._central.book_appointment(self._token(), business, office, day, slot)
        except CentralError as exc:
            if exc.code in _REFUSALS:
                raise AppointmentRefused(exc.code, _REFUSALS[exc.code]) from exc
            raise Unavailable(str(exc)) from exc
        except CentralUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        view = self._view(booked)
        printed, message = self._print_ticket(view)
        return Booked(view, printed, message)

    def mine(self) -> list[AppointmentView]:
        """The citizen's appointments, latest slot first. Blocking; Unavailable when offline."""
        try:
            return [self._view(a) for a in self._central.appointments(self._token())]
        except (CentralError, CentralUnavailable) as exc:
            raise Unavailable(str(exc)) from exc

    def cancel(self, booking_id: str) -> Cancelled:
        try:
            cancelled = self._central.cancel_appointment(self._token(), booking_id)
        except CentralError as exc:
            if exc.code in _REFUSALS:
                raise AppointmentRefused(exc.code, _REFUSALS[exc.code]) from exc
            raise Unavailable(str(exc)) from exc
        except CentralUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        view = self._view(cancelled)
        printed, message = self._print_cancellation(view)
        return Cancelled(view, printed, message)

    def _token(self) -> str:
        return self._citizen.signed_in_citizen().session_token

    def _view(self, appointment: Appointment) -> AppointmentView:
        business = self._catalogue.business(appointment.business)
        return AppointmentView(
            booking_id=appointment.booking_id,
            call_number=appointment.call_number,
            business=appointment.business,
            business_zh=business.name_zh if business else appointment.business,
            business_en=business.name_en if business else appointment.business,
            office_zh=self._catalogue.office_name(appointment.office, "zh_CN"),
            office_en=self._catalogue.office_name(appointment.office, "en"),
            day=appointment.date,
            slot=appointment.slot,
            state=appointment.state,
        )

    def _print_ticket(self, view: AppointmentView) -> tuple[bool, str]:
        from kiosk.receipts.data import AppointmentTicketData
        from kiosk.receipts.templates import appointment_ticket

        printing = self._parts.printing
        if printing is None:
            return False, N_("Please note your appointment number.")
        business = self._catalogue.business(view.business)
        data = AppointmentTicketData(
            call_number=view.call_number,
            business=view.business_zh,
            office=view.office_zh,
            day=view.day,
            slot=view.slot,
            booking_id=view.booking_id,
            name=self._citizen.signed_in_citizen().name,
            materials=business.materials_zh if business else (),
            printed_at=printing.now(),
        )
        report = printing.print_receipt(appointment_ticket(data, printing.branding()), "appointment ticket")
        if report.printed:
            return True, report.message
        return False, N_(
            "Your appointment is booked, but the slip could not be printed. Please note its number."
        )

    def _print_cancellation(self, view: AppointmentView) -> tuple[bool, str]:
        from kiosk.receipts.data import AppointmentCancelledData
        from kiosk.receipts.templates import appointment_cancelled

        printing = self._parts.printing
        if printing is None:
            return False, N_("Your appointment is cancelled.")
        data = AppointmentCancelledData(
            call_number=view.call_number,
            business=view.business_zh,
            office=view.office_zh,
            day=view.day,
            slot=view.slot,
            name=self._citizen.signed_in_citizen().name,
            printed_at=printing.now(),
        )
        report = printing.print_receipt(
            appointment_cancelled(data, printing.branding()), "appointment cancellation"
        )
        if report.printed:
            return True, report.message
        return False, N_("Your appointment is cancelled, but the slip could not be printed.")
