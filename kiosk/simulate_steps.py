"""What each step of a `kiosk simulate` script does to the running kiosk, and the code it ends with.

A step does what a citizen (or, for the emulated readers, a member of staff) does at the kiosk, through the
same services the screens call: `runtime.visit` and what it holds. Its `data` is what a screen would show,
masked as the screens mask it: never a whole ID number, name, card number or password.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from kiosk.central import CentralError, CentralUnavailable
from kiosk.central.models import DemoCard
from kiosk.devices.bankcard.demo_cards import CREDIT_PREFIX, DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard
from kiosk.devices.idcard.card import id_check_char
from kiosk.devices.idcard.reader import SimIdCardReader
from kiosk.masking import mask_bank_card, mask_id_number, mask_name, mask_phone
from kiosk.runtime import Runtime
from kiosk.services.appointments import AppointmentRefused, AppointmentView, DayView
from kiosk.services.certificates import CertificateRefused, statement_periods
from kiosk.services.citizen import NotSignedIn, SignIn, Unavailable
from kiosk.services.demo import card_from_demo
from kiosk.services.faults import redacted_traceback
from kiosk.services.filing import NotTaken
from kiosk.services.idcard import CardEvent, CardPlaced, CardTaken, CardUnreadable
from kiosk.services.password_change import Change
from kiosk.services.payee_card import PayeeCardRefused
from kiosk.services.policy import CENTRE_TIME
from kiosk.services.rating import RatingRefused
from kiosk.services.visit import QUERY_SCREENS
from kiosk.services.withdrawal import AmountRefused
from kiosk.simulate_script import (
    BANK_CARD_KINDS,
    FIRST_FREE,
    ApplicationState,
    Appointment,
    BankCardStep,
    CancelAppointment,
    Certificate,
    Complaint,
    Confirm,
    End,
    IdCardStep,
    InsertBankCard,
    Password,
    PasswordChange,
    PlaceIdCard,
    PreRegistration,
    Rate,
    Service,
    SkipRating,
    StepBase,
    Withdrawal,
)

log = logging.getLogger(__name__)

# How long the emulated ID card reader may take to notice that a card was lifted (it polls every 100 ms
# by default; a loaded machine stretches that).
LIFT_WAIT_S = 5.0
# The synthetic region code of every test ID number: a card "in someone else's name" is made in it.
SYNTHETIC_REGION = "120199"


@dataclass(frozen=True)
class Receipt:
    """A receipt that came out, as the service that printed it reported it."""

    kind: str  # withdrawal_slip | pre_registration | appointment_ticket | <kind>_certificate | ...
    number: str  # the claim number, code or call number on it ("" for the account statement)
    status: str  # what it says of the transaction: accepted | waiting | booked | issued | printed


@dataclass(frozen=True)
class Outcome:
    code: str
    data: dict[str, Any] = field(default_factory=dict)
    receipt: Receipt | None = None


@dataclass
class VisitMemory:
    """What a visit's later steps need of its earlier ones; forgotten when the visit ends."""

    booked: AppointmentView | None = None
    last_number: str | None = None  # of the last application filed or appointment booked
    screen: str | None = None  # of the service chosen last: where the visit leaves it, if unfinished


class IdCardWatch:
    """The ID card reader's events as a script waits for them: the next placement, and whether a card is
    on the reader (so that an emulated card is placed only once the last one was seen lifted)."""

    def __init__(self) -> None:
        self._placements: queue.SimpleQueue[CardPlaced | CardUnreadable] = queue.SimpleQueue()
        self._changed = threading.Condition()
        self._on_reader = False

    def __call__(self, event: CardEvent) -> None:
        """Called on the reader's thread (IdCardService.listen)."""
        with self._changed:
            self._on_reader = not isinstance(event, CardTaken)
            self._changed.notify_all()
        if not isinstance(event, CardTaken):
            self._placements.put(event)

    def next_card(self, timeout_s: float) -> CardPlaced | CardUnreadable | None:
        try:
            return self._placements.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def wait_lifted(self, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._on_reader, timeout_s)

    def forget_placements(self) -> None:
        while not self._placements.empty():
            self._placements.get_nowait()


