"""投诉建议 end to end through the real parts, under Xvfb, with a PNG of every screen: the home screen's ten
tiles in every text size and language, an anonymous complaint with a callback phone (masked on screen and
slip), the slip's reference on the virtual printer, a suggestion in large English text
(drive_complaint_flow.py)."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

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
    report, result = run_driver(
        "drive_complaint_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=240
    )
    assert report["steps"] == EXPECTED
    assert_drawn(out, EXPECTED)
    assert (out / "cs_10b_printed_slip.png").exists()
    assert result.returncode == 0
