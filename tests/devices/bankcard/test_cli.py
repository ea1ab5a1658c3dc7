"""``kiosk devices bankcard read|emulate`` as real processes of the installed ``kiosk`` command, logging at
DEBUG (``-v``) so that the secrets check sees every log line: in process (sim://) and through pcscd."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from kiosk.devices.bankcard.pcscd import PrivatePcscd
from kiosk.devices.bankcard.virtual_card import CARDS_DIR

from ..support import installed
from .support import EXPECTED, SECRETS

BANKCARD = [installed("kiosk"), "-v", "devices", "bankcard"]
ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BANKCARD, *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_read_json_in_process() -> None:
    done = run("read", "--url", "sim://?card=pboc_debit_contactless", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == EXPECTED["pboc_debit_contactless"][1]
    assert_no_secrets(done.stdout + done.stderr)


def test_read_as_text() -> None:
    done = run("read", "--url", "sim://?card=pboc_credit_contact")
    assert done.returncode == 0, done.stderr
    assert "card number: 621700*********3451" in done.stdout
    assert "expires: 2029-06" in done.stdout


def test_a_failed_read_gives_the_message_key_and_exit_1() -> None:
    done = run("read", "--url", "sim://?card=pboc_debit_expired", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "bankcard.expired"
    assert_no_secrets(done.stdout + done.stderr)


def test_no_card_within_the_timeout() -> None:
    done = run("read", "--url", "sim://", "--timeout", "0.3", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "bankcard.no_card"


def test_a_bad_url_exits_2() -> None:
    done = run("read", "--url", "pcsc://?raeder=ACS")
    assert done.returncode == 2
    assert "unknown parameter 'raeder'" in done.stderr


def test_emulate_a_card_file_and_read_it_through_pcscd(pcscd: PrivatePcscd) -> None:
    card_file = CARDS_DIR / "t0_two_applications.json"
    command = ["emulate", "--card", str(card_file), "--port", str(pcscd.vpcd_port)]
    emulator = subprocess.Popen(
        [*BANKCARD, *command],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = "pcsc://?reader=Virtual&poll_ms=20"
        done = run("read", "--url", url, "--json", "--timeout", "10", env=pcscd.env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == EXPECTED["t0_two_applications"][1]
        assert_no_secrets(done.stdout + done.stderr)
    finally:
        emulator.send_signal(signal.SIGTERM)
        assert emulator.wait(timeout=10) == 0
        assert emulator.stderr is not None
        assert "card t0_two_applications in vpcd" in emulator.stderr.read()