class KioskHands:
    """The running kiosk as a script's steps reach it: its runtime, the ID card reader's events, the demo
    card faces (fetched from the centre once, when a step first places a card) and the bank card files
    the script names, loaded before the run."""

    def __init__(self, runtime: Runtime, bank_cards: Mapping[str, CardProfile]) -> None:
        self.runtime = runtime
        self.id_cards = IdCardWatch()
        runtime.idcard.listen(self.id_cards)
        self._bank_cards = dict(bank_cards)
        self._faces: list[DemoCard] | None = None

    def face(self, *, id_number: str | None = None, name: str | None = None) -> DemoCard | None:
        """The centre's demo card of `id_number`, or the one in `name` (names are unique in the demo data
        set). CentralError when the centre has no demo cards."""
        if self._faces is None:
            self._faces = self.runtime.central.demo_cards()
        if id_number is not None:
            return next((face for face in self._faces if face.id_number == id_number), None)
        return next((face for face in self._faces if face.name == name), None)

    def bank_card_file(self, path: str) -> CardProfile:
        return self._bank_cards[path]

    def lift_emulated_cards(self) -> None:
        """The citizen leaves with their cards: take them off the emulated readers (a real reader's cards
        are taken by hand)."""
        reader = self.runtime.idcard.reader
        if isinstance(reader, SimIdCardReader):
            reader.remove_card()
        payee_cards = self.runtime.payee_cards
        if payee_cards is not None and isinstance(payee_cards.reader, SimBankCardReader):
            payee_cards.reader.remove()


S = TypeVar("S", bound=StepBase)
Handler = Callable[[Any, KioskHands, VisitMemory], Outcome]
_HANDLERS: dict[type[StepBase], Handler] = {}


def _handles(kind: type[S]) -> Callable[[Callable[[S, KioskHands, VisitMemory], Outcome]], Handler]:
    def register(handler: Callable[[S, KioskHands, VisitMemory], Outcome]) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


def run_step(step: StepBase, hands: KioskHands, memory: VisitMemory) -> Outcome:
    """Do `step` and say how it ended; never raises for what a kiosk can meet."""
    try:
        outcome = _HANDLERS[type(step)](step, hands, memory)
    except NotSignedIn:
        return Outcome("not_signed_in")
    except Unavailable:
        return Outcome("unavailable")
    except Exception as exc:
        # A bug, or a part failing in a way no step foresees: the run goes on and says so.
        log.error("simulate: step %s failed unexpectedly\n%s", step.do, redacted_traceback(exc))
        return Outcome("error", {"error": type(exc).__name__})
    if outcome.receipt is not None:
        hands.runtime.visit.printed()
    return outcome


# -- the ID card and signing in ------------------------------------------------------------------------


