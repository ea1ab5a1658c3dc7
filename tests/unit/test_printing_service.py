"""The citizen's statement through ``PrintService``, against the real central and the virtual printer on a
real TCP port: whatever goes wrong at the printer, the citizen is never told the receipt is there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from kiosk.central import CentralClient
from kiosk.devices.printer.driver import EscposPrinter
from kiosk.devices.printer.status import Paper
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.devices.registry import open_device
from kiosk.receipts.data import ReceiptBranding
from kiosk.services.citizen import CardHolder, CitizenService, SignIn
from kiosk.services.printing import PrintService

TAKE_YOUR_RECEIPT = "Please take your receipt from the slot below."
PRINTER_BROKEN = "The printer is not working just now. Please ask at the counter."
BRANDING = ReceiptBranding(centre_name="示例市住房公积金管理中心", terminal_id="KIOSK-TEST-01")
NOW = datetime(2026, 1, 5, 9, 30)


@dataclass
class Rig:
    virtual: VirtualPrinter
    printer: EscposPrinter
    service: PrintService


@pytest.fixture
def citizen(client: CentralClient) -> CitizenService:
    card = next(c for c in client.demo_cards() if c.status == "normal")
    service = CitizenService(client)
    service.begin_visit(CardHolder(card.name, card.id_number, "resident", expired=False))
    assert service.sign_in("123456").outcome is SignIn.OK
    return service


@pytest.fixture
def rig(citizen: CitizenService) -> Iterator[Callable[[str], Rig]]:
    started: list[Rig] = []

    def start(options: str = "") -> Rig:
        virtual = VirtualPrinter(port=0).start()
        device = open_device("printer", f"{virtual.url}?poll_ms=0&timeout_ms=1000{options}", do_not_open=True)
        assert isinstance(device, EscposPrinter)
        device.open().result(10)
        made = Rig(virtual, device, PrintService(device, citizen, lambda: BRANDING, now=lambda: NOW))
        started.append(made)
        return made

    yield start
    for made in started:
        made.printer.close().result(10)
        made.virtual.stop()


def test_a_statement_that_printed_is_reported_printed(rig: Callable[[str], Rig]) -> None:
    made = rig("")
    report = made.service.print_account_statement()
    assert (report.printed, report.message) == (True, TAKE_YOUR_RECEIPT)
    (job,) = made.virtual.wait_for_jobs(1)
    assert job.complete and "个人账户信息" in job.text


@pytest.mark.parametrize(
    ("fault", "options", "sent"),
    [
        (lambda v: v.set_paper(Paper.OUT), "", False),
        (lambda v: v.set_paper(Paper.OK, run_out_after_rows=8), "", True),
        (lambda v: v.set_condition(cover_open=True), "", False),
        (lambda v: v.set_condition(hang_up_after_bytes=200), "", True),
        (lambda v: v.set_condition(without_gs_r=True), "&confirm_ms=300", True),
    ],
    ids=["paper out before", "paper out during", "cover open", "connection lost mid-job", "never confirmed"],
)
def test_a_statement_that_did_not_print_is_never_reported_printed(
    rig: Callable[[str], Rig], fault: Callable[[VirtualPrinter], None], options: str, sent: bool
) -> None:
    made = rig(options)
    fault(made.virtual)
    report = made.service.print_account_statement()
    assert (report.printed, report.message) == (False, PRINTER_BROKEN)
    if sent:  # the fault struck after the statement reached the printer
        assert made.virtual.wait_for_jobs(1)
    else:
        assert made.virtual.jobs == [] and made.virtual.received_bytes < 40  # status queries only


def test_a_job_stopped_by_a_lost_connection_is_incomplete_at_the_printer(rig: Callable[[str], Rig]) -> None:
    made = rig("")
    made.virtual.set_condition(hang_up_after_bytes=200)
    assert not made.service.print_account_statement().printed
    (job,) = made.virtual.wait_for_jobs(1)
    assert (job.complete, job.reason) == (False, "connection closed before the cut")
