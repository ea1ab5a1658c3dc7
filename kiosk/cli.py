"""The `kiosk` command: demo, run, doctor, simulate, version."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import __version__

if TYPE_CHECKING:
    from kiosk.demo import DemoParts
    from kiosk.settings import Settings

EXIT_CONFIG = 2
# The commands that open the kiosk's window, and all the commands this module defines itself.
WINDOW_COMMANDS = ("demo", "run")
OWN_COMMANDS = (*WINDOW_COMMANDS, "doctor", "simulate", "version")
# Modules with `add_commands(subparsers)` for `kiosk devices <kind> ...` and for `kiosk <group> ...`.
DEVICE_COMMANDS: tuple[str, ...] = (
    "kiosk.devices.idcard.cli",
    "kiosk.devices.bankcard.cli",
    "kiosk.devices.printer.cli",
)
GROUP_COMMANDS: tuple[str, ...] = ("kiosk.remote_config.cli", "kiosk.offline_queue.cli", "kiosk.voice.cli")


def _configure_logging(verbose: bool) -> None:
    # force: python-escpos calls basicConfig() when imported, which would otherwise win.
    logging.basicConfig(
        force=True,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Kivy reports every image provider and GL detail at INFO; keep its warnings only.
    logging.getLogger("kivy").setLevel(logging.WARNING)


def _run_kiosk(
    settings: Settings,
    *,
    fullscreen: bool,
    kiosk_mode: bool,
    window_height: int | None,
    demo: DemoParts | None = None,
) -> int:
    from kiosk.devices.base import DeviceConfigError
    from kiosk.display import plan_window, prepare_kivy
    from kiosk.doctor import FAIL, check_display

    display_check = check_display()
    if display_check.status == FAIL:
        # Kivy would die with a long SDL traceback; say what is wrong in one line instead.
        print(f"kiosk: {display_check.detail}", file=sys.stderr)
        return EXIT_CONFIG
    from kiosk.fonts import FontError
    from kiosk.runtime import build_runtime

    display = settings.display
    plan = plan_window(
        display.width,
        display.height,
        fullscreen=fullscreen,
        kiosk_mode=kiosk_mode,
        demo_panel=demo is not None,
        window_height=window_height,
    )
    try:
        runtime = build_runtime(
            settings,
            card_placer=demo.emulator if demo else None,
            last_receipt=demo.last_receipt if demo else None,
            bank_card_slot=demo.bank_card_slot if demo else None,
            demo_centre=demo.central if demo else None,
        )
    except (FontError, DeviceConfigError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    prepare_kivy(plan)
    # Kivy walks every object once while it makes the window (its graphics context collects garbage); all
    # made so far lives as long as the kiosk, so it is taken out of that walk and of every later one.
    gc.freeze()
    from kiosk.app import KioskApp

    app = KioskApp(runtime, plan)
    app.run()
    return app.exit_status


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import DemoError, start_demo_parts
    from kiosk.settings import load_settings

    settings = load_settings(args.config)
    try:
        demo_settings, parts = start_demo_parts(settings)
    except DemoError as exc:
        print(f"kiosk demo: {exc}", file=sys.stderr)
        return 1
    try:
        logging.getLogger("kiosk.demo").info(
            "central on %s, ID card emulator on %s, receipt printer on %s (receipts drawn into %s)",
            parts.base_url,
            parts.emulator.path,
            parts.printer.url,
            parts.printer.out_dir,
        )
        from kiosk.demo import DEMO_CONSOLE_OPERATOR

        logging.getLogger("kiosk.demo").info(
            "operator console on %s/console: sign in as %s, password %s",
            parts.base_url,
            *DEMO_CONSOLE_OPERATOR,
        )
        return _run_kiosk(
            demo_settings,
            fullscreen=args.fullscreen,
            kiosk_mode=False,
            window_height=args.window_height,
            demo=parts,
        )
    finally:
        parts.close()


def cmd_run(args: argparse.Namespace) -> int:
    from kiosk.settings import load_settings

    settings = load_settings(args.config)
    return _run_kiosk(settings, fullscreen=settings.display.fullscreen, kiosk_mode=True, window_height=None)


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import FAIL, render, run_checks
    from kiosk.settings import load_settings

    settings = load_settings(args.config)
    checks = run_checks(settings)
    print(render(checks))
    return 1 if any(check.status == FAIL for check in checks) else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from kiosk.simulate import simulate_command

    return simulate_command(args.config, args.script, as_json=args.json, verbose=args.verbose)


def cmd_version(_args: argparse.Namespace) -> int:
    print(f"kiosk {__version__}")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; for one of this module's own commands, without the staff tools' groups
    (`devices`, `config`, `queue`): their modules import SQLAlchemy, cryptography and the device emulators,
    which would add half a second to the kiosk's start."""
    default_config = Path("/etc/hpf-kiosk/kiosk.toml")
    demo_config = Path(__file__).resolve().parent.parent / "config" / "demo.toml"
    parser = argparse.ArgumentParser(prog="kiosk", description="Housing Provident Fund self-service kiosk")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="the kiosk with an embedded central and emulated devices")
    demo.add_argument("--config", type=Path, default=demo_config)
    demo.add_argument("--fullscreen", action="store_true", help="full screen instead of a window")
    demo.add_argument("--window-height", type=int, default=960, help="window height in pixels (default 960)")
    demo.set_defaults(func=cmd_demo)

    run = commands.add_parser("run", help="run the kiosk in production")
    run.add_argument("--config", type=Path, required=True)
    run.set_defaults(func=cmd_run)

    doctor = commands.add_parser("doctor", help="check display, font, devices, central and data dir")
    doctor.add_argument("--config", type=Path, default=default_config)
    doctor.set_defaults(func=cmd_doctor)

    simulate = commands.add_parser(
        "simulate", help="run scripted visits through the kiosk's visit flow, without a window"
    )
    simulate.add_argument("--config", type=Path, required=True)
    simulate.add_argument("--script", type=Path, required=True, help="the visits, as JSON (docs/simulate.md)")
    simulate.add_argument("--json", action="store_true", help="one JSON object: every step and receipt")
    simulate.set_defaults(func=cmd_simulate)

    version = commands.add_parser("version", help="print the version")
    version.set_defaults(func=cmd_version)

    if command in OWN_COMMANDS:
        return parser
    devices = commands.add_parser("devices", help="read, test and emulate the kiosk's devices")
    device_kinds = devices.add_subparsers(dest="device", required=True)
    for module in DEVICE_COMMANDS:
        # Each device package adds its own subcommand; importing them lazily keeps `kiosk --help` fast.
        import_module(module).add_commands(device_kinds)
    for module in GROUP_COMMANDS:
        import_module(module).add_commands(commands)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    # The first word that is not an option: the top-level options (-h, -v) take no value.
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = _named_command(argv)
    if command in WINDOW_COMMANDS:
        # The start makes some 60 000 objects that live as long as the kiosk (modules, the settings'
        # validators, widgets), and the collector would walk them again and again before the first frame
        # (about 30 ms). It resumes once that is drawn (KioskApp), with all made by then taken out of it.
        gc.disable()
    args = build_parser(command).parse_args(argv)
    _configure_logging(args.verbose)
    from kiosk.settings import SettingsError

    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
