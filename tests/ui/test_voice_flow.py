"""Voice guidance through a whole withdrawal on the real kiosk under Xvfb, with the real speech engine
(drive_voice_flow.py): every step is spoken, the password only counted, personal figures only on request."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

EXPECTED = ["v01_home_voice_on", "v02_reasons_voice_row", "v02b_amount_step", "v03_result"]


def test_a_withdrawal_is_spoken_step_by_step(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "voice"
    report, result = run_driver("drive_voice_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=240)
    assert report["steps"] == EXPECTED, report
    assert_drawn(out, EXPECTED)
    said = report["facts"]["said"]
    steps = ["withdrawal", "withdrawal_amount", "withdrawal_card", "withdrawal_confirm", "withdrawal_result"]
    firsts = [said.index(step) for step in steps]
    assert firsts == sorted(firsts), said
    assert "balance" in said and "personal_hint" not in said[said.index("balance") :]
    assert result.returncode == 0
