"""`kiosk-central serve` as a launcher runs it: a real process, read through its stdout."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
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


def _terminals_file(directory: Path, text: str = "", mode: int = 0o600) -> Path:
    path = directory / "terminals.toml"
    path.write_text(
        text or '[[terminal]]\nid = "KIOSK-HALL-07"\nsecret = "hall-07-secret-synthetic"\ngroup = "hall"\n',
        encoding="utf-8",
    )
    path.chmod(mode)
    return path


def _refusal(process: subprocess.Popen[str]) -> str:
    """The one stderr line of a server that must not start; a server that starts anyway is killed."""
    try:
        stdout, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    assert process.returncode == 2, stdout
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    return stderr


@pytest.mark.timeout(30)
@pytest.mark.parametrize("db", ["nosuchdialect://x", "sqlite:////nonexistent-directory/central.db"])
def test_an_unusable_database_is_one_line_and_exit_2(db: str, tmp_path: Path) -> None:
    process = _run("serve", "--port", "0", "--db", db, "--terminals", str(_terminals_file(tmp_path)))
    assert _refusal(process).startswith("kiosk-central: cannot use database")


@pytest.mark.timeout(30)
def test_without_demo_it_refuses_to_start_without_a_terminals_file() -> None:
    stderr = _refusal(_run("serve", "--port", "0"))
    assert stderr.startswith("kiosk-central: no terminals configured: pass --terminals FILE")


@pytest.mark.timeout(30)
def test_a_terminals_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = _terminals_file(tmp_path, mode=0o644)
    stderr = _refusal(_run("serve", "--port", "0", "--terminals", str(path)))
    assert f"terminals file {path} is accessible by group or others (mode 0644)" in stderr
    assert stderr.rstrip().endswith(f"run: chmod 600 {path}")


@pytest.mark.timeout(30)
def test_outside_demo_only_the_configured_terminals_and_no_synthetic_data(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    process = _run(
        "serve",
        "--port",
        "0",
        "--db",
        f"sqlite:///{db}",
        "--terminals",
        str(_terminals_file(tmp_path)),
        "--max-body-bytes",
        "2048",
        preexec_fn=lambda: os.umask(0o022),
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().removeprefix("listening on ").strip()
        demo = Kiosk(base_url)
        refused = demo.authenticate("demo-secret-not-for-production")
        assert (refused.status_code, refused.json()["code"]) == (401, "terminal_unauthorised")
        kiosk = Kiosk(base_url, "KIOSK-HALL-07")
        assert kiosk.authenticate("hall-07-secret-synthetic").status_code == 200
        # Nobody to sign in as: the seeded demo citizens (password 123456) are not there.
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT count(*) FROM citizens").fetchone() == (0,)
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        too_big = kiosk.call("POST", "/v1/intake/batch", data=b"x" * 4096)
        assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[terminal]]\nid = 'K1'\n", "[[terminal]] number 1, key secret: Field required"),
        ("[[terminal]]\nid = 'K1'\nsecret = 'short'\n", "key secret: String should have at least 16"),
        ("[[terminal]]\nid = 'K 1'\nsecret = 'long-enough-secret-1'\n", "number 1, key id: String should"),
        ("[[terminal]]\nid = 'K1'\nsecret = 'long-enough-secret-1'\nsecrets = 'x'\n", "key secrets: Extra"),
        ("[[terminal]]\nid = 'K1'\nsecret = 'long-enough-secret-1'\n" * 2, "terminal K1 is listed twice"),
        ("terminal = []\n", "[[terminal]] tables: List should have at least 1 item"),
        ("[[terminal]\n", "is not valid TOML"),
    ],
)
def test_a_bad_terminals_file_is_one_line_naming_file_and_key(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _terminals_file(tmp_path, text)
    assert main(["serve", "--terminals", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"kiosk-central: terminals file {path}")
    assert expected in err
    assert "long-enough-secret-1" not in err and "short" not in err.replace("String should", "")


def test_a_missing_terminals_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--terminals", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == (
        f"kiosk-central: cannot read terminals file {tmp_path / 'nope.toml'}: No such file or directory\n"
    )


def test_seed_is_for_demo_mode_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--seed", "7", "--terminals", str(_terminals_file(tmp_path))]) == 2
    assert "--seed only applies with --demo" in capsys.readouterr().err


@pytest.mark.parametrize("in_file", [False, True])
def test_several_workers_need_postgresql(
    in_file: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'centre.db'}" if in_file else "sqlite://"
    assert main(["serve", "--workers", "2", "--db", db, "--terminals", str(_terminals_file(tmp_path))]) == 2
    assert capsys.readouterr().err == (
        "kiosk-central: --workers 2 needs PostgreSQL (--db postgresql+psycopg://…): SQLite takes one writer "
        "at a time, and an in-memory database lives in one process; run one worker on SQLite\n"
    )
    assert not (tmp_path / "centre.db").exists()


@pytest.mark.parametrize("workers", ["0", "65", "two", "-1"])
def test_a_worker_count_out_of_range_is_refused(workers: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--demo", f"--workers={workers}"])
    assert exit_.value.code == 2
    assert f"argument --workers: a whole number from 1 to 64, not {workers!r}" in capsys.readouterr().err


def test_a_database_password_is_not_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    terminals = str(_terminals_file(tmp_path))
    assert main(["serve", "--db", "nosuchdialect://user:hunter2@host/db", "--terminals", terminals]) == 2
    assert "hunter2" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--terminal", "KIOSK-DEMO-01=a-secret-on-the-command-line"],
        ["serve", "--terminal=KIOSK-DEMO-01=a-secret-on-the-command-line"],
        ["serve", "--port", "70000"],
        ["serve", "--seed", "abc"],
        ["serve", "--max-body-bytes", "0"],
        ["serve", "--sign-in-window-s", "0"],
        ["serve", "--demo", "--public-base-url", "ftp://centre.example/"],
        ["serve", "--demo", "--public-base-url", "https://centre.example/?x=1"],
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
    assert "a-secret-on-the-command-line" not in captured.err
