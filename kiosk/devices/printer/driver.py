"""Receipt printers by URL: ``escpos+tcp``, ``escpos+serial``, ``escpos+usb``, ``escpos+file`` and ``sim``.

Every job reads DLE EOT 1-4 before and after it. A job prints only on a printer known to be ready; it
counts as printed only when the printer is still ready afterwards and, on a printer that answers GS r,
has said that it printed it. Whether it answers GS r is asked once the printer is first ready. A job
that failed part-way is reported as failed, with the job kept for a reprint, never as printed. Status is
polled between jobs;
printer conditions (paper near end, paper out, cover open, cutter error, offline, no answer) become
device states and ``PrinterStatusChanged`` events, each on change only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote

from kiosk.devices.base import (
    CommandCancelled,
    CommandContext,
    CommandFuture,
    CommandTimeout,
    Device,
    DeviceConfigError,
    DeviceState,
    HealthReport,
    Listeners,
)
from kiosk.devices.printer.chinese import Codec
from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import PAPER_GEOMETRY, lay_out
from kiosk.devices.printer.status import QUERIES, UNKNOWN, PrinterStatus, parse_status, query
from kiosk.devices.printer.transport import (
    FileTransport,
    SerialTransport,
    TcpTransport,
    Transport,
    TransportGone,
    UsbTransport,
)
from kiosk.receipts.check_slip import check_slip
from kiosk.receipts.data import CheckSlipData, ReceiptBranding
from kiosk.receipts.model import Receipt

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)

_CHUNK = 4096  # bytes per write: cancel and deadline are checked between chunks
_CONFIRM_SLICE = 0.2  # while a job prints, the printer's condition is read this often
GS_R_PAPER = b"\x1dr\x01"  # transmit paper sensor status: answered in turn, after what came before
REPRINT_NOTE = "重打 REPRINT"
BAUDS = (9600, 19200, 38400, 57600, 115200)


class PrintResult(enum.StrEnum):
    PRINTED = "printed"  # ready before, every byte sent, confirmed (or judged by status), ready after
    FAILED = "failed"  # not started (printer not ready) or stopped part-way: see ``started``
    UNCONFIRMED = "unconfirmed"  # sent, but nobody can say it printed (write-only pipe, no GS r answer)


class Confirmation(enum.StrEnum):
    """How a job is known to have printed."""

    GS_R = "gs_r"  # the printer answers GS r once it has printed what came before
    NOT_SUPPORTED = "not_supported"  # it ignores GS r (many clones): judged by the status after the job
    OFF = "off"  # confirm_ms=0: judged by the status after the job
    UNKNOWN = "unknown"  # not asked yet: the printer has not been ready since it was reached

    def describe(self) -> str:
        return _CONFIRMATION_WORDS[self]


_CONFIRMATION_WORDS = {
    Confirmation.GS_R: "print confirmation: GS r",
    Confirmation.NOT_SUPPORTED: "print confirmation: not supported, judged by status",
    Confirmation.OFF: "print confirmation: off (confirm_ms=0), judged by status",
    Confirmation.UNKNOWN: "print confirmation: not known yet (the printer has not been ready)",
}


@dataclasses.dataclass(frozen=True)
class PrintJob:
    receipt: Receipt
    data: bytes
    replaced: int  # characters printed as the replacement mark

    def __repr__(self) -> str:
        return f"<PrintJob {self.receipt.kind}, {len(self.data)} bytes>"  # the bytes hold masked data


@dataclasses.dataclass(frozen=True)
class PrintOutcome:
    result: PrintResult
    reason: str
    job: PrintJob
    before: PrinterStatus
    after: PrinterStatus
    started: bool  # bytes reached the printer: a failed job may have left half a slip

    @property
    def printed(self) -> bool:
        return self.result is PrintResult.PRINTED


@dataclasses.dataclass(frozen=True)
class PrinterStatusChanged:
    old: PrinterStatus
    new: PrinterStatus


@dataclasses.dataclass(frozen=True)
class PrinterProfile:
    """What differs between printer models; from the URL."""

    columns: int = 32
    encoder: EncoderProfile = dataclasses.field(default_factory=EncoderProfile)
    status_timeout: float = 0.5  # per DLE EOT query
    poll_interval: float | None = 5.0
    confirm_timeout: float | None = 20.0  # how long a job may take to print; None: never use GS r


class EscposPrinter(Device):
    kind = "printer"

    def __init__(self, url: str, transport: Transport, profile: PrinterProfile) -> None:
        super().__init__(url)
        self._transport = transport
        self._profile = profile
        self._connected = False
        self._unreachable: str | None = None
        self._confirmed = False  # the printer answered GS r: it printed everything sent before it
        self._answers_gs_r: bool | None = None  # None: not asked yet (asked once the printer is ready)
        self._status = UNKNOWN
        self._printer_listeners: Listeners[PrinterStatusChanged] = Listeners(self.name)

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        profile = profile_from_url(url)
        return cls(str(url), _transport(url), profile)

    # -- what the kiosk calls ------------------------------------------------------------------------------

    @property
    def profile(self) -> PrinterProfile:
        return self._profile

    @property
    def last_status(self) -> PrinterStatus:
        with self._lock:
            return self._status

    @property
    def reads_status(self) -> bool:
        """False for a write-only connection (escpos+file), whose jobs can only ever be unconfirmed."""
        return self._transport.can_read

    @property
    def confirmation(self) -> Confirmation:
        if self._profile.confirm_timeout is None:
            return Confirmation.OFF
        with self._lock:
            answers = self._answers_gs_r
        if answers is None:
            return Confirmation.UNKNOWN
        return Confirmation.GS_R if answers else Confirmation.NOT_SUPPORTED

    @property
    def unreachable(self) -> str | None:
        """Why the last attempt to reach the printer failed (refused, unplugged), or None."""
        with self._lock:
            return self._unreachable

    def subscribe_printer(self, callback: Callable[[PrinterStatusChanged], None]) -> Callable[[], None]:
        """Call ``callback`` on the device thread whenever the printer's condition changes."""
        return self._printer_listeners.add(callback)

    def prepare(self, receipt: Receipt) -> PrintJob:
        """Lay out and encode ``receipt`` for this printer (pure; any thread)."""
        encoded = encode_items(lay_out(receipt, self._profile.columns), self._profile.encoder)
        return PrintJob(receipt, encoded.data, encoded.replaced)

    def print_receipt(self, receipt: Receipt, timeout: float | None = 60.0) -> CommandFuture[PrintOutcome]:
        job = self.prepare(receipt)
        return self.submit(lambda ctx: self._print(ctx, job), timeout)

    def reprint(self, outcome: PrintOutcome, timeout: float | None = 60.0) -> CommandFuture[PrintOutcome]:
        """Print a failed job again, marked as a reprint so that two slips are never taken for two
        transactions."""
        return self.print_receipt(outcome.job.receipt.with_note(REPRINT_NOTE), timeout)

    def print_test_slip(
        self, branding: ReceiptBranding | None = None, timeout: float | None = 60.0
    ) -> CommandFuture[PrintOutcome]:
        return self.print_receipt(self._test_slip(branding), timeout)

    def read_status(self, timeout: float | None = 10.0) -> CommandFuture[PrinterStatus]:
        return self.submit(self._refresh, timeout)

    # -- the worker side -----------------------------------------------------------------------------------

    def _test_slip(self, branding: ReceiptBranding | None) -> Receipt:
        data = CheckSlipData(
            printer=self.url.split("?")[0],
            columns=self._profile.columns,
            codec=self._profile.encoder.codec.value,
            printed_at=dt.datetime.now().replace(microsecond=0),
        )
        return check_slip(data, branding or ReceiptBranding(centre_name="住房公积金自助服务终端"))

    def _print(self, ctx: CommandContext, job: PrintJob) -> PrintOutcome:
        self._count(commands=1)
        if not self._transport.can_read:
            return self._print_blind(ctx, job)
        before = self._refresh(ctx)
        if not before.ready:
            self._count(failures=1)
            return PrintOutcome(
                PrintResult.FAILED, before.problem or "not ready", job, before, UNKNOWN, False
            )
        self._set_state(DeviceState.BUSY, f"printing {job.receipt.kind}")
        try:
            stopped = self._send(ctx, job, before)
        finally:
            if self.state is DeviceState.BUSY:
                self._set_state(DeviceState.IDLE, "job sent")
        return stopped or self._confirm(ctx, job, before)

    def _send(self, ctx: CommandContext, job: PrintJob, before: PrinterStatus) -> PrintOutcome | None:
        """Send the job; the outcome if sending stopped part-way, None once every byte is out."""
        sent = 0
        try:
            for sent in range(0, len(job.data), _CHUNK):
                ctx.check()
                self._transport.write(job.data[sent : sent + _CHUNK])
        except TransportGone as exc:
            self._lost(exc)
            self._count(failures=1)
            return PrintOutcome(PrintResult.FAILED, "connection lost", job, before, UNKNOWN, True)
        except (CommandCancelled, CommandTimeout) as exc:
            if sent == 0:
                raise  # nothing reached the printer: an ordinary cancel
            # Half a slip may be out: the caller needs the job and the word "failed", not just an error.
            self._count(failures=1)
            reason = "cancelled" if isinstance(exc, CommandCancelled) else "timed out"
            return PrintOutcome(PrintResult.FAILED, f"{reason} during the job", job, before, UNKNOWN, True)
        return None

    def _confirm(self, ctx: CommandContext, job: PrintJob, before: PrinterStatus) -> PrintOutcome:
        """Every byte is out: wait for the printer to print it, then read how it is."""
        by_gs_r = self.confirmation is Confirmation.GS_R
        try:
            confirmed = self._wait_printed(ctx) if by_gs_r else True
            after = self._query(ctx)  # not _refresh: a connection lost here must say so, not "no answer"
        except TransportGone as exc:
            self._lost(exc)
            self._count(failures=1)
            return PrintOutcome(PrintResult.FAILED, "connection lost", job, before, UNKNOWN, True)
        except (CommandCancelled, CommandTimeout) as exc:
            # The slip may well be coming out, so this is no failure either: nobody knows.
            stopped = "cancelled" if isinstance(exc, CommandCancelled) else "timed out"
            reason = f"{stopped} before the printer confirmed the job"
            return PrintOutcome(PrintResult.UNCONFIRMED, reason, job, before, UNKNOWN, True)
        self._apply(after)
        if after.ready and confirmed:
            log.info("%s: printed %s (%d bytes)", self.name, job.receipt.kind, len(job.data))
            reason = "printed" if by_gs_r else "printed, judged by status"
            return PrintOutcome(PrintResult.PRINTED, reason, job, before, after, True)
        if after.ready:
            reason = "the printer never confirmed the end of the job"
            log.warning("%s: %s: %s", self.name, job.receipt.kind, reason)
            return PrintOutcome(PrintResult.UNCONFIRMED, reason, job, before, after, True)
        self._count(failures=1)
        reason = f"{after.problem} during the job"
        log.warning("%s: %s failed: %s", self.name, job.receipt.kind, reason)
        return PrintOutcome(PrintResult.FAILED, reason, job, before, after, True)

    def _print_blind(self, ctx: CommandContext, job: PrintJob) -> PrintOutcome:
        try:
            self._ensure_connected()
            for offset in range(0, len(job.data), _CHUNK):
                ctx.check()
                self._transport.write(job.data[offset : offset + _CHUNK])
        except TransportGone as exc:
            self._lost(exc)
            self._count(failures=1)
            return PrintOutcome(PrintResult.FAILED, "cannot reach the printer", job, UNKNOWN, UNKNOWN, False)
        return PrintOutcome(
            PrintResult.UNCONFIRMED, "sent; this connection cannot read status", job, UNKNOWN, UNKNOWN, True
        )

    def _ensure_connected(self) -> None:
        if not self._connected:
            self._transport.open()
            self._connected = True
            with self._lock:
                self._unreachable = None

    def _refresh(self, ctx: CommandContext) -> PrinterStatus:
        """Read DLE EOT 1-4 and let the answer decide the state; the printer's silence is *unknown*.
        The first ready reading on a connection also asks whether the printer answers GS r."""
        try:
            self._ensure_connected()
            status = self._query(ctx)
            if status.ready and self.confirmation is Confirmation.UNKNOWN:
                self._probe_gs_r(ctx)
        except TransportGone as exc:
            self._lost(exc)
            status = UNKNOWN
        else:
            self._apply(status)
        return status

    def _probe_gs_r(self, ctx: CommandContext) -> None:
        """Ask GS r of a ready printer with nothing to print: one that has it answers as fast as it answers
        DLE EOT. A printer without it (many clones) would make every job wait ``confirm_ms`` for nothing
        and end unconfirmed; its jobs are judged by the status after them instead."""
        self._confirmed = False
        self._transport.write(GS_R_PAPER)
        deadline = time.monotonic() + self._profile.status_timeout
        while not self._confirmed and (remaining := deadline - time.monotonic()) > 0:
            if not self._take_answer(remaining, ctx, confirmation=True):
                break  # confirmed, or nothing came in time; a stray status byte is skipped
        with self._lock:
            self._answers_gs_r = self._confirmed
        log.info("%s: %s", self.name, self.confirmation.describe())

    def _wait_printed(self, ctx: CommandContext) -> bool:
        """Wait until the printer has printed everything sent so far (on a printer that answers GS r).

        DLE EOT is answered at once, even while the job is still in the printer's buffer, so a reading
        right after sending proves nothing. GS r 1 is different: the printer answers it only when it
        gets to it, after the job, and not while it is stopped (paper out). Its answer has bit 4 clear,
        every DLE EOT answer has it set, so the two can share the line: while waiting, DLE EOT readings
        show whether the printer is still able to finish. True: printed; False: it stopped or never said.
        """
        assert self._profile.confirm_timeout is not None
        self._confirmed = False
        self._transport.write(GS_R_PAPER)
        deadline = time.monotonic() + self._profile.confirm_timeout
        while True:
            ctx.check()
            remaining = deadline - time.monotonic()
            self._take_answer(min(_CONFIRM_SLICE, max(0.0, remaining)), ctx, confirmation=True)
            if self._confirmed:
                return True
            if not self._query(ctx, flush=False).ready or remaining <= 0:
                return self._confirmed

    def _query(self, ctx: CommandContext, *, flush: bool = True) -> PrinterStatus:
        if flush:
            self._transport.drain_input()
        answers: dict[int, bytes] = {}
        for n in QUERIES:
            ctx.check()
            self._transport.write(query(n))
            answers[n] = self._take_answer(self._profile.status_timeout, ctx)
            if not answers[n]:
                self._count(timeouts=1)
                break  # a printer that does not answer one query will not answer the next
        self._count(reads=1)
        return parse_status(answers)

    def _take_answer(self, timeout: float, ctx: CommandContext, *, confirmation: bool = False) -> bytes:
        """The next DLE EOT answer; a GS r answer met on the way marks the job as confirmed (and ends
        the wait when ``confirmation`` is what is awaited)."""
        deadline = time.monotonic() + min(timeout, ctx.remaining() or timeout)
        while True:
            answer = self._transport.read(max(0.0, deadline - time.monotonic()))
            if not answer or answer[0] & 0x10:
                return answer
            self._confirmed = True
            if confirmation:
                return b""

    def _apply(self, status: PrinterStatus) -> None:
        with self._lock:
            old, self._status = self._status, status
        problem = status.problem
        if problem is None:
            self._set_state(DeviceState.IDLE, status.describe())
        elif problem in ("no answer", "offline", "incomplete answer"):
            self._set_state(DeviceState.OFFLINE, problem)
        else:
            self._set_state(DeviceState.ERROR, problem)
        if old.describe() != status.describe() or old.paper != status.paper:
            self._printer_listeners.emit(PrinterStatusChanged(old, status))

    def _lost(self, exc: TransportGone) -> None:
        self._transport.close()
        self._connected = False
        self._count(communication_errors=1)
        with self._lock:
            old, self._status = self._status, UNKNOWN
            self._unreachable = str(exc)
            self._answers_gs_r = None  # what comes back may be another printer: ask again
        self._set_state(DeviceState.NO_DEVICE, str(exc))
        if old != UNKNOWN:
            self._printer_listeners.emit(PrinterStatusChanged(old, UNKNOWN))

    def _on_open(self, ctx: CommandContext) -> None:
        if not self._transport.can_read:
            try:
                self._ensure_connected()
            except TransportGone as exc:
                self._lost(exc)
                return
            self._set_state(DeviceState.IDLE, "write-only connection: status unknown")
            return
        self._refresh(ctx)

    def _on_close(self) -> None:
        self._transport.close()
        self._connected = False

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        """UnifiedPOS's external check for a printer: print a test slip and say how it went."""
        outcome = self._print(ctx, self.prepare(self._test_slip(None)))
        return HealthReport(outcome.printed, f"{self.name}: test slip {outcome.result} ({outcome.reason})")

    def _poll_interval(self) -> float | None:
        return self._profile.poll_interval if self._transport.can_read else None

    def _on_poll(self, ctx: CommandContext) -> None:
        self._refresh(ctx)


