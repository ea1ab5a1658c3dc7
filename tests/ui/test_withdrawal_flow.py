"""A withdrawal, a certificate and a password change end to end by touch, through the real parts under
Xvfb, with a PNG of every screen (artifacts/screens/withdrawal/).

Withdrawal: sign in → rent → an amount over the maximum (refused at the keypad) → a valid one → a credit
card (refused) → the citizen's debit card → confirm → accepted → goodbye with the receipt reminder.
Certificate: a deposit certificate printed, its code verified on the centre's /verify page. Password
change: a weak new password refused with the centre's sentence, then a good one, which signs in next time.
"""

from pathlib import Path

from tests.ui.flow_run import assert_drawn, run_driver

EXPECTED = [
    "w01_reasons",
    "w01b_reasons_english",
    "w02_amount",
    "w03_amount_over_maximum",
    "w03b_amount_large_text",
    "w04_insert_card",
    "w05_credit_card_refused",
    "w06_confirm",
    "w07_result_accepted",
    "w08_goodbye_receipt",
    "c01_certificates",
    "c02_statement_periods",
    "c03_certificate_printed",
    "p01_current_password",
    "p02_new_password",
    "p03_weak_password",
    "p03b_weak_password_english",
    "p04_password_changed",
    "p05_signed_in_with_new_password",
]


def test_withdrawal_certificate_and_password_change(
    xvfb_display: str, screens_dir: Path, tmp_path: Path
) -> None:
    out = screens_dir / "withdrawal"
    report, result = run_driver("drive_withdrawal_flow.py", out, tmp_path / "data", xvfb_display)
    assert report["steps"] == EXPECTED
    facts = report["facts"]
    assert facts["goodbye_reminds_receipt"] is True
    assert facts["verify_status"] == 200, facts
    assert facts["weak_sentence"] == "密码不能是6个相同数字。"
    assert facts["weak_sentence_en"] == "The password cannot be one digit six times."
    assert facts["signed_in_with_new_password"] is True
    # The bank cards went through the real PC/SC stack (the demo's pcscd and vpcd), not the in-process one.
    assert report["bank_card_reader"].startswith("pcsc://"), report["bank_card_reader"]
    assert_drawn(out, EXPECTED)
    assert result.returncode == 0
    # The kiosk's log never has the full number of the card the chip gave, only the masked one.
    assert "621799" not in result.stderr.replace("621799******", "")
