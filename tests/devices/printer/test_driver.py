"""The printer driver against the virtual printer over TCP: status before and after every job, every
paper state, paper running out mid-job, reprints, events on change only, and the other transports."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

import pytest
from escpos.printer import Network

from kiosk.devices.base import DeviceConfigError, DeviceState, HealthLevel
from kiosk.devices.printer.chinese import Codec
from kiosk.devices.printer.driver import (
    REPRINT_NOTE,
    Confirmation,
    EscposPrinter,
    PrinterProfile,
    PrinterStatusChanged,
    PrintResult,
)
from kiosk.devices.printer.layout import lay_out, text_of
from kiosk.devices.printer.sim import LoopbackTransport, SimPrinter
from kiosk.devices.printer.status import Paper
from kiosk.devices.printer.tokenizer import tokenize
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.devices.registry import open_device
from kiosk.receipts import samples
from kiosk.receipts.model import Receipt

from ..support import Recorder

Opener = Callable[[str], EscposPrinter]
ACCOUNT = samples.SAMPLES["account_statement"](32)


def _expected_lines(receipt: Receipt, columns: int = 32) -> list[str]:
    return [line for line in text_of(lay_out(receipt, columns), columns, Codec.GBK) if line.strip()]


def test_a_job_prints_when_the_printer_is_ready_before_and_after(
    virtual: VirtualPrinter, open_printer: Opener
) -> None:
    printer = open_printer(virtual.url)
    assert printer.state is DeviceState.IDLE
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (PrintResult.PRINTED, "printed", True)
    assert outcome.before.ready and outcome.after.ready
    (job,) = virtual.wait_for_jobs(1)
    assert job.complete and job.invalid == ()
    assert job.lines() == _expected_lines(ACCOUNT)
    assert job.png is not None and job.png.stat().st_size > 0
    assert printer.statistics["commands"] == 1 and printer.statistics["failures"] == 0


def test_near_end_still_prints_and_is_announced_once(virtual: VirtualPrinter, open_printer: Opener) -> None:
    printer = open_printer(virtual.url)
    events = Recorder()
    printer.subscribe_printer(events)
    virtual.set_paper(Paper.NEAR_END)
    for _ in range(3):
        printer.read_status().result(10)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert outcome.printed
    changes = events.of(PrinterStatusChanged)
    assert [(c.old.paper, c.new.paper) for c in changes] == [(Paper.OK, Paper.NEAR_END)]
    assert printer.state is DeviceState.IDLE
    assert printer.health().result().text.count("paper near end") == 1


@pytest.mark.parametrize(
    ("setup", "reason", "state"),
    [
        (lambda v: v.set_paper(Paper.OUT), "paper out", DeviceState.ERROR),
        (lambda v: v.set_condition(cover_open=True), "cover open", DeviceState.ERROR),
        (lambda v: v.set_condition(cutter_error=True), "cutter error", DeviceState.ERROR),
        (lambda v: v.set_condition(silent=True), "no answer", DeviceState.OFFLINE),
    ],
)
def test_a_printer_that_is_not_ready_prints_nothing(
    virtual: VirtualPrinter,
    open_printer: Opener,
    setup: Callable[[VirtualPrinter], None],
    reason: str,
    state: DeviceState,
) -> None:
    printer = open_printer(virtual.url)
    setup(virtual)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (PrintResult.FAILED, reason, False)
    assert printer.state is state
    assert virtual.jobs == []
    assert virtual.received_bytes < 40  # status queries only: not one byte of the receipt


def test_paper_running_out_mid_job_fails_the_job_and_a_reprint_is_marked(
    virtual: VirtualPrinter, open_printer: Opener
) -> None:
    printer = open_printer(virtual.url)
    events = Recorder()
    printer.subscribe_printer(events)
    virtual.set_paper(Paper.OK, run_out_after_rows=10)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (
        PrintResult.FAILED,
        "paper out during the job",
        True,
    )
    assert not outcome.printed and outcome.before.ready and outcome.after.paper is Paper.OUT
    (half,) = virtual.wait_for_jobs(1)
    assert not half.complete and half.reason == "paper ran out"
    assert len(half.lines()) < len(_expected_lines(ACCOUNT))
    assert printer.state is DeviceState.ERROR
    assert events.of(PrinterStatusChanged)[-1].new.paper is Paper.OUT

    virtual.set_paper(Paper.OK)  # staff load a new roll
    again = printer.reprint(outcome).result(10)
    assert again.printed
    reprinted = virtual.wait_for_jobs(2)[1]
    assert reprinted.complete
    assert reprinted.lines()[0].strip() == REPRINT_NOTE
    assert reprinted.lines()[1:] == _expected_lines(ACCOUNT)
    assert printer.state is DeviceState.IDLE


def test_an_unreachable_printer_is_no_device_and_its_job_fails_unstarted(open_printer: Opener) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        printer = open_printer(f"escpos+tcp://127.0.0.1:{port}")
        assert printer.state is DeviceState.NO_DEVICE
        assert printer.unreachable is not None and "refused" in printer.unreachable
        outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (PrintResult.FAILED, "no answer", False)


def test_the_printer_comes_back_after_the_connection_drops(tmp_path: Path, open_printer: Opener) -> None:
    first = VirtualPrinter(port=0).start()
    port = first.port
    printer = open_printer(first.url)
    first.stop()
    printer.read_status().result(10)
    assert printer.state in (DeviceState.NO_DEVICE, DeviceState.OFFLINE)
    with VirtualPrinter(port=port) as second:
        printer.read_status().result(10)  # a broken connection is noticed on use, then reopened
        status = printer.read_status().result(10)
        assert status.ready and printer.state is DeviceState.IDLE
        assert printer.print_receipt(ACCOUNT).result(10).printed
        assert second.wait_for_jobs(1)[0].complete


def test_external_health_prints_a_test_slip(virtual: VirtualPrinter, open_printer: Opener) -> None:
    printer = open_printer(virtual.url)
    report = printer.health(HealthLevel.EXTERNAL).result(10)
    assert report.ok and "test slip printed" in report.text
    (job,) = virtual.wait_for_jobs(1)
    assert "打印机测试页" in job.text and "住房公积金自助服务终端" in job.text


def test_python_escpos_network_class_speaks_to_the_virtual_printer(virtual: VirtualPrinter) -> None:
    """Real bytes through python-escpos's own transport, status answered on the same socket."""
    receipt = samples.SAMPLES["withdrawal_slip"](32)
    device = open_device("printer", virtual.url, do_not_open=True)
    assert isinstance(device, EscposPrinter)
    data = device.prepare(receipt).data
    network = Network("127.0.0.1", virtual.port, timeout=5)
    network.open()
    try:
        assert network.query_status(b"\x10\x04\x04") == b"\x12"
        network._raw(data)
        assert network.is_online()
    finally:
        network.close()
    (printed,) = virtual.wait_for_jobs(1)
    assert printed.lines() == _expected_lines(receipt)


