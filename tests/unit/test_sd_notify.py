"""The systemd notification protocol, received on a real AF_UNIX datagram socket as systemd would: by a
path and in the abstract namespace ('@'), with the sender's credentials."""

import os
import socket
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.services.sd_notify import Notifier, watchdog_interval_s


def _receiver(address: str | bytes) -> socket.socket:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(address)
    # As systemd does: the kernel attaches the sender's pid, uid and gid to every datagram.
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    receiver.settimeout(5)
    return receiver


def _receive(receiver: socket.socket) -> tuple[str, int]:
    """One message and the pid of the process that sent it."""
    data, ancillary, _flags, _address = receiver.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = next(
        struct.unpack("3i", payload)[0]
        for level, kind, payload in ancillary
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS
    )
    return data.decode(), pid


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    name = str(tmp_path / "notify")
    receiver = _receiver(name)
    yield name, receiver
    receiver.close()


@pytest.fixture
def abstract_socket() -> Iterator[tuple[str, socket.socket]]:
    name = f"@hpf-kiosk-test/{uuid.uuid4().hex}"
    receiver = _receiver(b"\0" + name[1:].encode())
    yield name, receiver
    receiver.close()


@pytest.mark.parametrize("kind", ["path_socket", "abstract_socket"])
def test_each_message_arrives_as_one_datagram_from_this_process(
    kind: str, request: pytest.FixtureRequest
) -> None:
    name, receiver = request.getfixturevalue(kind)
    notifier = Notifier({"NOTIFY_SOCKET": name})
    assert notifier.enabled
    notifier.ready()
    notifier.watchdog()
    notifier.status("serving\nkiosk 01")
    notifier.stopping()
    received = [_receive(receiver) for _ in range(4)]
    notifier.close()
    assert [message for message, _pid in received] == [
        "READY=1",
        "WATCHDOG=1",
        "STATUS=serving kiosk 01",  # one line: a newline would start another assignment
        "STOPPING=1",
    ]
    assert {pid for _message, pid in received} == {os.getpid()}


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "relative/name"}])
def test_without_a_usable_socket_nothing_is_sent_and_nothing_fails(environ: dict[str, str]) -> None:
    notifier = Notifier(environ)
    assert not notifier.enabled
    notifier.ready()
    notifier.watchdog()
    notifier.stopping()
    notifier.status("idle")
    notifier.close()


def test_a_socket_that_went_away_is_logged_once_and_does_not_raise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    for _ in range(3):
        notifier.watchdog()
    notifier.ready()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2
    assert "(WATCHDOG)" in warnings[0] and "(READY)" in warnings[1]


def test_the_watchdog_is_pinged_at_half_its_period() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15
    assert watchdog_interval_s({"WATCHDOG_USEC": "2000000"}) == 1


def test_no_watchdog_when_systemd_gave_none() -> None:
    assert watchdog_interval_s({}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "soon"}) is None


def test_the_watchdog_is_ours_when_systemd_named_us_or_cage_our_parent() -> None:
    usec = {"WATCHDOG_USEC": "30000000"}
    assert watchdog_interval_s({**usec, "WATCHDOG_PID": str(os.getpid())}) == 15
    assert watchdog_interval_s({**usec, "WATCHDOG_PID": str(os.getppid())}) == 15


def test_a_watchdog_meant_for_another_process_is_left_alone() -> None:
    # Variables inherited from a service that started us some other way: pinging would keep it alive.
    others = {os.getpid(), os.getppid()}
    stranger = next(pid for pid in range(2, 1 << 22) if pid not in others)
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(stranger)}) is None
