"""One measured start (run by bench/startup.py): the kiosk or a bare Kivy window, until its first frame.

Prints one JSON line: seconds from the parent's launch timestamp to the first buffer flip, and peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAUNCHED_AT = float(os.environ["BENCH_LAUNCHED_AT"])


def report_first_flip(app_stop) -> None:
    from kivy.core.window import Window

    def on_flip(*_args: object) -> None:
        elapsed = time.time() - LAUNCHED_AT
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kib / 1024}), flush=True)
        Window.unbind(on_flip=on_flip)
        app_stop()

    Window.bind(on_flip=on_flip)


def run_kiosk(data_dir: Path) -> None:
    from kiosk.display import plan_window, prepare_kivy
    from kiosk.runtime import build_runtime
    from kiosk.settings import load_settings

    settings = load_settings(REPO / "config" / "demo.toml").with_overrides(kiosk={"data_dir": str(data_dir)})
    plan = plan_window(1080, 1920, fullscreen=False, kiosk_mode=False, window_height=960)
    runtime = build_runtime(settings)
    prepare_kivy(plan)
    from kiosk.app import KioskApp

    app = KioskApp(runtime, plan)
    report_first_flip(app.stop)
    app.run()


def run_bare() -> None:
    from kiosk.display import plan_window, prepare_kivy

    prepare_kivy(plan_window(1080, 1920, fullscreen=False, kiosk_mode=False, window_height=960))
    from kivy.app import App
    from kivy.uix.label import Label

    class Hello(App):
        def build(self) -> Label:
            return Label(text="hello")

    app = Hello()
    report_first_flip(app.stop)
    app.run()


if __name__ == "__main__":
    if sys.argv[1] == "kiosk":
        run_kiosk(Path(sys.argv[2]))
    else:
        run_bare()
