"""A PBOC card that answers command APDUs by logic, for the emulator, the in-process reader and tests.

It keeps the state a real card keeps (what is selected, its transaction counter, a pending T=0
response), builds its records from data elements rather than replaying bytes, checks the PDOL data it is
given, and answers each GET PROCESSING OPTIONS with a fresh counter and cryptogram. All data is
synthetic; profiles load from JSON (``cards/*.json``, described in docs/bankcard.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import threading
from pathlib import Path
from typing import Any

from kiosk.devices.bankcard import tlv
from kiosk.devices.bankcard.selection import PPSE, PSE
from kiosk.devices.errors import DeviceError

CARDS_DIR = Path(__file__).parent / "cards"
DEFAULT_ATR = bytes.fromhex("3B09") + b"SYNTHETIC"  # T=0, no interface bytes, 9 historical bytes
DIRECTORY_SFI = 1

_OK = b"\x90\x00"
_FILE_NOT_FOUND = b"\x6a\x82"
_RECORD_NOT_FOUND = b"\x6a\x83"
_WRONG_P1P2 = b"\x6a\x86"
_WRONG_LENGTH = b"\x67\x00"
_CONDITIONS = b"\x69\x85"
_INS_UNKNOWN = b"\x6d\x00"
_CLA_UNKNOWN = b"\x6e\x00"


class BankCardFileError(DeviceError, ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Application:
    aid: bytes
    label: str
    elements: dict[int, bytes]  # everything the records hold, by tag
    records: dict[int, tuple[tuple[int, ...], ...]]  # SFI -> records -> tags, in file order
    priority: int = 0
    pdol: bytes = b""
    gpo_format: int = 2
    aip: bytes = b"\x7c\x00"

    def afl(self) -> bytes:
        return b"".join(bytes([sfi << 3, 1, len(recs), 0]) for sfi, recs in sorted(self.records.items()))

    def record(self, sfi: int, number: int) -> bytes | None:
        records = self.records.get(sfi, ())
        if not 1 <= number <= len(records):
            return None
        return tlv.encode(0x70, b"".join(tlv.encode(tag, self.elements[tag]) for tag in records[number - 1]))


@dataclasses.dataclass(frozen=True)
class CardProfile:
    name: str
    applications: tuple[Application, ...]
    directories: frozenset[str] = frozenset({"ppse"})  # "pse" (contact), "ppse" (contactless)
    t0: bool = False  # answer like a T=0 card: 61xx for case 4, 6Cxx for a wrong Le
    atr: bytes = DEFAULT_ATR

    def __repr__(self) -> str:
        return f"CardProfile({self.name!r})"


@dataclasses.dataclass(frozen=True)
class _Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None


def _parse_command(capdu: bytes) -> _Command | None:
    """A short C-APDU of any of the four cases; None when the lengths do not add up."""
    if len(capdu) < 4:
        return None
    cla, ins, p1, p2, body = capdu[0], capdu[1], capdu[2], capdu[3], capdu[4:]
    if not body:
        return _Command(cla, ins, p1, p2, b"", None)
    if len(body) == 1:
        return _Command(cla, ins, p1, p2, b"", body[0] or 256)
    lc = body[0]
    if lc == 0 or len(body) not in (1 + lc, 2 + lc):
        return None
    le = (body[-1] or 256) if len(body) == 2 + lc else None
    return _Command(cla, ins, p1, p2, body[1 : 1 + lc], le)


class VirtualCard:
    """One card in one reader: ``respond`` is what the card's chip does with each command. Thread-safe."""

    def __init__(self, profile: CardProfile) -> None:
        self.profile = profile
        self._lock = threading.Lock()
        self._key = os.urandom(16)  # stands in for the card's secret key: cryptograms differ per card
        self._atc = 0
        self._selected: str | Application | None = None
        self._pending = b""  # T=0: response data waiting for GET RESPONSE

    @property
    def atr(self) -> bytes:
        return self.profile.atr

    @property
    def transaction_counter(self) -> int:
        with self._lock:
            return self._atc

    def reset(self) -> None:
        """Power-on or warm reset: the selection and any pending response are gone; the ATC stays."""
        with self._lock:
            self._selected = None
            self._pending = b""

    def respond(self, capdu: bytes) -> bytes:
        with self._lock:
            command = _parse_command(capdu)
            if command is None:
                return _WRONG_LENGTH
            if command.cla not in (0x00, 0x80):
                return _CLA_UNKNOWN
            if command.ins == 0xC0:
                return self._get_response(command)
            self._pending = b""
            answer = self._dispatch(command)
            if answer[-2:] != _OK or len(answer) == 2 or not self.profile.t0:
                return answer
            data = answer[:-2]
            if command.data:  # case 4 on T=0: the data waits for GET RESPONSE
                self._pending = data
                return bytes([0x61, len(data) & 0xFF])
            if command.le != len(data):  # case 2 with the wrong Le: "ask again for this many"
                return bytes([0x6C, len(data) & 0xFF])
            return answer

    def _get_response(self, command: _Command) -> bytes:
        if not self._pending:
            return _CONDITIONS
        size = command.le or 256
        chunk, self._pending = self._pending[:size], self._pending[size:]
        if self._pending:
            return chunk + bytes([0x61, min(len(self._pending), 256) & 0xFF])
        return chunk + _OK

    def _dispatch(self, command: _Command) -> bytes:
        if command.ins == 0xA4 and command.p1 == 0x04:
            return self._select(command.data)
        if command.ins == 0xB2:
            return self._read_record(command.p1, command.p2)
        if command.ins == 0xA8 and command.cla == 0x80:
            return self._gpo(command.data)
        return _INS_UNKNOWN

    def _select(self, name: bytes) -> bytes:
        profile = self.profile
        self._selected = None
        if name == PSE and "pse" in profile.directories:
            self._selected = "pse"
            proprietary = tlv.encode(0x88, bytes([DIRECTORY_SFI])) + tlv.encode(0x5F2D, b"zh")
            return tlv.encode(0x6F, tlv.encode(0x84, name) + tlv.encode(0xA5, proprietary)) + _OK
        if name == PPSE and "ppse" in profile.directories:
            self._selected = "ppse"
            entries = b"".join(_directory_entry(app) for app in profile.applications)
            proprietary = tlv.encode(0xBF0C, entries)
            return tlv.encode(0x6F, tlv.encode(0x84, name) + tlv.encode(0xA5, proprietary)) + _OK
        app = next((a for a in profile.applications if name and a.aid.startswith(name)), None)
        if app is None:
            return _FILE_NOT_FOUND
        self._selected = app
        proprietary = tlv.encode(0x50, app.label.encode("ascii")) + tlv.encode(0x87, bytes([app.priority]))
        if app.pdol:
            proprietary += tlv.encode(0x9F38, app.pdol)
        proprietary += tlv.encode(0x5F2D, b"zh") + tlv.encode(0x9F11, b"\x01")
        proprietary += tlv.encode(0x9F12, app.label.encode("ascii"))
        proprietary += tlv.encode(0xBF0C, tlv.encode(0x9F4D, b"\x0b\x0a"))
        return tlv.encode(0x6F, tlv.encode(0x84, app.aid) + tlv.encode(0xA5, proprietary)) + _OK

    def _read_record(self, number: int, p2: int) -> bytes:
        if p2 & 0x07 != 0x04:
            return _WRONG_P1P2
        sfi = p2 >> 3
        selected = self._selected
        if selected == "pse" and sfi == DIRECTORY_SFI:
            apps = self.profile.applications
            if not 1 <= number <= len(apps):
                return _RECORD_NOT_FOUND
            return tlv.encode(0x70, _directory_entry(apps[number - 1])) + _OK
        if not isinstance(selected, Application):
            return _CONDITIONS
        record = selected.record(sfi, number)
        return _RECORD_NOT_FOUND if record is None else record + _OK

    def _gpo(self, data: bytes) -> bytes:
        app = self._selected
        if not isinstance(app, Application):
            return _CONDITIONS
        expected = sum(length for _, length in tlv.parse_dol(app.pdol))
        if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2 or data[1] != expected:
            return _WRONG_LENGTH
        self._atc = (self._atc + 1) & 0xFFFF
        atc = self._atc.to_bytes(2, "big")
        if app.gpo_format == 1:
            return tlv.encode(0x80, app.aip + app.afl()) + _OK
        cryptogram = hmac.new(self._key, data[2:] + atc, hashlib.sha256).digest()[:8]
        body = tlv.encode(0x82, app.aip) + tlv.encode(0x94, app.afl())
        body += tlv.encode(0x9F36, atc) + tlv.encode(0x9F26, cryptogram)
        body += tlv.encode(0x9F10, bytes.fromhex("07010103900000010A01000000000000000000"))
        return tlv.encode(0x77, body) + _OK


