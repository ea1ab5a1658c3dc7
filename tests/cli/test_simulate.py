"""`kiosk simulate` as a person runs it: scripted visits through the kiosk's visit flow with emulated
devices, a real outbox in the test's directory and the reference centre on loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import requests
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from central_server.crm.models import Complaint, Rating, Touchpoint
from central_server.models import IntakeRecord
from central_server.seed import DEMO_PASSWORD
from central_server.testing import RunningServer, serve_in_thread
from kiosk.masking import mask_id_number, mask_name
from kiosk.offline_queue.forwarder import Forwarder
from kiosk.offline_queue.outbox import Outbox
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import State
from kiosk.runtime import build_central_client
from kiosk.settings import load_settings
from tests.central.helpers import Kiosk

from .simulate_support import (
    OPERATOR_TOKEN,
    Citizen,
    DemoCitizens,
    IntakeGate,
    centre_app,
    kiosk_settings_file,
    other_terminal,
    signed_in,
    simulate,
)

WITHDRAWAL = "withdrawal_application"


@pytest.fixture(scope="module")
def gate() -> IntakeGate:
    return IntakeGate()


@pytest.fixture(scope="module")
def app(gate: IntakeGate) -> FastAPI:
    return centre_app(gate)


@pytest.fixture(scope="module")
def centre(app: FastAPI) -> Iterator[RunningServer]:
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture(scope="module")
def citizens(centre: RunningServer) -> DemoCitizens:
    return DemoCitizens(centre.base_url)


@pytest.fixture
def settings(kiosk_settings: Callable[..., Path], centre: RunningServer) -> Path:
    return kiosk_settings_file(kiosk_settings, centre.base_url)


def _rent(citizen: Citizen, amount: str = "1200.00") -> list[dict[str, object]]:
    return [{"do": "service", "name": "withdrawal"}, {"do": "withdrawal", "reason": "01", "amount": amount}]


def _unmasked(citizen: Citizen, text: str) -> list[str]:
    """The citizen's ID number or name, or any whole card number (16 to 19 digits), found in `text`."""
    found = [value for value in (citizen.id_number, citizen.name) if value in text]
    return found + re.findall(r"\d{16,19}", text)


