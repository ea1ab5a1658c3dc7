"""The centre's systemd units (deploy/central/systemd), checked by systemd itself: `systemd-analyze verify`
in a throwaway root with Debian's own units (postgresql.service is real there) and a stub at each program
the units run. Then the settings the centre relies on, and the command lines: every option the unit passes
to `kiosk-central`, with the sample settings file's values put in as systemd would, is one the centre's own
argument parser accepts."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import make_url

from central_server.cli import _parser
from tests.deploy.unit_files import SYSTEM_UNITS, one, settings, throwaway_root, values, verify

REPO = Path(__file__).resolve().parents[2]
CENTRAL = REPO / "deploy" / "central"
UNITS = CENTRAL / "systemd"
SERVICE = UNITS / "hpf-central.service"
BACKUP = UNITS / "hpf-central-backup.service"
TIMER = UNITS / "hpf-central-backup.timer"
ENV_EXAMPLE = CENTRAL / "hpf-central.env.example"
PROGRAM = "/opt/hpf-central/venv/bin/kiosk-central"
BACKUP_PROGRAM = "/usr/local/sbin/hpf-central-backup"
# Every program the units run: a new one must be added here and to docs/deployment.md's install steps.
EXECUTABLES = {PROGRAM, BACKUP_PROGRAM}


def _programs(*units: Path) -> set[str]:
    return {
        shlex.split(value)[0] for unit in units for _s, key, value in settings(unit) if key.startswith("Exec")
    }


def _environment(text: str) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile= reads them (no quotes are used in the sample)."""
    found = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def _command(line: str, environment: dict[str, str]) -> list[str]:
    """A unit's command line as systemd runs it: ${VAR} is one argument, a word $VAR is split at spaces
    into zero or more."""
    words = []
    for word in shlex.split(line):
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:
            words.extend(environment.get(whole.group(1), "").split())
        else:
            words.append(
                re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: environment.get(m.group(1), ""), word)
            )
    return words


def _subcommand(name: str) -> argparse.ArgumentParser:
    (commands,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices[name]
    return parser


def _parsed(argv: list[str]) -> argparse.Namespace:
    """`kiosk-central`'s own parsing of argv; its one-line error instead of a bare SystemExit."""
    try:
        return _parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"kiosk-central refuses {shlex.join(argv)} (see its error above)") from exc


def _sample_environment() -> dict[str, str]:
    return _environment(ENV_EXAMPLE.read_text(encoding="utf-8"))


def test_systemd_finds_nothing_wrong_with_the_units(tmp_path: Path) -> None:
    assert (SYSTEM_UNITS / "postgresql.service").is_file(), "postgresql.service missing: install postgresql"
    assert _programs(SERVICE, BACKUP) == EXECUTABLES
    root = throwaway_root(tmp_path, [SERVICE, BACKUP, TIMER], EXECUTABLES)
    verified = verify(root, SERVICE.name, BACKUP.name, TIMER.name)
    # verify exits 0 on a misspelt key or a bad value (it only warns): the output must be empty too.
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


@pytest.mark.parametrize(
    ("unit", "change", "complaint"),
    [
        (SERVICE, ("Restart=on-failure", "Restart=on-failur"), "Failed to parse service restart specifier"),
        (SERVICE, ("ProtectHome=yes", "ProtectHom=yes"), "Unknown key 'ProtectHom'"),
        (BACKUP, ("ExecStart=/usr/local/sbin/hpf-central-backup", "ExecStart=/usr/local/sbin/typo"), "typo"),
        (TIMER, ("OnCalendar=*-*-* 02:30:00", "OnCalendar=*-*-* 25:30:00"), "Failed to parse calendar"),
    ],
)
def test_the_check_catches_a_broken_unit(
    tmp_path: Path, unit: Path, change: tuple[str, str], complaint: str
) -> None:
    """The throwaway root does not hide faults in these units either."""
    text = unit.read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / unit.name
    broken.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    others = [u for u in (SERVICE, BACKUP, TIMER) if u != unit]
    verified = verify(throwaway_root(tmp_path, [broken, *others], EXECUTABLES), unit.name)
    assert complaint in verified.stdout + verified.stderr


def test_the_centre_runs_as_its_own_user_after_postgresql_and_comes_back_after_a_failure() -> None:
    assert one(SERVICE, "Service", "User") == "hpf-central"
    assert one(SERVICE, "Service", "Group") == "hpf-central"
    assert one(SERVICE, "Service", "EnvironmentFile") == "/etc/hpf-central/hpf-central.env"
    assert "postgresql.service" in one(SERVICE, "Unit", "Wants").split()
    assert "postgresql.service" in one(SERVICE, "Unit", "After").split()
    assert one(SERVICE, "Service", "Restart") == "on-failure"
    assert one(SERVICE, "Service", "KillMode") == "mixed"  # SIGTERM to the master, which stops its workers
    assert one(SERVICE, "Service", "StandardError") == "journal"
    assert one(SERVICE, "Install", "WantedBy") == "multi-user.target"


