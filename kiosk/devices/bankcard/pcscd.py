"""A pcscd of our own, with vpcd as its only reader: for the integration tests, the bench and training.

pcscd 1.9 always puts its socket at /run/pcscd/pcscd.comm (it ignores PCSCLITE_CSOCK_NAME; only the
client library reads it). So that a test never meets the system's pcscd, or another test run's, this one
runs in a private mount namespace where a directory of ours is bind-mounted on /run, and clients reach
it through PCSCLITE_CSOCK_NAME. vpcd's port is a free one unless given, for the same reason. Without
namespaces (no ``unshare``, or not permitted) it runs on the system paths, if nothing else holds them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from kiosk.devices.errors import DeviceError

SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
_PR_SET_PDEATHSIG = 1


class PcscdError(DeviceError):
    pass


def free_port_pair() -> int:
    """A TCP port p with p + 1 also free: vpcd opens two slots, on its port and the next."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("", port + 1))
                except OSError:
                    continue
        return port
    raise PcscdError("no free pair of TCP ports for vpcd")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when our process dies, so no pcscd outlives a crashed test."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _namespace_prefix() -> list[str] | None:
    """The ``unshare`` command line that gives pcscd a mount namespace here, or None if none works."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    prefixes = [[unshare, "--mount", "--propagation", "private"]]
    prefixes.append([unshare, "--user", "--map-root-user", "--mount", "--propagation", "private"])
    for prefix in prefixes if os.geteuid() == 0 else prefixes[1:]:
        probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return prefix
    return None


class PrivatePcscd:
    """``pcscd --foreground`` as a child process; ``env`` is what a client process needs to reach it."""

    def __init__(self, workdir: str | os.PathLike[str] | None = None, vpcd_port: int | None = None) -> None:
        pcscd = shutil.which("pcscd") or next(
            (p for p in ("/usr/sbin/pcscd", "/sbin/pcscd") if os.path.exists(p)), None
        )
        if pcscd is None:
            raise PcscdError("pcscd is not installed (apt-get install pcscd)")
        if not VPCD_DRIVER.exists():
            raise PcscdError(f"{VPCD_DRIVER} is missing (apt-get install vsmartcard-vpcd)")
        self._pcscd = pcscd
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kiosk-pcscd-"))
        self.vpcd_port = vpcd_port or free_port_pair()
        self._prefix = _namespace_prefix()
        run = self.workdir / "run"
        self.socket_path = run / "pcscd" / "pcscd.comm" if self._prefix else SYSTEM_SOCKET
        self.log_path = self.workdir / "pcscd.log"
        self._conf = self.workdir / "reader.conf.d"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {SOCKET_ENV: str(self.socket_path)}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> PrivatePcscd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        if self._prefix is None and SYSTEM_SOCKET.exists():
            raise PcscdError(
                f"{SYSTEM_SOCKET} is in use and this system cannot give pcscd a private one (unshare)"
            )
        self._conf.mkdir(parents=True, exist_ok=True)
        (self._conf / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.vpcd_port:04X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{self.vpcd_port:04X}\n"
        )
        pcscd = [self._pcscd, "--foreground", "--config", str(self._conf)]
        if self._prefix is not None:
            (self.workdir / "run").mkdir(exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()  # left by a pcscd that was killed
            script = 'mount --bind "$0" /run && exec "$@"'
            command = [*self._prefix, "sh", "-c", script, str(self.workdir / "run"), *pcscd]
        else:
            command = pcscd
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while not self.socket_path.exists():
            if not self.running:
                raise PcscdError(f"pcscd exited at start; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise PcscdError(f"pcscd did not create {self.socket_path} in {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()