def test_a_rent_withdrawal_to_the_citizens_debit_card_is_accepted_under_the_centres_number(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take("01")
    steps = [
        *signed_in(citizen),
        *_rent(citizen),
        {"do": "insert_bank_card", "card": "debit"},
        {"do": "bank_card", "timeout_s": 10},
        {"do": "confirm", "expect": "accepted"},
        {"do": "service", "name": "status"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert (run.returncode, run.stderr) == (0, "")
    report = run.report
    # The shape --json promises: per visit its steps and receipts, nothing else.
    assert set(report) == {"ok", "visits"} and report["ok"] is True
    assert set(report["visits"][0]) == {"ok", "steps", "receipts"}
    assert all(set(step) == {"do", "ok", "code", "data"} for step in run.steps())
    assert [step["do"] for step in run.steps()] == [step["do"] for step in steps]
    assert run.codes() == ["ok"] * 7 + ["accepted", "ok", "ok"]
    claim = run.step("confirm")["data"]["claim_number"]
    assert report["visits"][0]["receipts"] == [
        {"kind": "withdrawal_slip", "number": claim, "status": "accepted"}
    ]
    # The number on the slip is the one the centre lists the application under.
    listed = run.step("service")["data"]["items"]
    assert {"kind": "withdrawal", "number": claim, "state": "accepted"} in listed
    assert run.step("withdrawal")["data"]["amount"] == "¥1,200.00"
    assert run.step("bank_card")["data"]["card"].startswith("621799*********")
    assert _unmasked(citizen, run.stdout + run.stderr) == []


def test_each_card_and_amount_the_withdrawal_cannot_take_is_refused_with_its_code(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take("01")
    over = citizen.may_withdraw["01"] + 1
    steps = [
        *signed_in(citizen),
        {
            "do": "withdrawal",
            "reason": "01",
            "amount": f"{over // 100}.{over % 100:02d}",
            "expect": "over_maximum",
        },
        {"do": "withdrawal", "reason": "01", "amount": "12.345", "expect": "not_an_amount"},
        {"do": "withdrawal", "reason": "01", "amount": "800"},
        {"do": "insert_bank_card", "card": "credit"},
        {"do": "bank_card", "timeout_s": 10, "expect": "credit_card"},
        {"do": "insert_bank_card", "card": "other_holder"},
        {"do": "bank_card", "timeout_s": 10, "expect": "not_holder"},
        {"do": "confirm", "expect": "not_ready"},  # no card was taken: nothing to confirm
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    assert run.codes()[3:9] == [
        "over_maximum",
        "not_an_amount",
        "ok",
        "ok",
        "credit_card",
        "ok",
    ]
    assert run.codes()[9:] == ["not_holder", "not_ready", "ok"]
    assert run.report["visits"][0]["receipts"] == []


def test_a_step_that_ends_otherwise_than_asked_fails_the_run_ends_its_visit_and_says_which(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take("01")
    refused = [*signed_in(citizen), *_rent(citizen), {"do": "insert_bank_card", "card": "credit"}]
    refused += [{"do": "bank_card", "timeout_s": 10}, {"do": "confirm"}]
    again = [*signed_in(citizen), {"do": "end"}]
    run = simulate(settings, {"visits": [{"steps": refused}, {"steps": again}]}, as_json=False)
    assert run.returncode == 1
    script = settings.with_name("script.json")
    assert run.stderr.splitlines() == [
        f"kiosk simulate: {script}: visit 1, step 7 (bank_card): credit_card, expected ok"
    ]
    lines = run.stdout.splitlines()
    # The confirmation after the refused card never ran; the next visit did, from the start.
    assert "visit 1, step 7 (bank_card): credit_card" in lines
    assert not any(line.startswith("visit 1, step 8") for line in lines)
    assert "visit 2, step 4 (end): ok" in lines
    assert lines[-1] == "2 visits, 11 steps: 1 failed"


def test_a_visit_ticket_forwarded_by_another_terminal_is_refused_and_nothing_is_applied(
    settings: Path, citizens: DemoCitizens, gate: IntakeGate, app: FastAPI
) -> None:
    citizen = citizens.take("01")
    steps = [
        *signed_in(citizen),
        *_rent(citizen),
        {"do": "insert_bank_card", "card": "debit"},
        {"do": "bank_card", "timeout_s": 10},
        {"do": "confirm", "expect": "waiting"},
        {"do": "application_state", "expect": "waiting_to_send"},
        {"do": "end"},
    ]
    gate.closed = True
    try:
        run = simulate(settings, {"visits": [{"steps": steps}]})
    finally:
        gate.closed = False
    assert run.returncode == 0, run.stderr
    assert run.report["visits"][0]["receipts"][0]["status"] == "waiting"
    # The item filed at this terminal, made due now (as `kiosk queue retry` does once the link is back) and
    # sent with another terminal's credentials.
    kiosk = load_settings(settings)
    admin = OutboxAdmin(kiosk.kiosk.data_dir, kiosk.outbox.key_file)
    # The visit's touchpoints wait ahead of it in the same outbox (the gate held them back too): all due now.
    pending = admin.rows(State.PENDING)
    assert [row.kind for row in pending].count(WITHDRAWAL) == 1
    for row in pending:
        admin.retry(row.id, int(time.time() * 1000))
    admin.close()
    outbox = Outbox.open(kiosk.kiosk.data_dir, key_file=kiosk.outbox.key_file)
    try:
        [item] = outbox.waiting((WITHDRAWAL,))
        client = build_central_client(load_settings(other_terminal(settings)))
        Forwarder(outbox, client).step()
        client.close()
        fate = outbox.fate(item.idempotency_key)
    finally:
        outbox.close()
    assert fate is not None and fate.state is State.DEAD
    assert fate.reason is not None and "visit ticket issued to another terminal" in fate.reason
    with app.state.context.db.transaction() as session:
        records = session.scalars(
            select(IntakeRecord).where(IntakeRecord.idempotency_key == item.idempotency_key)
        ).all()
        assert [(r.status, r.payload) for r in records] == [("rejected", None)]


def test_an_appointment_is_booked_with_its_slip_then_cancelled_with_another(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take()
    steps = [
        *signed_in(citizen),
        {"do": "service", "name": "appointment"},
        {"do": "appointment", "business": "loan", "day": "first_free", "slot": "first_free"},
        {"do": "application_state", "expect": "booked"},
        {"do": "cancel_appointment"},
        {"do": "application_state", "expect": "cancelled"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    booked = run.step("appointment")["data"]
    assert booked["business"] == "loan" and re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", booked["slot"])
    assert run.report["visits"][0]["receipts"] == [
        {"kind": "appointment_ticket", "number": booked["call_number"], "status": "booked"},
        {"kind": "appointment_cancelled", "number": booked["call_number"], "status": "cancelled"},
    ]


def test_a_pre_registration_is_filed_and_its_code_is_the_one_the_centre_lists(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take()
    steps = [
        *signed_in(citizen),
        {"do": "service", "name": "pre_registration"},
        {"do": "pre_registration", "business": "transfer", "expect": "accepted"},
        {"do": "pre_registration", "business": "details_change", "expect": "not_pre_registrable"},
        {"do": "application_state"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    assert "transfer" in run.step("service")["data"]["businesses"]
    registered = run.steps()[4]["data"]["registration_code"]
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", registered)
    assert run.report["visits"][0]["receipts"] == [
        {"kind": "pre_registration", "number": registered, "status": "accepted"}
    ]
    # The centre lists it under the code on the slip (the refused one after it filed nothing).
    assert run.step("application_state")["data"] == {"number": registered, "kind": "pre_registration"}


def test_a_deposit_certificate_is_printed_with_a_code_the_verify_page_knows(
    settings: Path, citizens: DemoCitizens, centre: RunningServer
) -> None:
    citizen = citizens.take()
    steps = [
        *signed_in(citizen),
        {"do": "service", "name": "certificate"},
        {"do": "certificate", "kind": "deposit"},
        {"do": "certificate", "kind": "statement", "period": "this_year"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    receipts = run.report["visits"][0]["receipts"]
    assert [(r["kind"], r["status"]) for r in receipts] == [
        ("deposit_certificate", "issued"),
        ("statement_certificate", "issued"),
    ]
    page = requests.get(f"{centre.base_url}/verify/{receipts[0]['number']}", timeout=10)
    assert page.status_code == 200 and citizen.id_number not in page.text


def test_a_demo_card_placed_by_name_signs_its_citizen_in_on_any_day(
    settings: Path, citizens: DemoCitizens
) -> None:
    citizen = citizens.take()
    steps = [
        {"do": "place_id_card", "name": "无此样例", "expect": "unknown_card"},
        {"do": "place_id_card", "name": citizen.name},
        {"do": "id_card", "timeout_s": 10},
        {"do": "password", "digits": DEMO_PASSWORD},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    masked = {"name": mask_name(citizen.name), "id_number": mask_id_number(citizen.id_number)}
    assert [step["data"] for step in run.steps()[:3]] == [{"name": "无***"}, masked, masked]
    assert _unmasked(citizen, run.stdout + run.stderr) == []


def test_the_overview_reports_the_codes_of_the_advice_the_centre_gives_the_citizen(
    settings: Path, citizens: DemoCitizens, centre: RunningServer
) -> None:
    citizen = citizens.take()
    steps = [
        *signed_in(citizen),
        {"do": "pre_registration", "business": "transfer", "expect": "accepted"},
        {"do": "service", "name": "overview"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    advice = run.step("service")["data"]["advice"]
    # The pre-registration waits at the counter: the centre reminds the citizen of it.
    assert "pre_registration_waiting" in advice
    kiosk = Kiosk(centre.base_url)
    kiosk.authenticate()
    assert kiosk.login(citizen.id_number, citizen.name).status_code == 200
    assert advice == [item["code"] for item in kiosk.data("GET", "/v1/citizen/advice")["items"]]


class AdviceGate(IntakeGate):
    """A centre whose advice is down (503) and everything else up."""

    async def __call__(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path == "/v1/citizen/advice":
            return Response(status_code=503)
        return await call_next(request)


def test_the_overview_is_shown_without_advice_when_the_centre_cannot_give_it(
    kiosk_settings: Callable[..., Path],
) -> None:
    with serve_in_thread(centre_app(AdviceGate())) as centre:
        citizen = DemoCitizens(centre.base_url).take()
        settings = kiosk_settings_file(kiosk_settings, centre.base_url)
        steps = [*signed_in(citizen), {"do": "service", "name": "overview"}, {"do": "end"}]
        run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    shown = run.step("service")
    assert shown["code"] == "ok" and shown["data"]["advice"] is None
    assert shown["data"]["balance"].startswith("¥")


def _deliver(settings: Path) -> None:
    """Send what the kiosk's outbox still holds, as its forwarder does on the next start: a rating filed
    just before the goodbye may still be there when the run stops (the kiosk keeps it, durable)."""
    kiosk = load_settings(settings)
    outbox = Outbox.open(kiosk.kiosk.data_dir, key_file=kiosk.outbox.key_file)
    client = build_central_client(kiosk)
    try:
        forwarder = Forwarder(outbox, client)
        while forwarder.step() == 0.0:
            pass
    finally:
        client.close()
        outbox.close()


def test_a_visit_rated_very_dissatisfied_with_a_phone_opens_a_follow_up_case_at_the_centre(
    settings: Path, citizens: DemoCitizens, centre: RunningServer, app: FastAPI
) -> None:
    citizen = citizens.take()
    sign_in = signed_in(citizen)
    steps = [
        *sign_in[:2],
        {"do": "password", "digits": "000000", "expect": "wrong_password"},
        sign_in[2],
        {"do": "rate", "score": 5, "expect": "nothing_to_rate"},  # nothing completed yet
        {"do": "service", "name": "overview"},
        {"do": "rate", "score": 1, "reasons": ["slow", "not_solved"], "phone": "13800138000"},
        {"do": "skip_rating", "expect": "nothing_to_rate"},  # each case is asked about once
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    rated = run.step("rate")["data"]
    assert rated["service"] == "overview" and rated["phone"] == "138****8000"
    assert "13800138000" not in run.stdout + run.stderr
    case_ref = rated["case_ref"]
    _deliver(settings)

    answer = requests.get(
        f"{centre.base_url}/v1/admin/cases?state=all",
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    [case] = [c for c in answer.json()["data"] if c["case_ref"] == case_ref]
    assert (case["state"], case["callback_phone"], case["reasons"]) == (
        "open",
        "138****8000",
        ["slow", "not_solved"],
    )
    # The simulated sign-ins were recorded as the keypad screen records them: the failure with its kind.
    with app.state.context.db.transaction() as session:
        visit_id = session.scalars(select(Rating.visit_id).where(Rating.case_ref == case_ref)).one()
        touchpoints = session.scalars(
            select(Touchpoint).where(Touchpoint.visit_id == visit_id).order_by(Touchpoint.id)
        ).all()
        sign_ins = [(t.event, t.detail) for t in touchpoints if t.event.startswith("sign")]
    assert sign_ins == [("sign_in_failed", "wrong_password"), ("signed_in", None)]


def test_an_anonymous_complaint_prints_the_reference_the_centre_files_it_under(
    settings: Path, app: FastAPI
) -> None:
    steps = [
        {"do": "complaint", "category": "complaint", "topic": "self_service_kiosk", "phone": "13800138000"},
        {"do": "end"},
    ]
    run = simulate(settings, {"visits": [{"steps": steps}]})
    assert run.returncode == 0, run.stderr
    lodged = run.step("complaint")
    assert (lodged["code"], lodged["data"]["phone"], lodged["data"]["printed"]) == (
        "accepted",
        "138****8000",
        True,
    )
    reference = lodged["data"]["reference"]
    assert run.report["visits"][0]["receipts"] == [
        {"kind": "complaint_slip", "number": reference, "status": "accepted"}
    ]
    assert "13800138000" not in run.stdout + run.stderr
    with app.state.context.db.transaction() as session:
        filed = session.scalars(select(Complaint).where(Complaint.reference == reference)).one()
        assert (filed.citizen_ref, filed.topic, filed.category) == (None, "self_service_kiosk", "complaint")


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ('{"visits": [{"steps": [{"do": "fly"}]}]}', "visit 1, step 1: unknown step 'fly'"),
        (
            '{"visits": [{"steps": [{"do": "end"}]}, {"steps": [{"do": "withdrawal", "reason": "01"}]}]}',
            "visit 2, step 1 (withdrawal): amount: missing",
        ),
        (
            '{"visits": [{"steps": [{"do": "bank_card", "expect": "credit"}]}]}',
            "visit 1, step 1 (bank_card): expect 'credit' is not a code of this step",
        ),
        ('{"visits": [{"steps": [{"do": "end", "do": "id_card"}]}]}', "the key 'do' is given twice"),
        ('{"visits": [', "not valid JSON: Expecting value at line 1, column 13"),
        (
            '{"visits": [{"steps": [{"do": "rate", "score": 4, "reasons": ["slow"]}]}]}',
            "visit 1, step 1 (rate): a score of 4 carries no reasons and no phone",
        ),
        (
            '{"visits": [{"steps": [{"do": "complaint", "category": "complaint", "topic": "weather"}]}]}',
            "visit 1, step 1 (complaint): topic: unknown topic 'weather'",
        ),
    ],
)
def test_a_bad_script_is_refused_in_one_line_before_anything_runs(
    settings: Path, script: str, problem: str
) -> None:
    run = simulate(settings, script)
    assert (run.returncode, run.stdout) == (2, "")
    [line] = run.stderr.splitlines()
    assert line.startswith(f"kiosk simulate: {settings.with_name('script.json')}: {problem}")
    assert not (settings.parent / "data").exists()  # nothing was built: no outbox, no device counters


def test_a_step_for_an_emulated_reader_is_refused_when_the_settings_name_a_real_one(
    kiosk_settings: Callable[..., Path],
) -> None:
    url = "sam+serial:///dev/ttyUSB0?baud=115200"
    settings = kiosk_settings(url)
    run = simulate(
        settings,
        {"visits": [{"steps": [{"do": "end"}, {"do": "place_id_card", "id_number": "120199199001010012"}]}]},
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (
        f"kiosk simulate: {settings.with_name('script.json')}: visit 1, step 2 (place_id_card): needs the "
        f'emulated reader, devices.idcard = "sim://" in {settings} (it is "{url}"); '
        "with a real reader, use the step that waits for a card\n"
    )
