"""Who may hear what: private facts only through private listening.

EN 301 549 5.1.3.9 and ADA 2010 §707.5: a masked entry is never spoken (the catalogue has no prompt that can
take a password: `prompts.FORBIDDEN_FIELDS`; the password screen says only how many digits were typed), and
personal facts (a balance, an amount, a call number) are spoken only through a headset, or when the citizen
has asked, for this visit only, to have them read aloud over the speaker.

Where the hardware says whether a headset is plugged in, `AlsaHeadsetProbe` reads it from the sound card's
jack control (HD-Audio codecs publish "Headphone Jack" as a read-only boolean). Where it cannot tell, the
answer is "no headset": the safe side.
"""

from __future__ import annotations

import logging
import re
import subprocess

from kiosk.voice.prompts import Prompt

log = logging.getLogger(__name__)


def may_speak(prompt: Prompt, *, headset: bool, personal_allowed: bool) -> bool:
    """Screen and event prompts always; personal ones only through a headset or with this visit's opt-in."""
    if prompt.kind != "personal":
        return True
    return headset or personal_allowed


_VALUES = re.compile(r"^\s*:\s*values=(\w+)", re.MULTILINE)


def parse_jack_state(amixer_output: str) -> bool | None:
    """`amixer cget` output of a jack control → plugged (True), not (False) or unknown (None)."""
    match = _VALUES.search(amixer_output)
    if match is None:
        return None
    value = match.group(1).lower()
    if value in ("on", "1", "true", "yes"):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    return None


class AlsaHeadsetProbe:
    """Asks ALSA whether headphones are in the jack: `amixer -c CARD cget iface=CARD,name='Headphone Jack'`.

    Call it off the Kivy thread (the guide calls it on its own worker); it takes a few milliseconds and
    gives up after one second. Any failure (no amixer, no such card or control) means "no headset".
    """

    def __init__(
        self, card: int | str = 0, control: str = "Headphone Jack", executable: str = "amixer"
    ) -> None:
        self.card = str(card)
        self.control = control
        self.executable = executable
        self._warned = False

    def __call__(self) -> bool:
        try:
            result = subprocess.run(
                [self.executable, "-c", self.card, "cget", f"iface=CARD,name={self.control}"],
                capture_output=True,
                text=True,
                timeout=1.0,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self._warn(f"{type(exc).__name__}")
            return False
        state = parse_jack_state(result.stdout) if result.returncode == 0 else None
        if state is None:
            self._warn(f"no jack control {self.control!r} on card {self.card}")
            return False
        return state

    def _warn(self, why: str) -> None:
        if not self._warned:
            self._warned = True
            log.info("headset detection unavailable (%s): personal facts need the citizen's opt-in", why)
