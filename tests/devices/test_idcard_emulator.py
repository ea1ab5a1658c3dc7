"""The emulator over a raw pty, byte for byte, and its card files."""

from __future__ import annotations

import base64
import dataclasses
import os
import select
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.devices.idcard.card import IdCard, decode_text_block
from kiosk.devices.idcard.codec import Command, build_frame, command_frame
from kiosk.devices.idcard.emulator import (
    SAMPLE_CARDS,
    SYNTHETIC_PHOTO,
    IdCardFileError,
    SamEmulator,
    load_card_file,
)

from .support import FOREIGN_2017, FOREIGN_2023, HMT_PERMIT, RESIDENT, RESIDENT_LONG_TERM_X

CARDS = SAMPLE_CARDS


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    with SamEmulator() as sam:
        yield sam


@pytest.fixture
def port(emulator: SamEmulator) -> Iterator[int]:
    fd = os.open(emulator.device_path, os.O_RDWR | os.O_NOCTTY)
    yield fd
    os.close(fd)


def exchange(fd: int, frame: bytes, expect: int, timeout: float = 1.0) -> bytes:
    os.write(fd, frame)
    received = b""
    deadline = time.monotonic() + timeout
    while len(received) < expect and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.05)[0]:
            received += os.read(fd, 4096)
    return received


def test_find_without_and_with_a_card(emulator: SamEmulator, port: int) -> None:
    assert exchange(port, command_frame(Command.FIND), 11) == bytes.fromhex(
        "AA AA AA 96 69 00 04 00 00 80 84"
    )
    emulator.place_card(RESIDENT)
    answer = exchange(port, command_frame(Command.FIND), 15)
    assert answer == bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")


def test_a_full_read_is_1295_bytes_and_takes_its_wire_time(emulator: SamEmulator, port: int) -> None:
    emulator.place_card(RESIDENT)
    exchange(port, command_frame(Command.FIND), 15)
    select_answer = exchange(port, command_frame(Command.SELECT), 19)
    assert select_answer == bytes.fromhex("AA AA AA 96 69 00 0C 00 00 90") + bytes(8) + b"\x9c"
    started = time.monotonic()
    frame = exchange(port, command_frame(Command.READ), 1295)
    elapsed = time.monotonic() - started
    assert len(frame) == 1295
    assert frame[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert decode_text_block(frame[14:270], frame[270:1294]) == RESIDENT
    assert 0.105 < elapsed < 0.4  # 1295 B x 10 bits / 115200 = 112 ms
    assert emulator.received(Command.READ) == 1


def test_read_before_select_fails_and_unknown_or_corrupt_commands_are_refused(
    emulator: SamEmulator, port: int
) -> None:
    emulator.place_card(RESIDENT)
    assert exchange(port, command_frame(Command.READ), 11)[9] == 0x41
    assert exchange(port, build_frame(0x55, 0x01), 11)[9] == 0x21
    corrupt = bytearray(command_frame(Command.FIND))
    corrupt[-1] ^= 0xFF
    assert exchange(port, bytes(corrupt), 11)[9] == 0x10


def test_sam_housekeeping(emulator: SamEmulator, port: int) -> None:
    assert exchange(port, command_frame(Command.SAM_STATUS), 11)[9] == 0x90
    assert exchange(port, command_frame(Command.SAM_ID), 27)[10:26] == b"SYNTHETIC-SAM-ID"
    assert exchange(port, command_frame(Command.RESET), 11)[9] == 0x90


def test_faults_on_the_wire(emulator: SamEmulator, port: int) -> None:
    emulator.place_card(RESIDENT)
    emulator.set_fault("silence")
    assert exchange(port, command_frame(Command.FIND), 15, timeout=0.2) == b""
    emulator.set_fault("sam_not_authorised")
    assert exchange(port, command_frame(Command.FIND), 11)[9] == 0x66
    emulator.set_fault("truncated_frame")
    assert len(exchange(port, command_frame(Command.FIND), 15, timeout=0.2)) == 7
    emulator.set_fault("no_card")
    assert exchange(port, command_frame(Command.FIND), 11)[9] == 0x80
    with pytest.raises(ValueError, match="unknown fault 'fire'"):
        emulator.set_fault("fire")


def test_placing_a_card_the_sam_could_not_hold_fails_at_once(emulator: SamEmulator) -> None:
    with pytest.raises(ValueError, match="photo must be the 1024-byte WLT blob"):
        emulator.place_card(dataclasses.replace(RESIDENT, photo=b"tiny"))


def test_close_removes_the_pty_and_the_link(tmp_path: Path) -> None:
    link = tmp_path / "ttyID0"
    emulator = SamEmulator(link=link)
    assert emulator.path == str(link)
    assert os.readlink(link) == emulator.device_path and os.path.exists(emulator.device_path)
    emulator.close()
    assert not os.path.lexists(link)
    assert not os.path.exists(emulator.device_path)


# -- card files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "card"),
    [
        ("resident.toml", RESIDENT),
        ("resident_long_term.json", RESIDENT_LONG_TERM_X),
        ("hmt_permit.toml", HMT_PERMIT),
        ("foreign_2017.toml", FOREIGN_2017),
        ("foreign_2023.json", FOREIGN_2023),
    ],
)
def test_card_files_load(name: str, card: IdCard) -> None:
    assert load_card_file(CARDS / name) == card


