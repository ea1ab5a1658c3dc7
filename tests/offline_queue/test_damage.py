"""No silent loss: an outbox whose files are damaged or whose key is missing is refused with one line
(OutboxUnavailable), its files untouched, until staff set it aside deliberately; a new kiosk still starts."""

from __future__ import annotations

import hashlib
import os
import random
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.offline_queue import Outbox, OutboxUnavailable
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.errors import Cause
from kiosk.offline_queue.keyring import KEY_FILE_NAME

from .synthetic import withdrawal

HARNESS = Path(__file__).with_name("cli_harness.py")
PAGE = 4096


def _queue(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HARNESS), "queue", *args], capture_output=True, text=True, timeout=60
    )


def _kiosk(tmp_path: Path, rows: int = 30) -> tuple[Path, Path]:
    """A data dir holding `rows` pending withdrawals, and its key file outside it."""
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "outbox.key"
    box = Outbox.open(data_dir, key_file=key_file)
    rng = random.Random(81)
    for _ in range(rows):
        box.enqueue("withdrawal_application", withdrawal(rng))
    box.close()
    return data_dir, key_file


def _fingerprint(*directories: Path) -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for directory in directories
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != "outbox.lock"
    }


def _empty(db: Path) -> None:
    db.write_bytes(b"")


def _random_bytes(db: Path) -> None:
    db.write_bytes(random.Random(1).randbytes(3 * PAGE))


