"""The instrument of bench/ui_latency.py (bench/ui_probe.py), checked on the bare Kivy app it uses as its
baseline, under Xvfb: work a tap does on the Kivy thread shows in the time to the tap's first frame and in
the longest frame, by about as much as the work took. A probe that timed the wrong frame, or missed the
frame the tap ran in, would report the same with and without it."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BARE = Path(__file__).resolve().parents[2] / "bench" / "ui_latency_bare.py"
HANDLER_MS = 200.0


def _switches(display: str, handler_ms: float) -> list[dict[str, float]]:
    done = subprocess.run(
        [sys.executable, str(BARE), "--taps", "6", "--handler-ms", str(handler_ms)],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    measured: list[dict[str, float]] = json.loads(done.stdout)["measured"]
    return measured


def test_work_on_the_kivy_thread_shows_in_the_tap_and_the_frame(xvfb_display: str) -> None:
    plain = _switches(xvfb_display, 0)
    slowed = _switches(xvfb_display, HANDLER_MS)
    assert len(plain) == len(slowed) == 6
    for entry in slowed:
        assert entry["first_frame_ms"] >= HANDLER_MS and entry["longest_frame_ms"] >= HANDLER_MS, entry
        assert entry["longest_work_ms"] >= HANDLER_MS, "the tap's work was counted as the swap's"
        assert entry["settled_ms"] >= entry["first_frame_ms"]
    added = statistics.median(e["first_frame_ms"] for e in slowed) - statistics.median(
        e["first_frame_ms"] for e in plain
    )
    assert HANDLER_MS * 0.8 <= added <= HANDLER_MS * 2, added
