"""The ID card reader's events, as the app receives them: the device's ``IdCardInserted`` and
``IdCardRemoved`` become the service's ``CardPlaced(holder)`` and ``CardTaken``, through a real (in-process)
reader from the registry."""

from __future__ import annotations

import datetime as dt

from kiosk.devices.registry import open_device
from kiosk.services.idcard import CardPlaced, CardTaken, IdCardService
from tests.devices.support import RESIDENT, Recorder


def test_a_card_placed_and_taken_reaches_the_app_as_a_holder_and_a_taken_card() -> None:
    reader = open_device("idcard", "sim://?poll_ms=10", do_not_open=True)
    service = IdCardService(reader, today=lambda: dt.date(2026, 1, 5))
    events = Recorder()
    service.listen(events)
    service.start()
    try:
        reader.place_card(RESIDENT)  # type: ignore[attr-defined]
        (placed,) = events.wait_count(CardPlaced, 1)
        assert (placed.holder.name, placed.holder.id_number, placed.holder.expired) == (
            RESIDENT.name,
            RESIDENT.id_number,
            False,
        )
        reader.remove_card()  # type: ignore[attr-defined]
        events.wait_count(CardTaken, 1)
    finally:
        service.close()
        reader.close().result(10)  # the same close, awaited
    assert [type(event) for event in events.events] == [CardPlaced, CardTaken]
