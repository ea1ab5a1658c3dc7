"""What the read flow needs from a reader: a channel to the card in it, one command at a time."""

from __future__ import annotations

from typing import Protocol

from kiosk.devices.base import CommandContext


class Channel(Protocol):
    def transmit(self, capdu: bytes, ctx: CommandContext) -> bytes:
        """One command APDU to the card, its raw response APDU back.

        Raises ``BankCardRemoved``, ``CardMute`` (no answer within the channel's timeout) or ``ReaderGone``,
        and ``CommandCancelled``/``CommandTimeout`` when ``ctx`` says so.
        """

    def close(self) -> None:
        """Let go of the card; never raises."""
