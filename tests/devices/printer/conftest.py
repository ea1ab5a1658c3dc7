"""A virtual printer on a real loopback TCP port, and printers opened on it without background polling
(each test reads status when it means to)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.devices.printer.driver import EscposPrinter
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.devices.registry import open_device


@pytest.fixture
def virtual(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(out_dir=tmp_path / "jobs", port=0) as printer:
        yield printer


@pytest.fixture
def open_printer() -> Iterator[Callable[[str], EscposPrinter]]:
    opened: list[EscposPrinter] = []

    def open_(url: str) -> EscposPrinter:
        separator = "&" if "?" in url else "?"
        device = open_device("printer", f"{url}{separator}poll_ms=0&timeout_ms=1000", do_not_open=True)
        assert isinstance(device, EscposPrinter)
        opened.append(device)
        device.open().result(10)
        return device

    yield open_
    for device in opened:
        device.close().result(10)
