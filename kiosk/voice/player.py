"""Playing a WAV without blocking the caller, one at a time, the newest interrupting the last.

`aplay` (alsa-utils) is the player: the kiosk runs under cage with no desktop session, so there is no
PipeWire or PulseAudio server to talk to (`pw-play`/`paplay` would need one); ALSA is always there, aplay
plays the 16-bit mono WAV espeak-ng writes as it is, and it is a separate process that we can stop at any
moment (ADA §707.5: speech is interruptible). A kiosk with a PipeWire session can pass `executable="pw-play"`.

Volume (0–100, from the configuration or maintenance mode) is applied to the samples before playing, so it
does not depend on a mixer control the sound card may not have: the volume makes a scaled copy next to the
original (`name.v40.wav`), kept for the next time. The gain is (volume/100)², which the ear hears as roughly
even steps (50 is −12 dB, 25 is −24 dB).

No audio device (CI, a kiosk whose card failed) is not an error the citizen should see: the player logs one
line and carries on silently, and logs again only after a play has worked in between.
"""

from __future__ import annotations

import array
import logging
import os
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

log = logging.getLogger(__name__)


def scaled_copy(path: Path, volume: int) -> Path:
    """`path` at `volume` (0–100) as a WAV beside it; the original at 100. 16-bit PCM only (others as is)."""
    volume = max(0, min(100, volume))
    if volume >= 100:
        return path
    target = path.with_name(f"{path.stem}.v{volume}.wav")
    if target.exists():
        return target
    with wave.open(str(path), "rb") as source:
        params = source.getparams()
        frames = source.readframes(params.nframes)
    if params.sampwidth != 2:
        return path
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    gain = (volume / 100) ** 2
    scaled = array.array("h", (int(s * gain) for s in samples))
    if sys.byteorder == "big":
        scaled.byteswap()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    with wave.open(str(tmp), "wb") as out:
        out.setparams(params)
        out.writeframes(scaled.tobytes())
    os.replace(tmp, target)
    return target


class AplayPlayer:
    """`play(path, volume)` starts playing and returns at once; a new play stops the one before."""

    def __init__(self, *, executable: str = "aplay", device: str | None = None) -> None:
        self.executable = executable
        self.device = device
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopped: set[int] = set()
        self._failing = False  # a failure was logged; say nothing more until a play works again
        self.failures = 0

    def _command(self, path: Path) -> list[str]:
        if Path(self.executable).name == "aplay":
            return [self.executable, "-q", *(["-D", self.device] if self.device else []), str(path)]
        return [self.executable, str(path)]

    def play(self, path: Path, volume: int = 100) -> None:
        """Never raises: what goes wrong is logged once, and the kiosk stays silent."""
        self.stop()
        if volume <= 0:
            return
        try:
            source = scaled_copy(Path(path), volume)
        except (OSError, EOFError, wave.Error) as exc:
            self._fail(f"cannot read {Path(path).name}: {type(exc).__name__}")
            return
        if shutil.which(self.executable) is None:
            self._fail(f"{self.executable} is not installed (apt-get install alsa-utils)")
            return
        try:
            process = subprocess.Popen(
                self._command(source),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            self._fail(f"{self.executable} did not start: {type(exc).__name__}")
            return
        with self._lock:
            self._process = process
        threading.Thread(target=self._watch, args=(process,), name="voice-player", daemon=True).start()

    def _watch(self, process: subprocess.Popen[bytes]) -> None:
        _, err = process.communicate()
        with self._lock:
            stopped = process.pid in self._stopped
            self._stopped.discard(process.pid)
            if self._process is process:
                self._process = None
        if stopped:
            return
        if process.returncode != 0:
            last = (err or b"").decode("utf-8", "replace").strip().splitlines()
            self._fail(f"{self.executable} exited {process.returncode}: {last[-1] if last else 'no message'}")
        elif self._failing:
            self._failing = False
            log.info("audio output works again")

    def _fail(self, why: str) -> None:
        self.failures += 1
        if not self._failing:
            self._failing = True
            log.warning("voice guidance silent: %s", why)

    def stop(self) -> None:
        """Stop what is playing now (a new prompt, the end of a visit, volume 0)."""
        with self._lock:
            process, self._process = self._process, None
            if process is not None and process.poll() is None:
                self._stopped.add(process.pid)
                process.terminate()

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def wait(self, timeout: float) -> bool:
        """Wait for the current sound to end (tests, and a goodbye said before the process exits)."""
        with self._lock:
            process = self._process
        if process is None:
            return True
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
