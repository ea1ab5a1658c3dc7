"""What every test shares: Hypothesis' settings, the `ui` marker, and a private X server (Xvfb) for the UI
tests, started and stopped by the tests themselves."""

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# One profile for every machine, so a developer's run is CI's run. CI starts from a clean clone on a shared
# 2-core machine: Hypothesis then builds its Unicode table on the first text draw (which the too_slow check
# blames on the test), and a loaded core stretches single examples far past the 200 ms default deadline.
# No example database either: a run that passes only thanks to examples a warm machine remembered is a run
# CI cannot repeat.
settings.register_profile(
    "kiosk",
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kiosk"))

UI_TESTS = Path(__file__).resolve().parent / "ui"

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test under tests/ui drives the real app under Xvfb: `-m "not ui"` gives a quick run without them.
    for item in items:
        if item.path.is_relative_to(UI_TESTS):
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: run deploy/install-system-packages.sh (./run setup does)"
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [
            xvfb,
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            "1600x1200x24",
            "-nolisten",
            "tcp",
            "+extension",
            "GLX",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    assert number.isdigit(), "Xvfb did not report a display number"
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def screens_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


KioskSettings = Callable[..., Path]


@pytest.fixture
def kiosk_settings(tmp_path: Path) -> KioskSettings:
    """Writes a small kiosk settings file in the test's own directory (data, outbox key and all: a test
    never touches /var/lib/hpf-kiosk or /etc/hpf-kiosk) and returns its path; `extra` is more TOML."""

    def write(idcard: str = "sim://", extra: str = "") -> Path:
        path = tmp_path / "kiosk.toml"
        path.write_text(
            f"""
[kiosk]
id = "KIOSK-TEST-01"
centre_id = "00012000"
data_dir = "{tmp_path / "data"}"

[central]
base_url = "http://127.0.0.1:9"
terminal_secret = "test-secret-synthetic"

[outbox]
key_file = "{tmp_path / "keys" / "outbox.key"}"

[devices]
idcard = "{idcard}"
{extra}""",
            encoding="utf-8",
        )
        return path

    return write
