"""`kiosk-central serve`: run the reference central API."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from central_server import migrations
from central_server.alerts import AlertRules, AlertRulesFileError, load_alert_rules
from central_server.app import DEFAULT_SEED, create_app
from central_server.console import DEMO_OPERATOR
from central_server.console.operator_cli import (
    ConsoleSecretError,
    operator_command,
    read_console_secret,
)
from central_server.crm.deadlines import CaseDeadlines
from central_server.crm.holidays_file import load_deadlines
from central_server.crm.routes import CrmSettings
from central_server.db import Database, DatabaseFileError
from central_server.limits import MIB, Limits
from central_server.migrations import SchemaError
from central_server.routes.certificates import checked_base_url
from central_server.staff.roster import StaffEntry, StaffFileError, load_staff_file
from central_server.terminals import TerminalRecord, TerminalsFileError, load_terminals_file
from central_server.testing import bind_socket, serve_in_thread
from central_server.workers import serve_workers

EXIT_USAGE = 2
MAX_WORKERS = 64
# Served only on these, the console's cookies may travel over plain HTTP (the demo, a test).
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _Parser(argparse.ArgumentParser):
    """Errors are one line on stderr (no usage dump), so a launcher can show them as they are."""

    def error(self, message: str) -> NoReturn:
        unrecognised, _, arguments = message.partition("unrecognized arguments: ")
        if not unrecognised and arguments:
            # Only the options: a value may be a secret passed the old way (--terminal ID=SECRET).
            names = " ".join(word.partition("=")[0] for word in arguments.split() if word.startswith("-"))
            message = f"unrecognized arguments: {names or '(values without an option)'}"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _public_base_url(value: str) -> str:
    try:
        checked = checked_base_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("public_base_url ")) from None
    assert checked is not None
    return checked


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {value!r}")
    return int(value)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes, at least 1, got {value!r}")
    return int(value)


def _workers(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_WORKERS}, not {value!r}")
    return int(value)


def _working_days(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of working days, at least 1, got {value!r}")
    return int(value)


def _crm_settings(args: argparse.Namespace) -> CrmSettings:
    """The CRM settings of `serve`'s arguments; raises ValueError with one line to show."""
    deadlines = load_deadlines(args.case_callback_days, args.case_resolve_days, args.holidays)
    return CrmSettings(channel_tokens=tuple(args.channel_token), deadlines=deadlines)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kiosk-central", description="Reference central API for the HPF kiosk.")
    commands = parser.add_subparsers(dest="command", required=True)
    # No abbreviations: the removed --terminal ID=SECRET must fail, not pass for --terminals.
    serve = commands.add_parser("serve", help="serve the API until interrupted", allow_abbrev=False)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080, help="0 picks a free port")
    serve.add_argument("--db", default="sqlite://", help="SQLAlchemy URL (default: in memory)")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="worker processes behind the one port (default 1; more than one needs PostgreSQL; "
        "docs/deployment.md)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="comma-separated addresses of the reverse proxy whose X-Forwarded-For and X-Forwarded-Proto "
        "the centre believes (default: none; the peer is the client)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="synthetic citizens, the demo kiosk, and /v1/demo/cards"
    )
    serve.add_argument(
        "--seed", type=int, help=f"seed of the synthetic data (with --demo; default {DEFAULT_SEED})"
    )
    serve.add_argument(
        "--terminals",
        type=Path,
        metavar="FILE",
        help="TOML file of [[terminal]] id, secret, group; mode 0600 (required without --demo)",
    )
    serve.add_argument(
        "--staff",
        type=Path,
        metavar="FILE",
        help="TOML file of [[staff]] id, pin_hash, role, active; mode 0600; replaces the staff roster "
        "(docs/staff.md)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=_positive,
        default=Limits().max_body_bytes,
        help=f"larger request bodies are refused with 413 (default {MIB} = 1 MiB)",
    )
    serve.add_argument(
        "--sign-in-window-s",
        type=_positive,
        default=Limits().sign_in_window_s,
        help="the window over which a kiosk's failed citizen sign-ins are counted (default "
        f"{Limits().sign_in_window_s} s; at {Limits().sign_in_failures_per_terminal} within it the kiosk's "
        "sign-ins are paused)",
    )
    serve.add_argument(
        "--public-base-url",
        type=_public_base_url,
        help="where the public reaches this centre: printed certificates' QR codes point to URL/verify/CODE "
        "(default: the address each kiosk request reached)",
    )
    serve.add_argument(
        "--alert-rules",
        type=Path,
        metavar="FILE",
        help="TOML file of alert thresholds (docs/alerts.md; default: the documented defaults)",
    )
    serve.add_argument(
        "--operator-token", action="append", default=[], help="a token operators publish with, repeatable"
    )
    serve.add_argument(
        "--operator-key", type=Path, action="append", default=[], help="an operator's Ed25519 public key file"
    )
    serve.add_argument(
        "--channel-token",
        action="append",
        default=[],
        help="a token other channels' systems (web, WeChat, 12329) post touchpoints with, repeatable",
    )
    serve.add_argument(
        "--case-callback-days",
        type=_working_days,
        default=CaseDeadlines.callback_working_days,
        metavar="N",
        help="working days to call back a bad rating (default %(default)s)",
    )
    serve.add_argument(
        "--case-resolve-days",
        type=_working_days,
        default=CaseDeadlines.resolve_working_days,
        metavar="N",
        help="working days to resolve a follow-up case (default %(default)s)",
    )
    serve.add_argument(
        "--holidays",
        type=Path,
        metavar="FILE",
        help="the centre's holidays and weekend days worked, one date a line (docs/touchpoints.md)",
    )
    serve.add_argument(
        "--console-secret-file",
        type=Path,
        metavar="FILE",
        help="the secret that signs console sessions (mode 0600, at least 32 bytes); default: a fresh one at "
        "every start (operators sign in again after a restart)",
    )
    migrate = commands.add_parser(
        "migrate",
        help="bring the database's schema to this version's newest migration (serve does it too)",
        allow_abbrev=False,
    )
    migrate.add_argument("--db", required=True, help="the centre's SQLAlchemy URL (as serve --db)")
    operator = commands.add_parser("operator", help="console operator accounts", allow_abbrev=False)
    actions = operator.add_subparsers(dest="action", required=True)
    for name, text in (
        ("add", "add an operator (the password is asked for, or read from stdin with --password-stdin)"),
        ("passwd", "set a new password (every session of the operator ends)"),
        ("disable", "disable an operator (every session ends; the log keeps their actions)"),
    ):
        action = actions.add_parser(name, help=text, allow_abbrev=False)
        action.add_argument("username")
        action.add_argument("--db", required=True, help="the centre's SQLAlchemy URL (as serve --db)")
        if name != "disable":
            action.add_argument(
                "--password-stdin", action="store_true", help="read the password from the first line of stdin"
            )
        if name == "add":
            action.add_argument(
                "--role",
                required=True,
                choices=("viewer", "operator", "administrator"),
                help="what they may do",
            )
    return parser


