"""`kiosk config verify` and `kiosk config show`: what a kiosk would make of a bundle, and what it runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk.remote_config.bundle import BundleRefused, OperatorKeyFileError, load_trusted_keys, verify_bundle
from kiosk.remote_config.store import ConfigStore
from kiosk.settings import load_settings


def remote_dir(data_dir: Path) -> Path:
    return data_dir / "remote"


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        keys = load_trusted_keys(args.pubkey)
        data = args.bundle.read_bytes()
    except OperatorKeyFileError as exc:
        print(f"kiosk config verify: {exc}")
        return 2
    except OSError as exc:
        print(f"kiosk config verify: {args.bundle}: cannot read: {exc.strerror}")
        return 2
    try:
        bundle = verify_bundle(
            data, trusted_keys=keys, kiosk_id=args.kiosk_id, group=args.group, newer_than=args.min_version - 1
        )
    except BundleRefused as exc:
        print(f"refused ({exc.reason}): {exc.detail}")
        return 1
    print(
        f"accepted: version {bundle.version} for {bundle.target}, signed by key {bundle.key_id}, "
        f"valid until {bundle.expires_at.isoformat()}"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = ConfigStore(remote_dir(settings.kiosk.data_dir))
    state = store.load_state()
    current = store.current()
    print(f"applied version:     {state.applied_version}")
    print(f"last known good:     {state.good_version}")
    print(f"on probation:        {'yes' if state.on_probation else 'no'}")
    print(f"restart pending:     {'yes' if state.restart_pending else 'no'}")
    if current is None:
        print("configuration:       none received; local defaults apply")
    else:
        print(f"target:              {current.get('target')}")
        print(json.dumps(current.get("config"), ensure_ascii=False, indent=2))
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = subparsers.add_parser("config", help="remote configuration bundles")
    commands = config.add_subparsers(dest="config_command", required=True)

    verify = commands.add_parser("verify", help="would this kiosk accept the bundle? (exit 0 only if so)")
    verify.add_argument("bundle", type=Path)
    verify.add_argument("--pubkey", type=Path, action="append", required=True, help="a trusted operator key")
    verify.add_argument("--min-version", type=int, default=1, help="the lowest version still acceptable")
    verify.add_argument("--kiosk-id", default="KIOSK-DEMO-01")
    verify.add_argument("--group")
    verify.set_defaults(func=cmd_verify)

    show = commands.add_parser("show", help="the configuration this kiosk runs with")
    show.add_argument("--config", type=Path, default=Path("/etc/hpf-kiosk/kiosk.toml"))
    show.set_defaults(func=cmd_show)
