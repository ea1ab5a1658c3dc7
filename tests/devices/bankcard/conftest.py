"""A pcscd of the tests' own, started once per session, and a virtual card slot in its vpcd reader."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from kiosk.devices.bankcard.pcsc import PcscService
from kiosk.devices.bankcard.pcscd import SOCKET_ENV, PrivatePcscd
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard

from ..support import wait_until

READER = "Virtual PCD 00 00"  # vpcd's first slot, on the port the daemon was given


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    daemon = PrivatePcscd(tmp_path_factory.mktemp("pcscd"))
    previous = os.environ.get(SOCKET_ENV)
    # libpcsclite reads the socket name once, at the first context this process makes.
    os.environ.update(daemon.env)
    daemon.start()
    yield daemon
    daemon.stop()
    if previous is None:
        os.environ.pop(SOCKET_ENV, None)
    else:
        os.environ[SOCKET_ENV] = previous


def slot_empty() -> bool:
    service = PcscService()
    try:
        return READER in service.readers() and not service.card_present(READER)
    finally:
        service.disconnect()


@pytest.fixture
def insert(pcscd: PrivatePcscd) -> Iterator[Callable[[VirtualCard], VpcdCard]]:
    """Put a virtual card in the vpcd slot; afterwards take it out and wait until pcscd has seen that.

    pcscd polls vpcd about every 400 ms; a card swapped faster than that looks like one card to it.
    """
    cards: list[VpcdCard] = []

    def put(card: VirtualCard) -> VpcdCard:
        wait_until(slot_empty, timeout=10, what="the vpcd slot to be empty")
        vpcd_card = VpcdCard(card, port=pcscd.vpcd_port)
        vpcd_card.insert()
        cards.append(vpcd_card)
        return vpcd_card

    yield put
    for vpcd_card in cards:
        vpcd_card.remove()
    if pcscd.running:
        wait_until(slot_empty, timeout=10, what="the vpcd slot to be empty")
