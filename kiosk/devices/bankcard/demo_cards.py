"""Virtual bank cards made to order: a debit or credit card with a given PAN and holder ID (9F61).

The demo puts the signed-in citizen's own debit card in the reader, and tests make cards for the holders
they need. Each is one of the packaged cards (``cards/*.json``) with its personal data elements replaced,
so it answers exactly as that card does. Every value is synthetic.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

from kiosk.devices.bankcard.card import luhn_valid
from kiosk.devices.bankcard.virtual_card import CardProfile, bundled_card

# Synthetic issuer prefixes: debit cards 6217 99…, credit cards 6222 99…, 19 digits with a Luhn check.
DEBIT_PREFIX = "621799"
CREDIT_PREFIX = "622299"
_SERIAL_DIGITS = 12
_DEBIT_BASE = "pboc_debit_contactless"
_CREDIT_BASE = "pboc_credit_contact"
_HOLDER_TAGS = (0x9F61, 0x9F62)
_SERVICE_CODE = "220"  # as the packaged cards have it: international IC card, normal authorisation


def synthetic_pan(prefix: str, serial: int) -> str:
    """``prefix`` + ``serial`` as 12 digits + the Luhn check digit: ``synthetic_pan("621799", 7)``."""
    if not prefix.isdigit() or not 0 <= serial < 10**_SERIAL_DIGITS:
        raise ValueError(f"a PAN is a digit prefix and a serial of at most {_SERIAL_DIGITS} digits")
    body = f"{prefix}{serial:0{_SERIAL_DIGITS}d}"
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def years_ahead(today: dt.date, years: int) -> dt.date:
    """The last day of ``today``'s month ``years`` later: a card's expiry that stays ahead of the clock."""
    year = today.year + years
    return dt.date(year, today.month, calendar.monthrange(year, today.month)[1])


def _bcd(digits: str) -> bytes:
    return bytes.fromhex(digits + "F" * (len(digits) % 2))


def made_card(
    *,
    pan: str,
    holder_id: str | None,
    credit: bool = False,
    expiry: dt.date | None = None,
    cardholder_name: str = "CESHI/DEMO",
) -> CardProfile:
    """A UnionPay debit (or credit) card with this PAN; ``holder_id`` goes into 9F61 with 9F62 = ID card,
    or the card carries no holder ID at all when it is None. ``expiry`` defaults to five years ahead."""
    if not luhn_valid(pan):
        raise ValueError("pan must be 12 to 19 digits that pass the Luhn check")
    if not cardholder_name.isascii() or not (holder_id or "").isascii():
        raise ValueError("cardholder_name and holder_id must be ASCII, as tags 5F20 and 9F61 hold them")
    expiry = expiry or years_ahead(dt.date.today(), 5)
    base = bundled_card(_CREDIT_BASE if credit else _DEBIT_BASE)
    app = base.applications[0]
    track2 = f"{pan}D{expiry:%y%m}{_SERVICE_CODE}" + "0" * 13
    elements = dict(app.elements)
    elements.update(
        {
            0x5A: _bcd(pan),
            0x57: _bcd(track2),
            0x5F24: _bcd(f"{expiry:%y%m%d}"),
            0x5F20: cardholder_name.encode("ascii"),
        }
    )
    if holder_id is None:
        for tag in _HOLDER_TAGS:
            elements.pop(tag, None)
    else:
        elements[0x9F61] = holder_id.encode("ascii")
        elements[0x9F62] = b"\x00"  # ID card
    # A record lists only what the card holds: without a holder ID, 9F61 and 9F62 leave their record.
    records = {
        sfi: tuple(tuple(tag for tag in record if tag in elements) for record in layout)
        for sfi, layout in app.records.items()
    }
    application = dataclasses.replace(app, elements=elements, records=records)
    kind = "credit" if credit else "debit"
    return dataclasses.replace(base, name=f"made_{kind}", applications=(application,))
