"""The first citizen flow end to end through the real parts, under Xvfb, with a PNG of every screen.

attract → home → place card → password (wrong, then right) → overview (中文 ⇄ English) → deposits → exit →
goodbye; a loan holder who walks away (countdown, wipe); the centre going down mid-visit.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from PIL import Image

DRIVER = Path(__file__).resolve().parent / "drive_citizen_flow.py"
EXPECTED = [
    "01_attract",
    "02_home",
    "03_place_card",
    "04_password",
    "05_wrong_password",
    "06_overview",
    "06a_overview_large_text",
    "06b_statement_printed",
    "07_overview_english",
    "08_deposits",
    "09_goodbye",
    "10_home_after_remote_config",
    "11_loan",
    "12_idle_countdown",
    "13_centre_unavailable",
]


def test_citizen_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": xvfb_display}
    result = subprocess.run(
        [sys.executable, str(DRIVER), "--out", str(screens_dir), "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = json.loads((screens_dir / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + result.stderr[-3000:]
    assert report["steps"] == EXPECTED
    for name in EXPECTED:
        image = Image.open(screens_dir / f"{name}.png").convert("RGB")
        assert image.size[1] >= 900, name
        # A screen that failed to draw is one flat colour; a real one has text, buttons and a header.
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 50, f"{name}.png looks blank"
    assert result.returncode == 0


def test_kiosk_mode_refuses_escape_and_close(xvfb_display: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            str(DRIVER),
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
            "--scenario",
            "lockdown",
        ],
        env={**os.environ, "DISPLAY": xvfb_display},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + result.stderr[-3000:]
    assert report["steps"] == ["lockdown"]


def test_kiosk_run_stops_cleanly_on_sigterm(xvfb_display: str, tmp_path: Path) -> None:
    """A service manager stops the kiosk with SIGTERM: it must exit, not veto it as a window close."""
    repo = Path(__file__).resolve().parents[2]
    config = tmp_path / "kiosk.toml"
    text = (repo / "config" / "demo.toml").read_text(encoding="utf-8")
    config.write_text(
        text.replace('data_dir = "../var/demo"', f'data_dir = "{tmp_path / "data"}"').replace(
            "fullscreen = false", "fullscreen = true"
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config)],
        env={**os.environ, "DISPLAY": xvfb_display},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "kiosk KIOSK-DEMO-01 started" in line:
                break
        else:
            raise AssertionError("the kiosk never started")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
