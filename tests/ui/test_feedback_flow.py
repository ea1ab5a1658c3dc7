"""好差评 end to end through the real parts, under Xvfb, with a PNG of every new screen: a query, Exit, a
rating of 非常不满意 with a reason and a callback phone (masked on screen), the goodbye; then a visit that
skips the rating in one tap (drive_feedback_flow.py)."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

EXPECTED = [
    "fb_01_rating_levels",
    "fb_02_rating_reasons",
    "fb_03_rating_phone",
    "fb_04_rating_reasons_with_phone",
    "fb_05_goodbye_after_rating",
]


def test_feedback_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "feedback"
    report, result = run_driver("drive_feedback_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=180)
    assert report["steps"] == EXPECTED
    assert_drawn(out, EXPECTED)
    assert result.returncode == 0
