"""What the UI tests share: running a driver in its own process under Xvfb (Kivy allows one app per
process), reading the report it leaves, and checking that each screen it saved was really drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

UI_DIR = Path(__file__).resolve().parent


def run_driver(
    driver: str, out: Path, data_dir: Path, display: str, *args: str, timeout_s: float = 180
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Run tests/ui/`driver` and return its report (result.json) with the finished process."""
    (out / "result.json").unlink(missing_ok=True)  # a driver that dies at start must not pass on an old one
    result = subprocess.run(
        [sys.executable, str(UI_DIR / driver), "--out", str(out), "--data-dir", str(data_dir), *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    report: dict[str, Any] = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + result.stderr[-3000:]
    return report, result


def assert_drawn(out: Path, names: list[str]) -> None:
    for name in names:
        image = Image.open(out / f"{name}.png").convert("RGB")
        assert image.size[1] >= 900, name
        # A screen that failed to draw is one flat colour; a real one has text, buttons and a header.
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 50, f"{name}.png looks blank"
