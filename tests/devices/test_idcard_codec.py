"""The SAM codec against the byte-level facts in reference/devices.md §A, plus fuzzing of the parser."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.idcard.codec import (
    MAX_LEN,
    PREAMBLE,
    CardData,
    ChecksumError,
    Command,
    FrameParser,
    LengthError,
    MalformedResponseError,
    Request,
    Response,
    SamProtocolError,
    SamStatusError,
    Sw3,
    answers,
    build_frame,
    build_read_payload,
    build_response,
    checksum,
    command_frame,
    parse_find,
    parse_read,
    parse_select,
    set_baud_frame,
    sw3_meaning,
    wire_seconds,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("command", "frame"),
    [
        (Command.RESET, "AA AA AA 96 69 00 03 10 FF EC"),
        (Command.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
        (Command.SAM_ID, "AA AA AA 96 69 00 03 12 FF EE"),
        (Command.FIND, "AA AA AA 96 69 00 03 20 01 22"),
        (Command.SELECT, "AA AA AA 96 69 00 03 20 02 21"),
        (Command.READ, "AA AA AA 96 69 00 03 30 01 32"),
        (Command.READ_WITH_FINGERPRINT, "AA AA AA 96 69 00 03 30 10 23"),
    ],
)
def test_command_frames_match_the_reference(command: Command, frame: str) -> None:
    assert command_frame(command) == h(frame)


def test_frames_with_data_and_the_public_samples_with_wrong_checksums() -> None:
    assert build_frame(0x61, 0xFF, b"\x50") == h("AA AA AA 96 69 00 04 61 FF 50 CA")
    assert build_frame(0x30, 0x03) == h("AA AA AA 96 69 00 03 30 03 30")
    # Public samples quote find with CHK 21: the checksum is computed, never copied.
    assert command_frame(Command.FIND)[-1] != 0x21


@pytest.mark.parametrize(("baud", "para"), [(115200, 0), (57600, 1), (38400, 2), (19200, 3), (9600, 4)])
def test_set_baud_frames(baud: int, para: int) -> None:
    frame = set_baud_frame(baud)
    assert frame[:9] == h("AA AA AA 96 69 00 03 60") + bytes([para])
    assert frame[-1] == checksum(frame[5:-1])


def test_set_baud_rejects_a_rate_the_sam_lacks() -> None:
    with pytest.raises(ValueError, match="4800"):
        set_baud_frame(4800)


def test_responses_match_the_reference() -> None:
    assert build_response(Sw3.FIND_OK, bytes(4)) == h("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert build_response(Sw3.OK, bytes(8)) == h("AA AA AA 96 69 00 0C 00 00 90") + bytes(8) + h("9C")


def _read_response(fingerprint: bytes | None) -> bytes:
    card = CardData(bytes(range(256)), b"\x11" * 1024, fingerprint or b"")
    return build_response(Sw3.OK, build_read_payload(card, fingerprint is not None))


def test_read_text_photo_frame_layout() -> None:
    frame = _read_response(None)
    assert len(frame) == 1295
    assert frame[:14] == h("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert frame[14 : 14 + 256] == bytes(range(256))  # text at frame offset 14


@pytest.mark.parametrize(("fingerprint", "size"), [(1024, 2321), (512, 1809), (0, 1297)])
def test_read_with_fingerprint_frame_layout(fingerprint: int, size: int) -> None:
    frame = _read_response(b"\x22" * fingerprint)
    assert len(frame) == size
    assert frame[7:16] == h("00 00 90 01 00 04 00") + fingerprint.to_bytes(2, "big")
    assert frame[16 : 16 + 256] == bytes(range(256))  # text at frame offset 16
    if fingerprint == 1024:
        assert frame[:7] == h("AA AA AA 96 69 09 0A")


def test_read_payload_round_trip() -> None:
    card = CardData(bytes(256), b"\x01" * 1024, b"\x02" * 512)
    parser = FrameParser()
    parser.feed(build_response(Sw3.OK, build_read_payload(card, True)))
    response = parser.next_response()
    assert response is not None
    assert parse_read(response, with_fingerprint=True) == card


@pytest.mark.parametrize(
    "payload",
    [
        b"\x01\x00",  # lengths cut short
        b"\x01\x00\x04\x00" + bytes(10),  # lengths that do not add up
        b"\x00\x10\x00\x00" + bytes(16),  # a text block that is not 256 bytes
    ],
)
def test_read_payloads_that_do_not_fit(payload: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        parse_read(Response(0, 0, Sw3.OK, payload), with_fingerprint=False)


def test_find_and_select_answers() -> None:
    assert parse_find(Response(0, 0, Sw3.FIND_OK, bytes(4))) is True
    assert parse_find(Response(0, 0, Sw3.NO_CARD, b"")) is False
    with pytest.raises(SamStatusError) as raised:
        parse_find(Response(0, 0, Sw3.SAM_NOT_AUTHORISED, b""))
    assert raised.value.status is Sw3.SAM_NOT_AUTHORISED
    assert "SAM not authorised" in str(raised.value)
    with pytest.raises(MalformedResponseError):
        parse_find(Response(0, 0, Sw3.FIND_OK, b""))
    parse_select(Response(0, 0, Sw3.OK, bytes(8)))
    with pytest.raises(SamStatusError) as raised:
        parse_select(Response(0, 0, Sw3.SELECT_FAILED, b""))
    assert raised.value.status is Sw3.SELECT_FAILED


@pytest.mark.parametrize(
    ("command", "response", "expected"),
    [
        (Command.FIND, Response(0, 0, Sw3.FIND_OK, bytes(4)), True),
        (Command.FIND, Response(0, 0, Sw3.NO_CARD, b""), True),
        (Command.FIND, Response(0, 0, Sw3.OK, bytes(8)), False),  # a select's answer
        (Command.SELECT, Response(0, 0, Sw3.FIND_OK, bytes(4)), False),  # a find's answer, arriving late
        (Command.SELECT, Response(0, 0, Sw3.OK, bytes(8)), True),
        (Command.SELECT, Response(0, 0, Sw3.SELECT_FAILED, b""), True),
        (Command.READ, Response(0, 0, Sw3.OK, bytes(8)), False),
        (Command.READ, Response(0, 0, Sw3.OK, bytes(1284)), True),
        (Command.READ, Response(0, 0, Sw3.READ_FAILED, b""), True),
        (Command.READ_WITH_FINGERPRINT, Response(0, 0, Sw3.OK, bytes(2310)), True),
        (Command.SAM_STATUS, Response(0, 0, Sw3.OK, b""), True),
        (Command.SAM_ID, Response(0, 0, Sw3.OK, bytes(16)), True),
        (Command.SAM_STATUS, Response(0, 0, Sw3.OK, bytes(1284)), False),
    ],
)
def test_answers_that_belong_to_another_command_are_recognised(
    command: Command, response: Response, expected: bool
) -> None:
    assert answers(command, response) is expected


def test_sw3_table() -> None:
    table = {
        0x90: "OK",
        0x9F: "card found",
        0x10: "checksum error",
        0x11: "length error",
        0x21: "command error",
        0x24: "unrecognised error",
        0x31: "card failed to authenticate the reader",
        0x32: "reader failed to authenticate the card",
        0x33: "information verification error",
        0x40: "wrong card type",
        0x41: "read failed",
        0x47: "random number failed",
        0x60: "SAM self-test failed",
        0x66: "SAM not authorised",
        0x80: "find failed / no card",
        0x81: "select failed",
        0x91: "failure (code 91; meaning not published)",
    }
    assert {int(code): code.meaning for code in Sw3} == table
    assert sw3_meaning(0x23) == "unknown status 0x23"
    error = SamStatusError(0x23)
    assert error.status is None and "0x23" in str(error)


def test_card_statuses_are_told_from_device_faults() -> None:
    assert Sw3.READ_FAILED.concerns_card and Sw3.SELECT_FAILED.concerns_card
    assert not Sw3.SAM_NOT_AUTHORISED.concerns_card and not Sw3.CHECKSUM_ERROR.concerns_card


def test_wire_time_of_a_read_at_115200() -> None:
    assert wire_seconds(1295, 115200) == pytest.approx(0.1124, abs=1e-4)


# -- the parser ----------------------------------------------------------------------------------------


def test_parser_assembles_a_frame_fed_byte_by_byte() -> None:
    parser = FrameParser()
    frame = build_response(Sw3.FIND_OK, bytes(4))
    for byte in frame[:-1]:
        parser.feed(bytes([byte]))
        assert parser.next_response() is None
    parser.feed(frame[-1:])
    assert parser.next_response() == Response(0, 0, Sw3.FIND_OK, bytes(4))
    assert parser.next_response() is None


def test_parser_resynchronises_after_garbage_and_a_split_preamble() -> None:
    parser = FrameParser()
    frame = build_response(Sw3.OK, bytes(8))
    parser.feed(b"\x00\x13\xaa\xaa\x96\x69\xaa\xaa" + frame[:2])  # ends in the first bytes of a preamble
    assert parser.next_response() is None
    parser.feed(frame[2:])
    assert parser.next_response() == Response(0, 0, Sw3.OK, bytes(8))
    assert parser.discarded == 8


def test_noise_without_a_preamble_is_not_kept() -> None:
    parser = FrameParser()
    parser.feed(bytes(10_000) + PREAMBLE[:3])
    assert parser.next_response() is None
    assert parser.pending == 3  # only what may be the start of a preamble
    assert parser.discarded == 10_000


def test_parser_drops_a_frame_with_a_bad_checksum_and_finds_the_next() -> None:
    parser = FrameParser()
    good = build_response(Sw3.NO_CARD)
    bad = bytearray(build_response(Sw3.FIND_OK, bytes(4)))
    bad[-1] ^= 0x01
    parser.feed(bytes(bad) + good)
    with pytest.raises(ChecksumError):
        parser.next_response()
    assert parser.next_response() == Response(0, 0, Sw3.NO_CARD, b"")


@pytest.mark.parametrize("length", [0, 1, 3, MAX_LEN + 1, 0xFFFF])
def test_parser_rejects_impossible_lengths(length: int) -> None:
    parser = FrameParser()
    parser.feed(PREAMBLE + length.to_bytes(2, "big") + bytes(8))
    with pytest.raises(LengthError):
        parser.next_response()
    assert parser.next_response() is None  # resynchronised, not stuck


def test_requests_parse_on_the_sam_side() -> None:
    parser = FrameParser()
    parser.feed(command_frame(Command.FIND) + build_frame(0x61, 0xFF, b"\x50"))
    assert parser.next_request() == Request(0x20, 0x01, b"")
    assert parser.next_request() == Request(0x61, 0xFF, b"\x50")


def test_reprs_never_show_payload() -> None:
    secret = "张测试".encode("utf-16-le")
    assert secret.hex() not in repr(Response(0, 0, 0x90, secret))
    assert "张" not in repr(Response(0, 0, 0x90, secret))
    assert repr(CardData(secret, b"", b"")) == "CardData(6 B text, 0 B photo, 0 B fingerprint)"


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_parser_raises_only_its_own_errors_on_any_bytes(chunks: list[bytes]) -> None:
    parser = FrameParser()
    for chunk in chunks:
        parser.feed(chunk)
        for _ in range(len(chunk) + 2):  # every error consumes a byte, so this drains the buffer
            try:
                response = parser.next_response()
            except SamProtocolError:
                continue
            if response is None:
                break
            for parse in (
                parse_find,
                parse_select,
                lambda r: parse_read(r, True),
                lambda r: parse_read(r, False),
            ):
                with contextlib.suppress(SamProtocolError):
                    parse(response)


_no_preamble_noise = st.binary(max_size=40).filter(lambda b: PREAMBLE[:2] not in b)


@given(
    st.lists(
        st.tuples(_no_preamble_noise, st.integers(0, 255), st.binary(max_size=300)),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 50),
)
def test_build_then_parse_round_trips_through_noise_and_any_chunking(
    frames: list[tuple[bytes, int, bytes]], chunk: int
) -> None:
    stream = b"".join(noise + build_response(sw3, data) for noise, sw3, data in frames)
    parser = FrameParser()
    parsed: list[Response] = []
    for offset in range(0, len(stream), chunk):
        parser.feed(stream[offset : offset + chunk])
        while (response := parser.next_response()) is not None:
            parsed.append(response)
    assert parsed == [Response(0, 0, sw3, data) for _, sw3, data in frames]


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=MAX_LEN - 3))
def test_request_round_trip(cmd: int, para: int, data: bytes) -> None:
    parser = FrameParser()
    parser.feed(build_frame(cmd, para, data))
    assert parser.next_request() == Request(cmd, para, data)
