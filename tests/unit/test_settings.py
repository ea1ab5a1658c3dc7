"""Settings: the shipped files load; every mistake is one line naming file and key, exit code 2."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "config" / "demo.toml"
EXAMPLE = REPO / "config" / "kiosk.example.toml"


def test_shipped_files_load() -> None:
    demo = load_settings(DEMO)
    assert demo.kiosk.id == "KIOSK-DEMO-01"
    assert demo.kiosk.data_dir == (REPO / "var" / "demo").resolve()
    example = load_settings(EXAMPLE)
    assert example.central.base_url.startswith("https://")
    assert example.session.idle_timeout_s == 60 and example.session.countdown_s == 10
    assert (example.voice.enabled, example.voice.volume, example.voice.device) == (True, 70, None)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = DEMO.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('base_url = "http://127.0.0.1:8765"', 'base_url = "ftp://x"', "central.base_url: must be an http"),
        ('locale = "zh_CN"', 'locale = "fr"', "kiosk.locale:"),
        ("idle_timeout_s = 60", "idle_timeout_s = 5", "session.idle_timeout_s:"),
        ("countdown_s = 10", "countdown_s = 60", "session: countdown_s must be shorter"),
        ("width = 1080", "width = 2000", "display: orientation is portrait but the size is 2000x1920"),
        ('id = "KIOSK-DEMO-01"', 'id = "KIOSK DEMO"', "kiosk.id:"),
        ("timeout_s = 5", "timout_s = 5", "central.timout_s: unknown key"),
        (
            'terminal_secret = "demo-secret-not-for-production"',
            "",
            "central: set exactly one of terminal_secret",
        ),
        ("fullscreen = false", 'fullscreen = "sometimes"', "display.fullscreen:"),
        ('bankcard = "sim://"', 'bankcard = "ACS ACR39U"', "devices.bankcard: must be a device URL"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    path = _write(tmp_path, BASE.replace(old, new))
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_section_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"central: missing"):
        load_settings(_write(tmp_path, BASE.split("[central]")[0]))
    with pytest.raises(SettingsError, match=r"not valid TOML"):
        load_settings(_write(tmp_path, "[kiosk\nid=1"))
    with pytest.raises(SettingsError, match=r"no such settings file"):
        load_settings(tmp_path / "absent.toml")


def test_the_outbox_key_file_lives_outside_the_data_dir() -> None:
    demo = load_settings(DEMO)
    assert demo.outbox.key_file == (REPO / "var" / "demo-keys" / "outbox.key").resolve()
    assert not demo.outbox.key_file.is_relative_to(demo.kiosk.data_dir)
    example = load_settings(EXAMPLE)
    assert example.outbox.key_file == Path("/etc/hpf-kiosk/keys/outbox.key")
    assert not example.outbox.key_file.is_relative_to(example.kiosk.data_dir)
    assert Settings.model_validate(
        {
            "kiosk": {"id": "K1", "centre_id": "1"},
            "central": {"base_url": "https://c.example", "terminal_secret": "12345678"},
        }
    ).outbox.key_file == Path("/etc/hpf-kiosk/keys/outbox.key")


def test_a_relative_key_file_is_relative_to_the_settings_file(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace('"../var/demo-keys/outbox.key"', '"keys/outbox.key"'))
    assert load_settings(path).outbox.key_file == tmp_path / "keys" / "outbox.key"
    with pytest.raises(SettingsError, match=r"outbox.keyfile: unknown key"):
        load_settings(_write(tmp_path, BASE.replace("key_file =", "keyfile =")))


def test_overrides_are_validated_again() -> None:
    settings = load_settings(DEMO)
    changed = settings.with_overrides(central={"base_url": "http://127.0.0.1:9999/"})
    assert changed.central.base_url == "http://127.0.0.1:9999"
    assert changed.kiosk.data_dir == settings.kiosk.data_dir
    with pytest.raises(Exception, match="http"):
        settings.with_overrides(central={"base_url": "nope"})
    assert isinstance(changed, Settings)


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("timeout_s = 5", "timeout_s = -1"))
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "doctor", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"kiosk: {path}: central.timeout_s: Input should be greater than 0"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('corner = "middle"', "maintenance.corner:"),
        ("gesture_taps = 1", "maintenance.gesture_taps:"),
        ("lockout_first_wait_s = 60\nlockout_max_wait_s = 30", "lockout_max_wait_s must be at least"),
        ("paper_roll_length_m = 5\npaper_warn_remaining_m = 5", "paper_warn_remaining_m must be less"),
        ("pin = 123456", "maintenance.pin: unknown key"),
    ],
)
def test_bad_maintenance_settings_name_the_key(tmp_path: Path, section: str, expected: str) -> None:
    path = _write(tmp_path, f"{BASE}\n[maintenance]\n{section}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message



@pytest.mark.parametrize(
    ("voice", "message"),
    [
        ("volume = 101", "voice.volume: Input should be less than or equal to 100"),
        ("volume = -1", "voice.volume: Input should be greater than or equal to 0"),
        ('device = "hw:0; rm -rf /"', "voice.device: String should match pattern"),
        ("loudness = 3", "voice.loudness: unknown key"),
    ],
)
def test_a_bad_voice_setting_is_one_line_naming_the_key(tmp_path: Path, voice: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(_write(tmp_path, BASE + f"\n[voice]\n{voice}\n"))
