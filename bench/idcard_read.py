"""One full find → select → read cycle of the ID card reader at 115200 baud, against its wire time.

    bench/idcard_read.py [--cycles 20] [--json]

The SAM driver (``sam+serial://``) reads the emulator's card over a real pty with ``read_now``, the same
exchanges a placement triggers. Side by side, in the same run, a bare client (blocking reads on the same
pty, no device thread, no futures) does the same three exchanges: the floor the emulator and the pty set.
The yardstick is the wire time of every byte both ways at 8N1 plus the delays the emulator is configured
to spend before it answers (the 1,295-byte read answer alone is about 112 ms). Goal: driver ratio <= 1.3.
Cycles of the two kinds alternate so machine noise hits both alike; one warm-up of each is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import sys
import time
import tty

from kiosk.devices.base import DeviceState
from kiosk.devices.idcard.card import encode_text_block
from kiosk.devices.idcard.codec import (
    CardData,
    Command,
    FrameParser,
    Response,
    Sw3,
    build_read_payload,
    build_response,
    command_frame,
    wire_seconds,
)
from kiosk.devices.idcard.emulator import SAMPLE_CARDS, EmulatorTiming, SamEmulator, load_card_file
from kiosk.devices.idcard.reader import SamIdCardReader
from kiosk.devices.registry import open_device

BAUD = 115200
CYCLE = (Command.FIND, Command.SELECT, Command.READ)


def wire_and_delays(card_data: CardData, timing: EmulatorTiming) -> tuple[int, float]:
    """Bytes on the wire for one cycle (both directions) and the seconds the emulator waits on purpose."""
    sent = sum(len(command_frame(command)) for command in CYCLE)
    received = (
        len(build_response(Sw3.FIND_OK, bytes(4)))
        + len(build_response(Sw3.OK, bytes(8)))
        + len(build_response(Sw3.OK, build_read_payload(card_data, with_fingerprint=False)))
    )
    return sent + received, timing.find + timing.select + timing.read


def bare_cycle(fd: int, parser: FrameParser) -> float:
    started = time.perf_counter()
    for command in CYCLE:
        os.write(fd, command_frame(command))
        response: Response | None = None
        while response is None:
            select.select([fd], [], [], 1.0)
            parser.feed(os.read(fd, 4096))
            response = parser.next_response()
        if response.sw3 not in (Sw3.OK, Sw3.FIND_OK):
            sys.exit(f"bench/idcard_read.py: the bare client got SW3 {response.sw3:02X} to {command.name}")
    return time.perf_counter() - started


def driver_cycle(reader: SamIdCardReader) -> float:
    started = time.perf_counter()
    card = reader.read_now(timeout=5).result(timeout=10)
    elapsed = time.perf_counter() - started
    if card is None:
        sys.exit("bench/idcard_read.py: the driver found no card")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()

    card = load_card_file(SAMPLE_CARDS / "resident.toml")
    timing = EmulatorTiming()
    byte_count, delays = wire_and_delays(CardData(encode_text_block(card), card.photo, b""), timing)
    yardstick = wire_seconds(byte_count, BAUD) + delays

    with SamEmulator(baud=BAUD, timing=timing) as emulator:
        emulator.place_card(card)
        # The longest poll interval: the measured cycles do nearly all the talking to the SAM.
        reader = open_device("idcard", f"sam+serial://{emulator.path}?baud={BAUD}&poll_ms=60000")
        assert isinstance(reader, SamIdCardReader)
        try:
            if reader.open().result(timeout=10) is not DeviceState.IDLE:
                sys.exit(f"bench/idcard_read.py: the reader did not open: {reader.health().result().text}")
            fd = os.open(emulator.device_path, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            frames = FrameParser()
            try:
                driver_cycle(reader)
                bare_cycle(fd, frames)
                driver, bare = [], []
                for _ in range(args.cycles):
                    driver.append(driver_cycle(reader))
                    bare.append(bare_cycle(fd, frames))
            finally:
                os.close(fd)
        finally:
            reader.close().result(timeout=10)

    driver_s = statistics.median(driver)
    bare_s = statistics.median(bare)
    result = {
        "cycles": args.cycles,
        "baud": BAUD,
        "bytes_exchanged": byte_count,
        "wire_s": round(wire_seconds(byte_count, BAUD), 4),
        "emulator_delays_s": round(delays, 4),
        "yardstick_s": round(yardstick, 4),
        "driver_median_s": round(driver_s, 4),
        "bare_client_median_s": round(bare_s, 4),
        "ratio": round(driver_s / yardstick, 3),
        "bare_ratio": round(bare_s / yardstick, 3),
        "goal": 1.3,
    }
    if not args.json:
        print(f"driver cycles (ms): {[round(s * 1000, 1) for s in driver]}")
        print(f"bare cycles (ms):   {[round(s * 1000, 1) for s in bare]}")
        print(
            f"{byte_count} bytes at {BAUD} baud = {result['wire_s'] * 1000:.1f} ms on the wire, "
            f"+ {delays * 1000:.0f} ms emulator delays = {yardstick * 1000:.1f} ms; "
            f"driver {driver_s * 1000:.1f} ms (ratio {result['ratio']}), "
            f"bare client {bare_s * 1000:.1f} ms (ratio {result['bare_ratio']})"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