def test_a_card_file_may_carry_its_own_photo_and_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "card.toml"
    photo = bytes(range(256)) * 4
    text = (CARDS / "resident.toml").read_text(encoding="utf-8")
    text += 'photo = "' + base64.b64encode(photo).decode() + '"\n'
    text += 'fingerprint = "' + base64.b64encode(b"F" * 512).decode() + '"\n'
    path.write_text(text, encoding="utf-8")
    card = load_card_file(path)
    assert card.photo == photo and card.fingerprint == b"F" * 512
    assert card.photo != SYNTHETIC_PHOTO


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t + 'colour = "blue"\n', "unknown key 'colour'"),
        (lambda t: t.replace('gender = "male"\n', ""), "missing key 'gender'"),
        (
            lambda t: t.replace("birth_date = 1990-01-01", 'birth_date = "1990-13-01"'),
            "key 'birth_date' must be a date",
        ),
        (lambda t: t.replace('gender = "male"', 'gender = "m"'), "key 'gender' must be one of unknown, male"),
        (
            lambda t: t.replace('card_type = "resident"', 'card_type = "passport"'),
            "key 'card_type' must be one of",
        ),
        (lambda t: t + "issue_count = true\n", "key 'issue_count' must be a whole number"),
        (lambda t: t + 'photo = "not base64!"\n', "key 'photo' must be base64 text"),
        (lambda t: t + 'photo = "AAAA"\n', "photo must be the 1024-byte WLT blob"),
        (lambda t: t + 'pass_number = "H00000001"\n', "pass_number is not on a resident card"),
        (
            lambda t: t.replace("120199199001010012", "120199199001010013"),
            "id_number fails its check character",
        ),
        (lambda t: t.replace('name = "张测试"', "name = 12"), "key 'name' must be text"),
        (lambda t: t + "[[", "not valid TOML"),
    ],
)
def test_card_file_errors_name_the_file_and_the_key(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(edit((CARDS / "resident.toml").read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(IdCardFileError, match=message) as raised:
        load_card_file(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_card_file_kinds(tmp_path: Path) -> None:
    with pytest.raises(IdCardFileError, match=r"\.json or \.toml"):
        (tmp_path / "card.yaml").write_text("card_type: resident\n")
        load_card_file(tmp_path / "card.yaml")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(IdCardFileError, match="one table of keys"):
        load_card_file(tmp_path / "list.json")
    with pytest.raises(IdCardFileError, match="cannot read the card file"):
        load_card_file(tmp_path / "absent.json")


def test_unplug_and_replug_behind_a_stable_link(tmp_path: Path) -> None:
    link = tmp_path / "ttyID0"
    with SamEmulator(link=link) as emulator:
        emulator.place_card(RESIDENT)
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            assert exchange(fd, command_frame(Command.FIND), 15)[9] == 0x9F
            assert exchange(fd, command_frame(Command.SELECT), 19)[9] == 0x90
            emulator.unplug()
            assert not emulator.plugged and not os.path.lexists(link)
            with pytest.raises(OSError):  # what a reader sees when the USB serial adapter is pulled
                os.write(fd, command_frame(Command.FIND))
                os.read(fd, 16)
        finally:
            os.close(fd)
        emulator.unplug()  # twice is harmless

        emulator.replug()
        assert emulator.plugged and os.readlink(link) == emulator.device_path
        with pytest.raises(RuntimeError, match="plugged in already"):
            emulator.replug()
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            assert exchange(fd, command_frame(Command.FIND), 15)[9] == 0x9F  # the card lies there still
            assert exchange(fd, command_frame(Command.READ), 11)[9] == 0x41  # a fresh SAM: nothing selected
        finally:
            os.close(fd)
    with pytest.raises(RuntimeError, match="closed"):
        emulator.replug()
