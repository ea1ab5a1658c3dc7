"""``kiosk devices idcard read|emulate``: read one card for staff diagnostics; serve the emulated reader.

``read`` prints the card masked by the kiosk's screen rules unless ``--unmasked`` is given. Either way it
prints to the terminal only: nothing personal goes to a log or a file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import queue
import signal
import sys
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import FrameType

from kiosk.devices.base import DeviceConfigError, DeviceError, DeviceState, StatusChange
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard, carried_fields
from kiosk.devices.idcard.codec import BAUD_CODES
from kiosk.devices.idcard.emulator import FAULTS, SAMPLE_CARDS, IdCardFileError, SamEmulator, load_card_file
from kiosk.devices.idcard.reader import IdCardEvent, IdCardInserted, IdCardReader, IdCardReadFailed
from kiosk.devices.registry import open_device
from kiosk.masking import mask_id_number, mask_name

EXIT_FAILED = 1
EXIT_CONFIG = 2
DEFAULT_TIMEOUT = 30.0
_CLOSE_TIMEOUT = 5.0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    idcard = subparsers.add_parser("idcard", help="the resident ID card reader (SAM protocol)")
    commands = idcard.add_subparsers(dest="idcard_command", required=True)

    read = commands.add_parser("read", help="wait for one card and print it (masked unless --unmasked)")
    read.add_argument("--url", required=True, help="device URL, e.g. sam+serial:///dev/ttyUSB0?baud=115200")
    read.add_argument("--json", action="store_true", help="print JSON instead of a table")
    read.add_argument(
        "--unmasked", action="store_true", help="print personal fields in full (staff diagnostics only)"
    )
    read.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for a card (default {DEFAULT_TIMEOUT:g})",
    )
    read.set_defaults(func=cmd_read)

    samples = ", ".join(sorted(path.stem for path in _sample_cards()))
    emulate = commands.add_parser(
        "emulate", help="serve an emulated reader on a pseudo-terminal; prints its path, stops on Ctrl-C"
    )
    emulate.add_argument(
        "--card", required=True, help=f"a .toml or .json card file, or a sample card: {samples}"
    )
    emulate.add_argument("--fault", choices=sorted(FAULTS), help="answer every command with this fault")
    emulate.add_argument("--link", type=Path, help="also make this stable path point at the pseudo-terminal")
    emulate.add_argument("--baud", type=int, choices=sorted(BAUD_CODES), default=115200)
    emulate.set_defaults(func=cmd_emulate)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _fail(command: str, message: str) -> None:
    print(f"kiosk devices idcard {command}: {message}", file=sys.stderr)


# -- read ----------------------------------------------------------------------------------------------


class ReadError(DeviceError):
    """Why no card was read; the message says it for the operator."""


_STATE_WORDS = {
    DeviceState.NO_DEVICE: "no reader",
    DeviceState.OFFLINE: "the reader does not answer",
    DeviceState.ERROR: "the reader answers wrongly",
    DeviceState.CLOSED: "the reader closed",
}


def cmd_read(args: argparse.Namespace) -> int:
    try:
        with _device_logs_quiet(getattr(args, "verbose", False)):
            card = read_one_card(args.url, args.timeout)
    except DeviceConfigError as exc:
        _fail("read", str(exc))  # the message starts with the URL
        return EXIT_CONFIG
    except ReadError as exc:
        _fail("read", f"{args.url}: {exc}")
        return EXIT_FAILED
    view = card_view(card, dt.date.today(), masked=not args.unmasked)
    print(json.dumps(view, ensure_ascii=False, indent=2) if args.json else render_table(view))
    return 0


@contextlib.contextmanager
def _device_logs_quiet(verbose: bool) -> Iterator[None]:
    """The command reports the reader's trouble in its own one line; the driver's log lines would repeat
    it (``-v`` shows them)."""
    logger = logging.getLogger("kiosk.devices")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_one_card(url: str, timeout: float) -> IdCard:
    """Open the reader ``url`` names, wait up to ``timeout`` seconds for a card, read it and close."""
    reader = open_device("idcard", url, do_not_open=True)
    assert isinstance(reader, IdCardReader)  # the registry only has ID card readers for kind "idcard"
    events: queue.Queue[IdCardEvent | StatusChange] = queue.Queue()
    reader.subscribe(events.put)
    reader.subscribe_cards(events.put)
    deadline = time.monotonic() + timeout
    try:
        try:
            reader.open().result(timeout=timeout)  # how it went arrives as a status event
        except FutureTimeout:
            raise ReadError(f"the reader did not open within {timeout:g} s") from None
        except Exception as exc:
            raise ReadError(f"the reader failed to open ({type(exc).__name__})") from None
        state, reason = DeviceState.CLOSED, "not opened"
        while True:
            try:
                event = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ReadError(f"no card within {timeout:g} s") from None
            if isinstance(event, StatusChange):
                reason = event.reason
                state = event.new
            elif isinstance(event, IdCardInserted):
                return event.card
            elif isinstance(event, IdCardReadFailed):
                raise ReadError(f"the card on the reader cannot be read ({event.reason_key})")
            # The reader recovers by itself in the kiosk; for a diagnostic the first fault is the answer.
            if state not in (DeviceState.IDLE, DeviceState.BUSY):
                raise ReadError(f"{_STATE_WORDS[state]} ({reason})")
    finally:
        reader.close().result(timeout=_CLOSE_TIMEOUT)


# -- the card as the command shows it ------------------------------------------------------------------

_CARD_TYPE_NAMES = {
    CardType.RESIDENT: "居民身份证",
    CardType.FOREIGN_PERMANENT_2017: "外国人永久居留身份证（2017）",
    CardType.HMT_RESIDENCE_PERMIT: "港澳台居民居住证",
    CardType.FOREIGN_PERMANENT_2023: "外国人永久居留身份证（2023）",
}
_GENDER_NAMES = {Gender.MALE: "男", Gender.FEMALE: "女", Gender.UNKNOWN: "未知", Gender.UNSPECIFIED: "未说明"}
# Key order of the JSON object and the table; the optional keys appear for card types that carry them.
_KEYS = (
    "card_type",
    "name",
    "name_en",
    "gender",
    "nation",
    "nationality",
    "birth_date",
    "valid_from",
    "valid_to",
    "address",
    "id_number",
    "issuing_authority",
    "pass_number",
    "issue_count",
    "expired",
)
_ALWAYS = frozenset({"card_type", "name", "gender", "birth_date", "valid_from", "valid_to", "id_number"})
_LABELS = {
    "card_type": "证件类型 Card type",
    "name": "姓名 Name",
    "name_en": "英文姓名 Name (English)",
    "gender": "性别 Gender",
    "nation": "民族 Nation",
    "nationality": "国籍 Nationality",
    "birth_date": "出生日期 Birth date",
    "valid_from": "有效期起 Valid from",
    "valid_to": "有效期至 Valid to",
    "address": "住址 Address",
    "id_number": "证件号码 ID number",
    "issuing_authority": "签发机关 Issued by",
    "pass_number": "通行证号码 Pass number",
    "issue_count": "签发次数 Issue count",
    "expired": "已过期 Expired",
}


def _iso(value: dt.date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def card_view(card: IdCard, today: dt.date, *, masked: bool) -> dict[str, str | int | bool | None]:
    """The card under the JSON keys of issue #3; masked by the kiosk's screen rules unless ``masked`` is
    False. Photo and fingerprint never appear.

    Masking keeps what ``kiosk.masking`` keeps of names and ID numbers (the pass number counts as one), the
    first three characters of the address (the province or city) and the year of birth, which the masked
    ID number would otherwise give away.
    """
    carried = carried_fields(card.card_type) | _ALWAYS
    full: dict[str, str | int | bool | None] = {
        "card_type": card.card_type.value,
        "name": card.name,
        "name_en": card.name_en,
        "gender": card.gender.value,
        "nation": card.nation,
        "nationality": card.nationality,
        "birth_date": card.birth_date.isoformat(),
        "valid_from": card.valid_from.isoformat(),
        "valid_to": _iso(card.valid_to),
        "address": card.address,
        "id_number": card.id_number,
        "issuing_authority": card.issuing_authority,
        "pass_number": card.pass_number,
        "issue_count": card.issue_count,
        "expired": card.expired(today),
    }
    if masked:
        full |= {
            "name": mask_name(card.name),
            "name_en": mask_name(card.name_en),
            "birth_date": f"{card.birth_date.year:04d}-**-**",
            "address": card.address[:3] + "*" * len(card.address[3:]),
            "id_number": mask_id_number(card.id_number),
            "pass_number": mask_id_number(card.pass_number),
        }
    return {key: full[key] for key in _KEYS if key in carried or key == "expired"}


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _show(key: str, value: str | int | bool | None) -> str:
    if value is None or value == "":
        return "—"
    if key == "card_type":
        return f"{_CARD_TYPE_NAMES[CardType(str(value))]} {value}"
    if key == "gender":
        return f"{_GENDER_NAMES[Gender(str(value))]} {value}"
    if key == "valid_to" and value == LONG_TERM:
        return "长期 long-term"
    if key == "expired":
        return "是 yes" if value else "否 no"
    return str(value)


def render_table(view: dict[str, str | int | bool | None]) -> str:
    column = max(_width(_LABELS[key]) for key in view) + 2
    lines = (
        f"{_LABELS[key]}{' ' * (column - _width(_LABELS[key]))}{_show(key, value)}"
        for key, value in view.items()
    )
    return "\n".join(lines)


# -- emulate -------------------------------------------------------------------------------------------


def _sample_cards() -> list[Path]:
    return [path for path in SAMPLE_CARDS.iterdir() if path.suffix in (".toml", ".json")]


def card_file(argument: str) -> Path:
    """A path as given, or the sample card of that name (``resident`` → cards/resident.toml)."""
    path = Path(argument)
    if path.suffix or path.name != argument:
        return path
    return next((sample for sample in _sample_cards() if sample.stem == argument), path)


def cmd_emulate(args: argparse.Namespace) -> int:
    try:
        card = load_card_file(card_file(args.card))
    except IdCardFileError as exc:
        _fail("emulate", str(exc))
        return EXIT_CONFIG
    signals: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)  # only a flag: a lock taken here could deadlock with the main thread

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator = SamEmulator(baud=args.baud, link=args.link)
        except OSError as exc:
            _fail("emulate", f"cannot open a pseudo-terminal at {args.link or 'a new path'}: {exc.strerror}")
            return EXIT_FAILED
        with emulator:
            emulator.place_card(card)
            emulator.set_fault(args.fault)
            print(emulator.path, flush=True)
            fault = f" with fault {args.fault}" if args.fault else ""
            print(
                f"serving a {card.card_type.value} card at {args.baud} baud{fault}; Ctrl-C stops",
                file=sys.stderr,
                flush=True,
            )
            while not signals:
                time.sleep(0.1)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
