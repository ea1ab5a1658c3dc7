"""The watchdog path without systemd: the real kiosk under Xvfb, with NOTIFY_SOCKET naming a datagram
socket this test owns, as systemd's would be. It must say READY=1 once it is up, ping WATCHDOG=1 from its
UI thread at half the watchdog period, fall silent while that thread is blocked (so systemd would restart
it), ping again once it is let go, and say STOPPING=1 when it stops."""

import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

UI_DIR = Path(__file__).resolve().parent
WATCHDOG_USEC = 2_000_000  # pings once a second
PING_S = WATCHDOG_USEC / 1_000_000 / 2
# A ping sent just before the block began may be read just after the test's clock saw it begin.
IN_FLIGHT_S = 0.3


class Listener:
    """Receives on the notification socket, as systemd does: every datagram with the moment it came and
    the pid of the process that sent it (SO_PASSCRED)."""

    def __init__(self, path: Path) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(str(path))
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.socket.settimeout(0.2)
        self.received: list[tuple[float, str, int]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._done.is_set():
            try:
                data, ancillary, _flags, _address = self.socket.recvmsg(4096, socket.CMSG_SPACE(12))
            except TimeoutError:
                continue
            at = time.monotonic()
            pid = next(
                struct.unpack("3i", payload)[0]
                for level, kind, payload in ancillary
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS
            )
            for message in data.decode().splitlines():
                self.received.append((at, message, pid))

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)
        self.socket.close()

    def times(self, message: str) -> list[float]:
        return [at for at, text, _pid in self.received if text == message]


def test_the_watchdog_is_fed_from_the_ui_thread_and_starves_when_it_hangs(
    xvfb_display: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    listener = Listener(tmp_path / "notify")
    env = {
        **os.environ,
        "DISPLAY": xvfb_display,
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
    }
    env.pop("WATCHDOG_PID", None)
    process = subprocess.Popen(
        [
            sys.executable,
            str(UI_DIR / "drive_watchdog.py"),
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _stdout, stderr = process.communicate(timeout=180)
    finally:
        process.kill()
        listener.close()
    report = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert report["ok"], report.get("error", "") + stderr[-3000:]
    assert report["steps"] == ["blocked", "resumed", "stopping"]
    assert process.returncode == 0, stderr[-3000:]

    ready, pings, stopping = (
        listener.times("READY=1"),
        listener.times("WATCHDOG=1"),
        listener.times("STOPPING=1"),
    )
    assert len(ready) == 1 and len(stopping) == 1
    assert {text for _at, text, _pid in listener.received} == {"READY=1", "WATCHDOG=1", "STOPPING=1"}
    # Every message came from the kiosk's own process, not from a helper it started.
    assert {pid for _at, _text, pid in listener.received} == {process.pid}
    started, ended = report["block"]["started"], report["block"]["ended"]
    assert ready[0] < started < ended < stopping[0]

    before = [at for at in pings if ready[0] <= at < started]
    assert len(before) >= 3, before
    gaps = [b - a for a, b in pairwise(before)]
    assert 0.8 * PING_S <= statistics.median(gaps) <= 1.5 * PING_S, gaps

    during = [at for at in pings if started + IN_FLIGHT_S < at < ended]
    assert during == [], f"pinged while the UI thread was blocked: {[at - started for at in during]}"
    # Long enough without a ping that systemd, with this WatchdogSec, would have restarted the kiosk.
    last_before = max(at for at in pings if at <= started + IN_FLIGHT_S)
    first_after = min(at for at in pings if at >= ended)
    assert first_after - last_before > WATCHDOG_USEC / 1_000_000

    after = [at for at in pings if ended <= at < stopping[0]]
    assert len(after) >= 3, after
