"""The visit flow and its transaction services without a screen, through the real parts: a real centre on
loopback, the real outbox and forwarder, the in-process printer and bank card reader (sim://) that speak
the real protocols. What the screens and `kiosk simulate` both rely on."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.central.models import DemoCard
from kiosk.devices.bankcard.demo_cards import made_card, synthetic_pan
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.printer.sim import SimPrinter
from kiosk.masking import format_fen
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.citizen import CardHolder, SignIn, Unavailable
from kiosk.services.filing import NotTaken
from kiosk.services.payee_card import PayeeCardRefused
from kiosk.services.withdrawal import AmountRefused, claim_number, parse_amount
from kiosk.settings import load_settings

from ..conftest import KioskSettings

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"
PASSWORD = "123456"
RENT = "01"


@pytest.fixture(scope="module")
def centre() -> Iterator[RunningServer]:
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET})) as server:
        yield server


@pytest.fixture
def runtime(centre: RunningServer, kiosk_settings: KioskSettings) -> Iterator[Runtime]:
    path = kiosk_settings(extra='printer = "sim://"\nbankcard = "sim://?poll_ms=50"\n')
    text = path.read_text(encoding="utf-8").replace("http://127.0.0.1:9", centre.base_url)
    path.write_text(text, encoding="utf-8")
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    assert not runtime.problems, runtime.problems
    yield runtime
    runtime.stop().result(20)


def _faces(runtime: Runtime) -> list[DemoCard]:
    return runtime.central.demo_cards()


def _normal(runtime: Runtime) -> DemoCard:
    return next(face for face in _faces(runtime) if face.status == "normal")


def _sign_in(runtime: Runtime, face: DemoCard) -> None:
    holder = CardHolder(face.name, face.id_number, "resident", expired=False)
    assert runtime.visit.card_placed(holder) is None
    assert runtime.visit.citizen.sign_in(PASSWORD).outcome is SignIn.OK


def _renter(runtime: Runtime) -> DemoCard:
    """A citizen whom the centre lets withdraw for rent today."""
    for face in _faces(runtime):
        if face.status != "normal":
            continue
        _sign_in(runtime, face)
        reasons = {r.code: r for r in runtime.visit.withdrawal.reasons()}
        if reasons[RENT].selectable and reasons[RENT].max_fen >= 10000:
            return face
        runtime.end_visit()
    raise AssertionError("no synthetic citizen may withdraw for rent")


def _insert(runtime: Runtime, pan: str, holder_id: str | None, credit: bool = False) -> None:
    assert runtime.payee_cards is not None
    reader = runtime.payee_cards.reader
    assert isinstance(reader, SimBankCardReader)
    reader.insert(VirtualCard(made_card(pan=pan, holder_id=holder_id, credit=credit)))


def _printed(runtime: Runtime) -> list[str]:
    assert runtime.printing is not None
    printer = runtime.printing.printer
    assert isinstance(printer, SimPrinter)
    jobs = printer.virtual.jobs
    return jobs[-1].lines() if jobs else []


@given(st.integers(min_value=1, max_value=99_999_999_99))
def test_any_amount_in_fen_reads_back_from_its_keypad_text(fen: int) -> None:
    text = f"{fen // 100}.{fen % 100:02d}"
    assert parse_amount(text) == fen
    assert parse_amount(text.rstrip("0").rstrip(".")) == fen


@given(st.text(max_size=14))
def test_the_amount_parser_raises_only_its_own_error(text: str) -> None:
    try:
        fen = parse_amount(text)
    except AmountRefused:
        return
    assert 0 < fen < 10**10 and re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text)


def test_a_rent_withdrawal_is_filed_once_accepted_and_its_slip_names_the_claim(runtime: Runtime) -> None:
    face = _renter(runtime)
    service = runtime.visit.withdrawal
    reason = service.choose_reason(RENT)
    with pytest.raises(AmountRefused) as too_much:
        service.set_amount(f"{reason.max_fen // 100 + 1}")
    assert too_much.value.maximum == reason.maximum
    assert service.set_amount("100.5") == format_fen(10050)
    pan = synthetic_pan("621799", 42)
    _insert(runtime, pan, face.id_number)
    card = service.read_card(timeout_s=5)
    assert card.card_masked.startswith("621799") and pan not in card.card_masked
    confirm = service.confirmation()
    assert (confirm.amount, confirm.card_masked) == (format_fen(10050), card.card_masked)

    submitted = service.submit()
    again = service.submit()  # a second tap files nothing new
    assert again == submitted
    assert submitted.answer == "accepted" and submitted.printed
    lines = "\n".join(_printed(runtime))
    assert submitted.claim_number in lines and pan not in lines and face.id_number not in lines
    listed = runtime.visit.applications.listing()
    matching = [a for a in listed.items if a.number == submitted.claim_number]
    assert listed.complete and len(matching) == 1 and matching[0].state == "accepted"
    assert runtime.outbox is not None and runtime.outbox.usage().rows == 0


def test_payee_cards_that_are_not_the_citizens_debit_card_are_refused(runtime: Runtime) -> None:
    face = _renter(runtime)
    service = runtime.visit.withdrawal
    service.choose_reason(RENT)
    service.set_amount("50")
    _insert(runtime, synthetic_pan("622299", 7), face.id_number, credit=True)
    with pytest.raises(PayeeCardRefused) as credit:
        service.read_card(timeout_s=5)
    assert credit.value.code == "credit_card"
    _insert(runtime, synthetic_pan("621799", 8), "120199199001011234")
    with pytest.raises(PayeeCardRefused) as foreign:
        service.read_card(timeout_s=5)
    assert foreign.value.code == "not_holder"
    with pytest.raises(ValueError):
        service.confirmation()  # no card was accepted: nothing to confirm


def test_a_transaction_is_not_taken_while_the_outbox_is_closed(runtime: Runtime) -> None:
    face = _renter(runtime)
    service = runtime.visit.withdrawal
    service.choose_reason(RENT)
    service.set_amount("20")
    _insert(runtime, synthetic_pan("621799", 9), face.id_number)
    service.read_card(timeout_s=5)
    service.confirmation()
    outbox = runtime.outbox
    runtime.outbox = None
    try:
        with pytest.raises(NotTaken):
            service.submit()
    finally:
        runtime.outbox = outbox
    assert _printed(runtime) == []  # nothing filed, nothing printed


def test_ending_the_visit_forgets_every_draft(runtime: Runtime) -> None:
    face = _renter(runtime)
    service = runtime.visit.withdrawal
    service.choose_reason(RENT)
    service.set_amount("30")
    _insert(runtime, synthetic_pan("621799", 10), face.id_number)
    service.read_card(timeout_s=5)
    runtime.end_visit()
    assert runtime.visit.citizen.holder is None and not runtime.visit.active.is_set()
    with pytest.raises(ValueError):
        service.confirmation()
    assert runtime.visit.pending_service == "overview" and not runtime.visit.receipt_printed


def test_pre_registration_offline_waits_in_the_outbox_and_is_listed_as_waiting(
    runtime: Runtime, centre: RunningServer
) -> None:
    face = _normal(runtime)
    _sign_in(runtime, face)
    types = runtime.visit.pre_registration.business_types()
    assert types and (runtime.settings.kiosk.data_dir / "catalogue.json").is_file()
    assert runtime.forwarder is not None
    runtime.forwarder.stop(timeout_s=5)  # the centre is not reached from now on
    registered = runtime.visit.pre_registration.register(types[0].code)
    assert registered.answer == "waiting" and registered.printed
    assert registered.valid_until > date.today()
    lines = "\n".join(_printed(runtime))
    assert registered.code in lines
    listed = runtime.visit.applications.listing()
    waiting = [a for a in listed.items if a.waiting_to_send]
    assert [a.number for a in waiting] == [registered.code]


def test_the_kept_catalogue_serves_when_the_centre_does_not_and_a_damaged_one_is_replaced(
    runtime: Runtime,
) -> None:
    catalogue = runtime.visit.catalogue
    fresh = catalogue.businesses(pre_registrable=True)
    path = runtime.settings.kiosk.data_dir / "catalogue.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["etag"] and stored["catalogue"]["business_types"]

    from kiosk.services.catalogue import CatalogueCache

    runtime.central.base_url = "http://127.0.0.1:9"  # nobody listens there
    offline = CatalogueCache(runtime.central, runtime.settings.kiosk.data_dir)
    assert offline.businesses(pre_registrable=True) == fresh
    path.write_text("{not json", encoding="utf-8")
    assert CatalogueCache(runtime.central, runtime.settings.kiosk.data_dir).businesses() == []


def test_an_appointment_is_booked_printed_listed_and_cancelled(runtime: Runtime) -> None:
    _sign_in(runtime, _normal(runtime))
    service = runtime.visit.appointments
    business = service.business_types()[0]
    office = service.offices(business.code)[0]
    day = next(d for d in service.days(business.code, office.code) if d.free)
    slot = next(s for s in day.slots if s.places_left > 0)
    booked = service.book(business.code, office.code, day.day, slot.slot)
    assert booked.printed and booked.appointment.call_number in "\n".join(_printed(runtime))
    mine = service.mine()
    assert booked.appointment.booking_id in {a.booking_id for a in mine if a.cancellable}
    cancelled = service.cancel(booked.appointment.booking_id)
    assert cancelled.appointment.state == "cancelled" and "取消" in "\n".join(_printed(runtime))


def test_a_deposit_certificate_prints_the_centres_code_and_its_verify_url(runtime: Runtime) -> None:
    _sign_in(runtime, _normal(runtime))
    printed = runtime.visit.certificates.issue_and_print("deposit")
    assert printed.printed
    assert printed.code in "\n".join(_printed(runtime))


def test_a_weak_new_password_is_refused_with_the_centres_reason(runtime: Runtime) -> None:
    from kiosk.services.password_change import Change

    _sign_in(runtime, _normal(runtime))
    service = runtime.visit.password_change
    assert service.change(PASSWORD, "246810", "246811").outcome is Change.MISMATCH
    weak = service.change(PASSWORD, "111111", "111111")
    assert weak.outcome is Change.WEAK and weak.reason("zh_CN") and weak.reason("en")


def test_queries_need_the_centre_and_say_so(runtime: Runtime) -> None:
    _sign_in(runtime, _normal(runtime))
    runtime.central.base_url = "http://127.0.0.1:9"
    with pytest.raises(Unavailable):
        runtime.visit.appointments.mine()
    assert claim_number(TERMINAL_ID, "wd-x" * 3).startswith("TQ")


def test_a_card_read_the_citizen_left_ends_at_once_and_frees_its_worker(runtime: Runtime) -> None:
    from kiosk.services.payee_card import CardReadCancelled

    _renter(runtime)
    service = runtime.visit.withdrawal
    service.choose_reason(RENT)
    service.set_amount("10")
    started = time.monotonic()
    reading = runtime.background.submit(service.read_card, 30.0)
    time.sleep(0.3)  # waiting for a card that never comes
    service.cancel_card_read()
    with pytest.raises(CardReadCancelled):
        reading.result(timeout=5)
    # The end of a visit cancels a read in progress the same way.
    _sign_in(runtime, _normal(runtime))
    reading = runtime.background.submit(service.read_card, 30.0)
    time.sleep(0.3)
    runtime.end_visit()
    with pytest.raises(CardReadCancelled):
        reading.result(timeout=5)
    assert time.monotonic() - started < 10
