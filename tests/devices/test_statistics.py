"""Statistics kept across restarts: the file format, when it is written, and what a damaged file does."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.base import DeviceState
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.idcard.reader import IdCardInserted, SamIdCardReader
from kiosk.devices.registry import open_device
from kiosk.devices.statistics import (
    Statistics,
    StatisticsFile,
    StatisticsFileError,
    parse_statistics,
    render_statistics,
)

from .support import RESIDENT, FakeDevice, Recorder, wait_until

counts = st.integers(min_value=0, max_value=2**62)
hours = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
statistics = st.builds(
    Statistics,
    commands=counts,
    reads=counts,
    failures=counts,
    communication_errors=counts,
    timeouts=counts,
    reopen_attempts=counts,
    hours_open=hours,
)
json_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.lists(st.integers(), max_size=2)
)


@given(statistics)
def test_render_then_parse_round_trips(stats: Statistics) -> None:
    assert parse_statistics(render_statistics(stats, "idcard sim://")) == stats


@given(st.binary(max_size=200))
def test_the_parser_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(StatisticsFileError):
        parse_statistics(data)


@given(st.dictionaries(st.sampled_from([*Statistics().keys(), "other"]), json_values, max_size=8))
def test_the_parser_raises_only_its_own_error_on_any_counters(counters: dict[str, object]) -> None:
    data = json.dumps({"format": 1, "statistics": counters}).encode()
    try:
        stats = parse_statistics(data)
    except StatisticsFileError:
        return
    assert all(value >= 0 for value in stats.as_dict().values())


def test_missing_counters_start_at_zero_and_unknown_ones_are_dropped() -> None:
    data = json.dumps({"format": 1, "statistics": {"reads": 7, "jams": 3}}).encode()
    assert parse_statistics(data) == Statistics(reads=7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not JSON"),
        (b'{"format": 1, "statistics": {"reads": 3', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a format 1 statistics record"),
        (b'{"format": 2, "statistics": {}}', "not a format 1"),
        (b'{"format": 1}', "no statistics table"),
        (b'{"format": 1, "statistics": {"reads": -1}}', "counter 'reads' is not a count"),
        (b'{"format": 1, "statistics": {"reads": 1.5}}', "counter 'reads' is not a count"),
        (b'{"format": 1, "statistics": {"reads": true}}', "counter 'reads' is not a count"),
        (b'{"format": 1, "statistics": {"hours_open": "1"}}', "counter 'hours_open' is not a count"),
        (b'{"format": 1, "statistics": {"hours_open": NaN}}', "counter 'hours_open' is not a count"),
    ],
)
def test_damage_is_named(data: bytes, message: str) -> None:
    with pytest.raises(StatisticsFileError, match=message):
        parse_statistics(data)


def test_writes_are_due_an_interval_after_the_last_one() -> None:
    now = [100.0]
    file = StatisticsFile(Path("unused.json"), interval=5.0, hours_interval=600.0, clock=lambda: now[0])
    assert file.due(dirty=True) == 105.0
    assert file.due(dirty=False) == 700.0  # time open alone is written seldom


def test_a_file_that_cannot_be_written_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "devices").write_text("a file where the directory should be")
    file = StatisticsFile(tmp_path / "devices" / "idcard.json")
    file.save(Statistics(reads=1), "idcard sim://")
    file.save(Statistics(reads=2), "idcard sim://")
    assert len([r for r in caplog.records if "cannot be written" in r.getMessage()]) == 1


def test_writes_replace_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "devices" / "idcard.json"  # the directory is created on the first write
    file = StatisticsFile(path)
    file.save(Statistics(reads=1), "idcard sim://")
    file.save(Statistics(reads=2), "idcard sim://")
    assert file.load() == Statistics(reads=2)
    assert sorted(p.name for p in path.parent.iterdir()) == ["idcard.json"]  # no temporary left behind
    assert json.loads(path.read_text())["device"] == "idcard sim://"


# -- a device keeping its counters ---------------------------------------------------------------------


def test_counters_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "fake.json"
    first = FakeDevice()
    first.keep_statistics(path)
    first.open().result(timeout=5)
    first.submit(lambda ctx: first._count(reads=3, failures=1)).result(timeout=5)
    time.sleep(0.05)
    first.close().result(timeout=5)
    saved = parse_statistics(path.read_bytes())
    assert (saved.reads, saved.failures) == (3, 1)
    assert saved.hours_open >= 0.05 / 3600

    second = FakeDevice()
    second.keep_statistics(path)
    assert second.statistics.reads == 0  # loaded on the worker at open, not on the caller's thread
    second.open().result(timeout=5)
    second.submit(lambda ctx: second._count(reads=1)).result(timeout=5)
    stats = second.statistics
    assert (stats.reads, stats.failures) == (4, 1)
    assert stats.hours_open > saved.hours_open  # still counting
    second.close().result(timeout=5)
    assert parse_statistics(path.read_bytes()).reads == 4


def test_changed_counters_are_written_while_open_and_no_more_often_than_the_interval(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fake.json"
    device = FakeDevice()
    device.keep_statistics(path, interval=0.2)
    device.open().result(timeout=5)
    try:
        device.submit(lambda ctx: device._count(reads=1)).result(timeout=5)
        # No command and no poll follows: the worker must wake by itself to write.
        wait_until(lambda: path.exists() and parse_statistics(path.read_bytes()).reads == 1, what="a write")
        written = path.stat().st_mtime_ns
        device.submit(lambda ctx: None).result(timeout=5)  # nothing counted: nothing to write
        time.sleep(0.5)
        assert path.stat().st_mtime_ns == written
    finally:
        device.close().result(timeout=5)


def test_reset_statistics_is_written_too(tmp_path: Path) -> None:
    path = tmp_path / "fake.json"
    device = FakeDevice()
    device.keep_statistics(path)
    device.open().result(timeout=5)
    device.submit(lambda ctx: device._count(reads=5)).result(timeout=5)
    device.reset_statistics()
    device.close().result(timeout=5)
    assert parse_statistics(path.read_bytes()).reads == 0


def test_a_damaged_file_is_reset_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "fake.json"
    path.write_bytes(b'{"format": 1, "statistics": {"reads": 4')  # cut short by a power failure
    device = FakeDevice()
    device.keep_statistics(path)
    assert device.open().result(timeout=5) is DeviceState.IDLE
    device.submit(lambda ctx: device._count(reads=1)).result(timeout=5)
    device.close().result(timeout=5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{path} are damaged" in message and "counting from zero" in message for message in warnings)
    assert parse_statistics(path.read_bytes()).reads == 1


def test_an_unreadable_file_is_reset_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "fake.json"
    path.mkdir()  # reading it fails with an OSError other than "not found"
    device = FakeDevice()
    device.keep_statistics(path)
    assert device.open().result(timeout=5) is DeviceState.IDLE
    device.close().result(timeout=5)
    assert any("cannot be read" in r.getMessage() for r in caplog.records)


def test_keep_statistics_after_open_is_refused(tmp_path: Path) -> None:
    device = FakeDevice()
    device.open().result(timeout=5)
    try:
        with pytest.raises(Exception, match="before open"):
            device.keep_statistics(tmp_path / "fake.json")
    finally:
        device.close().result(timeout=5)


def test_the_reader_keeps_its_reads_across_restarts(tmp_path: Path) -> None:
    stats_dir = tmp_path / "devices"
    with SamEmulator() as emulator:
        emulator.place_card(RESIDENT)
        for run in (1, 2):  # the app restarts; the card is read once per run
            reader = open_device(
                "idcard", f"sam+serial://{emulator.path}?poll_ms=20", do_not_open=True, stats_dir=stats_dir
            )
            assert isinstance(reader, SamIdCardReader)
            cards = Recorder()
            reader.subscribe_cards(cards)
            reader.open()
            cards.wait_count(IdCardInserted, 1)
            reader.close().result(timeout=5)
            saved = parse_statistics((stats_dir / "idcard.json").read_bytes())
            assert saved.reads == run
            assert saved.commands >= 4 * run  # SAM status, find, select, read
    assert os.listdir(stats_dir) == ["idcard.json"]  # no temporary file left behind
