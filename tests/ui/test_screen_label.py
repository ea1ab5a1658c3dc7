"""Labels on a hidden screen leave new words unrendered until their screen is about to show, and render
them then (kiosk/widgets/screen_label.py): a language switch renders the screen shown, not all thirty."""

import json
import os
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).with_name("drive_screen_label.py")


def test_a_hidden_screen_renders_its_new_words_as_it_shows(xvfb_display: str) -> None:
    done = subprocess.run(
        [sys.executable, str(DRIVER)],
        env={**os.environ, "DISPLAY": xvfb_display},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["kind"] == "ScreenLabel"  # the kv rules' Label is the deferring one
    # The screen shown renders at once; the hidden one keeps its old texture...
    assert not seen["shown_deferred"] and seen["shown_width"] > seen["hidden_width_before"]
    assert seen["hidden_deferred"] and seen["hidden_width_while_hidden"] == seen["hidden_width_before"]
    # ...until its screen shows, and then its words are drawn.
    assert not seen["hidden_deferred_when_shown"]
    assert seen["hidden_width_when_shown"] > seen["hidden_width_before"]
