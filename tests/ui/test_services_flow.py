"""The home screen's services end to end through the real parts, under Xvfb, with a PNG of every screen:
nine tiles (also in large text and English); an appointment booked (its slip printed) and cancelled (its
slip printed); a pre-registration online; with the link to the centre cut, booking says it needs the centre
and offers pre-registration, which waits in the outbox and is listed as waiting to be sent until the link
returns and the centre lists it under the same code (drive_services_flow.py)."""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

EXPECTED = [
    "svc_01_home",
    "svc_02_home_large_text",
    "svc_03_home_english_large_text",
    "svc_04_home_english",
    "svc_05_appointment_business",
    "svc_06_appointment_office",
    "svc_07_appointment_slots",
    "svc_07b_appointment_slots_large_english",
    "svc_08_appointment_time_chosen",
    "svc_09_appointment_booked",
    "svc_09c_appointment_booked_english",
    "svc_10_goodbye_with_slip",
    "svc_11_my_appointments",
    "svc_12_cancel_question",
    "svc_13_appointment_cancelled",
    "svc_14_pre_registration_business",
    "svc_15_pre_registration_checklist",
    "svc_16_pre_registered",
    "svc_17_booking_needs_the_centre",
    "svc_18_pre_registered_offline",
    "svc_19_applications_offline",
    "svc_20_applications_delivered",
    "svc_20b_applications_english_large_text",
]


def test_services_flow(xvfb_display: str, screens_dir: Path, tmp_path: Path) -> None:
    out = screens_dir / "services"
    report, result = run_driver("drive_services_flow.py", out, tmp_path / "data", xvfb_display, timeout_s=180)
    assert report["steps"] == EXPECTED
    assert_drawn(out, EXPECTED)
    for slip in (
        "svc_09b_appointment_slip",
        "svc_13b_cancellation_slip",
        "svc_18b_pre_registration_slip_offline",
    ):
        assert (out / f"{slip}.png").is_file(), slip
    assert result.returncode == 0
