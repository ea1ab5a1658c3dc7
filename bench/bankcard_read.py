"""A full bank card read through pcscd + vpcd next to the same read in process, measured side by side.

    bench/bankcard_read.py [--runs 20] [--card pboc_debit_contactless] [--json]

Starts its own pcscd (kiosk/devices/bankcard/pcscd.py) with a virtual card in vpcd. Each sample is one
``reader.read()`` of the card already in the reader, timed from the submit to the result: the PSE/PPSE
selection, SELECT, GPO and every READ RECORD, plus the device thread's hand-over. The PC/SC and in-process
reads alternate so machine noise hits both alike; one warm-up read of each is not counted. The pure flow
(``read_card`` on the card object, no device thread) is the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from kiosk.devices.bankcard.pcscd import PrivatePcscd


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
    }


def measure(runs: int, card_name: str) -> dict[str, object]:
    with PrivatePcscd() as pcscd:
        os.environ.update(pcscd.env)  # before the first PC/SC context of this process
        from kiosk.devices.bankcard.read_flow import read_card
        from kiosk.devices.bankcard.reader import BankCardReader, SimBankCardReader
        from kiosk.devices.bankcard.virtual_card import VirtualCard, bundled_card
        from kiosk.devices.bankcard.vpcd import VpcdCard
        from kiosk.devices.registry import open_device

        profile = bundled_card(card_name)
        pcsc = open_device("bankcard", "pcsc://?reader=Virtual&poll_ms=1000")
        sim = open_device("bankcard", "sim://?poll_ms=1000")
        assert isinstance(pcsc, BankCardReader) and isinstance(sim, SimBankCardReader)
        sim.insert(VirtualCard(profile))
        pure_card = VirtualCard(profile)
        samples: dict[str, list[float]] = {"pcsc_vpcd": [], "in_process": [], "pure_flow": []}
        with VpcdCard(VirtualCard(profile), port=pcscd.vpcd_port) as vpcd_card:
            vpcd_card.insert()
            pcsc.wait_and_read(timeout=10).result(timeout=10)  # warm-up: the card is powered, pyscard loaded
            sim.read().result(timeout=10)
            for _ in range(runs):
                for name, read in (
                    ("pcsc_vpcd", lambda: pcsc.read().result(timeout=10)),
                    ("in_process", lambda: sim.read().result(timeout=10)),
                    ("pure_flow", lambda: read_card(pure_card.respond)),
                ):
                    start = time.perf_counter()
                    read()
                    samples[name].append(time.perf_counter() - start)
            commands = vpcd_card.commands
        pcsc.close().result(timeout=5)
        sim.close().result(timeout=5)
    results: dict[str, object] = {name: _ms(values) for name, values in samples.items()}
    results |= {
        "runs": runs,
        "card": card_name,
        "apdus_per_read": commands // (runs + 1),
        "ratio_pcsc_to_in_process": round(
            statistics.median(samples["pcsc_vpcd"]) / statistics.median(samples["in_process"]), 1
        ),
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--card", default="pboc_debit_contactless")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs, args.card)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.runs} full reads of {args.card} ({results['apdus_per_read']} APDUs each):")
    for name in ("pcsc_vpcd", "in_process", "pure_flow"):
        figures = results[name]
        assert isinstance(figures, dict)
        print(f"  {name:<11} median {figures['median_ms']:7.2f} ms   p90 {figures['p90_ms']:7.2f} ms")
    print(f"  pcscd + vpcd / in process: {results['ratio_pcsc_to_in_process']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
