"""``python harness.py printer ...`` runs the printer subcommands as ``kiosk devices printer ...`` will,
without needing kiosk/cli.py to register them: the tests drive it as a real process."""

import argparse
import logging
import sys

from kiosk.devices.printer.cli import add_commands

# As kiosk/cli.py configures it: device logs go to stderr, so the tests check the last line there.
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
parser = argparse.ArgumentParser(prog="kiosk devices")
add_commands(parser.add_subparsers(dest="device", required=True))
args = parser.parse_args()
sys.exit(args.func(args))