def _cut_mid_page(db: Path) -> None:
    os.truncate(db, db.stat().st_size - PAGE // 2)


def _not_a_database(db: Path) -> None:
    db.write_text("outbox backup, see the ticket\n" * 300)


def _pages_overwritten(db: Path) -> None:
    # The header stays valid; the table's pages are garbage.
    data = bytearray(db.read_bytes())
    data[PAGE:] = random.Random(2).randbytes(len(data) - PAGE)
    db.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "empty": _empty,
    "random bytes": _random_bytes,
    "cut mid-page": _cut_mid_page,
    "not a database": _not_a_database,
    "pages overwritten": _pages_overwritten,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_database_is_refused_in_one_line_and_left_as_it_is(damage: str, tmp_path: Path) -> None:
    data_dir, key_file = _kiosk(tmp_path)
    db = data_dir / DB_FILE_NAME
    DAMAGE[damage](db)
    before = _fingerprint(data_dir, key_file.parent)
    with pytest.raises(OutboxUnavailable) as refused:
        Outbox.open(data_dir, key_file=key_file)
    problem = refused.value
    assert problem.cause is Cause.DATABASE_DAMAGED and problem.path == db
    assert (
        str(db) in problem.reason and "reset --keep-evidence" in problem.reason and "\n" not in problem.reason
    )
    assert _fingerprint(data_dir, key_file.parent) == before

    status = _queue("status", "--data-dir", str(data_dir), "--key-file", str(key_file))
    assert status.returncode == 2 and status.stdout == ""
    assert status.stderr.splitlines() == [f"kiosk queue: {problem.reason}"]
    assert _fingerprint(data_dir, key_file.parent) == before


def test_a_missing_key_file_is_refused_and_no_new_key_is_made(tmp_path: Path) -> None:
    data_dir, key_file = _kiosk(tmp_path)
    key_file.unlink()
    before = _fingerprint(data_dir)
    with pytest.raises(OutboxUnavailable) as refused:
        Outbox.open(data_dir, key_file=key_file)
    assert refused.value.cause is Cause.KEY_MISSING and refused.value.path == key_file
    assert f"{key_file} is missing" in refused.value.reason and "30 rows" in refused.value.reason
    assert not key_file.exists() and _fingerprint(data_dir) == before


def test_a_key_file_of_another_outbox_is_refused(tmp_path: Path) -> None:
    data_dir, _key_file = _kiosk(tmp_path)
    _other_dir, other_key = _kiosk(tmp_path / "other", rows=0)
    with pytest.raises(OutboxUnavailable) as refused:
        Outbox.open(data_dir, key_file=other_key)
    assert refused.value.cause is Cause.KEY_WRONG and "30 rows" in refused.value.reason


def test_the_old_place_of_the_key_is_named(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    Outbox.open(data_dir).enqueue("rating", {"score": 5})
    key_file = tmp_path / "keys" / KEY_FILE_NAME
    with pytest.raises(OutboxUnavailable, match=f"or move {data_dir / KEY_FILE_NAME}, its old place, there"):
        Outbox.open(data_dir, key_file=key_file)


def test_a_new_kiosk_makes_its_database_and_a_private_key_outside_the_data_dir(tmp_path: Path) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "etc" / "keys" / "outbox.key"
    box = Outbox.open(data_dir, key_file=key_file)
    box.enqueue("withdrawal_application", withdrawal(random.Random(82)))
    box.close()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert not (data_dir / KEY_FILE_NAME).exists()
    assert sorted(path.name for path in data_dir.iterdir()) == ["outbox.lock", DB_FILE_NAME]
    # An outbox with no row may get a new key: nothing needs the old one.
    empty_dir, empty_key = _kiosk(tmp_path / "empty", rows=0)
    empty_key.unlink()
    Outbox.open(empty_dir, key_file=empty_key).close()
    assert empty_key.exists()


def test_staff_set_a_broken_outbox_aside_and_the_kiosk_starts_afresh(tmp_path: Path) -> None:
    data_dir, key_file = _kiosk(tmp_path)
    db = data_dir / DB_FILE_NAME
    os.truncate(db, 0)
    evidence = {path.name: path.read_bytes() for path in (db, key_file)}
    where = ["--data-dir", str(data_dir), "--key-file", str(key_file)]

    # A running kiosk holds the outbox's lock.
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl,sys,time; f=open({str(data_dir / 'outbox.lock')!r},'ab');"
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert busy.stdout is not None and busy.stdout.readline().strip() == "held"
        refused = _queue("reset", "--keep-evidence", *where)
    finally:
        busy.kill()
        busy.wait(10)
    assert refused.returncode == 1 and "stop the kiosk first" in refused.stderr
    assert _queue("reset", *where).returncode == 2  # --keep-evidence is not optional

    done = _queue("reset", "--keep-evidence", *where)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"the outbox would not open: {db} is empty")
    kept = sorted(
        path for path in [*data_dir.iterdir(), *key_file.parent.iterdir()] if "evidence-" in path.name
    )
    assert [path.name.split(".evidence-")[0] for path in kept] == ["outbox", "outbox.key"]
    assert {path.read_bytes() for path in kept} == set(evidence.values())

    box = Outbox.open(data_dir, key_file=key_file)
    assert box.usage().rows == 0 and key_file.read_bytes() != evidence[key_file.name]
    box.close()
    again = _queue("reset", "--keep-evidence", *where)
    assert again.returncode == 1 and "opens and holds 0 undelivered rows; nothing to reset" in again.stderr


def test_a_key_file_others_can_read_is_fixed_in_place_not_reset(tmp_path: Path) -> None:
    data_dir, key_file = _kiosk(tmp_path, rows=1)
    key_file.chmod(0o640)
    with pytest.raises(OutboxUnavailable, match=f"run `chmod 600 {key_file}`"):
        Outbox.open(data_dir, key_file=key_file)
    where = ["--data-dir", str(data_dir), "--key-file", str(key_file)]
    status = _queue("status", *where)
    assert status.returncode == 2 and status.stderr.count("\n") == 1 and "mode 640" in status.stderr
    reset = _queue("reset", "--keep-evidence", *where)
    assert reset.returncode == 1 and "a reset would not help" in reset.stderr
    assert (data_dir / DB_FILE_NAME).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3 * PAGE), st.booleans())
def test_whatever_the_database_file_holds_the_outbox_opens_or_says_why(
    tmp_path: Path, content: bytes, with_header: bool
) -> None:
    directory = tmp_path / os.urandom(4).hex()
    directory.mkdir()
    db = directory / DB_FILE_NAME
    db.write_bytes((b"SQLite format 3\x00" + content[16:]) if with_header else content)
    before = db.read_bytes()
    try:
        Outbox.open(directory).close()
    except OutboxUnavailable as problem:
        assert problem.cause is Cause.DATABASE_DAMAGED and "\n" not in problem.reason
        assert db.read_bytes() == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.binary(max_size=300), st.from_regex(r'\{"active": ?"k[0-9a-f]{0,8}", ?"keys": ?.{0,60}\}'))
)
def test_whatever_the_key_file_holds_it_loads_or_is_refused_as_damaged(
    tmp_path: Path, content: bytes | str
) -> None:
    from kiosk.offline_queue.keyring import KeyRing

    key_file = tmp_path / os.urandom(4).hex()
    key_file.write_bytes(content.encode() if isinstance(content, str) else content)
    key_file.chmod(0o600)
    try:
        KeyRing.load(key_file)
    except OutboxUnavailable as problem:
        assert problem.cause is Cause.KEY_DAMAGED and str(key_file) in problem.reason
