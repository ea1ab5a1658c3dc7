"""What the tests of the kiosk's and the centre's systemd units share: reading a unit file the way systemd
does (a key may appear more than once, a trailing backslash continues a line), and `systemd-analyze verify`
in a throwaway root that holds Debian's own units (so every dependency is resolved against the real
postgresql.service, pcscd.socket, getty@.service, …), the units under test in /etc/systemd/system, and an
executable stub at each path they run (the apps' virtualenvs are not installed on a development machine)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def settings(unit: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; systemd allows a key more than once, configparser does not."""
    section, found = "", []
    # A backslash at the end of a line continues it on the next.
    text = unit.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def values(unit: Path, section: str, key: str) -> list[str]:
    return [value for s, k, value in settings(unit) if (s, k) == (section, key)]


def one(unit: Path, section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"{unit.name}: [{section}] {key} set {len(found)} times"
    return found[0]


def throwaway_root(directory: Path, units: Iterable[Path], executables: Iterable[str]) -> Path:
    """A root for `systemd-analyze verify --root`: Debian's units, `units` in /etc/systemd/system, and a
    stub shell script at each path in `executables`."""
    assert SYSTEM_UNITS.is_dir(), "Debian's systemd units are missing (package systemd)"
    root = directory / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    for unit in units:
        shutil.copy(unit, root / "etc" / "systemd" / "system" / unit.name)
    for program in executables:
        path = root / program.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return root


def verify(root: Path, *names: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: it comes with Debian's systemd package"
    return subprocess.run(
        [analyze, "verify", "--man=no", "--generators=no", f"--root={root}", *names],
        capture_output=True,
        text=True,
        timeout=120,
    )
