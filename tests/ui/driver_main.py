"""The start of a flow driver's process (tests/ui/drive_*_flow.py): the demo's parts, the kiosk app in a
window under Xvfb, the driver's scenario on a thread of its own, and its report in OUT/result.json,
whatever happened."""

from __future__ import annotations

import argparse
import json
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kiosk.demo import DemoParts, start_demo_parts
from kiosk.display import plan_window, prepare_kivy
from kiosk.runtime import build_runtime
from kiosk.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SCENARIO_END_S = 10


class Front(Protocol):
    """Something standing in front of the demo's centre (a link the driver can cut)."""

    url: str

    def close(self) -> None: ...


class Scenario(Protocol):
    steps: list[str]

    def run(self) -> None: ...

    def ui(self, fn: Callable[[], Any]) -> Any: ...


def drive(
    make_driver: Callable[[Any, Path, DemoParts, Any], Scenario],
    *,
    session: dict[str, Any] | None = None,
    outbox: dict[str, Any] | None = None,
    maintenance: dict[str, Any] | None = None,
    front: Callable[[str], Front] | None = None,
    bank_card_slot: bool = False,
    report: Callable[[Scenario, Any, dict[str, Any]], None] | None = None,
    demo_panel: bool = True,
) -> int:
    """Run one driver: `make_driver(app, out, parts, front)` once the app has started. `session`,
    `outbox` and `maintenance` override the demo's settings; `front(base_url)` puts something between
    kiosk and centre; `report(driver, app, result)` adds the driver's own facts to the report;
    `demo_panel=False` gives the kiosk's window alone, as in a hall."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"ok": False, "steps": []}

    overrides: dict[str, dict[str, object]] = {
        "kiosk": {"data_dir": str(args.data_dir)},
        "outbox": {"key_file": str(args.data_dir.parent / "keys" / "outbox.key"), **(outbox or {})},
    }
    if session is not None:
        overrides["session"] = session
    if maintenance is not None:
        overrides["maintenance"] = maintenance
    demo_settings = load_settings(REPO / "config" / "demo.toml").with_overrides(**overrides)
    settings, parts = start_demo_parts(demo_settings)
    link = front(parts.base_url) if front is not None else None
    if link is not None:
        settings = settings.with_overrides(central={"base_url": link.url})
    plan = plan_window(
        1080, 1920, fullscreen=False, kiosk_mode=False, demo_panel=demo_panel, window_height=960
    )
    runtime = build_runtime(
        settings,
        card_placer=parts.emulator,
        last_receipt=parts.last_receipt,
        bank_card_slot=parts.bank_card_slot if bank_card_slot else None,
    )
    prepare_kivy(plan)
    from kiosk.app import KioskApp

    def started(app: Any) -> None:
        driver = make_driver(app, args.out, parts, link)

        def scenario() -> None:
            started_at = time.monotonic()
            try:
                driver.run()
                result["ok"] = True
            except BaseException:
                result["error"] = traceback.format_exc()
            result["steps"] = driver.steps
            result["flow_s"] = round(time.monotonic() - started_at, 1)
            if report is not None:
                report(driver, app, result)
            if not app._stop_requested:  # a scenario may end with the kiosk stopping itself (a restart)
                driver.ui(app.stop)

        thread = threading.Thread(target=scenario, daemon=True)
        threads.append(thread)
        thread.start()

    threads: list[threading.Thread] = []
    app = KioskApp(runtime, plan, on_started=started)
    try:
        app.run()
        for thread in threads:  # a kiosk that stopped itself: the scenario's last look at it
            thread.join(SCENARIO_END_S)
    finally:
        if link is not None:
            link.close()
        parts.close()
        text = json.dumps(result, indent=2, ensure_ascii=False)
        (args.out / "result.json").write_text(text, encoding="utf-8")
    # As `kiosk run` does: the app's own exit status (EXIT_RESTART after a restart from maintenance mode).
    return app.exit_status if result["ok"] else 1
