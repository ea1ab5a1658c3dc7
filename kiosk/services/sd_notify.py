"""The systemd notification protocol: one datagram per message to the socket named in $NOTIFY_SOCKET
(sd_notify(3)). The kiosk says READY=1 once its first frame is drawn, WATCHDOG=1 from its UI thread, and
STOPPING=1 when it begins to stop; outside systemd ($NOTIFY_SOCKET unset) every call does nothing.

Written here rather than taken from a library: `sdnotify` on PyPI has had no release since 2017 and knows
nothing of the watchdog's variables, and `systemd-python` is a C extension that needs libsystemd's headers
and a compiler in the kiosk's venv, for what is a sendto() on a datagram socket."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """How often to send WATCHDOG=1: half the period systemd gave in $WATCHDOG_USEC, as
    sd_watchdog_enabled(3) advises; None when there is no watchdog, or it is meant for another process.

    $WATCHDOG_PID names the process the watchdog is for. Under cage the service's main process is the
    compositor and the kiosk its child (the unit has NotifyAccess=all), so systemd names our parent: that
    counts as ours too. Any other process means we inherited the variables from somewhere else."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid is not None and pid not in (str(os.getpid()), str(os.getppid())):
        return None
    return int(usec) / 1_000_000 / 2


class Notifier:
    """Sends notifications to the service manager. Sending never blocks and never raises: a datagram to
    a socket that is gone is only logged (once for each kind of message, as the watchdog's would come
    every few seconds), since a kiosk must not stop because its supervisor went away."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        if name.startswith("@"):  # Linux's abstract namespace: a leading NUL byte instead of the '@'
            self._address = b"\0" + name[1:].encode()
        elif name.startswith("/"):
            self._address = name
        self._socket: socket.socket | None = None
        self._failed: set[str] = set()
        if self._address is not None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.setblocking(False)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def ready(self) -> None:
        self._send("READY=1")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def status(self, text: str) -> None:
        """A line for `systemctl status`; it is shown to anyone on the machine: never personal data."""
        self._send("STATUS=" + text.replace("\n", " "))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, message: str) -> None:
        if self._socket is None or self._address is None:
            return
        try:
            self._socket.sendto(message.encode(), self._address)
        except OSError as exc:
            kind = message.split("=")[0]
            if kind not in self._failed:
                self._failed.add(kind)
                log.warning("could not notify the service manager (%s): %s", kind, exc)
