"""The touchpoint recorder through a real outbox (SQLite file in the test's directory): events in order with
their durations, the visit ticket only when signed in, never blocking the caller, dropping (counted) when
the outbox is closed or its backlog nears its bounds, so that a withdrawal always finds room; and, through
the whole kiosk with a real centre, no personal data in any payload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from central_server.app import create_app
from central_server.limits import Limits
from central_server.testing import RunningServer, serve_in_thread
from kiosk.offline_queue.bounds import BoundsPolicy
from kiosk.offline_queue.outbox import Outbox
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.background import Background
from kiosk.services.citizen import CardHolder, SignIn
from kiosk.services.policy import CENTRE_TIME
from kiosk.services.rating import Case, booking_case_ref
from kiosk.services.touchpoints import TouchpointRecorder
from kiosk.settings import load_settings

from ..conftest import KioskSettings

TICKET = "eyJ2IjoxfQ.c2lnbmF0dXJl"  # the shape the centre issues: base64url, a dot, base64url
AT = datetime(2026, 11, 27, 10, 0, tzinfo=CENTRE_TIME)
CONTRACT_FIELDS = {"visit_id", "channel", "event", "at", "service", "screen", "duration_ms", "detail"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox.open(tmp_path / "outbox", bounds=BoundsPolicy(max_rows=10))
    yield box
    box.close()


@pytest.fixture
def worker() -> Iterator[Background]:
    lane = Background(workers=1, name="test-feedback")
    yield lane
    lane.shutdown()


def _drain(worker: Background) -> None:
    worker.submit(lambda: None).result(5)


def _sent(outbox: Outbox) -> list[tuple[dict[str, Any], str | None]]:
    items, _due = outbox.claim(100)
    return [(item.payload, item.visit_ticket) for item in items if item.kind == "touchpoint_event"]


def _recorder(
    outbox: Outbox | None, worker: Background, clock: Clock, ticket: list[str | None]
) -> TouchpointRecorder:
    return TouchpointRecorder(lambda: outbox, lambda: ticket[0], lambda: AT, worker, clock)


def test_events_in_order_with_durations_and_the_ticket_only_once_signed_in(
    outbox: Outbox, worker: Background
) -> None:
    clock, ticket = Clock(), [None]
    recorder = _recorder(outbox, worker, clock, ticket)
    visit_id = recorder.start("id_card")
    ticket[0] = TICKET
    recorder.record("signed_in")
    recorder.service_entered("overview")
    clock.now += 2.5
    recorder.service_completed("overview")
    recorder.service_entered("withdrawal")
    clock.now += 1.25
    recorder.service_left("withdrawal_amount")
    clock.now += 0.5
    recorder.end()
    recorder.record("signed_in")  # after the end: no visit, nothing recorded
    _drain(worker)

    sent = _sent(outbox)
    assert [(p["event"], p.get("service"), p.get("duration_ms")) for p, _t in sent] == [
        ("visit_started", None, None),
        ("signed_in", None, None),
        ("service_entered", "overview", None),
        ("service_completed", "overview", 2500),
        ("service_entered", "withdrawal", None),
        ("service_abandoned", "withdrawal", 1250),
        ("visit_ended", None, 4250),
    ]
    assert [t for _p, t in sent] == [None] + [TICKET] * 6
    first, abandoned = sent[0][0], sent[5][0]
    assert first == {"visit_id": visit_id, "channel": "kiosk", "event": "visit_started",
                     "at": "2026-11-27T10:00:00+08:00", "detail": "id_card"}
    assert abandoned["screen"] == abandoned["detail"] == "withdrawal_amount"
    assert all(set(p) <= CONTRACT_FIELDS and p["visit_id"] == visit_id for p, _t in sent)


def test_each_visit_has_its_own_random_id_and_an_anonymous_one_no_ticket(
    outbox: Outbox, worker: Background
) -> None:
    recorder = _recorder(outbox, worker, Clock(), [None])
    first = recorder.start()
    assert recorder.start() == first  # a second start within the visit is the same visit
    recorder.end()
    second = recorder.start()
    recorder.end()
    _drain(worker)
    sent = _sent(outbox)
    assert first != second and len(first) == 16
    assert {p["visit_id"] for p, _t in sent} == {first, second}
    assert all(t is None for _p, t in sent)
    assert "detail" not in sent[0][0]  # begun by a tap, not an ID card


def test_recording_never_waits_for_the_outbox(worker: Background) -> None:
    stuck = threading.Event()

    def slow_outbox() -> None:
        stuck.wait()  # a disk that hangs until the test lets it go
        return None

    recorder = TouchpointRecorder(slow_outbox, lambda: None, lambda: AT, worker)

    def a_visit() -> None:
        recorder.start()
        for _ in range(50):
            recorder.record("language_changed", detail="en")
        recorder.end()

    # The visit's thread finishes while the outbox still hangs: had recording waited for it, the thread
    # would still be waiting (the join's time-out is only a net for a broken recorder).
    visit = threading.Thread(target=a_visit, daemon=True)
    visit.start()
    visit.join(30)
    finished = not visit.is_alive()
    stuck.set()
    assert finished, "recording waited for the outbox"
    _drain(worker)
    assert recorder.dropped == 52  # no outbox: every one dropped, none raised


def test_a_flood_of_touchpoints_never_crowds_out_a_withdrawal(
    outbox: Outbox, worker: Background, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = _recorder(outbox, worker, Clock(), [None])
    recorder.start()
    for _ in range(200):
        recorder.record("language_changed", detail="en")
    _drain(worker)
    # Touchpoints stop at the warning level (8 of 10 rows); the rest are dropped, each counted in the log.
    assert outbox.usage().rows == 8
    assert recorder.dropped == 193
    assert "193 dropped since start" in caplog.text
    outbox.enqueue("withdrawal_application", {"synthetic": 1}, "withdrawal-test-0001", visit_ticket=TICKET)
    outbox.enqueue("withdrawal_application", {"synthetic": 2}, "withdrawal-test-0002", visit_ticket=TICKET)
    assert outbox.usage().rows == 10


def test_a_closed_outbox_drops_touchpoints_without_raising(tmp_path: Path, worker: Background) -> None:
    box = Outbox.open(tmp_path / "outbox")
    box.close()
    recorder = _recorder(box, worker, Clock(), [None])
    recorder.start()
    recorder.end()
    _drain(worker)
    assert recorder.dropped == 2


def test_an_unknown_event_is_a_bug_named_at_once(outbox: Outbox, worker: Background) -> None:
    recorder = _recorder(outbox, worker, Clock(), [None])
    with pytest.raises(ValueError, match="unknown touchpoint event 'clicked'"):
        recorder.record("clicked")


# -- through the whole kiosk ------------------------------------------------------------------------------

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"


@pytest.fixture(scope="module")
def centre() -> Iterator[RunningServer]:
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET})) as server:
        yield server


def _kiosk(centre: RunningServer, kiosk_settings: KioskSettings) -> Runtime:
    path = kiosk_settings()
    path.write_text(path.read_text(encoding="utf-8").replace("http://127.0.0.1:9", centre.base_url), "utf-8")
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    return runtime


@pytest.fixture
def runtime(centre: RunningServer, kiosk_settings: KioskSettings) -> Iterator[Runtime]:
    runtime = _kiosk(centre, kiosk_settings)
    yield runtime
    runtime.stop().result(20)


def _spy_on(runtime: Runtime) -> list[tuple[str, dict[str, Any], str | None]]:
    """What the kiosk enqueues, in order, as (kind, payload, visit ticket); the real outbox still takes it."""
    outbox = runtime.outbox
    assert outbox is not None
    enqueued: list[tuple[str, dict[str, Any], str | None]] = []
    real_enqueue = outbox.enqueue

    def spy(
        kind: str, payload: dict[str, Any], key: str | None = None, visit_ticket: str | None = None
    ) -> Any:
        enqueued.append((kind, payload, visit_ticket))
        return real_enqueue(kind, payload, key, visit_ticket=visit_ticket)

    outbox.enqueue = spy  # type: ignore[method-assign]
    return enqueued


def test_a_visit_s_touchpoints_carry_no_personal_data(runtime: Runtime) -> None:
    enqueued = _spy_on(runtime)
    face = next(face for face in runtime.central.demo_cards() if face.status == "normal")
    visit = runtime.visit
    assert visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
    visit.choose("overview")
    assert visit.sign_in("123456").outcome is SignIn.OK
    visit.after_sign_in()
    visit.leaving("overview")
    runtime.end_visit()
    visit.touchpoints._worker.submit(lambda: None).result(5)

    touchpoints = [(p, t) for kind, p, t in enqueued if kind == "touchpoint_event"]
    assert [p["event"] for p, _t in touchpoints] == [
        "visit_started", "service_entered", "signed_in", "service_completed", "visit_ended"
    ]
    assert [t is not None for _p, t in touchpoints] == [False, False, True, True, True]
    text = repr([p for p, _t in touchpoints])
    surname = face.name[0]
    for personal in (face.name, face.id_number, face.id_number[-6:], "120199", surname):
        assert personal not in text


def test_each_failed_sign_in_is_a_touchpoint_with_its_kind(kiosk_settings: KioskSettings) -> None:
    # A terminal limit of three failures reaches rate_limited in four attempts; a stopped centre, unavailable.
    limits = Limits(sign_in_failures_per_terminal=3)
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET}, limits=limits)) as centre:
        runtime = _kiosk(centre, kiosk_settings)
        try:
            enqueued = _spy_on(runtime)
            face = next(face for face in runtime.central.demo_cards() if face.status == "normal")
            visit = runtime.visit
            assert visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
            passwords = ("000000", "000001", "000002", "123456")
            outcomes = [visit.sign_in(password).outcome for password in passwords]
            centre.stop()
            outcomes.append(visit.sign_in("123456").outcome)
            visit.touchpoints._worker.submit(lambda: None).result(5)
        finally:
            runtime.stop().result(20)

    assert outcomes == [
        SignIn.WRONG_PASSWORD, SignIn.WRONG_PASSWORD, SignIn.LOCKED, SignIn.RATE_LIMITED, SignIn.UNAVAILABLE
    ]
    failures = [(p["detail"], t) for kind, p, t in enqueued if kind == "touchpoint_event"
                and p["event"] == "sign_in_failed"]
    assert failures == [
        ("wrong_password", None), ("wrong_password", None), ("locked", None), ("rate_limited", None),
        ("unavailable", None),
    ]


def test_a_booked_appointment_waits_for_its_rating(runtime: Runtime) -> None:
    faces = [face for face in runtime.central.demo_cards() if face.status == "normal"]
    face = faces[1]  # not the first: the test above has it in a visit of its own on the same centre
    visit = runtime.visit
    assert visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
    assert visit.choose("appointment") == "card"
    assert visit.sign_in("123456").outcome is SignIn.OK
    service = visit.appointments
    business = service.business_types()[0]
    office = service.offices(business.code)[0]
    day = next(d for d in service.days(business.code, office.code) if d.free)
    slot = next(s for s in day.slots if s.places_left > 0)
    booked = service.book(business.code, office.code, day.day, slot.slot)

    visit.shown("appointment_booked", {"booked": booked, "business": business})
    assert visit.rating.next_case() == Case("appointment", booking_case_ref(booked.appointment.booking_id))
