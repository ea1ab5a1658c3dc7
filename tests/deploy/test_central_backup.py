"""deploy/central/backup.sh, checked by shellcheck and run for real against a throwaway PostgreSQL
(tests/postgres_support.py): the dump it leaves is complete, private, named by its UTC time and restores
with pg_restore to the same rows; it keeps the newest dumps only; and a failure is one line, with nothing
half-written left behind."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.postgres_support import PG_BIN, PostgresServer

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "central" / "backup.sh"
DUMP_NAME = re.compile(r"(?P<db>\w+)-(?P<stamp>\d{8}T\d{6}Z)\.dump")
ROWS = [(1, "张三", "2026-01-31"), (2, "李四", "2026-02-28"), (3, "O'Brien; DROP", "2026-03-31")]


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    running = PostgresServer()
    try:
        yield running
    finally:
        running.stop()


def _connect(server: PostgresServer, database: str) -> psycopg.Connection:
    return psycopg.connect(host=str(server.directory), user="postgres", dbname=database, autocommit=True)


@pytest.fixture(scope="module")
def database(server: PostgresServer) -> str:
    name = server.create_database()
    with _connect(server, name) as connection:
        connection.execute("CREATE TABLE deposits (id integer PRIMARY KEY, name text, month date)")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO deposits VALUES (%s, %s, %s)", ROWS)
    return name


def _rows(server: PostgresServer, database: str) -> list[tuple[object, ...]]:
    with _connect(server, database) as connection:
        return [
            (i, name, month.isoformat())
            for i, name, month in connection.execute("SELECT id, name, month FROM deposits ORDER BY id")
        ]


def backup(
    server: PostgresServer, directory: Path, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The script as the timer runs it, over the server's Unix socket as role postgres (trust auth: the
    tests' server runs as nobody when the tests run as root, so peer authentication would not match)."""
    env = {
        **os.environ,
        "PATH": path or f"{PG_BIN}:{os.environ['PATH']}",  # the server's own pg_dump version
        "HPF_BACKUP_HOST": str(server.directory),
        "HPF_BACKUP_USER": "postgres",
    }
    return subprocess.run(
        ["bash", str(SCRIPT), "--dir", str(directory), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_shellcheck_finds_nothing() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: run deploy/install-system-packages.sh"
    checked = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_a_backup_is_a_private_timestamped_dump_that_restores_the_same_rows(
    server: PostgresServer, database: str, tmp_path: Path
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    done = backup(server, tmp_path, "--db", database)
    assert done.returncode == 0, done.stderr
    (dump,) = tmp_path.iterdir()  # the dump alone: no temporary or lock file left
    name = DUMP_NAME.fullmatch(dump.name)
    assert name and name["db"] == database, dump.name
    stamp = datetime.strptime(name["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert f"database {database} dumped to {dump}" in done.stdout

    fresh = server.create_database()
    restored = subprocess.run(
        [
            str(PG_BIN / "pg_restore"), "--exit-on-error", "--no-owner",
            f"--host={server.directory}", "--username=postgres", f"--dbname={fresh}", str(dump),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert _rows(server, fresh) == _rows(server, database) == ROWS


def test_only_the_newest_dumps_are_kept(server: PostgresServer, database: str, tmp_path: Path) -> None:
    other = tmp_path / "unrelated.txt"  # what is not one of this database's dumps stays
    other.write_text("keep me")
    made = []
    for _ in range(3):
        done = backup(server, tmp_path, "--db", database, "--keep", "2")
        assert done.returncode == 0, done.stderr
        made.append(done.stdout.split(" dumped to ")[1].split(" ")[0])
    # Three runs within a second or two get three different names, in time order.
    assert len(set(made)) == 3 and made == sorted(made)
    assert sorted(str(p) for p in tmp_path.glob("*.dump")) == made[1:]
    assert other.read_text() == "keep me"


def test_a_failed_dump_is_one_line_naming_the_database_and_leaves_no_file(
    server: PostgresServer, tmp_path: Path
) -> None:
    failed = backup(server, tmp_path, "--db", "no_such_db")
    assert failed.returncode != 0
    assert len(failed.stderr.splitlines()) == 1, failed.stderr
    assert failed.stderr.startswith("hpf-central-backup: pg_dump of database no_such_db failed: ")
    assert 'database "no_such_db" does not exist' in failed.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_dump_cut_off_half_way_is_deleted_not_left_to_look_complete(
    server: PostgresServer, database: str, tmp_path: Path
) -> None:
    """A pg_dump that writes part of its file and then fails (disk full, connection lost)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'for a; do case "$a" in --file=*) printf PGDMP-half > "${a#--file=}";; esac; done\n'
        'echo "pg_dump: error: could not write to output file: No space left on device" >&2\n'
        'echo "pg_dump: detail: more" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o755)
    backups = tmp_path / "backups"
    backups.mkdir()
    failed = backup(server, backups, "--db", database, path=f"{bin_dir}:{os.environ['PATH']}")
    assert failed.returncode != 0
    assert failed.stderr == (
        f"hpf-central-backup: pg_dump of database {database} failed: "
        "could not write to output file: No space left on device\n"
    )
    assert list(backups.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "0"], "--keep must be a whole number, at least 1, not '0'"),
        (["--keep", "two"], "--keep must be a whole number, at least 1, not 'two'"),
        (["--verbose"], "unknown argument: --verbose (see --help)"),
        (["--db"], "--db needs a value"),
    ],
)
def test_a_wrong_option_is_one_line(
    server: PostgresServer, tmp_path: Path, args: list[str], message: str
) -> None:
    failed = backup(server, tmp_path, *args)
    assert (failed.returncode, failed.stderr) == (1, f"hpf-central-backup: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_backup_directory_is_one_line(server: PostgresServer, tmp_path: Path) -> None:
    failed = backup(server, tmp_path / "missing")
    assert failed.returncode == 1
    assert failed.stderr.startswith(
        f"hpf-central-backup: backup directory {tmp_path / 'missing'} does not exist"
    )
    assert len(failed.stderr.splitlines()) == 1
