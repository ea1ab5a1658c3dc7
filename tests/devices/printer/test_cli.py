"""``kiosk devices printer test|status|emulate`` as real processes: the installed ``kiosk`` command, so a
printer command that is not wired into it fails here."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..support import installed

KIOSK = installed("kiosk")


def last_line(text: str) -> str:
    """The one line a failing command ends with (device logs at INFO come before it)."""
    return text.splitlines()[-1] if text else ""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, "devices", "printer", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


Emulator = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def emulate(tmp_path: Path) -> Iterator[Emulator]:
    started: list[subprocess.Popen[str]] = []

    def start(*options: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [
                KIOSK,
                "devices",
                "printer",
                "emulate",
                "--port",
                "0",
                "--out",
                str(tmp_path),
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on escpos+tcp://127.0.0.1:"), line + process.stderr.read()  # type: ignore[union-attr]
        return process, line.split()[2]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_test_slip_prints_and_the_emulator_says_where_it_went(emulate: Emulator, tmp_path: Path) -> None:
    process, url = emulate()
    result = run("test", "--url", url)
    assert (result.returncode, result.stdout) == (
        0,
        "test slip printed (ready, 1 character(s) replaced as designed)\n",
    )
    assert process.stdout is not None
    assert process.stdout.readline() == f"job 1: cut, {tmp_path / 'job-0001.png'}\n"
    assert "打印机测试页" in (tmp_path / "job-0001.txt").read_text(encoding="utf-8")
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0


def test_status_in_words_and_as_json(emulate: Emulator) -> None:
    _, url = emulate("--paper", "near_end")
    words = run("status", "--url", url)
    assert (words.returncode, words.stdout) == (0, "ready, paper near end\nprint confirmation: GS r\n")
    as_json = run("status", "--url", url, "--json")
    assert as_json.returncode == 0
    status = json.loads(as_json.stdout)
    assert (status["paper"], status["ready"], status["state"], status["problem"], status["confirmation"]) == (
        "near_end",
        True,
        "idle",
        None,
        "gs_r",
    )


def test_no_paper_fails_with_one_line_that_says_so(emulate: Emulator) -> None:
    _, url = emulate("--paper", "out")
    result = run("test", "--url", url)
    assert (result.returncode, result.stdout) == (1, "")
    assert last_line(result.stderr) == "kiosk devices printer test: paper out (before printing)"
    status = run("status", "--url", url)
    assert (status.returncode, last_line(status.stderr)) == (1, "kiosk devices printer status: paper out")


def test_paper_running_out_during_the_slip_fails_the_test(emulate: Emulator) -> None:
    _, url = emulate("--run-out-after", "8")
    result = run("test", "--url", url)
    assert result.returncode == 1
    assert (
        last_line(result.stderr)
        == "kiosk devices printer test: paper out during the job (after sending the slip)"
    )


def test_nobody_listening_is_no_answer_and_a_bad_url_is_a_config_error() -> None:
    result = run("status", "--url", "escpos+tcp://127.0.0.1:9?connect_ms=500")
    assert result.returncode == 1
    assert last_line(result.stderr).startswith("kiosk devices printer status: no answer (127.0.0.1:9: ")
    bad = run("test", "--url", "escpos+tcp://127.0.0.1:9100?width=57")
    assert bad.returncode == 2 and "width='57' is not one of 58, 80" in bad.stderr


def test_a_write_only_printer_never_passes_the_test(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    result = run("test", "--url", f"escpos+file://{target}")
    assert result.returncode == 1
    assert last_line(result.stderr) == (
        "kiosk devices printer test: no answer (sent, but this connection cannot read the printer's status)"
    )
    assert target.read_bytes().startswith(b"\x1b@\x1c&")  # the slip went out all the same


def test_a_printer_without_gs_r_prints_the_test_slip_out_of_the_box(
    emulate: Emulator, tmp_path: Path
) -> None:
    """Most kiosk printers answer DLE EOT but not GS r: with the default URL the slip prints, the command
    says how it was judged, and nothing waits for a confirmation that never comes."""
    _, url = emulate("--without-gs-r")
    started = time.monotonic()
    result = run("test", "--url", url)
    assert time.monotonic() - started < 10  # the old default waited confirm_ms (20 s), then failed
    assert (result.returncode, result.stdout) == (
        0,
        "test slip printed (ready, 1 character(s) replaced as designed; "
        "print confirmation: not supported, judged by status)\n",
    )
    assert "打印机测试页" in (tmp_path / "job-0001.txt").read_text(encoding="utf-8")
    status = run("status", "--url", url)
    assert (status.returncode, status.stdout) == (
        0,
        "ready\nprint confirmation: not supported, judged by status\n",
    )
    as_json = json.loads(run("status", "--url", url, "--json").stdout)
    assert (as_json["ready"], as_json["confirmation"]) == (True, "not_supported")