def test_a_write_only_file_printer_is_unconfirmed_never_printed(tmp_path: Path, open_printer: Opener) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer = open_printer(f"escpos+file://{target}")
    assert printer.state is DeviceState.IDLE
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert outcome.result is PrintResult.UNCONFIRMED and not outcome.printed
    printer.close().result(10)
    written = target.read_bytes()
    assert written == outcome.job.data
    tokenize(written)  # well-formed ESC/POS


def test_the_sim_scheme_prints_in_process() -> None:
    device = open_device("printer", "sim://demo?near_end=1&width=80&poll_ms=0")
    try:
        device.open().result(10)
        assert isinstance(device, SimPrinter)
        outcome = device.print_receipt(samples.SAMPLES["appointment_ticket"](48)).result(10)
        assert outcome.printed and outcome.after.paper is Paper.NEAR_END
        job = device.virtual.jobs[-1]
        assert job.lines() == _expected_lines(samples.SAMPLES["appointment_ticket"](48), 48)
    finally:
        device.close().result(10)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("escpos+tcp://", "escpos+tcp://host"),
        ("escpos+tcp://printer:http", "escpos+tcp://host"),
        ("escpos+tcp://printer?width=76", "width='76' is not one of 58, 80"),
        ("escpos+serial:///dev/ttyS0?baud=4800", "baud='4800' is not one of"),
        ("escpos+serial://ttyS0", "absolute device path"),
        ("escpos+usb://04b8", "escpos+usb://VID:PID"),
        ("escpos+file:///dev/usb/lp0?codec=big5", "unknown parameter 'codec'"),
        ("sim://x/y", "a sim URL has a name at most"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message.replace("?", r"\?").replace("+", r"\+")):
        open_device("printer", url, do_not_open=True)


def test_url_parameters_reach_the_profile() -> None:
    device = open_device(
        "printer", "escpos+tcp://127.0.0.1:9?width=80&gb18030=1&native_qr=1", do_not_open=True
    )
    assert isinstance(device, EscposPrinter)
    profile = device.profile
    assert (profile.columns, profile.encoder.dots, profile.encoder.codec) == (48, 576, Codec.GB18030)
    assert profile.encoder.native_qr and profile.poll_interval == 5.0


