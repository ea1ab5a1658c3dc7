"""A throwaway PostgreSQL server for tests, from the Debian package (`postgresql`, installed by
deploy/install-system-packages.sh): initdb in a temporary directory, listening on a Unix socket there only
(no port to collide with another xdist worker's server), stopped and deleted at the end."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
MISSING = f"PostgreSQL not found in {PG_BIN}: run deploy/install-system-packages.sh"
# Durability is worthless for a database deleted after the run; without fsync the tests run faster.
_SETTINGS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=400 -c shared_buffers=32MB"
)


class PostgresServer:
    def __init__(self) -> None:
        if not (PG_BIN / "initdb").is_file():
            raise FileNotFoundError(MISSING)
        self.directory = Path(tempfile.mkdtemp(prefix="pg-"))
        self._data = self.directory / "data"
        self._names = itertools.count(1)
        # initdb and postgres refuse to run as root (a container's CI); they run as nobody there instead.
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            shutil.chown(self.directory, "nobody", "nogroup")
        self._run(
            "initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self._run(
            "pg_ctl", "start", "-w", "-D", str(self._data), "-l", str(self.directory / "log"),
            "-o", f"{_SETTINGS} -c unix_socket_directories='{self.directory}'",
        )  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self._as, str(PG_BIN / program), *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr.strip() or result.stdout.strip()}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.directory}"

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`, whose open connections are ended first:
        PostgreSQL copies only a database no one is connected to); returns its name."""
        name = f"db{next(self._names)}"
        with psycopg.connect(
            host=str(self.directory), user="postgres", dbname="postgres", autocommit=True
        ) as c:
            if template is None:
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                c.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (template,)
                )
                c.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
        return name

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self._data))
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
