"""The measured accessibility audit (issue #16): every citizen screen of the real kiosk, in normal and in
elderly mode, measured from its widget tree (drive_accessibility.py, accessibility_audit.py): touch targets,
font sizes, line spacing, text/background contrast. The report is saved as
artifacts/accessibility/report.json; a failing widget is named with its screen and mode."""

import json
import shutil
from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "accessibility"

# Every citizen screen the audit reaches (kiosk/screens/__init__.py less staff and out-of-service screens).
CITIZEN_SCREENS = [
    "attract",
    "home",
    "complaint",
    "complaint_topic",
    "complaint_phone",
    "complaint_confirm",
    "card",
    "password",
    "overview",
    "deposits",
    "loan",
    "withdrawal",
    "withdrawal_amount",
    "certificate",
    "certificate_period",
    "password_change",
    "appointment",
    "appointment_office",
    "appointment_slots",
    "appointment_unavailable",
    "my_appointments",
    "pre_registration",
    "pre_registration_checklist",
    "pre_registration_done",
    "applications",
    "notice",
    "goodbye",
]


def test_every_citizen_screen_in_both_modes(xvfb_display: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result, process = run_driver(
        "drive_accessibility.py", out, tmp_path / "data", xvfb_display, timeout_s=150
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in out.glob("*.png"):
        shutil.copy(path, ARTIFACTS / path.name)
    shutil.copy(out / "report.json", ARTIFACTS / "report.json")

    assert result["screens"] == CITIZEN_SCREENS
    assert_drawn(out, [f"a11y_{name}" for name in CITIZEN_SCREENS])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for mode in ("normal", "elderly"):
        assert sorted(report["modes"][mode]) == sorted(CITIZEN_SCREENS), mode
        for screen, widgets in report["modes"][mode].items():
            kinds = {w["kind"] for w in widgets}
            assert kinds == {"target", "text"}, f"{mode} {screen}: measured only {kinds}"
    # No personal data in the report: digits are masked, and so is the citizen's name.
    texts = [w["text"] for mode in report["modes"].values() for widgets in mode.values() for w in widgets]
    assert texts and not any(ch.isdigit() for text in texts for ch in text)
    assert result["violations"] == [], "\n".join(result["violations"])
    assert process.returncode == 0