def test_polling_turns_paper_states_into_device_states_and_events(virtual: VirtualPrinter) -> None:
    device = open_device("printer", f"{virtual.url}?poll_ms=20&timeout_ms=1000", do_not_open=True)
    assert isinstance(device, EscposPrinter)
    events = Recorder()
    states = Recorder()
    device.subscribe_printer(events)
    device.subscribe(states)
    device.open().result(10)
    try:
        virtual.set_paper(Paper.NEAR_END)
        events.wait_for(lambda seen: any(e.new.paper is Paper.NEAR_END for e in seen), timeout=10)
        virtual.set_paper(Paper.OUT)
        states.wait_for(
            lambda seen: any(s.new is DeviceState.ERROR and s.reason == "paper out" for s in seen), 10
        )
        virtual.set_condition(cover_open=True)  # still ERROR: only the printer event tells the new cause
        events.wait_for(lambda seen: any(e.new.cover_open for e in seen), timeout=10)
        virtual.set_paper(Paper.OK)
        virtual.set_condition()
        states.wait_for(lambda seen: seen[-1].new is DeviceState.IDLE, timeout=10)
    finally:
        device.close().result(10)
    papers = [(e.old.paper, e.new.paper) for e in events.events if e.old.paper is not e.new.paper]
    assert papers[1:] == [(Paper.OK, Paper.NEAR_END), (Paper.NEAR_END, Paper.OUT), (Paper.OUT, Paper.OK)]
    assert len(events.events) == len({(e.old, e.new) for e in events.events})  # each change reported once


def test_a_serial_printer_over_a_pty_prints_and_answers_status(open_printer: Opener) -> None:
    """escpos+serial through python-escpos's Serial class, with the virtual printer on the pty's far end."""
    master, slave = os.openpty()
    tty.setraw(slave)
    virtual = VirtualPrinter()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if select.select([master], [], [], 0.05)[0]:
                reply = virtual.feed(os.read(master, 4096))
                if reply:
                    os.write(master, reply)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        printer = open_printer(f"escpos+serial://{os.ttyname(slave)}?baud=115200")
        assert printer.state is DeviceState.IDLE
        outcome = printer.print_receipt(ACCOUNT).result(10)
        assert outcome.printed
        assert virtual.wait_for_jobs(1)[0].lines() == _expected_lines(ACCOUNT)
        virtual.set_paper(Paper.OUT)
        assert printer.read_status().result(10).problem == "paper out"
        printer.close().result(10)
    finally:
        stop.set()
        server.join()
        os.close(master)
        os.close(slave)


class _GatedLoopback(LoopbackTransport):
    """Holds the job after its first chunk until the test lets it go."""

    def __init__(self, printer: VirtualPrinter) -> None:
        super().__init__(printer)
        self.first_chunk = threading.Event()
        self.gate = threading.Event()

    def write(self, data: bytes) -> None:
        super().write(data)
        if len(data) > 3 and not self.first_chunk.is_set():  # a job chunk, not a status query
            self.first_chunk.set()
            self.gate.wait(10)


def test_a_job_cancelled_part_way_is_failed_with_its_job_for_a_reprint() -> None:
    virtual = VirtualPrinter()
    transport = _GatedLoopback(virtual)
    printer = EscposPrinter("sim://gated", transport, PrinterProfile(poll_interval=None))
    printer.open().result(10)
    try:
        receipt = samples.SAMPLES["deposit_certificate"](32)  # ~10 KB with its QR image: three chunks
        future = printer.print_receipt(receipt)
        assert transport.first_chunk.wait(10)
        future.cancel()
        transport.gate.set()
        outcome = future.result(10)
        assert (outcome.result, outcome.reason, outcome.started) == (
            PrintResult.FAILED,
            "cancelled during the job",
            True,
        )
        assert outcome.job.receipt is receipt
    finally:
        printer.close().result(10)
    virtual.end_of_stream()
    assert not virtual.jobs[-1].complete


