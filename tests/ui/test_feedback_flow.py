"""好差评 end to end through the real parts, under Xvfb, with a PNG of every new screen: a query, Exit, a
rating of 非常不满意 with a reason and a callback phone (masked on screen), the goodbye; then a visit that
skips the rating in one tap (drive_feedback_flow.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

DRIVER = Path(__file__).resolve().parent / "drive_feedback_flow.py"
EXPECTED = [
    "fb_01_rating_levels",
    "fb_02_rating_reasons",
    "fb_03_rating_phone",
    "fb_04_rating_reasons_with_phone",
    "fb_05_goodbye_after_rating",
]


def test_feedback_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "feedback"
    (out / "result.json").unlink(missing_ok=True)  # a driver that dies at start must not pass on an old one
    result = subprocess.run(
        [sys.executable, str(DRIVER), "--out", str(out), "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "DISPLAY": xvfb_display},
        capture_output=True,
        text=True,
        timeout=180,
    )
    report = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + result.stderr[-3000:]
    assert report["steps"] == EXPECTED
    for name in EXPECTED:
        image = Image.open(out / f"{name}.png").convert("RGB")
        assert image.size[1] >= 900, name
        # A screen that failed to draw is one flat colour; a real one has text, buttons and a header.
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 50, f"{name}.png looks blank"
    assert result.returncode == 0