def _directory_entry(app: Application) -> bytes:
    body = tlv.encode(0x4F, app.aid) + tlv.encode(0x50, app.label.encode("ascii"))
    return tlv.encode(0x61, body + tlv.encode(0x87, bytes([app.priority])))


# -- card files ----------------------------------------------------------------------------------------


def _bcd_pan(pan: str) -> bytes:
    return bytes.fromhex(pan + "F" * (len(pan) % 2))


def _yymmdd(day: dt.date) -> bytes:
    return bytes.fromhex(day.strftime("%y%m%d"))


def _track2(pan: str, expiry: dt.date, service_code: str) -> bytes:
    digits = f"{pan}D{expiry:%y%m}{service_code}0000000000000"
    return bytes.fromhex(digits + "F" * (len(digits) % 2))


def _elements(spec: dict[str, Any]) -> dict[int, bytes]:
    """The data elements from the readable keys of a card file, then the raw ``extra`` ones."""
    pan: str = spec["pan"]
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise ValueError("pan must be 12 to 19 digits")
    expiry = dt.date.fromisoformat(spec["expiry"])
    elements = {
        0x5A: _bcd_pan(pan),
        0x57: _track2(pan, expiry, spec.get("service_code", "220")),
        0x5F24: _yymmdd(expiry),
        0x5F25: _yymmdd(dt.date.fromisoformat(spec.get("effective", "2020-01-01"))),
        0x5F28: bytes.fromhex("0156"),
        0x5F34: b"\x00",
        0x9F1F: b"000000",
    }
    if "cardholder_name" in spec:
        elements[0x5F20] = spec["cardholder_name"].encode("ascii")
    if "holder_id" in spec:
        elements[0x9F61] = spec["holder_id"].encode("ascii")
        elements[0x9F62] = bytes([int(spec.get("holder_id_type", 0))])
    for tag, value in spec.get("extra", {}).items():
        elements[int(tag, 16)] = bytes.fromhex(value)
    return elements


