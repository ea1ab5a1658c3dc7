"""`kiosk voice prerender`: every fixed prompt rendered into the kiosk's voice cache ahead of use (at
install, or after an espeak-ng upgrade). Optional: a prompt not in the cache is rendered when first said,
in tens of milliseconds, and kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.settings import load_settings
from kiosk.voice.engine import EngineMissing, cache_dir, prerender


def cmd_prerender(args: argparse.Namespace) -> int:
    directory = cache_dir(load_settings(args.config).kiosk.data_dir)
    try:
        report = prerender(directory)
    except EngineMissing as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    print(
        f"{report.files} prompt files in {directory}: {report.rendered} rendered now, "
        f"{report.total_bytes // 1024} KiB in all"
    )
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    voice = subparsers.add_parser("voice", help="voice guidance's spoken prompts")
    commands = voice.add_subparsers(dest="voice_command", required=True)
    render = commands.add_parser("prerender", help="render every fixed prompt into the kiosk's voice cache")
    render.add_argument("--config", type=Path, default=Path("/etc/hpf-kiosk/kiosk.toml"))
    render.set_defaults(func=cmd_prerender)
