"""What a read gives: the bank card as values, with the checks and masks that go with them. Pure.

The full PAN and the holder's ID number stay in memory only: ``BankCard``'s repr and ``public()`` show the
masked forms. Track-2 data is never part of a ``BankCard``.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import enum

from kiosk.devices.bankcard.errors import BankCardDataError, CardExpired, LuhnCheckFailed


class HolderIdType(enum.StrEnum):
    """PBOC 3.0 tag 9F62, the kind of document the 9F61 number belongs to."""

    ID_CARD = "id_card"
    OFFICER_CARD = "officer_card"
    PASSPORT = "passport"
    ENTRY_PERMIT = "entry_permit"
    TEMPORARY_ID_CARD = "temporary_id_card"
    OTHER = "other"


HOLDER_ID_TYPES = {
    0x00: HolderIdType.ID_CARD,
    0x01: HolderIdType.OFFICER_CARD,
    0x02: HolderIdType.PASSPORT,
    0x03: HolderIdType.ENTRY_PERMIT,
    0x04: HolderIdType.TEMPORARY_ID_CARD,
    0x05: HolderIdType.OTHER,
}


def luhn_valid(number: str) -> bool:
    if not 12 <= len(number) <= 19 or not number.isascii() or not number.isdigit():
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def mask_pan(pan: str) -> str:
    """First 6 and last 4 digits, as PCI DSS allows on a display: ``621700*********2348``."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def mask_holder_id(number: str) -> str:
    """First 3 and last 4 characters, the kiosk's rule for ID numbers everywhere."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def decode_bcd_digits(value: bytes) -> str:
    """Packed BCD, right-padded with F nibbles (PAN, tag 5A)."""
    digits = value.hex().upper().rstrip("F")
    if not digits.isdigit():
        raise BankCardDataError("a BCD number holds a nibble that is not a digit")
    return digits


def decode_date(value: bytes) -> dt.date:
    """YYMMDD in BCD (5F24, 5F25); EMV dates are in 2000-2099... except that 50-99 read as 19xx."""
    text = value.hex()
    if len(value) != 3 or not text.isdigit():
        raise BankCardDataError("a card date is not three BCD bytes")
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:])
    year += 2000 if year < 50 else 1900
    if not 1 <= month <= 12:
        raise BankCardDataError("a card date has no valid month")
    # Cards often carry the last day of the month; a day the month lacks still means "end of that month".
    day = min(max(day, 1), calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


@dataclasses.dataclass(frozen=True)
class Track2:
    """Tag 57, decoded only far enough to back up a missing 5A or 5F24. Never leaves the package."""

    pan: str
    expiry: dt.date

    def __repr__(self) -> str:
        return "Track2(...)"


def decode_track2(value: bytes) -> Track2:
    text = value.hex().upper().rstrip("F")
    pan, separator, rest = text.partition("D")
    if not separator or not pan.isdigit() or len(rest) < 4 or not rest[:4].isdigit():
        raise BankCardDataError("track-2 equivalent data is malformed")
    year, month = 2000 + int(rest[:2]), int(rest[2:4])
    if not 1 <= month <= 12:
        raise BankCardDataError("track-2 equivalent data has no valid month")
    return Track2(pan, dt.date(year, month, calendar.monthrange(year, month)[1]))


def decode_text(value: bytes) -> str:
    """An ``ans`` field (5F20, 50, 9F12); some PBOC cards put GB 18030 there, so that is the fallback."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        text = value.decode("gb18030", errors="replace")
    return text.strip(" \x00")


@dataclasses.dataclass(frozen=True, repr=False)
class BankCard:
    """One read of one card's chosen application."""

    pan: str  # full PAN: memory only, for the payout request
    expiry: dt.date
    aid: str  # hex, upper case
    label: str = ""
    cardholder_name: str = ""
    holder_id: str = ""  # PBOC 9F61: personal, memory only
    holder_id_type: HolderIdType | None = None

    @property
    def pan_masked(self) -> str:
        return mask_pan(self.pan)

    @property
    def holder_id_masked(self) -> str:
        return mask_holder_id(self.holder_id)

    def __repr__(self) -> str:
        return f"BankCard({self.pan_masked}, {self.aid}, expires {self.expiry:%Y-%m})"

    def public(self) -> dict[str, str | None]:
        """What may be shown or printed: the keys ``kiosk devices bankcard read --json`` prints."""
        return {
            "pan_masked": self.pan_masked,
            "expiry": f"{self.expiry:%Y-%m}",
            "cardholder_name": self.cardholder_name,
            "aid": self.aid,
            "label": self.label,
            "holder_id_masked": self.holder_id_masked or None,
        }


def check_card(card: BankCard, today: dt.date) -> BankCard:
    """The checks a payout needs before it names this account; the card back, or a typed error."""
    if not luhn_valid(card.pan):
        raise LuhnCheckFailed("the PAN fails the Luhn check")
    if card.expiry < today:
        raise CardExpired(f"the card expired in {card.expiry:%Y-%m}")
    return card
