"""`kiosk-central serve` as a launcher runs it: a real process, read through its stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central_server.cli import main

from .helpers import Kiosk

ROOT = Path(__file__).parents[2]
SCRIPT = Path(sys.executable).with_name("kiosk-central")


def _run(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    assert SCRIPT.exists(), "install the project (pip install -e '.[server]') to get the kiosk-central script"
    # The checkout's code, not whatever an editable install points at.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [str(SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = _run("serve", "--port", "0", "--demo")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield process, line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.timeout(30)
def test_serve_prints_where_it_listens_and_answers(served: tuple[subprocess.Popen[str], str]) -> None:
    process, line = served
    assert line.startswith("listening on http://127.0.0.1:"), line
    base_url = line.removeprefix("listening on ").strip()
    health = requests.get(base_url + "/v1/health", timeout=10)
    assert (health.status_code, health.json()["code"]) == (200, "ok")

    kiosk = Kiosk(base_url)
    assert kiosk.authenticate().status_code == 200
    card = kiosk.data("GET", "/v1/demo/cards")[0]
    assert kiosk.login(card["id_number"], card["name"], "999999").status_code == 401
    assert kiosk.login(card["id_number"], card["name"]).status_code == 200

    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout == "", "stdout carries only the listening line"
    assert "GET /v1/health" in stderr, "the access log goes to stderr"
    for personal in (card["id_number"], card["name"], "999999", "123456"):
        assert personal not in stderr


@pytest.mark.timeout(30)
@pytest.mark.parametrize("db", ["nosuchdialect://x", "sqlite:////nonexistent-directory/central.db"])
def test_an_unusable_database_is_one_line_and_exit_2(db: str) -> None:
    process = _run("serve", "--port", "0", "--db", db)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("kiosk-central: cannot use database")


def test_a_database_password_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", "nosuchdialect://user:hunter2@host/db"]) == 2
    assert "hunter2" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--terminal", "no-equals-sign"],
        ["serve", "--port", "70000"],
        ["serve", "--seed", "abc"],
        ["serve", "--bogus"],
        [],
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert "error:" in captured.err
