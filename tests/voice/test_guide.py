"""The guide: one call per screen arrival, never blocking, newest wins, personal facts only when allowed,
"再听一遍" repeats, the end of a visit forgets. The real engine renders; a recorder stands for the speaker."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.voice.engine import EspeakEngine
from kiosk.voice.guide import VoiceGuide
from kiosk.voice.prompts import EVENT_PROMPTS, PERSONAL_PROMPTS, SCREEN_PROMPTS, render


class RecordingEngine:
    """The real engine, remembering what it was asked to say; `delay` makes rendering slow."""

    def __init__(self, real: EspeakEngine, delay: float = 0.0) -> None:
        self.real = real
        self.delay = delay
        self.texts: list[str] = []
        self.slow: list[bool] = []
        self.threads: set[str] = set()
        self.rendering = threading.Event()

    def render(self, text: str, locale: str, *, slow: bool = False, private: bool = False) -> Path:
        self.threads.add(threading.current_thread().name)
        self.rendering.set()
        time.sleep(self.delay)
        self.texts.append(text)
        self.slow.append(slow)
        return self.real.render(text, locale, slow=slow, private=private)

    def purge_private(self) -> int:
        self.threads.add(threading.current_thread().name)
        return self.real.purge_private()


class RecordingPlayer:
    def __init__(self) -> None:
        self.played: list[tuple[Path, int]] = []
        self.stops = 0

    def play(self, path: Path, volume: int = 100) -> None:
        self.played.append((path, volume))

    def stop(self) -> None:
        self.stops += 1


@pytest.fixture
def parts(engine: EspeakEngine) -> tuple[RecordingEngine, RecordingPlayer]:
    return RecordingEngine(engine), RecordingPlayer()


def _guide(parts: tuple[RecordingEngine, RecordingPlayer], **kwargs: Any) -> VoiceGuide:
    return VoiceGuide(parts[0], parts[1], **kwargs)


def test_arrival_on_a_screen_speaks_its_prompt(parts: tuple[RecordingEngine, RecordingPlayer]) -> None:
    engine, player = parts
    guide = _guide(parts, volume=60)
    try:
        guide.on_screen("attract", "zh_CN")
        assert guide.idle()
        text = render(SCREEN_PROMPTS["attract"], "zh_CN")
        assert engine.texts == [text]
        assert player.played == [(engine.real.render(text, "zh_CN"), 60)]
        assert engine.threads == {"voice-guide"}  # never the caller's thread
        guide.on_screen("home", "en")
        assert guide.idle() and engine.texts[-1] == render(SCREEN_PROMPTS["home"], "en")
    finally:
        guide.close()


def test_staff_screens_are_silent(parts: tuple[RecordingEngine, RecordingPlayer]) -> None:
    engine, player = parts
    guide = _guide(parts)
    try:
        guide.on_screen("maintenance_status", "zh_CN")
        assert guide.idle() and engine.texts == [] and player.stops >= 1
    finally:
        guide.close()


def test_calls_return_at_once_and_the_newest_wins(engine: EspeakEngine) -> None:
    slow_engine, player = RecordingEngine(engine, delay=0.3), RecordingPlayer()
    guide = VoiceGuide(slow_engine, player)
    try:
        started = time.perf_counter()
        guide.on_screen("attract", "zh_CN")
        assert slow_engine.rendering.wait(2)
        for name in ["home", "card", "password"]:
            guide.on_screen(name, "zh_CN")
        guide.say("take_id_card", "zh_CN")
        assert time.perf_counter() - started < 0.25  # rendering takes 0.3 s: nobody waited for it
        assert guide.idle(5)
        newest = render(EVENT_PROMPTS["take_id_card"], "zh_CN")
        # The first was being rendered when the others came: it is dropped, the middle ones never rendered.
        assert slow_engine.texts == [render(SCREEN_PROMPTS["attract"], "zh_CN"), newest]
        assert [p for p, _ in player.played] == [engine.render(newest, "zh_CN")]
    finally:
        guide.close()


def test_personal_facts_only_with_a_headset_or_the_opt_in(
    parts: tuple[RecordingEngine, RecordingPlayer],
) -> None:
    engine, _ = parts
    guide = _guide(parts)
    balance = render(PERSONAL_PROMPTS["balance"], "zh_CN", balance="¥8,000.00")
    hint = render(EVENT_PROMPTS["personal_hint"], "zh_CN")
    try:

        def said() -> str:
            guide.say("balance", "zh_CN", balance="¥8,000.00")
            assert guide.idle()
            return engine.texts[-1]

        assert said() == hint
        guide.allow_personal_for_visit()
        assert said() == balance
        guide.end_visit()
        assert not guide.personal_allowed and said() == hint
        guide.headset = True
        assert said() == balance
        guide.headset = False
        assert said() == hint
    finally:
        guide.close()


def test_a_headset_probe_is_asked_on_the_worker(parts: tuple[RecordingEngine, RecordingPlayer]) -> None:
    engine, _ = parts
    asked: list[str] = []

    def probe() -> bool:
        asked.append(threading.current_thread().name)
        return True

    guide = _guide(parts, headset_probe=probe)
    try:
        guide.say("call_number", "en", call_number="A012")
        assert guide.idle()
        assert engine.texts == ["Your call number is A 0 1 2."] and asked == ["voice-guide"]
        guide.say("take_receipt", "en")  # not personal: the probe is not asked
        assert guide.idle() and asked == ["voice-guide"]
    finally:
        guide.close()


def test_repeat_says_the_screen_again_not_the_password_count(
    parts: tuple[RecordingEngine, RecordingPlayer],
) -> None:
    engine, player = parts
    guide = _guide(parts)
    try:
        guide.on_screen("password", "zh_CN")
        assert guide.idle()
        guide.say("password_digits", "zh_CN", count=3)
        assert guide.idle() and engine.texts[-1] == "已输入三位。"
        guide.repeat()
        assert guide.idle() and engine.texts[-1] == render(SCREEN_PROMPTS["password"], "zh_CN")
        assert len(player.played) == 3
        guide.end_visit()
        guide.repeat()
        assert guide.idle() and len(player.played) == 3  # nothing of the last visit is repeated
    finally:
        guide.close()


def test_the_password_itself_cannot_be_said(parts: tuple[RecordingEngine, RecordingPlayer]) -> None:
    guide = _guide(parts)
    try:
        with pytest.raises(ValueError):
            guide.say("password_digits", "zh_CN", count=3, password="123456")
        with pytest.raises(ValueError):
            guide.say("password_digits", "zh_CN", count=123456)
        with pytest.raises(KeyError):
            guide.say("password", "zh_CN")
        assert guide.idle() and parts[0].texts == []
    finally:
        guide.close()


def test_volume_slow_and_switching_off(parts: tuple[RecordingEngine, RecordingPlayer]) -> None:
    engine, player = parts
    guide = _guide(parts, volume=150, slow=True)
    try:
        assert guide.volume == 100
        guide.on_screen("card", "zh_CN")
        assert guide.idle() and player.played[-1][1] == 100 and engine.slow == [True]
        guide.set_volume(35)
        guide.set_slow(False)
        guide.on_screen("card", "en")
        assert guide.idle() and player.played[-1][1] == 35 and engine.slow == [True, False]
        guide.set_volume(0)
        guide.on_screen("home", "zh_CN")
        guide.set_volume(50)
        guide.set_enabled(False)
        guide.on_screen("home", "zh_CN")
        assert guide.idle() and len(player.played) == 2
    finally:
        guide.close()


def test_a_missing_engine_is_logged_once_and_the_caller_never_sees_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    player = RecordingPlayer()
    guide = VoiceGuide(EspeakEngine(tmp_path, executable="espeak-ng-not-installed"), player)
    try:
        with caplog.at_level(logging.WARNING, logger="kiosk.voice.guide"):
            guide.on_screen("attract", "zh_CN")
            assert guide.idle()
            guide.on_screen("home", "zh_CN")
            assert guide.idle()
        assert player.played == []
        assert [r.getMessage() for r in caplog.records] == [
            "voice guidance silent: the speech engine 'espeak-ng-not-installed' is not installed: run "
            "deploy/install-system-packages.sh (or apt-get install espeak-ng); the kiosk works without it, "
            "silently"
        ]
    finally:
        guide.close()


def test_end_visit_stops_what_is_being_prepared(engine: EspeakEngine) -> None:
    slow_engine, player = RecordingEngine(engine, delay=0.3), RecordingPlayer()
    guide = VoiceGuide(slow_engine, player)
    try:
        guide.say("balance", "zh_CN", balance="¥1.00")
        assert slow_engine.rendering.wait(2)  # the worker is rendering it
        guide.end_visit()
        assert guide.idle(5) and player.played == [] and player.stops >= 1
    finally:
        guide.close()


def test_personal_audio_never_stays_on_disk(tmp_path: Path) -> None:
    engine, player = RecordingEngine(EspeakEngine(tmp_path)), RecordingPlayer()
    guide = VoiceGuide(engine, player, headset_probe=lambda: True)
    try:
        guide.say("balance", "zh_CN", balance="¥8,000.00")
        assert guide.idle()
        private = player.played[-1][0]
        assert private.parent == tmp_path / "private" and private.exists()
        # Not under a name the cache would find again, and not in the cache itself.
        assert not engine.real.path_for(engine.texts[-1], "zh_CN").exists()
        guide.say("take_receipt", "zh_CN")  # the next utterance deletes it first
        assert guide.idle() and not private.exists()
        assert player.played[-1][0].parent == tmp_path  # a fixed prompt is cached
        guide.say("loan_balance", "en", balance="¥1.00")
        assert guide.idle() and any((tmp_path / "private").iterdir())
        guide.end_visit()
        assert guide.idle() and not any((tmp_path / "private").iterdir())
        assert engine.threads == {"voice-guide"}
    finally:
        guide.close()


def test_a_crash_s_private_leftovers_are_deleted_at_start(tmp_path: Path) -> None:
    leftover = tmp_path / "private" / "0123.wav"
    leftover.parent.mkdir()
    leftover.write_bytes(b"RIFF")
    guide = VoiceGuide(EspeakEngine(tmp_path), RecordingPlayer())
    try:
        assert guide.idle() and not leftover.exists()
    finally:
        guide.close()
