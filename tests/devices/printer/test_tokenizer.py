"""The ESC/POS tokenizer: known commands, text runs, streaming, and arbitrary bytes (typed errors only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import lay_out
from kiosk.devices.printer.tokenizer import (
    MAX_PAYLOAD,
    EscPosCommand,
    EscPosError,
    Invalid,
    PayloadTooLargeError,
    TextRun,
    Tokenizer,
    TruncatedCommandError,
    UnknownCommandError,
    tokenize,
)
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.receipts import samples

# Bytes that look like ESC/POS: prefixes and command letters are common, so fuzzing reaches the parsers.
_ESCPOSISH = st.lists(
    st.one_of(
        st.sampled_from([b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x04", b"\n", b"(", b"k", b"v0", b"V", b"*"]),
        st.sampled_from(
            [b"\x1d(k\x00\x00", b"\x1d(k\x01\x001", b"\x1d(k\x03\x001Q0", b"\x1dVA\x00", b"\x1d!"]
        ),
        st.binary(max_size=6),
    ),
    max_size=40,
).map(b"".join)


def _names(tokens: list) -> list[str]:
    return [token.name if isinstance(token, EscPosCommand) else type(token).__name__ for token in tokens]


def test_commands_text_and_controls() -> None:
    data = b"\x1b@\x1c&\x1ba\x01\xb9\xab\xbb\xfd\xbd\xf0 ABC\n\x10\x04\x04\x1dV\x41\x00"
    tokens = tokenize(data)
    assert _names(tokens) == ["ESC @", "FS &", "ESC a", "TextRun", "LF", "DLE 0x04", "GS V"]
    assert tokens[2].arg == 1 and tokens[5].arg == 4
    assert tokens[3] == TextRun(b"\xb9\xab\xbb\xfd\xbd\xf0 ABC")


def test_variable_length_commands_take_their_payload() -> None:
    raster = b"\x1dv0\x00\x02\x00\x03\x00" + bytes(6)
    qr = b"\x1d(k\x08\x001P0https"  # pL pH = 8: "1P0https"
    barcode = b"\x1dkI\x06{BA023" + b"\x1dk\x04A023\x00"
    tokens = tokenize(raster + b"\x1b\n"[1:] + qr + barcode + b"\x1b*\x21\x02\x00" + bytes(6))
    assert _names(tokens) == ["GS v 0", "LF", "GS ( k", "GS k", "GS k", "ESC *"]
    assert tokens[0].raw == raster and tokens[2].raw == qr


def test_every_template_tokenizes_cleanly_and_round_trips() -> None:
    for make in samples.SAMPLES.values():
        for native in (False, True):
            data = encode_items(lay_out(make(32), 32), EncoderProfile(native_qr=native)).data
            tokens = tokenize(data)
            assert b"".join(token.raw for token in tokens) == data


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x1b\xff", UnknownCommandError),
        (b"\x07", UnknownCommandError),
        (b"\x1dV\x07", UnknownCommandError),
        (b"\x1dkZ", UnknownCommandError),
        (b"\x1ba", TruncatedCommandError),
        (b"\x1dv0\x00\x02\x00\x03\x00\x00", TruncatedCommandError),
        (b"\x1dv0\x00\xff\xff\xff\xff", PayloadTooLargeError),
    ],
)
def test_malformed_input_raises_a_typed_error(data: bytes, error: type[EscPosError]) -> None:
    with pytest.raises(error):
        tokenize(data)


def test_streaming_waits_for_a_split_command_and_resynchronises_after_garbage() -> None:
    tokenizer = Tokenizer()
    assert tokenizer.feed(b"AB\x1d(k\x08\x00") == [TextRun(b"AB")]
    assert tokenizer.pending() == 5
    (qr,) = tokenizer.feed(b"1P0https")
    assert qr.name == "GS ( k"
    tokens = tokenizer.feed(b"\x1b\xffC\n")
    assert isinstance(tokens[0], Invalid) and tokens[0].raw == b"\x1b\xff"
    assert _names(tokens[1:]) == ["TextRun", "LF"]
    tokenizer.finish()


def test_payload_limit_is_enforced_before_buffering() -> None:
    header = b"\x1d8L" + (MAX_PAYLOAD + 1).to_bytes(4, "little")
    token = Tokenizer().feed(header)[0]
    assert isinstance(token, Invalid) and isinstance(token.error, PayloadTooLargeError)


@settings(max_examples=400, deadline=None)
@given(_ESCPOSISH)
def test_arbitrary_bytes_give_tokens_or_a_typed_error(data: bytes) -> None:
    try:
        tokens = tokenize(data)
    except EscPosError:
        return
    assert b"".join(token.raw for token in tokens) == data


@settings(max_examples=300, deadline=None)
@given(_ESCPOSISH, st.lists(st.integers(min_value=0, max_value=200), max_size=5))
def test_streaming_never_raises_keeps_every_byte_and_ignores_chunking(data: bytes, cuts: list[int]) -> None:
    whole = Tokenizer()
    expected = whole.feed(data)
    chunked = Tokenizer()
    tokens = []
    previous = 0
    for cut in sorted(min(cut, len(data)) for cut in cuts):
        tokens += chunked.feed(data[previous:cut])
        previous = cut
    tokens += chunked.feed(data[previous:])
    assert b"".join(t.raw for t in tokens) == data[: len(data) - chunked.pending()]
    assert b"".join(t.raw for t in expected) == b"".join(t.raw for t in tokens)
    assert _commands(tokens) == _commands(expected)


def _commands(tokens: list) -> list[tuple[str, bytes, str]]:
    """Everything but text runs (which chunking may split), comparable (exceptions are not)."""
    return [
        (type(t).__name__, t.raw, str(getattr(t, "error", ""))) for t in tokens if not isinstance(t, TextRun)
    ]


@settings(max_examples=300, deadline=None)
@given(_ESCPOSISH)
def test_the_virtual_printer_survives_arbitrary_bytes(data: bytes) -> None:
    printer = VirtualPrinter()
    printer.feed(data)
    printer.end_of_stream()
    for job in printer.jobs:
        assert isinstance(job.text, str)


@pytest.mark.parametrize(
    "data",
    [
        b"\x1d(k\x00\x00",  # a 2D-code command with no function byte
        b"\x1d(k\x02\x001C",  # ... and with no parameter
        b"\x1d(k\xa0\x0f1P0" + b"x" * 3997 + b"\x1d(k\x03\x001Q0",  # more than a QR code holds
        b"\x1dv0\x00\x00\x00\x05\x00",  # a zero-width raster image
        b"\x1d!\xff\xb4\xf3\n",  # a size beyond 8x
        b"A\x1bd\x00",  # feed zero lines after text
    ],
)
def test_the_virtual_printer_records_what_it_cannot_print_and_carries_on(data: bytes, tmp_path: Path) -> None:
    printer = VirtualPrinter(out_dir=tmp_path)
    printer.feed(data + b"\x1dVA\x00")
    (job,) = printer.jobs
    assert job.reason == "cut" and job.png is not None and job.png.exists()
