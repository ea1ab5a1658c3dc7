"""Voice guidance (issue #16): spoken prompts for every citizen screen and event, in Mandarin and English,
rendered offline by espeak-ng and played without blocking; personal facts only through a headset or the
citizen's opt-in. `VoiceGuide` (guide.py) is what the app calls; prompts.py is the catalogue."""

from kiosk.voice.engine import EngineMissing, EspeakEngine, RenderFailed, prerender
from kiosk.voice.guide import VoiceGuide
from kiosk.voice.player import AplayPlayer
from kiosk.voice.privacy import AlsaHeadsetProbe, may_speak
from kiosk.voice.prompts import EVENT_PROMPTS, PERSONAL_PROMPTS, SCREEN_PROMPTS, Prompt, render

__all__ = [
    "EVENT_PROMPTS",
    "PERSONAL_PROMPTS",
    "SCREEN_PROMPTS",
    "AlsaHeadsetProbe",
    "AplayPlayer",
    "EngineMissing",
    "EspeakEngine",
    "Prompt",
    "RenderFailed",
    "VoiceGuide",
    "may_speak",
    "prerender",
    "render",
]
