"""From the ID card reader's events to "who is at the kiosk": the device knows cards, this knows people.

Reader callbacks arrive on the reader's own thread; listeners get them there too and must hand them on
(the app schedules them onto the UI thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.reader import IdCardInserted, IdCardReader, IdCardReadFailed, IdCardRemoved
from kiosk.i18n import N_
from kiosk.services.citizen import CardHolder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardPlaced:
    holder: CardHolder


@dataclass(frozen=True)
class CardTaken:
    """The citizen took their ID card off the reader."""


@dataclass(frozen=True)
class CardUnreadable:
    reason: str  # a message id for the citizen ("place the card flat", …)


CardEvent = CardPlaced | CardTaken | CardUnreadable


def holder_from_card(card: IdCard, today: date) -> CardHolder:
    return CardHolder(
        name=card.name,
        id_number=card.id_number,
        card_type=card.card_type,
        expired=card.expired(today),
    )


class IdCardService:
    def __init__(self, reader: IdCardReader, today: Callable[[], date] = date.today) -> None:
        self._reader = reader
        self._today = today
        self._listeners: list[Callable[[CardEvent], None]] = []
        reader.subscribe_cards(self._on_device_event)

    @property
    def reader(self) -> IdCardReader:
        return self._reader

    def listen(self, callback: Callable[[CardEvent], None]) -> None:
        self._listeners.append(callback)

    def start(self) -> None:
        self._reader.open()

    def close(self) -> None:
        self._reader.close()

    def _on_device_event(self, event: object) -> None:
        if isinstance(event, IdCardInserted):
            translated: CardEvent = CardPlaced(holder_from_card(event.card, self._today()))
        elif isinstance(event, IdCardRemoved):
            translated = CardTaken()
        elif isinstance(event, IdCardReadFailed):
            log.info("ID card read failed: %s", event.reason_key)
            translated = CardUnreadable(
                N_("Could not read the card. Please place it flat on the reader again.")
            )
        else:
            return
        for listener in list(self._listeners):
            listener(translated)
