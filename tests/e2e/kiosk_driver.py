"""A kiosk as a process of its own, for the end-to-end tests: built from a settings file as `kiosk run`
builds it (`build_runtime`, `start_background_services`) and driven through its visit flow, without Kivy.

The test writes one JSON command a line on stdin, {"do": name, ...arguments} (`wait_s`: how long the
command may wait for a device or the centre), and reads one JSON answer a line on stdout: {"ok": result},
or {"error": exception type, "message": its message id}. The log goes to stderr. A process of its own, so
that a test can kill it with SIGKILL, and so that its PC/SC client library reaches the test's pcscd (the
library reads the daemon's socket once per process).

    python tests/e2e/kiosk_driver.py KIOSK_TOML
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.devices.base import DeviceState
from kiosk.offline_queue import RetryPolicy
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.idcard import CardEvent, CardPlaced, CardTaken
from kiosk.settings import load_settings

# The forwarder's backoff, shortened from the kiosk's (1 s doubling up to 5 minutes) so that a test sees
# a restored link used within a second; what is delivered, and how often, does not depend on it.
TEST_RETRY = RetryPolicy(base_s=0.05, cap_s=1.0)


class Driver:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stopped = False
        self._cards: queue.Queue[CardEvent] = queue.Queue()
        runtime.idcard.listen(self._cards.put)

    def ready(self, wait_s: float) -> dict[str, Any]:
        """Once every device is idle (or `wait_s` is up): their states and the parts that did not start."""
        deadline = time.monotonic() + wait_s
        devices = self.runtime.devices
        while time.monotonic() < deadline and any(d.state is not DeviceState.IDLE for d in devices.values()):
            time.sleep(0.02)
        return {
            "devices": {name: device.state.value for name, device in devices.items()},
            "problems": [problem.part for problem in self.runtime.problems],
        }

    def card_placed(self, wait_s: float) -> str:
        """Waits for an ID card on the reader and begins its visit; "" or why the card cannot begin one."""
        deadline = time.monotonic() + wait_s
        while True:
            event = self._cards.get(timeout=max(0.0, deadline - time.monotonic()))
            if isinstance(event, CardPlaced):
                break
        refused = self.runtime.visit.card_placed(event.holder)
        return refused.title if refused else ""

    def card_taken(self, wait_s: float) -> None:
        """Waits until the ID card is taken off the reader."""
        deadline = time.monotonic() + wait_s
        while not isinstance(self._cards.get(timeout=max(0.0, deadline - time.monotonic())), CardTaken):
            pass

    def sign_in(self, password: str) -> str:
        return self.runtime.citizen.sign_in(password).outcome.value

    def reasons(self) -> list[dict[str, Any]]:
        return [
            {"code": view.code, "selectable": view.selectable, "max_fen": view.max_fen}
            for view in self.runtime.visit.withdrawal.reasons()
        ]

    def withdraw(self, reason: str, amount: str, wait_s: float) -> dict[str, str]:
        """Reason, amount and the payee card, up to the confirmation screen."""
        withdrawal = self.runtime.visit.withdrawal
        withdrawal.choose_reason(reason)
        withdrawal.set_amount(amount)
        withdrawal.read_card(wait_s)
        confirmation = withdrawal.confirmation()
        return {"amount": confirmation.amount, "card_masked": confirmation.card_masked}

    def submit(self) -> dict[str, Any]:
        submitted = self.runtime.visit.withdrawal.submit()
        return {
            "claim_number": submitted.claim_number,
            "answer": submitted.answer,
            "amount": submitted.amount,
            "printed": submitted.printed,
            "message": submitted.message,
        }

    def bank_card_out(self, wait_s: float) -> bool:
        """Whether the bank card reader has seen its card taken out within `wait_s`."""
        payee_cards = self.runtime.payee_cards
        assert payee_cards is not None
        deadline = time.monotonic() + wait_s
        while payee_cards.card_in_reader and time.monotonic() < deadline:
            time.sleep(0.02)
        return not payee_cards.card_in_reader

    def fate(self, key: str, wait_s: float) -> dict[str, str | None]:
        outbox = self.runtime.outbox
        assert outbox is not None
        fate = outbox.wait_for_fate(key, wait_s)
        return {"state": fate.state.value if fate else None, "reason": fate.reason if fate else None}

    def applications(self) -> dict[str, Any]:
        listing = self.runtime.visit.applications.listing()
        return {
            "complete": listing.complete,
            "items": [
                {
                    "kind": item.kind,
                    "number": item.number,
                    "state": item.state,
                    "waiting_to_send": item.waiting_to_send,
                }
                for item in listing.items
            ],
        }

    def end(self) -> None:
        self.runtime.end_visit()

    def stop(self) -> bool:
        self.stopped = True
        return self.runtime.stop().result(timeout=30).clean


COMMANDS: dict[str, Callable[..., Any]] = {
    "ready": Driver.ready,
    "card_placed": Driver.card_placed,
    "card_taken": Driver.card_taken,
    "sign_in": Driver.sign_in,
    "reasons": Driver.reasons,
    "withdraw": Driver.withdraw,
    "submit": Driver.submit,
    "bank_card_out": Driver.bank_card_out,
    "fate": Driver.fate,
    "applications": Driver.applications,
    "end": Driver.end,
    "stop": Driver.stop,
}


def answer(driver: Driver, line: str) -> dict[str, Any]:
    arguments = json.loads(line)
    command = COMMANDS[arguments.pop("do")]
    try:
        return {"ok": command(driver, **arguments)}
    except Exception as exc:  # the test decides whether this one was expected
        return {"error": type(exc).__name__, "message": str(getattr(exc, "message", ""))}


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = build_runtime(load_settings(sys.argv[1]))
    driver = Driver(runtime)
    runtime.start_background_services()
    if runtime.forwarder is not None:
        runtime.forwarder.retry = TEST_RETRY
    for line in sys.stdin:
        print(json.dumps(answer(driver, line), ensure_ascii=False), flush=True)
        if driver.stopped:
            return


if __name__ == "__main__":
    main()
