"""The appointment service as the appointment screens rely on it, through a real centre on loopback and the
in-process printer: booking needs the centre from the first step, and a cancellation says whether its slip
came out (the goodbye must not remind anyone of a slip that never printed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.devices.printer.sim import SimPrinter
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.citizen import CardHolder, SignIn, Unavailable
from kiosk.settings import load_settings

from ..conftest import KioskSettings

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"
NOBODY_LISTENS = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def centre() -> Iterator[RunningServer]:
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET})) as server:
        yield server


@pytest.fixture
def runtime(centre: RunningServer, kiosk_settings: KioskSettings) -> Iterator[Runtime]:
    path = kiosk_settings(extra='printer = "sim://"\n')
    path.write_text(
        path.read_text(encoding="utf-8").replace(NOBODY_LISTENS, centre.base_url), encoding="utf-8"
    )
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    face = runtime.central.demo_cards()[0]
    assert runtime.visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
    assert runtime.visit.citizen.sign_in("123456").outcome is SignIn.OK
    yield runtime
    runtime.stop().result(20)


def test_booking_says_at_once_that_it_needs_the_centre_even_with_a_kept_catalogue(runtime: Runtime) -> None:
    service = runtime.visit.appointments
    assert service.business_types()  # online: the centre's list, now also kept on disk
    runtime.central.base_url = NOBODY_LISTENS
    # The kept catalogue would list business types, but the calendar behind them cannot be reached: the
    # citizen must learn that before choosing a business and an office, not after.
    with pytest.raises(Unavailable):
        service.business_types()
    assert runtime.visit.pre_registration.business_types()  # pre-registration still works from the kept list


def test_a_cancellation_says_whether_its_slip_printed(runtime: Runtime) -> None:
    service = runtime.visit.appointments
    business = service.business_types()[0]
    office = service.offices(business.code)[0]
    day = next(d for d in service.days(business.code, office.code) if d.free)
    slot = next(s for s in day.slots if s.places_left > 0)
    booked = service.book(business.code, office.code, day.day, slot.slot)

    cancelled = service.cancel(booked.appointment.booking_id)
    assert cancelled.appointment.state == "cancelled" and not cancelled.appointment.cancellable
    assert cancelled.printed and cancelled.message == "Please take your receipt from the slot below."
    assert runtime.printing is not None and isinstance(runtime.printing.printer, SimPrinter)
    assert booked.appointment.call_number in "\n".join(runtime.printing.printer.virtual.jobs[-1].lines())
