"""Text → WAV with an offline speech engine, cached on disk.

The engine is espeak-ng (Debian 12: 1.51, package `espeak-ng`), run as a process per utterance. Why it:
- it is offline, in Debian main, small (a few MB with every voice), starts in ~10 ms and renders a prompt
  in ~20 ms on one core, so a prompt needs no pre-rendering to feel instant, though install time does
  pre-render (`prerender`) and the cache keeps every prompt once said;
- it has Mandarin and English voices in the same package, so install needs nothing else and no network.
What was considered and left: neural engines on PyPI (piper-tts, sherpa-onnx, kokoro-onnx) sound far better
but need model files fetched from a model hub, which the kiosk's install (and CI) cannot reach; Debian has
no Mandarin MBROLA voice (espeak-ng lists `mb-cn1` but the voice data is not packaged); festival has no
Mandarin voice in Debian; ekho (a good Mandarin engine) is not in Debian 12. A better engine can come later
behind the same `render(text, locale, slow)`: the cache key names the engine and its version.

The Mandarin voice is `cmn-latn-pinyin`, not `cmn`: in espeak-ng 1.51 `cmn` ("latin as English") reads the
pinyin of its own dictionary as English words ("请" → "king three"); `cmn-latn-pinyin` speaks the same
dictionary as Mandarin syllables with their tones (tests/voice/test_engine.py checks the phonemes).

`render` runs on the caller's thread (the guide calls it on its worker, never on the Kivy thread).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from kiosk.settings import SUPPORTED_LOCALES
from kiosk.voice.prompts import EVENT_PROMPTS, SCREEN_PROMPTS, Prompt, render

VOICES = {"zh_CN": "cmn-latn-pinyin", "en": "en"}
# Words per minute (espeak-ng's default is 175): a calm pace, and a slower one for elderly mode.
SPEED = 150
SLOW_SPEED = 120
RENDER_TIMEOUT_S = 20.0


def cache_dir(data_dir: Path) -> Path:
    """Where a kiosk keeps its rendered prompts, under its data directory."""
    return data_dir / "voice"


class EngineMissing(RuntimeError):
    """The speech engine is not installed: one clear sentence with what to do."""


class RenderFailed(RuntimeError):
    pass


class EspeakEngine:
    """espeak-ng: `render(text, locale, slow=False)` → the path of a WAV file in `cache_dir`.

    The file's name is a hash of (engine version, voice, speed, text), so the same prompt is rendered once
    per engine version and a new espeak-ng never plays an old rendering. `renders` counts the processes
    started, for tests and for the report of `prerender`.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        executable: str = "espeak-ng",
        voices: dict[str, str] | None = None,
        speed: int = SPEED,
        slow_speed: int = SLOW_SPEED,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.executable = executable
        self.voices = dict(VOICES if voices is None else voices)
        self.speed = speed
        self.slow_speed = slow_speed
        self.renders = 0
        self._version: str | None = None
        self._lock = threading.Lock()

    def _binary(self) -> str:
        found = shutil.which(self.executable)
        if found is None:
            raise EngineMissing(
                f"the speech engine {self.executable!r} is not installed: run "
                "deploy/install-system-packages.sh (or apt-get install espeak-ng); "
                "the kiosk works without it, silently"
            )
        return found

    @property
    def version(self) -> str:
        """The engine's own version line, e.g. `eSpeak NG text-to-speech: 1.51`; part of every cache key."""
        if self._version is None:
            try:
                out = subprocess.run(
                    [self._binary(), "--version"], capture_output=True, text=True, timeout=5, check=True
                ).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                raise RenderFailed(f"{self.executable} --version failed: {type(exc).__name__}") from exc
            self._version = out.split("Data at")[0].strip() or "unknown"
        return self._version

    def _voice(self, locale: str) -> str:
        if locale not in self.voices:
            raise ValueError(f"no voice for locale {locale!r}")
        return self.voices[locale]

    def path_for(self, text: str, locale: str, *, slow: bool = False) -> Path:
        voice = self._voice(locale)
        speed = self.slow_speed if slow else self.speed
        key = "\0".join(["espeak-ng", self.version, voice, str(speed), text])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / f"{locale}-{digest}.wav"

    @property
    def private_dir(self) -> Path:
        return self.cache_dir / "private"

    def render(self, text: str, locale: str, *, slow: bool = False, private: bool = False) -> Path:
        """The WAV of `text` spoken in `locale`'s voice; rendered now unless the cache has it.

        `private`: a personal prompt (a balance). It is never cached: it goes to `private_dir` under a random
        name, and the guide deletes it (`purge_private`) when the next utterance starts and when the visit
        ends, so no citizen's facts stay on disk as sound."""
        if private:
            target = self.private_dir / f"{uuid.uuid4().hex}.wav"
        else:
            target = self.path_for(text, locale, slow=slow)
            if target.exists():
                return target
        binary = self._binary()
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".render-", suffix=".wav", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            # The text goes on standard input, never on the command line (where `ps` would show it).
            result = subprocess.run(
                [
                    binary,
                    "-v",
                    self._voice(locale),
                    "-s",
                    str(self.slow_speed if slow else self.speed),
                    "-w",
                    str(tmp),
                    "--stdin",
                ],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=RENDER_TIMEOUT_S,
                check=False,
            )
            with self._lock:
                self.renders += 1
            if result.returncode != 0 or tmp.stat().st_size <= 44:
                raise RenderFailed(f"{self.executable} exited {result.returncode} without audio")
            os.replace(tmp, target)
        except subprocess.TimeoutExpired as exc:
            raise RenderFailed(f"{self.executable} took longer than {RENDER_TIMEOUT_S:.0f} s") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def purge_private(self) -> int:
        """Delete every private rendering (and its volume-scaled copies); how many files went."""
        gone = 0
        if self.private_dir.is_dir():
            for path in self.private_dir.iterdir():
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def phonemes(self, text: str, locale: str) -> str:
        """What the voice will say, as espeak-ng's phoneme mnemonics (tests check the Mandarin voice)."""
        result = subprocess.run(
            [self._binary(), "-q", "-x", "-v", self._voice(locale), "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_TIMEOUT_S,
            check=True,
        )
        return result.stdout.decode("utf-8", "replace")


def prerender_texts() -> list[tuple[str, str]]:
    """Every fixed (non-personal) utterance as (locale, text): each screen's prompt and each event's, with
    the password count's and the attempts' every value. Personal prompts are never rendered ahead: their
    facts are the citizen's, and a file of them would outlive the visit."""
    texts: list[tuple[str, str]] = []
    prompts: list[Prompt] = [*SCREEN_PROMPTS.values(), *EVENT_PROMPTS.values()]
    for locale in SUPPORTED_LOCALES:
        for prompt in prompts:
            if not prompt.fields:
                texts.append((locale, render(prompt, locale)))
            elif prompt.fields == {"count"}:
                texts += [(locale, render(prompt, locale, count=n)) for n in range(1, 7)]
            elif prompt.fields == {"attempts"}:
                texts += [(locale, render(prompt, locale, attempts=n)) for n in range(0, 6)]
    return texts


@dataclass(frozen=True)
class PrerenderReport:
    files: int
    rendered: int
    total_bytes: int


def prerender(directory: Path, *, executable: str = "espeak-ng", slow_too: bool = True) -> PrerenderReport:
    """Render every non-personal prompt in both languages (and at the slow speed) into `directory`, the
    guide's cache: for install time, so the first citizen never waits for the engine."""
    engine = EspeakEngine(directory, executable=executable)
    paths = set()
    for locale, text in prerender_texts():
        for slow in (False, True) if slow_too else (False,):
            paths.add(engine.render(text, locale, slow=slow))
    return PrerenderReport(
        files=len(paths), rendered=engine.renders, total_bytes=sum(p.stat().st_size for p in paths)
    )
