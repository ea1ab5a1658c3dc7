"""bench/ui_latency.py's baseline: a bare Kivy screen switch, timed by the same probe as the kiosk. Two
screens of a title, ten lines of text and a button each, in a ScreenManager with the kiosk's fade (0.12 s),
in a window of the kiosk's size under the same Xvfb; each tap on the button switches to the other screen.
Prints one JSON object: the measurements, and the frames of an idle second.

    python bench/ui_latency_bare.py --taps N [--width W --height H] [--handler-ms MS]

`--handler-ms` adds that much work on the Kivy thread to every tap: a check that the probe sees it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONFIG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--taps", type=int, default=40)
    parser.add_argument("--width", type=int, default=540)
    parser.add_argument("--height", type=int, default=960)
    parser.add_argument("--handler-ms", type=float, default=0.0)
    parser.add_argument("--transition", choices=("fade", "none"), default="fade")
    args = parser.parse_args()

    from kivy.config import Config

    Config.set("graphics", "width", str(args.width))
    Config.set("graphics", "height", str(args.height))
    Config.set("graphics", "resizable", "0")

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.screenmanager import FadeTransition, NoTransition, Screen, ScreenManager
    from ui_probe import FrameProbe

    result: dict[str, Any] = {}

    class Bare(App):
        def build(self) -> Any:
            fade = args.transition == "fade"
            self.sm = ScreenManager(transition=FadeTransition(duration=0.12) if fade else NoTransition())
            for name in ("one", "two"):
                screen = Screen(name=name)
                box = BoxLayout(orientation="vertical", padding=24, spacing=8)
                box.add_widget(Label(text=f"Screen {name}", font_size=40))
                for line in range(10):
                    box.add_widget(Label(text=f"Line {line} of screen {name}", font_size=24))
                button = Button(text="Next", font_size=32)
                button.bind(on_release=self.switch)
                box.add_widget(button)
                screen.add_widget(box)
                self.sm.add_widget(screen)
            return self.sm

        def switch(self, _button: Any) -> None:
            if args.handler_ms:
                end = time.perf_counter() + args.handler_ms / 1000
                while time.perf_counter() < end:
                    pass
            self.sm.current = "two" if self.sm.current == "one" else "one"

        def on_start(self) -> None:
            self.probe = FrameProbe()
            threading.Thread(target=self.drive, daemon=True).start()

        def drive(self) -> None:
            time.sleep(1.0)  # the first frames of a new window are not a switch's
            result["idle_frames"] = [f.as_json() for f in self.probe.frames_during(lambda: time.sleep(1.0))]
            measured = []
            for _ in range(args.taps):
                target = "two" if self.sm.current == "one" else "one"

                def tap() -> None:
                    button = next(w for w in self.sm.current_screen.walk() if isinstance(w, Button))
                    touch = UnitTestTouch(*button.to_window(*button.center))
                    touch.touch_down()
                    touch.touch_up()

                measured.append(
                    self.probe.measure(
                        "bare screen switch",
                        tap,
                        lambda t=target: self.sm.current == t,
                        lambda t=target: self.sm.current == t and not self.sm.transition.is_active,
                    ).as_json()
                )
                time.sleep(0.05)
            result["measured"] = measured
            Clock.schedule_once(lambda _dt: self.stop(), 0)

    Bare().run()
    print(json.dumps(result))
    return 0 if result.get("measured") else 1


if __name__ == "__main__":
    sys.exit(main())
