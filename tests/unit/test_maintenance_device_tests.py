"""The staff device tests against the real emulators (the in-process ID and bank card readers, the virtual
ESC/POS printer over TCP), each fault giving fail with its sentence; card data only ever masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.bankcard.demo_cards import DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.base import Device
from kiosk.devices.idcard.reader import SimIdCardReader
from kiosk.devices.printer.driver import EscposPrinter, PrintOutcome
from kiosk.devices.printer.status import Paper
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.devices.registry import open_device_as
from kiosk.receipts.data import ReceiptBranding
from kiosk.services import device_tests as dt
from kiosk.services.device_tests import DeviceTests
from kiosk.services.paper import PaperCounter

from ..devices.support import RESIDENT

PAN = synthetic_pan(DEBIT_PREFIX, 19900101001)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[dict[str, Device], VirtualPrinter]]:
    virtual = VirtualPrinter(port=0).start()
    devices: dict[str, Device] = {
        "idcard": open_device_as(SimIdCardReader, "idcard", "sim://?poll_ms=10", do_not_open=True),
        "bankcard": open_device_as(SimBankCardReader, "bankcard", "sim://?poll_ms=10", do_not_open=True),
        "printer": open_device_as(
            EscposPrinter, "printer", f"{virtual.url}?poll_ms=0&timeout_ms=1000", do_not_open=True
        ),
    }
    for device in devices.values():
        device.open().result(5)
    yield devices, virtual
    for device in devices.values():
        device.close().result(5)
    virtual.stop()


def _tests(devices: dict[str, Device], counter: PaperCounter | None = None) -> DeviceTests:
    def printed(outcome: PrintOutcome) -> None:
        if counter is not None:
            counter.job_printed(outcome)

    return DeviceTests(lambda: devices, lambda: ReceiptBranding(centre_name="天津测试中心"), printed)


def test_id_card_test_passes_with_masked_data_and_fails_with_what_to_do(
    parts: tuple[dict[str, Device], VirtualPrinter],
) -> None:
    devices, _ = parts
    tests = _tests(devices)
    assert tests.read_id_card(timeout_s=0.3).message == dt.NO_CARD
    reader = devices["idcard"]
    assert isinstance(reader, SimIdCardReader)
    reader.place_card(RESIDENT)
    result = tests.read_id_card(timeout_s=5)
    assert result.passed and result.message == dt.PASSED["idcard"]
    assert RESIDENT.id_number not in str(result) and RESIDENT.name not in str(result)
    assert result.shown["id_number"] == "120***********0012"
    reader.close().result(5)  # unplugged: the reader is closed
    closed = tests.read_id_card(timeout_s=1)
    assert (closed.passed, closed.message) == (False, dt.READER_DOWN)


def test_bank_card_test_shows_the_masked_pan_and_label_only(
    parts: tuple[dict[str, Device], VirtualPrinter],
) -> None:
    devices, _ = parts
    reader = devices["bankcard"]
    assert isinstance(reader, SimBankCardReader)
    reader.insert(VirtualCard(made_card(pan=PAN, holder_id=None)))
    result = _tests(devices).read_bank_card(timeout_s=5)
    assert result.passed and PAN not in str(result)
    assert result.shown["pan"].endswith(PAN[-4:]) and result.shown["label"]
    reader.close().result(5)
    closed = _tests(devices).read_bank_card(timeout_s=1)
    assert (closed.passed, closed.message) == (False, dt.READER_DOWN)


def test_printer_test_prints_counts_its_paper_and_says_what_to_do_when_paper_is_out(
    parts: tuple[dict[str, Device], VirtualPrinter], tmp_path: Path
) -> None:
    devices, virtual = parts
    counter = PaperCounter(tmp_path, columns=32, roll_length_m=50, warn_remaining_m=5)
    tests = _tests(devices, counter)
    result = tests.print_test_slip()
    assert result.passed, result
    (job,) = virtual.wait_for_jobs(1)
    assert "天津测试中心" in job.text
    assert counter.estimate(Paper.OK).used_m > 0.05
    virtual.set_paper(Paper.OUT)
    out = tests.print_test_slip()
    assert (out.passed, out.message) == (False, dt.PAPER_OUT)
    assert set(tests.statistics()) == {"idcard", "bankcard", "printer"}
    assert tests.statistics()["printer"]["commands"] >= 2


def test_a_device_missing_from_the_settings_fails_as_not_configured() -> None:
    result = _tests({}).print_test_slip()
    assert (result.passed, result.message) == (False, dt.NOT_CONFIGURED)
