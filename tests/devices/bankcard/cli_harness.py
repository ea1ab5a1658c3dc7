"""Runs ``add_commands`` the way ``kiosk devices`` will, as a process of its own, logging at DEBUG."""

from __future__ import annotations

import argparse
import logging
import sys

from kiosk.devices.bankcard.cli import add_commands


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="kiosk devices")
    add_commands(parser.add_subparsers(dest="device", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
