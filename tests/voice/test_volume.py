"""The speaker's volume as staff set it: kept across restarts, the settings' value until then, and a broken
file never stops the kiosk."""

import logging
from pathlib import Path

import pytest

from kiosk.voice.volume import VolumeStore


def test_the_settings_value_until_staff_set_one_then_theirs(tmp_path: Path) -> None:
    store = VolumeStore(tmp_path / "voice" / "volume", default=70)
    assert store.load() == 70
    store.save(40)
    assert VolumeStore(tmp_path / "voice" / "volume", default=70).load() == 40
    store.save(250)
    assert store.load() == 100


@pytest.mark.parametrize("content", [b"loud\n", b"\xff\xfe", b""])
def test_an_unreadable_file_falls_back_to_the_settings_with_one_line(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "volume"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.volume"):
        assert VolumeStore(path, default=55).load() == 55
    (record,) = caplog.records
    assert record.getMessage().startswith(f"voice volume in {path} unreadable (")
    assert record.getMessage().endswith("): using 55")
