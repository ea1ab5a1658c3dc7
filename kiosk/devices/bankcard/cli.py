"""``kiosk devices bankcard read|emulate``: read a card through any driver URL, or be a card for vpcd."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from kiosk.devices.bankcard.card import BankCard
from kiosk.devices.bankcard.errors import BankCardError
from kiosk.devices.bankcard.reader import BankCardReader
from kiosk.devices.bankcard.virtual_card import (
    CARDS_DIR,
    BankCardFileError,
    CardProfile,
    VirtualCard,
    bundled_card,
    load_card_file,
)
from kiosk.devices.bankcard.vpcd import VPCD_PORT, VpcdCard
from kiosk.devices.base import CommandTimeout, DeviceConfigError, DeviceState

EXIT_FAILED = 1
EXIT_CONFIG = 2
_LABELS = {
    "pan_masked": "card number",
    "expiry": "expires",
    "cardholder_name": "cardholder",
    "aid": "application",
    "label": "label",
    "holder_id_masked": "holder ID",
}


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bankcard", help="read a bank card, or emulate one in vpcd")
    commands = parser.add_subparsers(dest="bankcard_command", required=True)

    read = commands.add_parser("read", help="wait for a card and read it (card number masked)")
    read.add_argument("--url", required=True, help="pcsc://?reader=<name part> or sim://?card=<name>")
    read.add_argument("--json", action="store_true", help="print the result as one JSON object")
    read.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card (30)")
    read.set_defaults(func=cmd_read)

    cards = ", ".join(sorted(path.stem for path in CARDS_DIR.glob("*.json")))
    emulate = commands.add_parser("emulate", help="put a virtual card in vsmartcard's vpcd reader")
    emulate.add_argument("--card", required=True, help=f"a card file, or a packaged card: {cards}")
    emulate.add_argument("--host", default="127.0.0.1", help="where vpcd listens (127.0.0.1)")
    emulate.add_argument("--port", type=int, default=VPCD_PORT, help=f"vpcd's port ({VPCD_PORT})")
    emulate.set_defaults(func=cmd_emulate)


def _report_failure(key: str, text: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": key, "message": text}))
    print(f"kiosk devices bankcard read: {text} ({key})", file=sys.stderr)


def _print_card(card: BankCard, as_json: bool) -> None:
    public = card.public()
    if as_json:
        print(json.dumps(public, ensure_ascii=False))
        return
    for key, label in _LABELS.items():
        print(f"{label:>12}: {public[key] or '-'}")


def cmd_read(args: argparse.Namespace) -> int:
    from kiosk.devices.registry import open_device

    try:
        reader = open_device("bankcard", args.url, do_not_open=True)
    except DeviceConfigError as exc:
        print(f"kiosk devices bankcard read: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    assert isinstance(reader, BankCardReader)
    try:
        state = reader.open().result(timeout=10)
        if state is not DeviceState.IDLE:
            _report_failure("bankcard.reader_gone", reader.health().result().text, args.json)
            return EXIT_FAILED
        if not args.json:
            print(f"waiting up to {args.timeout:g} s for a card in {args.url} ...", file=sys.stderr)
        card = reader.wait_and_read(args.timeout).result()
    except CommandTimeout:
        _report_failure("bankcard.no_card", f"no card within {args.timeout:g} s", args.json)
        return EXIT_FAILED
    except BankCardError as exc:
        _report_failure(exc.message_key, str(exc), args.json)
        return EXIT_FAILED
    finally:
        reader.close().result(timeout=10)
    _print_card(card, args.json)
    return 0


def _load(card: str) -> CardProfile:
    path = Path(card)
    return load_card_file(path) if path.suffix == ".json" or path.exists() else bundled_card(card)


def cmd_emulate(args: argparse.Namespace) -> int:
    try:
        profile = _load(args.card)
    except BankCardFileError as exc:
        print(f"kiosk devices bankcard emulate: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"card {profile.name} in vpcd at {args.host}:{args.port}; Ctrl-C takes it out",
        file=sys.stderr,
        flush=True,
    )
    VpcdCard(VirtualCard(profile), args.host, args.port).serve_forever(stop)
    return 0
