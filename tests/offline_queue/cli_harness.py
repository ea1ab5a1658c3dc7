"""Runs the outbox's staff commands as `kiosk queue ...` would, in a process of their own."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.offline_queue.cli import add_commands

parser = argparse.ArgumentParser(prog="kiosk")
add_commands(parser.add_subparsers(dest="command", required=True))
arguments = parser.parse_args()
sys.exit(arguments.func(arguments))
