"""`kiosk queue ...`: staff commands on the outbox. They never decrypt: no payload, name, ID or card
number is ever shown, only ids, keys, kinds, states, counts and the centre's reasons (which name fields)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.offline_queue.bounds import BoundsPolicy
from kiosk.offline_queue.database import NoOutbox
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import InvalidTransition, State

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_SETTINGS = Path("/etc/hpf-kiosk/kiosk.toml")


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
            help=f"the kiosk's settings, whose kiosk.data_dir holds the outbox (default: {DEFAULT_SETTINGS})",
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


def _admin(args: argparse.Namespace) -> OutboxAdmin | None:
    # The settings module is imported only when needed: it is light, but `--data-dir` must work even
    # where the settings file is broken (that is when staff most need to look at the outbox).
    data_dir = args.data_dir
    if data_dir is None:
        from kiosk.settings import SettingsError, load_settings

        try:
            data_dir = load_settings(args.config).kiosk.data_dir
        except SettingsError as exc:
            print(f"kiosk queue: {exc} (or pass --data-dir)", file=sys.stderr)
            return None
    try:
        return OutboxAdmin(data_dir)
    except NoOutbox as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return None


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _now_ms() -> int:
    return int(time.time() * 1000)


def cmd_status(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if admin is None:
        return EXIT_FAILED
    status = admin.status()
    admin.close()
    bounds = BoundsPolicy()
    backlog = sum(status.counts[s] for s in (State.PENDING, State.IN_FLIGHT, State.DEAD))
    print("state       rows")
    for state, count in status.counts.items():
        print(f"{state.value:<11} {count}")
    print(f"backlog     {backlog} rows of {bounds.max_rows} ({backlog / bounds.max_rows:.0%})")
    print(f"            {status.undelivered_bytes} bytes of {bounds.max_bytes}")
    print(f"oldest waiting   {_when(status.oldest_waiting_ms)}")
    print(f"next attempt     {_when(status.next_attempt_ms)}")
    print(f"key ids in use   {', '.join(status.key_ids) or '-'}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if admin is None:
        return EXIT_FAILED
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
    if admin is None:
        return EXIT_FAILED
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
    if admin is None:
        return EXIT_FAILED
    retention_ms = int(BoundsPolicy().retention_s * 1000)
    count = admin.purge(_now_ms() - retention_ms)
    admin.close()
    print(f"{count} delivered rows older than {BoundsPolicy().retention_s / 86400:g} days deleted")
    return EXIT_OK