def test_a_job_counts_as_printed_only_once_the_printer_has_printed_it(tmp_path: Path) -> None:
    """A real printer answers DLE EOT at once while the job still waits in its buffer. With the GS r
    confirmation (the default) the paper that runs out later fails the job; reading status right after
    sending (confirm_ms=0) would have called it printed."""
    with VirtualPrinter(port=0, lag=0.3) as lagging:
        blind = open_device(
            "printer", f"{lagging.url}?poll_ms=0&timeout_ms=1000&confirm_ms=0", do_not_open=True
        )
        careful = open_device("printer", f"{lagging.url}?poll_ms=0&timeout_ms=1000", do_not_open=True)
        assert isinstance(blind, EscposPrinter) and isinstance(careful, EscposPrinter)
        blind.open().result(10)
        try:
            lagging.set_paper(Paper.OK, run_out_after_rows=10)
            assert blind.print_receipt(ACCOUNT).result(10).result is PrintResult.PRINTED  # the trap
            assert not lagging.wait_for_jobs(1)[0].complete
        finally:
            blind.close().result(10)
        lagging.set_paper(Paper.OK, run_out_after_rows=10)
        careful.open().result(10)
        try:
            outcome = careful.print_receipt(ACCOUNT).result(10)
            assert (outcome.result, outcome.reason) == (PrintResult.FAILED, "paper out during the job")
            lagging.set_paper(Paper.OK)
            assert careful.reprint(outcome).result(10).printed
            assert lagging.wait_for_jobs(3)[2].complete
        finally:
            careful.close().result(10)


def test_a_job_the_printer_never_confirms_is_unconfirmed(
    virtual: VirtualPrinter, open_printer: Opener
) -> None:
    """The printer answered GS r when it opened, so a job it then never confirms is not called printed."""
    printer = open_printer(f"{virtual.url}?confirm_ms=300")
    assert printer.confirmation is Confirmation.GS_R
    virtual.set_condition(without_gs_r=True)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason) == (
        PrintResult.UNCONFIRMED,
        "the printer never confirmed the end of the job",
    )


def test_a_printer_without_gs_r_is_judged_by_status_out_of_the_box(
    virtual: VirtualPrinter, open_printer: Opener
) -> None:
    """Common kiosk printers answer DLE EOT but not GS r: the driver finds out when it opens and judges
    each job by the status after it, instead of waiting ``confirm_ms`` for an answer that never comes."""
    virtual.set_condition(without_gs_r=True)
    printer = open_printer(virtual.url)
    assert printer.confirmation is Confirmation.NOT_SUPPORTED
    started = time.monotonic()
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert time.monotonic() - started < 2
    assert (outcome.result, outcome.reason) == (PrintResult.PRINTED, "printed, judged by status")
    assert virtual.wait_for_jobs(1)[0].complete
    virtual.set_condition(without_gs_r=True, cover_open=True)
    failed = printer.print_receipt(ACCOUNT).result(10)
    assert (failed.result, failed.reason, failed.started) == (PrintResult.FAILED, "cover open", False)


def test_a_printer_without_gs_r_that_fails_during_the_job_is_failed(
    virtual: VirtualPrinter, open_printer: Opener
) -> None:
    virtual.set_condition(without_gs_r=True)
    printer = open_printer(virtual.url)
    virtual.set_paper(Paper.OK, run_out_after_rows=10)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (
        PrintResult.FAILED,
        "paper out during the job",
        True,
    )


def test_gs_r_is_probed_once_the_printer_is_ready(virtual: VirtualPrinter, open_printer: Opener) -> None:
    """A stopped printer does not answer GS r, so a printer that opens without paper is not written off
    as one without GS r: it is asked again once it is ready."""
    virtual.set_paper(Paper.OUT)
    printer = open_printer(virtual.url)
    assert printer.confirmation is Confirmation.UNKNOWN
    virtual.set_paper(Paper.OK)
    assert printer.read_status().result(10).ready
    assert printer.confirmation is Confirmation.GS_R
    virtual.set_paper(Paper.OK, run_out_after_rows=10)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason) == (PrintResult.FAILED, "paper out during the job")
    virtual.set_paper(Paper.OK)
    assert open_printer(f"{virtual.url}?confirm_ms=0").confirmation is Confirmation.OFF


@pytest.mark.parametrize("gs_r", [True, False], ids=["confirmed by GS r", "judged by status"])
def test_a_connection_lost_mid_job_fails_the_job(
    virtual: VirtualPrinter, open_printer: Opener, gs_r: bool
) -> None:
    virtual.set_condition(without_gs_r=not gs_r)
    printer = open_printer(virtual.url)
    virtual.set_condition(without_gs_r=not gs_r, hang_up_after_bytes=200)
    outcome = printer.print_receipt(ACCOUNT).result(10)
    assert (outcome.result, outcome.reason, outcome.started) == (PrintResult.FAILED, "connection lost", True)
    assert printer.state is DeviceState.NO_DEVICE
    (half,) = virtual.wait_for_jobs(1)
    assert not half.complete
    virtual.set_condition(without_gs_r=not gs_r)
    assert printer.print_receipt(ACCOUNT).result(10).printed  # it reconnects for the next job
