"""The baseline start of bench/startup.py: a bare Kivy window, sized as the kiosk's, until its first frame.

Prints one JSON line: seconds from the parent's launch timestamp to the first buffer flip, and peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import time

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


def run_bare() -> None:
    from kiosk.display import plan_window, prepare_kivy

    # The window of the kiosk in bench/startup.py: a 540x960 panel shown as it is.
    prepare_kivy(plan_window(540, 960, fullscreen=False, kiosk_mode=False))
    from kivy.app import App
    from kivy.uix.label import Label

    class Hello(App):
        def build(self) -> Label:
            return Label(text="hello")

    app = Hello()
    report_first_flip(app.stop)
    app.run()


if __name__ == "__main__":
    run_bare()
