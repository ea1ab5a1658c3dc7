"""`kiosk-central operator add|passwd|disable`: console accounts from the centre's shell, and the console's
session secret file of `serve --console-secret-file`."""

from __future__ import annotations

import argparse
import getpass
import stat
import sys
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from central_server.console import accounts
from central_server.db import Database, DatabaseFileError

EXIT_FAILED = 1
MIN_SECRET_BYTES = 32


class ConsoleSecretError(Exception):
    """One line: which file, and what is wrong with it."""


def read_console_secret(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise ConsoleSecretError(f"{path}: cannot read the console secret: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConsoleSecretError(f"{path}: the console secret must be readable by its owner only (chmod 600)")
    if len(secret) < MIN_SECRET_BYTES:
        raise ConsoleSecretError(
            f"{path}: the console secret needs at least {MIN_SECRET_BYTES} bytes "
            "(e.g. head -c 48 /dev/urandom | base64 > FILE)"
        )
    return secret


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise accounts.AccountError("the two passwords differ")
    return first


def operator_command(args: argparse.Namespace) -> int:
    try:
        database = Database(args.db)
        database.create_schema()
        with database.transaction() as session:
            if args.action == "add":
                accounts.add(
                    session, args.username, _password(args), accounts.Role.parse(args.role), int(time.time())
                )
                done = f"operator {args.username} added ({args.role})"
            elif args.action == "passwd":
                accounts.set_password(session, args.username, _password(args))
                done = f"password of {args.username} changed; their sessions have ended"
            else:
                accounts.disable(session, args.username)
                done = f"operator {args.username} disabled; their sessions have ended"
            accounts.record(
                session, "shell", f"operator_{args.action}", at=int(time.time()), target=args.username
            )
    except accounts.AccountError as exc:
        print(f"kiosk-central operator: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (SQLAlchemyError, DatabaseFileError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"kiosk-central operator: cannot use the database: {reason}", file=sys.stderr)
        return EXIT_FAILED
    print(done)
    return 0