# -- URLs ------------------------------------------------------------------------------------------------


def profile_from_url(url: DeviceUrl) -> PrinterProfile:
    paper = url.choice_param("width", 58, PAPER_GEOMETRY)
    columns, dots = PAPER_GEOMETRY[paper]
    encoder = EncoderProfile(
        dots=dots,
        codec=Codec.GB18030 if url.bool_param("gb18030", False) else Codec.GBK,
        native_qr=url.bool_param("native_qr", False),
    )
    poll_ms = url.int_param("poll_ms", 5000, minimum=0, maximum=600_000)
    confirm_ms = url.int_param("confirm_ms", 20_000, minimum=0, maximum=600_000)
    return PrinterProfile(
        columns=columns,
        encoder=encoder,
        status_timeout=url.int_param("timeout_ms", 500, minimum=10, maximum=60_000) / 1000,
        poll_interval=poll_ms / 1000 if poll_ms else None,
        confirm_timeout=confirm_ms / 1000 if confirm_ms else None,
    )


def _absolute_path(url: DeviceUrl, example: str) -> str:
    path = unquote(url.path)
    if url.host or not path.startswith("/"):
        raise DeviceConfigError(f"{url}: a {url.scheme} URL names an absolute device path, e.g. {example}")
    return path


def _transport(url: DeviceUrl) -> Transport:
    if url.scheme == "escpos+tcp":
        host, _, port = url.host.rpartition(":") if ":" in url.host else (url.host, "", "9100")
        if not host or not port.isdigit() or not 0 < int(port) < 65536 or url.path not in ("", "/"):
            raise DeviceConfigError(f"{url}: an escpos+tcp URL is escpos+tcp://host[:port], e.g. :9100")
        connect = url.int_param("connect_ms", 3000, minimum=10, maximum=60_000) / 1000
        return TcpTransport(host, int(port), connect)
    if url.scheme == "escpos+serial":
        path = _absolute_path(url, "escpos+serial:///dev/ttyS0?baud=9600")
        return SerialTransport(path, url.choice_param("baud", 9600, BAUDS))
    if url.scheme == "escpos+usb":
        return UsbTransport(*_usb_ids(url))
    if url.scheme == "escpos+file":
        return FileTransport(_absolute_path(url, "escpos+file:///dev/usb/lp0"))
    raise DeviceConfigError(f"{url}: not an ESC/POS printer URL")


def _usb_ids(url: DeviceUrl) -> tuple[int, int]:
    try:
        vendor, product = (int(part, 16) for part in url.host.split(":"))
        if not (0 <= vendor <= 0xFFFF and 0 <= product <= 0xFFFF) or url.path not in ("", "/"):
            raise ValueError
    except ValueError:
        raise DeviceConfigError(
            f"{url}: an escpos+usb URL is escpos+usb://VID:PID, e.g. 0x0416:0x5011"
        ) from None
    try:
        import usb.core  # noqa: F401 - python-escpos's Usb needs pyusb; fail here, not at the first job
    except ImportError:
        raise DeviceConfigError(f"{url}: USB printers need pyusb (pip install pyusb)") from None
    return vendor, product
