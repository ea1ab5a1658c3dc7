"""`kiosk-admin`: the operators' command — keys, signing, publishing, rollouts, the fleet.

    kiosk-admin keygen --out DIR
    kiosk-admin sign FILE --key KEY --version N [--target all|group:NAME|kiosk:ID] [--expires-in DAYS]
                     --out BUNDLE
    kiosk-admin publish BUNDLE --central URL [--stages g1,g2,...] [--max-failures N]
    kiosk-admin rollout status --central URL
    kiosk-admin fleet --central URL

The operator token for publish/rollout/fleet comes from --token or the KIOSK_ADMIN_TOKEN variable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.remote_config.bundle import (
    DEFAULT_VALIDITY_DAYS,
    MAX_VALIDITY_DAYS,
    OperatorKeyFileError,
    generate_keypair,
    load_private_key,
    sign_bundle,
)

EXIT_USAGE = 2


class AdminError(Exception):
    """One line for the operator."""


def _token(args: argparse.Namespace) -> str:
    token = args.token or os.environ.get("KIOSK_ADMIN_TOKEN")
    if not token:
        raise AdminError("no operator token: pass --token or set KIOSK_ADMIN_TOKEN")
    return token


def _call(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    import requests

    try:
        response = requests.request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15
        )
        envelope = response.json()
    except requests.RequestException as exc:
        raise AdminError(f"{url}: unreachable ({type(exc).__name__})") from None
    except ValueError:
        raise AdminError(f"{url}: HTTP {response.status_code}, not the central API") from None
    if envelope.get("code") != "ok":
        raise AdminError(f"{url}: refused ({envelope.get('code')}): {envelope.get('message')}")
    return envelope["data"]


def cmd_keygen(args: argparse.Namespace) -> int:
    key, pub = generate_keypair(args.out, args.name)
    print(f"private key: {key} (keep it offline; mode 0600)")
    print(f"public key:  {pub} (pin it in each kiosk's settings: remote.operator_keys)")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    try:
        config = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdminError(f"{args.file}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise AdminError(f"{args.file}: not valid JSON ({exc})") from None
    key = load_private_key(args.key)
    try:
        bundle = sign_bundle(
            config,
            version=args.version,
            target=args.target,
            key=key,
            expires_in=timedelta(days=args.expires_in),
        )
    except ValueError as exc:
        raise AdminError(f"{args.file}: {exc}") from None
    args.out.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"signed version {args.version} for {args.target}, valid until {bundle['expires_at']}: {args.out}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdminError(f"{args.bundle}: not a readable bundle ({exc})") from None
    stages = [stage.strip() for stage in args.stages.split(",") if stage.strip()] if args.stages else None
    body = {"bundle": bundle, "stages": stages, "max_failures": args.max_failures}
    data = _call("POST", f"{args.central.rstrip('/')}/v1/admin/bundles", _token(args), body)
    plan = " → ".join(data["stages"]) if data["stages"] else "all targeted kiosks at once"
    print(f"published version {data['version']} for {data['target']}: {plan}")
    return 0


def _when(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_rollout_status(args: argparse.Namespace) -> int:
    rows = _call("GET", f"{args.central.rstrip('/')}/v1/admin/rollouts", _token(args))
    if not rows:
        print("no bundles published")
    for row in rows:
        stages = row["stages"]
        where = (
            f"stage {row['stage_index'] + 1}/{len(stages)} ({stages[row['stage_index']]})"
            if stages
            else "no stages"
        )
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items())) or "no reports yet"
        line = f"v{row['version']}  {row['target']}  {row['state']}  {where}  failures {row['failures']}/"
        print(line + f"{row['max_failures']} allowed  [{outcomes}]")
        if row["stopped_reason"]:
            print(f"    stopped: {row['stopped_reason']}")
        if row["waiting_for"]:
            print(f"    waiting for: {', '.join(row['waiting_for'])}")
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    rows = _call("GET", f"{args.central.rstrip('/')}/v1/admin/fleet", _token(args))
    if not rows:
        print("the centre has no kiosks on record")
    for row in rows:
        beat = row["heartbeat"]
        if beat is None:
            print(f"{row['terminal_id']}  group {row['group']}  no heartbeat yet")
            continue
        devices = ", ".join(f"{name} {d['state']}" for name, d in sorted(beat["devices"].items())) or "-"
        outbox = beat.get("outbox") or {}
        report = row["last_report"]
        last = f"v{report['version']} {report['outcome']}" if report else "-"
        print(
            f"{row['terminal_id']}  group {row['group']}  seen {_when(row['last_seen'])}  "
            f"app {beat['app_version']}  config v{beat['config_version']} (last report: {last})  "
            f"{beat['connectivity']}  devices: {devices}  outbox {outbox.get('depth', '-')}"
            + (f"  last error: {beat['last_error']}" if beat.get("last_error") else "")
        )
    return 0


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {value!r}")
        return int(value)

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-admin", description="operators' tool for the kiosk fleet")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="make an operator signing key pair")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.add_argument("--name", default="operator")
    keygen.set_defaults(func=cmd_keygen)

    sign = commands.add_parser("sign", help="sign a configuration file into a bundle")
    sign.add_argument("file", type=Path)
    sign.add_argument("--key", type=Path, required=True)
    sign.add_argument("--version", type=int, required=True)
    sign.add_argument("--target", default="all")
    sign.add_argument(
        "--expires-in",
        type=_int_between(1, MAX_VALIDITY_DAYS),
        default=DEFAULT_VALIDITY_DAYS,
        metavar="DAYS",
        help=f"kiosks refuse the bundle after this many days (default {DEFAULT_VALIDITY_DAYS})",
    )
    sign.add_argument("--out", type=Path, required=True)
    sign.set_defaults(func=cmd_sign)

    def central(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--central", required=True, help="the central's base URL")
        sub.add_argument("--token", help="operator token (default: $KIOSK_ADMIN_TOKEN)")

    publish = commands.add_parser("publish", help="publish a signed bundle")
    publish.add_argument("bundle", type=Path)
    publish.add_argument("--stages", help="groups in rollout order, comma separated")
    publish.add_argument(
        "--max-failures", type=int, default=0, help="kiosks that may refuse or roll back before it stops"
    )
    central(publish)
    publish.set_defaults(func=cmd_publish)

    rollout = commands.add_parser("rollout", help="rollouts")
    rollout_commands = rollout.add_subparsers(dest="rollout_command", required=True)
    status = rollout_commands.add_parser("status", help="where each rollout stands")
    central(status)
    status.set_defaults(func=cmd_rollout_status)

    fleet = commands.add_parser("fleet", help="every kiosk's latest heartbeat")
    central(fleet)
    fleet.set_defaults(func=cmd_fleet)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (AdminError, OperatorKeyFileError) as exc:
        print(f"kiosk-admin: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, OperatorKeyFileError) else 1


if __name__ == "__main__":
    sys.exit(main())
