"""投诉建议 end to end through the real parts, under Xvfb, with a PNG of every screen: the home screen's ten
tiles in every text size and language, an anonymous complaint with a callback phone (masked on screen and
slip), the slip's reference on the virtual printer, a suggestion in large English text
(drive_complaint_flow.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

DRIVER = Path(__file__).resolve().parent / "drive_complaint_flow.py"
EXPECTED = [
    "cs_01_home",
    "cs_02_home_large_text",
    "cs_03_home_english_large_text",
    "cs_04_home_english",
    "cs_05_category",
    "cs_06_topics",
    "cs_07_phone_empty",
    "cs_08_phone_typed",
    "cs_09_confirm",
    "cs_10_done",
    "cs_11_goodbye",
    "cs_12_category_english_large",
    "cs_13_topics_english_large",
    "cs_14_phone_english_large",
    "cs_15_confirm_english_large",
    "cs_16_done_english_large",
]


def test_complaint_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "complaint"
    (out / "result.json").unlink(missing_ok=True)  # a driver that dies at start must not pass on an old one
    result = subprocess.run(
        [sys.executable, str(DRIVER), "--out", str(out), "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "DISPLAY": xvfb_display},
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + result.stderr[-3000:]
    assert report["steps"] == EXPECTED
    for name in EXPECTED:
        image = Image.open(out / f"{name}.png").convert("RGB")
        assert image.size[1] >= 900, name
        # A screen that failed to draw is one flat colour; a real one has text, buttons and a header.
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 50, f"{name}.png looks blank"
    assert (out / "cs_10b_printed_slip.png").exists()
    assert result.returncode == 0