@_handles(PlaceIdCard)
def _place_id_card(step: PlaceIdCard, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    reader = hands.runtime.idcard.reader
    assert isinstance(reader, SimIdCardReader)  # the script was checked against the settings
    try:
        face = hands.face(id_number=step.id_number, name=step.name)
    except CentralError:
        return Outcome("no_demo_cards")
    except CentralUnavailable:
        return Outcome("unavailable")
    if face is None:
        if step.name is not None:
            return Outcome("unknown_card", {"name": mask_name(step.name)})
        return Outcome("unknown_card", {"id_number": mask_id_number(step.id_number or "")})
    # The reader reports a card once per placement: the last one must be seen lifted first.
    reader.remove_card()
    if not hands.id_cards.wait_lifted(LIFT_WAIT_S):
        return Outcome("reader_busy")
    hands.id_cards.forget_placements()
    reader.place_card(card_from_demo(face))
    return Outcome("ok", {"name": mask_name(face.name), "id_number": mask_id_number(face.id_number)})


@_handles(IdCardStep)
def _id_card(step: IdCardStep, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    event = hands.id_cards.next_card(step.timeout_s)
    if event is None:
        return Outcome("no_card")
    if isinstance(event, CardUnreadable):
        return Outcome("unreadable")
    holder = event.holder
    data = {"name": holder.masked_name, "id_number": holder.masked_id}
    refused = hands.runtime.visit.card_placed(holder)
    return Outcome("card_expired" if refused else "ok", data)


@_handles(Password)
def _password(step: Password, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    try:
        # Through the visit, as the keypad screen: each outcome is a touchpoint.
        result = hands.runtime.visit.sign_in(step.digits)
    except NotSignedIn:  # no card placed: the keypad is not even shown
        return Outcome("no_card")
    data = {} if result.attempts_left is None else {"attempts_left": result.attempts_left}
    return Outcome("ok" if result.outcome is SignIn.OK else result.outcome.value, data)


# -- a service chosen on the home screen, and its first screen ------------------------------------------


@_handles(Service)
def _service(step: Service, hands: KioskHands, memory: VisitMemory) -> Outcome:
    runtime, name = hands.runtime, step.name
    visit = runtime.visit
    if name == "statement":  # printed from the account overview
        if runtime.printing is None:
            return Outcome("not_offered")
        visit.citizen.signed_in_citizen()
        report = runtime.printing.print_account_statement()
        if not report.printed:
            return Outcome("not_printed")
        return Outcome("ok", {"printed": True}, Receipt("account_statement", "", "printed"))
    if not visit.offered(name):
        return Outcome("not_offered")
    screen = visit.choose(name)
    if screen == "card":  # the kiosk asks for the ID card first
        return Outcome("not_signed_in")
    memory.screen = screen
    shown = _first_screen(name, runtime)
    if name in QUERY_SCREENS.values():
        # A script never leaves a screen: the query is complete once its answer was shown.
        visit.completed(name)
    return Outcome("ok", shown)


def _first_screen(name: str, runtime: Runtime) -> dict[str, Any]:
    visit = runtime.visit
    if name == "overview":
        overview = visit.citizen.overview()
        try:
            # The codes only: the sentences may name the citizen's appointments and pre-registrations.
            advice: list[str] | None = [item.code for item in visit.citizen.advice()]
        except Unavailable:
            advice = None  # as the screen: advice is a help, and the overview shows none without it
        return {
            "balance": overview.balance,
            "status": overview.status,
            "has_loan": overview.has_loan,
            "advice": advice,
        }
    if name == "deposits":
        deposits = visit.citizen.deposits()
        return {"rows": len(deposits.rows), "pages": deposits.pages}
    if name == "loan":
        loan = visit.citizen.loan()
        return {"has_loan": loan is not None, "balance": loan.balance if loan else ""}
    if name == "withdrawal":
        return {
            "reasons": [
                {"code": r.code, "selectable": r.selectable, "maximum": r.maximum}
                for r in visit.withdrawal.reasons()
            ]
        }
    if name == "appointment":
        return {"businesses": [b.code for b in visit.appointments.business_types()]}
    if name == "pre_registration":
        return {"businesses": [b.code for b in visit.pre_registration.business_types()]}
    if name == "certificate":
        return {
            "can_print": visit.certificates.can_print,
            "periods": [period.key for period in statement_periods(_today())],
        }
    if name == "status":
        listing = visit.applications.listing()
        return {
            "complete": listing.complete,
            "items": [{"kind": i.kind, "number": i.number, "state": i.state} for i in listing.items],
        }
    return {}  # password_change: its first screen is the keypad


# -- withdrawal ------------------------------------------------------------------------------------------


@_handles(Withdrawal)
def _withdrawal(step: Withdrawal, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    service = hands.runtime.visit.withdrawal
    reason = next((r for r in service.reasons() if r.code == step.reason), None)
    data: dict[str, Any] = {"reason": step.reason}
    if reason is None:
        return Outcome("unknown_reason", data)
    if not reason.allowed:
        return Outcome("reason_refused", data)
    if reason.counter_only:
        return Outcome("counter_only", data)
    service.choose_reason(reason.code)
    data["maximum"] = reason.maximum
    try:
        data["amount"] = service.set_amount(step.amount)
    except AmountRefused as exc:
        return Outcome("over_maximum" if exc.maximum else "not_an_amount", data)
    return Outcome("ok", data)


@_handles(InsertBankCard)
def _insert_bank_card(step: InsertBankCard, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    payee_cards = hands.runtime.payee_cards
    if payee_cards is None:  # the reader did not start (the settings name sim://, checked before)
        return Outcome("reader_unavailable")
    reader = payee_cards.reader
    assert isinstance(reader, SimBankCardReader)
    if step.card not in BANK_CARD_KINDS:
        reader.insert(VirtualCard(hands.bank_card_file(step.card)))
        return Outcome("ok", {"card": "file"})
    holder = hands.runtime.citizen.holder
    if holder is None:
        return Outcome("no_citizen")
    id_number = holder.id_number if step.card != "other_holder" else _someone_else(holder.id_number)
    # The birth date and sequence digits make each holder's cards distinct and the same every time.
    pan = synthetic_pan(CREDIT_PREFIX if step.card == "credit" else DEBIT_PREFIX, int(id_number[6:17]))
    reader.insert(VirtualCard(made_card(pan=pan, holder_id=id_number, credit=step.card == "credit")))
    return Outcome("ok", {"card": mask_bank_card(pan)})


def _someone_else(id_number: str) -> str:
    """A synthetic ID number (region 120199) of the same birth date that is not `id_number`."""
    sequence = (int(id_number[14:17]) + 1) % 1000
    first17 = f"{SYNTHETIC_REGION}{id_number[6:14]}{sequence:03d}"
    return first17 + id_check_char(first17)


@_handles(BankCardStep)
def _bank_card(step: BankCardStep, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    try:
        card = hands.runtime.visit.withdrawal.read_card(step.timeout_s)
    except PayeeCardRefused as exc:
        return Outcome(exc.code)
    return Outcome("ok", {"card": card.card_masked, "label": card.label})


@_handles(Confirm)
def _confirm(_step: Confirm, hands: KioskHands, memory: VisitMemory) -> Outcome:
    service = hands.runtime.visit.withdrawal
    try:
        view = service.confirmation()
    except ValueError:  # reason, amount or card missing: the confirmation screen is never reached
        return Outcome("not_ready")
    try:
        submitted = service.submit()
    except NotTaken:
        return Outcome("not_taken")
    memory.last_number = submitted.claim_number
    data = {
        "claim_number": submitted.claim_number,
        "amount": submitted.amount,
        "card": view.card_masked,
        "printed": submitted.printed,
    }
    receipt = None
    if submitted.printed:
        receipt = Receipt("withdrawal_slip", submitted.claim_number, submitted.answer)
    hands.runtime.visit.shown("withdrawal_result", {"submitted": submitted})
    return Outcome(submitted.answer, data, receipt)


# -- appointments ----------------------------------------------------------------------------------------


@_handles(Appointment)
def _appointment(step: Appointment, hands: KioskHands, memory: VisitMemory) -> Outcome:
    service = hands.runtime.visit.appointments
    data: dict[str, Any] = {"business": step.business}
    if step.business not in {b.code for b in service.business_types()}:
        return Outcome("unknown_business", data)
    offices = [office.code for office in service.offices(step.business)]
    office = step.office or (offices[0] if offices else "")
    data["office"] = office
    if office not in offices:
        return Outcome("unknown_office", data)
    try:
        days = service.days(step.business, office)
        picked = _pick_slot(days, step.day, step.slot)
        if isinstance(picked, str):
            return Outcome(picked, data)
        day, slot = picked
        data.update(day=day.isoformat(), slot=slot)
        booked = service.book(step.business, office, day, slot)
    except AppointmentRefused as exc:
        return Outcome(exc.code, data)
    view = booked.appointment
    hands.runtime.visit.shown("appointment_booked", {"booked": booked})
    memory.booked = view
    memory.last_number = view.call_number
    data.update(call_number=view.call_number, printed=booked.printed)
    receipt = Receipt("appointment_ticket", view.call_number, "booked") if booked.printed else None
    return Outcome("ok", data, receipt)


def _pick_slot(days: list[DayView], day_wanted: str, slot_wanted: str) -> tuple[date, str] | str:
    """The day and slot the step asks for, or the code saying why there is none."""
    if day_wanted == FIRST_FREE:
        day = next((d for d in days if d.free), None)
        if day is None:
            return "no_free_slot"
    else:
        day = next((d for d in days if d.day == date.fromisoformat(day_wanted)), None)
        if day is None:
            return "no_such_day"
    if slot_wanted == FIRST_FREE:
        slot = next((s for s in day.slots if s.places_left > 0), None)
        return (day.day, slot.slot) if slot else "no_free_slot"
    # A full slot is still booked: the centre's refusal (slot_full) is what the script sees.
    if not any(s.slot == slot_wanted for s in day.slots):
        return "no_such_slot"
    return day.day, slot_wanted


@_handles(CancelAppointment)
def _cancel_appointment(_step: CancelAppointment, hands: KioskHands, memory: VisitMemory) -> Outcome:
    service = hands.runtime.visit.appointments
    target = memory.booked or next((a for a in service.mine() if a.cancellable), None)
    if target is None:
        return Outcome("nothing_to_cancel")
    try:
        cancelled = service.cancel(target.booking_id)
    except AppointmentRefused as exc:
        return Outcome(exc.code, {"call_number": target.call_number})
    memory.booked = None
    view = cancelled.appointment
    data = {"call_number": view.call_number, "state": view.state, "printed": cancelled.printed}
    receipt = Receipt("appointment_cancelled", view.call_number, view.state) if cancelled.printed else None
    return Outcome("ok", data, receipt)


# -- pre-registration, certificates, password, my applications -------------------------------------------


@_handles(PreRegistration)
def _pre_registration(step: PreRegistration, hands: KioskHands, memory: VisitMemory) -> Outcome:
    service = hands.runtime.visit.pre_registration
    data: dict[str, Any] = {"business": step.business}
    if step.business not in {b.code for b in service.business_types()}:
        return Outcome("not_pre_registrable", data)
    try:
        registered = service.register(step.business)
    except NotTaken:
        return Outcome("not_taken", data)
    memory.last_number = registered.code
    hands.runtime.visit.shown("pre_registration_done", {"registered": registered})
    data.update(
        registration_code=registered.code,
        valid_until=registered.valid_until.isoformat(),
        printed=registered.printed,
    )
    receipt = Receipt("pre_registration", registered.code, registered.answer) if registered.printed else None
    return Outcome(registered.answer, data, receipt)


@_handles(Certificate)
def _certificate(step: Certificate, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    period = None
    if step.kind == "statement":
        key = step.period or "last_12_months"
        period = next(p for p in statement_periods(_today()) if p.key == key)
    try:
        printed = hands.runtime.visit.certificates.issue_and_print(step.kind, period)
    except CertificateRefused as exc:
        return Outcome(exc.code, {"kind": step.kind})
    data = {"kind": step.kind, "verification_code": printed.code, "printed": printed.printed}
    if not printed.printed:
        return Outcome("not_printed", data)
    hands.runtime.visit.completed("certificate", printed.code)  # complete when printed, as on the kiosk
    return Outcome("ok", data, Receipt(f"{step.kind}_certificate", printed.code, "issued"))


@_handles(PasswordChange)
def _password_change(step: PasswordChange, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    hands.runtime.citizen.signed_in_citizen()  # the service asks only once the entries match
    result = hands.runtime.visit.password_change.change(step.old, step.new, step.again or step.new)
    data = {} if result.attempts_left is None else {"attempts_left": result.attempts_left}
    if result.outcome is Change.CHANGED:
        hands.runtime.visit.completed("password_change")
        return Outcome("ok", data)
    return Outcome(result.outcome.value, data)


@_handles(ApplicationState)
def _application_state(_step: ApplicationState, hands: KioskHands, memory: VisitMemory) -> Outcome:
    number = memory.last_number
    if number is None:
        return Outcome("nothing_filed")
    listing = hands.runtime.visit.applications.listing()
    item = next((i for i in listing.items if i.number == number), None)
    if item is None:
        return Outcome("not_listed" if listing.complete else "unavailable", {"number": number})
    return Outcome(item.state, {"number": number, "kind": item.kind})


# -- the rating before the goodbye, complaints and suggestions --------------------------------------------


@_handles(Rate)
def _rate(step: Rate, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    rating = hands.runtime.visit.rating
    case = rating.next_case()  # as the rating screen: the oldest completed case not yet rated
    if case is None:
        return Outcome("nothing_to_rate")
    data: dict[str, Any] = {"service": case.service, "case_ref": case.case_ref, "score": step.score}
    if step.reasons:
        data["reasons"] = list(step.reasons)
    if step.phone is not None:
        data["phone"] = mask_phone(step.phone)
    try:
        rating.rate(case, step.score, step.reasons, step.phone)
    except RatingRefused as exc:
        return Outcome("refused", {**data, "why": str(exc)})
    return Outcome("ok", data)


@_handles(SkipRating)
def _skip_rating(_step: SkipRating, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    rating = hands.runtime.visit.rating
    case = rating.next_case()
    if case is None:
        return Outcome("nothing_to_rate")
    rating.skip(case)
    return Outcome("ok", {"service": case.service, "case_ref": case.case_ref})


@_handles(Complaint)
def _complaint(step: Complaint, hands: KioskHands, _memory: VisitMemory) -> Outcome:
    visit = hands.runtime.visit
    data: dict[str, Any] = {"category": step.category, "topic": step.topic}
    if not visit.offered("complaint"):
        return Outcome("not_offered", data)
    visit.choose("complaint")  # open to anyone: no ID card, no password
    try:
        lodged = visit.complaints.lodge(step.category, step.topic, step.phone)
    except NotTaken:
        return Outcome("not_taken", data)
    visit.shown("complaint_done", {"lodged": lodged})
    data.update(reference=lodged.reference, printed=lodged.printed)
    if lodged.masked_phone:
        data["phone"] = lodged.masked_phone
    receipt = Receipt("complaint_slip", lodged.reference, lodged.answer) if lodged.printed else None
    return Outcome(lodged.answer, data, receipt)


@_handles(End)
def _end(_step: End, hands: KioskHands, memory: VisitMemory) -> Outcome:
    end_visit(hands, memory)
    return Outcome("ok")


def end_visit(hands: KioskHands, memory: VisitMemory) -> None:
    """The goodbye: a service still in use abandoned where it was (as the app does on leaving a screen),
    the visit forgotten everywhere, the session closed at the centre, the cards taken."""
    hands.runtime.visit.leaving(memory.screen or "home")
    hands.runtime.end_visit()
    hands.lift_emulated_cards()
    memory.booked = None
    memory.last_number = None
    memory.screen = None


def _today() -> date:
    return datetime.now(CENTRE_TIME).date()
