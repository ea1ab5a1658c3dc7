"""The SAM reader driver against the emulator over a real pty, and the in-process simulated reader."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.devices.base import CommandCancelled, CommandTimeout, DeviceState, HealthLevel, StatusChange
from kiosk.devices.idcard.card import encode_text_block
from kiosk.devices.idcard.codec import CardData, Command
from kiosk.devices.idcard.emulator import SAMPLE_CARDS, EmulatorTiming, SamEmulator, load_card_file
from kiosk.devices.idcard.reader import (
    IdCardInserted,
    IdCardReadFailed,
    IdCardRemoved,
    SamIdCardReader,
    SimIdCardReader,
)
from kiosk.devices.registry import open_device

from .support import RESIDENT, Recorder, wait_until

CARDS = SAMPLE_CARDS
FAST = "poll_ms=20&timeout_ms=100&reopen_ms=50"


@dataclasses.dataclass
class Rig:
    reader: SamIdCardReader
    cards: Recorder
    states: Recorder

    def wait_state(self, state: DeviceState, timeout: float = 10.0) -> None:
        wait_until(lambda: self.reader.state is state, timeout, f"state {state}")


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "ttyID0"  # a stable name, as udev's /dev/serial/by-id gives


@pytest.fixture
def emulator(link: Path) -> Iterator[SamEmulator]:
    with SamEmulator(link=link) as sam:
        yield sam


@pytest.fixture
def make_rig() -> Iterator[Callable[..., Rig]]:
    readers: list[SamIdCardReader] = []

    def make(path: str | Path, params: str = FAST) -> Rig:
        reader = open_device("idcard", f"sam+serial://{path}?{params}", do_not_open=True)
        assert isinstance(reader, SamIdCardReader)
        rig = Rig(reader, Recorder(), Recorder())
        reader.subscribe_cards(rig.cards)
        reader.subscribe(rig.states)
        reader.open()
        readers.append(reader)
        return rig

    yield make
    for reader in readers:
        reader.close().result(timeout=3)


@pytest.fixture
def rig(emulator: SamEmulator, make_rig: Callable[..., Rig]) -> Rig:
    rig = make_rig(emulator.path)
    rig.wait_state(DeviceState.IDLE)
    return rig


def let_it_poll(emulator: SamEmulator, cycles: int = 10) -> None:
    finds = emulator.received(Command.FIND)
    wait_until(lambda: emulator.received(Command.FIND) >= finds + cycles, what=f"{cycles} find polls")


@pytest.mark.parametrize(
    "card_file",
    ["resident.toml", "resident_long_term.json", "hmt_permit.toml", "foreign_2017.toml", "foreign_2023.json"],
)
def test_each_card_type_is_read_once_per_placement(emulator: SamEmulator, rig: Rig, card_file: str) -> None:
    card = load_card_file(CARDS / card_file)
    emulator.place_card(card)
    assert rig.cards.wait_count(IdCardInserted, 1)[0].card == card
    let_it_poll(emulator)  # the card rests: find keeps saying 9F, and nothing is read again
    assert len(rig.cards.of(IdCardInserted)) == 1
    assert emulator.received(Command.READ) == 1
    assert emulator.received(Command.SELECT) == 1

    emulator.remove_card()
    rig.cards.wait_count(IdCardRemoved, 1)
    emulator.place_card(card)
    rig.cards.wait_count(IdCardInserted, 2)
    assert rig.cards.events == [IdCardInserted(card), IdCardRemoved(), IdCardInserted(card)]
    assert emulator.received(Command.READ) == 2
    stats = rig.reader.statistics
    assert (stats.reads, stats.failures, stats.communication_errors) == (2, 0, 0)
    assert [change.new for change in rig.states.events] == [DeviceState.IDLE]


def test_fingerprint_read(emulator: SamEmulator, make_rig: Callable[..., Rig]) -> None:
    card = dataclasses.replace(RESIDENT, fingerprint=b"SYNTHETIC FINGER" * 32)
    rig = make_rig(emulator.path, FAST + "&fingerprint=1")
    emulator.place_card(card)
    assert rig.cards.wait_count(IdCardInserted, 1)[0].card == card
    assert emulator.received(Command.READ_WITH_FINGERPRINT) == 1 and emulator.received(Command.READ) == 0


@pytest.mark.parametrize(
    ("fault", "state", "reason"),
    [
        ("checksum_error", DeviceState.ERROR, "checksum"),
        ("truncated_frame", DeviceState.OFFLINE, "no answer to find"),
        ("silence", DeviceState.OFFLINE, "no answer to find"),
        ("sam_not_authorised", DeviceState.ERROR, "SAM not authorised"),
    ],
)
def test_the_reader_reports_a_faulty_line_and_recovers(
    emulator: SamEmulator, rig: Rig, fault: str, state: DeviceState, reason: str
) -> None:
    emulator.set_fault(fault)
    emulator.place_card(RESIDENT)
    rig.wait_state(state)
    assert reason in rig.states.events[-1].reason
    let_it_poll(emulator, 3)
    assert rig.cards.events == [] and emulator.received(Command.READ) == 0
    stats = rig.reader.statistics
    assert stats.failures >= 3
    if state is DeviceState.OFFLINE:
        assert stats.timeouts >= 3
    if fault != "sam_not_authorised":
        assert stats.communication_errors >= 3

    emulator.set_fault(None)
    assert rig.cards.wait_count(IdCardInserted, 1)[0].card == RESIDENT
    assert rig.reader.state is DeviceState.IDLE
    assert rig.states.events[-2:] == [
        StatusChange(DeviceState.IDLE, state, rig.states.events[-2].reason),
        StatusChange(state, DeviceState.IDLE, "answering again"),
    ]


def test_a_card_the_field_does_not_see_is_not_reported(emulator: SamEmulator, rig: Rig) -> None:
    emulator.set_fault("no_card")
    emulator.place_card(RESIDENT)
    let_it_poll(emulator)
    assert rig.cards.events == [] and rig.reader.state is DeviceState.IDLE
    emulator.set_fault(None)
    rig.cards.wait_count(IdCardInserted, 1)


def test_garbage_on_the_line_is_survived_without_losing_the_read(emulator: SamEmulator, rig: Rig) -> None:
    emulator.set_fault("garbage")
    emulator.place_card(RESIDENT)
    assert rig.cards.wait_count(IdCardInserted, 1)[0].card == RESIDENT
    let_it_poll(emulator, 5)
    assert len(rig.cards.events) == 1 and emulator.received(Command.READ) == 1
    assert rig.reader.state is DeviceState.IDLE
    assert rig.reader.statistics.communication_errors >= 5  # noticed, and resynchronised each time


def test_a_card_lifted_between_select_and_read(emulator: SamEmulator, rig: Rig) -> None:
    emulator.set_fault("removed_between_select_and_read")
    emulator.place_card(RESIDENT)
    rig.cards.wait_count(IdCardRemoved, 1)
    assert rig.cards.events == [IdCardReadFailed("read_failed"), IdCardRemoved()]
    assert rig.reader.state is DeviceState.IDLE  # the card's trouble, not the reader's

    emulator.set_fault(None)
    emulator.place_card(RESIDENT)
    assert rig.cards.wait_count(IdCardInserted, 1)[0].card == RESIDENT
    assert rig.reader.statistics.failures == 1


def test_an_unreadable_card_is_reported_once_while_it_rests(emulator: SamEmulator, rig: Rig) -> None:
    block = bytearray(encode_text_block(RESIDENT))
    block[156:158] = "9".encode("utf-16-le")  # the ID number's check character no longer fits
    with emulator._lock:  # a damaged card: place_card itself refuses to encode one
        emulator._card = CardData(bytes(block), RESIDENT.photo, b"")
    rig.cards.wait_count(IdCardReadFailed, 1)
    let_it_poll(emulator, 5)
    assert rig.cards.events == [IdCardReadFailed("invalid_id_number")]
    assert emulator.received(Command.READ) >= 5  # it keeps trying, in case the card was only misread
    assert rig.reader.state is DeviceState.IDLE
    emulator.remove_card()
    rig.cards.wait_count(IdCardRemoved, 1)


def test_a_line_fault_while_the_card_rests_does_not_cause_a_second_read(
    emulator: SamEmulator, rig: Rig
) -> None:
    emulator.place_card(RESIDENT)
    rig.cards.wait_count(IdCardInserted, 1)
    emulator.set_fault("silence")
    rig.wait_state(DeviceState.OFFLINE)
    emulator.set_fault(None)
    rig.wait_state(DeviceState.IDLE)
    let_it_poll(emulator, 5)
    assert rig.cards.events == [IdCardInserted(RESIDENT)]
    assert emulator.received(Command.READ) == 1


def test_hot_plug_the_pty_closes_and_reopens_at_the_same_path(
    link: Path, emulator: SamEmulator, rig: Rig
) -> None:
    emulator.place_card(RESIDENT)
    rig.cards.wait_count(IdCardInserted, 1)

    emulator.unplug()  # the cable is pulled: the pty and the by-id link disappear
    rig.wait_state(DeviceState.NO_DEVICE)
    assert not os.path.lexists(link)
    assert rig.cards.events == [IdCardInserted(RESIDENT), IdCardRemoved()]
    attempts = rig.reader.statistics.reopen_attempts
    wait_until(lambda: rig.reader.statistics.reopen_attempts >= attempts + 2, what="reopen attempts")
    assert rig.reader.state is DeviceState.NO_DEVICE

    emulator.replug()  # plugged in again: a new pty behind the same link, the card still on it
    assert os.readlink(link) == emulator.device_path
    rig.wait_state(DeviceState.IDLE)  # by itself: nobody reopens the reader
    rig.cards.wait_count(IdCardInserted, 2)  # the card that lay there all along is read again, once
    let_it_poll(emulator, 5)
    assert emulator.received(Command.READ) == 2 and len(rig.cards.of(IdCardInserted)) == 2

    emulator.remove_card()
    rig.cards.wait_count(IdCardRemoved, 2)
    other = load_card_file(CARDS / "hmt_permit.toml")
    emulator.place_card(other)  # and the next card is read as usual
    assert rig.cards.wait_count(IdCardInserted, 3)[-1].card == other
    assert [change.new for change in rig.states.events] == [
        DeviceState.IDLE,
        DeviceState.NO_DEVICE,
        DeviceState.IDLE,
    ]


def test_a_reader_opened_before_it_is_plugged_in(link: Path, make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(link)
    assert rig.reader.open().result(timeout=2) is DeviceState.NO_DEVICE
    assert "cannot open" in rig.states.events[-1].reason
    with SamEmulator(link=link) as emulator:
        rig.wait_state(DeviceState.IDLE)
        emulator.place_card(RESIDENT)
        rig.cards.wait_count(IdCardInserted, 1)


def test_wait_for_card_returns_the_next_placement(emulator: SamEmulator, rig: Rig) -> None:
    future = rig.reader.wait_for_card(timeout=3)
    time.sleep(0.1)
    emulator.place_card(RESIDENT)
    assert future.result(timeout=3) == RESIDENT
    assert rig.cards.events == [IdCardInserted(RESIDENT)]  # the events flow as usual

    resting = rig.reader.wait_for_card(timeout=0.3)  # a card that was read already does not count
    with pytest.raises(CommandTimeout):
        resting.result(timeout=3)


def test_wait_for_card_cancelled_mid_exchange(make_rig: Callable[..., Rig]) -> None:
    # A slow find, so that the cancel lands while an answer is on its way: that late answer must not be
    # taken for the answer to a later command, or every exchange after it would be off by one.
    with SamEmulator(timing=EmulatorTiming(find=0.2)) as emulator:
        rig = make_rig(emulator.path, "poll_ms=20&timeout_ms=1000")
        rig.wait_state(DeviceState.IDLE)
        future = rig.reader.wait_for_card(timeout=30)
        wait_until(future.running, what="the wait to start")
        finds = emulator.received(Command.FIND)
        wait_until(lambda: emulator.received(Command.FIND) > finds, what="a find in flight")
        time.sleep(0.05)
        started = time.monotonic()
        future.cancel()
        with pytest.raises(CommandCancelled):
            future.result(timeout=3)
        assert time.monotonic() - started < 0.15

        emulator.place_card(RESIDENT)
        assert rig.cards.wait_count(IdCardInserted, 1)[0].card == RESIDENT  # polling carries on
        assert rig.cards.events == [IdCardInserted(RESIDENT)]
        assert rig.reader.statistics.communication_errors >= 1  # the late answer, recognised and dropped


def test_external_health_asks_the_sam(emulator: SamEmulator, rig: Rig) -> None:
    report = rig.reader.health(HealthLevel.EXTERNAL).result(timeout=3)
    assert report.ok
    assert report.text.endswith("SAM ready, SAM id " + b"SYNTHETIC-SAM-ID".hex(" "))
    emulator.set_fault("sam_not_authorised")
    report = rig.reader.health(HealthLevel.EXTERNAL).result(timeout=3)
    assert not report.ok and "SAM not authorised" in report.text
    assert rig.reader.health().result().text.startswith(f"idcard {rig.reader.url}: ")


def test_nothing_personal_reaches_the_log(
    emulator: SamEmulator, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.devices")
    emulator.place_card(RESIDENT)
    rig.cards.wait_count(IdCardInserted, 1)
    emulator.set_fault("checksum_error")
    rig.wait_state(DeviceState.ERROR)
    emulator.set_fault(None)
    emulator.remove_card()
    rig.cards.wait_count(IdCardRemoved, 1)
    text = caplog.text
    assert "READ -> SW3 90" in text and "FIND -> SW3 9F" in text  # command codes and status only
    for value in (
        RESIDENT.name,
        RESIDENT.id_number,
        RESIDENT.address,
        "19900101",
        RESIDENT.issuing_authority,
    ):
        assert value not in text


# -- the simulated reader ------------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[SimIdCardReader]:
    reader = open_device("idcard", "sim://default?poll_ms=10")
    assert isinstance(reader, SimIdCardReader)
    yield reader
    reader.close().result(timeout=2)


def test_the_simulated_reader_gives_the_same_events(sim: SimIdCardReader) -> None:
    cards = Recorder()
    sim.subscribe_cards(cards)
    sim.place_card(RESIDENT)
    cards.wait_count(IdCardInserted, 1)
    time.sleep(0.1)
    sim.remove_card()
    cards.wait_count(IdCardRemoved, 1)
    sim.place_card(RESIDENT)
    cards.wait_count(IdCardInserted, 2)
    assert cards.events == [IdCardInserted(RESIDENT), IdCardRemoved(), IdCardInserted(RESIDENT)]
    assert sim.statistics.reads == 2
    assert sim.health(HealthLevel.EXTERNAL).result(timeout=2).ok


def test_the_simulated_reader_waits_for_a_card(sim: SimIdCardReader) -> None:
    with pytest.raises(CommandTimeout):
        sim.wait_for_card(timeout=0.1).result(timeout=2)
    future = sim.wait_for_card(timeout=2)
    sim.place_card(RESIDENT)
    assert future.result(timeout=2) == RESIDENT
