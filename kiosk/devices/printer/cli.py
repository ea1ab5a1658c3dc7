"""``kiosk devices printer test|status|emulate``: print a test slip, read the paper status, run a
virtual printer on a TCP port (SIGUSR1 makes its roll run out a few rows into the next slip, SIGUSR2 puts in
a new roll).

``test`` and ``status`` exit 0 only when the printer said it was ready (``test``: before and after the
slip, and that it printed it where the printer can say so); otherwise 1 and one line that says why
(paper out, cover open, offline, no answer, ...). A bad URL exits 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from kiosk.devices.base import DeviceConfigError
from kiosk.devices.printer.layout import PAPER_GEOMETRY
from kiosk.devices.printer.status import Paper

if TYPE_CHECKING:
    from kiosk.devices.printer.driver import EscposPrinter

# The driver and the virtual printer are imported in the commands, not here: building `kiosk --help`
# must stay fast, and python-escpos calls logging.basicConfig() when imported (escpos/capabilities.py),
# which would pre-empt the kiosk's own logging set-up if it ran before it.

EXIT_FAILED = 1
EXIT_CONFIG = 2
_TIMEOUT = 30.0
# SIGUSR1 to `emulate`: rows of the next slip that still come out before the roll ends (about its header).
RUN_OUT_AFTER_SIGNAL_ROWS = 5


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    printer = subparsers.add_parser("printer", help="the ESC/POS receipt printer")
    commands = printer.add_subparsers(dest="printer_command", required=True)
    url_help = "device URL, e.g. escpos+tcp://10.0.0.5:9100 or escpos+serial:///dev/ttyS0?baud=9600"

    test = commands.add_parser("test", help="print a test slip in Chinese; exit 0 only if it printed")
    test.add_argument("--url", required=True, help=url_help)
    test.set_defaults(func=cmd_test)

    status = commands.add_parser("status", help="read DLE EOT status; exit 0 only if the printer is ready")
    status.add_argument("--url", required=True, help=url_help)
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=cmd_status)

    emulate = commands.add_parser(
        "emulate", help="a virtual printer on a TCP port: renders each job to PNG and text; stops on Ctrl-C"
    )
    emulate.add_argument("--port", type=int, default=9100, help="TCP port (default 9100; 0 picks a free one)")
    emulate.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emulate.add_argument("--out", type=Path, required=True, help="directory for job-NNNN.png and .txt")
    emulate.add_argument("--paper", choices=[p.value for p in Paper if p is not Paper.UNKNOWN], default="ok")
    emulate.add_argument("--width", type=int, choices=sorted(PAPER_GEOMETRY), default=58, help="paper mm")
    emulate.add_argument(
        "--run-out-after", type=int, metavar="ROWS", help="the paper ends after this many printed rows"
    )
    emulate.add_argument(
        "--without-gs-r", action="store_true", help="ignore GS r, like the many printers that lack it"
    )
    emulate.set_defaults(func=cmd_emulate)


def _say(command: str, message: str) -> None:
    print(f"kiosk devices printer {command}: {message}", file=sys.stderr)


def _open(command: str, url: str) -> EscposPrinter | None:
    from kiosk.devices.printer.driver import EscposPrinter
    from kiosk.devices.registry import open_device

    try:
        device = open_device("printer", url, do_not_open=True)
    except DeviceConfigError as exc:
        _say(command, str(exc))
        return None
    assert isinstance(device, EscposPrinter)
    device.open().result(_TIMEOUT)
    return device


def cmd_test(args: argparse.Namespace) -> int:
    from kiosk.devices.printer.driver import Confirmation, PrintResult

    device = _open("test", args.url)
    if device is None:
        return EXIT_CONFIG
    try:
        outcome = device.print_test_slip(timeout=_TIMEOUT).result(_TIMEOUT + 5)
    except (FutureTimeout, TimeoutError):
        _say("test", "no answer")
        return EXIT_FAILED
    finally:
        unreachable, reads_status, confirmation = device.unreachable, device.reads_status, device.confirmation
        device.close().result(_TIMEOUT)
    if outcome.result is PrintResult.PRINTED:
        note = f", {outcome.job.replaced} character(s) replaced as designed" if outcome.job.replaced else ""
        if confirmation is not Confirmation.GS_R:
            note += f"; {confirmation.describe()}"
        print(f"test slip printed ({outcome.after.describe()}{note})")
        return 0
    if outcome.result is PrintResult.UNCONFIRMED:
        why = outcome.reason if reads_status else "sent, but this connection cannot read the printer's status"
        _say("test", f"no answer ({why})")
        return EXIT_FAILED
    when = "before printing" if not outcome.started else "after sending the slip"
    _say("test", f"{outcome.reason} ({unreachable or when})")
    return EXIT_FAILED


def cmd_status(args: argparse.Namespace) -> int:
    device = _open("status", args.url)
    if device is None:
        return EXIT_CONFIG
    try:
        status = device.read_status(_TIMEOUT).result(_TIMEOUT + 5)
        state, unreachable, confirmation = device.state, device.unreachable, device.confirmation
    finally:
        device.close().result(_TIMEOUT)
    if args.json:
        details = {
            "url": args.url.split("?")[0],
            "state": state.value,
            "unreachable": unreachable,
            "confirmation": confirmation.value,
        }
        print(json.dumps({**details, **status.as_dict()}))
    elif status.ready:
        print(status.describe())
        print(confirmation.describe())
    if not status.ready:
        if not args.json:
            _say("status", status.describe() + (f" ({unreachable})" if unreachable else ""))
        return EXIT_FAILED
    return 0


def cmd_emulate(args: argparse.Namespace) -> int:
    from kiosk.devices.printer.virtual import VirtualPrinter

    printer = VirtualPrinter(
        out_dir=args.out, paper_mm=args.width, paper=Paper(args.paper), host=args.host, port=args.port
    )
    if args.run_out_after is not None:
        printer.set_paper(Paper(args.paper), run_out_after_rows=args.run_out_after)
    if args.without_gs_r:
        printer.set_condition(without_gs_r=True)
    try:
        printer.start()
    except OSError as exc:
        _say("emulate", f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return EXIT_FAILED
    stop = threading.Event()
    # SIGUSR1: the roll runs out a few rows into the next slip; SIGUSR2: staff put in a new roll. Acted on
    # in the loop below, not in the handler: the handler may interrupt this thread inside the printer's lock.
    rolls: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def on_roll(signum: int, frame: FrameType | None) -> None:
        rolls.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous |= {sig: signal.signal(sig, on_roll) for sig in (signal.SIGUSR1, signal.SIGUSR2)}
    try:
        gs_r = ", without GS r" if args.without_gs_r else ""
        print(f"listening on {printer.url} (paper {args.paper}{gs_r}); jobs go to {args.out}", flush=True)
        shown = 0
        while not stop.is_set():
            jobs = printer.jobs
            for job in jobs[shown:]:
                print(f"job {job.number}: {job.reason}, {job.png}", flush=True)
            shown = len(jobs)
            while rolls:
                if rolls.pop(0) == signal.SIGUSR1:
                    printer.set_paper(Paper.NEAR_END, run_out_after_rows=RUN_OUT_AFTER_SIGNAL_ROWS)
                    print(f"paper: runs out after {RUN_OUT_AFTER_SIGNAL_ROWS} rows", flush=True)
                else:
                    printer.set_paper(Paper.OK)
                    print("paper: a new roll", flush=True)
            stop.wait(0.1)
    finally:
        printer.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
