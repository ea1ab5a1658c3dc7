"""The real parts around a kiosk process: the reference centre on loopback with a database file, the link
between them, the SAM ID card emulator on a pty, the virtual printer on TCP, and a pcscd of the tests' own
with vpcd as its reader, whose slot takes synthetic bank cards."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from central_server.app import create_app
from central_server.seed import DEMO_PASSWORD
from central_server.testing import serve_in_thread
from kiosk.devices.bankcard.demo_cards import DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.pcscd import PrivatePcscd
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.services.withdrawal import claim_number

from .kiosk_process import KioskProcess, KioskRefused, KioskSetup
from .link import Link
from .outbox_file import outbox_rows

TERMINAL_ID = "KIOSK-E2E-01"
SECRET = "e2e-terminal-secret-synthetic"
PASSWORD = DEMO_PASSWORD
BANKCARD_URL = "pcsc://?reader=Virtual&poll_ms=20&apdu_timeout_ms=1000"


@dataclass(frozen=True)
class Centre:
    app: FastAPI
    base_url: str


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    """Only the kiosk processes talk to it (through `env`); this process never makes a PC/SC context, so
    it cannot take the socket of another test's pcscd, nor they this one's."""
    daemon = PrivatePcscd(tmp_path_factory.mktemp("e2e-pcscd"))
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    """Demo mode (its synthetic citizens) on a database file, so every write is on disk."""
    app = create_app(f"sqlite:///{tmp_path / 'central.db'}", demo=True, terminals={TERMINAL_ID: SECRET})
    with serve_in_thread(app) as server:
        yield Centre(app, server.base_url)


@pytest.fixture
def link(centre: Centre) -> Iterator[Link]:
    with Link(centre.base_url) as link:
        yield link


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    with SamEmulator() as emulator:
        yield emulator


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(out_dir=tmp_path / "receipts", port=0) as printer:
        yield printer


@pytest.fixture
def setup(tmp_path: Path, link: Link, emulator: SamEmulator, printer: VirtualPrinter) -> KioskSetup:
    return KioskSetup(
        terminal_id=TERMINAL_ID,
        secret=SECRET,
        data_dir=tmp_path / "kiosk" / "data",
        central_url=link.url,
        idcard_url=f"sam+serial://{emulator.path}?baud=115200&poll_ms=100",
        printer_url=printer.url,
        bankcard_url=BANKCARD_URL,
    )


StartKiosk = Callable[[KioskSetup], KioskProcess]


@pytest.fixture
def start_kiosk(tmp_path: Path, pcscd: PrivatePcscd) -> Iterator[StartKiosk]:
    """Starts a kiosk process and waits until its parts are up; none outlives the test."""
    kiosks: list[KioskProcess] = []

    def start(setup: KioskSetup) -> KioskProcess:
        number = len(kiosks) + 1
        settings_file = setup.write(tmp_path / f"kiosk-{number}.toml")
        kiosk = KioskProcess(settings_file, pcscd.env, tmp_path / f"kiosk-{number}.log")
        kiosks.append(kiosk)
        ready = kiosk.call("ready", wait_s=20)
        assert ready["problems"] == [], f"parts that did not start: {ready['problems']}; see {kiosk.log_path}"
        assert set(ready["devices"].values()) == {"idle"}, ready["devices"]
        return kiosk

    yield start
    for kiosk in kiosks:
        kiosk.close()


class BankCardSlot:
    """The vpcd reader's slot: one synthetic debit card at a time, in the name of the citizen it is for."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._card: VpcdCard | None = None

    def insert_debit_card(self, holder: IdCard) -> str:
        """Puts the holder's own debit card in (the previous one must be out); returns its PAN."""
        assert self._card is None, "take the last card out first"
        # The birth date and sequence digits make each citizen's card distinct, as in the demo.
        pan = synthetic_pan(DEBIT_PREFIX, int(holder.id_number[6:17]))
        card = VpcdCard(VirtualCard(made_card(pan=pan, holder_id=holder.id_number)), port=self._port)
        card.insert()
        self._card = card
        return pan

    def take_out(self) -> bool:
        """Takes the card out; whether there was one."""
        card, self._card = self._card, None
        if card is None:
            return False
        card.remove()
        return True


@pytest.fixture
def bank_cards(pcscd: PrivatePcscd) -> Iterator[BankCardSlot]:
    slot = BankCardSlot(pcscd.vpcd_port)
    yield slot
    slot.take_out()


# -- steps of a visit ------------------------------------------------------------------------------------


def place_id_card(kiosk: KioskProcess, emulator: SamEmulator, card: IdCard, *, swap: bool = False) -> None:
    """Lays the card on the emulated reader and waits for the kiosk to begin its visit. With `swap`, the
    card on the reader is taken off first, and the kiosk must see that (the reader polls: a card swapped
    between two polls would look like the same card)."""
    if swap:
        emulator.remove_card()
        kiosk.call("card_taken", wait_s=10)
    emulator.place_card(card)
    assert kiosk.call("card_placed", wait_s=10) == ""


def until_answered(kiosk: KioskProcess, command: str, attempts: int = 30, **arguments: object) -> object:
    """A command that needs the centre, repeated while the centre cannot be reached, as a citizen taps
    again: through the chaos proxy many requests fail."""
    for _ in range(attempts):
        try:
            result = kiosk.call(command, **arguments)
        except KioskRefused as refused:
            if refused.error != "Unavailable":
                raise
            continue
        if result != "unavailable":  # a sign-in's outcome
            return result
    raise AssertionError(f"{command} found no way through to the centre in {attempts} attempts")


def amount_text(fen: int) -> str:
    """As the citizen types it on the keypad."""
    return f"{fen // 100}.{fen % 100:02d}"


def key_of(data_dir: Path, number: str) -> str:
    """The idempotency key of the outbox row whose claim number is `number`, read from the outbox file."""
    keys = [
        row.idempotency_key
        for row in outbox_rows(data_dir)
        if claim_number(TERMINAL_ID, row.idempotency_key) == number
    ]
    assert len(keys) == 1, f"{len(keys)} outbox rows have claim number {number}"
    return keys[0]


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:g} s for {what}")
        time.sleep(0.02)
