""" "呼叫工作人员 / Call staff" end to end through the real parts, under Xvfb: the header's button, the
notice that answers it, a second tap, the call in the console, the maintenance status screen
(drive_help_flow.py)."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

EXPECTED = ["help_01_called", "help_02_already_called_en", "help_03_maintenance_status"]


def test_call_staff_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "help"
    report, result = run_driver("drive_help_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=180)
    assert report["steps"] == EXPECTED
    assert_drawn(out, EXPECTED)
    assert result.returncode == 0
