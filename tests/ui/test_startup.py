"""`kiosk run` to its first frame, under Xvfb: the line bench/startup.py times the start by, and the garbage
collector, paused for the start, running again once the attract screen is up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# Runs `kiosk run` in-process and watches for the kiosk's first-frame line; on the frame after it, reports
# what it saw and asks the kiosk to stop as a service manager would.
WATCH_THE_START = """
import gc, json, logging, sys
from kiosk.cli import main

seen = {}

class FirstFrame(logging.Handler):
    def emit(self, record):
        if "first frame drawn" not in record.getMessage():
            return
        from kivy.app import App
        from kivy.clock import Clock

        seen["collecting_at_first_frame"] = gc.isenabled()

        def after(_dt):
            seen["collecting_after"] = gc.isenabled()
            seen["frozen_objects"] = gc.get_freeze_count()
            App.get_running_app().request_stop()

        Clock.schedule_once(after, 0)

logging.getLogger("kiosk.app").addHandler(FirstFrame())
status = main(["run", "--config", sys.argv[1]])
print(json.dumps({**seen, "status": status}))
"""


def test_kiosk_run_reports_its_first_frame_and_collects_again_after_it(
    xvfb_display: str, kiosk_settings: Callable[..., Path]
) -> None:
    settings = kiosk_settings(extra="""
[display]
width = 540
height = 960
fullscreen = false
""")
    done = subprocess.run(
        [sys.executable, "-c", WATCH_THE_START, str(settings)],
        env={**os.environ, "DISPLAY": xvfb_display},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "kiosk KIOSK-TEST-01: first frame drawn" in done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == 0
    assert seen["collecting_at_first_frame"] is False
    assert seen["collecting_after"] is True
    # What the start made lives as long as the kiosk: later collections do not walk it again.
    assert seen["frozen_objects"] > 10_000
