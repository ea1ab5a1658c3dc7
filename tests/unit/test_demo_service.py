"""The demo panel's verify page: its address, and opening it in the desktop's browser through xdg-open (an
executable of the test's own on PATH stands in for the desktop)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.runtime import build_central_client
from kiosk.services.demo import DemoService
from kiosk.settings import load_settings

from ..conftest import KioskSettings


@pytest.fixture
def demo(kiosk_settings: KioskSettings) -> Iterator[DemoService]:
    settings = load_settings(kiosk_settings())
    with SamEmulator() as emulator:
        yield DemoService(build_central_client(settings), emulator)


def _xdg_open(directory: Path, script: str) -> Path:
    directory.mkdir()
    opener = directory / "xdg-open"
    opener.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    opener.chmod(0o755)
    return directory


def test_the_verify_page_opens_in_the_desktops_browser(
    demo: DemoService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a centre of its own, the page is the centre the kiosk talks to.
    assert demo.verify_page() == "http://127.0.0.1:9/verify"
    asked = tmp_path / "asked"
    monkeypatch.setenv("PATH", str(_xdg_open(tmp_path / "desktop", f'echo "$@" > {asked}')))
    assert demo.open_verify_page() is True
    assert asked.read_text().strip() == "http://127.0.0.1:9/verify"


def test_no_browser_is_said_rather_than_a_text_browser_started(
    demo: DemoService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert demo.open_verify_page() is False
    monkeypatch.setenv("PATH", str(_xdg_open(tmp_path / "broken", "exit 3")))
    assert demo.open_verify_page() is False
    assert not demo.can_switch_centre and demo.centre_running
