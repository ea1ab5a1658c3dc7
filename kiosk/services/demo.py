"""The demo's staff controls: pick any synthetic citizen and "place" their ID card on the emulated reader.

The card faces come from the reference central's demo endpoint, so the demo always shows citizens the
central knows; the kiosk itself never imports the reference server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from kiosk.central import CentralClient
from kiosk.central.models import DemoCard
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard
from kiosk.i18n import N_
from kiosk.masking import mask_id_number

# The chip's photo is opaque to the kiosk; the emulator needs some bytes of the right size.
_DEMO_PHOTO = bytes(1024)


class CardPlacer(Protocol):
    def place_card(self, card: IdCard) -> None: ...
    def remove_card(self) -> None: ...


@dataclass(frozen=True)
class DemoCitizen:
    name: str  # synthetic, so shown in full to the demo's operator
    id_masked: str
    tags: tuple[str, ...]  # message ids: "Sealed account", "Has a loan", …
    card: IdCard


def card_from_demo(face: DemoCard) -> IdCard:
    valid_to: dt.date | Literal["long_term"] = (
        LONG_TERM if face.valid_to in ("long_term", "长期") else dt.date.fromisoformat(face.valid_to)
    )
    return IdCard(
        card_type=CardType.RESIDENT,
        name=face.name,
        gender=Gender(face.gender),
        nation=face.nation,
        birth_date=face.birth_date,
        address=face.address,
        id_number=face.id_number,
        issuing_authority=face.issuing_authority,
        valid_from=face.valid_from,
        valid_to=valid_to,
        photo=_DEMO_PHOTO,
    )


class DemoService:
    def __init__(
        self,
        central: CentralClient,
        placer: CardPlacer,
        last_receipt: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self._central = central
        self._placer = placer
        self.last_receipt = last_receipt  # the PNG the demo's virtual printer drew last

    def citizens(self) -> list[DemoCitizen]:
        """Blocking (HTTP): call from a worker."""
        result = []
        for face in self._central.demo_cards():
            tags = []
            if face.status == "sealed":
                tags.append(N_("Sealed account"))
            elif face.status == "closed":
                tags.append(N_("Closed account"))
            if face.has_loan:
                tags.append(N_("Has a loan"))
            result.append(
                DemoCitizen(face.name, mask_id_number(face.id_number), tuple(tags), card_from_demo(face))
            )
        return result

    def place(self, citizen: DemoCitizen) -> None:
        self._placer.place_card(citizen.card)

    def remove(self) -> None:
        self._placer.remove_card()
