"""How long a receipt takes: template -> layout -> ESC/POS bytes, and a full print over TCP.

    bench/receipt.py [--runs 30] [--json]

Per template (58 mm, GBK), medians of:
- ``build``: the template turning plain data into a receipt model;
- ``render``: layout and encoding to ESC/POS bytes (goal <= 20 ms, the time a citizen never notices);
- ``escpos_text``: side by side, the same lines sent through python-escpos's own ``text()`` (the path
  the driver avoids because it mangles Chinese; shown only as a yardstick of what python-escpos costs).
Then a full print of the account statement to the virtual printer over loopback TCP as the kiosk does
it: DLE EOT 1-4 before, the job, the GS r confirmation, DLE EOT 1-4 after; with the virtual printer
rendering each job to PNG and without (the PNG is the emulator's cost, not the kiosk's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from escpos.printer import Dummy

from kiosk.devices.printer.driver import EscposPrinter
from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import Line, lay_out
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.devices.registry import open_device
from kiosk.receipts.samples import SAMPLES

GOAL_RENDER_MS = 20.0
COLUMNS = 32


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: imports, font and codec caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def escpos_text(lines: list[str]) -> None:
    printer = Dummy()
    for line in lines:
        printer.text(line + "\n")


def per_template(runs: int) -> dict[str, dict[str, float]]:
    results = {}
    for name, make in SAMPLES.items():
        receipt = make(COLUMNS)
        lines = [item.text for item in lay_out(receipt, COLUMNS) if isinstance(item, Line)]
        results[name] = {
            "build_ms": median_ms(lambda make=make: make(COLUMNS), runs),
            "render_ms": median_ms(
                lambda receipt=receipt: encode_items(lay_out(receipt, COLUMNS), EncoderProfile()), runs
            ),
            "escpos_text_ms": median_ms(lambda lines=lines: escpos_text(lines), runs),
            "bytes": len(encode_items(lay_out(receipt, COLUMNS), EncoderProfile()).data),
        }
    return results


def full_print(runs: int, out_dir: Path | None) -> float:
    receipt = SAMPLES["account_statement"](COLUMNS)
    with VirtualPrinter(out_dir=out_dir, port=0) as virtual:
        device = open_device("printer", f"{virtual.url}?poll_ms=0&timeout_ms=2000", do_not_open=True)
        assert isinstance(device, EscposPrinter)
        device.open().result(10)
        try:

            def one() -> None:
                if not device.print_receipt(receipt).result(30).printed:
                    raise RuntimeError("the virtual printer did not print")

            return median_ms(one, runs)
        finally:
            device.close().result(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    templates = per_template(args.runs)
    with tempfile.TemporaryDirectory() as scratch:
        with_png = full_print(max(5, args.runs // 3), Path(scratch))
    without_png = full_print(max(5, args.runs // 3), None)
    worst = max(result["render_ms"] for result in templates.values())
    report = {
        "templates": templates,
        "full_print_tcp_ms": {"virtual_printer_renders_png": with_png, "text_only": without_png},
        "goal_render_ms": GOAL_RENDER_MS,
        "worst_render_ms": worst,
        "ok": worst <= GOAL_RENDER_MS,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'template':22} {'build':>8} {'render':>8} {'escpos text()':>14} {'bytes':>7}")
        for name, result in templates.items():
            print(
                f"{name:22} {result['build_ms']:7.2f}ms {result['render_ms']:7.2f}ms"
                f" {result['escpos_text_ms']:13.2f}ms {result['bytes']:7d}"
            )
        print(
            f"render goal <= {GOAL_RENDER_MS:g} ms: worst {worst:.2f} ms"
            f" ({'ok' if report['ok'] else 'MISSED'})"
        )
        print(
            f"full print over TCP (status before and after): {without_png:.1f} ms; {with_png:.1f} ms with PNG"
        )
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
