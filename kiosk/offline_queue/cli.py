"""`kiosk queue ...`: staff commands on the outbox. They never decrypt: no payload, name, ID or card
number is ever shown, only ids, keys, kinds, states, counts and the centre's reasons (which name fields).

Exit status: 0 done; 1 the outbox, a row or a reset is not there to act on (or the kiosk holds the outbox);
2 the outbox will not open as it is (the one-line reason says which file and what to do), or bad usage.
"""

from __future__ import annotations

import argparse
import stat
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.offline_queue.bounds import BoundsPolicy
from kiosk.offline_queue.database import NoOutbox
from kiosk.offline_queue.errors import OutboxBusy, OutboxUnavailable
from kiosk.offline_queue.staff import NothingToReset, OutboxAdmin, reset
from kiosk.offline_queue.states import InvalidTransition, State

EXIT_OK, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 2
DEFAULT_SETTINGS = Path("/etc/hpf-kiosk/kiosk.toml")


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = subparsers.add_parser("queue", help="inspect and repair the offline outbox")
    commands = queue.add_subparsers(dest="queue_command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--data-dir", type=Path, help="the kiosk's data directory")
        where.add_argument(
            "--config",
            type=Path,
            default=DEFAULT_SETTINGS,
            help="the kiosk's settings, whose kiosk.data_dir holds the outbox and outbox.key_file its key "
            f"(default: {DEFAULT_SETTINGS})",
        )
        parser.add_argument(
            "--key-file",
            type=Path,
            help="the outbox's key file (default: outbox.key_file of the settings; with --data-dir the key "
            "file is not checked unless given)",
        )
        return parser

    command("status", "counts, backlog size against its bounds, key ids").set_defaults(func=cmd_status)
    listing = command("list", "rows, oldest first (never their content)")
    listing.add_argument("--state", choices=[state.value for state in State])
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=cmd_list)
    retry = command("retry", "send a dead or waiting row again now")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the row id (from `list`)")
    which.add_argument("--dead", action="store_true", help="every dead row")
    retry.set_defaults(func=cmd_retry)
    command("purge", "delete delivered rows older than the retention period").set_defaults(func=cmd_purge)
    resetting = command(
        "reset", "set an outbox that will not open aside and start afresh (the kiosk must be stopped)"
    )
    resetting.add_argument(
        "--keep-evidence",
        action="store_true",
        required=True,
        help="rename the database and key files with the time (required: nothing is ever deleted)",
    )
    resetting.set_defaults(func=cmd_reset)


def _where(args: argparse.Namespace) -> tuple[Path, Path | None] | None:
    """The data dir and the key file, from the options or the settings (None: told the user why not)."""
    # The settings module is imported only when needed: it is light, but `--data-dir` must work even
    # where the settings file is broken (that is when staff most need to look at the outbox).
    if args.data_dir is not None:
        return args.data_dir, args.key_file
    from kiosk.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"kiosk queue: {exc} (or pass --data-dir)", file=sys.stderr)
        return None
    return settings.kiosk.data_dir, args.key_file or settings.outbox.key_file


def _admin(args: argparse.Namespace) -> OutboxAdmin | int:
    """The outbox, or the exit status after saying in one line why it cannot be had."""
    where = _where(args)
    if where is None:
        return EXIT_FAILED
    try:
        return OutboxAdmin(*where)
    except NoOutbox as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OutboxUnavailable as exc:
        print(f"kiosk queue: {exc.reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _key_file_line(key_file: Path | None) -> str:
    if key_file is None:
        return "not checked (pass --key-file or --config)"
    if not key_file.exists():
        return f"{key_file} (made at the kiosk's next start)"
    return f"{key_file} (mode {stat.S_IMODE(key_file.stat().st_mode):o})"


def cmd_status(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if isinstance(admin, int):
        return admin
    status = admin.status()
    admin.close()
    bounds = BoundsPolicy()
    print("state       rows")
    for state, count in status.counts.items():
        print(f"{state.value:<11} {count}")
    print(f"backlog     {status.backlog} rows of {bounds.max_rows} ({status.backlog / bounds.max_rows:.0%})")
    print(f"            {status.undelivered_bytes} bytes of {bounds.max_bytes}")
    print(f"oldest waiting   {_when(status.oldest_waiting_ms)}")
    print(f"next attempt     {_when(status.next_attempt_ms)}")
    print(f"key ids in use   {', '.join(status.key_ids) or '-'}")
    where = _where(args)
    print(f"key file         {_key_file_line(where[1] if where else None)}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if isinstance(admin, int):
        return admin
    rows = admin.rows(State(args.state) if args.state else None, limit=args.limit)
    admin.close()
    print(f"{'id':<20} {'state':<10} {'kind':<22} {'created':<23} {'tries':>5}  last error")
    for row in rows:
        print(
            f"{row.id:<20} {row.state.value:<10} {row.kind:<22} {_when(row.created_at_ms):<23} "
            f"{row.attempts:>5}  {row.last_error or ''}"
        )
    if not rows:
        print("(no rows)")
    return EXIT_OK


def cmd_retry(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if isinstance(admin, int):
        return admin
    try:
        if args.dead:
            print(f"{admin.retry_dead(_now_ms())} dead rows will be sent again")
            return EXIT_OK
        before = admin.retry(args.id, _now_ms())
        print(f"row {args.id} ({before.value}) will be sent again")
        return EXIT_OK
    except KeyError:
        print(f"kiosk queue: no row {args.id}", file=sys.stderr)
        return EXIT_FAILED
    except InvalidTransition:
        print(f"kiosk queue: row {args.id} is in flight or delivered; nothing to retry", file=sys.stderr)
        return EXIT_FAILED
    finally:
        admin.close()


def cmd_purge(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if isinstance(admin, int):
        return admin
    retention_ms = int(BoundsPolicy().retention_s * 1000)
    count = admin.purge(_now_ms() - retention_ms)
    admin.close()
    print(f"{count} delivered rows older than {BoundsPolicy().retention_s / 86400:g} days deleted")
    return EXIT_OK


def cmd_reset(args: argparse.Namespace) -> int:
    where = _where(args)
    if where is None:
        return EXIT_FAILED
    data_dir, key_file = where
    if key_file is None:
        print("kiosk queue: reset moves the key file too; pass --key-file or --config", file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        problem, moves = reset(data_dir, key_file, datetime.now(UTC))
    except (NothingToReset, OutboxBusy) as exc:
        message = f"{exc}; stop the kiosk first" if isinstance(exc, OutboxBusy) else str(exc)
        print(f"kiosk queue: {message}", file=sys.stderr)
        return EXIT_FAILED
    except FileExistsError as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"the outbox would not open: {problem.reason}")
    for old, new in moves:
        print(f"kept {old} as {new}")
    print("the kiosk starts with a new, empty outbox and a new key; keep these files (docs/outbox.md)")
    return EXIT_OK
