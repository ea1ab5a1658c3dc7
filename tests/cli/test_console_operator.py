"""`kiosk-central operator`: the accounts it makes sign in to the console of a centre on the same database;
a new password or a disable ends the operator's sessions; bad input is one line and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from central_server.app import create_app
from central_server.console.accounts import Role
from central_server.console.operator_cli import ConsoleSecretError, read_console_secret
from central_server.testing import serve_in_thread
from tests.console.conftest import Console


def _operator(db: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "central_server", "operator", *args, "--db", f"sqlite:///{db}"],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_operator_added_on_the_shell_signs_in_until_disabled(tmp_path: Path) -> None:
    db = tmp_path / "centre.sqlite"
    added = _operator(
        db, "add", "chen.ops", "--role", "operator", "--password-stdin", password="a-long-password-1"
    )
    assert added.returncode == 0 and "operator chen.ops added (operator)" in added.stdout, added.stderr
    again = _operator(
        db, "add", "chen.ops", "--role", "viewer", "--password-stdin", password="another-password"
    )
    assert again.returncode == 1 and "exists already" in again.stderr
    short = _operator(db, "add", "li.ops", "--role", "viewer", "--password-stdin", password="short")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr

    app = create_app(f"sqlite:///{db}", console_secure_cookies=False)
    with serve_in_thread(app) as server:
        console = Console(server, app, tmp_path)
        browser = console.session(None)
        assert browser.sign_in("chen.ops", "a-long-password-1").status_code == 303
        assert browser.get("/console/audit").status_code == 403  # an operator, not an administrator
        changed = _operator(db, "passwd", "chen.ops", "--password-stdin", password="a-new-password-22")
        assert changed.returncode == 0, changed.stderr
        assert browser.get("/console/audit").status_code == 303  # the old session has ended
        assert browser.sign_in("chen.ops", "a-long-password-1").status_code == 401
        assert browser.sign_in("chen.ops", "a-new-password-22").status_code == 303
        assert _operator(db, "disable", "chen.ops").returncode == 0
        assert browser.get("/console/audit").status_code == 303
        assert browser.sign_in("chen.ops", "a-new-password-22").status_code == 401
    assert (
        _operator(db, "disable", "nobody.here").stderr.strip()
        == "kiosk-central operator: no operator nobody.here"
    )


def test_the_console_secret_file_must_be_private_and_long_enough(tmp_path: Path) -> None:
    secret = tmp_path / "console.secret"
    secret.write_text("x" * 40)
    secret.chmod(0o644)
    with pytest.raises(ConsoleSecretError, match="chmod 600"):
        read_console_secret(secret)
    secret.chmod(0o600)
    assert read_console_secret(secret) == b"x" * 40
    secret.write_text("short")
    with pytest.raises(ConsoleSecretError, match="at least 32 bytes"):
        read_console_secret(secret)
    assert os.stat(secret).st_mode & 0o077 == 0


def test_roles_are_ordered() -> None:
    assert Role.VIEWER < Role.OPERATOR < Role.ADMINISTRATOR


def test_the_kiosk_demo_prints_the_console_operator_the_demo_centre_makes() -> None:
    from central_server.console import DEMO_OPERATOR
    from kiosk.demo import DEMO_CONSOLE_OPERATOR

    assert DEMO_CONSOLE_OPERATOR == DEMO_OPERATOR