def test_the_centre_is_sandboxed() -> None:
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }
    assert {key: one(SERVICE, "Service", key) for key in expected} == expected
    assert "@system-service" in values(SERVICE, "Service", "SystemCallFilter")
    # It writes no files: its data is PostgreSQL's, its log the journal's.
    assert values(SERVICE, "Service", "ReadWritePaths") == []


def test_the_migration_runs_before_the_centre_on_the_same_database() -> None:
    environment = _sample_environment()
    migrate = _command(one(SERVICE, "Service", "ExecStartPre"), environment)
    assert migrate[0] == PROGRAM
    args = _parsed(migrate[1:])
    assert args.command == "migrate"
    assert args.db == environment["HPF_CENTRAL_DB"]
    serve = _command(one(SERVICE, "Service", "ExecStart"), environment)
    assert serve[serve.index("--db") + 1] == args.db


def test_the_sample_settings_name_a_postgresql_database_over_the_socket_and_several_workers() -> None:
    environment = _sample_environment()
    assert set(environment) == {
        "HPF_CENTRAL_WORKERS",
        "HPF_CENTRAL_DB",
        "HPF_CENTRAL_PUBLIC_BASE_URL",
        "HPF_CENTRAL_OPTIONS",
    }
    url = make_url(environment["HPF_CENTRAL_DB"])
    assert (url.drivername, url.username, url.database) == (
        "postgresql+psycopg",
        "hpf-central",
        "hpf_central",
    )
    assert url.query["host"] == "/run/postgresql" and url.password is None  # peer authentication
    assert int(environment["HPF_CENTRAL_WORKERS"]) >= 2
    assert environment["HPF_CENTRAL_PUBLIC_BASE_URL"].startswith("https://")


def _serve_commands() -> list[list[str]]:
    """The unit's serve command with the sample settings, and with the sample's commented-out options."""
    environment = _sample_environment()
    commented = re.search(r"^#HPF_CENTRAL_OPTIONS=(.+)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    assert commented, "the sample settings show no example of HPF_CENTRAL_OPTIONS"
    line = one(SERVICE, "Service", "ExecStart")
    return [
        _command(line, environment),
        _command(line, {**environment, "HPF_CENTRAL_OPTIONS": commented.group(1)}),
    ]


@pytest.mark.parametrize("which", ["sample settings", "sample options"])
def test_every_option_the_unit_passes_is_one_kiosk_central_serve_has(which: str) -> None:
    command = _serve_commands()[["sample settings", "sample options"].index(which)]
    assert command[:2] == [PROGRAM, "serve"]
    known = set(_subcommand("serve")._option_string_actions)
    passed = {word.partition("=")[0] for word in command[2:] if word.startswith("--")}
    assert passed - known == set(), f"kiosk-central serve has no option {sorted(passed - known)}"
    args = _parsed(command[1:])
    assert (args.host, args.port) == ("127.0.0.1", 8080)
    assert int(args.workers) >= 2
    # Only the proxy on this machine is trusted with X-Forwarded-For (one address, or a list of one).
    assert args.forwarded_allow_ips in ("127.0.0.1", ["127.0.0.1"])
    assert str(args.terminals) == "/etc/hpf-central/terminals.toml"
    assert str(args.console_secret_file) == "/etc/hpf-central/console-secret"
    assert not args.demo


def test_the_backup_runs_as_postgres_into_the_directory_it_may_write_and_keeps_two_weeks() -> None:
    assert one(BACKUP, "Service", "Type") == "oneshot"
    assert one(BACKUP, "Service", "User") == "postgres"
    command = shlex.split(one(BACKUP, "Service", "ExecStart"))
    assert command[0] == BACKUP_PROGRAM
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options == {"--db": "hpf_central", "--dir": "/var/backups/hpf-central", "--keep": "14"}
    assert values(BACKUP, "Service", "ReadWritePaths") == [options["--dir"]]
    assert one(BACKUP, "Service", "ProtectSystem") == "strict"
    # The database the centre uses is the one backed up.
    assert make_url(_sample_environment()["HPF_CENTRAL_DB"]).database == options["--db"]


def test_the_timer_starts_the_backup_every_night_and_makes_up_for_a_missed_one() -> None:
    assert TIMER.stem == BACKUP.stem and not values(TIMER, "Timer", "Unit")  # it starts the backup service
    assert one(TIMER, "Timer", "Persistent") == "true"
    assert one(TIMER, "Timer", "RandomizedDelaySec")
    assert one(TIMER, "Install", "WantedBy") == "timers.target"
    calendar = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=2", one(TIMER, "Timer", "OnCalendar")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Normalized form: *-*-* 02:30:00" in calendar  # once a day, at night