def _fail(message: str) -> int:
    print(f"kiosk-central: {message}", file=sys.stderr)
    return EXIT_USAGE


def _printable_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def _database_failure(url: str, exc: Exception) -> int:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return _fail(f"cannot use database {_printable_url(url)}: {reason}")


def _is_postgresql(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        return False  # create_app names the problem with the URL


def _migrate(url: str) -> int:
    """Upgrades the schema ahead of a deployment (serve upgrades too; this lets an operator do it once,
    watch it, and back up first)."""
    try:
        database = Database(url)
        with database.engine.connect() as connection:
            before = migrations.current(connection)
        database.create_schema()
        with database.engine.connect() as connection:
            after = migrations.current(connection)
        database.engine.dispose()
    except (SQLAlchemyError, ImportError, DatabaseFileError, SchemaError) as exc:
        return _database_failure(url, exc)
    if before == after:
        print(f"schema already at revision {after}")
    else:
        print(f"schema upgraded from revision {before or '(empty database)'} to {after}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "operator":
        return operator_command(args)
    if args.command == "migrate":
        return _migrate(args.db)
    if args.seed is not None and not args.demo:
        return _fail("--seed only applies with --demo: outside demo mode the centre adds no synthetic data")
    if args.workers > 1 and not _is_postgresql(args.db):
        return _fail(
            f"--workers {args.workers} needs PostgreSQL (--db postgresql+psycopg://…): SQLite takes one "
            "writer at a time, and an in-memory database lives in one process; run one worker on SQLite"
        )
    terminals: dict[str, TerminalRecord] | None = None
    if args.terminals is not None:
        try:
            terminals = load_terminals_file(args.terminals)
        except TerminalsFileError as exc:
            return _fail(str(exc))
    elif not args.demo:
        return _fail("no terminals configured: pass --terminals FILE (TOML [[terminal]] id, secret, group)")
    staff: list[StaffEntry] | None = None
    if args.staff is not None:
        try:
            staff = load_staff_file(args.staff)
        except StaffFileError as exc:
            return _fail(str(exc))
    alert_rules: AlertRules | None = None
    if args.alert_rules is not None:
        try:
            alert_rules = load_alert_rules(args.alert_rules)
        except AlertRulesFileError as exc:
            return _fail(str(exc))
    try:
        crm = _crm_settings(args)
    except ValueError as exc:
        return _fail(str(exc))
    console_secret: bytes | None = None
    if args.console_secret_file is not None:
        try:
            console_secret = read_console_secret(args.console_secret_file)
        except ConsoleSecretError as exc:
            return _fail(str(exc))
    try:
        app = create_app(
            args.db,
            demo=args.demo,
            terminals=terminals,
            seed=args.seed,
            service_history=args.demo,
            operator_tokens=args.operator_token,
            operator_keys=args.operator_key,
            limits=Limits(max_body_bytes=args.max_body_bytes, sign_in_window_s=args.sign_in_window_s),
            public_base_url=args.public_base_url,
            alert_rules=alert_rules,
            crm=crm,
            staff=staff,
            console_secret=console_secret,
            console_secure_cookies=args.host not in _LOOPBACK,
        )
    except (SQLAlchemyError, ImportError, DatabaseFileError, SchemaError) as exc:
        return _database_failure(args.db, exc)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot use an operator key: {exc}")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{sock.getsockname()[1]}"

    def announce() -> None:
        print(f"listening on {base_url}", flush=True)
        # On stderr, the log: stdout carries only the listening line, which launchers read.
        print(f"operator console on {base_url}/console", file=sys.stderr, flush=True)
        if args.demo:
            line = "demo console operator: {} / password {}".format(*DEMO_OPERATOR)
            print(line, file=sys.stderr, flush=True)

    if args.workers > 1:
        return serve_workers(
            app, sock, workers=args.workers, forwarded_allow_ips=args.forwarded_allow_ips, on_ready=announce
        )
    try:
        server = serve_in_thread(
            app, args.host, log_level="info", forwarded_allow_ips=args.forwarded_allow_ips, sock=sock
        )
    except (OSError, RuntimeError) as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    announce()
    # Wakes now and then so a server thread that died on its own also ends the process.
    while not stop.wait(0.5) and server.running:
        pass
    server.stop()
    return 0
