"""Every command group as a person runs it: the console scripts ``pip install`` made (``kiosk``,
``kiosk-admin``, ``kiosk-central``), next to this interpreter. A group, or a subcommand of one, that is
not wired into its entry point fails here, whatever its own tests drive directly.

Each check is a ``--help`` (argparse lists a group's subcommands in its usage line) or an action that
ends at once; the device commands' real actions are in ``tests/devices`` and go through ``kiosk`` too.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import kiosk
from tests.devices.support import installed

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "kiosk": "kiosk.cli:main",
    "kiosk-admin": "kiosk.remote_config.admin_cli:main",
    "kiosk-central": "central_server.cli:main",
}


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed(script), *args], capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=ROOT
    )


def subcommands(script: str, *group: str) -> set[str]:
    """The subcommands ``script group... --help`` lists: ``{a,b,c}`` in its usage line."""
    done = run(script, *group, "--help")
    assert done.returncode == 0, done.stderr
    usage = done.stdout.split("\n\n")[0]
    assert usage.startswith(f"usage: {' '.join((script, *group))}"), usage
    listed = re.search(r"\{([\w,-]+)\}", usage)
    assert listed is not None, f"{script} {' '.join(group)} lists no subcommands: {usage}"
    return set(listed.group(1).split(","))


def test_the_project_declares_the_three_commands_and_each_target_exists() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert declared == SCRIPTS
    for target in declared.values():
        module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function))


def test_kiosk_lists_its_command_groups() -> None:
    expected = {"demo", "run", "doctor", "simulate", "version", "devices", "config", "queue"}
    assert expected <= subcommands("kiosk")


def test_kiosk_version() -> None:
    done = run("kiosk", "version")
    assert (done.returncode, done.stdout) == (0, f"kiosk {kiosk.__version__}\n")


def test_kiosk_doctor() -> None:
    done = run("kiosk", "doctor", "--help")
    assert (
        done.returncode == 0 and done.stdout.startswith("usage: kiosk doctor") and "--config" in done.stdout
    )


def test_kiosk_devices_lists_every_device() -> None:
    assert {"idcard", "bankcard", "printer"} <= subcommands("kiosk", "devices")


@pytest.mark.parametrize(
    ("device", "commands"),
    [
        ("idcard", {"read", "emulate"}),
        ("bankcard", {"read", "emulate"}),
        ("printer", {"test", "status", "emulate"}),
    ],
)
def test_kiosk_devices(device: str, commands: set[str]) -> None:
    assert commands <= subcommands("kiosk", "devices", device)


def test_kiosk_queue(tmp_path: Path) -> None:
    assert {"status", "list", "retry", "purge"} <= subcommands("kiosk", "queue")
    missing = tmp_path / "kiosk.toml"
    done = run("kiosk", "queue", "status", "--config", str(missing))
    assert done.returncode != 0 and done.stderr.startswith("kiosk queue: ") and str(missing) in done.stderr


def test_kiosk_config(tmp_path: Path) -> None:
    assert {"verify", "show"} <= subcommands("kiosk", "config")
    missing = tmp_path / "kiosk.toml"
    done = run("kiosk", "config", "show", "--config", str(missing))
    assert done.returncode == 2 and f"{missing}: no such settings file" in done.stderr


def test_kiosk_admin(tmp_path: Path) -> None:
    assert {"keygen", "sign", "publish", "rollout", "fleet"} <= subcommands("kiosk-admin")
    assert "status" in subcommands("kiosk-admin", "rollout")
    done = run("kiosk-admin", "keygen", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert {path.suffix for path in tmp_path.iterdir()} == {".key", ".pub"}


def test_kiosk_central() -> None:
    assert "serve" in subcommands("kiosk-central")
    done = run("kiosk-central", "serve", "--help")
    assert (
        done.returncode == 0
        and done.stdout.startswith("usage: kiosk-central serve")
        and "--port" in done.stdout
    )
