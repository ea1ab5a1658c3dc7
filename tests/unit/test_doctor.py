"""`kiosk doctor` on the demo configuration, pointed at a live central and an emulated ID card reader."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.devices.bankcard.pcscd import SOCKET_ENV, PrivatePcscd
from kiosk.devices.idcard.emulator import SamEmulator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def parts() -> Iterator[tuple[RunningServer, SamEmulator]]:
    server = serve_in_thread(
        create_app(demo=True, terminals={"KIOSK-DEMO-01": "demo-secret-not-for-production"})
    )
    emulator = SamEmulator()
    yield server, emulator
    emulator.close()
    server.stop()


def _config(tmp_path: Path, base_url: str, idcard: str) -> Path:
    text = (REPO / "config" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = "http://127.0.0.1:8765"', f'base_url = "{base_url}"')
    text = text.replace('idcard = "sim://"', f'idcard = "{idcard}"')
    text = text.replace('data_dir = "../var/demo"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace('"../var/demo-keys/outbox.key"', f'"{tmp_path / "keys" / "outbox.key"}"')
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _doctor(config: Path, display: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display:
        env["DISPLAY"] = display
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "doctor", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_all_green_on_the_demo_parts(
    parts: tuple[RunningServer, SamEmulator], tmp_path: Path, xvfb_display: str
) -> None:
    server, emulator = parts
    config = _config(tmp_path, server.base_url, f"sam+serial://{emulator.path}?baud=115200")
    result = _doctor(config, xvfb_display)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHECK", "STATUS", "DETAIL"]
    statuses = {line.split("  ")[0].strip(): line for line in lines[1:]}
    for check in (
        "display",
        "Chinese font",
        "data dir",
        "device idcard",
        "device printer",
        "device bankcard",
        "central",
        "clock skew",
        "terminal login",
        "outbox key",
        "outbox",
    ):
        assert check in statuses, f"{check} missing from:\n{result.stdout}"
        assert " ok " in statuses[check], statuses[check]
    assert "NotoSansCJKsc-Regular.otf" in statuses["Chinese font"]


def test_red_rows_and_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", "sam+serial:///dev/no-such-reader?baud=115200")
    config.write_text(config.read_text().replace('bankcard = "sim://"', 'bankcard = "pcsc://?reader=ACS"'))
    # No pcscd behind this socket, whatever runs on the machine (only the doctor's process reads it).
    monkeypatch.setenv(SOCKET_ENV, str(tmp_path / "no-pcscd.comm"))
    result = _doctor(config, display=None)
    assert result.returncode == 1
    out = result.stdout
    assert any(line.startswith("display") and "FAIL" in line for line in out.splitlines())
    assert any(
        line.startswith("central") and "FAIL" in line and "127.0.0.1:9" in line for line in out.splitlines()
    )
    device = next(line for line in out.splitlines() if line.startswith("device idcard"))
    assert "FAIL" in device and "/dev/no-such-reader" in device
    bankcard = next(line for line in out.splitlines() if line.startswith("device bankcard"))
    assert "FAIL" in bankcard and "pcsc://?reader=ACS" in bankcard and "start pcscd" in bankcard
    assert "Traceback" not in result.stderr


def test_wrong_terminal_secret_is_named(
    parts: tuple[RunningServer, SamEmulator], tmp_path: Path, xvfb_display: str
) -> None:
    server, emulator = parts
    config = _config(tmp_path, server.base_url, f"sam+serial://{emulator.path}")
    config.write_text(config.read_text().replace("demo-secret-not-for-production", "a-wrong-secret"))
    result = _doctor(config, xvfb_display)
    assert result.returncode == 1
    login = next(line for line in result.stdout.splitlines() if line.startswith("terminal login"))
    assert "FAIL" in login and "KIOSK-DEMO-01" in login


def test_kiosk_run_without_a_display_says_so_in_one_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", "sim://")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kiosk: no DISPLAY or WAYLAND_DISPLAY: start the kiosk inside the graphical session"
    ]


def test_the_outbox_key_file_row(tmp_path: Path) -> None:
    from kiosk.doctor import check_outbox
    from kiosk.offline_queue import Outbox
    from kiosk.settings import load_settings

    settings = load_settings(_config(tmp_path, "http://127.0.0.1:9", "sim://"))
    data_dir, key_file = settings.kiosk.data_dir, settings.outbox.key_file

    def rows() -> dict[str, tuple[str, str]]:
        return {check.name: (check.status, check.detail) for check in check_outbox(settings)}

    assert rows() == {
        "outbox key": ("ok", f"{key_file} is made at the kiosk's first start"),
        "outbox": ("ok", "made at the kiosk's first start"),
    }
    outbox = Outbox.open(data_dir, key_file=key_file)
    outbox.enqueue("rating", {"score": 5})
    outbox.close()
    assert rows() == {
        "outbox key": ("ok", f"{key_file} (mode 600)"),
        "outbox": ("ok", "1 transactions not yet delivered"),
    }
    key_file.chmod(0o644)
    assert rows()["outbox key"] == (
        "FAIL",
        f"{key_file} is open to other users (mode 644); run `chmod 600 {key_file}`",
    )
    key_file.rename(data_dir / "outbox.key")
    assert rows()["outbox key"][0] == "FAIL" and f"{key_file} is missing" in rows()["outbox key"][1]
    inside = settings.with_overrides(outbox={"key_file": data_dir / "outbox.key"})
    (data_dir / "outbox.key").chmod(0o600)
    assert (
        check_outbox(inside)[0].status == "warn" and "inside kiosk.data_dir" in check_outbox(inside)[0].detail
    )


def _bank_card_row(url: str | None, env: dict[str, str]) -> dict[str, str]:
    """The doctor's bank card row, checked in a process of its own: the PC/SC client library keeps the
    first pcscd socket a process uses, and this one must not take another test's."""
    code = (
        "import json, sys; from kiosk.doctor import check_optional_device; "
        "print(json.dumps(check_optional_device('bankcard', json.loads(sys.argv[1])).__dict__))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(url)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    row: dict[str, str] = json.loads(result.stdout)
    return row


def test_the_bank_card_reader_row(tmp_path: Path) -> None:
    not_set = _bank_card_row(None, {})
    assert (not_set["status"], not_set["detail"]) == (
        "ok",
        "devices.bankcard is not set: withdrawals are not offered (they are paid to a bank card read here)",
    )
    simulated = _bank_card_row("sim://", {})
    assert simulated["status"] == "ok" and simulated["detail"].startswith("sim://: idle")

    no_daemon = _bank_card_row("pcsc://?reader=Virtual", {SOCKET_ENV: str(tmp_path / "no-pcscd.comm")})
    assert no_daemon["status"] == "FAIL"
    assert no_daemon["detail"].startswith("pcsc://?reader=Virtual: offline")
    assert no_daemon["detail"].endswith("start pcscd (`sudo systemctl start pcscd.socket`)")

    with PrivatePcscd(tmp_path / "pcscd") as pcscd:
        reader = _bank_card_row("pcsc://?reader=Virtual", pcscd.env)
        assert reader["status"] == "ok", reader
        assert "idle (reader 'Virtual PCD 00 00')" in reader["detail"]
        other = _bank_card_row("pcsc://?reader=ACS", pcscd.env)
        assert other["status"] == "FAIL"
        assert other["detail"].startswith("pcsc://?reader=ACS: no_device")
        assert other["detail"].endswith(
            "plug the reader in, or set reader= in devices.bankcard to part of its name"
        )

    typo = _bank_card_row("pcsc://?raeder=ACS", {})
    assert typo["status"] == "FAIL" and "unknown parameter 'raeder'" in typo["detail"]

