"""Hall staff's maintenance mode end to end through the real parts, under Xvfb, with a PNG of every screen:
the hidden gesture (nothing during a visit), a wrong PIN, the lockout, sign-in, status, device tests with a
fault injected into each emulator and passing, paper replaced, the outbox, out of service as citizens see
it and as the centre's heartbeat shows it, back in service, the idle timeout; the audit trail at the centre
(drive_maintenance_flow.py)."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

SCREENS = [
    "m01_sign_in_staff_number",
    "m01b_sign_in_staff_number_typed",
    "m02_sign_in_pin",
    "m03_wrong_pin",
    "m04_locked_out",
    "m05_status",
    "m05b_status_english",
    "m06_device_tests",
    "m07_printer_paper_out",
    "m08_printer_passed",
    "m09_id_reader_unplugged",
    "m10_id_card_passed",
    "m11_bank_card_passed",
    "m11b_speaker_volume",
    "m12_paper",
    "m13_paper_replaced",
    "m14_outbox",
    "m15_service_in",
    "m16_service_out",
    "m17_citizens_see_out_of_service",
    "m17b_out_of_service_english",
    "m18_restart",
    "m19_restart_question",
]


def test_maintenance_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "maintenance"
    report, result = run_driver(
        "drive_maintenance_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=300
    )
    assert report["steps"] == [*SCREENS, "audit_trail"]
    assert_drawn(out, SCREENS)
    assert (out / "m08b_test_slip.png").is_file()
    assert result.returncode == 0


def test_restart_from_maintenance_mode_stops_cleanly_and_exits_for_the_service_manager(
    xvfb_display: str, screens_dir: Path, tmp_path: Path
) -> None:
    out = screens_dir / "maintenance"
    report, result = run_driver(
        "drive_maintenance_restart.py", out, tmp_path / "data", xvfb_display, timeout_s=120
    )
    assert report["steps"] == ["r01_restart_question", "restarting"]
    assert_drawn(out, ["r01_restart_question"])
    assert result.returncode == 75  # EXIT_RESTART: systemd starts the kiosk again
