"""Why a bank card read failed, each with the key of the message the citizen sees.

The UI translates ``message_key``; the text of an exception is for logs and names no card data.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.devices.errors import DeviceError


class BankCardError(DeviceError):
    """Base of every failure of a read. ``message_key`` is stable: the UI maps it to a message."""

    message_key: ClassVar[str] = "bankcard.read_failed"


class LuhnCheckFailed(BankCardError):
    """The PAN the card gives fails the Luhn check: misread, or a card that is not a bank card."""

    message_key = "bankcard.luhn_failed"


class CardExpired(BankCardError):
    message_key = "bankcard.expired"


class UnsupportedCard(BankCardError):
    """No application the kiosk accepts, or one that does not give what a payout needs."""

    message_key = "bankcard.unsupported"


class BankCardDataError(UnsupportedCard):
    """The card answered, but with bytes that do not make sense (bad TLV, missing fields)."""


class BankCardRemoved(BankCardError):
    """The card left the reader (or was never in it) while the kiosk read it."""

    message_key = "bankcard.removed"


class CardMute(BankCardError, TimeoutError):
    """The card is in the reader but does not answer: no ATR, or a command without an answer in time."""

    message_key = "bankcard.mute"


class ReaderGone(BankCardError):
    """The reader (or the PC/SC service behind it) went away."""

    message_key = "bankcard.reader_gone"
