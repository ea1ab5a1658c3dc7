"""The player: never blocks, never raises, one log line when there is no audio device, a new prompt stops
the one before, and the volume scales the samples."""

from __future__ import annotations

import array
import logging
import os
import time
import wave
from pathlib import Path

import pytest

from kiosk.voice.engine import EspeakEngine
from kiosk.voice.player import AplayPlayer, scaled_copy


@pytest.fixture
def prompt_wav(engine: EspeakEngine) -> Path:
    return engine.render("请取走凭条。", "zh_CN")


def _samples(path: Path) -> array.array[int]:
    with wave.open(str(path), "rb") as w:
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    return data


def test_no_audio_device_fails_softly_with_one_log_line(
    prompt_wav: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A device name no machine has: aplay really runs and really fails, as on CI without a sound card.
    player = AplayPlayer(device="no_such_pcm_for_tests")
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.player"):
        for _ in range(3):
            started = time.perf_counter()
            player.play(prompt_wav, 80)
            assert time.perf_counter() - started < 0.5
            assert player.wait(5)
            deadline = time.monotonic() + 5
            while player.playing and time.monotonic() < deadline:
                time.sleep(0.01)
        deadline = time.monotonic() + 5
        while player.failures < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert player.failures == 3
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("voice guidance silent: aplay exited 1")


def test_a_missing_player_fails_softly(prompt_wav: Path, caplog: pytest.LogCaptureFixture) -> None:
    player = AplayPlayer(executable="/nonexistent/aplay")
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.player"):
        player.play(prompt_wav, 50)
        player.play(prompt_wav, 50)
    assert player.failures == 2 and len(caplog.records) == 1 and not player.playing


def test_a_new_prompt_stops_the_one_playing(tmp_path: Path, prompt_wav: Path) -> None:
    # A stand-in player process that "plays" for ten seconds, so there is something to interrupt.
    fake = tmp_path / "slow-player"
    fake.write_text("#!/bin/sh\nexec sleep 10\n")
    fake.chmod(0o755)
    player = AplayPlayer(executable=str(fake))
    player.play(prompt_wav, 100)
    first = player._process
    assert first is not None and player.playing
    player.play(prompt_wav, 100)
    second = player._process
    assert second is not first
    assert first.wait(2) < 0, "the first prompt was not stopped"
    assert player.playing
    player.stop()
    assert second is not None and second.wait(2) < 0 and not player.playing
    time.sleep(0.05)
    assert player.failures == 0, "a stopped prompt is not a failure"


def test_volume_scales_the_samples(prompt_wav: Path) -> None:
    original = _samples(prompt_wav)
    assert scaled_copy(prompt_wav, 100) == prompt_wav
    half = scaled_copy(prompt_wav, 50)
    assert half != prompt_wav and half.parent == prompt_wav.parent
    scaled = _samples(half)
    assert len(scaled) == len(original)
    assert max(abs(s) for s in scaled) == pytest.approx(max(abs(s) for s in original) * 0.25, abs=1)
    assert all(int(o * 0.25) == s for o, s in zip(original[:2000], scaled[:2000], strict=True))
    mtime = half.stat().st_mtime_ns
    assert scaled_copy(prompt_wav, 50) == half and half.stat().st_mtime_ns == mtime  # kept


def test_volume_zero_plays_nothing(tmp_path: Path, prompt_wav: Path) -> None:
    marker = tmp_path / "played"
    fake = tmp_path / "player"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake.chmod(0o755)
    player = AplayPlayer(executable=str(fake))
    player.play(prompt_wav, 0)
    assert not player.playing
    player.play(prompt_wav, 30)
    assert player.wait(5)
    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists() and os.path.getsize(marker) == 0
