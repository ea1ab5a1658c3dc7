"""The voice guide: the service the app and the screens call. One call per screen arrival.

    guide = VoiceGuide(EspeakEngine(cache_dir), AplayPlayer(), volume=70, enabled=True, slow=False)
    guide.on_screen("attract", "zh_CN")           # on arrival; staff screens and unknown names are silent
    guide.say("take_id_card", "zh_CN")            # an event
    guide.say("password_digits", "zh_CN", count=3) # "已输入三位": a count, never a digit of the password
    guide.say("balance", locale, balance="¥1,234.56")  # personal: only with a headset or the opt-in
    guide.repeat()                                 # the "再听一遍" button
    guide.allow_personal_for_visit(); guide.end_visit()

Every call returns at once: it checks the prompt and its facts (a wrong fact is a bug and raises here, at
the caller) and hands the utterance to the guide's own worker thread, which renders it (the engine's cache
makes that a file lookup for every prompt said before) and starts the player. One utterance at a time, the
newest wins: an utterance still waiting when a newer one comes is dropped, and the newer one interrupts the
one being played. Nothing the engine or the player does wrong reaches the caller: it is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.voice.engine import EngineMissing, RenderFailed
from kiosk.voice.privacy import may_speak
from kiosk.voice.prompts import EVENT_PROMPTS, SAYABLE, SCREEN_PROMPTS, Prompt, render

log = logging.getLogger(__name__)


class Engine(Protocol):
    def render(self, text: str, locale: str, *, slow: bool = False, private: bool = False) -> Path: ...

    def purge_private(self) -> int: ...


class Player(Protocol):
    def play(self, path: Path, volume: int = 100) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Utterance:
    prompt: Prompt
    locale: str
    text: str
    fallback_text: str | None  # said instead of a personal prompt that may not be said now


class VoiceGuide:
    def __init__(
        self,
        engine: Engine,
        player: Player,
        *,
        volume: int = 70,
        enabled: bool = True,
        slow: bool = False,
        headset_probe: Callable[[], bool] | None = None,
    ) -> None:
        self._engine = engine
        self._player = player
        self._volume = _clamp(volume)
        self._enabled = enabled
        self._slow = slow
        self._headset_probe = headset_probe
        self._headset = False
        self._personal_allowed = False
        self._last: Utterance | None = None
        self._pending: Utterance | None = None
        self._generation = 0  # bumped by end_visit/stop: an utterance of an older one is never played
        self._closed = False
        self._purge = True  # private renderings a crash may have left: deleted before the first utterance
        self._private_on_disk = False
        self._engine_warned = False
        self._cv = threading.Condition()
        self.spoken: int = 0  # utterances handed to the player (for tests and the maintenance view)
        # The keys of the latest prompts handed to the player (never their words, which may hold facts).
        self.said: deque[str] = deque(maxlen=50)
        self._worker = threading.Thread(target=self._run, name="voice-guide", daemon=True)
        self._worker.start()

    # --- what the app and screens call -------------------------------------------------------------

    def on_screen(self, name: str, locale: str) -> None:
        """The screen `name` has just been shown: say what it is and what to do. A screen without a prompt
        (staff screens) stops speech."""
        prompt = SCREEN_PROMPTS.get(name)
        if prompt is None:
            self.stop()
            return
        self._submit(Utterance(prompt, locale, render(prompt, locale), None))

    def say(self, event: str, locale: str, **facts: object) -> None:
        """An event's prompt (`prompts.EVENT_PROMPTS`) or a personal one (`PERSONAL_PROMPTS`), with its
        facts; a personal one the citizen may not hear now is replaced by its non-personal fallback."""
        prompt = SAYABLE.get(event)
        if prompt is None:
            raise KeyError(f"no prompt {event!r}")
        text = render(prompt, locale, **facts)
        fallback = None
        if prompt.fallback is not None:
            fallback = render(EVENT_PROMPTS[prompt.fallback], locale)
        self._submit(Utterance(prompt, locale, text, fallback))

    def test_speaker(self, locale: str) -> None:
        """Maintenance mode's speaker test: the attract screen's prompt, at the volume set, whether or not
        voice is on for citizens."""
        prompt = SCREEN_PROMPTS["attract"]
        self._submit(Utterance(prompt, locale, render(prompt, locale), None), even_if_off=True)

    def repeat(self) -> None:
        """Say the last repeatable utterance again ("再听一遍")."""
        with self._cv:
            last = self._last
        if last is not None:
            self._submit(last)

    def set_volume(self, volume: int) -> None:
        self._volume = _clamp(volume)
        if self._volume == 0:
            self.stop()

    @property
    def volume(self) -> int:
        return self._volume

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        if not enabled:
            self.stop()

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_slow(self, slow: bool) -> None:
        """Elderly mode speaks more slowly."""
        self._slow = slow

    @property
    def headset(self) -> bool:
        """Whether private listening is on: set by whoever knows (a device event, the probe)."""
        return self._headset

    @headset.setter
    def headset(self, plugged: bool) -> None:
        self._headset = plugged

    @property
    def personal_allowed(self) -> bool:
        return self._personal_allowed

    def allow_personal_for_visit(self) -> None:
        """The citizen asked to hear personal facts over the speaker, for this visit only."""
        self._personal_allowed = True

    def end_visit(self) -> None:
        """Forget the opt-in and what was said, and stop speaking: nothing carries to the next citizen."""
        self._personal_allowed = False
        with self._cv:
            self._last = None
            self._purge = True  # the worker deletes what was rendered privately (no disk on this thread)
            self._cv.notify_all()
        self.stop()

    def stop(self) -> None:
        with self._cv:
            self._pending = None
            self._generation += 1
        self._player.stop()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._pending = None
            self._cv.notify_all()
        self._player.stop()
        self._worker.join(timeout=2.0)

    def idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is waiting to be said (tests)."""
        with self._cv:
            return self._cv.wait_for(
                lambda: self._pending is None and not self._busy and not self._purge, timeout
            )

    # --- the worker --------------------------------------------------------------------------------

    _busy = False

    def _submit(self, utterance: Utterance, *, even_if_off: bool = False) -> None:
        if not (self._enabled or even_if_off) or self._volume == 0:
            return
        with self._cv:
            if self._closed:
                return
            if utterance.prompt.repeatable:
                self._last = utterance
            self._pending = utterance  # newest wins: one still waiting is dropped
            self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._pending is not None or self._closed or self._purge)
                closed = self._closed
                utterance, self._pending = self._pending, None
                purge, self._purge = self._purge, False
                generation = self._generation
                self._busy = True
            if closed:
                if self._private_on_disk:
                    self._purge_private()
                return
            try:
                if purge or (utterance is not None and self._private_on_disk):
                    self._purge_private()
                if utterance is not None:
                    self._speak(utterance, generation)
            except Exception:  # the guide must never take the kiosk down; the type says enough
                log.exception("voice guide: an utterance failed")
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _speak(self, utterance: Utterance, generation: int) -> None:
        text: str | None = utterance.text
        private = utterance.prompt.kind == "personal"
        if private:
            headset = self._headset
            if not headset and self._headset_probe is not None:
                headset = self._headset_probe()
            if not may_speak(utterance.prompt, headset=headset, personal_allowed=self._personal_allowed):
                text, private = utterance.fallback_text, False
        if text is None:
            return
        said = utterance.prompt.key if text == utterance.text else utterance.prompt.fallback
        try:
            path = self._engine.render(text, utterance.locale, slow=self._slow, private=private)
            self._private_on_disk = self._private_on_disk or private
        except (EngineMissing, RenderFailed) as exc:
            if not self._engine_warned:
                self._engine_warned = True
                log.warning("voice guidance silent: %s", exc)
            return
        with self._cv:
            if generation != self._generation or self._pending is not None or self._closed:
                return  # stopped, or something newer came while this rendered
        self._player.play(path, self._volume)
        self.spoken += 1
        self.said.append(said or utterance.prompt.key)

    def _purge_private(self) -> None:
        self._player.stop()  # a file being played is not deleted under the player
        try:
            self._engine.purge_private()
            self._private_on_disk = False
        except OSError as exc:
            log.warning("voice guide: private renderings not deleted: %s", type(exc).__name__)


def _clamp(volume: int) -> int:
    return max(0, min(100, int(volume)))
