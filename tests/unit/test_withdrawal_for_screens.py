"""What the withdrawal screens need of the withdrawal service, through a real centre on loopback as in the
visit services' tests: the office that handles the counter-only reasons (the reasons screen names it), and
one application and one slip however often Confirm is tapped while it is being filed."""

from __future__ import annotations

import threading

from kiosk.devices.bankcard.demo_cards import synthetic_pan
from kiosk.devices.printer.sim import SimPrinter
from kiosk.runtime import Runtime
from kiosk.services.withdrawal import Submitted

from .test_visit_services import RENT, _insert, _renter, centre, runtime  # noqa: F401  (fixtures)


def test_the_office_for_counter_only_reasons_comes_with_the_reasons(runtime: Runtime) -> None:  # noqa: F811
    _renter(runtime)
    withdrawal = runtime.visit.withdrawal
    reasons = withdrawal.reasons()
    token = runtime.citizen.signed_in_citizen().session_token
    office = runtime.central.withdrawal_options(token).office
    assert office and withdrawal.office == office
    assert any(reason.allowed and reason.counter_only for reason in reasons)
    runtime.end_visit()
    assert withdrawal.office == ""


def test_two_taps_on_confirm_at_once_file_and_print_one_application(runtime: Runtime) -> None:  # noqa: F811
    face = _renter(runtime)
    service = runtime.visit.withdrawal
    service.choose_reason(RENT)
    service.set_amount("88")
    _insert(runtime, synthetic_pan("621799", 43), face.id_number)
    service.read_card(timeout_s=5)
    service.confirmation()
    assert runtime.printing is not None and isinstance(runtime.printing.printer, SimPrinter)
    jobs_before = len(runtime.printing.printer.virtual.jobs)

    start = threading.Barrier(2)
    answers: list[Submitted] = []

    def tap() -> None:
        start.wait()
        answers.append(service.submit())

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join(30)
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0].printed
    assert len(runtime.printing.printer.virtual.jobs) == jobs_before + 1
    listed = runtime.visit.applications.listing()
    assert [a.number for a in listed.items if a.amount == "¥88.00"] == [answers[0].claim_number]
