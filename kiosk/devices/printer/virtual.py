"""A virtual ESC/POS printer: a TCP port 9100 listener (or an in-process byte sink) that tokenizes what
it receives, rebuilds each receipt, renders it to PNG and text, and answers DLE EOT (at once) and GS r
(in turn) from a paper state that tests, the demo and trainers set — including paper that runs out in
the middle of a job, and a receive buffer that makes printing lag behind receiving.

One connection at a time, as on a real printer's raw port: a second client waits in the backlog.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.devices.printer.layout import PAPER_GEOMETRY
from kiosk.devices.printer.paper import FeedRow, ImageRow, Interpreter, Row, TextRow, render_png, render_text
from kiosk.devices.printer.status import Paper, answer_bytes
from kiosk.devices.printer.tokenizer import EscPosCommand, Token, Tokenizer

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PrintedJob:
    number: int
    text: str  # the paper as plain text: aligned lines, pictures as [labels]
    complete: bool  # the job reached its cut with paper to spare
    reason: str  # "cut", "paper ran out", "connection closed before the cut"
    invalid: tuple[str, ...]  # malformed commands met (an encoder bug, or line noise)
    png: Path | None
    txt: Path | None

    def lines(self) -> list[str]:
        """The printed text lines without blank lines and picture labels: what the golden tests compare."""
        return [line for line in self.text.splitlines() if line.strip() and not line.startswith("[")]

    def __repr__(self) -> str:
        return f"<PrintedJob {self.number} {self.reason}>"  # the text may hold (masked) personal data


class VirtualPrinter:
    """Thread-safe. ``start()`` listens on TCP; ``feed()`` takes bytes in process (the ``sim://`` driver)."""

    def __init__(
        self,
        *,
        out_dir: Path | None = None,
        paper_mm: int = 58,
        paper: Paper = Paper.OK,
        host: str = "127.0.0.1",
        port: int = 9100,
        lag: float = 0.0,
    ) -> None:
        """``lag``: seconds between receiving bytes and printing them, as a real printer's receive
        buffer makes; DLE EOT is answered on arrival regardless (it is a real-time command)."""
        if paper_mm not in PAPER_GEOMETRY:
            raise ValueError(f"paper is {' or '.join(map(str, PAPER_GEOMETRY))} mm wide, not {paper_mm}")
        if paper is Paper.UNKNOWN:
            raise ValueError("a virtual printer's paper is ok, near_end or out")
        self.columns, self.dots = PAPER_GEOMETRY[paper_mm]
        self.out_dir = out_dir
        self._host, self._port = host, port
        self._lock = threading.Condition()
        self._paper = paper
        self._rows_left: int | None = None
        self._cover_open = False
        self._cutter_error = False
        self._silent = False
        self._tokenizer = Tokenizer()
        self._interpreter = Interpreter(self.columns)
        self._rows: list[Row] = []
        self._lost_rows = False
        self._jobs: list[PrintedJob] = []
        self._received = 0
        self._silent_gs_r = False
        self._hang_up_after: int | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lag = lag
        self._backlog: collections.deque[tuple[float, Token | None]] = collections.deque()  # None: hang-up
        self._reply_sink: Callable[[bytes], None] | None = None
        self._lagger: threading.Thread | None = None
        if lag > 0:
            self._lagger = threading.Thread(
                target=self._print_late, name="virtual printer buffer", daemon=True
            )
            self._lagger.start()

    # -- what a test, the demo or a trainer sets ---------------------------------------------------------

    def set_paper(self, paper: Paper, *, run_out_after_rows: int | None = None) -> None:
        """Set the roll; with ``run_out_after_rows`` the paper ends after that many more printed rows."""
        if paper is Paper.UNKNOWN:
            raise ValueError("a virtual printer's paper is ok, near_end or out")
        with self._lock:
            self._paper = paper
            self._rows_left = run_out_after_rows

    def set_condition(
        self,
        *,
        cover_open: bool = False,
        cutter_error: bool = False,
        silent: bool = False,
        without_gs_r: bool = False,
        hang_up_after_bytes: int | None = None,
    ) -> None:
        """``silent`` stops answering status queries, like a printer whose answers get lost;
        ``without_gs_r`` ignores GS r, like a clone that lacks it; ``hang_up_after_bytes`` drops each TCP
        connection once it has brought that many bytes, like a cable pulled in the middle of a job."""
        with self._lock:
            self._cover_open, self._cutter_error, self._silent = cover_open, cutter_error, silent
            self._silent_gs_r = without_gs_r
            self._hang_up_after = hang_up_after_bytes

    @property
    def paper(self) -> Paper:
        with self._lock:
            return self._paper

    @property
    def jobs(self) -> list[PrintedJob]:
        with self._lock:
            return list(self._jobs)

    @property
    def received_bytes(self) -> int:
        with self._lock:
            return self._received

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[PrintedJob]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._jobs) >= count, timeout):
                raise TimeoutError(f"{len(self._jobs)} of {count} jobs printed")
            return list(self._jobs)

    # -- the printer -------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> bytes:
        """Process received bytes; returns what the printer sends back at once (status answers)."""
        replies = bytearray()
        with self._lock:
            self._received += len(data)
            due = time.monotonic() + self._lag
            for token in self._tokenizer.feed(data):
                if isinstance(token, EscPosCommand) and token.name == "DLE 0x04":
                    if not self._silent and token.arg in (1, 2, 3, 4):
                        replies.append(self._status_byte(token.arg))
                elif self._lag > 0:
                    self._backlog.append((due, token))
                    self._lock.notify_all()
                else:
                    replies += self._process(token)
        return bytes(replies)

    def _process(self, token: Token) -> bytes:
        """Print one token; returns its answer, if it has one. Runs under the lock."""
        if isinstance(token, EscPosCommand) and token.name == "GS r":
            # Answered in turn, and not while stopped: the driver's sign that a job has printed.
            if self._silent or self._silent_gs_r or not self._online():
                return b""
            return bytes([0x03 if token.arg in (1, 49) and self._paper is Paper.NEAR_END else 0])
        self._interpreter.apply(token)
        self._collect()
        if isinstance(token, EscPosCommand) and token.name == "GS V":
            self._finish_job("cut")
        return b""

    def end_of_stream(self) -> None:
        """The client hung up: whatever was printed without a cut still comes out, marked incomplete."""
        with self._lock:
            self._tokenizer = Tokenizer()
            if self._lag > 0:
                self._backlog.append((time.monotonic() + self._lag, None))
                self._lock.notify_all()
            else:
                self._hung_up()

    def _hung_up(self) -> None:
        self._collect()
        if self._rows or self._lost_rows or self._interpreter.invalid:
            self._finish_job("connection closed before the cut")

    def _print_late(self) -> None:
        """With a lag: print what was received once its time comes, and send the answers that makes."""
        while not self._stop.is_set():
            with self._lock:
                if not self._backlog:
                    self._lock.wait(0.1)
                    continue
                due, token = self._backlog[0]
                if time.monotonic() < due:
                    self._lock.wait(due - time.monotonic())
                    continue
                self._backlog.popleft()
                if token is None:
                    self._hung_up()
                    continue
                reply = self._process(token)
                sink = self._reply_sink
            if reply and sink is not None:
                sink(reply)

    def _status_byte(self, n: int) -> int:
        return answer_bytes(paper=self._paper, cover_open=self._cover_open, cutter_error=self._cutter_error)[
            n
        ]

    def _online(self) -> bool:
        return self._paper is not Paper.OUT and not self._cover_open and not self._cutter_error

    def _collect(self) -> None:
        for row in self._interpreter.take_rows():
            if not self._online():
                self._lost_rows = True  # an offline printer prints nothing; the job is not whole
                continue
            self._rows.append(row)
            if self._rows_left is not None:
                self._rows_left -= 1
                if self._rows_left <= 0:
                    self._paper, self._rows_left = Paper.OUT, None

    def _finish_job(self, reason: str) -> None:
        rows, self._rows = self._rows, []
        invalid = tuple(self._interpreter.invalid)
        self._interpreter.invalid.clear()
        lost, self._lost_rows = self._lost_rows, False
        if lost:
            reason = "paper ran out" if self._paper is Paper.OUT else "printer offline"
        number = len(self._jobs) + 1
        text = render_text(rows, self.columns)
        png = txt = None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            png, txt = self.out_dir / f"job-{number:04d}.png", self.out_dir / f"job-{number:04d}.txt"
            render_png(rows or [FeedRow(30)], self.dots, png)
            txt.write_text(text, encoding="utf-8")
        job = PrintedJob(number, text, reason == "cut", reason, invalid, png, txt)
        self._jobs.append(job)
        self._lock.notify_all()
        log.info("virtual printer: job %d, %d rows, %s", number, _printed(rows), reason)

    # -- the TCP side ------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the virtual printer is not listening")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"escpos+tcp://{self._host}:{self.port}"

    def start(self) -> VirtualPrinter:
        listener = socket.create_server((self._host, self._port), reuse_port=False)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, name=f"virtual printer :{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._lagger):
            if thread is not None:
                thread.join()
        self._thread = self._lagger = None
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            try:
                with connection:
                    self._talk(connection)
                self.end_of_stream()
            except Exception:
                # A fault in the emulator must not take the listener down in the middle of a demo.
                log.exception("virtual printer: a connection failed")

    def _talk(self, connection: socket.socket) -> None:
        sending = threading.Lock()  # answers come from this thread and, with a lag, from the buffer's

        def send(reply: bytes) -> None:
            with sending, contextlib.suppress(OSError):  # the client left without reading its answer
                connection.sendall(reply)

        with self._lock:
            self._reply_sink = send
        received = 0
        try:
            while not self._stop.is_set():
                if not select.select([connection], [], [], 0.1)[0]:
                    continue
                try:
                    data = connection.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    hang_up_after = self._hang_up_after
                if hang_up_after is not None and received + len(data) >= hang_up_after:
                    self.feed(data[: hang_up_after - received])
                    return  # the cable is out: the rest never arrives and nothing is answered
                received += len(data)
                reply = self.feed(data)
                if reply:
                    send(reply)
        finally:
            with self._lock:
                self._reply_sink = None


def _printed(rows: list[Row]) -> int:
    return sum(isinstance(row, TextRow | ImageRow) for row in rows)
