"""The test's side of a kiosk process (kiosk_driver.py): its settings file, its commands, and SIGKILL."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DRIVER = Path(__file__).with_name("kiosk_driver.py")
REPO = Path(__file__).resolve().parents[2]
# Beyond what a command may wait for: the kiosk's first answer also waits for its start (imports, fonts,
# the outbox, the devices), and a loaded machine is slow.
ANSWER_MARGIN_S = 30.0


@dataclass(frozen=True)
class KioskSetup:
    """Who the kiosk is and where its parts are: what its settings file says."""

    terminal_id: str
    secret: str
    data_dir: Path
    central_url: str
    idcard_url: str
    printer_url: str
    bankcard_url: str

    @property
    def key_file(self) -> Path:
        # Off the data dir, as on a real kiosk: the data dir alone must not open the outbox's rows.
        return self.data_dir.parent / "keys" / "outbox.key"

    def write(self, path: Path) -> Path:
        path.write_text(
            f"""
[kiosk]
id = "{self.terminal_id}"
centre_id = "00012000"
data_dir = "{self.data_dir}"

[central]
base_url = "{self.central_url}"
terminal_secret = "{self.secret}"
timeout_s = 3

[outbox]
key_file = "{self.key_file}"

[devices]
idcard = "{self.idcard_url}"
printer = "{self.printer_url}"
bankcard = "{self.bankcard_url}"
""",
            encoding="utf-8",
        )
        return path


class KioskRefused(Exception):
    """A command raised in the kiosk: `error` is the exception's type, `message` its message id."""

    def __init__(self, command: str, error: str, message: str) -> None:
        super().__init__(f"{command}: {error} {message}".strip())
        self.error = error
        self.message = message


class KioskProcess:
    def __init__(self, settings_file: Path, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(DRIVER), str(settings_file)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                encoding="utf-8",
                env={**os.environ, **env},
                cwd=REPO,
            )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[str] = self._process.stdin
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True).start()
        self._pending: list[str] = []

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self._answers.put(line)

    def send(self, command: str, **arguments: Any) -> None:
        """Give a command without waiting for its answer (`answer()` takes it)."""
        self._stdin.write(json.dumps({"do": command, **arguments}) + "\n")
        self._stdin.flush()
        self._pending.append(command)

    def answer(self, timeout_s: float) -> Any:
        command = self._pending.pop(0)
        try:
            line = self._answers.get(timeout=timeout_s)
        except queue.Empty:
            raise TimeoutError(
                f"the kiosk did not answer {command} in {timeout_s:g} s (exit status "
                f"{self._process.poll()}; its log: {self.log_path})"
            ) from None
        reply = json.loads(line)
        if "error" in reply:
            raise KioskRefused(command, reply["error"], reply["message"])
        return reply["ok"]

    def call(self, command: str, **arguments: Any) -> Any:
        """Give a command and wait for its answer: the time it may wait (`wait_s`) and some more."""
        self.send(command, **arguments)
        return self.answer(float(arguments.get("wait_s", 0)) + ANSWER_MARGIN_S)

    def kill(self) -> None:
        """SIGKILL: nothing of the kiosk runs after this, not even its exit handlers."""
        os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)
        self._pending.clear()

    def stop(self) -> None:
        assert self.call("stop") is True, "the kiosk did not stop cleanly"
        self._process.wait(timeout=10)

    def close(self) -> None:
        """After a test, pass or fail: no kiosk outlives it."""
        if self._process.poll() is None:
            self.kill()
        self._stdin.close()