_CARD_KEYS = frozenset({"description", "directories", "t0", "atr", "applications"})
_APPLICATION_KEYS = frozenset(
    {"aid", "label", "priority", "pdol", "gpo_format", "aip", "pan", "expiry", "effective", "service_code"}
    | {"cardholder_name", "holder_id", "holder_id_type", "records", "extra"}
)


def _unknown_key(spec: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (keys: {', '.join(sorted(known))})")


def _application(spec: dict[str, Any]) -> Application:
    _unknown_key(spec, _APPLICATION_KEYS)
    elements = _elements(spec)
    records: dict[int, tuple[tuple[int, ...], ...]] = {}
    for sfi, layout in spec["records"].items():
        records[int(sfi)] = tuple(tuple(int(tag, 16) for tag in record) for record in layout)
    for layout in records.values():
        for record in layout:
            missing = [f"{tag:X}" for tag in record if tag not in elements]
            if missing:
                raise ValueError(f"a record lists tag {missing[0]}, which the card does not hold")
    pdol = bytes.fromhex(spec.get("pdol", ""))
    tlv.parse_dol(pdol)
    gpo_format = int(spec.get("gpo_format", 2))
    if gpo_format not in (1, 2):
        raise ValueError("gpo_format must be 1 or 2")
    return Application(
        aid=bytes.fromhex(spec["aid"]),
        label=spec.get("label", ""),
        elements=elements,
        records=records,
        priority=int(spec.get("priority", 0)),
        pdol=pdol,
        gpo_format=gpo_format,
        aip=bytes.fromhex(spec.get("aip", "7C00")),
    )


def load_card_file(path: str | os.PathLike[str]) -> CardProfile:
    """A profile from a JSON card file; errors name the file and the problem, never a card value."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BankCardFileError(f"{path}: cannot read the card file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise BankCardFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BankCardFileError(f"{path}: a card file holds one JSON object")
    try:
        _unknown_key(data, _CARD_KEYS)
        directories = frozenset(data.get("directories", ["ppse"]))
        if not directories <= {"pse", "ppse"}:
            raise ValueError("directories are 'pse' and/or 'ppse'")
        return CardProfile(
            name=path.stem,
            applications=tuple(_application(app) for app in data["applications"]),
            directories=directories,
            t0=bool(data.get("t0", False)),
            atr=bytes.fromhex(data["atr"]) if "atr" in data else DEFAULT_ATR,
        )
    except KeyError as exc:
        raise BankCardFileError(f"{path}: missing key {exc.args[0]!r}") from None
    except (ValueError, TypeError, AttributeError, tlv.TlvError) as exc:
        raise BankCardFileError(f"{path}: {exc}") from None


def bundled_card(name: str) -> CardProfile:
    """One of the packaged cards by file stem, e.g. ``bundled_card("pboc_debit_contactless")``."""
    return load_card_file(CARDS_DIR / f"{name}.json")
